/**
 * jax.random's semantics beyond the bits (after JAX's tests/random_lax_test.py): default
 * shapes, randint's bounds (maxval <= minval, array bounds, the whole int32 range), uniform's
 * array bounds, foldIn over all of uint32, parameter shapes that must broadcast to `shape`,
 * categorical without replacement, permutation's axis / independent, choice's 0-d population,
 * multivariateNormal's eigh / svd methods, poisson and orthogonal. Statistical checks use
 * fixed keys (deterministic) and bounds of 5 standard errors (two-sided p < 6e-7 each) or a
 * chi-square test at p = 1e-4.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { checkFrequency, checkMoments, read, sameUnderTransforms } from './moments.js';

await useTestBackend();

const R = suite('random: jax.random semantics');
const key = random.key(0);

/** Pearson's chi-square of integer samples against a pmf, bins merged so each expects >= 5; below the p = 1e-4 critical value (Wilson–Hilferty, z = 3.719). */
function checkChiSquare(what: string, xs: number[], pmf: (k: number) => number): void {
  const n = xs.length;
  const counts = new Map<number, number>();
  for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const bins: { observed: number; expected: number }[] = [];
  let cur = { observed: 0, expected: 0 };
  let below = 0; // the mass left of the smallest sample joins the first bin
  for (let k = 0; k < lo; k++) below += pmf(k);
  cur.expected = below * n;
  let cdf = below;
  for (let k = lo; k <= hi; k++) {
    cur.observed += counts.get(k) ?? 0;
    cur.expected += pmf(k) * n;
    cdf += pmf(k);
    if (cur.expected >= 5) {
      bins.push(cur);
      cur = { observed: 0, expected: 0 };
    }
  }
  // The upper tail joins the last bin.
  const last = bins[bins.length - 1];
  last.observed += cur.observed;
  last.expected += cur.expected + Math.max(0, 1 - cdf) * n;
  const stat = bins.reduce((s, b) => s + (b.observed - b.expected) ** 2 / b.expected, 0);
  const df = bins.length - 1;
  const critical = df * (1 - 2 / (9 * df) + 3.719 * Math.sqrt(2 / (9 * df))) ** 3;
  assert.ok(stat < critical, `${what}: chi-square ${stat.toFixed(1)} over ${df} df exceeds ${critical.toFixed(1)} (p = 1e-4)`);
}

const logFactorial = (k: number) => {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
};
const poissonPmf = (lam: number) => (k: number) => Math.exp(k * Math.log(lam) - lam - logFactorial(k));

R('shape defaults to [] (a scalar sample), as in jax.random', () => {
  tf.tidy(() => {
    const samplers: [string, () => NdArray][] = [
      ['normal', () => random.normal(key)],
      ['uniform', () => random.uniform(key)],
      ['bits', () => random.bits(key)],
      ['gumbel', () => random.gumbel(key)],
      ['exponential', () => random.exponential(key)],
      ['laplace', () => random.laplace(key)],
      ['cauchy', () => random.cauchy(key)],
      ['logistic', () => random.logistic(key)],
      ['maxwell', () => random.maxwell(key)],
      ['rademacher', () => random.rademacher(key)],
    ];
    for (const [name, f] of samplers) assert.equal(f().shape, [], name);
    assert.is(random.normal(key).dtype, 'float32');
  });
});

