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
import { showValue } from '../../util/show-value.js';

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
/** -0 as 0 (a float64 reference and tfjs agree on it, and `Object.is` comparisons do too). */
const noNegZero = (x: number) => (Object.is(x, -0) ? 0 : x);

/**
 * `fc.integer` over [min, max] once the bounds are checked: integers, `least <= min <= max`.
 * Errors are one line naming the generator and the constraint (`scoreMatrix: minBatch must be
 * an integer >= 1, got 0`), instead of fast-check's own.
 */
export function integerIn(where: string, names: readonly [string, string], min: number, max: number, least: number): fc.Arbitrary<number> {
  for (const [name, v] of [[names[0], min], [names[1], max]] as const) {
    if (!Number.isInteger(v) || v < least) throw new Error(`${where}: ${name} must be an integer >= ${least}, got ${showValue(v)}`);
  }
  if (min > max) throw new Error(`${where}: ${names[0]} (${min}) must be <= ${names[1]} (${max})`);
  return fc.integer({ min, max });
}
/** A float32 in [-1, 1] (no NaN, no infinity). */
export const cosineValue = (): fc.Arbitrary<number> => fc.float({ min: f32(-1), max: f32(1), noNaN: true, noDefaultInfinity: true }).map(noNegZero);

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

/** Score matrices [batch, prototypes] with entries float32 in [-1, 1] (no -0). Bad constraints throw a one-line error naming them. */
export function scoreMatrix(c: ScoreMatrixConstraints = {}): fc.Arbitrary<ScoreMatrix> {
  const batch = integerIn('scoreMatrix', ['minBatch', 'maxBatch'], c.minBatch ?? 1, c.maxBatch ?? 24, 1);
  const protos = integerIn('scoreMatrix', ['minPrototypes', 'maxPrototypes'], c.minPrototypes ?? 1, c.maxPrototypes ?? 24, 1);
  const kind = c.kind ?? 'uniform';
  if (kind !== 'uniform' && kind !== 'cosine') throw new Error(`scoreMatrix: kind must be 'uniform' or 'cosine', got ${showValue(kind)}`);
  if (kind === 'uniform') {
    return fc.tuple(batch, protos).chain(([b, k]) =>
      fc.array(fc.array(cosineValue(), { minLength: k, maxLength: k }), { minLength: b, maxLength: b }).map((scores) => ({ batch: b, prototypes: k, scores })),
    );
  }
  const dim = integerIn('scoreMatrix', ['minDim', 'maxDim'], c.minDim ?? 1, c.maxDim ?? 8, 1);
  return fc.tuple(batch, protos, dim).chain(([b, k, d]) =>
    fc.tuple(unitRows(b, d), unitRows(k, d)).map(([z, w]) => ({
      batch: b,
      prototypes: k,
      scores: z.map((zi) => w.map((wk) => noNegZero(Math.max(-1, Math.min(1, f32(zi.reduce((s, x, i) => s + x * wk[i], 0))))))),
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

/**
 * Sinkhorn options: epsilon log-uniform in [minEpsilon, maxEpsilon] (both included, exactly:
 * equal bounds give that epsilon), iterations uniform. Bad constraints throw a one-line error.
 */
export function sinkhornConfig(c: SinkhornConfigConstraints = {}): fc.Arbitrary<SinkhornConfig> {
  const [minE, maxE] = [c.minEpsilon ?? 0.001, c.maxEpsilon ?? 1];
  for (const [name, v] of [['minEpsilon', minE], ['maxEpsilon', maxE]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new Error(`sinkhornConfig: ${name} must be a finite number > 0, got ${showValue(v)}`);
  }
  if (minE > maxE) throw new Error(`sinkhornConfig: minEpsilon (${minE}) must be <= maxEpsilon (${maxE})`);
  return fc.record({
    epsilon: fc.double({ min: Math.log(minE), max: Math.log(maxE), noNaN: true }).map((l) => Math.min(Math.max(Math.exp(l), minE), maxE)),
    iterations: integerIn('sinkhornConfig', ['minIterations', 'maxIterations'], c.minIterations ?? 1, c.maxIterations ?? 10, 0),
  });
}

/** A score matrix together with a Sinkhorn configuration. */
export function sinkhornCase(scores: ScoreMatrixConstraints = {}, config: SinkhornConfigConstraints = {}): fc.Arbitrary<ScoreMatrix & SinkhornConfig> {
  return fc.tuple(scoreMatrix(scores), sinkhornConfig(config)).map(([s, c]) => ({ ...s, ...c }));
}

/** A permutation of 0..n-1 (shrinks towards the identity). */
export function permutation(n: number): fc.Arbitrary<number[]> {
  if (!Number.isInteger(n) || n < 0) throw new Error(`permutation: n must be an integer >= 0, got ${showValue(n)}`);
  return fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: n, maxLength: n }).map((keys) =>
    keys
      .map((k, i) => [k, i] as const)
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([, i]) => i),
  );
}
