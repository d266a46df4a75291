/**
 * Sinkhorn-Knopp codes: the reference fixtures (test/fixtures/sinkhorn.json), property-based
 * tests over random score matrices and configurations (fast-check, with the arbitraries
 * that lib/ssl/swav/arbitraries.ts exports), and the options (mask, collectives, jit, vmap).
 */
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, grad, jit, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import { permutation, scoreMatrix, sinkhornCase, sinkhornConfig } from '../../lib/ssl/swav/arbitraries.js';
import { type SinkhornOptions, sinkhorn } from '../../lib/ssl/swav/sinkhorn.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { type SinkhornCase, loadFixture } from './fixtures.js';
import { sinkhorn64 } from './sinkhorn64.js';

await useTestBackend();

/** Runs sinkhorn eagerly, freeing everything but the result, and reads it as nested rows. */
async function codes(scores: number[][], opts: SinkhornOptions): Promise<number[][]> {
  const q = tf.tidy(() => sinkhorn(tf.tensor(scores), opts) as tf.Tensor);
  const flat = Array.from(await q.data());
  q.dispose();
  const k = scores[0].length;
  return scores.map((_, b) => flat.slice(b * k, (b + 1) * k));
}

/**
 * Absolute tolerance for comparing float32 codes: 1e-5, plus the float32 rounding of
 * scores / epsilon (|scores / epsilon| up to 1/epsilon, relative rounding 2^-24, a few
 * roundings), which moves log-codes by that much.
 */
const tolFor = (epsilon: number, scale = 1) => 1e-5 + (8 * scale * 2 ** -24) / epsilon;

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((x, k) => Math.abs(x - b[i][k]))));

/** Prototype marginal error: sum_k |sum_b q[b,k] - B/K| / B (0 when prototypes are equipartitioned). */
const marginalError = (q: number[][]) => {
  const B = q.length;
  const K = q[0].length;
  let e = 0;
  for (let k = 0; k < K; k++) e += Math.abs(q.reduce((s, r) => s + r[k], 0) - B / K);
  return e / B;
};

const NUM_RUNS = Number(process.env.TFJAX_FC_RUNS ?? 100);
/** Property run counts, printed at the end so the report can quote them. */
const runCounts: Record<string, number> = {};
async function property<T>(name: string, arb: fc.Arbitrary<T>, check: (x: T) => Promise<void>, numRuns = NUM_RUNS): Promise<void> {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(arb, async (x) => {
      n++;
      await check(x);
    }),
    { numRuns, seed: Number(process.env.TFJAX_FC_SEED ?? 20240601) },
  );
  runCounts[name] = n;
}

// ---------------------------------------------------------------------------------------------

const Fixtures = suite('sinkhorn: reference fixtures');
const cases = loadFixture<SinkhornCase[]>('sinkhorn.json');

Fixtures('every case matches q_exact_float64 to 1e-5 (absolute), including those where the seed overflows', async () => {
  assert.ok(cases.some((c) => !c.seed_float32_is_finite), 'the fixture holds cases where float32 exp overflows');
  const errors: string[] = [];
  for (const c of cases) {
    const q = await codes(c.scores, { epsilon: c.epsilon, iterations: c.iterations });
    errors.push(`eps ${c.epsilon}: ${maxAbsDiff(q, c.q_exact_float64).toExponential(1)}`);
    allClose(q, c.q_exact_float64, { atol: 1e-5, rtol: 0 }, `B=${c.B} K=${c.K} eps=${c.epsilon} it=${c.iterations}`);
    if (c.seed_float32_is_finite) allClose(q, c.q_seed_float32, { atol: 1e-5, rtol: 0 }, 'and the seed float32 result');
    else assert.ok(c.q_seed_float32.flat().some((x) => !Number.isFinite(x)), 'the seed result is not finite there');
  }
  console.log(`  max abs error vs q_exact_float64: ${errors.join('; ')}`);
});

Fixtures('the float64 reference of these tests reproduces the fixtures', () => {
  for (const c of cases) allClose(sinkhorn64(c.scores, c.epsilon, c.iterations), c.q_exact_float64, { atol: 1e-12, rtol: 1e-9 });
});

