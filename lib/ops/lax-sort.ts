/**
 * jax.lax.sort (one operand, or several sorted together by their first `numKeys`
 * lexicographically), sort_key_val and top_k. Sorts are stable and put NaN last; a
 * multi-key order is made by stable argsorts from the last key to the first (LSD order).
 */
import { avalStr, normAxis, sameShape } from '../core/aval.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { takeAlongAxis } from './manipulation.js';
import { argsort, sort as npSort, topK as npTopK } from './sorting.js';

export interface SortOptions {
  /** The axis sorted along (default -1). */
  readonly dimension?: number;
  /** Accepted for JAX's signature: these sorts are always stable. */
  readonly isStable?: boolean;
  /** How many leading operands are keys, compared lexicographically (default 1). */
  readonly numKeys?: number;
}

/** The permutation sorting along `axis` by keys[0], ties broken by keys[1], ... (stable). */
function lexicographicOrder(keys: readonly NdArray[], axis: number): NdArray {
  let perm = argsort(keys[keys.length - 1], axis);
  for (let k = keys.length - 2; k >= 0; k--) perm = takeAlongAxis(perm, argsort(takeAlongAxis(keys[k], perm, axis), axis), axis);
  return perm;
}

/**
 * One operand sorted along `dimension`, or operands (one shape) all permuted by the
 * ascending, stable order of their first `numKeys` operands, as jax.lax.sort.
 * @example const [k, v] = lax.sort([keys, values], { numKeys: 1 })
 */
export function sort(operand: NdArray, opts?: SortOptions): NdArray;
export function sort(operands: readonly NdArray[], opts?: SortOptions): NdArray[];
export function sort(operand: NdArray | readonly NdArray[], opts: SortOptions = {}): NdArray | NdArray[] {
  const operands = Array.isArray(operand) ? (operand as readonly NdArray[]) : [operand as NdArray];
  if (operands.length === 0) throw new Error('lax.sort: needs at least one operand');
  const s = shapeOf(operands[0]);
  if (operands.some((o) => !sameShape(shapeOf(o), s))) throw new TypeError(`lax.sort: operands must have one shape, got ${operands.map((o) => avalStr(avalOf(o))).join(', ')}`);
  const numKeys = opts.numKeys ?? 1;
  if (!Number.isInteger(numKeys) || numKeys < 1 || numKeys > operands.length) throw new Error(`lax.sort: numKeys must be in [1, ${operands.length}], got ${numKeys}`);
  const axis = normAxis(opts.dimension ?? -1, s.length, 'lax.sort');
  if (!Array.isArray(operand)) return npSort(operand as NdArray, axis);
  const perm = lexicographicOrder(operands.slice(0, numKeys), axis);
  return operands.map((o) => takeAlongAxis(o, perm, axis));
}

/** [keys, values] sorted by keys along `dimension` (stable), as jax.lax.sort_key_val. */
export function sortKeyVal(keys: NdArray, values: NdArray, dimension = -1, isStable = true): [NdArray, NdArray] {
  const [k, v] = sort([keys, values], { dimension, isStable, numKeys: 1 });
  return [k, v];
}

/** [values, indices] of the k largest entries along the last axis, largest first (ties: lower index first), as jax.lax.top_k. */
export function topK(operand: NdArray, k: number): [NdArray, NdArray] {
  return npTopK(operand, k);
}
