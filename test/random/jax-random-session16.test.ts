/**
 * jax.random semantics audited against JAX's tests/random_lax_test.py (session 16):
 * - multinomial's `shape` is the whole result shape [...batch, K] (JAX's code broadcasts p to
 *   it; testMultinomialShape passes shape=(*batch, *p.shape));
 * - bernoulli's `mode` ('low' / 'high', JAX's two-uniform form) and its float p (testBernoulli);
 * - choice / permutation shapes, dtypes and distinctness as testChoice / testPermutation check them;
 * - Kolmogorov–Smirnov checks of gamma, beta and dirichlet marginals against lib/scipy's CDFs
 *   (JAX testGamma / testBeta / testDirichlet), with fixed keys, so they cannot flake.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { stats } from '../../lib/scipy/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { checkFrequency } from './moments.js';

await useTestBackend();

const R = suite('random: jax.random semantics (session 16)');
const k = (i: number) => random.key(1600 + i);
const N = 5_000;
/** The values of x, read asynchronously (webgpu cannot read synchronously). */
const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());

/** KS statistic of samples against the CDF at the sorted samples, below the p = 1e-4 critical value sqrt(-ln(5e-5) / 2n). */
async function checkKS(what: string, xs: NdArray, cdf: (sorted: NdArray) => NdArray): Promise<void> {
  // Sorted on the host (np.sort of 10,000 values is slow on cpu).
  const sorted = np.array((await read(xs)).sort((a, b) => a - b));
  const f = await read(cdf(sorted));
  const n = f.length;
  assert.ok(f.every(Number.isFinite), `${what}: finite CDF values`);
  const d = f.reduce((m, v, i) => Math.max(m, v - i / n, (i + 1) / n - v), 0);
  const critical = Math.sqrt(-Math.log(5e-5) / (2 * n));
  assert.ok(d < critical, `${what}: KS statistic ${d.toFixed(4)} exceeds ${critical.toFixed(4)} (p = 1e-4)`);
}

R('multinomial: shape is the whole result shape [...batch, K] (JAX testMultinomialShape)', async () => {
  const probs = np.array([0.1, 0.2, 0.3, 0.4]);
  const trials = 1e5;
  const counts = random.multinomial(k(0), trials, probs, [3, 2, 4]);
  assert.equal([counts.shape, counts.dtype], [[3, 2, 4], 'float32']);
  const freqs = (await read(np.div(counts, trials)));
  // JAX's assertAllClose(freqs, probs, atol=1e-2): 1e5 trials give a standard error below 1.6e-3.
  allClose(freqs, (await read(np.broadcastTo(probs, [3, 2, 4]))), { rtol: 0, atol: 1e-2 });
  assert.ok((await read(np.sum(counts, -1))).every((v) => v === trials), 'each row sums to n');
  // n broadcasts to the batch part of shape, p to the whole.
  const perRow = random.multinomial(k(1), np.array([10, 20]), np.array([[0.5, 0.5], [0.25, 0.75]]), [5, 2, 2]);
  assert.equal(perRow.shape, [5, 2, 2]);
  const sums = (await read(np.sum(perRow, -1)));
  assert.equal(sums, Array.from({ length: 10 }, (_, i) => (i % 2 ? 20 : 10)));
  assert.equal(random.multinomial(k(2), 7, probs).shape, [4], 'default: p\'s shape');
  assert.equal(jit((kk: NdArray) => random.multinomial(kk, 7, probs, [6, 4]))(k(3)).shape, [6, 4]);
  assert.match(errorOf(() => random.multinomial(k(0), 10, probs, [6])), /^random\.multinomial: shape is the whole result shape \[\.\.\.batch, 4\] .* got \[6\]; for \[6\] draws pass \[6,4\]$/);
  assert.match(errorOf(() => random.multinomial(k(0), np.array([1, 2, 3]), probs, [2, 4])), /random\.multinomial: parameter shapes \[3\] must broadcast to the shape argument \[2\]/);
});

