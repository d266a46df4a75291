/**
 * jax.random's remaining public API and parameterisations (after JAX's tests/random_lax_test.py):
 * PRNGKey / keyData / wrapKeyData / clone, split with a shape, bernoulli's default p,
 * truncated_normal's (key, lower, upper, shape) form with array bounds and its open interval,
 * double_sided_maxwell's shape added to the parameters' shape, and Kolmogorov–Smirnov checks of
 * the samplers against their exact CDFs (fixed keys, so deterministic; 20,000 draws, critical
 * value at p = 1e-4).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';
import { N, checkFrequency, checkMoments, read, sameUnderTransforms } from './moments.js';

await useTestBackend();
const R = suite('random: more of jax.random');
const k = (i: number) => random.key(300 + i);

/** erfc with fractional error below 1.2e-7 (Numerical Recipes' erfcc, Chebyshev fit). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const cs = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];
  const poly = cs.reduceRight((acc, c) => c + t * acc, 0);
  const r = t * Math.exp(-z * z + poly);
  return x >= 0 ? r : 2 - r;
}
const normCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

/** Kolmogorov–Smirnov statistic of the samples against `cdf`, below the p = 1e-4 critical value sqrt(-ln(5e-5) / 2n). */
function checkKS(what: string, xs: number[], cdf: (x: number) => number): void {
  assert.ok(xs.every((x) => !Number.isNaN(x)), `${what}: no NaN samples`);
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(s[i]);
    d = Math.max(d, f - i / n, (i + 1) / n - f);
  }
  const critical = Math.sqrt(-Math.log(5e-5) / (2 * n));
  assert.ok(d < critical, `${what}: KS statistic ${d.toFixed(4)} exceeds ${critical.toFixed(4)} (p = 1e-4)`);
}

/** Column j of an [n, m] sample. */
const column = (xs: number[], m: number, j: number) => xs.filter((_, i) => i % m === j);

R('every public function of jax.random has a camelCase counterpart', () => {
  const names = [
    'PRNGKey', 'ball', 'bernoulli', 'binomial', 'beta', 'bits', 'categorical', 'cauchy', 'chisquare', 'choice', 'clone',
    'dirichlet', 'doubleSidedMaxwell', 'exponential', 'f', 'foldIn', 'gamma', 'generalizedNormal', 'geometric', 'gumbel',
    'key', 'keyData', 'laplace', 'logistic', 'loggamma', 'lognormal', 'maxwell', 'multinomial', 'multivariateNormal',
    'normal', 'orthogonal', 'pareto', 'permutation', 'poisson', 'rademacher', 'randint', 'rayleigh', 'split', 't',
    'triangular', 'truncatedNormal', 'uniform', 'wald', 'weibullMin', 'wrapKeyData',
  ];
  const missing = names.filter((n) => typeof (random as Record<string, unknown>)[n] !== 'function');
  assert.equal(missing, []);
});

R('PRNGKey, keyData, wrapKeyData, clone: raw int32 key data, round trip', () => {
  assert.equal(read(random.PRNGKey(42)), read(random.key(42)));
  const keys = random.splitKeys(random.key(1), 3);
  assert.equal(read(random.wrapKeyData(random.keyData(keys))), read(keys));
  // uint32 words as JS numbers: the key of seed -1 is [0xffffffff, 0xffffffff].
  assert.equal(read(random.wrapKeyData([0xffffffff, 0xffffffff])), read(random.key(-1)));
  assert.equal(read(random.wrapKeyData([0, 42])), read(random.key(42)));
  assert.equal(read(random.normal(random.clone(random.key(5)), [3])), read(random.normal(random.key(5), [3])));
  assert.equal(errorOf(() => random.wrapKeyData(np.array([1, 2]))), 'random.wrapKeyData: key data must be an int32 array [..., 2] (uint32 words as int32 bit patterns), got float32[2]');
  assert.match(errorOf(() => random.wrapKeyData([1, 2 ** 32])), /^random.wrapKeyData: key data must be .* got \[1,4294967296\]$/);
  assert.match(errorOf(() => random.keyData(np.array([1, 2]))), /^random.keyData: a key is an int32 array/);
});