Fixtures('finite and correct for epsilon down to 0.001 on extreme cosine scores', async () => {
  const scores = [
    [1, -1, 1, -1],
    [-1, 1, -1, 1],
    [1, 1, -1, -1],
  ];
  for (const epsilon of [0.012, 0.005, 0.001]) {
    const q = await codes(scores, { epsilon, iterations: 3 });
    assert.ok(q.flat().every(Number.isFinite));
    allClose(q, sinkhorn64(scores, epsilon, 3), { atol: 1e-5, rtol: 0 });
  }
});

Fixtures.run();

// ---------------------------------------------------------------------------------------------

const Props = suite('sinkhorn: properties (fast-check)');

Props('codes are finite and non-negative, and each sample row sums to 1', async () => {
  // The reference ends with a column (sample) normalisation to 1/B and then *B, so every
  // sample's codes sum to exactly 1 (up to float32 rounding), for any iteration count.
  await property('finite, non-negative, rows sum to 1', sinkhornCase({}, { minIterations: 0, maxIterations: 10 }), async ({ scores, epsilon, iterations }) => {
    const q = await codes(scores, { epsilon, iterations });
    for (const row of q) {
      for (const x of row) assert.ok(Number.isFinite(x) && x >= 0, `code ${x}`);
      const s = row.reduce((a, x) => a + x, 0);
      assert.ok(Math.abs(s - 1) < 1e-5, `a sample's codes sum to ${s}`);
    }
  });
});

Props('agrees with an independent float64 implementation', async () => {
  await property(
    'agrees with float64',
    fc.oneof(sinkhornCase({}, { minIterations: 0 }), sinkhornCase({ kind: 'cosine' }, { minIterations: 0 })),
    async ({ scores, epsilon, iterations }) => {
      const q = await codes(scores, { epsilon, iterations });
      const e = sinkhorn64(scores, epsilon, iterations);
      const d = maxAbsDiff(q, e);
      assert.ok(d <= tolFor(epsilon), `max abs error ${d} > ${tolFor(epsilon)} (eps ${epsilon}, ${iterations} iterations)`);
    },
  );
});

Props('adding a constant per prototype changes nothing (exactly, for any iteration count)', async () => {
  // A per-prototype constant multiplies a row of Q = exp(scores / eps).T by e^(c/eps);
  // the first row normalisation removes it.
  const arb = sinkhornCase().chain((c) => fc.tuple(fc.constant(c), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: c.prototypes, maxLength: c.prototypes })));
  await property('per-prototype shift invariance', arb, async ([{ scores, epsilon, iterations }, shift]) => {
    const shifted = scores.map((r) => r.map((s, k) => Math.fround(s + shift[k])));
    const d = maxAbsDiff(await codes(scores, { epsilon, iterations }), await codes(shifted, { epsilon, iterations }));
    assert.ok(d <= tolFor(epsilon, 3), `changed by ${d} (eps ${epsilon})`);
  });
});

Props('adding a constant per sample changes nothing once Sinkhorn has converged (and exactly with 0 iterations)', async () => {
  // Precisely: a per-sample constant scales a column of Q. The final column
  // normalisation removes the scale itself, but the row normalisations in between see
  // it, so after finitely many iterations the codes move (by up to 0.15 after 1
  // iteration); they agree at the fixed point, which every run reaches here
  // (epsilon in [0.5, 1], 30 iterations: float64 differences below 4e-8 over 20000 cases).
  const converged = fc
    .tuple(scoreMatrix({ maxBatch: 16, maxPrototypes: 16 }), sinkhornConfig({ minEpsilon: 0.5, maxEpsilon: 1, minIterations: 30, maxIterations: 30 }))
    .chain(([m, c]) => fc.tuple(fc.constant({ ...m, ...c }), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: m.batch, maxLength: m.batch })));
  await property('per-sample shift invariance (converged)', converged, async ([{ scores, epsilon, iterations }, shift]) => {
    const shifted = scores.map((r, b) => r.map((s) => Math.fround(s + shift[b])));
    const d = maxAbsDiff(await codes(scores, { epsilon, iterations }), await codes(shifted, { epsilon, iterations }));
    assert.ok(d <= 1e-5, `changed by ${d}`);
  });
  const zeroIt = sinkhornCase().chain((c) => fc.tuple(fc.constant(c), fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: c.batch, maxLength: c.batch })));
  await property('per-sample shift invariance (0 iterations)', zeroIt, async ([{ scores, epsilon }, shift]) => {
    const shifted = scores.map((r, b) => r.map((s) => Math.fround(s + shift[b])));
    const d = maxAbsDiff(await codes(scores, { epsilon, iterations: 0 }), await codes(shifted, { epsilon, iterations: 0 }));
    assert.ok(d <= tolFor(epsilon, 3), `changed by ${d}`);
  });
});

