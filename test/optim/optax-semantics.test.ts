/**
 * optax's semantics at the edges its own tests check: the schedules' fallbacks (no transition,
 * a zero decay rate, a negative begin, a zero peak, a boundary at step 0), scale_by_adam's
 * `nesterov`, apply_updates keeping the parameters' dtype, global_norm of an empty tree, and
 * incremental_update / periodic_update. Reference values are optax's formulas evaluated in
 * float64 here (each written out next to its check).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const T = suite(`optim: optax semantics [${backend}]`);

const read = (x: NdArray) => Array.from(x.dataSync());
const steps = [0, 1, 3, 7, 15];
/** The schedule's float64 path and its float32 array path (under jit, the step traced) at `steps`. */
function values(s: optim.Schedule): { exact: number[]; array: number[] } {
  const f = jit((t: NdArray) => s(t));
  return { exact: steps.map((t) => s.at(t)), array: steps.map((t) => f(np.array(t, 'int32')).dataSync()[0]!) };
}
function expectConstant(s: optim.Schedule, v: number, what: string): void {
  const { exact, array } = values(s);
  assert.equal(exact, steps.map(() => v), `${what} (float64)`);
  allClose(array, steps.map(() => v), { rtol: 1e-7, atol: 0 }, `${what} (array)`);
}

T('polynomial / linear: transition steps <= 0 hold init (optax logs and returns a constant)', () => {
  for (const n of [0, -1]) {
    expectConstant(optim.polynomial({ init: 10, end: 20, power: 1, steps: n }), 10, `polynomial steps ${n}`);
    expectConstant(optim.linear({ init: 10, end: 20, steps: n }), 10, `linear steps ${n}`);
  }
});

T('polynomial: a negative begin falls back to 0', () => {
  const s = optim.polynomial({ init: 1, end: 0, power: 2, steps: 10, begin: -4 });
  // (1 - 0) (1 - t / 10)^2 at t = 3
  assert.ok(Math.abs(s.at(3) - 0.49) < 1e-12, `${s.at(3)}`);
});

T('exponentialDecay: transitionSteps <= 0 or decayRate 0 hold init; a negative transitionBegin counts from 0', () => {
  expectConstant(optim.exponentialDecay({ init: 1, transitionSteps: 0, decayRate: 0.5 }), 1, 'transitionSteps 0');
  expectConstant(optim.exponentialDecay({ init: 1, transitionSteps: -1, decayRate: 0.5 }), 1, 'transitionSteps -1');
  expectConstant(optim.exponentialDecay({ init: 2, transitionSteps: 3, decayRate: 0 }), 2, 'decayRate 0');
  const s = optim.exponentialDecay({ init: 1, transitionSteps: 2, decayRate: 0.5, transitionBegin: -5 });
  assert.ok(Math.abs(s.at(3) - 0.5 ** 1.5) < 1e-12, `${s.at(3)}`);
  assert.is(s.at(0), 1);
});

T('piecewiseConstant: a negative scale is an error, as optax', () => {
  assert.throws(() => optim.piecewiseConstant(1, [[3, -0.5]]), /piecewiseConstant: scales must be >= 0 \(as optax\), got \[3, -0.5\]/);
});

T('warmupCosineDecay: with peak 0 optax takes alpha = 0, so the end value is ignored', () => {
  expectConstant(optim.warmupCosineDecay({ init: 0, peak: 0, warmupSteps: 2, decaySteps: 10, end: 0.5 }), 0, 'peak 0');
});

T('piecewiseInterpolate: a boundary at step 0 applies from the start (interval size floored at 1, as optax)', () => {
  const s = optim.piecewiseInterpolate('linear', 1, [[0, 2], [10, 0.5]]);
  // values [1, 2, 1] at bounds [0, 0, 10]: 2 at 0, then linear to 1 at 10.
  const expected = [2, 1.9, 1.7, 1.3, 1];
  const { exact, array } = values(s);
  allClose(exact, expected, { rtol: 1e-12, atol: 1e-12 });
  allClose(array, expected, { rtol: 1e-6, atol: 0 });
});

