/** `scipy.integrate`: jax.scipy.integrate's trapezoid. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/**
 * The integral of samples y along `axis` by the trapezoidal rule, at sample points x or with
 * spacing dx (jax.scipy.integrate.trapezoid(y, x=None, dx=1.0, axis=-1), np.trapezoid's).
 * @example integrate.trapezoid(y, x); integrate.trapezoid(y, null, 0.5, 0)
 */
export function trapezoid(y: NdArray, x: NdArray | null = null, dx = 1, axis = -1): NdArray {
  return np.trapezoid(np.toFloat(y), x === null ? null : np.toFloat(x), dx, axis);
}
