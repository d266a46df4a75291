/**
 * Where an array is nonzero (nonzero, flatnonzero, argwhere) and flat positions as coordinates
 * (unravelIndex). As in jax.numpy, a static `size` makes them traceable: the first `size`
 * positions, padded with `fillValue`; without it the count is read back eagerly.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { at } from './index-update.js';
import { ravel } from './manipulation.js';
import { cumsum } from './reductions.js';
import { floorDivide, remainder } from './elementwise-math.js';
import { add, less, maximum, minimum, mul, notEqual, sum, where } from './math.js';

export interface NonzeroOptions {
  /** Number of positions returned (needed under jit): the first `size`, padded with `fillValue`. */
  readonly size?: number;
  /** Padding of every coordinate past the nonzero count (default 0). */
  readonly fillValue?: number;
}

/**
 * NumPy's unravel_index: coordinates in `shape` of the flat (row-major) `indices`, one int32
 * array per axis. As in JAX, out-of-range indices are clamped to [-size, size - 1] and negative
 * ones count from the end.
 * @example np.unravelIndex(np.array([5], 'int32'), [2, 3]) // [[1], [2]]
 */
export function unravelIndex(indices: NdArray, shape: readonly number[]): NdArray[] {
  if (avalOf(indices).dtype !== 'int32') throw new Error(`unravelIndex: indices must be int32, got ${avalOf(indices).dtype}`);
  const total = sizeOf(shape);
  if (total === 0) throw new Error(`unravelIndex: shape [${shape}] has no entries`);
  const clamped = minimum(maximum(indices, -total), total - 1);
  let rest = where(less(clamped, 0), lax.add(clamped, lax.scalarLike(total, clamped)), clamped);
  const out: NdArray[] = [];
  for (const d of [...shape].reverse()) {
    out.unshift(remainder(rest, d));
    rest = floorDivide(rest, d);
  }
  return out;
}

/**
 * NumPy's ravel_multi_index: the flat positions in an array of shape `dims` ('C' row-major or
 * 'F' column-major `order`) of the int32 coordinate arrays (broadcast together). An
 * out-of-range coordinate is an error for mode 'raise' (the default; it reads the values, so
 * not under jit, as JAX), clipped for 'clip' and wrapped for 'wrap'.
 * @example np.ravelMultiIndex([np.array([1], 'int32'), np.array([2], 'int32')], [2, 3]) // [5]
 */
export function ravelMultiIndex(multiIndex: readonly NdArray[], dims: readonly number[], mode: 'raise' | 'clip' | 'wrap' = 'raise', order: 'C' | 'F' = 'C'): NdArray {
  if (multiIndex.length !== dims.length) throw new Error(`ravelMultiIndex: ${multiIndex.length} coordinate arrays for ${dims.length} dims`);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`ravelMultiIndex: dims must be non-negative integers, got [${dims}]`);
  for (const i of multiIndex) if (avalOf(i).dtype !== 'int32') throw new Error(`ravelMultiIndex: coordinates must be int32, got ${avalOf(i).dtype}`);
  const fixed = multiIndex.map((i, k) => {
    if (mode === 'clip') return minimum(maximum(i, 0), dims[k] - 1);
    if (mode === 'wrap') return remainder(i, dims[k]);
    if (mode !== 'raise') throw new Error(`ravelMultiIndex: mode must be 'raise', 'clip' or 'wrap', got '${String(mode)}'`);
    const why = unreadable(i);
    if (why) throw new Error(`ravelMultiIndex: mode 'raise' checks the coordinates, whose values ${why}; use mode 'clip' or 'wrap'`);
    if (Array.from((i as tf.Tensor).dataSync()).some((v) => v < 0 || v >= dims[k])) throw new Error(`ravelMultiIndex: a coordinate of axis ${k} is outside [0, ${dims[k]}) (mode 'raise')`);
    return i;
  });
  const axes = order === 'C' ? dims.map((_, k) => dims.length - 1 - k) : dims.map((_, k) => k);
  let stride = 1;
  let flat: NdArray = lax.scalar(0, 'int32');
  for (const k of axes) {
    flat = add(flat, mul(fixed[k], stride));
    stride *= dims[k];
  }
  return flat;
}

/** The first `size` flat positions where x is nonzero, and how many positions are real. */
function flatPositions(op: string, x: NdArray, size: number | undefined): { positions: NdArray; count: NdArray; size: number } {
  const n = sizeOf(shapeOf(x));
  const hit = lax.cast(notEqual(lax.reshape(x, [n]), 0), 'int32');
  const count = sum(hit);
  let k = size;
  if (k === undefined) {
    const why = unreadable(x);
    if (why) throw new Error(`${op}: pass size: the number of nonzero entries sets the result's shape, and x's values ${why}`);
    k = (count as tf.Tensor).dataSync()[0];
  }
  if (!Number.isInteger(k) || k < 0) throw new Error(`${op}: size must be a non-negative integer, got ${k}`);
  // Entry j goes to slot (nonzero entries before it); zeros and slots past `size` are dropped.
  const slot = where(hit, lax.sub(cumsum(hit), lax.scalar(1, 'int32', 1)), k);
  const positions = at(lax.full([k], 0, 'int32'), slot).set(tf.range(0, n, 1, 'int32'), { uniqueIndices: true });
  return { positions, count, size: k };
}

/**
 * Coordinates of x's nonzero entries, one int32 array per axis (NumPy's nonzero; jax.numpy's
 * `size` and `fillValue`).
 * @example np.nonzero(mask, { size: 10, fillValue: -1 })
 */
export function nonzero(x: NdArray, { size, fillValue = 0 }: NonzeroOptions = {}): NdArray[] {
  const shape = shapeOf(x);
  if (shape.length === 0) throw new Error('nonzero: x must have at least one axis (NumPy deprecates 0-d); use np.atleast1d');
  const { positions, count, size: k } = flatPositions('nonzero', x, size);
  // No entries (a 0 in the shape): every slot is padding, and there is nothing to unravel.
  if (sizeOf(shape) === 0) return shape.map(() => lax.full([k], fillValue, 'int32'));
  const real = less(tf.range(0, k, 1, 'int32'), lax.broadcastTo(count, [k]));
  return unravelIndex(positions, shape).map((c) => where(real, c, fillValue));
}

/** Flat positions of x's nonzero entries (NumPy's flatnonzero), int32. */
export function flatnonzero(x: NdArray, options: NonzeroOptions = {}): NdArray {
  return nonzero(ravel(x), options)[0];
}

/** Coordinates of x's nonzero entries as rows: [count, rank] (NumPy's argwhere), int32. */
export function argwhere(x: NdArray, options: NonzeroOptions = {}): NdArray {
  const shape = shapeOf(x);
  if (shape.length === 0) return lax.full([shapeOf(flatnonzero(lax.reshape(x, [1]), options))[0], 0], 0, 'int32');
  const coords = nonzero(x, options);
  return lax.concatenate(coords.map((c) => lax.reshape(c, [shapeOf(c)[0], 1])), 1);
}
