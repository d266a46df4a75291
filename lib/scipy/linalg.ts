/**
 * `scipy.linalg`: jax.scipy.linalg's triangular, Cholesky and LU solves, `lu`, `expm` and a few
 * special matrices, composed from np operations (slices, selects, products; lib/ops/linalg-*.ts)
 * so that they jit, vmap and differentiate; float32, batched over leading axes, for small
 * matrices (n up to about 64). Keyword-only arguments of JAX are an options object.
 */
import { type NdArray, customJvp, shapeStr, stopGradient } from '../core/index.js';
import * as np from '../ops/index.js';
import { luFactor as factor, luSolve as solveFactors, permutationMatrix, pivotsToPermutation, triangularSolve } from '../ops/linalg-lu.js';
import { eyeBatch, mT } from '../ops/linalg-util.js';

export { det, inv } from '../ops/linalg-solve.js';

/** Stacked matrices as float32, checked: `op: a must be [..., n, n], got [3]`. */
function squareMatrices(a: NdArray, op: string, name = 'a'): NdArray {
  const s = np.shape(a);
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) throw new Error(`${op}: ${name} must be [..., n, n], got ${shapeStr(s)}`);
  return np.toFloat(a);
}

/**
 * `core(a, b)` on a [..., n, n] and b [..., n, k] with broadcast batch dims, from JAX's rules
 * for b: [n] one vector for every matrix; [..., n] vectors when a has one more axis and a's
 * last dim matches b's (a batched vector solve, as JAX still does); else [..., n, k].
 */
function withRhs(op: string, a: NdArray, b: NdArray, core: (a: NdArray, b: NdArray) => NdArray): NdArray {
  const [sa, sb] = [np.shape(a), np.shape(b)];
  const n = sa[sa.length - 1];
  const vector = sb.length === 1 || (sa.length === sb.length + 1 && sb[sb.length - 1] === n);
  const bm = vector ? np.expandDims(np.toFloat(b), -1) : np.toFloat(b);
  const sm = np.shape(bm);
  if (sm.length < 2 || sm[sm.length - 2] !== n) throw new Error(`${op}: b must be [..., ${n}] or [..., ${n}, k] for a of shape ${shapeStr(sa)}, got ${shapeStr(sb)}`);
  const batch = np.broadcastShapes(sa.slice(0, -2), sm.slice(0, -2));
  const x = core(np.broadcastTo(a, [...batch, n, n]), np.broadcastTo(bm, [...batch, n, sm[sm.length - 1]]));
  return vector ? np.squeeze(x, -1) : x;
}

/** solveTriangular's options, as SciPy's keywords. */
export interface SolveTriangularOptions {
  /** 0 or 'N': a x = b; 1 or 'T' (or 2, 'C': real arrays): a^T x = b. */
  readonly trans?: 0 | 1 | 2 | 'N' | 'T' | 'C';
  /** Read a's lower triangle (default: the upper, as SciPy). */
  readonly lower?: boolean;
  /** Take a's diagonal as 1s without reading it. */
  readonly unitDiagonal?: boolean;
}

/**
 * x with a x = b for triangular a [..., n, n] (jax.scipy.linalg.solve_triangular): only a's
 * `lower` (default upper) triangle is read; b [n], [..., n] or [..., n, k] (see withRhs).
 * By substitution; a zero on the diagonal gives inf / NaN.
 * @example scipy.linalg.solveTriangular(l, b, { lower: true })
 */
export function solveTriangular(a: NdArray, b: NdArray, { trans = 0, lower = false, unitDiagonal = false }: SolveTriangularOptions = {}): NdArray {
  if (![0, 1, 2, 'N', 'T', 'C'].includes(trans)) throw new Error(`solveTriangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got ${String(trans)}`);
  const t = trans !== 0 && trans !== 'N';
  return withRhs('solveTriangular', squareMatrices(a, 'solveTriangular'), b, (x, y) => triangularSolve(t ? mT(x) : x, y, t ? !lower : lower, unitDiagonal));
}

/**
 * The Cholesky factor of a [..., n, n] (jax.scipy.linalg.cholesky): upper U with a = U^T U by
 * default, lower L with a = L L^T for `lower`; only that triangle of a is read (no
 * symmetrisation, unlike np.linalg.cholesky). Not positive definite: all NaN.
 */
export function cholesky(a: NdArray, lower = false): NdArray {
  const fa = squareMatrices(a, 'cholesky');
  return lower ? np.linalg.cholesky(fa, false, false) : mT(np.linalg.cholesky(mT(fa), false, false));
}

