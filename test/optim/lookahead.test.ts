/**
 * lookahead (optax.lookahead) against reference trajectories of both the fast and the slow
 * parameters (test/fixtures/optax_more.json, `lookahead` cases, from tools/optax-fixtures-more.py):
 * within 1e-5 (float32 rounding over 8 steps, see optax-more.test.ts), eagerly and under jit,
 * with no tensor left behind; resetState re-initialises the fast optimiser at each sync.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Params, type ParamsJson, disposeTree, maxErrVsJson, toTensors } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

interface Fixture {
  params0: ParamsJson;
  grads: ParamsJson[];
  lookahead: Record<string, { hyper: Record<string, number | boolean>; params_after_each_step: { fast: ParamsJson; slow: ParamsJson }[] }>;
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/optax_more.json', import.meta.url), 'utf8'));

function build(name: string): optim.GradientTransformation {
  const h = fixture.lookahead[name].hyper;
  const fast = name.startsWith('adam') ? optim.adam({ learningRate: h.lr as number }) : optim.sgd({ learningRate: h.lr as number, momentum: h.momentum as number });
  return optim.lookahead(fast, { syncPeriod: h.sync_period as number, slowStepSize: h.slow_step_size as number, resetState: h.reset_state as boolean });
}

const test = suite(`optim: lookahead [${backend}]`);

for (const name of Object.keys(fixture.lookahead)) {
  for (const jitted of [false, true]) {
    test(`${name}${jitted ? ' (jit)' : ''}: fast and slow parameters after each step within ${TOL}`, async () => {
      const before = tf.memory().numTensors;
      const opt = build(name);
      type LP = optim.LookaheadParams<Params>;
      const body = (g: Params, s: unknown, p: LP) => {
        const [u, ns] = opt.update(g, s, p as never);
        return [optim.applyUpdates(p, u as unknown as LP), ns] as const;
      };
      const step = jitted ? jit(body) : (g: Params, s: unknown, p: LP) => scope(() => body(g, s, p));
      let params: LP = optim.lookaheadParams(toTensors(fixture.params0));
      let state = scope(() => opt.init(params));
      for (const [k, gj] of fixture.grads.entries()) {
        const g = toTensors(gj);
        const [p, s] = step(g, state, params);
        disposeTree([g, params, state]);
        [params, state] = [p as LP, s];
        const ref = fixture.lookahead[name].params_after_each_step[k];
        const errFast = await maxErrVsJson(params.fast, ref.fast);
        const errSlow = await maxErrVsJson(params.slow, ref.slow);
        assert.ok(errFast <= TOL && errSlow <= TOL, `step ${k + 1}: errors fast ${errFast}, slow ${errSlow}`);
      }
      disposeTree([params, state]);
      if (jitted) (step as ReturnType<typeof jit>).clearCache();
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
}

test('init takes {fast, slow} or plain parameters; stepsSinceSync counts modulo syncPeriod', () => {
  const opt = optim.lookahead(optim.adam({ learningRate: 0.1 }), { syncPeriod: 2, slowStepSize: 0.5 });
  const p = { w: np.array([1, 2]) };
  const a = opt.init(optim.lookaheadParams(p));
  const b = opt.init(p);
  assert.equal(JSON.stringify(Object.keys(a)), JSON.stringify(Object.keys(b)));
  const lp = optim.lookaheadParams(p);
  const [, s1] = opt.update({ w: np.array([0.1, 0.1]) }, a, lp as never);
  const [, s2] = opt.update({ w: np.array([0.1, 0.1]) }, s1, lp as never);
  assert.is((s1.stepsSinceSync as tf.Tensor).dataSync()[0], 1);
  assert.is((s2.stepsSinceSync as tf.Tensor).dataSync()[0], 0);
});

test('bad options and missing params give a one-line error', () => {
  const sgd = optim.sgd({ learningRate: 0.1 });
  assert.throws(() => optim.lookahead(sgd, { syncPeriod: 0, slowStepSize: 0.5 }), /lookahead: syncPeriod must be a positive integer, got 0/);
  assert.throws(() => optim.lookahead(sgd, { syncPeriod: 1.5, slowStepSize: 0.5 }), /lookahead: syncPeriod must be a positive integer, got 1.5/);
  assert.throws(() => optim.lookahead(sgd, { syncPeriod: 2, slowStepSize: NaN }), /lookahead: slowStepSize must be a finite number, got NaN/);
  const opt = optim.lookahead(sgd, { syncPeriod: 2, slowStepSize: 0.5 });
  const p = { w: np.array([1]) };
  assert.throws(() => opt.update(p, opt.init(p)), /lookahead: update needs the current parameters/);
  assert.throws(() => opt.update(p, opt.init(p), p), /lookahead: params must be \{fast, slow\}/);
});

test.run();