R('randint: maxval <= minval gives minval (JAX issue 222); array bounds broadcast to shape', () => {
  tf.tidy(() => {
    assert.equal(read(random.randint(random.key(10003), [], 0, 0)), [0]);
    assert.equal(read(random.randint(key, [4], 3, -2)), [3, 3, 3, 3]);
    // JAX's testRandomBroadcast: bounds [0, 1] and [1, 2] for the two columns.
    const x = random.randint(key, [500, 2], np.array([0, 1], 'int32'), np.array([1, 2], 'int32'));
    assert.equal(x.shape, [500, 2]);
    assert.is(x.dtype, 'int32');
    assert.equal([...new Set(read(x))].sort(), [0, 1]);
    read(x).forEach((v, i) => assert.is(v, i % 2));
    // Per-column spans of 10 and 1000: in bounds, with the uniform mean and variance.
    const y = read(random.randint(random.key(1), [20000, 2], np.array([-5, 100], 'int32'), np.array([5, 1100], 'int32')));
    const col = (j: number) => y.filter((_, i) => i % 2 === j);
    assert.ok(col(0).every((v) => v >= -5 && v < 5) && col(1).every((v) => v >= 100 && v < 1100));
    checkMoments('randint [-5, 5)', col(0), -0.5, (10 ** 2 - 1) / 12);
    checkMoments('randint [100, 1100)', col(1), 599.5, (1000 ** 2 - 1) / 12);
    // An array maxval below minval gives minval there.
    assert.equal(read(random.randint(key, [2], np.array([7, 0], 'int32'), np.array([2, 1], 'int32'))), [7, 0]);
  });
});

R('randint over spans wider than 2^24, up to the whole int32 range', () => {
  tf.tidy(() => {
    // The whole range (as randint(key, shape, iinfo.min, iinfo.max + 1)): scaled to [-1, 1),
    // uniform: mean 0, variance 1/3.
    const full = read(random.randint(random.key(2), [20000], -(2 ** 31), 2 ** 31));
    assert.ok(full.every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31));
    checkMoments('randint over int32', full.map((v) => v / 2 ** 31), 0, 1 / 3);
    // A span just above 2^24 with an awkward remainder: every value in bounds, uniform moments.
    const span = 3 * 2 ** 24 + 12345;
    const w = read(random.randint(random.key(3), [20000], -7, span - 7));
    assert.ok(w.every((v) => v >= -7 && v < span - 7));
    checkMoments('randint over 3 * 2^24 + 12345', w.map((v) => (v + 7) / span), (span - 1) / 2 / span, (span * span - 1) / 12 / (span * span));
    // The top slice [span - 2^16, span) is reached with its share of the mass.
    checkFrequency('randint top slice', w.filter((v) => v + 7 >= span - 2 ** 16).length, w.length, 2 ** 16 / span);
    // Bounds outside int32 are an error (JAX raises OverflowError for int32).
    assert.match(errorOf(() => random.randint(key, [2], 0, 2 ** 32)), /random\.randint: bounds must be integers in the int32 range/);
  });
});

R('uniform: array minval / maxval broadcast to shape; never maxval', () => {
  tf.tidy(() => {
    const x = random.uniform(key, [5000, 2], { minval: np.array([0, -3]), maxval: np.array([1, 5]) });
    assert.equal(x.shape, [5000, 2]);
    const xs = read(x);
    const col = (j: number) => xs.filter((_, i) => i % 2 === j);
    assert.ok(col(0).every((v) => v >= 0 && v < 1) && col(1).every((v) => v >= -3 && v < 5));
    checkMoments('uniform [-3, 5)', col(1), 1, 64 / 12);
    // Two float32s apart: the products round onto maxval, which must not be returned.
    const lo = 1;
    const hi = 1 + 2 ** -22;
    const narrow = read(random.uniform(key, [5000], { minval: np.array([lo]), maxval: np.array([hi]) }));
    assert.ok(narrow.every((v) => v >= lo && v < hi), 'narrow uniform inside [minval, maxval)');
    assert.match(errorOf(() => random.uniform(key, [3], { minval: np.zeros([2]) })), /random\.uniform: parameter shapes \[2\], \[\] must broadcast to the shape argument \[3\]/);
  });
});

R('foldIn takes any uint32 (JAX testFoldInBig): 2^32 - 2 and 2^32 - 1 give new keys', () => {
  tf.tidy(() => {
    const ks = [0, 1, 2 ** 32 - 3, 2 ** 32 - 2, 2 ** 32 - 1].map((d) => read(random.foldIn(key, d)).join());
    assert.is(new Set(ks).size, ks.length);
    // JAX 0.5+ (threefry partitionable): fold_in(key, i) is split(key, n)[i], the block at counter (0, i).
    const children = random.split(key, 4).map((k) => read(k).join());
    assert.equal(ks.slice(0, 2), children.slice(0, 2));
    assert.is(new Set([...ks.slice(2), ...children]).size, 3 + children.length);
    assert.equal(read(random.foldIn(key, 2 ** 32 - 1)), read(random.foldIn(random.key(0), 2 ** 32 - 1)));
    assert.match(errorOf(() => random.foldIn(key, 2 ** 32)), /random\.foldIn: data must be an integer in \[0, 4294967295\]/);
  });
});