R('bernoulli mode "high": JAX\'s u2 2^-23 < p - u1 of uniform(key, [2, ...shape]); its law; float p only', async () => {
  const p = 0.3;
  const draws = random.bernoulli(k(4), p, [N], 'high');
  assert.equal([draws.shape, draws.dtype], [[N], 'bool']);
  const u = (await read(random.uniform(k(4), [2, N])));
  const want = Array.from({ length: N }, (_, i) => Number(Math.fround(u[N + i] * 2 ** -23) < Math.fround(p - u[i])));
  assert.equal((await read(draws)), want, 'JAX\'s formula');
  checkFrequency('bernoulli(0.3, high)', (await read(draws)).filter(Boolean).length, N, p);
  // p = 2^-20: 'low' is true exactly where the uniform is below p (23-bit resolution), 'high' resolves it further.
  const low = (await read(random.bernoulli(k(5), 2 ** -20, [N])));
  assert.equal(low, (await read(random.uniform(k(5), [N]))).map((v) => Number(v < 2 ** -20)));
  const batched = random.bernoulli(random.splitKeys(k(6), 3), np.array([0, 1]), [4, 2], 'high');
  assert.equal(batched.shape, [3, 4, 2]);
  assert.equal((await read(batched)), Array.from({ length: 24 }, (_, i) => i % 2));
  assert.match(errorOf(() => random.bernoulli(k(0), np.array([1, 0], 'int32'))), /^random\.bernoulli: p must be a number or a float32 array, got int32\[2\]$/);
  assert.match(errorOf(() => random.bernoulli(k(0), 0.5, [2], 'mid' as random.BernoulliMode)), /^random\.bernoulli: mode must be 'low' or 'high', got 'mid'$/);
});

R('choice and permutation: JAX testChoice / testPermutation shapes, dtypes, distinct picks', async () => {
  const x = np.reshape(np.arange(0, 100, 1, 'int32'), [10, 5, 2]);
  for (const axis of [-3, -2, -1, 0, 1, 2]) {
    const n = x.shape[(axis + 3) % 3];
    const p = np.div(np.arange(1, n + 1), (n * (n + 1)) / 2);
    for (const [replace, weighted] of [[true, false], [true, true], [false, false], [false, true]]) {
      const shape = replace ? [4, 5] : [2];
      const s = random.choice(k(7), x, shape, { replace, axis, ...(weighted ? { p } : {}) });
      const a = (axis + 3) % 3;
      assert.equal([s.shape, s.dtype], [[...x.shape.slice(0, a), ...shape, ...x.shape.slice(a + 1)], 'int32'], `axis ${axis} replace ${replace} p ${weighted}`);
      if (!replace) {
        // Two picks along the axis: distinct slices of x.
        const [s0, s1] = await Promise.all([0, 1].map((i) => read(np.take(s, np.array([i], 'int32'), a))));
        assert.not.equal(s0, s1, `axis ${axis}: distinct slices without replacement`);
      }
    }
  }
  assert.equal(random.choice(k(8), 1, [4, 5]).shape, [4, 5]);
  assert.equal(random.choice(k(8), np.ones([1, 5]), [], { replace: false, axis: 1 }).shape, [1]);
  for (const [shape, axis] of [[[0, 5], 1], [[0, 5], 0], [[1, 5], -1], [[0], 0]] as const) {
    for (const independent of [false, true]) assert.equal(random.permutation(k(9), np.zeros([...shape]), axis, independent).shape, [...shape]);
  }
  assert.equal(random.permutation(k(9), 0).shape, [0]);
  const indep = random.permutation(k(10), np.reshape(np.arange(0, 60, 1, 'int32'), [12, 5]), 0, true);
  const cols = np.transpose(indep);
  assert.ok((await read(np.sort(cols, -1))).every((v, i) => v === (i % 12) * 5 + Math.floor(i / 12)), 'each column a permutation of its own entries');
});

R('KS: gamma (a = 0.5, 3), beta (0.5, 0.5) and (2, 5), dirichlet marginals against lib/scipy CDFs (JAX testGamma / testBeta / testDirichlet)', async () => {
  for (const [a, i] of [[0.5, 11], [3, 12]]) await checkKS(`gamma(${a})`, random.gamma(k(i), a, [N]), (x) => stats.gamma.cdf(x, a));
  const ab = random.gamma(k(13), np.array([[0.5], [3]]), [2, N]);
  await checkKS('gamma([0.5, 3]) row 1', np.sliceAxis(ab, 0, 1, 2), (x) => stats.gamma.cdf(x, 3));
  for (const [a, b, i] of [[0.5, 0.5, 14], [2, 5, 15]]) await checkKS(`beta(${a}, ${b})`, random.beta(k(i), a, b, [N]), (x) => stats.beta.cdf(x, a, b));
  const alpha = [0.5, 1.5, 3];
  const d = random.dirichlet(k(16), np.array(alpha), [N]);
  assert.equal(d.shape, [N, 3]);
  allClose((await read(np.sum(d, -1))), new Array(N).fill(1), { rtol: 0, atol: 1e-5 });
  for (const [j, ai] of alpha.entries()) await checkKS(`dirichlet marginal ${j}`, np.sliceAxis(d, 1, j, j + 1), (x) => stats.beta.cdf(x, ai, 5 - ai));
});

R.run();