Props('a per-sample constant does move the codes after finitely many iterations (so the property above is stated precisely)', async () => {
  const scores = [
    [0.9, -0.2, 0.1],
    [0.3, 0.8, -0.5],
    [-0.4, 0.2, 0.7],
    [0.5, 0.5, -0.9],
  ];
  const shifted = scores.map((r, b) => r.map((s) => s + [0.5, -0.3, 0.8, 0][b]));
  const d = maxAbsDiff(await codes(scores, { epsilon: 0.5, iterations: 1 }), await codes(shifted, { epsilon: 0.5, iterations: 1 }));
  assert.ok(d > 1e-3, `moved by ${d}`);
  allClose(await codes(shifted, { epsilon: 0.5, iterations: 1 }), sinkhorn64(shifted, 0.5, 1), { atol: 1e-6, rtol: 0 });
});

Props('permuting samples or prototypes permutes the codes', async () => {
  const arb = sinkhornCase().chain((c) => fc.tuple(fc.constant(c), permutation(c.batch), permutation(c.prototypes)));
  await property('permutation equivariance', arb, async ([{ scores, epsilon, iterations }, pb, pk]) => {
    const q = await codes(scores, { epsilon, iterations });
    const permuted = pb.map((b) => pk.map((k) => scores[b][k]));
    const qp = await codes(permuted, { epsilon, iterations });
    const expected = pb.map((b) => pk.map((k) => q[b][k]));
    const d = maxAbsDiff(qp, expected);
    assert.ok(d <= tolFor(epsilon), `differs by ${d}`);
  });
});

Props('prototype marginals approach uniform as iterations grow: the error never increases', async () => {
  // Error: sum_k |sum_b q[b,k] - B/K| / B after n iterations, n = 1..8; non-increasing up to
  // float32 rounding (2e-5) for every epsilon, and below 1e-4 after 30 iterations for epsilon >= 0.5.
  await property(
    'marginal error non-increasing',
    sinkhornCase({ maxBatch: 16, maxPrototypes: 16 }, { minIterations: 8, maxIterations: 8 }),
    async ({ scores, epsilon }) => {
      const errors: number[] = [];
      for (let n = 1; n <= 8; n++) errors.push(marginalError(await codes(scores, { epsilon, iterations: n })));
      for (let n = 1; n < errors.length; n++) assert.ok(errors[n] <= errors[n - 1] + 2e-5, `error rose from ${errors[n - 1]} to ${errors[n]} at iteration ${n + 1}`);
    },
    Math.max(10, Math.round(NUM_RUNS / 2)),
  );
  await property(
    'marginal error small once converged',
    sinkhornCase({ maxBatch: 16, maxPrototypes: 16 }, { minEpsilon: 0.5, maxEpsilon: 1, minIterations: 30, maxIterations: 30 }),
    async ({ scores, epsilon, iterations }) => {
      const e = marginalError(await codes(scores, { epsilon, iterations }));
      assert.ok(e < 1e-4, `marginal error ${e}`);
    },
  );
});

Props.after(() => {
  console.log(`  fast-check runs: ${Object.entries(runCounts).map(([k, v]) => `${k} ${v}`).join('; ')}`);
});

Props.run();

// ---------------------------------------------------------------------------------------------

const Options = suite('sinkhorn: options, transformations, errors');

const S = [
  [0.9, -0.2, 0.1, 0.4, -0.7],
  [0.3, 0.8, -0.5, 0.0, 0.2],
  [-0.4, 0.2, 0.7, -0.1, 0.6],
];