/** [c, lower] from choFactor: the triangular factor and which triangle it is. */
export type ChoFactors = readonly [NdArray, boolean];

/** [cholesky(a, lower), lower] (jax.scipy.linalg.cho_factor; the other triangle of c is zero, unlike SciPy's garbage). */
export function choFactor(a: NdArray, lower = false): ChoFactors {
  return [cholesky(a, lower), lower];
}

/** x with a x = b from a's Cholesky factor: two triangular solves. */
function choSolveCore(c: NdArray, b: NdArray, lower: boolean): NdArray {
  const y = triangularSolve(lower ? c : mT(c), b, true);
  return triangularSolve(lower ? mT(c) : c, y, false);
}

/**
 * x with a x = b from choFactor's [c, lower] (jax.scipy.linalg.cho_solve); b [n], [..., n] or [..., n, k].
 * @example scipy.linalg.choSolve(scipy.linalg.choFactor(a), b)
 */
export function choSolve([c, lower]: ChoFactors, b: NdArray): NdArray {
  return withRhs('choSolve', squareMatrices(c, 'choSolve', 'c'), b, (x, y) => choSolveCore(x, y, lower));
}

/** [lu, piv] from luFactor: L (unit diagonal, not stored) and U in one matrix, LAPACK's 0-based int32 row interchanges. */
export type LuAndPivots = readonly [NdArray, NdArray];

/**
 * The LU factorisation with partial pivoting of a [..., m, n] (jax.scipy.linalg.lu_factor):
 * [lu [..., m, n], piv [..., min(m, n)] int32], row i interchanged with row piv[i], as
 * SciPy's (LAPACK getrf's pivot choices).
 */
export function luFactor(a: NdArray): LuAndPivots {
  const fa = np.toFloat(a);
  if (np.shape(fa).length < 2) throw new Error(`luFactor: a must be [..., m, n], got ${shapeStr(np.shape(fa))}`);
  const { lu, pivots } = factor(fa);
  return [lu, pivots];
}

/**
 * x with a x = b (trans 0) or a^T x = b (trans 1, or 2 for real arrays) from luFactor's [lu,
 * piv] of a square a (jax.scipy.linalg.lu_solve); b [n], [..., n] or [..., n, k].
 */
export function luSolve([lu, piv]: LuAndPivots, b: NdArray, trans: 0 | 1 | 2 = 0): NdArray {
  if (![0, 1, 2].includes(trans)) throw new Error(`luSolve: trans must be 0, 1 or 2, got ${String(trans)}`);
  const flu = squareMatrices(lu, 'luSolve', 'lu');
  const n = np.shape(flu)[np.shape(flu).length - 1];
  const perm = pivotsToPermutation(piv, n); // [..., n], lu's batch dims
  return withRhs('luSolve', flu, b, (x, y) => {
    return solveFactors({ lu: x, perm: np.broadcastTo(perm, np.shape(x).slice(0, -1)) }, y, trans !== 0);
  });
}

/**
 * a = p l u for a [..., m, n] (jax.scipy.linalg.lu): p [..., m, m] a permutation, l [..., m, k]
 * unit lower triangular, u [..., k, n] upper triangular, k = min(m, n); with permuteL, [p l, u].
 * @example const [p, l, u] = scipy.linalg.lu(a) as [NdArray, NdArray, NdArray];
 */
export function lu(a: NdArray, permuteL = false): [NdArray, NdArray, NdArray] | [NdArray, NdArray] {
  const fa = np.toFloat(a);
  const s = np.shape(fa);
  if (s.length < 2) throw new Error(`lu: a must be [..., m, n], got ${shapeStr(s)}`);
  const [m, n] = s.slice(-2);
  const k = Math.min(m, n);
  const f = factor(fa);
  const p = mT(permutationMatrix(f.perm)); // p[i, j] = 1 where perm[j] = i: a = p (P a)
  const l = np.add(np.sliceAxis(np.tril(f.lu, -1), -1, 0, k), np.eye(m, k));
  const u = np.sliceAxis(np.triu(f.lu), -2, 0, k);
  return permuteL ? [np.matmul(p, l), u] : [p, l, u];
}

/**
 * x with a x = b for symmetric positive-definite a, from the lower Cholesky factor of a's
 * `lower` (else upper) triangle; the derivative is solve's, dx = a^-1 (db - da x), from all of
 * da (JAX's custom_linear_solve with the product a x).
 */