R('split / splitKeys with a shape: jax.random.split(key, (2, 3))', () => {
  const key = random.key(7);
  const grid = random.splitKeys(key, [2, 3]) as tf.Tensor;
  assert.equal(grid.shape, [2, 3, 2]);
  assert.equal(read(grid), read(random.splitKeys(key, 6)), 'the same keys as splitKeys(key, 6), reshaped');
  const parts = random.split(key, [2, 3]) as tf.Tensor[];
  assert.equal(parts.map((p) => p.shape), [[3, 2], [3, 2]]);
  assert.equal(parts.flatMap(read), read(grid));
  assert.equal((random.splitKeys(key, []) as tf.Tensor).shape, [2], 'an empty shape: one key');
  assert.equal((random.splitKeys(random.splitKeys(key, 4), [2, 5]) as tf.Tensor).shape, [4, 2, 5, 2], 'batched keys');
  assert.equal((vmap((kk: NdArray) => random.splitKeys(kk, [2, 3]))(random.splitKeys(key, 4)) as tf.Tensor).shape, [4, 2, 3, 2]);
  assert.equal(read(jit((kk: NdArray) => random.splitKeys(kk, [3, 1]))(key)), read(random.splitKeys(key, 3)));
  assert.equal(errorOf(() => random.split(key, [2, -1])), 'random.split: n must be a non-negative integer or a list of them, got [2,-1]');
  assert.match(errorOf(() => random.split(key, [])), /^random.split: n = \[\] gives a single key/);
});

R('bernoulli: p defaults to 1/2 (jax.random.bernoulli)', () => {
  const b = random.bernoulli(k(1)) as tf.Tensor;
  assert.equal([b.shape, b.dtype], [[], 'bool']);
  const many = read(random.bernoulli(k(2), undefined, [N]));
  checkFrequency('bernoulli() = true', many.filter((v) => v === 1).length, N, 0.5);
});

R('truncatedNormal(key, lower, upper, shape): the open interval and the truncated law (JAX testTruncatedNormal)', () => {
  const lo = -0.3;
  const hi = 0.3;
  const z = normCdf(hi) - normCdf(lo);
  const cdf = (x: number) => (normCdf(Math.min(Math.max(x, lo), hi)) - normCdf(lo)) / z;
  for (const [name, xs] of [
    ['eager', read(random.truncatedNormal(k(3), lo, hi, [N]))],
    ['jit', read(jit((kk: NdArray) => random.truncatedNormal(kk, lo, hi, [N]))(k(3)))],
    ['array bounds', read(random.truncatedNormal(k(4), np.array(lo), np.array(hi), [N]))],
  ] as const) {
    assert.ok(Math.min(...xs) > lo && Math.max(...xs) < hi, `${name}: samples strictly inside (${lo}, ${hi})`);
    checkKS(`truncatedNormal(${lo}, ${hi}) ${name}`, [...xs], cdf);
  }
  // tfjax's (key, shape, lower, upper) form: also the open interval, where the bounds are float32s
  // two steps apart (rounding to float32 used to land half the samples on the bounds).
  for (const [a, b] of [[1, 1 + 2 ** -22], [0.5, 0.500001]]) {
    const narrow = read(random.truncatedNormal(k(5), [N], a, b));
    const out = narrow.filter((x) => !(x > a && x < b));
    assert.is(out.length, 0, `(${a}, ${b}): ${out.length} samples not strictly inside, e.g. ${out[0]}`);
  }
});

