/**
 * Partial sorts and the lexicographic sort: partition, argpartition (NumPy's contract, met
 * by a full stable sort) and lexsort (last key primary). Built on np.argsort, so they trace
 * under jit and vmap, and partition's derivative is the sort's.
 */
import { normAxis } from '../core/aval.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { takeAlongAxis, unstack } from './manipulation.js';
import { argsort, sort } from './sorting.js';

/** kth checked against the axis length (integers in [-n, n - 1]). */
function checkKth(op: string, x: NdArray, kth: number | readonly number[], axis: number): number {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, op);
  for (const k of typeof kth === 'number' ? [kth] : kth)
    if (!Number.isInteger(k) || k < -s[a] || k >= s[a]) throw new Error(`${op}: kth ${k} is out of bounds for axis ${a} with size ${s[a]}`);
  return a;
}

/**
 * x with the element that would be at index `kth` of a sort placed there, every element before
 * it no larger and every one after it no smaller (NumPy's partition; NaN counts as largest;
 * several kth are all met). Only that contract is promised: this implementation sorts the
 * whole axis, whereas JAX leaves the elements after kth in their original order.
 * @example np.partition(np.array([3, 4, 2, 1]), 2) // [1, 2, 3, 4] (any order of 1, 2 before 3, then 4)
 */
export function partition(x: NdArray, kth: number | readonly number[], axis = -1): NdArray {
  return sort(x, checkKth('partition', x, kth, axis));
}

/**
 * Indices that partition x along `axis` around `kth` (NumPy's argpartition; int32, x's shape):
 * take them along the axis to get a partition. As `partition`, they sort the whole axis
 * (stable), which meets the contract; only the contract is promised.
 * @example np.takeAlongAxis(x, np.argpartition(x, 2), -1)
 */
export function argpartition(x: NdArray, kth: number | readonly number[], axis = -1): NdArray {
  return argsort(x, checkKth('argpartition', x, kth, axis));
}

/**
 * Indices that sort by several keys (NumPy's lexsort): the last key is primary, ties broken
 * by the one before, and so on; stable, NaN last; int32 of the keys' shape. `keys` is a list
 * of equally shaped arrays or one array whose first axis enumerates them.
 * @example np.lexsort([firstNames, surnames]) // by surname, then first name
 */
export function lexsort(keys: readonly NdArray[] | NdArray, axis = -1): NdArray {
  const list = Array.isArray(keys) ? (keys as readonly NdArray[]) : unstack(keys as NdArray, 0);
  if (list.length === 0) throw new Error('lexsort: no keys given');
  const s = shapeOf(list[0]);
  list.forEach((k, i) => {
    const si = shapeOf(k);
    if (si.length !== s.length || si.some((d, j) => d !== s[j])) throw new Error(`lexsort: key ${i} has shape [${si}], key 0 [${s}]; all keys must have one shape`);
  });
  if (s.length === 0) throw new Error('lexsort: keys must have at least one axis, got 0-d keys');
  const a = normAxis(axis, s.length, 'lexsort');
  // Least significant key first; each stable sort keeps the order of the keys sorted before.
  let order = argsort(list[0], a);
  for (const key of list.slice(1)) order = takeAlongAxis(order, argsort(takeAlongAxis(key, order, a), a), a);
  return order;
}
