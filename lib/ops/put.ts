/**
 * NumPy's writing functions, functional as in jax.numpy (a new array; x unchanged): put (at
 * flat positions), putAlongAxis (takeAlongAxis's inverse) and append. Built on np.at.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normAxis, shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { at } from './index-update.js';
import { ravel } from './manipulation.js';
import type { ArrayOrNumber } from './math.js';
import { clipOrWrap, concatenate } from './shape.js';
import { nonzero, unravelIndex } from './nonzero.js';

/**
 * x with its flattened entries at `indices` replaced by `values` (numpy.put): values are
 * flattened and repeated to the number of indices; a repeated index keeps its last value. By
 * default (jnp.put's mode None) a negative index counts from the end, as in NumPy, and one
 * outside [-n, n) clamps to the nearer end; mode 'clip' clamps to [0, n - 1] (negative ones to
 * 0) and 'wrap' wraps around. No values (or no indices, or an empty x): x unchanged (JAX).
 * @example np.put(np.zeros([5]), np.array([0, 2], 'int32'), np.array([7, 9])) // [7, 0, 9, 0, 0]
 */
export function put(x: NdArray, indices: NdArray, values: ArrayOrNumber, mode?: 'clip' | 'wrap'): NdArray {
  if (avalOf(indices).dtype !== 'int32') throw new Error(`put: indices must be int32, got ${avalOf(indices).dtype}`);
  if (mode !== undefined && mode !== 'clip' && mode !== 'wrap') throw new Error(`put: mode must be 'clip' or 'wrap' (or left out), got '${String(mode)}'`);
  const n = sizeOf(shapeOf(x));
  const ind = ravel(indices);
  const m = shapeOf(ind)[0];
  let v = typeof values === 'number' ? lax.full([m], values, avalOf(x).dtype) : ravel(values);
  const k = shapeOf(v)[0];
  if (n === 0 || m === 0 || k === 0) return x;
  const inRange = mode === undefined ? unravelIndex(ind, [n])[0] : clipOrWrap(ind, n, mode);
  if (k !== m) v = lax.gather(v, tf.tensor1d(Array.from({ length: m }, (_, i) => i % k), 'int32'), 0);
  return lax.reshape(at(ravel(x), inRange).set(v), shapeOf(x));
}

/**
 * x with `values` written where takeAlongAxis(x, indices, axis) reads (numpy.put_along_axis):
 * indices have x's rank, values broadcast to them; negative indices count from the end.
 * With `axis` null, 1-D indices into the flattened x (NumPy's and JAX's axis=None), x's shape kept.
 * @example np.putAlongAxis(x, np.argmax(x, -1, true), 0, -1) // each row's maximum zeroed
 */
export function putAlongAxis(x: NdArray, indices: NdArray, values: ArrayOrNumber, axis: number | null): NdArray {
  const sx = shapeOf(x);
  const si = shapeOf(indices);
  if (axis === null) {
    if (si.length !== 1) throw new Error(`putAlongAxis: with axis null, indices must be 1-D, got ${shapeStr(si)}`);
    return lax.reshape(putAlongAxis(ravel(x), indices, typeof values === 'number' ? values : ravel(values), 0), sx);
  }
  if (sx.length !== si.length) throw new Error(`putAlongAxis: x ${shapeStr(sx)} and indices ${shapeStr(si)} must have the same rank`);
  const a = normAxis(axis, sx.length, 'putAlongAxis');
  sx.forEach((d, i) => {
    if (i !== a && d !== si[i] && si[i] !== 1) throw new Error(`putAlongAxis: indices ${shapeStr(si)} do not broadcast to x ${shapeStr(sx)} outside axis ${a}`);
  });
  const out = sx.map((d, i) => (i === a ? si[i] : d));
  // One index array per axis: the given indices along `axis`, iotas along the others.
  const ix = sx.map((d, i) => (i === a ? lax.broadcastTo(indices, out) : lax.reshape(tf.range(0, d, 1, 'int32'), sx.map((_, j) => (j === i ? d : 1)))));
  return at(x, ...ix).set(values);
}

/**
 * x and values joined (numpy.append): flattened when axis is null (the default), else
 * along `axis`, where they must agree on every other dim.
 */
export function append(x: NdArray, values: NdArray, axis: number | null = null): NdArray {
  return axis === null ? concatenate([ravel(x), ravel(values)], 0) : concatenate([x, values], axis);
}

/**
 * A copy of x with the entries where `mask` is true (in row-major order) replaced by `vals`,
 * repeated cyclically (numpy's place; jax.numpy's with inplace=False). Traceable.
 * @example np.place(np.arange(5), np.greater(np.arange(5), 2), np.array([9], 'int32')) // [0, 1, 2, 9, 9]
 */
export function place(x: NdArray, mask: NdArray, vals: ArrayOrNumber): NdArray {
  const n = sizeOf(shapeOf(x));
  if (sizeOf(shapeOf(mask)) !== n) throw new Error(`place: mask ${shapeStr(shapeOf(mask))} must have as many entries as x ${shapeStr(shapeOf(x))}`);
  const v = typeof vals === 'number' ? lax.full([1], vals, avalOf(x).dtype) : ravel(vals);
  const m = shapeOf(v)[0];
  if (m === 0) throw new Error('place: vals has no entries');
  if (n === 0) return x;
  // The k-th true entry of the mask takes vals[k mod m]; the padding (index n) is dropped.
  const positions = nonzero(ravel(mask), { size: n, fillValue: n })[0];
  const cyclic = lax.gather(v, tf.tensor1d(Array.from({ length: n }, (_, k) => k % m), 'int32'), 0);
  return lax.reshape(at(ravel(x), positions).set(cyclic), shapeOf(x));
}