R('parameter shapes must broadcast to the shape argument, as jax.random checks', () => {
  tf.tidy(() => {
    // JAX's testBernoulliShape / testGammaShape / testParetoShape: [2] params with shape [3, 2].
    assert.equal(random.bernoulli(key, np.array([0.2, 0.3]), [3, 2]).shape, [3, 2]);
    assert.equal(random.gamma(key, np.array([0.2, 0.3]), [3, 2]).shape, [3, 2]);
    assert.equal(random.pareto(key, np.array([0.2, 0.3]), [3, 2]).shape, [3, 2]);
    // Not [3, 1] grown to [3, 2], nor [3] from [2].
    assert.match(errorOf(() => random.bernoulli(key, np.array([0.2, 0.3]), [3, 1])), /^random\.bernoulli: parameter shapes \[2\] must broadcast to the shape argument \[3,1\]$/);
    assert.match(errorOf(() => random.gamma(key, np.array([0.2, 0.3]), [3])), /^random\.gamma: parameter shapes \[2\] must broadcast/);
    assert.match(errorOf(() => random.t(key, np.array([1, 2]), [2, 3])), /^random\.t: parameter shapes/);
    // multivariateNormal with a batch of 3 means and shape []: JAX raises; it used to repeat one draw for all 3.
    assert.match(errorOf(() => random.multivariateNormal(key, np.zeros([3, 4]), np.eye(4), [])), /^random\.multivariateNormal: parameter shapes \[3\], \[\] must broadcast to the shape argument \[\]$/);
    const mvn = read(random.multivariateNormal(key, np.zeros([3, 4]), np.eye(4), [2, 3]));
    assert.not.equal(mvn.slice(0, 4), mvn.slice(4, 8), 'batch members draw independently');
  });
});

R('categorical with replace = false: distinct draws per distribution, first draw by softmax', () => {
  tf.tidy(() => {
    // JAX's testCategoricalWithoutReplacement: logits [10, 3] along axis 0, shape [4, 2, 3].
    const logits = random.normal(random.key(5), [10, 3]);
    const out = random.categorical(key, logits, 0, [4, 2, 3], false);
    assert.equal(out.shape, [4, 2, 3]);
    const v = read(out);
    for (let c = 0; c < 3; c++) {
      const picks = v.filter((_, i) => i % 3 === c);
      assert.ok(picks.every((p) => p >= 0 && p < 10));
      assert.is(new Set(picks).size, 8, `distribution ${c}: 8 distinct categories`);
    }
    assert.match(errorOf(() => random.categorical(key, np.zeros([3]), -1, [4], false)), /samples without replacement \(4\) cannot exceed the number of categories \(3\)/);
    // The first of the distinct draws is a categorical draw: frequencies match softmax(logits).
    const p = [0.1, 0.2, 0.3, 0.4];
    const first = read(vmap((k: NdArray) => np.sliceAxis(random.categorical(k, np.log(np.array(p)), -1, [3], false), 0, 0, 1))(random.splitKeys(random.key(6), 8000)));
    p.forEach((pk, k) => checkFrequency(`first draw = ${k}`, first.filter((x) => x === k).length, first.length, pk));
  });
});

