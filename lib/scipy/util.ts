/** Operand handling shared by jax.scipy's special functions and distributions: JS numbers and int arrays become float32 arrays. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/** An array or a JS number, as jax.scipy's functions take (numbers are weakly typed scalars). */
export type Operand = NdArray | number;

/** `x` as a float32 array (jax.scipy promotes its arguments to inexact dtypes). */
export function asFloat(x: Operand): NdArray {
  return typeof x === 'number' ? np.array(x) : np.toFloat(x);
}

/** `p(c0) + p(c1) x + ...`: a polynomial by Horner's rule, coefficients from the highest power down (Cephes' polevl). */
export function polevl(x: NdArray, coefficients: readonly number[]): NdArray {
  return coefficients.slice(1).reduce<NdArray>((p, c) => np.add(np.mul(p, x), c), np.add(np.mul(x, 0), coefficients[0]!));
}

/** Cephes' p1evl: the polynomial with an implicit leading coefficient 1. */
export function p1evl(x: NdArray, coefficients: readonly number[]): NdArray {
  return polevl(x, [1, ...coefficients]);
}

/** `y` where `mask`, `-inf` elsewhere (a log density outside its support). */
export function logInside(mask: NdArray, y: NdArray): NdArray {
  return np.where(mask, y, -Infinity);
}
