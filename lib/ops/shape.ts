/** numpy-like shape functions: reshape (with -1), transpose, expand/squeeze, concatenate, stack, slice, take. */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, normAxes, normAxis, shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';

/** The shape of x, a tensor or a tracer (numpy's np.shape). */
export function shape(x: NdArray): readonly number[] {
  return shapeOf(x);
}

/** Reshape, with at most one -1 inferred. */
export function reshape(x: NdArray, shape: readonly number[]): NdArray {
  const s = shapeOf(x);
  const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  if (shape.filter((d) => d === -1).length > 1) throw new Error(`reshape: at most one -1 in ${shapeStr(shape)}`);
  const out = shape.map((d) => (d === -1 ? sizeOf(s) / known : d));
  if (out.some((d) => !Number.isInteger(d)) || sizeOf(out) !== sizeOf(s)) throw new Error(`reshape: cannot reshape ${shapeStr(s)} to ${shapeStr(shape)}`);
  return lax.reshape(x, out);
}

/** Permutes axes (reverses them by default); negative axes count from the end, as in NumPy. */
export function transpose(x: NdArray, perm?: readonly number[]): NdArray {
  const r = shapeOf(x).length;
  // Only negative axes are rewritten here: lax.transpose checks the permutation (length, repeats, range).
  return lax.transpose(x, perm ? perm.map((a) => (a < 0 ? a + r : a)) : [...Array(r).keys()].reverse());
}

/**
 * x with new size-1 axes at `axis` (one or several, counted in the result's rank; negative
 * from its end), as numpy's expand_dims.
 * @example np.expandDims(x, [0, -1]) // [3] -> [1, 3, 1]
 */
export function expandDims(x: NdArray, axis: number | readonly number[]): NdArray {
  const s = shapeOf(x);
  const list = typeof axis === 'number' ? [axis] : axis;
  const axes = normAxes(list, s.length + list.length, 'expandDims');
  const out: number[] = [];
  for (let i = 0, k = 0; i < s.length + axes.length; i++) out.push(axes.includes(i) ? 1 : s[k++]);
  return axes.length === 1 ? lax.expandDims(x, axes[0]) : lax.reshape(x, out);
}

export function squeeze(x: NdArray, axis?: number | readonly number[]): NdArray {
  const s = shapeOf(x);
  const axes = axis === undefined ? s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0) : (typeof axis === 'number' ? [axis] : axis).map((a) => normAxis(a, s.length, 'squeeze'));
  for (const a of axes) if (s[a] !== 1) throw new Error(`squeeze: axis ${a} of shape ${shapeStr(s)} is not 1`);
  return lax.reshape(x, s.filter((_, i) => !axes.includes(i)));
}

/** The arrays in their promoted dtype (jax.numpy: int32 with float32 is float32). */
const promoted = (xs: readonly NdArray[]): NdArray[] => {
  const dtype = resultDType(xs);
  return xs.map((x) => lax.cast(x, dtype));
};

/** Joins arrays along an existing axis (axis null: the flattened arrays, as NumPy); their dtypes promote as jax.numpy's. */
export function concatenate(xs: readonly NdArray[], axis: number | null = 0): NdArray {
  if (xs.length === 0) throw new Error('concatenate: no arrays given');
  if (axis === null) return lax.concatenate(promoted(xs).map((x) => lax.reshape(x, [sizeOf(shapeOf(x))])), 0);
  return lax.concatenate(promoted(xs), normAxis(axis, shapeOf(xs[0]).length, 'concatenate'));
}

/** Joins arrays along a new axis; their dtypes promote as jax.numpy's. */
export function stack(xs: readonly NdArray[], axis = 0): NdArray {
  if (xs.length === 0) throw new Error('stack: no arrays given');
  const a = normAxis(axis, shapeOf(xs[0]).length + 1, 'stack');
  // Checked here: concatenate's message would name the expanded shapes, not the arrays given.
  const bad = xs.findIndex((x) => shapeStr(shapeOf(x)) !== shapeStr(shapeOf(xs[0])));
  if (bad > 0) throw new Error(`stack: all arrays must have one shape, got ${shapeStr(shapeOf(xs[0]))} (entry 0) and ${shapeStr(shapeOf(xs[bad]))} (entry ${bad})`);
  return lax.concatenate(promoted(xs).map((x) => lax.expandDims(x, a)), a);
}