function posSolveCore(lower: boolean): (a: NdArray, b: NdArray) => NdArray {
  const factorOf = (a: NdArray) => np.linalg.cholesky(lower ? a : mT(a), false, false);
  return customJvp(
    (a: NdArray, b: NdArray) => choSolveCore(factorOf(a), b, true),
    ([a, b]: NdArray[], [da, db]: NdArray[]) => {
      const c = factorOf(a);
      const x = choSolveCore(c, b, true);
      return [x, choSolveCore(c, np.sub(db, np.matmul(da, x)), true)];
    },
  ) as (a: NdArray, b: NdArray) => NdArray;
}
const posSolve = { lower: posSolveCore(true), upper: posSolveCore(false) };

/** scipy.linalg.solve's options, as SciPy's keywords. */
export interface SolveOptions {
  /** 'gen' (default), 'sym', 'her': LU; 'pos': Cholesky (a must be positive definite). */
  readonly assumeA?: 'gen' | 'sym' | 'her' | 'pos';
  /** For 'pos': read a's lower triangle (default the upper). */
  readonly lower?: boolean;
}

/**
 * x with a x = b (jax.scipy.linalg.solve): np.linalg.solve, or with assumeA 'pos' two
 * triangular solves with the Cholesky factor of a's `lower` (default upper) triangle, b [n],
 * [..., n] or [..., n, k]; its derivative is solve's (JAX's custom_linear_solve).
 */
export function solve(a: NdArray, b: NdArray, { assumeA = 'gen', lower = false }: SolveOptions = {}): NdArray {
  if (!['gen', 'sym', 'her', 'pos'].includes(assumeA)) throw new Error(`solve: assumeA must be 'gen', 'sym', 'her' or 'pos', got '${String(assumeA)}'`);
  if (assumeA !== 'pos') return np.linalg.solve(a, b);
  return withRhs('solve', squareMatrices(a, 'solve'), b, lower ? posSolve.lower : posSolve.upper);
}

/** U and V of the degree-m Pade approximant (exp(A) ~ (V - U)^-1 (V + U)) for m = 3, 5, 7, from A's even powers. */
function padeUV(a: NdArray, eye: NdArray, powers: readonly NdArray[], b: readonly number[]): [NdArray, NdArray] {
  let u = np.mul(b[1], eye);
  let v = np.mul(b[0], eye);
  powers.forEach((p, i) => {
    u = np.add(u, np.mul(b[2 * i + 3], p));
    v = np.add(v, np.mul(b[2 * i + 2], p));
  });
  return [np.matmul(a, u), v];
}

/** expm's options (JAX's keywords). */
export interface ExpmOptions {
  /** a is upper triangular: the Pade quotient by a triangular solve. */
  readonly upperTriangular?: boolean;
  /** At most this many squarings (default 16); a matrix that needs more gives NaN, as JAX. */
  readonly maxSquarings?: number;
}

/**
 * The matrix exponential of a [..., n, n] (jax.scipy.linalg.expm), by JAX's float32 scheme:
 * scaling by 2^-s with s = max(0, floor(log2(|a|_1 / 3.9257))), a Pade approximant of degree 3,
 * 5 or 7 chosen by |a|_1 (all three computed, one selected, so it batches), then s squarings
 * (maxSquarings static steps, each a select). Derivatives go through the composition (the
 * scaling and the choice are constants of the derivative).
 * @example scipy.linalg.expm(np.array([[0, 1], [-1, 0]])) // a rotation by 1 radian
 */
