/** Diagonal helpers: diagflat, fillDiagonal (functional), diagIndicesFrom, maskIndices. */
import * as tf from '@tensorflow/tfjs-core';
import { shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { at } from './index-update.js';
import { diag } from './linalg.js';
import { type ArrayOrNumber } from './math.js';
import { nonzero } from './nonzero.js';
import { diagIndices } from './tri-indices.js';

/** The square matrix with the flattened v on its k-th diagonal (numpy's diagflat). */
export function diagflat(v: NdArray, k = 0): NdArray {
  return diag(lax.reshape(v, [sizeOf(shapeOf(v))]), k);
}

/** n, the length of every axis of an n x ... x n array (or min of a 2-D array's with `rectangular`). */
function cubeSide(a: NdArray, op: string, rectangular: boolean): number {
  const s = shapeOf(a);
  if (s.length < 2) throw new Error(`${op}: need an array of rank >= 2, got shape ${shapeStr(s)}`);
  if (!(rectangular && s.length === 2) && s.some((d) => d !== s[0])) throw new Error(`${op}: every axis must have the same length, got shape ${shapeStr(s)}`);
  return Math.min(...s);
}

/**
 * A copy of a with its main diagonal set to val (jax.numpy's fill_diagonal with
 * inplace=False; NumPy's fills in place): a scalar, or values repeated cyclically along the
 * diagonal (extra ones dropped), cast to a's dtype. A 2-D a may be rectangular (its leading
 * square's diagonal); a higher-rank one must be n x ... x n. `wrap` is not supported (as JAX).
 * @example np.fillDiagonal(np.zeros([3, 3]), 5)
 */
export function fillDiagonal(a: NdArray, val: ArrayOrNumber, wrap = false): NdArray {
  if (wrap) throw new Error('fillDiagonal: wrap=true is not supported (as in jax.numpy)');
  const n = cubeSide(a, 'fillDiagonal', true);
  const idx = diagIndices(n, shapeOf(a).length);
  if (typeof val === 'number' || shapeOf(val).length === 0) return at(a, ...idx).set(val);
  const flat = lax.reshape(val, [sizeOf(shapeOf(val))]);
  const m = shapeOf(flat)[0];
  if (m === 0) throw new Error('fillDiagonal: val has no entries');
  const cyclic = lax.gather(flat, tf.tensor1d(Array.from({ length: n }, (_, i) => i % m), 'int32'), 0);
  return at(a, ...idx).set(cyclic);
}

/** The indices of the main diagonal of the n x ... x n array a (numpy's diag_indices_from). */
export function diagIndicesFrom(a: NdArray): tf.Tensor[] {
  return diagIndices(cubeSide(a, 'diagIndicesFrom', false), shapeOf(a).length);
}

/**
 * The [rows, cols] where `maskFunc(ones([n, n]), k)` is nonzero (numpy's mask_indices; with
 * np.triu or np.tril as maskFunc, the upper or lower triangle). Eager: the mask is read.
 * @example const [r, c] = np.maskIndices(3, np.triu, 1)
 */
export function maskIndices(n: number, maskFunc: (m: NdArray, k: number) => NdArray, k = 0): NdArray[] {
  return nonzero(maskFunc(lax.full([n, n], 1, 'int32'), k));
}