R('permutation along an axis, and independent shuffles (jax.random.permutation)', () => {
  tf.tidy(() => {
    const x = np.reshape(np.arange(0, 20), [4, 5]);
    const rows = (a: number[]) => [0, 1, 2, 3].map((r) => a.slice(5 * r, 5 * r + 5));
    // axis 1: one permutation of the columns for every row.
    const byCol = rows(read(random.permutation(random.key(7), x, 1)));
    const perm = byCol[0];
    assert.equal([...perm].sort((a, b) => a - b), [0, 1, 2, 3, 4]);
    assert.not.equal(perm, [0, 1, 2, 3, 4]);
    byCol.forEach((row, r) => assert.equal(row, perm.map((c) => c + 5 * r)));
    // axis 0 (the default) moves whole rows.
    const byRow = rows(read(random.permutation(random.key(7), x)));
    assert.equal(byRow.map((row) => row[0] / 5).sort(), [0, 1, 2, 3]);
    byRow.forEach((row) => assert.equal(row, [0, 1, 2, 3, 4].map((c) => row[0] + c)));
    // independent: each row a permutation of itself, not all by the same permutation.
    const indep = rows(read(random.permutation(random.key(8), x, -1, true)));
    indep.forEach((row, r) => assert.equal([...row].sort((a, b) => a - b), [0, 1, 2, 3, 4].map((c) => c + 5 * r)));
    assert.ok(new Set(indep.map((row) => row.map((v) => v % 5).join())).size > 1, 'rows shuffled independently');
    assert.match(errorOf(() => random.permutation(key, 10, 3)), /random\.permutation: axis 3 is out of range/);
    assert.match(errorOf(() => random.permutation(key, 10.5)), /random\.permutation: n must be a non-negative integer/);
  });
});

R('choice: a 0-d array is a population size; shape must be a list', () => {
  tf.tidy(() => {
    const c = random.choice(key, np.array(5, 'int32'), [200]);
    assert.equal(c.shape, [200]);
    assert.equal([...new Set(read(c))].sort(), [0, 1, 2, 3, 4]);
    assert.equal(read(random.choice(key, np.array(5, 'int32'), [3])), read(random.choice(key, 5, [3])));
    assert.match(errorOf(() => random.choice(key, 5, 2 as never, { replace: false })), /^random\.choice: shape must be a list/);
  });
});

R('multivariateNormal: eigh and svd factors; singular covariances (JAX testMultivariateNormalSingularCovariance)', () => {
  tf.tidy(() => {
    const cov = np.array([[2, 0.6], [0.6, 1]]);
    const mean = np.array([1, -1]);
    for (const method of ['cholesky', 'eigh', 'svd'] as const) {
      const xs = read(random.multivariateNormal(random.key(9), mean, cov, [20000], method));
      const a = xs.filter((_, i) => i % 2 === 0);
      const b = xs.filter((_, i) => i % 2 === 1);
      checkMoments(`mvn ${method} x0`, a, 1, 2);
      checkMoments(`mvn ${method} x1`, b, -1, 1);
      // x0 + x1 has variance 2 + 1 + 2 * 0.6: checks the covariance.
      checkMoments(`mvn ${method} x0 + x1`, a.map((v, i) => v + b[i]), 0, 4.2);
    }
    const ones = np.ones([2, 2]);
    for (const method of ['eigh', 'svd'] as const) {
      const r = read(random.multivariateNormal(key, np.zeros([2]), ones, [10], method));
      assert.ok(r.every(Number.isFinite), `${method}: finite for a singular covariance`);
      allClose(r.filter((_, i) => i % 2 === 0), r.filter((_, i) => i % 2 === 1), { rtol: 1e-3, atol: 1e-3 }, `${method}: both coordinates equal`);
    }
    assert.match(errorOf(() => random.multivariateNormal(key, np.zeros([2]), ones, [2], 'qr' as never)), /method must be 'cholesky', 'eigh' or 'svd'/);
  });
});

R('poisson: int32 samples with the right law for small and large rates', () => {
  tf.tidy(() => {
    for (const lam of [0.5, 3, 9, 11, 50, 500]) {
      const xs = read(random.poisson(random.key(11), lam, [10000]));
      assert.ok(xs.every((x) => Number.isInteger(x) && x >= 0), `poisson(${lam}): non-negative integers`);
      checkMoments(`poisson(${lam})`, xs, lam, lam);
      checkChiSquare(`poisson(${lam})`, xs, poissonPmf(lam));
    }
    assert.is(random.poisson(key, 3, [2]).dtype, 'int32');
  });
});

