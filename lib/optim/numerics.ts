/**
 * optax's safe reductions (`_src/numerics.py`): a norm or RMS bounded below, whose gradient is 0
 * (not NaN) where the bound is hit, because the reduced value is recomputed on ones there.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/** `reduce(x)` when it exceeds `min`, else `min`, with a finite gradient at `x = 0`. */
function safeReduce(x: NdArray, min: number | NdArray, reduce: (y: NdArray) => NdArray): NdArray {
  const below = np.lessEqual(reduce(x), min);
  return np.where(below, min, reduce(np.where(below, np.onesLike(x), x)));
}

/**
 * optax's `safe_norm`: `max(‖x‖₂, minNorm)` over all elements (a scalar), with gradient 0 where
 * the norm is at most `minNorm` (a plain `maximum` would give NaN at 0).
 * @example safeNorm(np.zeros([3]), 1e-3) // 1e-3
 */
export function safeNorm(x: NdArray, minNorm: number | NdArray): NdArray {
  return safeReduce(x, minNorm, (y) => np.sqrt(np.sum(np.square(y))));
}

/** optax's `safe_root_mean_squares`: `max(sqrt(mean(x²)), minRms)`, with gradient 0 at the bound. */
export function safeRootMeanSquares(x: NdArray, minRms: number | NdArray): NdArray {
  return safeReduce(x, minRms, (y) => np.sqrt(np.mean(np.square(y))));
}