T("scaleByAdam({ nesterov }): optax's b1 mu / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)", () => {
  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const grads = [[0.5, -2], [1, 0.25], [-0.3, 3]];
  const tx = optim.scaleByAdam({ nesterov: true });
  let state = tx.init({ w: np.zeros([2]) });
  let mu = [0, 0];
  let nu = [0, 0];
  grads.forEach((g, i) => {
    const t = i + 1;
    const [u, next] = tx.update({ w: np.array(g) }, state);
    state = next;
    mu = mu.map((m, j) => b1 * m + (1 - b1) * g[j]!);
    nu = nu.map((v, j) => b2 * v + (1 - b2) * g[j]! ** 2);
    const expected = g.map((gj, j) => {
      const muHat = (b1 * mu[j]!) / (1 - b1 ** (t + 1)) + ((1 - b1) * gj) / (1 - b1 ** t);
      return muHat / (Math.sqrt(nu[j]! / (1 - b2 ** t)) + eps);
    });
    // 1 - b2^t in float32 (as optax computes it in float32) is ~2e-3 with an absolute error of
    // ~6e-8: up to 3e-5 relative. A wrong look-ahead term is off by ~10%.
    allClose(read(u.w), expected, { rtol: 1e-4, atol: 1e-7 }, `step ${t}`);
  });
  // optax.adam(nesterov=True) = chain(scale_by_adam(nesterov=True), scale_by_learning_rate)
  const adam = optim.adam({ learningRate: 0.1, nesterov: true });
  const [u1] = adam.update({ w: np.array(grads[0]!) }, adam.init({ w: np.zeros([2]) }), { w: np.zeros([2]) });
  const [n1] = optim.scaleByAdam({ nesterov: true }).update({ w: np.array(grads[0]!) }, optim.scaleByAdam().init({ w: np.zeros([2]) }));
  allClose(read(u1.w), read(n1.w).map((v) => -0.1 * v), { rtol: 1e-6, atol: 0 });
});

T("applyUpdates keeps each parameter's dtype (optax's astype(p.dtype))", () => {
  const out = optim.applyUpdates({ i: np.array([1, 2], 'int32'), f: np.array([1, 2]) }, { i: np.array([0.5, -1.5]), f: np.array([0.5, -1.5]) });
  assert.is(out.i.dtype, 'int32');
  assert.equal(read(out.i), [1, 0]); // 1.5 -> 1, 0.5 -> 0: astype truncates
  assert.is(out.f.dtype, 'float32');
  assert.equal(read(out.f), [1.5, 0.5]);
});

T('globalNorm of a tree with no leaves is 0, and clipByGlobalNorm leaves zero updates at zero', () => {
  assert.equal(read(optim.globalNorm({})), [0]);
  const clip = optim.clipByGlobalNorm(1);
  const [u] = clip.update({ a: np.zeros([3]), b: np.zeros([2, 2]) }, clip.init({}));
  assert.equal([...read(u.a), ...read(u.b)], [0, 0, 0, 0, 0, 0, 0]);
});

T('incrementalUpdate: step_size new + (1 - step_size) old (optax test_incremental_update)', () => {
  const old = { a: np.ones([3, 2]), b: np.ones([1, 1]) };
  const fresh = { a: np.full([3, 2], 2), b: np.full([1, 1], 2) };
  const out = optim.incrementalUpdate(fresh, old, 0.5);
  assert.equal(read(out.a), Array(6).fill(1.5));
  assert.equal(read(out.b), [1.5]);
  const traced = jit((s: NdArray) => optim.incrementalUpdate(fresh, old, s).a)(np.array(0.25));
  assert.equal(read(traced), Array(6).fill(1.25));
});

T('periodicUpdate: the new tensors exactly when steps % period == 0 (optax test_periodic_update)', () => {
  const old = { a: np.ones([2]) };
  const fresh = { a: np.full([2], 2) };
  const f = jit((s: NdArray) => optim.periodicUpdate(fresh, old, s, 5).a);
  for (let j = 0; j < 3; j++) {
    for (let i = 1; i < 5; i++) {
      assert.equal(read(optim.periodicUpdate(fresh, old, j * 5 + i, 5).a), [1, 1]);
      assert.equal(read(f(np.array(j * 5 + i, 'int32'))), [1, 1]);
    }
    assert.equal(read(optim.periodicUpdate(fresh, old, (j + 1) * 5, 5).a), [2, 2]);
    assert.equal(read(f(np.array((j + 1) * 5, 'int32'))), [2, 2]);
  }
  assert.throws(() => optim.periodicUpdate(fresh, old, 3, 0), /periodicUpdate: updatePeriod must be an integer >= 1, got 0/);
});

T.run();
