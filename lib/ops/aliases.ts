/**
 * jax.numpy's other names for functions `np` already has: NumPy's long names (`divide`,
 * `multiply`, `absolute`, `amax`), the array API's (`acos`, `concat`, `permuteDims`,
 * `bitwiseInvert`), the JS keywords (`np.var`, `np.delete`), and small introspection helpers
 * (`ndim`, `size`, `isscalar`, `astype`).
 */
import { type DType, normAxis, sizeOf } from '../core/aval.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
import { bitwiseNot, leftShift, rightShift } from './bitwise.js';
import { arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh } from './elementwise-math.js';
import { deleteAt } from './insert-delete.js';
import { abs, cast, div, max, min, mul, neg, pow, sub, toFloat, variance } from './math.js';
import { concatenate, transpose } from './shape.js';

export { abs as absolute, max as amax, min as amin, div as divide, div as trueDivide, mul as multiply, sub as subtract, pow as power, neg as negative };
export { arccos as acos, arccosh as acosh, arcsin as asin, arcsinh as asinh, arctan as atan, arctan2 as atan2, arctanh as atanh };
export { bitwiseNot as bitwiseInvert, bitwiseNot as invert, leftShift as bitwiseLeftShift, rightShift as bitwiseRightShift };
export { variance as var, deleteAt as delete, concatenate as concat };

/** |x| as float32 (numpy's fabs: integer input gives a float result). */
export const fabs = (x: NdArray) => abs(toFloat(x));
/** +x: the array itself (numpy's positive). */
export const positive = (x: NdArray) => x;
/** x cast to `dtype` (jax.numpy's astype; the same as `np.cast`). */
export const astype = (x: NdArray, dtype: DType) => cast(x, dtype);

/** Permutes the axes (the array API's permute_dims: the permutation is required). */
export const permuteDims = (x: NdArray, axes: readonly number[]) => transpose(x, axes);

/** The number of axes (numpy's ndim); a JS number has none. */
export const ndim = (x: NdArray | number) => (typeof x === 'number' ? 0 : shapeOf(x).length);

/** The number of elements, or the length of `axis` (numpy's size). */
export function size(x: NdArray | number, axis?: number): number {
  const s = typeof x === 'number' ? [] : shapeOf(x);
  return axis === undefined ? sizeOf(s) : s[normAxis(axis, s.length, 'size')];
}

/** Whether x is a scalar: a JS number or boolean, or a 0-d array (jax.numpy's isscalar). */
export const isscalar = (x: unknown) => typeof x === 'number' || typeof x === 'boolean' || (isArray(x) && shapeOf(x).length === 0);
