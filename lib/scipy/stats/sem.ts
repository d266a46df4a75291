/** jax.scipy.stats.sem: the standard error of the mean. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';

/** sem's options: SciPy's nan_policy ('propagate' or 'omit', JAX's two) and keepdims. */
export interface SemOptions {
  readonly nanPolicy?: 'propagate' | 'omit';
  readonly keepdims?: boolean;
}

/**
 * std(a, ddof) / sqrt(n) along `axis` (0 by default; null: the flattened array); with
 * nanPolicy 'omit' the NaN entries are left out of both (JAX's nanstd and count).
 * @example stats.sem(np.array([2, 4, 1, 1, 3, 4, 4, 2, 3])) // 0.41
 */
export function sem(a: NdArray, axis: number | null = 0, ddof = 1, { nanPolicy = 'propagate', keepdims = false }: SemOptions = {}): NdArray {
  if (nanPolicy !== 'propagate' && nanPolicy !== 'omit') throw new Error(`sem: nanPolicy must be 'propagate' or 'omit', got '${String(nanPolicy)}'`);
  const x = np.toFloat(a);
  if (nanPolicy === 'propagate') {
    const n = axis === null ? x.size : x.shape[axis < 0 ? axis + x.shape.length : axis]!;
    return np.div(np.std(x, axis, keepdims, ddof), Math.sqrt(n));
  }
  const count = np.sum(np.logicalNot(np.isnan(x)), axis, keepdims);
  return np.div(np.nanstd(x, axis, keepdims, ddof), np.sqrt(np.toFloat(count)));
}
