/**
 * Sinkhorn's two solvers (lib/ssl/swav/sinkhorn-scaling.ts, sinkhorn-log-domain.ts) and the
 * choice between them: the scaling solver against the float64 reference wherever it is taken
 * (every sample's logits spread by at most 64, masks, 1 to 5 iterations, spreads right at the
 * limit, samples offset far from each other), its condition (`scalingCheck`: finite, every
 * sample's spread <= 64, some sample kept), and the choice under
 * eager calls, `jit` (one trace with a cond that serves both), `vmap` with a different choice
 * per matrix, and a sharded batch (one process's codes; that the flag is taken over all
 * devices, test/ssl/sinkhorn.test.ts's collectives test shows).
 */
import * as fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, makeJaxpr, tf, vmap } from '../../lib/node.js';
import * as np from '../../lib/ops/index.js';
import { sinkhorn } from '../../lib/ssl/swav/sinkhorn.js';
import { logDomainCodes } from '../../lib/ssl/swav/sinkhorn-log-domain.js';
import { type SinkhornProblem, identity } from '../../lib/ssl/swav/sinkhorn-problem.js';
import { SCALING_RANGE, scalingCheck, scalingCodes } from '../../lib/ssl/swav/sinkhorn-scaling.js';
import { useTestBackend } from '../helpers/backend.js';
import { sinkhorn64 } from './sinkhorn64.js';

await useTestBackend();

const RUNS = Number(process.env.TFJAX_FC_RUNS ?? 40);
const SEED = Number(process.env.TFJAX_FC_SEED ?? 17);
const check = <T>(arb: fc.Arbitrary<T>, p: (x: T) => void) => fc.assert(fc.property(arb, p), { numRuns: RUNS, seed: SEED, includeErrorInReport: true });

const rows = (f: () => NdArray) => tf.tidy(() => f() as tf.Tensor).arraySync() as number[][];
const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(0, ...a.flatMap((r, i) => r.map((x, k) => Math.abs(x - b[i]![k]!))));
/** 1e-5 plus the float32 rounding of scores / epsilon (|scores| <= `scale`), which moves log-codes by a few 2^-24 scale / epsilon. */
const tolFor = (epsilon: number, scale = 1) => 1e-5 + (8 * scale * 2 ** -24) / epsilon;

/** The float64 codes of the kept samples, zeros for the others. */
function expected(scores: number[][], epsilon: number, iterations: number, keep: readonly number[] | null): number[][] {
  const kept = scores.filter((_, i) => keep === null || keep[i] === 1);
  const q = sinkhorn64(kept, epsilon, iterations);
  let j = 0;
  return scores.map((r, i) => (keep === null || keep[i] === 1 ? q[j++]! : r.map(() => 0)));
}

/** A solver's problem as `sinkhorn` prepares it on one device. */
function problem(scores: number[][], epsilon: number, iterations: number, keep: readonly number[] | null): SinkhornProblem {
  const total = keep === null ? scores.length : keep.reduce((a, x) => a + x, 0);
  return {
    scores: np.array(scores),
    epsilon,
    keep: keep === null ? null : np.reshape(np.array([...keep]), [keep.length, 1]),
    logB: np.log(np.array(Math.max(total, 1))),
    iterations,
    sumOver: identity,
    maxOver: identity,
  };
}

/** The scaling solver's codes, with the check's row maxima. */
const scaled = (p: SinkhornProblem) => scalingCodes(p, scalingCheck(p, np.array(1)).rowMax);

/**
 * Scores in [-1, 1] with epsilon chosen so that the logits' spread (max - min) / epsilon is
 * `spread`, some cases right at SCALING_RANGE (then no sample's spread is more); an optional
 * mask keeping at least one sample.
 */
const scalingCase = fc
  .record({
    batch: fc.integer({ min: 1, max: 14 }),
    prototypes: fc.integer({ min: 1, max: 14 }),
    spread: fc.oneof(fc.double({ min: 0.5, max: SCALING_RANGE, noNaN: true }), fc.constant(SCALING_RANGE * 0.999)),
    iterations: fc.integer({ min: 1, max: 5 }),
    masked: fc.boolean(),
  })
  .chain(({ batch, prototypes, spread, iterations, masked }) =>
    fc
      .tuple(
        fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }).map(Math.fround), { minLength: prototypes, maxLength: prototypes }), { minLength: batch, maxLength: batch }),
        fc.array(fc.constantFrom(0, 1), { minLength: batch, maxLength: batch }),
        fc.nat({ max: batch - 1 }),
      )
      .map(([scores, mask, one]) => {
        const flat = scores.flat();
        const range = Math.max(...flat) - Math.min(...flat);
        const keep = masked ? mask.map((m, i) => (i === one ? 1 : m)) : null;
        return { scores, iterations, keep, epsilon: range > 0 ? range / spread : 0.05 };
      }),
  );

