/**
 * optax's schedules (polynomial, cosine decay with an exponent, warmup + cosine / exponential,
 * piecewise interpolation, one-cycle, SGDR) against optax's definitions evaluated in float64
 * (test/fixtures/schedules_optax.json, from tools/numpy-fixtures-schedules.py, which also
 * reproduces optax's docstring example for polynomial_schedule): the float64 path within 1e-12,
 * the float32 array path eagerly and under jit with the step traced.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: optax schedules [${backend}]`);
const fixture = JSON.parse(readFileSync(new URL('../fixtures/schedules_optax.json', import.meta.url), 'utf8')) as { cases: Record<string, number[]> };

const SCHEDULES: Record<string, optim.Schedule> = {
  polynomial: optim.polynomial({ init: 1, end: 0.01, power: 2, steps: 100, begin: 5 }),
  polynomial_half_power: optim.polynomial({ init: 0.5, end: 0.1, power: 0.5, steps: 40 }),
  cosine_decay_exponent: optim.cosineDecay({ init: 2, decaySteps: 30, end: 0.2, exponent: 3 }),
  warmup_cosine_decay: optim.warmupCosineDecay({ init: 0, peak: 1e-3, warmupSteps: 10, decaySteps: 60, end: 1e-5 }),
  warmup_cosine_decay_exponent: optim.warmupCosineDecay({ init: 0.1, peak: 1, warmupSteps: 5, decaySteps: 30, end: 0.2, exponent: 2 }),
  warmup_exponential_decay: optim.warmupExponentialDecay({ init: 0, peak: 0.5, warmupSteps: 8, transitionSteps: 10, decayRate: 0.5, transitionBegin: 4, staircase: true, end: 0.05 }),
  piecewise_interpolate_linear: optim.piecewiseInterpolate('linear', 1, [[10, 2], [25, 0.5], [40, 0.1]]),
  piecewise_interpolate_cosine: optim.piecewiseInterpolate('cosine', 1, [[10, 2], [25, 0.5], [40, 0.1]]),
  cosine_onecycle: optim.cosineOnecycle({ transitionSteps: 100, peak: 0.1 }),
  linear_onecycle: optim.linearOnecycle({ transitionSteps: 50, peak: 2, pctStart: 0.2, pctFinal: 0.7, divFactor: 10, finalDivFactor: 100 }),
  sgdr: optim.sgdr([
    { init: 0, peak: 1, warmupSteps: 3, decaySteps: 20, end: 0.1 },
    { init: 0.1, peak: 0.5, warmupSteps: 2, decaySteps: 15 },
  ]),
};

test('every fixture case has a schedule, and every schedule a case', () => {
  assert.equal(Object.keys(fixture.cases).sort(), Object.keys(SCHEDULES).sort());
});

for (const [name, want] of Object.entries(fixture.cases)) {
  test(`${name}: float64 path, array path, jit`, () => {
    const s = SCHEDULES[name];
    want.forEach((v, step) => assert.ok(Math.abs(s.at(step) - v) <= 1e-12 * Math.max(1, Math.abs(v)), `${name} at ${step}: ${s.at(step)} vs ${v}`));
    const steps = tf.range(0, want.length, 1, 'int32');
    const jitted = jit((t: NdArray) => s(t));
    for (const [mode, f] of [['eager', s], ['jit', jitted]] as const) {
      const got = tf.tidy(() => tf.unstack(steps).map((t) => (f(t) as tf.Tensor).dataSync()[0]));
      got.forEach((g, step) => assert.ok(Math.abs(g - want[step]) <= 1e-7 + 2e-6 * Math.abs(want[step]), `${name} (${mode}) at ${step}: ${g} vs ${want[step]}`));
    }
    jitted.clearCache();
    steps.dispose();
  });
}

test('errors name the schedule and the bad value', () => {
  assert.throws(() => optim.polynomial({ init: 1, end: 0, power: 2, steps: NaN }), /polynomial: steps must be a finite number, got NaN/);
  assert.throws(() => optim.linear({ init: 1, end: 0, steps: Infinity }), /linear: steps must be a finite number, got Infinity/);
  assert.throws(() => optim.warmupCosineDecay({ init: 0, peak: 1, warmupSteps: 10, decaySteps: 10 }), /decaySteps \(10\) must exceed warmupSteps \(10\)/);
  assert.throws(() => optim.piecewiseInterpolate('linear', 1, [[5, 1], [5, 2]]), /piecewiseInterpolate: boundaries must be increasing/);
  assert.throws(() => optim.sgdr([]), /sgdr: needs at least one cycle/);
});

test.run();
