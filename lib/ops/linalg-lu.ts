/**
 * LU factorisation with partial pivoting of stacked square matrices, and solves with its
 * factors, composed from slices, selects and products so that they run on every backend and
 * batch, jit and differentiate like any composition. n is static: the factorisation is a
 * loop of n steps of about 25 small ops on [..., n, n] (O(n^3) flops in all), each solve
 * 2n steps of about 6 ops on [..., n, k]; meant for small matrices (n up to about 64).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { abs, argmax, div, equal, matmul, mul, notEqual, sub, sum, where } from './math.js';
import { sliceAxis, squeeze } from './shape.js';
import { colOf, entryOf, indexMask, indexVector, rowOf } from './linalg-util.js';

/** PA = LU for stacked matrices: L (unit diagonal, not stored) below and U on and above lu's diagonal. */
export interface LuFactors {
  /** [..., n, n]: L's multipliers below the diagonal, U on and above it. */
  readonly lu: NdArray;
  /** [..., n] float32 row indices: row i of PA is row perm[i] of A. */
  readonly perm: NdArray;
  /** [...] float32: the permutation's sign, +1 or -1. */
  readonly parity: NdArray;
}

/**
 * LU with partial pivoting (LAPACK getrf's choices: the first largest |entry| of each column
 * pivots). A zero pivot (a singular matrix) leaves its column's multipliers 0 as LAPACK does,
 * so U has an exact 0 on its diagonal and no NaN appears.
 */
export function luFactor(a: NdArray): LuFactors {
  const s = shapeOf(a);
  const n = s[s.length - 1];
  const batch = s.slice(0, -2);
  const r = s.length;
  const iota = tf.tidy(() => tf.range(0, n, 1, 'int32'));
  let lu = a;
  let perm: NdArray = lax.broadcastTo(tf.tidy(() => tf.range(0, n, 1, 'float32')), [...batch, n]);
  let parity: NdArray = lax.full(batch, 1);
  for (let k = 0; k < n; k++) {
    // The pivot: the first largest |entry| on or below the diagonal of column k.
    const col = squeeze(colOf(lu, k), r - 1);
    const p = argmax(where(indexVector(n, (i) => i >= k), abs(col), -1), -1);
    const isP = equal(iota, lax.expandDims(p, r - 2)); // [..., n]
    const isK = indexVector(n, (i) => i === k);
    // Swap rows k and p (selects: exact; a one-hot sum picks row p).
    const rowK = rowOf(lu, k);
    const rowP = sum(where(lax.expandDims(isP, r - 1), lu, 0), r - 2, true);
    lu = where(lax.expandDims(isK, 1), rowP, where(lax.expandDims(isP, r - 1), rowK, lu));
    const permK = sliceAxis(perm, r - 2, k, k + 1);
    const permP = sum(where(isP, perm, 0), r - 2, true);
    perm = where(isK, permP, where(isP, permK, perm));
    parity = where(notEqual(p, k), lax.neg(parity), parity);
    // Eliminate below the pivot; a zero pivot has a zero column below it: multipliers 0.
    const pivot = entryOf(lu, k, k);
    const zero = equal(pivot, 0);
    const below = indexMask(n, 1, (i) => i > k);
    const l = where(below, where(zero, 0, div(colOf(lu, k), where(zero, 1, pivot))), 0); // [..., n, 1]
    lu = where(indexMask(n, n, (_, j) => j > k), sub(lu, mul(l, rowOf(lu, k))), where(indexMask(n, n, (i, j) => j === k && i > k), l, lu));
  }
  return { lu, perm, parity };
}

/** P b for b [..., n, k]: rows of b in the order `perm` (a one-hot product). */
function permuteRows(perm: NdArray, b: NdArray): NdArray {
  const n = shapeOf(perm)[shapeOf(perm).length - 1];
  const r = shapeOf(perm).length;
  const onehot = lax.cast(equal(lax.expandDims(perm, r), tf.tidy(() => tf.range(0, n, 1, 'float32'))), 'float32');
  return matmul(onehot, b);
}

/**
 * x with L U x = P b from the factors, for b [..., n, k] (batch dims as lu's): forward
 * substitution with L's unit diagonal, then back substitution with U. A zero on U's diagonal
 * (a singular matrix) gives inf and NaN, as LAPACK's getrs.
 */
export function luSolve({ lu, perm }: LuFactors, b: NdArray): NdArray {
  const n = shapeOf(lu)[shapeOf(lu).length - 1];
  let y = permuteRows(perm, b);
  for (let i = 0; i < n - 1; i++) y = sub(y, mul(where(indexMask(n, 1, (j) => j > i), colOf(lu, i), 0), rowOf(y, i)));
  for (let i = n - 1; i >= 0; i--) {
    const xi = div(rowOf(y, i), entryOf(lu, i, i));
    const rest = i > 0 ? sub(y, mul(where(indexMask(n, 1, (j) => j < i), colOf(lu, i), 0), xi)) : y;
    y = where(indexMask(n, 1, (j) => j === i), xi, rest);
  }
  return y;
}
