/**
 * optax.contrib optimisers: prodigy, dog / scaleByDog, dowg / scaleByDowg, cocob / scaleByCocob,
 * mechanize, sam (transparent and opaque modes) and normalize, against
 * test/fixtures/optax_contrib.json (tools/optax-contrib.py: optax's contrib source in float64
 * numpy). Parameters {b: [3], w: [2, 3]}; the gradient of step k at x is d·(x − t) + n_k. Each
 * step's update within 1e-4 of the largest reference update of that step (relative), and the
 * parameters within 1e-5, eagerly and under jit.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, type NdArray } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { leafValuesFlat, scopedTests } from './common.js';

const backend = await useTestBackend();

interface Case {
  params_after_each_step: number[][];
  updates: number[][];
  zero_start: boolean;
}
const fixture: { x0: number[]; d: number[]; t: number[]; noise: number[][]; cases: Record<string, Case> } = JSON.parse(
  readFileSync(new URL('../fixtures/optax_contrib.json', import.meta.url), 'utf8'),
);

type P = { b: NdArray; w: NdArray };
/** The flat layout concat(b, w) of the fixture as the tree {b: [3], w: [2, 3]}. */
const toTree = (flat: readonly number[]): P => ({ b: np.array(flat.slice(0, 3)), w: np.reshape(np.array(flat.slice(3)), [2, 3]) });
const D = () => toTree(fixture.d);
const T = () => toTree(fixture.t);
const gradAt = (x: P, k: number): P => {
  const [d, t, n] = [D(), T(), toTree(fixture.noise[k])];
  return { b: np.add(np.mul(d.b, np.sub(x.b, t.b)), n.b), w: np.add(np.mul(d.w, np.sub(x.w, t.w)), n.w) };
};
const W_ONLY = { b: false, w: true };
const advSgd = () => optim.chain(optim.normalize(), optim.sgd({ learningRate: 0.05 }));
const advMomentum = () => optim.chain(optim.normalize(), optim.sgd({ learningRate: 0.05, momentum: 0.9 }));

function build(name: string): optim.GradientTransformation {
  switch (name) {
    case 'prodigy':
      return optim.prodigy();
    case 'prodigy_wd_mask_safeguard':
      return optim.prodigy({ learningRate: 0.5, betas: [0.8, 0.99], beta3: 0.9, weightDecay: 0.1, safeguardWarmup: true, weightDecayMask: W_ONLY, estimLr0: 1e-3, estimLrCoef: 2 });
    case 'dog':
      return optim.dog();
    case 'dog_lr_init_wd':
      return optim.dog({ learningRate: 0.5, initStep: ['learningRate', 0.1], weightDecay: 0.01, mask: W_ONLY });
    case 'dog_distance':
      return optim.dog({ initStep: ['distance', 0.5] });
    case 'dowg':
      return optim.dowg();
    case 'dowg_init_wd':
      return optim.dowg({ learningRate: 0.5, initEstimSqDist: 0.1, weightDecay: 0.01 });
    case 'cocob':
      return optim.cocob();
    case 'cocob_lr_alpha_wd':
      return optim.cocob({ learningRate: 0.5, alpha: 50, weightDecay: 0.01, mask: W_ONLY });
    case 'mechanize_sgd':
      return optim.mechanize(optim.sgd({ learningRate: 0.1 }));
    case 'mechanize_adam_wd':
      return optim.mechanize(optim.adam({ learningRate: 0.01 }), { weightDecay: 0.1, numBetas: 3, sInit: 1e-4 });
    case 'sam_sgd':
      return optim.sam(optim.sgd({ learningRate: 0.1 }), advSgd());
    case 'sam_adam_sync3_momentum_adv_keep':
      return optim.sam(optim.adam({ learningRate: 0.05 }), advMomentum(), { syncPeriod: 3, resetState: false });
    case 'sam_adam_sync3_momentum_adv_reset':
      return optim.sam(optim.adam({ learningRate: 0.05 }), advMomentum(), { syncPeriod: 3 });
    case 'sam_opaque_sync3':
      return optim.sam(optim.sgd({ learningRate: 0.1 }), advMomentum(), { syncPeriod: 3, opaqueMode: true });
  }
  throw new Error(`no builder for fixture case ${name}`);
}

const test = suite(`optim: optax.contrib (prodigy, dog, dowg, cocob, mechanize, sam) [${backend}]`);
scopedTests(test);

for (const [name, c] of Object.entries(fixture.cases)) {
  for (const jitted of [false, true]) {
    test(`${name}${jitted ? ' (jit)' : ''}: each of ${c.updates.length} updates within 1e-4 (relative), parameters within 1e-5`, async () => {
      const opt = build(name);
      const body = (x: P, s: unknown, k: number) => {
        const [u, ns] = opt.update(gradAt(x, k), s, x, { gradFn: (p: P) => gradAt(p, k) });
        return [u, optim.applyUpdates(x, u), ns] as const;
      };
      // Under jit the step's noise is baked into the trace: one trace per step (8 small ones).
      const step = (x: P, s: unknown, k: number) => (jitted ? jit((x2: P, s2: unknown) => body(x2, s2, k))(x, s) : body(x, s, k));
      let x = toTree(c.zero_start ? fixture.x0.map(() => 0) : fixture.x0);
      let state = opt.init(x);
      for (let k = 0; k < c.updates.length; k++) {
        const [u, nx, ns] = step(x, state, k);
        [x, state] = [nx, ns];
        const got = await leafValuesFlat(u);
        const want = c.updates[k];
        const scale = Math.max(...want.map(Math.abs));
        const err = Math.max(...got.map((v, i) => Math.abs(v - want[i])));
        assert.ok(err <= 1e-4 * scale + 1e-12, `${name} step ${k + 1}: update error ${err} (largest update ${scale})`);
        const px = await leafValuesFlat(x);
        const perr = Math.max(...px.map((v, i) => Math.abs(v - c.params_after_each_step[k][i])));
        assert.ok(perr <= 1e-5, `${name} step ${k + 1}: parameter error ${perr}`);
      }
    });
  }
}