/**
 * Splits along `axis` into `sections` equal parts, or at a list of indices (numpy's split:
 * `split(x, [2, 5])` gives x[:2], x[2:5], x[5:]).
 */
export function split(x: NdArray, sections: number | readonly number[], axis = 0): NdArray[] {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'split');
  if (typeof sections !== 'number') {
    const bounds = [0, ...sections.map((i) => Math.min(Math.max(i < 0 ? i + s[a] : i, 0), s[a])), s[a]];
    return bounds.slice(1).map((end, i) => sliceAxis(x, a, bounds[i], Math.max(bounds[i], end)));
  }
  if (!Number.isInteger(sections) || sections < 1 || s[a] % sections !== 0) throw new Error(`split: axis ${a} of shape ${shapeStr(s)} does not divide into ${sections}`);
  const n = s[a] / sections;
  return Array.from({ length: sections }, (_, i) => sliceAxis(x, a, i * n, (i + 1) * n));
}

/**
 * x[start:stop:step] along one axis, with Python's slice rules: negative start and stop count
 * from the end, out-of-range bounds clamp, null is the default end, a negative step walks back.
 * @example np.sliceAxis(x, 0, -3, -1) // x[-3:-1]; np.sliceAxis(x, 0, null, null, -1) reverses
 */
export function sliceAxis(x: NdArray, axis: number, start: number | null, stop: number | null, step = 1): NdArray {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'sliceAxis');
  if (!Number.isInteger(step) || step === 0) throw new Error(`sliceAxis: step must be a nonzero integer, got ${step}`);
  const n = s[a];
  const bound = (v: number | null, dflt: number, lo: number, hi: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi));
  if (step > 0) {
    const from = bound(start, 0, 0, n);
    const to = Math.max(from, bound(stop, n, 0, n));
    return lax.slice(x, s.map((_, i) => (i === a ? from : 0)), s.map((d, i) => (i === a ? to : d)), s.map((_, i) => (i === a ? step : 1)));
  }
  const from = bound(start, n - 1, -1, n - 1);
  const to = bound(stop, -1, -1, n - 1);
  const picked: number[] = [];
  for (let i = from; i > to; i += step) picked.push(i);
  return lax.gather(x, tf.tensor1d(picked, 'int32'), a);
}

/** jnp.take's out-of-bound modes: read a fill value (default), clamp, or wrap around. */
export type TakeMode = 'fill' | 'clip' | 'wrap';

/** Options of take (jnp.take's mode and fill_value). */
export interface TakeOptions {
  readonly mode?: TakeMode;
  /** What mode 'fill' reads out of bounds (default NaN; int32: the most negative int32; bool: true). */
  readonly fillValue?: number;
}

/** An index array given as int32 or as a JS array of integers. */
export type IndexArray = NdArray | number | readonly number[] | readonly (readonly number[])[];

/** A JS number or array of indices as an int32 array (a number: 0-d, as jnp.take(a, 1)); arrays pass through. */
export const indexArray = (indices: IndexArray): NdArray =>
  typeof indices === 'number' ? tf.scalar(indices, 'int32') : Array.isArray(indices) ? tf.tensor(indices as number[], undefined, 'int32') : (indices as NdArray);

/**
 * Entries at integer `indices` along `axis` (numpy's take; no axis: of the flattened x). In
 * mode 'fill' (jnp.take's default) a negative index counts from the end and one outside
 * [-n, n) reads `fillValue` (default NaN for float32, the most negative int32, true for bool);
 * 'clip' clamps to [0, n - 1] (negative ones to 0, as NumPy); 'wrap' takes indices modulo n.
 * @example np.take(np.array([[1, 2], [3, 4]]), np.array([3, -1, 9], 'int32')) // [4, 4, NaN]
 * @example np.take(x, [0, 5], 1, 'clip') // x[:, [0, n - 1]]
 */
