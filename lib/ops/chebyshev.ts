/** Cephes' chbevl, shared by numpy.i0 (windows.ts) and jax.scipy.special's Bessel functions. */
import type { NdArray } from '../core/trace.js';
import { add, mul, sub } from './math.js';

/** A Chebyshev series with coefficients `coef` (highest order first) at y in [-2, 2], by Clenshaw's recurrence. */
export function chbevl(y: NdArray, coef: readonly number[]): NdArray {
  const zero = mul(y, 0);
  let [b0, b1, b2] = [add(zero, coef[0]!), zero, zero];
  for (const c of coef.slice(1)) [b2, b1, b0] = [b1, b0, add(sub(mul(y, b0), b1), c)];
  return mul(0.5, sub(b0, b2));
}