R('truncatedNormal with array bounds broadcasting to the shape; shape defaults to theirs', () => {
  const lower = np.array([-1, 0, -Infinity]);
  const upper = np.array([[1], [Infinity]]);
  const s = random.truncatedNormal(k(6), lower, upper) as tf.Tensor;
  assert.equal([s.shape, s.dtype], [[2, 3], 'float32']);
  const xs = read(random.truncatedNormal(k(7), np.array([-1, 0, -Infinity]), np.array([1, 2, 0.5]), [N, 3]));
  const law = (a: number, b: number) => (x: number) => (normCdf(Math.min(Math.max(x, a), b)) - normCdf(a)) / (normCdf(b) - normCdf(a));
  [[-1, 1], [0, 2], [-Infinity, 0.5]].forEach(([a, b], j) => {
    const col = column(xs, 3, j);
    assert.ok(col.every((x) => x > a && x < b && Number.isFinite(x)), `column ${j} inside (${a}, ${b})`);
    checkKS(`truncatedNormal(${a}, ${b})`, col, law(a, b));
  });
  assert.match(errorOf(() => random.truncatedNormal(k(8), np.array([0, 1]), 2, [3])), /^random.truncatedNormal: parameter shapes \[2\], \[\] must broadcast to the shape argument \[3\]$/);
  assert.match(errorOf(() => random.truncatedNormal(k(8), [3], np.array([0]) as unknown as number, 1)), /^random.truncatedNormal: in the form \(key, shape, lower, upper\) the bounds must be numbers/);
});

R('doubleSidedMaxwell: shape is added in front of the parameters\' shape (jax.random.double_sided_maxwell)', () => {
  const loc = np.array([0, 5, -2]);
  const scale = np.array([1, 2, 0.5]);
  assert.equal((random.doubleSidedMaxwell(k(9), loc, 1, [2]) as tf.Tensor).shape, [2, 3]);
  assert.equal((random.doubleSidedMaxwell(k(9), loc, scale) as tf.Tensor).shape, [3]);
  assert.equal((random.doubleSidedMaxwell(k(9), 0, 1, [4, 2]) as tf.Tensor).shape, [4, 2]);
  const xs = read(random.doubleSidedMaxwell(k(10), loc, scale, [N]));
  [[0, 1], [5, 2], [-2, 0.5]].forEach(([m, sd], j) => checkMoments(`doubleSidedMaxwell(${m}, ${sd})`, column(xs, 3, j), m, 3 * sd * sd));
});

R('wald: the inverse Gaussian law for small and very large means (JAX testWald)', () => {
  // CDF of IG(mu, 1): Phi(sqrt(1/x)(x/mu - 1)) + exp(2/mu) Phi(-sqrt(1/x)(x/mu + 1)).
  const cdf = (mu: number) => (x: number) => (x <= 0 ? 0 : normCdf(Math.sqrt(1 / x) * (x / mu - 1)) + Math.exp(2 / mu) * normCdf(-Math.sqrt(1 / x) * (x / mu + 1)));
  [0.2, 10, 100, 1e5].forEach((mu, i) => {
    const xs = read(random.wald(k(11 + i), mu, [N]));
    assert.ok(xs.every((x) => x > 0 && Number.isFinite(x)), `wald(${mu}): positive and finite`);
    checkKS(`wald(${mu})`, xs, cdf(mu));
  });
});

R('KS against the exact CDFs: exponential, laplace, gumbel, cauchy, logistic, lognormal, pareto, rayleigh, maxwell', () => {
  const cases: [string, NdArray, (x: number) => number][] = [
    ['exponential', random.exponential(k(20), [N]), (x) => 1 - Math.exp(-Math.max(x, 0))],
    ['laplace', random.laplace(k(21), [N]), (x) => (x < 0 ? 0.5 * Math.exp(x) : 1 - 0.5 * Math.exp(-x))],
    ['gumbel', random.gumbel(k(22), [N]), (x) => Math.exp(-Math.exp(-x))],
    ['cauchy', random.cauchy(k(23), [N]), (x) => 0.5 + Math.atan(x) / Math.PI],
    ['logistic', random.logistic(k(24), [N]), (x) => 1 / (1 + Math.exp(-x))],
    ['lognormal(0.7)', random.lognormal(k(25), 0.7, [N]), (x) => (x <= 0 ? 0 : normCdf(Math.log(x) / 0.7))],
    ['pareto(0.1)', random.pareto(k(26), 0.1, [N]), (x) => (x < 1 ? 0 : 1 - x ** -0.1)],
    ['pareto(10)', random.pareto(k(27), 10, [N]), (x) => (x < 1 ? 0 : 1 - x ** -10)],
    ['rayleigh(3)', random.rayleigh(k(28), 3, [N]), (x) => 1 - Math.exp(-(x * x) / 18)],
    ['maxwell', random.maxwell(k(29), [N]), (x) => 1 - erfc(x / Math.SQRT2) - Math.sqrt(2 / Math.PI) * x * Math.exp(-(x * x) / 2)],
  ];
  for (const [name, xs, cdf] of cases) checkKS(name, read(xs), cdf);
});

