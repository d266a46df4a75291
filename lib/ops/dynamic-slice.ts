/**
 * jax.lax's dynamic slices: blocks of a static size at start positions that may be traced
 * (a loop counter in scan, an index under vmap). As in JAX, a start is clamped so that the
 * block fits inside the array, never read or written out of bounds.
 */
import * as tf from '@tensorflow/tfjs-core';
import { avalStr, normAxis } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { at } from './index-update.js';
import { index } from './indexing.js';
import { constant } from './lax-operands.js';

/** A start position: a JS integer or an int32 scalar (traced or not). */
export type Start = number | NdArray;

/** Checks one start and one size per axis, each size within its axis. */
function checkBlock(op: string, shape: readonly number[], starts: readonly Start[], sizes: readonly number[]): void {
  if (starts.length !== shape.length || sizes.length !== shape.length)
    throw new Error(`${op}: ${starts.length} starts and ${sizes.length} sizes for an array of rank ${shape.length} (one of each per axis)`);
  shape.forEach((n, a) => {
    const [s, size] = [starts[a], sizes[a]];
    if (!Number.isInteger(size) || size < 0 || size > n) throw new Error(`${op}: size ${size} does not fit axis ${a} of length ${n}`);
    if (typeof s === 'number' && !Number.isInteger(s)) throw new Error(`${op}: start ${s} of axis ${a} is not an integer`);
    if (typeof s !== 'number') {
      const aval = avalOf(s);
      if (aval.dtype !== 'int32' || aval.shape.length !== 0) throw new Error(`${op}: start of axis ${a} must be an int32 scalar, got ${aval.dtype} [${aval.shape}]`);
    }
  });
}

/** Each axis's block positions, broadcast across the other axes ([1, .., size, .., 1]). */
function blockIndices(shape: readonly number[], starts: readonly Start[], sizes: readonly number[]): NdArray[] {
  return shape.map((n, a) => {
    const [s, size, last] = [starts[a], sizes[a], n - sizes[a]];
    const first = typeof s === 'number' ? tf.scalar(Math.min(Math.max(s, 0), last), 'int32') : lax.max(lax.min(s, lax.scalar(last, 'int32')), lax.scalar(0, 'int32'));
    const positions = lax.add(tf.range(0, size, 1, 'int32'), lax.broadcastTo(first, [size]));
    return lax.reshape(positions, shape.map((_, k) => (k === a ? size : 1)));
  });
}

const allNumbers = (starts: readonly Start[]): starts is readonly number[] => starts.every((s) => typeof s === 'number');

/**
 * The block of shape `sizes` starting at `starts` (jax.lax.dynamic_slice).
 * @example lax.dynamicSlice(x, [i, 0], [1, 4]) // row i of a [n, 4] array, kept 2-D
 */
export function dynamicSlice(x: NdArray, starts: readonly Start[], sizes: readonly number[]): NdArray {
  const shape = shapeOf(x);
  checkBlock('dynamicSlice', shape, starts, sizes);
  if (allNumbers(starts)) {
    const from = shape.map((n, a) => Math.min(Math.max(starts[a], 0), n - sizes[a]));
    return lax.slice(x, from, from.map((f, a) => f + sizes[a]));
  }
  return index(x, ...blockIndices(shape, starts, sizes));
}

/**
 * x with the block at `starts` replaced by `update` (jax.lax.dynamic_update_slice); the block
 * is `update`'s shape.
 * @example lax.dynamicUpdateSlice(cache, row, [t, 0]) // write row t of a cache
 */
export function dynamicUpdateSlice(x: NdArray, update: NdArray | number, starts: readonly Start[]): NdArray {
  const u = updateOperand(x, update);
  checkBlock('dynamicUpdateSlice', shapeOf(x), starts, shapeOf(u));
  return at(x, ...blockIndices(shapeOf(x), starts, shapeOf(u))).set(u, { uniqueIndices: true });
}

/**
 * As jax.lax: the update has x's rank and dtype; a JS number is a weak rank-0 scalar, so
 * only a rank-0 x takes one.
 */
function updateOperand(x: NdArray, update: NdArray | number): NdArray {
  const [xa, rank] = [avalOf(x), shapeOf(x).length];
  if (typeof update === 'number') {
    if (rank !== 0) throw new TypeError(`lax.dynamicUpdateSlice: update must have the operand's rank ${rank}, got the JS number ${update} (rank 0)`);
    return constant('dynamicUpdateSlice', update, xa.dtype);
  }
  const ua = avalOf(update);
  if (ua.shape.length !== rank) throw new TypeError(`lax.dynamicUpdateSlice: update must have the operand's rank ${rank}, got ${avalStr(ua)} for ${avalStr(xa)}`);
  if (ua.dtype !== xa.dtype) throw new TypeError(`lax.dynamicUpdateSlice: update dtype must match the operand's, got ${avalStr(ua)} for ${avalStr(xa)}`);
  return update;
}

/**
 * The slice at `index` along `axis` (jax.lax.dynamic_index_in_dim); keepdims keeps that axis
 * with length 1.
 */
export function dynamicIndexInDim(x: NdArray, i: Start, axis = 0, keepdims = true): NdArray {
  const shape = shapeOf(x);
  const a = normAxis(axis, shape.length, 'dynamicIndexInDim');
  const block = dynamicSliceInDim(x, i, 1, a);
  return keepdims ? block : lax.reshape(block, shape.filter((_, k) => k !== a));
}

/** The `size` entries from `start` along `axis` (jax.lax.dynamic_slice_in_dim). */
export function dynamicSliceInDim(x: NdArray, start: Start, size: number, axis = 0): NdArray {
  const shape = shapeOf(x);
  const a = normAxis(axis, shape.length, 'dynamicSliceInDim');
  return dynamicSlice(x, shape.map((_, k) => (k === a ? start : 0)), shape.map((n, k) => (k === a ? size : n)));
}

/** x with `update` written from `start` along `axis` (jax.lax.dynamic_update_slice_in_dim). */
export function dynamicUpdateSliceInDim(x: NdArray, update: NdArray, start: Start, axis = 0): NdArray {
  const a = normAxis(axis, shapeOf(x).length, 'dynamicUpdateSliceInDim');
  return dynamicUpdateSlice(x, update, shapeOf(x).map((_, k) => (k === a ? start : 0)));
}
