/**
 * NumPy's insert and delete (here `deleteAt`: `delete` is a JavaScript keyword). Both build
 * the result as one gather along the axis, so grad reaches x (and the inserted values) and
 * vmap batches them. Without an axis, x is flattened first.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normAxis } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, isArray, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { at } from './index-update.js';
import type { Slice } from './indexing.js';
import { ravel } from './manipulation.js';
import { type ArrayOrNumber, add, clip, lessEqual, sum, where } from './math.js';
import { sliceAxis } from './shape.js';
import { argsort } from './sorting.js';

/** Where to insert: one index (the values form a block there), several, or an int32 array of rank 0 or 1 (traceable). */
export type InsertIndex = number | readonly number[] | NdArray;
/** What to delete: one index, several, a slice, or a concrete int32 array of rank 0 or 1. */
export type DeleteIndex = number | readonly number[] | Slice | NdArray;

const iota = (n: number) => tf.range(0, n, 1, 'int32');

/** Concrete indices as numbers (and whether they were 0-d), each checked to be an integer in [lo, hi] and wrapped. */
function hostIndices(op: string, index: number | readonly number[] | tf.Tensor, axis: number, n: number, hi: number): number[] {
  const list = typeof index === 'number' ? [index] : isArray(index) ? Array.from(index.dataSync()) : [...index];
  return list.map((i) => {
    if (!Number.isInteger(i)) throw new Error(`${op}: index ${i} is not an integer`);
    if (i < -n || i > hi) throw new Error(`${op}: index ${i} is out of bounds for axis ${axis} with size ${n}`);
    return i < 0 ? i + n : i;
  });
}

/** An index array's rank and dtype checked (int32, rank 0 or 1). */
function checkIndexArray(op: string, index: NdArray): void {
  const { dtype, shape } = avalOf(index);
  if (dtype !== 'int32' || shape.length > 1) throw new Error(`${op}: index must be an int32 array of rank 0 or 1, got ${dtype} [${shape}]`);
}

/** Whether `v` broadcasts to `target` (NumPy's rule: aligned at the right). */
function fits(v: readonly number[], target: readonly number[]): boolean {
  return v.length <= target.length && v.every((d, k) => d === 1 || d === target[target.length - v.length + k]);
}

/**
 * For each entry of the result along the axis, which entry of concat([x, block]) it takes:
 * block entry j (inserted before x's entry at[j], ties in j's order) lands at at[j] plus the
 * block entries sorted before it; x's entry i at i plus the block entries at or before it.
 */
function sourceOf(atIdx: NdArray, n: number): NdArray {
  const k = shapeOf(atIdx)[0];
  const before = argsort(argsort(atIdx)); // stable rank of each block entry
  const blockDest = add(atIdx, before);
  const oldDest = add(iota(n), sum(lessEqual(lax.reshape(atIdx, [1, k]), lax.reshape(iota(n), [n, 1])), 1));
  const src = at(lax.full([n + k], 0, 'int32'), blockDest).set(add(iota(k), n), { uniqueIndices: true });
  return at(src, oldDest).set(iota(n), { uniqueIndices: true });
}

/**
 * x with `values` inserted before the given indices along `axis` (NumPy's insert; without an
 * axis, into the flattened x). One index takes a block of values (a scalar index moves the
 * values' first axis to `axis`, as NumPy); several take one value slice each, broadcast.
 * Negative indices count from the end; numbers out of [-n, n] are an error. An int32 array
 * index may be traced (then, as in JAX, out-of-range entries are clipped).
 * @example np.insert(np.array([1, 2, 3]), 1, 9) // [1, 9, 2, 3]
 * @example np.insert(m, [0, 2], np.array([7, 8]), 1) // a column of 7s before column 0, of 8s before column 2
 */
