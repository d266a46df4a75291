/**
 * The distributions of lib/random/distributions.ts: sample moments of a few thousand draws
 * (fixed keys, so deterministic) within 5 standard errors of the exact values (the error of
 * a sample variance estimated from the sample's fourth moment), frequencies of categorical
 * and choice, determinism per key, and the same values under jit and vmap over keys.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose } from '../helpers/assert.js';
import { checkGrad } from '../nn/util.js';
import { N, checkFrequency, checkMoments, read, sameUnderTransforms } from './moments.js';

await useTestBackend();

const R = suite('random distributions');

R('gumbel, exponential, laplace: mean and variance', () => {
  checkMoments('gumbel', read(random.gumbel(random.key(1), [N])), 0.5772156649, Math.PI ** 2 / 6);
  checkMoments('exponential', read(random.exponential(random.key(2), [N])), 1, 1);
  checkMoments('laplace', read(random.laplace(random.key(3), [N])), 0, 2);
});

R('cauchy: median 0, quartiles at -1 and 1', () => {
  const xs = read(random.cauchy(random.key(4), [N]));
  assert.ok(xs.every(Number.isFinite));
  checkFrequency('cauchy x < 0', xs.filter((x) => x < 0).length, N, 0.5);
  checkFrequency('cauchy |x| < 1', xs.filter((x) => Math.abs(x) < 1).length, N, 0.5);
});

R('gamma: mean and variance a, for a below and above 1 and for an array of shapes', () => {
  for (const a of [0.3, 1, 4.5]) checkMoments(`gamma(${a})`, read(random.gamma(random.key(5), a, [N])), a, a);
  const xs = read(random.gamma(random.key(6), np.array([0.5, 2]), [N, 2]));
  checkMoments('gamma([0.5, 2])[0]', xs.filter((_, i) => i % 2 === 0), 0.5, 0.5);
  checkMoments('gamma([0.5, 2])[1]', xs.filter((_, i) => i % 2 === 1), 2, 2);
  assert.ok(xs.every((x) => x >= 0));
});

R('beta and dirichlet: means and variances', () => {
  const [a, b] = [2, 0.5];
  const s = a + b;
  const xs = read(random.beta(random.key(7), a, b, [N]));
  assert.ok(xs.every((x) => x >= 0 && x <= 1));
  checkMoments('beta(2, 0.5)', xs, a / s, (a * b) / (s * s * (s + 1)));
  const alpha = [1, 2, 3.5];
  const a0 = alpha.reduce((p, q) => p + q, 0);
  const d = read(random.dirichlet(random.key(8), np.array(alpha), [N]));
  for (let i = 0; i < N; i++) allClose(d[3 * i] + d[3 * i + 1] + d[3 * i + 2], 1, { rtol: 0, atol: 1e-5 });
  alpha.forEach((ak, k) => checkMoments(`dirichlet[${k}]`, d.filter((_, i) => i % 3 === k), ak / a0, (ak * (a0 - ak)) / (a0 * a0 * (a0 + 1))));
  // Tiny shapes: the log-space construction keeps samples finite where gammas underflow.
  assert.ok(read(random.beta(random.key(9), 0.01, 0.01, [200])).every((x) => x >= 0 && x <= 1));
});

R('multivariateNormal: mean and covariance', () => {
  const mean = np.array([1, -2, 0.5]);
  const cov = [
    [2, 0.6, -0.3],
    [0.6, 1, 0.2],
    [-0.3, 0.2, 0.5],
  ];
  const xs = read(random.multivariateNormal(random.key(10), mean, np.array(cov), [N]));
  const col = (k: number) => xs.filter((_, i) => i % 3 === k);
  const mu = [1, -2, 0.5];
  for (let i = 0; i < 3; i++) {
    checkMoments(`mvn[${i}]`, col(i), mu[i], cov[i][i]);
    for (let j = 0; j < i; j++) {
      const ci = col(i);
      const cj = col(j);
      const c = ci.reduce((s, x, k) => s + (x - mu[i]) * (cj[k] - mu[j]), 0) / N;
      const se = Math.sqrt((cov[i][i] * cov[j][j] + cov[i][j] ** 2) / N);
      assert.ok(Math.abs(c - cov[i][j]) <= 5 * se, `mvn cov[${i}][${j}] ${c}, expected ${cov[i][j]}`);
    }
  }
  assert.equal((random.multivariateNormal(random.key(1), np.zeros([2, 3]), np.array(cov)) as tf.Tensor).shape, [2, 3]);
  // Reparameterised: differentiable in mean and cov (through np.cholesky, which reads the lower triangle).
  const w = random.normal(random.key(2), [5, 3]);
  const loss = (a: { mean: NdArray; cov: NdArray }) => np.sum(np.mul(random.multivariateNormal(random.key(3), a.mean, a.cov, [5]), w));
  checkGrad(loss, { mean, cov: np.array(cov) }, { checks: 9, h: 1e-2, tol: 1e-2, what: 'multivariateNormal' });
});

R('categorical with a shape: leading dims are independent draws per row', () => {
  const logits = np.log(np.array([[0.2, 0.5, 0.3], [0.7, 0.1, 0.2]]));
  const c = random.categorical(random.key(11), logits, -1, [N, 2]) as tf.Tensor;
  assert.equal(c.shape, [N, 2]);
  const xs = read(c);
  checkFrequency('row 0 picks 1', xs.filter((x, i) => i % 2 === 0 && x === 1).length, N, 0.5);
  checkFrequency('row 1 picks 0', xs.filter((x, i) => i % 2 === 1 && x === 0).length, N, 0.7);
  const t = random.categorical(random.key(12), np.transpose(logits), 0, [5, 2]) as tf.Tensor;
  assert.equal(t.shape, [5, 2]);
  assert.throws(() => random.categorical(random.key(1), logits, -1, [4, 3]), /must end with the logits' batch dims \[2\]/);
});

R('choice: with and without replacement, with probabilities, from an array', () => {
  const w = read(random.choice(random.key(13), 5, [N]));
  for (let v = 0; v < 5; v++) checkFrequency(`choice(5) = ${v}`, w.filter((x) => x === v).length, N, 0.2);
  const p = np.array([0.1, 0.6, 0.3]);
  const wp = read(random.choice(random.key(14), 3, [N], { p }));
  checkFrequency('choice p: 1', wp.filter((x) => x === 1).length, N, 0.6);
  const no = read(random.choice(random.key(15), 10, [2, 5], { replace: false }));
  assert.equal([...no].sort((a, b) => a - b), [...Array(10).keys()]);
  // Without replacement, with p: the first pick follows p, the second follows p renormalised without the first.
  const keys = random.splitKeys(random.key(16), N);
  const picks = read(vmap((k: NdArray) => random.choice(k, 3, [2], { replace: false, p }))(keys));
  const firsts = picks.filter((_, i) => i % 2 === 0);
  checkFrequency('first pick 1', firsts.filter((x) => x === 1).length, N, 0.6);
  const afterOne = picks.filter((_, i) => i % 2 === 1 && picks[i - 1] === 1);
  checkFrequency('second pick 2 after 1', afterOne.filter((x) => x === 2).length, afterOne.length, 0.3 / 0.4);
  assert.ok(picks.every((x, i) => i % 2 === 0 || x !== picks[i - 1]), 'no repeats');
  const rows = random.choice(random.key(17), np.array([[1, 2], [3, 4], [5, 6]]), [4]) as tf.Tensor;
  assert.equal(rows.shape, [4, 2]);
  assert.ok(read(rows).every((x, i) => (i % 2 === 0 ? [1, 3, 5] : [2, 4, 6]).includes(x)));
  assert.throws(() => random.choice(random.key(1), 3, [4], { replace: false }), /cannot take 4 samples from 3 without replacement/);
});

R('choice without replacement, with p: distinct picks even where p has zeros; an empty draw', () => {
  // jax.random.choice(replace=False, p) ranks all n entries (Gumbel top-k): zero-probability
  // entries come only after the positive ones, and an index is never picked twice.
  const p = np.array([0.5, 0, 0.5, 0, 0]);
  for (let s = 0; s < 20; s++) {
    const c = read(random.choice(random.key(s), 5, [4], { replace: false, p }));
    assert.equal(new Set(c).size, 4, `key ${s}: picks ${c} repeat`);
    assert.equal([...c.slice(0, 2)].sort(), [0, 2], `key ${s}: the positive entries come first, got ${c}`);
  }
  const batched = read(random.choice(random.splitKeys(random.key(1), 8), 5, [5], { replace: false, p }));
  for (let r = 0; r < 8; r++) assert.equal([...batched.slice(5 * r, 5 * r + 5)].sort(), [0, 1, 2, 3, 4], `row ${r}: a permutation`);
  const none = random.choice(random.key(2), 5, [0], { replace: false, p: np.array([0.2, 0.2, 0.2, 0.2, 0.2]) }) as tf.Tensor;
  assert.equal(none.shape, [0]);
});

R('deterministic per key; the same values under jit and under vmap over keys', () => {
  const samplers: [string, (k: NdArray) => NdArray][] = [
    ['gumbel', (k) => random.gumbel(k, [4])],
    ['laplace', (k) => random.laplace(k, [4])],
    ['cauchy', (k) => random.cauchy(k, [4])],
    ['gamma', (k) => random.gamma(k, np.array([0.4, 1, 3, 7]))],
    ['beta', (k) => random.beta(k, 0.5, np.array([1, 2, 3, 4]))],
    ['dirichlet', (k) => random.dirichlet(k, np.array([0.5, 1, 2]), [2])],
    ['multivariateNormal', (k) => random.multivariateNormal(k, np.zeros([2]), np.array([[1, 0.5], [0.5, 2]]), [3])],
    ['categorical', (k) => random.categorical(k, np.zeros([3, 4]), -1, [2, 3])],
    ['choice', (k) => random.choice(k, 6, [3], { replace: false, p: np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.1]) })],
  ];
  sameUnderTransforms(samplers);
});

R('no tensors left behind', () => {
  const key = random.key(1);
  const before = tf.memory().numTensors;
  const outs = [random.gamma(key, 2, [3]), random.beta(key, 1, 2, [3]), random.choice(key, 5, [2], { replace: false }), random.laplace(key, [2])] as tf.Tensor[];
  assert.is(tf.memory().numTensors - before, outs.length);
  tf.dispose([...outs]);
  // Shapes defaulting to the parameters' broadcast shape are found without making tensors.
  const a = np.array([1, 2]) as tf.Tensor;
  const mean = np.array([0, 1]) as tf.Tensor;
  const cov = np.array([[1, 0], [0, 1]]) as tf.Tensor;
  for (const [name, f] of [['beta', () => random.beta(key, a, 3)], ['beta of numbers', () => random.beta(key, 1, 2)], ['multivariateNormal', () => random.multivariateNormal(key, mean, cov)]] as const) {
    const n0 = tf.memory().numTensors;
    const out = f() as tf.Tensor;
    assert.is(tf.memory().numTensors - n0, 1, `${name}: tensors left besides its result`);
    tf.dispose(out);
  }
  tf.dispose([key, a, mean, cov]);
});

R.run();
