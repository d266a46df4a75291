/**
 * jax.numpy's type promotion over tfjax's dtypes (bool < int32 < float32), with JS numbers
 * weakly typed: a number takes the array operands' dtype unless its kind is higher (an
 * integral number is a weak int, any other number, NaN and +-Infinity included, a weak
 * float). So int32 * 0.5 is float32, int32 + 1 stays int32, bool + 1 is int32, and
 * int32 + float32 is float32. See docs/numpy.md.
 */
import type { DType } from './aval.js';
import { type NdArray, avalOf } from './trace.js';

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2 };

/** The dtype a JS number has when nothing else decides: int32 for integers, float32 otherwise. */
export function weakDType(v: number): DType {
  return Number.isInteger(v) ? 'int32' : 'float32';
}

/** The higher of two dtypes in bool < int32 < float32. */
export function joinDTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype operands combine to: the join of the arrays' dtypes, raised to the kind of any
 * weakly typed number (a number never lowers it: float32 * 2 stays float32).
 * @example resultDType([int32Array, 0.5]) // 'float32'
 */
export function resultDType(xs: readonly (NdArray | number)[]): DType {
  let strong: DType | null = null;
  let weak: DType = 'bool';
  for (const x of xs) {
    if (typeof x === 'number') weak = joinDTypes(weak, weakDType(x));
    else strong = strong === null ? avalOf(x).dtype : joinDTypes(strong, avalOf(x).dtype);
  }
  return strong === null ? weak : joinDTypes(strong, weak);
}
