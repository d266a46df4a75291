/**
 * More Sinkhorn properties, written as a user property-tests the library with the arbitraries it
 * ships (lib/ssl/swav/arbitraries.ts): each sample's codes sum to 1 at any epsilon (float32
 * rounding only), doubly-stochastic marginals once converged, invariance to one constant added to
 * every score, joint permutation equivariance under jit, finiteness at tiny epsilon (with a mask
 * too), NaN propagation as the seed's, and the distributed (`axisName`) codes equal to the
 * single-process ones for 2 and 3 members, with a mask and under jit.
 */
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit, np, swav, vmap } from '../../lib/index.js';
import { permutation, scoreMatrix, sinkhornCase } from '../../lib/ssl/swav/arbitraries.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const RUNS = Number(process.env.TFJAX_FC_RUNS ?? 60);
const SEED = Number(process.env.TFJAX_FC_SEED ?? 7);

/** Runs `f` eagerly, frees everything but its result, and reads the result as rows. */
function rowsOf(f: () => NdArray, k: number): number[][] {
  const q = tf.tidy(() => f() as tf.Tensor);
  const flat = Array.from(q.dataSync());
  q.dispose();
  return Array.from({ length: flat.length / k }, (_, b) => flat.slice(b * k, (b + 1) * k));
}

const codes = (scores: number[][], epsilon: number, iterations: number) => rowsOf(() => swav.sinkhorn(np.array(scores), { epsilon, iterations }), scores[0].length);

/** The float32 rounding of scores / epsilon moves log-codes by a few 2^-24 / epsilon (docs/swav.md). */
const tolFor = (epsilon: number) => 1e-5 + (16 * 2 ** -24) / epsilon;

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((x, k) => Math.abs(x - b[i][k]))));

const check = <T>(arb: fc.Arbitrary<T>, p: (x: T) => void, numRuns = RUNS) => fc.assert(fc.property(arb, p), { numRuns, seed: SEED, includeErrorInReport: true });

// ---------------------------------------------------------------------------------------------
const Marginals = suite('sinkhorn: marginals');

Marginals('each sample sums to 1 up to float32 rounding at every epsilon (was off by 1e-4 at epsilon 5e-4)', () => {
  // Nine samples at +1, one at -1: log Q reaches -4096 for the last, whose rounding (ulp 5e-4)
  // the per-sample log-sum-exp normalisation passed on to its codes (they summed to 0.99979).
  const s = [...Array.from({ length: 9 }, () => [1, 1]), [-1, -1]];
  for (const row of codes(s, 0.0004885433299932629, 1)) assert.ok(Math.abs(row[0] + row[1] - 1) < 1e-6, `codes ${row} sum to ${row[0] + row[1]}`);
  check(sinkhornCase({}, { minEpsilon: 0.0005, maxEpsilon: 0.003, minIterations: 0, maxIterations: 6 }), ({ scores, epsilon, iterations }) => {
    for (const row of codes(scores, epsilon, iterations)) {
      const sum = row.reduce((a, x) => a + x, 0);
      assert.ok(Math.abs(sum - 1) < 1e-6, `a sample's codes sum to ${sum} (epsilon ${epsilon}, ${iterations} iterations)`);
    }
  });
});

