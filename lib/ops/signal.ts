/** 1-D discrete convolution and cross-correlation (numpy's convolve and correlate). */
import * as tf from '@tensorflow/tfjs-core';
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { matmul } from './math.js';
import { flip } from './manipulation.js';
import { sliceAxis } from './shape.js';

export type ConvolveMode = 'full' | 'same' | 'valid';

/**
 * The full convolution of a [n] with v [m], n >= m, as one gather and one product: row i
 * of the window matrix is the zero-padded a at i .. i + m - 1, against v reversed.
 */
function fullConvolution(a: NdArray, v: NdArray): NdArray {
  const n = shapeOf(a)[0];
  const m = shapeOf(v)[0];
  const len = n + m - 1;
  const padded = lax.pad(a, [m - 1], [m - 1]);
  const idx = tf.tidy(() => tf.add(tf.reshape(tf.range(0, len, 1, 'int32'), [len, 1]), tf.reshape(tf.range(0, m, 1, 'int32'), [1, m])));
  return matmul(lax.gather(padded, idx, 0), flip(v));
}

/**
 * Discrete linear convolution of two 1-D arrays (numpy's convolve): 'full' (default,
 * length n + m - 1), 'same' (length max(n, m), centred), 'valid' (where they overlap fully).
 * @example np.convolve(np.array([1, 2, 3]), np.array([0, 1, 0.5])) // [0, 1, 2.5, 4, 1.5]
 */
export function convolve(a: NdArray, v: NdArray, mode: ConvolveMode = 'full'): NdArray {
  const sa = shapeOf(a);
  const sv = shapeOf(v);
  if (sa.length !== 1 || sv.length !== 1 || sa[0] === 0 || sv[0] === 0) throw new Error(`convolve: need two non-empty 1-D arrays, got ${shapeStr(sa)} and ${shapeStr(sv)}`);
  const [long, short] = sa[0] >= sv[0] ? [a, v] : [v, a];
  const n = shapeOf(long)[0];
  const m = shapeOf(short)[0];
  const full = fullConvolution(long, short);
  if (mode === 'full') return full;
  if (mode === 'valid') return sliceAxis(full, 0, m - 1, n);
  if (mode === 'same') return sliceAxis(full, 0, Math.floor((m - 1) / 2), Math.floor((m - 1) / 2) + n);
  throw new Error(`convolve: mode must be 'full', 'same' or 'valid', got '${String(mode)}'`);
}

/**
 * Cross-correlation of two 1-D arrays, c[k] = sum_n a[n + k] v[n] (numpy's correlate,
 * default mode 'valid'): the convolution with v reversed.
 */
export function correlate(a: NdArray, v: NdArray, mode: ConvolveMode = 'valid'): NdArray {
  if (shapeOf(v).length !== 1) throw new Error(`correlate: need two 1-D arrays, got ${shapeStr(shapeOf(a))} and ${shapeStr(shapeOf(v))}`);
  // c[k] of (a, v) is c[-k] of (v, a): NumPy and JAX centre 'same' on the longer operand, so a shorter a is swapped in and the result reversed.
  if (shapeOf(a).length === 1 && shapeOf(v)[0] > shapeOf(a)[0]) return flip(correlate(v, a, mode));
  return convolve(a, flip(v), mode);
}