const Scaling = suite('sinkhorn by scaling');

Scaling('the scaling solver gives the float64 codes wherever the spread is at most 64 (masks, 1-5 iterations)', () => {
  check(scalingCase, ({ scores, epsilon, iterations, keep }) => {
    const q = rows(() => scaled(problem(scores, epsilon, iterations, keep)));
    const err = maxAbsDiff(q, expected(scores, epsilon, iterations, keep));
    assert.ok(err <= tolFor(epsilon), `max |q - q64| = ${err} > ${tolFor(epsilon)} at epsilon ${epsilon}`);
  });
});

Scaling('sinkhorn takes it there and gives the float64 codes; the log domain agrees with it', () => {
  check(scalingCase, ({ scores, epsilon, iterations, keep }) => {
    const mask = keep === null ? undefined : np.array([...keep]);
    const q = rows(() => sinkhorn(np.array(scores), { epsilon, iterations, mask }));
    const want = expected(scores, epsilon, iterations, keep);
    assert.ok(maxAbsDiff(q, want) <= tolFor(epsilon), `sinkhorn: ${maxAbsDiff(q, want)}`);
    const viaLog = rows(() => logDomainCodes(problem(scores, epsilon, iterations, keep)));
    assert.ok(maxAbsDiff(viaLog, want) <= tolFor(epsilon), `log domain: ${maxAbsDiff(viaLog, want)}`);
  });
});

Scaling('samples offset far from each other (the batch spread up to ~1300, each sample\'s at most 64) take the scaling solver and give the float64 codes', () => {
  const offsetCase = fc
    .record({ batch: fc.integer({ min: 2, max: 10 }), prototypes: fc.integer({ min: 1, max: 10 }), spread: fc.double({ min: 1, max: SCALING_RANGE, noNaN: true }), iterations: fc.integer({ min: 1, max: 5 }) })
    .chain(({ batch, prototypes, spread, iterations }) =>
      fc
        .tuple(
          fc.array(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: prototypes, maxLength: prototypes }), { minLength: batch, maxLength: batch }),
          fc.array(fc.integer({ min: -20, max: 20 }), { minLength: batch, maxLength: batch }),
        )
        .map(([base, offsets]) => {
          const scores = base.map((r, i) => r.map((x) => Math.fround(x + offsets[i]!)));
          const widest = Math.max(...scores.map((r) => Math.max(...r) - Math.min(...r)));
          return { scores, iterations, epsilon: widest > 0 ? widest / spread : 0.05 };
        }),
    );
  check(offsetCase, ({ scores, epsilon, iterations }) => {
    const p = problem(scores, epsilon, iterations, null);
    assert.ok(tf.tidy(() => (scalingCheck(p, np.array(scores.length)).exact as tf.Tensor).dataSync()[0]), 'the check takes it');
    const q = rows(() => sinkhorn(np.array(scores), { epsilon, iterations }));
    const want = expected(scores, epsilon, iterations, null);
    assert.ok(maxAbsDiff(q, want) <= tolFor(epsilon, 21), `max |q - q64| = ${maxAbsDiff(q, want)} > ${tolFor(epsilon, 21)} at epsilon ${epsilon}`);
  });
});

Scaling('an adversarial spread of 64: one sample far from every prototype, one prototype far from every sample', () => {
  // Row 0 sits at the minimum everywhere but one entry; column 0 is at the minimum for all rows
  // but one: the sums that the bound in sinkhorn-scaling.ts covers, at their smallest.
  const b = 9;
  const k = 7;
  const scores = Array.from({ length: b }, (_, i) => Array.from({ length: k }, (_, j) => (i === 0 ? (j === 3 ? 0 : -1) : j === 0 ? (i === 5 ? 1 : -1) : Math.fround(Math.sin(i * 7 + j) * 0.9))));
  const epsilon = 2 / 63.9;
  for (const iterations of [1, 3, 8]) {
    const want = expected(scores, epsilon, iterations, null);
    const q = rows(() => scaled(problem(scores, epsilon, iterations, null)));
    assert.ok(maxAbsDiff(q, want) <= tolFor(epsilon), `${iterations} iterations: ${maxAbsDiff(q, want)}`);
  }
});