R('poisson: batched rates, shape from lam, zeros and the corner cases of JAX', () => {
  tf.tidy(() => {
    // JAX's testPoissonBatched: rates 2 and 20 side by side.
    const lam = np.concatenate([np.full([5000], 2), np.full([5000], 20)]);
    const xs = read(random.poisson(random.key(12), lam));
    checkChiSquare('poisson(2) batched', xs.slice(0, 5000), poissonPmf(2));
    checkChiSquare('poisson(20) batched', xs.slice(5000), poissonPmf(20));
    assert.equal(random.poisson(key, np.array([2, 20]), [3, 2]).shape, [3, 2]);
    assert.match(errorOf(() => random.poisson(key, np.array([2, 20]), [3])), /^random\.poisson: parameter shapes/);
    // testPoissonZeros and testPoissonCornerCases: rate 0 gives 0; -1 and NaN give -1.
    assert.ok(read(random.poisson(key, np.zeros([10]), [2, 10])).every((x) => x === 0));
    assert.equal(read(random.poisson(key, np.array([-1, 0, NaN]), [3])), [-1, 0, -1]);
  });
});

R('orthogonal: [...shape, n, m] with orthonormal rows or columns (JAX testOrthogonal)', () => {
  tf.tidy(() => {
    for (const [n, m, shape] of [[3, 3, []], [4, 2, [5]], [2, 4, [2, 3]], [1, 1, []], [0, 0, [2]]] as [number, number, number[]][]) {
      const q = random.orthogonal(key, n, shape, m);
      assert.equal(q.shape, [...shape, n, m]);
      assert.is(q.dtype, 'float32');
      const qt = np.swapaxes(q, -1, -2);
      if (n <= m) allClose(read(np.matmul(q, qt)), read(np.broadcastTo(np.eye(n), [...shape, n, n])), { atol: 1e-5, rtol: 0 }, `Q Q^T = I for ${n}x${m}`);
      if (n >= m) allClose(read(np.matmul(qt, q)), read(np.broadcastTo(np.eye(m), [...shape, m, m])), { atol: 1e-5, rtol: 0 }, `Q^T Q = I for ${n}x${m}`);
    }
    // Haar: the entries of a random 4x4 orthogonal matrix have mean 0 and variance 1/4.
    checkMoments('orthogonal entries', read(random.orthogonal(random.key(13), 4, [2000])), 0, 1 / 4);
  });
});

R('the new samplers: deterministic per key, the same under jit and under vmap over keys', () => {
  sameUnderTransforms([
    ['randint wide', (k) => random.randint(k, [6], -(2 ** 31), 2 ** 31 - 1)],
    ['randint arrays', (k) => random.randint(k, [3, 2], np.array([0, 10], 'int32'), np.array([5, 20], 'int32'))],
    ['uniform arrays', (k) => random.uniform(k, [3, 2], { minval: np.array([0, 10]), maxval: np.array([5, 20]) })],
    ['poisson', (k) => random.poisson(k, np.array([0.5, 4, 30, 400]), [2, 4])],
    ['orthogonal', (k) => random.orthogonal(k, 3)],
    ['categorical without replacement', (k) => random.categorical(k, np.array([0, 1, 2, 3, 4]), -1, [3], false)],
    ['mvn eigh', (k) => random.multivariateNormal(k, np.zeros([2]), np.array([[2, 1], [1, 2]]), [3], 'eigh')],
  ]);
  assert.equal(read(jit((k: NdArray) => random.foldIn(k, 2 ** 32 - 2))(key)), read(random.foldIn(key, 2 ** 32 - 2)));
});

R('no tensors left behind by eager calls', () => {
  const [lo, logits] = [np.array([0, 1], 'int32'), np.zeros([5])];
  const before = tf.memory().numTensors;
  const outs = [
    random.randint(key, [4], -(2 ** 31), 2 ** 31 - 1),
    random.randint(key, [2], lo, 5),
    random.poisson(key, 30, [4]),
    random.orthogonal(key, 3),
    random.categorical(key, logits, -1, [2], false),
    random.foldIn(key, 2 ** 32 - 1),
  ];
  assert.is(tf.memory().numTensors - before, outs.length, 'each call leaves its result only');
  tf.dispose([...outs, lo, logits] as tf.Tensor[]);
});

R.run();
