/**
 * More of jax.scipy.linalg under SciPy's signatures, composed from np.linalg (eigh, svd, qr,
 * solve) and expm, so they batch, jit and differentiate like any composition: eigh, svd, qr,
 * polar, eigh_tridiagonal, expm_frechet and solve_sylvester. Keyword-only arguments of JAX are
 * an options object; float32, small matrices (n up to about 64).
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { mT } from '../ops/linalg-util.js';
import { expm } from './linalg.js';

/** eigh's options (SciPy's keywords that JAX supports). */
export interface EighOptions {
  /** Read a's lower triangle when not symmetrising (default true); JAX symmetrises a first. */
  readonly lower?: boolean;
  /** Return the eigenvalues alone. */
  readonly eigvalsOnly?: boolean;
}

/**
 * Eigenvalues w [..., n] ascending and eigenvectors v [..., n, n] (columns) of symmetric a
 * (jax.scipy.linalg.eigh): np.linalg.eigh with UPLO 'L' for `lower`, else 'U'; w alone for
 * `eigvalsOnly`. The generalized problem (SciPy's b) is not supported, as in JAX.
 * @example const [w, v] = scipy.linalg.eigh(a) as [NdArray, NdArray];
 */
export function eigh(a: NdArray, { lower = true, eigvalsOnly = false }: EighOptions = {}): NdArray | [NdArray, NdArray] {
  const [w, v] = np.linalg.eigh(a, lower ? 'L' : 'U');
  return eigvalsOnly ? w : [w, v];
}

/** svd's options (SciPy's keywords). */
export interface SvdOptions {
  readonly fullMatrices?: boolean;
  readonly computeUv?: boolean;
}

/**
 * [u, s, vh] with a = u diag(s) vh (jax.scipy.linalg.svd): np.linalg.svd; s alone for computeUv false.
 * @example const s = scipy.linalg.svd(a, { computeUv: false });
 */
export function svd(a: NdArray, { fullMatrices = true, computeUv = true }: SvdOptions = {}): NdArray | [NdArray, NdArray, NdArray] {
  return computeUv ? np.linalg.svd(a, fullMatrices) : np.linalg.svd(a, fullMatrices, false);
}

/** SciPy's qr modes: 'full' Q [..., m, m], R [..., m, n]; 'economic' Q [..., m, k], R [..., k, n]; 'r' [R] with the full R. */
export type ScipyQrMode = 'full' | 'economic' | 'r';

/**
 * The QR decomposition under SciPy's modes (jax.scipy.linalg.qr): [q, r], or [r] (a one-element
 * list, as JAX's tuple) for mode 'r'. Column pivoting is not supported.
 * @example const [q, r] = scipy.linalg.qr(a, { mode: 'economic' });
 */
export function qr(a: NdArray, options: { readonly mode: 'r' }): [NdArray];
export function qr(a: NdArray, options?: { readonly mode?: 'full' | 'economic' }): [NdArray, NdArray];
export function qr(a: NdArray, { mode = 'full' }: { readonly mode?: ScipyQrMode } = {}): [NdArray, NdArray] | [NdArray] {
  if (mode !== 'full' && mode !== 'economic' && mode !== 'r') throw new Error(`qr: mode must be 'full', 'economic' or 'r', got '${String(mode)}'`);
  const [q, r] = np.linalg.qr(a, mode === 'economic' ? 'reduced' : 'complete');
  return mode === 'r' ? [r] : [q, r];
}

/**
 * The polar decomposition of a [..., m, n] (jax.scipy.linalg.polar, from the svd a = w s vh,
 * JAX's method 'svd'): side 'right' a = u p with p = vh^T s vh [..., n, n]; side 'left'
 * a = p u with p = w s w^T [..., m, m]; u = w vh [..., m, n] has orthonormal rows or columns.
 * @example const [u, p] = scipy.linalg.polar(a);
 */
export function polar(a: NdArray, side: 'right' | 'left' = 'right'): [NdArray, NdArray] {
  if (side !== 'right' && side !== 'left') throw new Error(`polar: side must be 'right' or 'left', got '${String(side)}'`);
  const [w, s, vh] = np.linalg.svd(a, false);
  const scaled = (x: NdArray) => np.mul(x, np.expandDims(s, -2)); // x diag(s)
  const p = side === 'right' ? np.matmul(scaled(mT(vh)), vh) : np.matmul(scaled(w), mT(w));
  return [np.matmul(w, vh), p];
}