Options('defaults are epsilon 0.05 and 3 iterations', async () => {
  allClose(await codes(S, {}), sinkhorn64(S, 0.05, 3), { atol: 1e-6, rtol: 0 });
});

Options('the codes carry no gradient', async () => {
  const g = tf.tidy(() => grad((s: NdArray) => np.sum(np.mul(sinkhorn(s), np.array([[1, 2, 3, 4, 5]]))))(tf.tensor(S)) as tf.Tensor);
  allClose(Array.from(await g.data()), 0, { atol: 0, rtol: 0 });
  g.dispose();
});

Options('a mask drops samples: the others get the codes of the unmasked rows alone', async () => {
  const padded = [...S, [0.5, 0.5, 0.5, 0.5, 0.5], [-1, 1, -1, 1, -1]];
  const q = tf.tidy(() => sinkhorn(tf.tensor(padded), { epsilon: 0.05, iterations: 3, mask: tf.tensor([1, 1, 1, 0, 0]) }) as tf.Tensor);
  const flat = Array.from(await q.data());
  q.dispose();
  allClose(flat.slice(0, 15), sinkhorn64(S, 0.05, 3).flat(), { atol: 1e-6, rtol: 0 });
  allClose(flat.slice(15), 0, { atol: 0, rtol: 0 });
});

Options('issue 11 item 18: every sample masked (an all-padding shard) gives zero codes, eagerly, under jit and grad', async () => {
  const none = tf.zeros([3]);
  for (const iterations of [0, 1, 2, 3]) {
    const q = tf.tidy(() => sinkhorn(tf.tensor(S), { iterations, mask: none }) as tf.Tensor);
    allClose(Array.from(await q.data()), 0, { atol: 0, rtol: 0 }, `${iterations} iterations`);
    q.dispose();
  }
  const f = jit((s: NdArray, m: NdArray) => sinkhorn(s, { mask: m }));
  const x = tf.tensor(S);
  const q = f(x, none) as tf.Tensor;
  allClose(Array.from(await q.data()), 0, { atol: 0, rtol: 0 }, 'jit');
  // The same trace with a partial mask still gives the unmasked rows' codes alone.
  const partial = f(x, tf.tensor([1, 1, 0])) as tf.Tensor;
  const p = Array.from(await partial.data());
  allClose(p.slice(0, 10), sinkhorn64(S.slice(0, 2), 0.05, 3).flat(), { atol: 1e-6, rtol: 0 });
  allClose(p.slice(10), 0, { atol: 0, rtol: 0 });
  assert.is(f.cacheSize(), 1);
  const g = tf.tidy(() => grad((s: NdArray) => np.sum(np.mul(np.logSoftmax(s, -1), sinkhorn(s, { mask: none }))))(x) as tf.Tensor);
  allClose(Array.from(await g.data()), 0, { atol: 0, rtol: 0 }, 'grad of a loss on all-zero codes');
  tf.dispose([none, x, q, partial, g]);
  f.clearCache();
});

Options('collectives: two devices holding the same shard give the codes of the doubled batch', async () => {
  // allReduceSum over 2 identical devices doubles; allReduceMax is the identity. (Applying
  // the sum to a per-sample sum, which must stay local, would make rows sum to 1/2.)
  const both = await codes([...S, ...S], { epsilon: 0.05, iterations: 3 });
  const shard = await codes(S, { epsilon: 0.05, iterations: 3, allReduceSum: (x) => np.mul(x, 2) });
  allClose(shard, both.slice(0, 3), { atol: 1e-6, rtol: 0 });
  allClose(both, sinkhorn64([...S, ...S], 0.05, 3), { atol: 1e-6, rtol: 0 });
});

