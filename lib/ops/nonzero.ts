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
import { less, maximum, minimum, notEqual, sum, where } from './math.js';

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
