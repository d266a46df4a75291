/**
 * Sorting and searching: argsort, sort, topK, searchsorted. NaN sorts after every number,
 * as in NumPy; sorts are stable. The order is the `argsort` primitive (O(n log n) kernels; no
 * derivative), values are gathered by it, so every transformation applies and the derivative of
 * sort is the permutation's. searchsorted compares every value with every entry (O(n m)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { normAxis, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { resultDType } from '../core/promotion.js';
import { type ArrayOrNumber, greater, less, logicalAnd, logicalNot, logicalOr, notEqual, sum } from './math.js';

const isNaN = (x: NdArray) => notEqual(x, x);

/** Whether a comes strictly before b in ascending order with NaN last (descending: NaN first). */
function precedes(a: NdArray, b: NdArray, descending: boolean): NdArray {
  if (descending) return logicalOr(greater(a, b), logicalAnd(isNaN(a), logicalNot(isNaN(b))));
  return logicalOr(less(a, b), logicalAnd(isNaN(b), logicalNot(isNaN(a))));
}

/** Stable argsort along the last axis of x [..., n] (NaN last; descending: NaN first). */
const argsortLast = (x: NdArray, descending: boolean): NdArray => lax.argsort(x, descending);

/** x[..., idx[..., k]] along the last axis: per-row indices, as one gather from the flattened array. */
function takeAlongLast(x: NdArray, idx: NdArray): NdArray {
  const s = shapeOf(x);
  const si = shapeOf(idx);
  const rows = s.slice(0, -1).reduce((p, d) => p * d, 1);
  const n = s[s.length - 1];
  const k = si[si.length - 1];
  const offsets = tf.reshape(tf.mul(tf.range(0, rows, 1, 'int32'), tf.scalar(n, 'int32')), [rows, 1]);
  const flatIdx = lax.reshape(lax.add(lax.reshape(idx, [rows, k]), offsets), [rows * k]);
  return lax.reshape(lax.gather(lax.reshape(x, [rows * n]), flatIdx, 0), si);
}

/**
 * Indices that sort x along `axis` (stable: ties keep their order; NaN last); a null axis
 * sorts the flattened x, as NumPy.
 * @example np.argsort(x) // int32, x's shape
 */
export function argsort(x: NdArray, axis: number | null = -1, descending = false): NdArray {
  if (axis === null) return argsort(flat(x), 0, descending);
  const a = normAxis(axis, shapeOf(x).length, 'argsort');
  const last = shapeOf(x).length - 1;
  return lax.moveAxis(argsortLast(lax.moveAxis(x, a, last), descending), last, a);
}

/** x flattened to 1-D (what a null axis sorts). */
const flat = (x: NdArray) => lax.reshape(x, [sizeOf(shapeOf(x))]);

/** x sorted along `axis` (the flattened x when null; NaN last); its derivative routes each cotangent back to the element's place. */
export function sort(x: NdArray, axis: number | null = -1, descending = false): NdArray {
  if (axis === null) return sort(flat(x), 0, descending);
  const a = normAxis(axis, shapeOf(x).length, 'sort');
  const last = shapeOf(x).length - 1;
  const moved = lax.moveAxis(x, a, last);
  return lax.moveAxis(takeAlongLast(moved, argsortLast(moved, descending)), last, a);
}

/**
 * The k largest entries along the last axis, largest first (ties: lower index first), and
 * their indices, as lax.top_k.
 * @example const [values, indices] = np.topK(logits, 5)
 */
export function topK(x: NdArray, k: number): [NdArray, NdArray] {
  const s = shapeOf(x);
  const n = s[s.length - 1];
  if (s.length === 0 || !Number.isInteger(k) || k < 0 || k > n) throw new Error(`topK: k = ${k} must be an integer in [0, ${s.length ? n : 0}] for shape [${s}]`);
  const order = argsortLast(x, true);
  const idx = lax.slice(order, s.map(() => 0), s.map((d, i) => (i === s.length - 1 ? k : d)));
  return [takeAlongLast(x, idx), idx];
}

/**
 * Where `v`'s elements would be inserted into the sorted 1-D `a` to keep it sorted: with
 * side 'left' the first such place, with 'right' the last (NaN after every number). With
 * `sorter` (int32 indices that sort a, as from argsort), a need not be sorted itself.
 * @example np.searchsorted(edges, values) // int32, values' shape
 * @example np.searchsorted(a, v, 'left', np.argsort(a))
 */
export function searchsorted(a: NdArray, v: ArrayOrNumber, side: 'left' | 'right' = 'left', sorter?: NdArray): NdArray {
  if (shapeOf(a).length !== 1) throw new Error(`searchsorted: a must be 1-D, got shape [${shapeOf(a)}]`);
  if (sorter && (shapeOf(sorter).length !== 1 || shapeOf(sorter)[0] !== shapeOf(a)[0])) throw new Error(`searchsorted: sorter must be 1-D of a's length ${shapeOf(a)[0]}, got shape [${shapeOf(sorter)}]`);
  const dtype = resultDType([a, v]);
  const sa = lax.cast(sorter ? lax.gather(a, lax.cast(sorter, 'int32'), 0) : a, dtype);
  const sv = typeof v === 'number' ? lax.scalar(v, dtype) : lax.cast(v, dtype);
  const vs = lax.expandDims(sv, shapeOf(sv).length); // [..., 1] against a [n]
  const ar = lax.reshape(sa, [...shapeOf(sv).map(() => 1), shapeOf(a)[0]]);
  const counted = side === 'left' ? precedes(ar, vs, false) : logicalNot(precedes(vs, ar, false));
  return sum(lax.cast(counted, 'int32'), -1);
}