Options('collectives: applied to the per-prototype sums, the batch size and shifts, never per sample (the global total is a constant the first per-prototype step removes)', () => {
  // S's largest row spread is 1.6: / 0.05 = 32 takes the scaling solver, / 0.001 = 1600 the log domain.
  const calls = (epsilon: number) => {
    const sums: number[][] = [];
    const maxes: number[][] = [];
    tf.tidy(() => {
      sinkhorn(tf.tensor(S), {
        epsilon,
        iterations: 2,
        allReduceSum: (x) => (sums.push([...(x as tf.Tensor).shape]), x),
        allReduceMax: (x) => (maxes.push([...(x as tf.Tensor).shape]), x),
      });
    });
    return { sums, maxes };
  };
  // The batch size []; per iteration the per-prototype sums [1,K]. The max: the largest row
  // spread [] (which solver), then per iteration the shift of the per-prototype sums: one for
  // all prototypes [] by scaling, one per prototype [1,K] in the log domain.
  assert.equal(calls(0.05), { sums: [[], [1, 5], [1, 5]], maxes: [[], [], []] });
  assert.equal(calls(0.001), { sums: [[], [1, 5], [1, 5]], maxes: [[], [1, 5], [1, 5]] });
});

Options('under jit (one trace, equal to eager) and vmap (a batch of score matrices)', async () => {
  const f = jit((s: NdArray) => sinkhorn(s, { epsilon: 0.03, iterations: 4 }));
  const x = tf.tensor(S);
  const a = f(x) as tf.Tensor;
  const b = f(x) as tf.Tensor;
  assert.is(f.cacheSize(), 1);
  allClose(Array.from(await a.data()), sinkhorn64(S, 0.03, 4).flat(), { atol: 1e-6, rtol: 0 });
  allClose(Array.from(await b.data()), Array.from(await a.data()), { atol: 0, rtol: 0 });
  const S2 = S.map((r) => r.map((v) => -v));
  const v = tf.tidy(() => vmap((s: NdArray) => sinkhorn(s, { epsilon: 0.03, iterations: 4 }))(tf.tensor([S, S2])) as tf.Tensor);
  allClose(Array.from(await v.data()), [...sinkhorn64(S, 0.03, 4).flat(), ...sinkhorn64(S2, 0.03, 4).flat()], { atol: 1e-6, rtol: 0 });
  tf.dispose([x, a, b, v]);
  f.clearCache();
});

Options('at a size the fused kernels take (128 x 96: reduce_logsumexp, fused loops under jit), eager and jit match float64 at epsilon 0.05 and 0.001', async () => {
  // Cosine-like scores in [-1, 1] from a fixed sequence.
  const scores = Array.from({ length: 128 }, (_, b) => Array.from({ length: 96 }, (_, k) => Math.fround(Math.sin(b * 12.9898 + k * 78.233) * 0.999)));
  const f = (epsilon: number) => jit((s: NdArray) => sinkhorn(s, { epsilon, iterations: 3 }));
  const x = tf.tensor(scores);
  // log Q is of the order of 1 / epsilon: its float32 rounding moves each code by about 2^-24 / epsilon of itself.
  for (const [epsilon, atol] of [[0.05, 1e-6], [0.001, 2e-5]] as const) {
    const want = sinkhorn64(scores, epsilon, 3).flat();
    const jf = f(epsilon);
    const q = jf(x) as tf.Tensor;
    const got = Array.from(await q.data());
    assert.ok(got.every(Number.isFinite), `finite at epsilon ${epsilon}`);
    allClose(got, want, { atol, rtol: 0 }, `jit, epsilon ${epsilon}`);
    allClose((await codes(scores, { epsilon, iterations: 3 })).flat(), want, { atol, rtol: 0 }, `eager, epsilon ${epsilon}`);
    q.dispose();
    jf.clearCache();
  }
  x.dispose();
});

Options('errors name the bad option', () => {
  const x = tf.tensor(S);
  assert.throws(() => sinkhorn(x, { epsilon: 0 }), /sinkhorn: epsilon must be a finite number > 0, got 0/);
  assert.throws(() => sinkhorn(x, { iterations: 1.5 }), /sinkhorn: iterations must be an integer >= 0, got 1.5/);
  assert.throws(() => sinkhorn(tf.tensor([1, 2, 3]), {}), /sinkhorn: scores must be \[batch, prototypes\], got shape \[3\]/);
  assert.throws(() => sinkhorn(x, { mask: tf.tensor([1, 0]) }), /sinkhorn: mask must be \[3\]/);
  x.dispose();
});

Options.run();