test('dog and prodigy states have optax layout; bad options give one-line errors', () => {
  const x = toTree(fixture.x0);
  const s = optim.scaleByDog(['heuristic', 1e-6]).init(x);
  assert.is(s.isInitStep.dataSync()[0], 1);
  assert.ok(Math.abs(s.maxDist.dataSync()[0] - 1e-6 * (1 + Math.hypot(...fixture.x0))) < 1e-12);
  const p = optim.prodigy().init(x);
  assert.is(p.count.dtype, 'int32');
  assert.ok(Math.abs(p.estimLr.dataSync()[0] - 1e-6) < 1e-13);
  assert.throws(() => optim.scaleByDog(['radius' as 'distance', 1]), /initStep\[0\] must be 'distance', 'learningRate' or 'heuristic'/);
  assert.throws(() => optim.sam(optim.sgd({ learningRate: 0.1 }), advSgd(), { syncPeriod: 0 }), /syncPeriod must be an integer >= 1/);
  const opaque = optim.sam(optim.sgd({ learningRate: 0.1 }), advSgd(), { opaqueMode: true });
  assert.throws(() => opaque.update(gradAt(x, 0), opaque.init(x), x), /opaqueMode needs the extra argument gradFn/);
  assert.throws(() => optim.prodigy().update(gradAt(x, 0), p), /prodigy: update needs the current parameters/);
});

test('conditionallyMask / conditionallyTransform: inner only where shouldTransformFn(step) holds, its state kept otherwise (eager and jit)', async () => {
  const g = { b: np.array([1, -2, 3]), w: np.ones([2, 3]) };
  for (const jitted of [false, true]) {
    for (const [make, skipped] of [[optim.conditionallyMask, 'zeros'], [optim.conditionallyTransform, 'unchanged']] as const) {
      const opt = make(optim.sgd({ learningRate: 0.1, momentum: 0.5 }), (step: NdArray) => np.greaterEqual(step, 2));
      const run = (s: unknown) => opt.update(g, s as optim.ConditionallyState<unknown>, g);
      const step = jitted ? jit(run) : run;
      let state: unknown = opt.init(g);
      const firsts: number[] = [];
      for (let k = 0; k < 4; k++) {
        const [u, s] = step(state);
        state = s;
        firsts.push((await leafValuesFlat(u))[0]);
      }
      // Steps 0, 1 skipped; at 2 momentum starts from its initial zero trace: -0.1·1, then -0.1·(1 + 0.5).
      const want = skipped === 'zeros' ? [0, 0, -0.1, -0.15] : [1, 1, -0.1, -0.15];
      firsts.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-6, `${make.name}${jitted ? ' (jit)' : ''} step ${k}: ${firsts} vs ${want}`));
      assert.is((state as optim.ConditionallyState<unknown>).step.dataSync()[0], 4);
    }
  }
  // forwardExtraArgs: the predicate also sees update's extra arguments.
  const gated = optim.conditionallyMask(optim.sgd({ learningRate: 1 }), (_s, extra) => extra?.apply as boolean, { forwardExtraArgs: true });
  const [u] = gated.update(g, gated.init(g), g, { apply: false });
  assert.equal(await leafValuesFlat(u), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
});

test('masks given as number trees: 0 is false and any other number true, as optax tests a mask leaf\'s truth', async () => {
  const p = { b: np.array([1, 2, 3]), w: np.ones([2, 3]) };
  const t = optim.masked(optim.scale(10), { b: 1, w: 0 });
  const [u] = t.update(p, t.init(p), p);
  assert.equal(await leafValuesFlat(u), [10, 20, 30, 1, 1, 1, 1, 1, 1]);
  const d = optim.addDecayedWeights(1, { b: 0, w: 2 });
  const [v] = d.update(p, d.init(p), p);
  assert.equal(await leafValuesFlat(v), [1, 2, 3, 2, 2, 2, 2, 2, 2]);
  const adamw = optim.adamw({ learningRate: 0.1, weightDecay: 0.5, mask: { b: 0, w: 1 } });
  const [a] = adamw.update(p, adamw.init(p), p);
  const got = await leafValuesFlat(a);
  // Adam's first step is -lr·sign(g) = -0.1; w also decays by lr·wd·p = 0.05.
  got.forEach((x, i) => assert.ok(Math.abs(x - (i < 3 ? -0.1 : -0.15)) < 1e-5, `adamw with a 0/1 mask: ${got}`));
});

test.run();