Marginals('doubly stochastic once converged: every prototype gets B/K of the mass (epsilon >= 0.25, 60 iterations)', () => {
  check(sinkhornCase({ minBatch: 2, maxBatch: 12, maxPrototypes: 12 }, { minEpsilon: 0.25, maxEpsilon: 1, minIterations: 60, maxIterations: 60 }), ({ scores, epsilon, iterations, batch, prototypes }) => {
    const q = codes(scores, epsilon, iterations);
    for (let k = 0; k < prototypes; k++) {
      const mass = q.reduce((a, r) => a + r[k], 0);
      assert.ok(Math.abs(mass - batch / prototypes) < 1e-4 * Math.max(1, batch / prototypes), `prototype ${k} has mass ${mass}, not ${batch / prototypes} (epsilon ${epsilon})`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
const Invariance = suite('sinkhorn: invariance and equivariance');

Invariance('one constant added to every score changes nothing (any iteration count)', () => {
  const c = fc.float({ min: Math.fround(-2), max: Math.fround(2), noNaN: true });
  check(fc.tuple(sinkhornCase({}, { minIterations: 0 }), c), ([{ scores, epsilon, iterations }, shift]) => {
    const a = codes(scores, epsilon, iterations);
    const b = codes(scores.map((r) => r.map((x) => Math.fround(x + shift))), epsilon, iterations);
    // (s + c) / epsilon rounds at the scale of 3 / epsilon instead of 1 / epsilon.
    assert.ok(maxAbsDiff(a, b) <= 3 * tolFor(epsilon), `moved by ${maxAbsDiff(a, b)} (epsilon ${epsilon}, shift ${shift})`);
  });
});

Invariance('permuting samples and prototypes together permutes the codes, under jit with one trace per shape', () => {
  const f = jit((s: NdArray) => swav.sinkhorn(s, { epsilon: 0.05, iterations: 4 }));
  const arb = scoreMatrix({ minBatch: 3, maxBatch: 3, minPrototypes: 4, maxPrototypes: 4 }).chain((m) => fc.tuple(fc.constant(m), permutation(m.batch), permutation(m.prototypes)));
  check(arb, ([{ scores }, pb, pk]) => {
    const q = rowsOf(() => f(np.array(scores)), 4);
    const p = rowsOf(() => f(np.array(pb.map((b) => pk.map((k) => scores[b][k])))), 4);
    pb.forEach((b, i) => pk.forEach((k, j) => assert.ok(Math.abs(p[i][j] - q[b][k]) <= 1e-6 + 1e-5 * q[b][k], `code [${i}, ${j}] ${p[i][j]} vs [${b}, ${k}] ${q[b][k]}`)));
  });
  assert.is(f.cacheSize(), 1);
});

// ---------------------------------------------------------------------------------------------
const Extremes = suite('sinkhorn: tiny epsilon, masks, NaN');

Extremes('finite, non-negative codes summing to 1 at epsilon down to 1e-6 (scores / epsilon up to 1e6), with and without a mask', () => {
  const arb = fc.tuple(sinkhornCase({ kind: 'cosine', minBatch: 2 }, { minEpsilon: 1e-6, maxEpsilon: 1e-3, minIterations: 0 }), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }));
  check(arb, ([{ scores, epsilon, iterations, batch, prototypes }, bits]) => {
    const keep = bits.slice(0, batch).map(Number);
    keep[0] = 1;
    const q = rowsOf(() => swav.sinkhorn(np.array(scores), { epsilon, iterations, mask: np.array(keep) }), prototypes);
    q.forEach((row, b) => {
      assert.ok(row.every((x) => Number.isFinite(x) && x >= 0), `codes ${row} (epsilon ${epsilon})`);
      const sum = row.reduce((a, x) => a + x, 0);
      assert.ok(Math.abs(sum - keep[b]) < 1e-6, `sample ${b} (kept ${keep[b]}) sums to ${sum}`);
    });
  });
});

Extremes('a NaN score makes every code NaN after an iteration, as the seed (its total couples all entries)', () => {
  const q = codes([[0.1, NaN, 0.3], [0.2, 0.5, -0.4]], 0.05, 1);
  assert.ok(q.flat().every(Number.isNaN), `codes ${JSON.stringify(q)}`);
});

// ---------------------------------------------------------------------------------------------
const Distributed = suite('sinkhorn: the distributed form equals one process on the whole batch');

for (const members of [2, 3]) {
  Distributed(`${members} members under vmap(axisName) and jit(vmap), with and without a mask`, () => {
    const arb = fc.tuple(sinkhornCase({ minBatch: 1, maxBatch: 4, maxPrototypes: 8 }, { minEpsilon: 0.01, minIterations: 0, maxIterations: 5 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }));
    check(
      arb,
      ([{ scores, epsilon, iterations, batch, prototypes }, bits]) => {
        // Each member holds a differently scaled copy of the batch.
        const all = Array.from({ length: members }, (_, m) => scores.map((r) => r.map((x) => Math.fround((x * (m + 1)) / members)))).flat();
        const keep = bits.slice(0, members * batch).map(Number);
        for (const mask of [undefined, keep]) {
          const one = rowsOf(() => swav.sinkhorn(np.array(all), { epsilon, iterations, mask: mask && np.array(mask) }), prototypes);
          const sharded = (s: NdArray, m: NdArray) => swav.sinkhorn(s, { epsilon, iterations, axisName: 'd', mask: mask && m });
          const args = () => [np.reshape(np.array(all), [members, batch, prototypes]), np.reshape(np.array(mask ?? keep), [members, batch])] as const;
          const eager = rowsOf(() => vmap(sharded, { axisName: 'd' })(...args()), prototypes);
          const jitted = rowsOf(() => jit(vmap(sharded, { axisName: 'd' }))(...args()), prototypes);
          const tol = tolFor(epsilon);
          assert.ok(maxAbsDiff(eager, one) <= tol, `vmap: ${maxAbsDiff(eager, one)} (epsilon ${epsilon}, ${iterations} iterations, mask ${mask !== undefined})`);
          assert.ok(maxAbsDiff(jitted, one) <= tol, `jit(vmap): ${maxAbsDiff(jitted, one)}`);
        }
      },
      Math.ceil(RUNS / 3),
    );
  });
}

Marginals.run();
Invariance.run();
Extremes.run();
Distributed.run();