R('KS: t (df 1 and 2), chisquare (df 2 and 4), triangular, weibullMin with broadcast parameters', () => {
  checkKS('t(1)', read(random.t(k(30), 1, [N])), (x) => 0.5 + Math.atan(x) / Math.PI);
  checkKS('t(2)', read(random.t(k(31), 2, [N])), (x) => 0.5 + x / (2 * Math.sqrt(2 + x * x)));
  checkKS('chisquare(2)', read(random.chisquare(k(32), 2, [N])), (x) => 1 - Math.exp(-Math.max(x, 0) / 2));
  checkKS('chisquare(4)', read(random.chisquare(k(33), 4, [N])), (x) => (x <= 0 ? 0 : 1 - Math.exp(-x / 2) * (1 + x / 2)));
  const [a, c, b] = [-1, 0.5, 3];
  checkKS('triangular(-1, 0.5, 3)', read(random.triangular(k(34), a, c, b, [N])), (x) =>
    x <= a ? 0 : x >= b ? 1 : x <= c ? (x - a) ** 2 / ((b - a) * (c - a)) : 1 - (b - x) ** 2 / ((b - a) * (b - c)));
  // scale [2] against concentration [2, 1]: samples [N, 2, 2].
  const w = random.weibullMin(k(35), np.array([1, 3]), np.array([[0.5], [2]]), [N, 2, 2]) as tf.Tensor;
  const ws = read(w);
  [[1, 0.5], [3, 0.5], [1, 2], [3, 2]].forEach(([scale, conc], j) =>
    checkKS(`weibullMin(${scale}, ${conc})`, column(ws, 4, j), (x) => 1 - Math.exp(-((Math.max(x, 0) / scale) ** conc))));
});

R('ball: |x|_p^d is uniform on [0, 1] (JAX testBallKS), for p below, at and above 1', () => {
  for (const [d, p, i] of [[3, 1.5, 40], [2, 0.5, 41], [4, 2.5, 42], [1, 1, 43]]) {
    const pts = random.ball(k(i), d, p, [N]) as tf.Tensor;
    assert.equal(pts.shape, [N, d]);
    const r = read(np.sum(np.pow(np.abs(pts), p), -1));
    assert.ok(r.every((v) => v <= 1 + 1e-5), `ball(${d}, ${p}): inside the unit ball`);
    checkKS(`ball(${d}, ${p}) |x|_p^d`, r.map((v) => v ** (d / p)), (u) => Math.min(Math.max(u, 0), 1));
  }
});

R('the new forms: deterministic per key, the same under jit and under vmap over keys', () => {
  sameUnderTransforms([
    ['truncatedNormal arrays', (key) => random.truncatedNormal(key, np.array([-1, 0]), np.array([2, 3]), [3, 2])],
    ['truncatedNormal (lower, upper, shape)', (key) => random.truncatedNormal(key, -0.5, 1, [4])],
    ['bernoulli default p', (key) => np.cast(random.bernoulli(key, undefined, [6]), 'int32')],
    ['doubleSidedMaxwell arrays', (key) => random.doubleSidedMaxwell(key, np.array([0, 1]), 2, [3])],
    ['wald large mean', (key) => random.wald(key, 1e5, [4])],
    ['splitKeys shape', (key) => random.splitKeys(key, [2, 2])],
  ]);
});

R.run();
