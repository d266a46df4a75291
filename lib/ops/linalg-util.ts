/**
 * Shared pieces of the composed linear algebra (linalg-solve.ts, linalg-qr.ts,
 * linalg-eigh.ts, linalg-svd.ts): input checks with one-line errors, constant index masks,
 * rows, columns and entries of stacked matrices by static slices, and a batched transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { toFloat } from './math.js';
import { swapaxes } from './manipulation.js';
import { sliceAxis } from './shape.js';

/** Stacked matrices [..., m, n] as float32 (integer and bool inputs promote, as in jax.numpy); throws `op: a must be [..., m, n], got [3]`. */
export function matrices(a: NdArray, op: string, square: boolean, name = 'a'): NdArray {
  const s = shapeOf(a);
  if (s.length < 2 || (square && s[s.length - 1] !== s[s.length - 2]))
    throw new Error(`${op}: ${name} must be [..., ${square ? 'n, n' : 'm, n'}], got ${shapeStr(s)}`);
  return toFloat(a);
}

/** A constant bool [n, m] mask, true where `pred(i, j)`. */
export function indexMask(n: number, m: number, pred: (i: number, j: number) => boolean): tf.Tensor {
  const v = new Array<number>(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) v[i * m + j] = pred(i, j) ? 1 : 0;
  return tf.tensor2d(v, [n, m], 'bool');
}

/** A constant bool [n] mask, true where `pred(i)`. */
export function indexVector(n: number, pred: (i: number) => boolean): tf.Tensor {
  return tf.tensor1d(Array.from({ length: n }, (_, i) => (pred(i) ? 1 : 0)), 'bool');
}

/** x's last two axes swapped: the matrices transposed. */
export const mT = (x: NdArray): NdArray => swapaxes(x, -1, -2);

/** Rows i..i+1 of stacked matrices, kept as a [..., 1, n] axis. */
export const rowOf = (x: NdArray, i: number): NdArray => sliceAxis(x, shapeOf(x).length - 2, i, i + 1);

/** Column j of stacked matrices, kept as a [..., m, 1] axis. */
export const colOf = (x: NdArray, j: number): NdArray => sliceAxis(x, shapeOf(x).length - 1, j, j + 1);

/** Entry (i, j) of stacked matrices, kept as [..., 1, 1]. */
export const entryOf = (x: NdArray, i: number, j: number): NdArray => colOf(rowOf(x, i), j);

/** The n x n identity broadcast to `batch` leading dims. */
export function eyeBatch(n: number, batch: readonly number[]): NdArray {
  return lax.broadcastTo(tf.tidy(() => tf.eye(n)), [...batch, n, n]);
}
