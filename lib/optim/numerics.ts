/**
 * optax's safe reductions (`_src/numerics.py`): a norm or RMS bounded below, whose gradient is 0
 * (not NaN) where the bound is hit, because the reduced value is recomputed on ones there.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import type { NormOrder } from '../ops/norm.js';

/** `reduce(x)` when it exceeds `min`, else `min`, with a finite gradient at `x = 0`. */
function safeReduce(x: NdArray, min: number | NdArray, reduce: (y: NdArray) => NdArray): NdArray {
  const below = np.lessEqual(reduce(x), min);
  return np.where(below, min, reduce(np.where(below, np.onesLike(x), x)));
}

/** optax's `safe_norm` options: those of `np.linalg.norm`. */
export interface SafeNormOptions {
  /** The norm's order (`np.linalg.norm`'s `ord`; default: the 2-norm of all elements / of vectors). */
  readonly ord?: NormOrder;
  /** The axis or axes to reduce (default all). */
  readonly axis?: number | readonly number[] | null;
  /** Keep the reduced axes with size 1 (default false). */
  readonly keepdims?: boolean;
}

/**
 * optax's `safe_norm`: `max(‖x‖, minNorm)`, ‖·‖ `np.linalg.norm(x, ord, axis)` (by default the
 * 2-norm of all elements, a scalar), with gradient 0 where the norm is at most `minNorm` (a
 * plain `maximum` would give NaN at 0).
 * @example safeNorm(np.zeros([3]), 1e-3) // 1e-3
 */
export function safeNorm(x: NdArray, minNorm: number | NdArray, { ord = null, axis = null, keepdims = false }: SafeNormOptions = {}): NdArray {
  if (ord === null && (axis === null || axis === undefined)) {
    const all = safeReduce(x, minNorm, (y) => np.sqrt(np.sum(np.square(y))));
    return keepdims ? np.reshape(all, np.shape(x).map(() => 1)) : all;
  }
  // As optax: the norm kept with its axes to pick the elements, recomputed on ones where it is at most minNorm.
  const below = np.lessEqual(np.linalg.norm(x, ord, axis, true), minNorm);
  const masked = np.linalg.norm(np.where(below, np.onesLike(x), x), ord, axis, true);
  const out = np.where(below, minNorm, masked);
  return keepdims ? out : np.squeeze(out, axis ?? undefined);
}

/** optax's `safe_root_mean_squares`: `max(sqrt(mean(x²)), minRms)`, with gradient 0 at the bound. */
export function safeRootMeanSquares(x: NdArray, minRms: number | NdArray): NdArray {
  return safeReduce(x, minRms, (y) => np.sqrt(np.mean(np.square(y))));
}