/**
 * The eigenvalues, ascending, of the symmetric tridiagonal matrix with diagonal d [n] and
 * off-diagonal e [n - 1] (jax.scipy.linalg.eigh_tridiagonal; eigenvalues only, all of them, as
 * JAX supports): eigvalsh of the assembled matrix.
 * @example scipy.linalg.eighTridiagonal(np.array([2, 2]), np.array([1])) // [1, 3]
 */
export function eighTridiagonal(d: NdArray, e: NdArray, { eigvalsOnly = true }: { readonly eigvalsOnly?: boolean } = {}): NdArray {
  if (!eigvalsOnly) throw new Error('eighTridiagonal: only eigvalsOnly = true is implemented (as JAX)');
  const [sd, se] = [np.shape(d), np.shape(e)];
  if (sd.length !== 1 || se.length !== 1 || se[0] !== Math.max(sd[0] - 1, 0))
    throw new Error(`eighTridiagonal: d must be [n] and e [n - 1], got ${shapeStr(sd)} and ${shapeStr(se)}`);
  const off = np.diag(np.toFloat(e), 1);
  return np.linalg.eigvalsh(np.add(np.diag(np.toFloat(d)), np.add(off, mT(off))));
}

/**
 * The Frechet derivative of expm at a [..., n, n] in the direction e (jax.scipy.linalg.expm_frechet):
 * [expm(a), L(a, e)], or L alone when computeExpm is false; from the expm of the block
 * matrix [[a, e], [0, a]], whose top right block is L (Higham's block form).
 * @example const [ea, l] = scipy.linalg.expmFrechet(a, e) as [NdArray, NdArray];
 */
export function expmFrechet(a: NdArray, e: NdArray, { computeExpm = true }: { readonly computeExpm?: boolean } = {}): NdArray | [NdArray, NdArray] {
  const [sa, se] = [np.shape(a), np.shape(e)];
  const n = sa[sa.length - 1];
  if (sa.length < 2 || sa[sa.length - 2] !== n || se.length !== sa.length || se.some((d, i) => d !== sa[i]))
    throw new Error(`expmFrechet: a must be [..., n, n] and e the same shape, got ${shapeStr(sa)} and ${shapeStr(se)}`);
  const [fa, fe] = [np.toFloat(a), np.toFloat(e)];
  const block = np.concatenate([np.concatenate([fa, fe], -1), np.concatenate([np.zerosLike(fa), fa], -1)], -2);
  const big = expm(block);
  const l = np.sliceAxis(np.sliceAxis(big, -2, 0, n), -1, n, 2 * n);
  return computeExpm ? [np.sliceAxis(np.sliceAxis(big, -2, 0, n), -1, 0, n), l] : l;
}

/**
 * x [m, n] with a x + x b = q for a [m, m], b [n, n] (jax.scipy.linalg.solve_sylvester): the
 * Kronecker system (a ⊗ I + I ⊗ b^T) vec(x) = vec(q) (row-major vec), solved by LU, so m n
 * up to about 64. Where a and -b share an eigenvalue the system is singular: inf/NaN.
 * @example scipy.linalg.solveSylvester(a, b, q)
 */
export function solveSylvester(a: NdArray, b: NdArray, q: NdArray): NdArray {
  const [sa, sb, sq] = [np.shape(a), np.shape(b), np.shape(q)];
  if (sa.length !== 2 || sa[0] !== sa[1] || sb.length !== 2 || sb[0] !== sb[1] || sq.length !== 2 || sq[0] !== sa[0] || sq[1] !== sb[0])
    throw new Error(`solveSylvester: need a [m, m], b [n, n] and q [m, n], got ${shapeStr(sa)}, ${shapeStr(sb)} and ${shapeStr(sq)}`);
  const [m, n] = [sa[0], sb[0]];
  const k = np.add(np.kron(np.toFloat(a), np.eye(n)), np.kron(np.eye(m), mT(np.toFloat(b))));
  return np.reshape(np.linalg.solve(k, np.ravel(np.toFloat(q))), [m, n]);
}