export function insert(x: NdArray, index: InsertIndex, values: ArrayOrNumber, axis?: number | null): NdArray {
  if (axis === undefined || axis === null) return insert(ravel(x), index, values, 0);
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'insert');
  const n = s[a];
  const dtype = avalOf(x).dtype;
  const v = typeof values === 'number' ? lax.scalar(values, dtype) : lax.cast(values, dtype);
  if (isArray(index)) checkIndexArray('insert', index);
  const scalarIndex = typeof index === 'number' || (isArray(index) && shapeOf(index).length === 0);
  const traced = isArray(index) && unreadable(index) !== null;
  let atIdx: NdArray;
  if (traced) {
    const wrapped = where(lax.lt(index, lax.scalarLike(0, index)), add(index, n), index);
    atIdx = clip(lax.reshape(wrapped, [scalarIndex ? 1 : shapeOf(index)[0]]), 0, n);
  } else atIdx = tf.tensor1d(hostIndices('insert', index as number | readonly number[] | tf.Tensor, a, n, n), 'int32');
  let block = v;
  let count = shapeOf(atIdx)[0];
  if (count === 1) {
    // One index: the values form a block (rank raised to x's, leading 1s); a scalar index takes their first axis as `axis`.
    const vs = shapeOf(v);
    if (vs.length < s.length) block = lax.reshape(v, [...new Array<number>(s.length - vs.length).fill(1), ...vs]);
    if (scalarIndex && shapeOf(block).length === s.length) block = lax.moveAxis(block, 0, a);
    count = shapeOf(block)[a] ?? 1;
    atIdx = lax.broadcastTo(atIdx, [count]);
  }
  const target = s.map((d, i) => (i === a ? count : d));
  if (!fits(shapeOf(block), target)) throw new Error(`insert: values of shape [${shapeOf(v)}] do not broadcast to the inserted shape [${target}]`);
  if (count === 0) return x;
  return lax.gather(lax.concatenate([x, lax.broadcastTo(block, target)], a), sourceOf(atIdx, n), a);
}

/** The positions a slice picks along an axis of length n (Python's slice rules). */
function slicePositions({ start = null, stop = null, step = null }: Slice, n: number): number[] {
  return tf.tidy(() => {
    // Host constants in, so sliceAxis computes now, even while tracing. A float32 iota (exact
    // below 2^24): the wasm backend's strided slice garbles int32 data.
    const picked = sliceAxis(tf.range(0, n, 1, 'float32'), 0, start, stop, step ?? 1) as tf.Tensor;
    return Array.from(picked.dataSync());
  });
}

/**
 * x without the entries at the given indices along `axis` (NumPy's delete, named deleteAt as
 * `delete` is a JavaScript keyword; without an axis, of the flattened x). Indices: a number,
 * numbers, a slice ({start, stop, step} or np.slice) or a concrete int32 array; negative ones
 * count from the end, repeats delete once, out-of-range ones are an error. The result's
 * length depends on the indices, so they cannot be traced.
 * @example np.deleteAt(np.array([1, 2, 3, 4]), [0, -1]) // [2, 3]
 * @example np.deleteAt(m, { start: 1 }, 0) // m's first row only
 */
export function deleteAt(x: NdArray, index: DeleteIndex, axis?: number | null): NdArray {
  if (axis === undefined || axis === null) return deleteAt(ravel(x), index, 0);
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'deleteAt');
  const n = s[a];
  let gone: number[];
  if (isArray(index)) {
    checkIndexArray('deleteAt', index);
    const why = unreadable(index);
    if (why) throw new Error(`deleteAt: index values ${why}; the result's length depends on them, so pass numbers or a concrete array`);
    gone = hostIndices('deleteAt', index as tf.Tensor, a, n, n - 1);
  } else if (typeof index === 'number' || Array.isArray(index)) gone = hostIndices('deleteAt', index as number | readonly number[], a, n, n - 1);
  else gone = slicePositions(index as Slice, n);
  const drop = new Set(gone);
  const keep = [...Array(n).keys()].filter((i) => !drop.has(i));
  if (keep.length === n) return x;
  if (keep.length === 0) return lax.slice(x, s.map(() => 0), s.map((d, i) => (i === a ? 0 : d)));
  return lax.gather(x, tf.tensor1d(keep, 'int32'), a);
}
