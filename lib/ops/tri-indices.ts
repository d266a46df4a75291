/**
 * Index arrays of triangles and diagonals (numpy.tril_indices, triu_indices, diag_indices and
 * the *_from forms). Sizes are JS numbers (or an array's static shape), so each is a pair
 * (or tuple) of int32 constants, usable under jit like np.arange; row-major order, as NumPy's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { shapeStr } from '../core/aval.js';
import { type NdArray, shapeOf } from '../core/trace.js';

/** Checks the sizes and offset of a triangle's indices (`op` names the function). */
function checkTriangle(op: string, n: number, k: number, m: number): void {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(m) || m < 0 || !Number.isInteger(k))
    throw new Error(`${op}: need non-negative integer sizes and an integer k, got n=${n}, k=${k}, m=${m}`);
}

/** [rows, cols] of the cells of an n x m grid where `keep(col - row)` holds, in row-major order. */
function cells(n: number, m: number, keep: (offset: number) => boolean): [tf.Tensor, tf.Tensor] {
  const rows: number[] = [];
  const cols: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++)
      if (keep(j - i)) {
        rows.push(i);
        cols.push(j);
      }
  return [tf.tensor1d(rows, 'int32'), tf.tensor1d(cols, 'int32')];
}

/**
 * The row and column indices of the lower triangle of an n x m array (m = n by default): the
 * cells with col - row <= k (numpy.tril_indices).
 * @example np.trilIndices(3) // [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]
 */
export function trilIndices(n: number, k = 0, m = n): [tf.Tensor, tf.Tensor] {
  checkTriangle('trilIndices', n, k, m);
  return cells(n, m, (d) => d <= k);
}

/**
 * The row and column indices of the upper triangle of an n x m array (m = n by default): the
 * cells with col - row >= k (numpy.triu_indices).
 * @example np.triuIndices(3, 1) // [[0, 0, 1], [1, 2, 2]]
 */
export function triuIndices(n: number, k = 0, m = n): [tf.Tensor, tf.Tensor] {
  checkTriangle('triuIndices', n, k, m);
  return cells(n, m, (d) => d >= k);
}

/**
 * The indices of the main diagonal of an n x ... x n array of rank `ndim`: `ndim` copies
 * of [0, ..., n-1] (numpy.diag_indices; separate tensors, each the caller's to dispose).
 * @example np.diagIndices(3) // [[0, 1, 2], [0, 1, 2]]
 */
export function diagIndices(n: number, ndim = 2): tf.Tensor[] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(ndim) || ndim < 0) throw new Error(`diagIndices: need non-negative integers n and ndim, got n=${n}, ndim=${ndim}`);
  return Array.from({ length: ndim }, () => tf.range(0, n, 1, 'int32'));
}

/** The [rows, cols] of a 2-D array (tracers too: only the static shape is read). */
function matrixShape(arr: NdArray, op: string): [number, number] {
  const s = shapeOf(arr);
  if (s.length !== 2) throw new Error(`${op}: arr must be 2-D, got shape ${shapeStr(s)}`);
  return [s[0], s[1]];
}

/**
 * {@link trilIndices} for the shape of the 2-D `arr` (numpy.tril_indices_from).
 * @example const [r, c] = np.trilIndicesFrom(x, -1) // strictly below the diagonal
 */
export function trilIndicesFrom(arr: NdArray, k = 0): [tf.Tensor, tf.Tensor] {
  const [n, m] = matrixShape(arr, 'trilIndicesFrom');
  return trilIndices(n, k, m);
}

/**
 * {@link triuIndices} for the shape of the 2-D `arr` (numpy.triu_indices_from).
 * @example const [r, c] = np.triuIndicesFrom(x, 1) // strictly above the diagonal
 */
export function triuIndicesFrom(arr: NdArray, k = 0): [tf.Tensor, tf.Tensor] {
  const [n, m] = matrixShape(arr, 'triuIndicesFrom');
  return triuIndices(n, k, m);
}
