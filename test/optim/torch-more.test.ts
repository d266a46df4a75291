/**
 * RMSprop (plain, centered, with momentum and L2) and Adagrad (plain, with lr_decay, a starting
 * accumulator and L2) against PyTorch's trajectories (test/fixtures/optimizers_torch_more.json,
 * from tools/torch-fixtures-optim.py): the parameters after each of five steps within 1e-5,
 * eagerly and under jit. The gradients hold a zero entry and the parameters a zero.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, scope } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Params, type ParamsJson, disposeTree, maxErrVsJson, toTensors } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

interface MoreFixture {
  params0: ParamsJson;
  grads: ParamsJson[];
  cases: Record<string, { hyper: Record<string, number | boolean>; params_after_each_step: ParamsJson[] }>;
}
const fixture: MoreFixture = JSON.parse(readFileSync(new URL('../fixtures/optimizers_torch_more.json', import.meta.url), 'utf8'));

type Hyper = MoreFixture['cases'][string]['hyper'];
const num = (h: Hyper, k: string) => h[k] as number | undefined;
const rmsprop = (h: Hyper) =>
  optim.rmsprop({ learningRate: num(h, 'lr')!, alpha: num(h, 'alpha'), eps: num(h, 'eps'), weightDecay: num(h, 'weight_decay'), momentum: num(h, 'momentum'), centered: h.centered as boolean | undefined });
const adagrad = (h: Hyper) =>
  optim.adagrad({ learningRate: num(h, 'lr')!, lrDecay: num(h, 'lr_decay'), weightDecay: num(h, 'weight_decay'), initialAccumulatorValue: num(h, 'initial_accumulator_value'), eps: num(h, 'eps') });
const build = (name: string, h: Hyper) => (name.startsWith('rmsprop') ? rmsprop(h) : adagrad(h));

const test = suite(`optim: torch RMSprop and Adagrad [${backend}]`);

test('the fixture has the five cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).sort(), ['adagrad', 'adagrad_decay_init_wd', 'rmsprop', 'rmsprop_centered', 'rmsprop_momentum_centered_wd']);
});

for (const [name, c] of Object.entries(fixture.cases)) {
  for (const jitted of [false, true]) {
    test(`${name}${jitted ? ' (jit)' : ''}: parameters after each of ${c.params_after_each_step.length} steps within ${TOL}`, async () => {
      const before = tf.memory().numTensors;
      const opt = build(name, c.hyper);
      const body = (g: Params, s: unknown, p: Params) => {
        const [u, ns] = opt.update(g, s, p);
        return [optim.applyUpdates(p, u), ns] as const;
      };
      const step = jitted ? jit(body) : (g: Params, s: unknown, p: Params) => scope(() => body(g, s, p));
      let params = toTensors(fixture.params0);
      let state = scope(() => opt.init(params));
      for (const [k, gj] of fixture.grads.entries()) {
        const g = toTensors(gj);
        const [p, s] = step(g, state, params);
        disposeTree([g, params, state]);
        [params, state] = [p, s];
        const err = await maxErrVsJson(params, c.params_after_each_step[k]);
        assert.ok(err <= TOL, `${name} step ${k + 1}: max error ${err} > ${TOL}`);
      }
      disposeTree([params, state]);
      if (jitted) (step as ReturnType<typeof jit>).clearCache();
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
}

test('the state layout follows the options: no mu without centered, no momentum buffer without momentum', () => {
  const p = toTensors(fixture.params0);
  const plain = optim.rmsprop({ learningRate: 0.1 }).init(p) as unknown[];
  const full = optim.rmsprop({ learningRate: 0.1, momentum: 0.9, centered: true }).init(p) as unknown[];
  assert.equal(Object.keys(plain[1] as object), ['nu']);
  assert.equal(Object.keys(full[1] as object).sort(), ['mu', 'nu']);
  assert.equal(Object.keys(plain[2] as object), []);
  assert.equal(Object.keys(full[2] as object), ['trace']);
  assert.throws(() => optim.adagrad({ learningRate: 0.1, lrDecay: -1 }), /adagrad: lrDecay must be >= 0, got -1/);
  assert.throws(() => optim.scaleByRms({ decay: 1.5 }), /scaleByRms: decay must be in \[0, 1\], got 1.5/);
  disposeTree([p, plain, full]);
});

test.run();
