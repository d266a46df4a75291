/**
 * fast-check generators ("arbitraries") of SwAV score matrices and Sinkhorn
 * configurations, for property-based tests of `sinkhorn` or of a user's own variant.
 *
 * This module imports `fast-check` (a peer dependency, needed only by those who import
 * this module; the rest of tfjax does not load it). Scores are plain nested arrays of
 * float32-representable numbers, so that a float64 reference and a float32
 * implementation see exactly the same input.
 *
 * @example
 * import * as fc from 'fast-check';
 * import { sinkhornCase } from 'tfjax/ssl/swav/arbitraries';
 * fc.assert(fc.property(sinkhornCase(), ({ scores, epsilon, iterations }) => {
 *   const q = mySinkhorn(np.array(scores), { epsilon, iterations });
 *   return allFinite(q);
 * }));
 */
import * as fc from 'fast-check';

export interface ScoreMatrixConstraints {
  /** Batch size range (default 1..24). */
  readonly minBatch?: number;
  readonly maxBatch?: number;
  /** Prototype count range (default 1..24). */
  readonly minPrototypes?: number;
  readonly maxPrototypes?: number;
  /**
   * 'uniform': every entry independently in [-1, 1] (any cosine scores, including
   * ones no embedding produces); 'cosine': inner products of random unit vectors of
   * dimension `dim` (what a SwAV head produces). Default 'uniform'.
   */
  readonly kind?: 'uniform' | 'cosine';
  /** Embedding dimension for kind 'cosine' (default 1..8). */
  readonly minDim?: number;
  readonly maxDim?: number;
}

/** A [batch, prototypes] score matrix. */
export interface ScoreMatrix {
  readonly batch: number;
  readonly prototypes: number;
  /** Row-major nested array, every entry a float32 in [-1, 1]. */
  readonly scores: number[][];
}

const f32 = Math.fround;
/** A float32 in [-1, 1] (no NaN, no infinity). */
export const cosineValue = (): fc.Arbitrary<number> => fc.float({ min: f32(-1), max: f32(1), noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));

function unitRows(n: number, d: number): fc.Arbitrary<number[][]> {
  const entry = fc.double({ min: -1, max: 1, noNaN: true });
  return fc.array(fc.array(entry, { minLength: d, maxLength: d }), { minLength: n, maxLength: n }).map((rows) =>
    rows.map((r) => {
      const norm = Math.hypot(...r);
      // A zero row (rare) becomes the first basis vector.
      return norm > 1e-6 ? r.map((x) => x / norm) : r.map((_, i) => (i === 0 ? 1 : 0));
    }),
  );
}

/** Score matrices [batch, prototypes] with entries in [-1, 1]. */
export function scoreMatrix(c: ScoreMatrixConstraints = {}): fc.Arbitrary<ScoreMatrix> {
  const batch = fc.integer({ min: c.minBatch ?? 1, max: c.maxBatch ?? 24 });
  const protos = fc.integer({ min: c.minPrototypes ?? 1, max: c.maxPrototypes ?? 24 });
  if ((c.kind ?? 'uniform') === 'uniform') {
    return fc.tuple(batch, protos).chain(([b, k]) =>
      fc.array(fc.array(cosineValue(), { minLength: k, maxLength: k }), { minLength: b, maxLength: b }).map((scores) => ({ batch: b, prototypes: k, scores })),
    );
  }
  const dim = fc.integer({ min: c.minDim ?? 1, max: c.maxDim ?? 8 });
  return fc.tuple(batch, protos, dim).chain(([b, k, d]) =>
    fc.tuple(unitRows(b, d), unitRows(k, d)).map(([z, w]) => ({
      batch: b,
      prototypes: k,
      scores: z.map((zi) => w.map((wk) => Math.max(-1, Math.min(1, f32(zi.reduce((s, x, i) => s + x * wk[i], 0)))))),
    })),
  );
}

export interface SinkhornConfigConstraints {
  /** Epsilon range, sampled log-uniformly (default 0.001..1). */
  readonly minEpsilon?: number;
  readonly maxEpsilon?: number;
  /** Iteration count range (default 1..10). */
  readonly minIterations?: number;
  readonly maxIterations?: number;
}

export interface SinkhornConfig {
  readonly epsilon: number;
  readonly iterations: number;
}

/** Sinkhorn options: epsilon log-uniform in its range, iterations uniform. */
export function sinkhornConfig(c: SinkhornConfigConstraints = {}): fc.Arbitrary<SinkhornConfig> {
  const lo = Math.log(c.minEpsilon ?? 0.001);
  const hi = Math.log(c.maxEpsilon ?? 1);
  return fc.record({
    epsilon: fc.double({ min: lo, max: hi, noNaN: true }).map((l) => Math.min(Math.max(Math.exp(l), Math.exp(lo)), Math.exp(hi))),
    iterations: fc.integer({ min: c.minIterations ?? 1, max: c.maxIterations ?? 10 }),
  });
}

/** A score matrix together with a Sinkhorn configuration. */
export function sinkhornCase(scores: ScoreMatrixConstraints = {}, config: SinkhornConfigConstraints = {}): fc.Arbitrary<ScoreMatrix & SinkhornConfig> {
  return fc.tuple(scoreMatrix(scores), sinkhornConfig(config)).map(([s, c]) => ({ ...s, ...c }));
}

/** A permutation of 0..n-1. */
export function permutation(n: number): fc.Arbitrary<number[]> {
  return fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) =>
    keys
      .map((k, i) => [k, i] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([, i]) => i),
  );
}
