/** Schedules: end points and shapes, float64 vs array paths, jit with the step as an array. */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: schedules [${backend}]`);

/** The array path's value at an integer step (int32 step array, eagerly). */
async function onArray(s: optim.Schedule, step: number): Promise<number> {
  const t = np.array(step, 'int32');
  const v = scope(() => s(t)) as tf.Tensor;
  const out = (await v.data())[0];
  tf.dispose([t, v]);
  return out;
}

/** Checks the array path against the float64 path at the given steps (float32 tolerance). */
async function bothPaths(s: optim.Schedule, steps: number[], rtol = 2e-6, atol = 1e-7) {
  for (const i of steps) {
    const [a, b] = [await onArray(s, i), s.at(i)];
    assert.ok(Math.abs(a - b) <= atol + rtol * Math.abs(b), `step ${i}: array ${a} vs float64 ${b}`);
  }
}

test('constant', async () => {
  const s = optim.constant(0.25);
  assert.is(s.at(0), 0.25);
  assert.is(s.at(1e6), 0.25);
  assert.is(await onArray(s, 7), 0.25);
  assert.is(optim.evaluateSchedule(0.5, 3), 0.5);
});

test('linear: end points, midpoint, constant outside', async () => {
  const s = optim.linear({ init: 1, end: 0.1, steps: 10, begin: 5 });
  assert.is(s.at(0), 1);
  assert.is(s.at(5), 1);
  assert.ok(Math.abs(s.at(10) - 0.55) < 1e-15);
  assert.ok(Math.abs(s.at(15) - 0.1) < 1e-15);
  assert.ok(Math.abs(s.at(100) - 0.1) < 1e-15);
  await bothPaths(s, [0, 4, 5, 6, 10, 14, 15, 16, 100]);
  assert.is(optim.linear({ init: 1, end: 0, steps: 0 }).at(7), 1); // optax: no transition holds init
});

test('cosineDecay: init at 0, halfway mean, end at decaySteps and after', async () => {
  const s = optim.cosineDecay({ init: 2, decaySteps: 100, end: 0.5 });
  assert.is(s.at(0), 2);
  assert.ok(Math.abs(s.at(50) - 1.25) < 1e-15);
  assert.ok(Math.abs(s.at(100) - 0.5) < 1e-15);
  assert.ok(Math.abs(s.at(1000) - 0.5) < 1e-15);
  for (let i = 1; i <= 100; i++) assert.ok(s.at(i) <= s.at(i - 1), 'non-increasing');
  await bothPaths(s, [0, 1, 37, 50, 99, 100, 250]);
  assert.is(optim.cosineDecay({ init: 1, decaySteps: 10 }).at(10), 0);
});

test('joinSchedules: switches at the boundaries and restarts the step count', async () => {
  const s = optim.joinSchedules([optim.constant(3), optim.linear({ init: 0, end: 10, steps: 10 }), 7], [5, 10]);
  assert.is(s.at(0), 3);
  assert.is(s.at(4), 3);
  assert.is(s.at(5), 0);
  assert.is(s.at(7), 2);
  assert.is(s.at(9), 4);
  assert.is(s.at(10), 7);
  assert.is(s.at(50), 7);
  await bothPaths(s, [0, 4, 5, 7, 9, 10, 50]);
  assert.throws(() => optim.joinSchedules([1, 2], []), /need 1 boundary/);
  assert.throws(() => optim.joinSchedules([1, 2, 3], [5, 2]), /non-decreasing/);
});

test('linspace: float32 is torch.linspace (halves counted from each end), float64 is np.linspace', async () => {
  const f32 = optim.linspace(0.3, 4.8, 10, 'float32');
  const f64 = optim.linspace(0.3, 4.8, 10, 'float64');
  assert.is(f32.at(0), Math.fround(0.3));
  assert.is(f32.at(9), Math.fround(4.8));
  assert.is(f64.at(0), 0.3);
  assert.is(f64.at(9), 4.8);
  assert.is(f64.at(20), 4.8);
  // Every float32 value is a float32, and the array path gives the same bits.
  for (let i = 0; i < 10; i++) {
    assert.is(Math.fround(f32.at(i)), f32.at(i));
    assert.is(await onArray(f32, i), f32.at(i), `step ${i}`);
    assert.ok(Math.abs(f32.at(i) - f64.at(i)) < 3e-7);
  }
  assert.is(optim.linspace(2, 5, 1).at(3), 2);
});

test('warmupCosine: linspace warmup then cosine; no warmup; argument checks', () => {
  const s = optim.warmupCosine({ start: 0, base: 1, final: 0, warmupSteps: 4, totalSteps: 14, linspace: 'float64' });
  assert.equal([0, 1, 2, 3].map((i) => s.at(i)), [0, 1 / 3, 2 / 3, 1]);
  assert.is(s.at(4), 1);
  assert.ok(Math.abs(s.at(9) - 0.5) < 1e-15);
  assert.is(s.at(14), 0);
  const noWarm = optim.warmupCosine({ start: 0, base: 1, final: 0.1, warmupSteps: 0, totalSteps: 10 });
  assert.is(noWarm.at(0), 1);
  assert.throws(() => optim.warmupCosine({ start: 0, base: 1, final: 0, warmupSteps: 10, totalSteps: 10 }), /must exceed/);
});

test('exponentialDecay: optax exponential_decay, continuous and staircase, delayed, bounded by end', async () => {
  const s = optim.exponentialDecay({ init: 0.1, transitionSteps: 1000, decayRate: 0.5 });
  assert.is(s.at(0), 0.1);
  assert.ok(Math.abs(s.at(2000) - 0.025) < 1e-15);
  assert.ok(Math.abs(s.at(500) - 0.1 * Math.SQRT1_2) < 1e-15);
  const stairs = optim.exponentialDecay({ init: 1, transitionSteps: 10, decayRate: 0.1, staircase: true, transitionBegin: 5 });
  assert.equal([0, 5, 14, 15, 24, 25].map((i) => stairs.at(i)), [1, 1, 1, 0.1, 0.1, 1 * 0.1 ** 2]);
  const floored = optim.exponentialDecay({ init: 1, transitionSteps: 1, decayRate: 0.5, end: 0.2 });
  assert.equal([1, 2, 3, 9].map((i) => floored.at(i)), [0.5, 0.25, 0.2, 0.2]);
  const growing = optim.exponentialDecay({ init: 1, transitionSteps: 1, decayRate: 2, end: 5 });
  assert.equal([2, 3, 9].map((i) => growing.at(i)), [4, 5, 5]);
  await bothPaths(s, [0, 1, 499, 500, 2000, 7777]);
  await bothPaths(stairs, [0, 4, 5, 6, 14, 15, 16, 40]);
  await bothPaths(floored, [0, 1, 2, 3, 100]);
  // optax: a non-positive transitionSteps or a zero decayRate give the constant init.
  assert.is(optim.exponentialDecay({ init: 1, transitionSteps: 0, decayRate: 0.5 }).at(7), 1);
  assert.is(optim.exponentialDecay({ init: 1, transitionSteps: 1, decayRate: 0 }).at(7), 1);
  assert.throws(() => optim.exponentialDecay({ init: 1, transitionSteps: 1, decayRate: -0.5 }), /exponentialDecay: decayRate must be >= 0, got -0.5/);
});

test('piecewiseConstant: each scale applies from its boundary on, in boundary order', async () => {
  const s = optim.piecewiseConstant(0.1, [[60, 0.5], [30, 0.1]]);
  assert.equal([0, 29, 30, 59, 60, 1000].map((i) => s.at(i)), [0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1 * 0.5, 0.1 * 0.1 * 0.5]);
  await bothPaths(s, [0, 29, 30, 31, 59, 60, 61]);
  assert.is(optim.piecewiseConstant(2, []).at(10), 2);
  assert.throws(() => optim.piecewiseConstant(1, [[NaN, 0.1]]), /piecewiseConstant: boundaries and scales must be finite numbers, got \[NaN, 0.1\]/);
});

test('under jit the step is an array: one trace serves every step, values match the float64 path', async () => {
  let traces = 0;
  const s = optim.warmupCosine({ start: 0.1, base: 1, final: 0.01, warmupSteps: 5, totalSteps: 20 });
  const f = jit((step: tf.Tensor) => {
    traces++;
    return s(step);
  });
  for (let i = 0; i < 25; i++) {
    const t = np.array(i, 'int32');
    const v = f(t) as tf.Tensor;
    const got = (await v.data())[0];
    tf.dispose([t, v]);
    assert.ok(Math.abs(got - s.at(i)) <= 2e-6 * s.at(i), `step ${i}: ${got} vs ${s.at(i)}`);
  }
  assert.is(traces, 1);
  assert.is(f.cacheSize(), 1);
  f.clearCache();
});

test('a float32 step array works as well as int32', async () => {
  const s = optim.cosineDecay({ init: 1, decaySteps: 10 });
  const t = np.array(5, 'float32');
  const v = s(t) as tf.Tensor;
  assert.ok(Math.abs((await v.data())[0] - 0.5) < 1e-6);
  tf.dispose([t, v]);
});

test('a plain (step: NdArray) => NdArray function is a schedule too', async () => {
  const f = (step: NdArray) => np.div(1, np.add(np.cast(step, 'float32'), 1));
  assert.ok(Math.abs(optim.evaluateSchedule(f, 3) - 0.25) < 1e-7);
  const joined = optim.joinSchedules([0.5, f], [2]);
  assert.is(joined.at(0), 0.5);
  assert.ok(Math.abs(joined.at(5) - 0.25) < 1e-7);
  assert.ok(Math.abs((await onArray(joined, 5)) - 0.25) < 1e-7);
  const before = tf.memory().numTensors;
  optim.evaluateSchedule(f, 9);
  assert.is(tf.memory().numTensors, before, 'evaluating a function schedule frees its tensors');
});

test.run();
