/**
 * Exactness against the seed (test/fixtures/swav_seed_parity.json, PyTorch 1.13): the
 * fixture's TinySwAV built from our layers with its PyTorch weights loaded; for both
 * cases (two views; multi-crop 2x16px + 2x8px) and both SGD steps: loss, scores, codes,
 * embedding, projection, every gradient, the prototypes the forward used, every
 * parameter and running statistic after the step (relative error under 1e-4), and the
 * eval-mode embedding after the two steps. The steps run through `jit(swav.trainStep)`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, scope, valueAndGrad } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as swav from '../../lib/ssl/swav/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, maxAbs, relErrChecker } from './fixtures.js';
import { disposeExcept, nhwc, stateDict, tensorsIn, tinyConfig } from './tiny-swav.js';

await useTestBackend();

const fixture = loadFixture<Record<string, any>>('swav_seed_parity.json');
const TOL = 1e-4;

/**
 * Relative errors max |a - e| / max(max |e|, floor). The floor matters for one gradient only: `projector.0.bias`, which is mathematically zero (the
 * BatchNorm after that Linear removes any bias) and holds float32 round-off in PyTorch
 * (|g| < 6e-6 against 1.4 for the weight) as in ours; it is measured against the scale
 * of its layer's weight gradient.
 */
const { check, worst } = relErrChecker(TOL);

function runCase(name: string, views: (inputs: tf.Tensor[]) => swav.SwavInput) {
  const c = fixture[name];
  const test = suite(`swav parity: ${name}`);
  test(`loss, scores, codes, embedding, projection, gradients and the state after each SGD step (${c.steps.length} steps), then the eval embedding`, async () => {
    const config = swav.swavConfig(tinyConfig());
    const dict = stateDict(c.initial_state);
    let { params, state } = swav.fromTorch(dict, config);
    tf.dispose(Object.values(dict));
    const inputs = (c.views as number[][][][][]).map(nhwc);
    const batch = views(inputs);
    const opt = optim.sgd({ learningRate: c.config.sgd.lr, momentum: c.config.sgd.momentum, weightDecay: c.config.sgd.weight_decay });
    let optState = opt.init(params);
    const step = jit(swav.trainStep(config, opt));
    for (let s = 0; s < c.steps.length; s++) {
      const ref = c.steps[s];
      const label = `${name} step ${s}`;
      // The step's forward and gradients (pure: the same as inside trainStep).
      const { out, grads } = scope(() => {
        const [[, o], g] = valueAndGrad((p: swav.SwavParams) => {
          const [o2] = swav.apply(p, state, batch, { train: true, config });
          return [o2.loss, o2];
        }, { hasAux: true })(params);
        return { out: o as swav.SwavOutput, grads: g as swav.SwavParams };
      });
      await check('loss', out.loss, ref.loss, label);
      for (let v = 0; v < ref.scores.length; v++) {
        await check('scores', out.scores![v], ref.scores[v], `${label} view ${v}`);
        await check('codes', out.codes![v]!, ref.codes[v], `${label} view ${v}`);
      }
      await check('embedding', out.embedding, ref.embedding, label);
      await check('projection', out.projection!, ref.projection, label);
      await check('prototypes_used', out.prototypes!, ref.prototypes_used, label);
      const g = swav.toTorch(grads, state, config);
      for (const [k, v] of Object.entries(ref.grads)) {
        assert.ok(g[k], `gradient of ${k}`);
        const floor = k === 'projector.0.bias' ? maxAbs(ref.grads['projector.0.weight']) : undefined;
        await check(`grad ${k}`, g[k], v, label, floor);
      }
      tf.dispose([...Object.values(g), ...tensorsIn(out), ...tensorsIn(grads)]);
      // The jitted training step.
      const r = step(params, state, optState, batch);
      disposeExcept([params, state, optState], r);
      ({ params, optState } = r);
      state = r.modelState;
      await check('loss (trainStep)', r.metrics.loss, ref.loss, label);
      tf.dispose(tensorsIn(r.metrics));
      const after = swav.toTorch(params, state, config);
      for (const [k, v] of Object.entries(ref.state_after)) {
        assert.ok(after[k], `state entry ${k}`);
        await check(`after ${k}`, after[k], v, label);
      }
      tf.dispose(Object.values(after));
      assert.is((await (state.step as tf.Tensor).data())[0], s + 1, 'the step counter');
    }
    const [evalOut] = swav.apply(params, state, { images: inputs[0] }, { train: false, config });
    await check('eval_embedding', evalOut.embedding, c.eval_embedding, `${name} eval`);
    assert.is((await (evalOut.loss as tf.Tensor).data())[0], 0);
    assert.is(evalOut.projection, undefined);
    tf.dispose([...tensorsIn([params, state, optState, evalOut]), ...inputs]);
    step.clearCache();
  });
  test.run();
}

runCase('swav_two_view', ([view1, view2]) => ({ view1, view2 }));
runCase('swav_multicrop', (v) => ({ globalViews: v.slice(0, 2), localViews: v.slice(2) }));

const Report = suite('swav parity: report');
Report('worst relative error per quantity (all under 1e-4)', () => {
  const groups: Record<string, number> = {};
  for (const [k, v] of Object.entries(worst)) {
    const g = k.startsWith('grad ') ? 'grad (all params)' : k.startsWith('after ') ? (/running_/.test(k) ? 'running stats after step' : 'params after step') : k;
    groups[g] = Math.max(groups[g] ?? 0, v);
  }
  console.log(`  parity (max relative error = max|a-e|/max|e|):\n${Object.entries(worst).map(([k, v]) => `    ${k}: ${v.toExponential(2)}`).join('\n')}`);
  console.log(`  summary: ${Object.entries(groups).map(([k, v]) => `${k} ${v.toExponential(2)}`).join('; ')}`);
  assert.ok(Object.values(worst).every((v) => v < TOL));
});
Report.run();