export function take(x: NdArray, indices: IndexArray, axis: number | null = null, options: TakeOptions | TakeMode = {}): NdArray {
  if (axis === null) return take(lax.reshape(x, [sizeOf(shapeOf(x))]), indices, 0, options);
  const { mode = 'fill', fillValue } = typeof options === 'string' ? { mode: options } : options;
  if (mode !== 'fill' && mode !== 'clip' && mode !== 'wrap') throw new Error(`take: mode must be 'fill', 'clip' or 'wrap', got '${String(mode)}'`);
  const ind = indexArray(indices);
  const a = normAxis(axis, shapeOf(x).length, 'take');
  const s = shapeOf(x);
  const is = shapeOf(ind);
  const out = [...s.slice(0, a), ...is, ...s.slice(a + 1)];
  const dtype = avalOf(x).dtype;
  const fill = lax.full(out, fillValue ?? outOfBoundFill(dtype), dtype);
  if (s[a] === 0 && sizeOf(is) > 0) throw new Error(`take: cannot take ${sizeOf(is)} entries from the empty axis ${a} of shape ${shapeStr(s)} (jax.numpy: no non-empty take from an empty axis)`);
  if (s[a] === 0) return fill;
  if (mode !== 'fill') return lax.gather(x, clipOrWrap(ind, s[a], mode), a);
  const { index, valid } = boundedIndex(ind, s[a]);
  const mask = lax.broadcastTo(lax.reshape(valid, [...s.slice(0, a).map(() => 1), ...is, ...s.slice(a + 1).map(() => 1)]), out);
  return lax.select(mask, lax.gather(x, index, a), fill);
}

/** int32 indices into an axis of length n > 0, clamped to [0, n - 1] or taken modulo n. */
export function clipOrWrap(indices: NdArray, n: number, mode: 'clip' | 'wrap'): NdArray {
  if (avalOf(indices).dtype !== 'int32') return indices;
  const [zero, len] = [lax.scalarLike(0, indices), lax.scalarLike(n, indices)];
  if (mode === 'clip') return lax.max(lax.min(indices, lax.scalarLike(n - 1, indices)), zero);
  const rem = lax.sub(indices, lax.mul(lax.div(indices, len), len));
  return lax.select(lax.lt(rem, zero), lax.add(rem, len), rem);
}

/** What an out-of-bound read gives (jax.numpy's default fill): NaN, the most negative int32, or true. */
export const outOfBoundFill = (dtype: DType): number => (dtype === 'float32' ? NaN : dtype === 'int32' ? -(2 ** 31) : 1);

/**
 * Indices into an axis of length n: negative ones from the end (unless `wrapNegative` is
 * false: then they are out of bounds), and where they fall outside [-n, n) (`valid` false)
 * index 0, for a gather that cannot fail; int32 indices only (others pass through, for the
 * gather's own error).
 */
export function boundedIndex(indices: NdArray, n: number, wrapNegative = true): { index: NdArray; valid: NdArray } {
  if (avalOf(indices).dtype !== 'int32') return { index: indices, valid: lax.full(shapeOf(indices), 1, 'bool') };
  const len = lax.scalarLike(n, indices);
  const zero = lax.scalarLike(0, indices);
  const wrapped = wrapNegative ? lax.select(lax.lt(indices, zero), lax.add(indices, len), indices) : indices;
  const valid = lax.binary('and', lax.ge(wrapped, zero), lax.lt(wrapped, len));
  return { index: lax.select(valid, wrapped, lax.zerosLike(wrapped)), valid };
}

export function broadcastTo(x: NdArray, shape: readonly number[]): NdArray {
  const s = shapeOf(x);
  if (shape.length < s.length) throw new Error(`broadcastTo: cannot broadcast ${shapeStr(s)} to ${shapeStr(shape)}`);
  const r = shape.length - s.length;
  s.forEach((d, i) => {
    if (d !== 1 && d !== shape[i + r]) throw new Error(`broadcastTo: cannot broadcast ${shapeStr(s)} to ${shapeStr(shape)}`);
  });
  return lax.broadcastTo(lax.reshape(x, [...new Array(r).fill(1), ...s]), shape);
}

/** One-hot rows of length n from int32 labels. */
export function oneHot(labels: NdArray, n: number): NdArray {
  const s = shapeOf(labels);
  const classes = tf.reshape(tf.range(0, n, 1, 'int32'), [...new Array(s.length).fill(1), n]);
  return lax.cast(lax.eq(lax.expandDims(labels, s.length), classes), 'float32');
}

/**
 * A possibly negative axis as an index in [0, ndim) (NumPy 2's `normalize_axis_index`); an
 * axis out of range is a one-line error naming `what`.
 * @example np.normalizeAxisIndex(-1, 3) // 2
 */
export function normalizeAxisIndex(axis: number, ndim: number, what = 'axis'): number {
  return normAxis(axis, ndim, what);
}