export function expm(a: NdArray, { upperTriangular = false, maxSquarings = 16 }: ExpmOptions = {}): NdArray {
  const fa = squareMatrices(a, 'expm');
  if (!Number.isInteger(maxSquarings) || maxSquarings < 0) throw new Error(`expm: maxSquarings must be a non-negative integer, got ${maxSquarings}`);
  const s = np.shape(fa);
  const eye = eyeBatch(s[s.length - 1], []);
  const l1 = stopGradient(np.linalg.norm(fa, 1, [-2, -1], true)) as NdArray; // [..., 1, 1]
  const squarings = np.maximum(0, np.floor(np.log2(np.div(l1, 3.92572478313866))));
  const x = np.mul(fa, np.pow(2, np.neg(squarings)));
  const x2 = np.matmul(x, x);
  const x4 = np.matmul(x2, x2);
  const x6 = np.matmul(x4, x2);
  const [u3, v3] = padeUV(x, eye, [x2], [120, 60, 12, 1]);
  const [u5, v5] = padeUV(x, eye, [x2, x4], [30240, 15120, 3360, 420, 30, 1]);
  const [u7, v7] = padeUV(x, eye, [x2, x4, x6], [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1]);
  // JAX's digitize(|a|_1, [0.42587, 1.88015]) on the unscaled norm.
  const [small, mid] = [np.less(l1, 0.4258730016922831), np.less(l1, 1.880152677804762)];
  const u = np.where(small, u3, np.where(mid, u5, u7));
  const v = np.where(small, v3, np.where(mid, v5, v7));
  const [p, q] = [np.add(v, u), np.sub(v, u)];
  let r = upperTriangular ? solveTriangular(q, p) : np.linalg.solve(q, p);
  for (let i = 0; i < maxSquarings; i++) r = np.where(np.less(i, squarings), np.matmul(r, r), r);
  return np.where(np.greater(squarings, maxSquarings), NaN, r);
}

/**
 * The block-diagonal matrix of 0-D, 1-D (a row) and 2-D arrays (jax.scipy.linalg.block_diag);
 * none given: a [1, 0] array.
 * @example scipy.linalg.blockDiag(np.eye(2), np.array([[5]])) // [3, 3]
 */
export function blockDiag(...arrs: NdArray[]): NdArray {
  if (arrs.length === 0) return np.zeros([1, 0]);
  const bad = arrs.findIndex((x) => np.shape(x).length > 2);
  if (bad >= 0) throw new Error(`blockDiag: arrays must have at most 2 dimensions, got ${shapeStr(np.shape(arrs[bad]))} at argument ${bad}`);
  const mats = arrs.map((x) => np.atleast2d(x) as NdArray);
  const total = mats.reduce((t, x) => t + np.shape(x)[1], 0);
  let col = 0;
  const rows = mats.map((x) => {
    const c = np.shape(x)[1];
    const padded = np.pad(x, [
      [0, 0],
      [col, total - c - col],
    ]);
    col += c;
    return padded;
  });
  return np.concatenate(rows, 0);
}

/** Gathers [..., m, n] from the last axis of v by the constant index matrix idx. */
function gatherMatrix(v: NdArray, idx: number[][]): NdArray {
  return np.take(v, np.array(idx, 'int32'), -1);
}

/**
 * The Toeplitz matrix [..., m, n] with first column c [..., m] and first row r [..., n] (r[0]
 * ignored; r defaults to c), leading axes broadcasting (jax.scipy.linalg.toeplitz).
 * @example scipy.linalg.toeplitz(np.array([1, 2, 3])) // [[1, 2, 3], [2, 1, 2], [3, 2, 1]]
 */
export function toeplitz(c: NdArray, r: NdArray | null = null): NdArray {
  const [fc, fr] = [np.atleast1d(c) as NdArray, np.atleast1d(r ?? c) as NdArray];
  const [m, n] = [np.shape(fc)[np.shape(fc).length - 1], np.shape(fr)[np.shape(fr).length - 1]];
  const batch = np.broadcastShapes(np.shape(fc).slice(0, -1), np.shape(fr).slice(0, -1));
  // [c[m-1], ..., c[0], r[1], ..., r[n-1]]: entry (i, j) is element m - 1 - i + j.
  const elems = np.concatenate([np.flip(np.broadcastTo(fc, [...batch, m]), -1), np.sliceAxis(np.broadcastTo(fr, [...batch, n]), -1, 1, null)], -1);
  return gatherMatrix(elems, Array.from({ length: m }, (_, i) => Array.from({ length: n }, (_, j) => m - 1 - i + j)));
}

/**
 * The circulant matrix [..., n, n] with first column c [..., n]: entry (i, j) is c[(i - j) mod n]
 * (jax.scipy.linalg.circulant).
 */
export function circulant(c: NdArray): NdArray {
  const fc = np.atleast1d(c) as NdArray;
  const n = np.shape(fc)[np.shape(fc).length - 1];
  return gatherMatrix(fc, Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (((i - j) % n) + n) % n)));
}

/** The n x n Hilbert matrix, 1 / (i + j + 1) (jax.scipy.linalg.hilbert). */
export function hilbert(n: number): NdArray {
  if (!Number.isInteger(n) || n < 0) throw new Error(`hilbert: n must be a non-negative integer, got ${n}`);
  return np.array(Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => 1 / (i + j + 1))));
}
