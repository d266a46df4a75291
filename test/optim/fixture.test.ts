/**
 * Against ../fixtures/optimizers.json (PyTorch 1.13): every optimiser's parameters after each
 * of three steps within 1e-5 (eager and jitted), and the swav learning-rate schedule within
 * 1e-9 on the float64 path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Params, disposeTree, fixture, fromFixture, maxErrVsJson, swavSchedule, toTensors } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;
const { params0, grads, cases } = fixture.optimizers;

const test = suite(`optim: torch fixture [${backend}]`);

test('the fixture covers the six optimisers', () => {
  assert.equal(Object.keys(cases).sort(), Object.keys(fromFixture).sort());
});

/** Runs the three fixture steps; returns the max error after each. */
async function run(name: string, jitted: boolean): Promise<number[]> {
  const opt = fromFixture[name](cases[name].hyper);
  const body = (g: Params, s: unknown, p: Params) => {
    const [u, ns] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), ns] as const;
  };
  // Not `jit(scope(...))`: core's `scope` inside a trace frees the trace's constants (see the report).
  const step = jitted ? jit(body) : (g: Params, s: unknown, p: Params) => scope(() => body(g, s, p));
  let params = toTensors(params0);
  let state = scope(() => opt.init(params));
  const errs: number[] = [];
  for (let k = 0; k < 3; k++) {
    const g = toTensors(grads[k]);
    const [p, s] = step(g, state, params);
    disposeTree([g, params, state]);
    params = p;
    state = s;
    errs.push(await maxErrVsJson(params, cases[name].params_after_each_step[k]));
  }
  disposeTree([params, state]);
  return errs;
}

for (const name of Object.keys(fromFixture)) {
  for (const jitted of [false, true]) {
    test(`${name}${jitted ? ' (jit)' : ''}: parameters after each of 3 steps within ${TOL}`, async () => {
      const errs = await run(name, jitted);
      console.log(`  ${name}${jitted ? ' jit' : ''} [${backend}]: max |error| per step ${errs.map((e) => e.toExponential(2)).join(', ')}`);
      errs.forEach((e, k) => assert.ok(e <= TOL, `${name} step ${k + 1}: max error ${e} > ${TOL}`));
    });
  }
}

const lrs = fixture.swav_lr_schedule.lr_per_iteration;

test('swav schedule: the float64 path within 1e-9 at every iteration', () => {
  const s = swavSchedule();
  let worst = 0;
  lrs.forEach((v, i) => (worst = Math.max(worst, Math.abs(optim.evaluateSchedule(s, i) - v))));
  console.log(`  swav schedule float64 path: max |error| ${worst.toExponential(2)} over ${lrs.length} iterations`);
  assert.ok(worst <= 1e-9, `max error ${worst}`);
});

test('swav schedule: the array path (float32, eager and jitted) within float32 rounding', async () => {
  const s = swavSchedule();
  const h = fixture.swav_lr_schedule.hyper;
  const warm = h.warmup_epochs * h.iters_per_epoch;
  const js = jit((step: tf.Tensor) => s(step));
  let worstRel = 0;
  for (let i = 0; i < lrs.length; i++) {
    const step = np.array(i, 'int32');
    const eager = scope(() => s(step)) as tf.Tensor;
    const jitted = js(step) as tf.Tensor;
    const [a, b] = [(await eager.data())[0], (await jitted.data())[0]];
    tf.dispose([step, eager, jitted]);
    assert.is(a, b, `eager and jit differ at step ${i}`);
    // The warmup is torch.linspace in float32: the array path reproduces it bit for bit.
    if (i < warm) assert.is(a, lrs[i], `warmup step ${i}`);
    worstRel = Math.max(worstRel, Math.abs(a - lrs[i]) / lrs[i]);
  }
  assert.is(js.cacheSize(), 1, 'one trace for every step');
  js.clearCache();
  console.log(`  swav schedule array path: max relative error ${worstRel.toExponential(2)}`);
  assert.ok(worstRel < 1e-5, `relative error ${worstRel}`);
});

test("swav schedule: linspace 'float64' is numpy's (swav's main_swav.py), within 2.4e-7 of torch's float32", () => {
  const s64 = swavSchedule('float64');
  const h = fixture.swav_lr_schedule.hyper;
  const warm = h.warmup_epochs * h.iters_per_epoch;
  assert.is(s64.at(0), h.start_warmup);
  assert.is(s64.at(warm - 1), h.base_lr);
  let worst = 0;
  lrs.forEach((v, i) => {
    const d = Math.abs(s64.at(i) - v);
    worst = Math.max(worst, d);
    if (i >= warm) assert.ok(d <= 1e-9, `cosine part at ${i}`);
  });
  assert.ok(worst > 1e-8 && worst < 2.4e-7, `float64 vs the float32 fixture: ${worst}`);
});

test.run();
