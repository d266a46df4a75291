/**
 * Sinkhorn by scaling: one exponential pass, then matrix-vector sums.
 *
 * With logits x = scores / epsilon and the potentials a (per sample) and b (per prototype),
 * log Q = x + a + b. The kernel `E = exp(x - rowMax(x))` is taken once; every normalisation
 * is then a sum of E against a vector of exponentials shifted by its own max:
 *
 * ```
 * per prototype:  b_j = -(c + log sum_i E_ij exp(alpha_i - c)) - log K,  alpha = rowMax + a, c = max(alpha)
 * per sample:     alpha_i = -(d + log sum_j E_ij exp(b_j - d)) - log B,  d = max(b)
 * codes:          Q_ij = E_ij exp(b_j - d) / sum_j E_ij exp(b_j - d)
 * ```
 *
 * Each sum has a term of at least exp(-R), R the largest spread of a sample's logits
 * (max - min over its row): the per-prototype sum the one of the sample with the largest alpha
 * (whose weight is 1 and whose E_ij >= exp(-R)), the per-sample sum the one of the prototype
 * with the largest b. So while R <= 64 every sum is at least exp(-64) ~ 1.6e-28, its terms
 * within float32 precision of it are normal numbers, and the result is the log domain's up to
 * float32 rounding (`scalingCheck` checks this; the caller falls back to the log domain
 * otherwise). Samples far apart (one sample's scores all above another's) do not matter: a
 * sample's weight exp(alpha_i - c) underflows only below 1.2e-38, < 1e-10 of any sum it joins.
 * SwAV's cosine scores at epsilon 0.05 have R <= 40. The exp domain of the reference
 * (`exp(scores / epsilon)`, no shift) has no such guarantee: it overflows past logits of ~88
 * and underflows columns long before.
 */
import type { NdArray } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as np from '../../ops/index.js';
import type { SinkhornProblem } from './sinkhorn-problem.js';

/** The largest spread of a sample's logits (max - min over its row) the scaling solver takes. */
export const SCALING_RANGE = 64;

/** The logits' row maxima and whether the scaling solver is exact for them. */
export interface ScalingCheck {
  /** [B, 1]: max(scores / epsilon) per sample. */
  readonly rowMax: NdArray;
  /**
   * A bool scalar: true when `scalingCodes` gives the log domain's codes up to float32 rounding,
   * i.e. every logit (masked samples' too) is finite, every sample's spread (over the whole,
   * global batch) is at most `SCALING_RANGE`, and `total`, the global number of samples kept,
   * is positive. A NaN or infinite logit makes it false (the log domain gives the reference's NaN).
   */
  readonly exact: NdArray;
}

/**
 * The check of a problem. The extremes are those of the scores divided by epsilon: division by
 * a positive number is monotone in float32 too, so they are the logits' own.
 */
export function scalingCheck({ scores, epsilon, maxOver }: SinkhornProblem, total: NdArray): ScalingCheck {
  const rowMax = np.div(np.max(scores, 1, true), epsilon);
  const rowMin = np.div(np.min(scores, 1, true), epsilon);
  const spread = maxOver(np.max(np.sub(rowMax, rowMin)));
  return { rowMax, exact: np.logicalAnd(np.lessEqual(spread, SCALING_RANGE), np.greater(total, 0)) };
}

/**
 * The codes [B, K] of a Sinkhorn problem by scaling (see the module notes); iterations >= 1 and
 * `rowMax` the check's. The kernel is one pass over the scores (divide, subtract, exp).
 */
export function scalingCodes({ scores, epsilon, keep, logB, iterations, sumOver, maxOver }: SinkhornProblem, rowMax: NdArray): NdArray {
  const logK = Math.log(shapeOf(scores)[1]!);
  const kernel = np.exp(np.sub(np.div(scores, epsilon), rowMax));
  const kept = keep === null ? null : np.greater(keep, 0);
  // alpha: log of each sample's scaling of its kernel row (rowMax + a); b: each prototype's.
  let alpha = rowMax;
  let b: NdArray = alpha;
  for (let i = 0; i < iterations; i++) {
    const c = maxOver(np.max(kept === null ? alpha : np.where(kept, alpha, -Infinity)));
    const weights = np.exp(np.sub(alpha, c));
    const perPrototype = sumOver(np.sum(np.mul(kernel, kept === null ? weights : np.where(kept, weights, 0)), 0, true));
    b = np.neg(np.add(np.add(np.log(perPrototype), c), logK));
    // Each sample sums to 1/B, except in the last round: the codes below sum to 1 per sample.
    if (i < iterations - 1) {
      const d = np.max(b);
      alpha = np.neg(np.add(np.add(np.log(rowSums(kernel, np.exp(np.sub(b, d)))), d), logB!));
    }
  }
  const scale = np.exp(np.sub(b, np.max(b)));
  const q = np.mul(kernel, np.div(scale, rowSums(kernel, scale)));
  return keep === null ? q : np.mul(q, keep);
}

/**
 * `sum(kernel * scale, 1)` as a matrix-vector product [B, K] x [K, 1], one read of the kernel
 * (the product `kernel * scale` is not written out).
 */
function rowSums(kernel: NdArray, scale: NdArray): NdArray {
  return np.matmul(kernel, np.transpose(scale));
}
