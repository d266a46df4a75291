/**
 * jax.random's gamma gradient and its binomial / multinomial samplers (JAX's
 * tests/random_lax_test.py: testGammaGrad, testBinomialSample, testMultinomial):
 * - gamma(key, a) is differentiable in `a` by implicit reparameterization (JAX's
 *   random_gamma_grad): checked against 50-digit references (tools/gamma_grad_fixture.py),
 *   against finite differences of the inverse CDF at the drawn samples (float64, here), and by
 *   moment matching (d E[x] / da = 1 for Gamma(a, 1)); beta and dirichlet follow.
 * - binomial / multinomial: float32 counts, moments within 5 standard errors (fixed keys, so
 *   deterministic), JAX's edge cases, shapes, jit / vmap.
 * - a JS list of keys (random.split's result) is a one-line error naming random.splitKeys.
 */
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { logGammaSampleGrad } from '../../lib/random/gamma-grad.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { checkFrequency, checkMoments, read } from './moments.js';

await useTestBackend();

// ---------------------------------------------------------------- float64 references

/** log Gamma(x) for x > 0, Lanczos (g = 7, 9 terms; ~1e-15 relative). */
function lgamma64(x: number): number {
  const c = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lgamma64(1 - x);
  const z = x - 1;
  let s = c[0];
  for (let i = 1; i < 9; i++) s += c[i] / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

/** The regularized lower incomplete gamma P(a, x) in float64: the series below a + 1, Lentz's continued fraction above. */
function gammaCdf64(a: number, x: number): number {
  if (x <= 0) return 0;
  const pre = Math.exp(a * Math.log(x) - x - lgamma64(a));
  if (x < a + 1) {
    let [term, sum] = [1 / a, 1 / a];
    for (let n = 1; n < 10000 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) sum += term *= x / (a + n);
    return sum * pre;
  }
  let b = x + 1 - a;
  let [c, d] = [1e300, 1 / b];
  let h = d;
  for (let i = 1; i < 10000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = 1 / (an * d + b || 1e-300);
    c = b + an / c || 1e-300;
    h *= d * c;
    if (Math.abs(d * c - 1) < 1e-16) break;
  }
  return 1 - h * pre;
}

/** The x with P(a, x) = u, by bisection in log x (float64). */
function gammaQuantile64(a: number, u: number): number {
  let [lo, hi] = [-300, 10];
  while (gammaCdf64(a, Math.exp(hi)) < u) hi += 5;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (gammaCdf64(a, Math.exp(mid)) < u) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

// ---------------------------------------------------------------- gamma gradient

const G = suite('random: gamma gradient (implicit reparameterization)');

G('d(log x)/da matches 50-digit references for a in [0.01, 1000], x from the 0.1% to the 99.9% quantile and underflowing', () => {
  const pts = JSON.parse(fs.readFileSync(new URL('../fixtures/gamma-grad.json', import.meta.url), 'utf8')) as { a: number; logx: number; dlogx_da: number }[];
  const got = read(logGammaSampleGrad(np.array(pts.map((p) => p.a)), np.array(pts.map((p) => p.logx))));
  // float32 inputs and arithmetic: the worst point is 4e-5 relative off (cpu and wasm).
  allClose(got, pts.map((p) => p.dlogx_da), { rtol: 2e-4, atol: 0 }, 'd(log x)/da');
});

G('grad of gamma samples equals finite differences of the inverse CDF at the same quantile (float64)', () => {
  const key = random.key(7);
  const a = [0.3, 1, 4.5, 30];
  const x = read(random.gamma(key, np.array(a)));
  const g = read(grad((s: NdArray) => np.sum(random.gamma(key, s)))(np.array(a)));
  a.forEach((ai, i) => {
    const u = gammaCdf64(ai, x[i]);
    const h = 1e-4 * ai;
    const fd = (gammaQuantile64(ai + h, u) - gammaQuantile64(ai - h, u)) / (2 * h);
    allClose(g[i], fd, { rtol: 1e-3, atol: 0 }, `dx/da at a = ${ai}, x = ${x[i]}`);
  });
});

G('moment matching: d E[x]/da = 1 for Gamma(a, 1), and the beta / dirichlet means follow (5 standard errors)', () => {
  const n = 4000;
  const perSample = (f: (a: NdArray) => NdArray, a0: number) => read(grad((a: NdArray) => np.sum(f(a)))(np.full([n], a0)));
  for (const a0 of [0.2, 1.5, 20]) {
    const g = perSample((a) => random.gamma(random.key(11), a), a0);
    const m = g.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(g.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
    assert.ok(Math.abs(m - 1) <= (5 * sd) / Math.sqrt(n), `gamma(${a0}): mean dx/da ${m}, expected 1 (5 SE = ${(5 * sd) / Math.sqrt(n)})`);
  }
  // E[Beta(a, b)] = a / (a + b): d/da = b / (a + b)^2.
  const [a0, b0] = [2, 3];
  const gb = perSample((a) => random.beta(random.key(12), a, b0), a0);
  const mb = gb.reduce((s, v) => s + v, 0) / n;
  const sdb = Math.sqrt(gb.reduce((s, v) => s + (v - mb) ** 2, 0) / (n - 1));
  assert.ok(Math.abs(mb - b0 / (a0 + b0) ** 2) <= (5 * sdb) / Math.sqrt(n), `beta: mean dx/da ${mb}, expected ${b0 / (a0 + b0) ** 2}`);
  // E[Dirichlet(alpha)_0] = alpha_0 / S: d/d alpha_0 = (S - alpha_0) / S^2, by the mean over keys of one draw's gradient.
  const alpha = np.array([1, 2, 3]);
  const gd = read(vmap((k: NdArray) => grad((al: NdArray) => np.squeeze(np.sliceAxis(random.dirichlet(k, al), -1, 0, 1), -1))(alpha))(random.splitKeys(random.key(13), 2000)));
  const g0 = gd.filter((_, i) => i % 3 === 0);
  const md = g0.reduce((s, v) => s + v, 0) / g0.length;
  const sdd = Math.sqrt(g0.reduce((s, v) => s + (v - md) ** 2, 0) / (g0.length - 1));
  assert.ok(Math.abs(md - 5 / 36) <= (5 * sdd) / Math.sqrt(g0.length), `dirichlet: mean dx0/dalpha0 ${md}, expected ${5 / 36}`);
});

G('the gradient is the same under jit and vmap, loggamma gets d(log x)/da, and a JS-number shape has none to give', () => {
  const key = random.key(3);
  const a = np.array([0.5, 2, 8]);
  const eager = read(grad((s: NdArray) => np.sum(random.gamma(key, s)))(a));
  allClose(read(jit(grad((s: NdArray) => np.sum(random.gamma(key, s))))(a)), eager, { rtol: 1e-5, atol: 1e-6 }, 'jit');
  const keys = random.splitKeys(random.key(4), 3);
  const mapped = read(vmap((k: NdArray) => grad((s: NdArray) => np.sum(random.gamma(k, s)))(a))(keys));
  const looped = random.split(random.key(4), 3).flatMap((k) => read(grad((s: NdArray) => np.sum(random.gamma(k, s)))(a)));
  allClose(mapped, looped, { rtol: 1e-5, atol: 1e-6 }, 'vmap over keys');
  const x = read(random.gamma(key, a));
  allClose(read(grad((s: NdArray) => np.sum(random.loggamma(key, s)))(a)), eager.map((g, i) => g / x[i]), { rtol: 1e-5, atol: 0 }, 'loggamma');
  // The samples themselves are unchanged by the gradient's wrapper.
  allClose(read(random.gamma(key, 2, [3])), read(random.gamma(key, np.full([3], 2))), { rtol: 0, atol: 0 }, 'number vs array shape');
});

// ---------------------------------------------------------------- binomial and multinomial

const B = suite('random: binomial and multinomial');

B('binomial: float32 integer counts in [0, n] with mean n p and variance n p (1 - p), inversion and BTRS, p on both sides of 1/2', () => {
  for (const [n, p, size] of [[20, 0.3, 8000], [7, 0.95, 8000], [1000, 0.3, 3000], [200, 0.8, 3000], [1e6, 0.001, 3000]] as const) {
    const x = random.binomial(random.key(5), n, p, [size]);
    assert.is(x.dtype, 'float32');
    const xs = read(x);
    assert.ok(xs.every((v) => Number.isInteger(v) && v >= 0 && v <= n), `binomial(${n}, ${p}): integer counts in [0, n]`);
    checkMoments(`binomial(${n}, ${p})`, xs, n * p, n * p * (1 - p));
  }
  // P(X = 0) for Binomial(3, 0.4) is 0.216.
  checkFrequency('binomial(3, 0.4) = 0', read(random.binomial(random.key(6), 3, 0.4, [8000])).filter((v) => v === 0).length, 8000, 0.216);
});

B('binomial: JAX edge cases (NaN for bad n or p, inf for infinite n, p = 0 or 1 exact), shapes, arrays, jit and vmap', () => {
  const edge = read(random.binomial(random.key(1), np.array([-1, NaN, 5, 5, Infinity, 0, 9, 9]), np.array([0.5, 0.5, 1.5, NaN, 0.5, 0.5, 0, 1])));
  assert.equal(edge.map(String), ['NaN', 'NaN', 'NaN', 'NaN', 'Infinity', '0', '0', '9']);
  assert.equal(random.binomial(random.key(1), 10, 0.5).shape, []);
  assert.equal(random.binomial(random.key(1), np.array([10, 100]), np.array([[0.1], [0.9]])).shape, [2, 2]);
  assert.equal(random.binomial(random.splitKeys(random.key(1), 3), 10, 0.5, [4]).shape, [3, 4]);
  assert.match(errorOf(() => random.binomial(random.key(1), np.array([1, 2, 3]), 0.5, [2])), /^random\.binomial: parameter shapes \[3\], \[\] must broadcast to the shape argument \[2\]$/);
  const f = (k: NdArray) => random.binomial(k, np.array([10, 100, 1000]), np.array([0.5, 0.05, 0.7]));
  const eager = read(f(random.key(2)));
  allClose(read(jit(f)(random.key(2))), eager, { rtol: 0, atol: 0 }, 'jit');
  const keys = random.splitKeys(random.key(3), 2);
  allClose(read(vmap(f)(keys)), random.split(random.key(3), 2).flatMap((k) => read(f(k))), { rtol: 0, atol: 0 }, 'vmap');
});

B('multinomial: [...shape, K] float32 counts summing to n, category means n p_i, batched p and n, jit', () => {
  const p = [0.2, 0.3, 0.5];
  const size = 4000;
  const m = random.multinomial(random.key(8), 50, np.array(p), [size, 3]);
  assert.equal([m.shape, m.dtype], [[size, 3], 'float32']);
  const rows = (m as tf.Tensor).arraySync() as number[][];
  assert.ok(rows.every((r) => r[0] + r[1] + r[2] === 50), 'each row sums to n');
  p.forEach((pi, i) => checkMoments(`multinomial category ${i}`, rows.map((r) => r[i]), 50 * pi, 50 * pi * (1 - pi)));
  const batched = random.multinomial(random.key(9), np.array([10, 20]), np.array([[0.5, 0.5, 0], [0.1, 0.2, 0.7]]));
  assert.equal(batched.shape, [2, 3]);
  const b = (batched as tf.Tensor).arraySync() as number[][];
  assert.equal([b[0][0] + b[0][1], b[0][2], b[1][0] + b[1][1] + b[1][2]], [10, 0, 20]);
  const f = (k: NdArray) => random.multinomial(k, 30, np.array([0.25, 0.75]), [2, 2]);
  allClose(read(jit(f)(random.key(10))), read(f(random.key(10))), { rtol: 0, atol: 0 }, 'jit');
  assert.match(errorOf(() => random.multinomial(random.key(1), 5, np.array(0.5))), /^random\.multinomial: p must have a non-empty category axis, got \[\]$/);
});

B('a JS list of keys (random.split) where a key is expected is a one-line error pointing at random.splitKeys', () => {
  const msg = errorOf(() => vmap((k: NdArray) => random.normal(k, [2]))(random.split(random.key(0), 3)));
  assert.is(msg, "random.normal: a key is an int32 array of shape [2] (or [..., 2]), got a JS list of 3 values; for several keys (to vmap over) use random.splitKeys(key, n), an [n, 2] array, not random.split's JS list");
  assert.match(errorOf(() => random.uniform(random.split(random.key(0), 2) as unknown as NdArray, [2])), /^random\.uniform: a key is an int32 array .* got a JS list of 2 values;/);
  assert.match(errorOf(() => random.gamma(7 as unknown as NdArray, 2)), /^random\.gamma: a key is an int32 array .* got number;/);
});

G.run();
B.run();