Scaling('scalingCheck: every sample\'s spread at most 64, every logit finite, some sample kept (a masked sample counts)', () => {
  const flag = (scores: number[][], epsilon: number, keep: number[] | null = null) =>
    tf.tidy(() => {
      const p = problem(scores, epsilon, 1, keep);
      return Boolean((scalingCheck(p, np.array(keep === null ? scores.length : keep.reduce((a, x) => a + x, 0))).exact as tf.Tensor).arraySync());
    });
  const s = [
    [0.5, -0.5],
    [0.25, 0],
  ];
  assert.is(flag(s, 1 / 64), true, 'spread 64');
  assert.is(flag(s, 1 / 64.01), false, 'spread 64.01');
  assert.is(flag([[100.5, 99.5], [0.25, 0]], 1 / 64), true, 'samples 100 apart, each spread by at most 64');
  assert.is(flag(s, 0.05, [0, 1]), true);
  assert.is(flag(s, 1 / 100, [0, 1]), false, 'the masked row spreads the logits past 64');
  assert.is(flag(s, 0.05, [0, 0]), false, 'nothing kept');
  for (const bad of [NaN, Infinity, -Infinity]) assert.is(flag([[0.5, bad], [0, 0]], 0.05), false, `a logit ${bad}`);
});

Scaling('non-finite scores take the log domain: NaN codes as the reference gives them', () => {
  for (const bad of [NaN, Infinity]) {
    const q = rows(() => sinkhorn(np.array([[0.5, bad], [0, 0.1]]), { epsilon: 0.05, iterations: 3 }));
    assert.ok(q.flat().every(Number.isNaN), `a score ${bad}: ${q}`);
  }
});

Scaling('under jit: one trace holding a cond serves a small spread (scaling) and a large one (log domain)', () => {
  const small = [
    [0.9, -0.2, 0.1],
    [0.3, 0.8, -0.5],
  ];
  const large = small.map((r) => r.map((x) => x * 40));
  const f = jit((s: NdArray) => sinkhorn(s, { epsilon: 0.05, iterations: 3 }));
  const ir = String(makeJaxpr((s: NdArray) => sinkhorn(s, { epsilon: 0.05, iterations: 3 }))(np.array(small)));
  assert.match(ir, /cond/);
  for (const s of [small, large]) {
    const q = rows(() => f(np.array(s)) as NdArray);
    const want = sinkhorn64(s, 0.05, 3);
    assert.ok(maxAbsDiff(q, want) <= tolFor(0.05), `spread ${(Math.max(...s.flat()) - Math.min(...s.flat())) / 0.05}: ${maxAbsDiff(q, want)}`);
  }
  assert.is(f.cacheSize(), 1);
  f.clearCache();
});

Scaling('under vmap a stack of matrices takes a solver per matrix; jit(vmap) the same', () => {
  const small = [
    [0.9, -0.2, 0.1, 0.4],
    [0.3, 0.8, -0.5, 0.0],
    [-0.4, 0.2, 0.7, -0.1],
  ];
  const large = small.map((r) => r.map((x) => -x * 30));
  const want = [sinkhorn64(small, 0.05, 3), sinkhorn64(large, 0.05, 3)];
  const run = (s: NdArray) => sinkhorn(s, { epsilon: 0.05, iterations: 3 });
  for (const [name, f] of [['vmap', vmap(run)], ['jit(vmap)', jit(vmap(run))]] as const) {
    const q = tf.tidy(() => f(np.array([small, large])) as tf.Tensor).arraySync() as number[][][];
    q.forEach((m, i) => assert.ok(maxAbsDiff(m, want[i]!) <= tolFor(0.05), `${name}, matrix ${i}: ${maxAbsDiff(m, want[i]!)}`));
  }
});

Scaling('sharded (vmap axisName): one process\'s codes whether the shards\' spreads both allow scaling or one does not', () => {
  const calm = [
    [0.1, 0.2, -0.1],
    [0.0, 0.3, 0.2],
  ];
  const wild = [
    [3, -3, 1],
    [-2, 2.5, 0],
  ];
  for (const shards of [
    [calm, calm.map((r) => r.map((x) => -x))],
    [calm, wild],
  ]) {
    const whole = shards.flat();
    const want = sinkhorn64(whole, 0.05, 3);
    const sharded = vmap((s: NdArray) => sinkhorn(s, { epsilon: 0.05, iterations: 3, axisName: 'batch' }), { axisName: 'batch' });
    const q = (tf.tidy(() => sharded(np.array(shards)) as tf.Tensor).arraySync() as number[][][]).flat();
    assert.ok(maxAbsDiff(q, want) <= tolFor(0.05), `sharded: ${maxAbsDiff(q, want)}`);
  }
});

Scaling('no tensors leak from an eager call inside tidy, on either solver', () => {
  for (const epsilon of [0.05, 0.001]) {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      sinkhorn(np.array([[0.9, -0.2], [0.3, 0.8]]), { epsilon, iterations: 3 });
    });
    assert.is(tf.memory().numTensors, before, `epsilon ${epsilon}`);
  }
});

Scaling.run();
