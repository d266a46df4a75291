/**
 * LU factorisation with partial pivoting of stacked matrices, triangular solves, and solves
 * with LU's factors, composed from slices, selects and products so that they run on every
 * backend and batch, jit and differentiate like any composition. Sizes are static: the
 * factorisation of [..., m, n] is a loop of min(m, n) steps of about 25 small ops (O(m n^2)
 * flops in all), a triangular solve n steps of about 6 ops on [..., n, k]; meant for small
 * matrices (n up to about 64).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { abs, argmax, div, equal, matmul, mul, notEqual, sub, sum, where } from './math.js';
import { sliceAxis, squeeze } from './shape.js';
import { colOf, entryOf, indexMask, indexVector, mT, rowOf } from './linalg-util.js';

/** PA = LU for stacked [..., m, n] matrices: L (unit diagonal, not stored) below and U on and above lu's diagonal. */
export interface LuFactors {
  /** [..., m, n]: L's multipliers below the diagonal, U on and above it. */
  readonly lu: NdArray;
  /** [..., m] int32 row indices: row i of PA is row perm[i] of A. */
  readonly perm: NdArray;
  /** [..., min(m, n)] int32, LAPACK getrf's (0-based): step k swapped rows k and pivots[k]. */
  readonly pivots: NdArray;
  /** [...] float32: the permutation's sign, +1 or -1. */
  readonly parity: NdArray;
}

/**
 * LU with partial pivoting (LAPACK getrf's choices: the first largest |entry| of each column
 * pivots) of a [..., m, n]. A zero pivot (a singular matrix) leaves its column's multipliers 0
 * as LAPACK does, so U has an exact 0 on its diagonal and no NaN appears.
 */
export function luFactor(a: NdArray): LuFactors {
  const s = shapeOf(a);
  const [m, n] = s.slice(-2);
  const batch = s.slice(0, -2);
  const r = s.length;
  const iota = tf.tidy(() => tf.range(0, m, 1, 'int32'));
  let lu = a;
  let parity: NdArray = lax.full(batch, 1);
  const pivots: NdArray[] = [];
  for (let k = 0; k < Math.min(m, n); k++) {
    // The pivot: the first largest |entry| on or below the diagonal of column k.
    const col = squeeze(colOf(lu, k), r - 1);
    const p = argmax(where(indexVector(m, (i) => i >= k), abs(col), -1), -1);
    pivots.push(p);
    const isP = equal(iota, lax.expandDims(p, r - 2)); // [..., m]
    const isK = indexVector(m, (i) => i === k);
    // Swap rows k and p (selects: exact; a one-hot sum picks row p).
    const rowK = rowOf(lu, k);
    const rowP = sum(where(lax.expandDims(isP, r - 1), lu, 0), r - 2, true);
    lu = where(lax.expandDims(isK, 1), rowP, where(lax.expandDims(isP, r - 1), rowK, lu));
    parity = where(notEqual(p, k), lax.neg(parity), parity);
    // Eliminate below the pivot; a zero pivot has a zero column below it: multipliers 0.
    const pivot = entryOf(lu, k, k);
    const zero = equal(pivot, 0);
    const below = indexMask(m, 1, (i) => i > k);
    const l = where(below, where(zero, 0, div(colOf(lu, k), where(zero, 1, pivot))), 0); // [..., m, 1]
    lu = where(indexMask(m, n, (_, j) => j > k), sub(lu, mul(l, rowOf(lu, k))), where(indexMask(m, n, (i, j) => j === k && i > k), l, lu));
  }
  const piv = pivots.length === 0 ? lax.full([...batch, 0], 0, 'int32') : lax.concatenate(pivots.map((p) => lax.expandDims(p, r - 2)), r - 2);
  return { lu, perm: pivotsToPermutation(piv, m), pivots: piv, parity };
}

/**
 * The row permutation [..., m] int32 of LAPACK-style pivots [..., k] (jax.lax.linalg's
 * lu_pivots_to_permutation): the rows 0..m-1 after swapping rows i and pivots[i] for i = 0..k-1.
 */
export function pivotsToPermutation(pivots: NdArray, m: number): NdArray {
  const s = shapeOf(pivots);
  const r = s.length;
  const iota = tf.tidy(() => tf.range(0, m, 1, 'int32'));
  let perm: NdArray = lax.broadcastTo(iota, [...s.slice(0, -1), m]);
  for (let k = 0; k < s[r - 1]; k++) {
    const isP = equal(iota, sliceAxis(pivots, r - 1, k, k + 1)); // [..., m]
    const isK = indexVector(m, (i) => i === k);
    const permK = sliceAxis(perm, r - 1, k, k + 1);
    const permP = sum(where(isP, perm, 0), r - 1, true);
    perm = where(isK, permP, where(isP, permK, perm));
  }
  return perm;
}

/** P b for b [..., n, k]: rows of b in the order `perm` (a one-hot product). */
export function permuteRows(perm: NdArray, b: NdArray): NdArray {
  return matmul(permutationMatrix(perm), b);
}

/** The one-hot [..., n, n] matrix P with P[i, j] = 1 where perm[i] = j (P A takes A's rows in perm's order). */
export function permutationMatrix(perm: NdArray): NdArray {
  const n = shapeOf(perm)[shapeOf(perm).length - 1];
  const r = shapeOf(perm).length;
  return lax.cast(equal(lax.expandDims(lax.cast(perm, 'float32'), r), tf.tidy(() => tf.range(0, n, 1, 'float32'))), 'float32');
}

/**
 * x with t x = b for triangular t [..., n, n] and b [..., n, k] (same batch dims): forward
 * substitution (`lower`) or back substitution, reading only t's triangle (and not its
 * diagonal for `unitDiagonal`, which takes 1s). A zero on t's diagonal gives inf and NaN, as
 * LAPACK's trtrs.
 */
export function triangularSolve(t: NdArray, b: NdArray, lower: boolean, unitDiagonal = false): NdArray {
  const n = shapeOf(t)[shapeOf(t).length - 1];
  let y = b;
  for (let step = 0; step < n; step++) {
    const i = lower ? step : n - 1 - step;
    const xi = unitDiagonal ? rowOf(y, i) : div(rowOf(y, i), entryOf(t, i, i));
    const later = indexMask(n, 1, (j) => (lower ? j > i : j < i));
    const rest = step < n - 1 ? sub(y, mul(where(later, colOf(t, i), 0), xi)) : y;
    y = unitDiagonal ? rest : where(indexMask(n, 1, (j) => j === i), xi, rest);
  }
  return y;
}

/**
 * x with A x = b (or A^T x = b for `transpose`) from A's square factors (P A = L U), for b
 * [..., n, k] (batch dims as lu's): two triangular solves and a permutation, as LAPACK's getrs.
 */
export function luSolve({ lu, perm }: Pick<LuFactors, 'lu' | 'perm'>, b: NdArray, transpose = false): NdArray {
  if (!transpose) return triangularSolve(lu, triangularSolve(lu, permuteRows(perm, b), true, true), false);
  // A^T = U^T L^T P: solve U^T y = b, L^T z = y, x = P^T z.
  const z = triangularSolve(mT(lu), triangularSolve(mT(lu), b, true), false, true);
  return matmul(mT(permutationMatrix(perm)), z);
}
