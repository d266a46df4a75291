/**
 * optax parity sweep (session 13): `rmsprop` with optax's options (`decay`, `initialScale`,
 * `epsInSqrt`, `biasCorrection`, `nesterov`, centred through `scaleByStddev`), Lion's `mode`s
 * and its `count`, `flatten`, `safeNorm`'s `ord` / `axis` / `keepdims`, an injected (array)
 * `clipByGlobalNorm` bound, `clip` with an array, `masked` / `applyIfFinite` state field
 * `innerState` (optax's `inner_state`), `applyUpdates` / `incrementalUpdate` with a `null`
 * (optax's `None`) and `piecewiseInterpolate`'s kind check. Trajectories against
 * test/fixtures/optax_sweep13.json (tools/optax-sweep13.py: optax's equations in float64 numpy),
 * parameters after each of 8 steps within 1e-5.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type TrajectoryFixture, leafValuesFlat, scopedTests, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

type Hyper = Record<string, number | boolean | string>;
const fixture: TrajectoryFixture & {
  cases: Record<string, { hyper: Hyper }>;
  safe_norm: { x: number[][]; min_norm: number; cases: Record<string, number | number[]> };
} = JSON.parse(readFileSync(new URL('../fixtures/optax_sweep13.json', import.meta.url), 'utf8'));

const num = (h: Hyper, k: string) => h[k] as number | undefined;
const bool = (h: Hyper, k: string) => h[k] as boolean | undefined;

function build(name: string): optim.GradientTransformation {
  const h = fixture.cases[name].hyper;
  const lr = num(h, 'lr') as number;
  if (name.startsWith('rmsprop')) {
    return optim.rmsprop({
      learningRate: lr,
      decay: num(h, 'decay'),
      eps: num(h, 'eps'),
      initialScale: num(h, 'initial_scale'),
      epsInSqrt: bool(h, 'eps_in_sqrt'),
      biasCorrection: bool(h, 'bias_correction'),
      centered: bool(h, 'centered'),
      momentum: num(h, 'momentum'),
      nesterov: bool(h, 'nesterov'),
    });
  }
  if (name.startsWith('lion')) {
    const lion = optim.scaleByLion({ b1: num(h, 'b1'), b2: num(h, 'b2'), mode: h.mode as optim.LionMode, smoothBeta: num(h, 'smooth_beta') });
    return optim.chain(lion, optim.scaleByLearningRate(lr));
  }
  if (name === 'flatten_adam') return optim.flatten(optim.adam({ learningRate: lr }));
  throw new Error(`no builder for fixture case ${name}`);
}

const test = suite(`optim: optax parity sweep, session 13 [${backend}]`);
scopedTests(test);

test('the fixture has the cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).length, 8);
  for (const name of Object.keys(fixture.cases)) build(name);
});

trajectoryTests(test, fixture, build, TOL);

test('rmsprop: optax option errors; the torch defaults are unchanged', () => {
  assert.throws(() => optim.rmsprop({ learningRate: 1, alpha: 0.9, decay: 0.9 }), /rmsprop: give alpha \(torch's name\) or decay \(optax's\), not both/);
  assert.throws(() => optim.rmsprop({ learningRate: 1, nesterov: true }), /rmsprop: nesterov needs momentum > 0/);
  // torch: nu = 0.01 g^2, update -lr g / (sqrt(nu) + 1e-8) = -10 for g = 2.
  const t = optim.rmsprop({ learningRate: 1 });
  const p = { w: np.ones([1]) };
  assert.ok(Math.abs(t.update({ w: np.array([2]) }, t.init(p), p)[0].w.dataSync()[0] + 10) < 1e-5);
});

test('scaleByLion: state {count, mu} as optax; the modes on optax test_lion_modes_variants; a bad mode is an error', async () => {
  const g = np.array([0.2, -2.0, 0.5, -0.8]);
  const want: Record<optim.LionMode, number[]> = {
    hard: [1, -1, 1, -1],
    smooth: [0.2, -2.0, 0.5, -0.8].map((v) => Math.tanh(2 * 0.5 * v)),
    refined: [0.1, -1, 0.25, -0.4],
  };
  for (const mode of ['hard', 'smooth', 'refined'] as const) {
    const t = optim.scaleByLion({ b1: 0.5, b2: 0.9, mode, smoothBeta: 2 });
    const s0 = t.init(g);
    assert.equal(Object.keys(s0).sort(), ['count', 'mu']);
    const [u, s1] = t.update(g, s0);
    const got = Array.from(await (u as tf.Tensor).data());
    got.forEach((v, i) => assert.ok(Math.abs(v - want[mode][i]) < 1e-6, `${mode}[${i}]: ${v} vs ${want[mode][i]}`));
    assert.is((s1.count as tf.Tensor).dataSync()[0], 1);
    assert.is((s1.count as tf.Tensor).dtype, 'int32');
  }
  assert.throws(() => optim.scaleByLion({ mode: 'invalid' as optim.LionMode }), /scaleByLion: mode must be 'hard', 'smooth' or 'refined', got invalid/);
});

test('flatten: optax test_flatten (sgd with a scalar leaf), the inner state is one flat vector, jit', async () => {
  const params = () => [np.array(2), np.array([1, 2]), np.array([3, 4])];
  const g = [np.array(1), np.array([500, 5]), np.array([300, 3])];
  const sgd = optim.sgd({ learningRate: 1e-2 });
  const flat = optim.flatten(sgd);
  const a = optim.applyUpdates(params(), sgd.update(g, sgd.init(params()), params())[0]);
  const b = optim.applyUpdates(params(), flat.update(g, flat.init(params()), params())[0]);
  assert.equal(b.map((x) => x.shape), [[], [2], [2]]);
  assert.equal(await leafValuesFlat(b), await leafValuesFlat(a));
  const adam = optim.flatten(optim.scaleByAdam());
  const s = adam.init({ a: np.zeros([2, 3]), b: np.zeros([4]) });
  assert.equal((s.mu as tf.Tensor).shape, [10]);
  const step = jit((u: { a: NdArray; b: NdArray }, st: typeof s) => adam.update(u, st));
  const [u1] = step({ a: np.ones([2, 3]), b: np.full([4], -2) }, s);
  assert.equal(u1.a.shape, [2, 3]);
  // Adam's first step is sign(g), up to float32 rounding of the bias corrections (~7e-6).
  assert.ok((await leafValuesFlat(u1)).every((v, i) => Math.abs(v - (i < 6 ? 1 : -1)) < 1e-4));
  step.clearCache();
});

test('safeNorm: optax safe_norm with ord / axis / keepdims against numpy; gradient 0 at 0', async () => {
  const { x, min_norm: minNorm, cases } = fixture.safe_norm;
  const xs = np.array(x);
  const opts: Record<string, optim.SafeNormOptions> = {
    fro_all: {},
    l1_axis1: { ord: 1, axis: 1 },
    inf_axis0: { ord: Infinity, axis: 0 },
    l2_axis1: { ord: 2, axis: 1 },
    nuc: { ord: 'nuc' },
    ord1_matrix: { ord: 1 },
  };
  for (const [name, o] of Object.entries(opts)) {
    const got = Array.from(await optim.safeNorm(xs, minNorm, o).data());
    const want = ([] as number[]).concat(cases[name]);
    assert.is(got.length, want.length, name);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5, `${name}[${i}]: ${v} vs ${want[i]}`));
  }
  assert.equal(optim.safeNorm(xs, minNorm, { ord: 1, axis: 1, keepdims: true }).shape, [3, 1]);
  assert.equal(optim.safeNorm(xs, minNorm, { keepdims: true }).shape, [1, 1]);
  for (const o of [{ ord: 1, axis: 0 }, { ord: 2, axis: 1 }, {}] as optim.SafeNormOptions[]) {
    for (const m of [0, 3]) {
      const g = grad((z: NdArray) => np.sum(optim.safeNorm(z, m, o)))(np.zeros([3, 4]));
      assert.ok(Array.from(await g.data()).every((v) => v === 0), `gradient at 0 with ${JSON.stringify(o)}, min ${m}`);
    }
  }
});

test('clipByGlobalNorm: an injected bound changed between steps takes effect, 0 included (optax test_overriding_hyperparam)', async () => {
  const opt = optim.injectHyperparams((o: { maxNorm: optim.Hyper }) => optim.clipByGlobalNorm(o.maxNorm))({ maxNorm: 0.1 });
  const params = np.zeros([3, 5, 7]);
  let state = opt.init(params);
  const step = jit((u: NdArray, s: typeof state) => opt.update(u, s));
  for (let i = 0; i < 5; i++) {
    state = { ...state, hyperparams: { ...state.hyperparams, maxNorm: np.array(i) } };
    const [u, next] = step(np.onesLike(params), state);
    const norm = optim.globalNorm(u).dataSync()[0];
    assert.ok(Math.abs(norm - i) < 1e-5, `step ${i}: norm ${norm}`);
    state = next;
  }
  step.clearCache();
  assert.throws(() => optim.clipByGlobalNorm(-1), /clipByGlobalNorm: maxNorm must be > 0, got -1/);
});

test('clip: a scalar-array bound', async () => {
  const [u] = optim.clip(np.array(1.5)).update([np.array([3, -4, 0.5])], {});
  assert.equal(Array.from(await u[0].data()), [1.5, -1.5, 0.5]);
});

test('applyIfFinite: optax test_apply_if_finite (sgd, 2 errors allowed); masked and applyIfFinite keep innerState', async () => {
  const opt = optim.applyIfFinite(optim.sgd({ learningRate: 1 }), 2);
  let p = np.array(0);
  let s = opt.init(p);
  assert.ok('innerState' in s);
  const fn = (w: NdArray, x: NdArray) => np.mul(w, x);
  const step = (x: number) => {
    const [u, ns] = opt.update(grad(fn)(p, np.array(x)), s, p);
    [p, s] = [optim.applyUpdates(p, u), ns];
  };
  step(1);
  assert.is(p.dataSync()[0], -1);
  assert.is(s.lastFinite.dataSync()[0], 1);
  for (const base of [-1, -2]) {
    for (let k = 1; k <= 2; k++) {
      step(NaN);
      assert.is(p.dataSync()[0], base);
      assert.is(s.lastFinite.dataSync()[0], 0);
      assert.is(s.notFiniteCount.dataSync()[0], k);
    }
    if (base === -1) step(1);
  }
  step(NaN);
  assert.ok(Number.isNaN(p.dataSync()[0]));
  assert.is(s.totalNotFinite.dataSync()[0], 5);
  const m = optim.masked(optim.trace(0.9), { a: true, b: false });
  assert.equal(Object.keys(m.init({ a: np.ones([2]), b: np.ones([1]) })), ['innerState']);
});

test('applyUpdates / incrementalUpdate: a null parameter stays null (optax test_none_argument)', () => {
  const x = np.array([1, 2, 3]);
  assert.is(optim.applyUpdates(null, x as unknown as null), null);
  assert.is(optim.incrementalUpdate(null, x as unknown as null, 1), null);
  const out = optim.applyUpdates({ a: np.ones([2]), b: null }, { a: np.ones([2]), b: null });
  assert.equal(Array.from(out.a.dataSync()), [2, 2]);
  assert.is(out.b, null);
});

test('piecewiseInterpolate: an unknown kind is an error (optax test_invalid_type)', () => {
  assert.throws(() => optim.piecewiseInterpolate('linar' as 'linear', 13, [[5, 3]]), /piecewiseInterpolate: kind must be 'linear' or 'cosine', got linar/);
});

test.run();
