/**
 * More of jax.numpy.linalg, composed from svd, solve, inv and products (so they batch, jit and
 * differentiate like any composition): lstsq, matrix_rank, cond, multi_dot, tensorsolve,
 * tensorinv, svdvals, and NumPy 2's array-API names (matrix_norm, vector_norm, vecdot,
 * matrix_transpose, outer, cross, diagonal, trace), keyword-only arguments as an options object.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { normAxes, shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { div, greater, greaterEqual, logicalAnd, logicalNot, matmul, mul, sub, sum, toFloat, where } from './math.js';
import { isnan } from './elementwise-math.js';
import { any } from './reductions.js';
import { moveaxis, ravel } from './manipulation.js';
import { reshape, sliceAxis, squeeze } from './shape.js';
import { cross as npCross } from './more-math.js';
import { diagonal as npDiagonal, trace as npTrace } from './linalg.js';
import { type NormOrder, norm } from './norm.js';
import { inv, solve } from './linalg-solve.js';
import { svd } from './linalg-svd.js';
import { matrices, mT } from './linalg-util.js';
import { unreadable } from './host-values.js';

/** float32's machine epsilon (jnp.finfo(float32).eps). */
const EPS = 2 ** -23;

/** The singular values [..., k] of stacked matrices [..., m, n], descending (jax.numpy.linalg.svdvals). */
export function svdvals(x: NdArray): NdArray {
  return svd(matrices(x, 'svdvals', false), false, false);
}

/**
 * The least-squares solution of a x = b (jax.numpy.linalg.lstsq) for a [m, n] and b [m] or
 * [m, k], from the reduced svd: [x [n] or [n, k], residuals [1] or [k] (the squared 2-norm of
 * each column of b - a x, always computed, as JAX's default numpy_resid=False), rank (int32
 * scalar), s [min(m, n)]]. Singular values below rcond * s[0] count as zero; rcond defaults to
 * eps * max(m, n) (eps = 2^-23), and a negative rcond means eps, as JAX. 2-D a only, as JAX:
 * vmap it for batches. The residuals are a sum of squares (JAX's norm(...) ** 2 has a NaN
 * derivative at a zero residual). With `numpyResid` (JAX's numpy_resid=True) the residuals are
 * empty ([0]) where NumPy's are, when rank < n or m <= n (the rank must then be concrete).
 * @example const [x, res, rank, s] = np.linalg.lstsq(a, b);
 * @example np.linalg.lstsq(a, b, null, { numpyResid: true })
 */
export function lstsq(a: NdArray, b: NdArray, rcond: number | null = null, { numpyResid = false }: { readonly numpyResid?: boolean } = {}): [NdArray, NdArray, NdArray, NdArray] {
  const [sa, sb] = [shapeOf(a), shapeOf(b)];
  if (sa.length !== 2) throw new Error(`lstsq: a must be 2-D [m, n] (vmap for batches), got ${shapeStr(sa)}`);
  if ((sb.length !== 1 && sb.length !== 2) || sb[0] !== sa[0]) throw new Error(`lstsq: b must be [${sa[0]}] or [${sa[0]}, k] for a of shape ${shapeStr(sa)}, got ${shapeStr(sb)}`);
  const [m, n] = sa;
  const fa = toFloat(a);
  const fb = sb.length === 1 ? reshape(toFloat(b), [m, 1]) : toFloat(b);
  const cut = rcond === null ? EPS * Math.max(m, n) : rcond < 0 ? EPS : rcond;
  const [u, s, vt] = svd(fa, false);
  const mask = logicalAnd(greater(s, 0), greaterEqual(s, mul(cut, sliceAxis(s, 0, 0, 1))));
  const rank = sum(mask);
  const sInv = where(mask, div(1, where(mask, s, 1)), 0); // the untaken 1/0 kept out of derivatives
  const x = matmul(mT(vt), mul(reshape(sInv, [shapeOf(s)[0], 1]), matmul(mT(u), fb)));
  const resid = numpyResid && noResiduals(rank, m, n) ? lax.full([0], 0, 'float32') : sum(mul(sub(fb, matmul(fa, x)), sub(fb, matmul(fa, x))), 0);
  return [sb.length === 1 ? ravel(x) : x, resid, rank, s];
}

/** Whether NumPy's lstsq returns no residuals: an underdetermined (m <= n) or rank-deficient system; the rank is read on the host. */
function noResiduals(rank: NdArray, m: number, n: number): boolean {
  if (m <= n) return true;
  const why = unreadable(rank);
  if (why) throw new Error(`lstsq: with numpyResid the residuals' shape depends on the rank, whose values ${why}; leave numpyResid out`);
  return (rank as tf.Tensor).dataSync()[0] < n;
}

/**
 * The rank of stacked matrices M [..., m, n] -> [...] int32 (jax.numpy.linalg.matrix_rank): the
 * count of singular values above `tol`, an absolute threshold (JAX's tol / rtol argument, a
 * number or an array broadcasting with the batch dims) that defaults to s.max * max(m, n) *
 * eps. A 0-D or 1-D M has rank 1 unless all zero, as JAX.
 * @example np.linalg.matrixRank(np.array([[1, 2], [2, 4]])) // 1
 */
export function matrixRank(M: NdArray, tol: NdArray | number | null = null): NdArray {
  const x = toFloat(M);
  const s = shapeOf(x);
  if (s.length < 2) return lax.cast(any(x), 'int32');
  const sv = svd(x, false, false);
  const r = shapeOf(sv).length;
  const t = tol === null ? mul(sliceAxis(sv, r - 1, 0, 1), Math.max(...s.slice(-2)) * EPS) : typeof tol === 'number' ? tol : lax.expandDims(toFloat(tol), shapeOf(tol).length);
  return sum(greater(sv, t), -1);
}

/**
 * The condition numbers of stacked matrices x [..., m, n] -> [...] in the norm `p`
 * (jax.numpy.linalg.cond): null or 2, s_max / s_min; -2, s_min / s_max; 'fro', 'nuc', +-1,
 * +-Infinity (square x), norm(x) * norm(inv(x)). A singular x gives inf (NaN only where x
 * has a NaN), as JAX.
 * @example np.linalg.cond(np.array([[1, 0], [0, 4]])) // 4
 */
export function cond(x: NdArray, p: NormOrder = null): NdArray {
  const fx = matrices(x, 'cond', false);
  const s = shapeOf(fx);
  if (s[s.length - 1] === 0 || s[s.length - 2] === 0) throw new Error(`cond: x must not be empty, got ${shapeStr(s)}`);
  let r: NdArray;
  if (p === null || p === 2 || p === -2) {
    const sv = svdvals(fx);
    const k = shapeOf(sv).length - 1;
    const [first, last] = [squeeze(sliceAxis(sv, k, 0, 1), k), squeeze(sliceAxis(sv, k, -1, null), k)];
    if (p !== -2) return div(first, last);
    r = div(last, first);
  } else {
    if (s[s.length - 1] !== s[s.length - 2]) throw new Error(`cond: for p = ${String(p)} x must be square, got ${shapeStr(s)}`);
    r = mul(norm(fx, p, [-2, -1]), norm(inv(fx), p, [-2, -1]));
  }
  return where(logicalAnd(isnan(r), logicalNot(any(isnan(fx), [-2, -1]))), Infinity, r);
}

/** The cheapest order to multiply a chain of matrices with these dims (dims[i] x dims[i + 1]), as split points. */
function chainOrder(dims: readonly number[]): number[][] {
  const n = dims.length - 1;
  const cost = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const split = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let len = 1; len < n; len++)
    for (let i = 0; i + len < n; i++) {
      const j = i + len;
      cost[i][j] = Infinity;
      for (let k = i; k < j; k++) {
        const c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1];
        if (c < cost[i][j]) [cost[i][j], split[i][j]] = [c, k];
      }
    }
  return split;
}

/**
 * The product of a chain of arrays in the cheapest order (jax.numpy.linalg.multi_dot): all 2-D
 * but the first (which may be 1-D, a row) and the last (1-D, a column).
 * @example np.linalg.multiDot([a, b, c]) // a @ b @ c
 */
export function multiDot(arrays: readonly NdArray[]): NdArray {
  if (arrays.length < 2) throw new Error(`multiDot: need at least two arrays, got ${arrays.length}`);
  const shapes = arrays.map(shapeOf);
  const last = arrays.length - 1;
  if (shapes.some((s, i) => s.length !== 2 && !((i === 0 || i === last) && s.length === 1)))
    throw new Error(`multiDot: arrays must be 2-D, the first and last may be 1-D; got shapes ${shapes.map(shapeStr).join(', ')}`);
  const mats = arrays.map((a, i) => (shapes[i].length === 2 ? a : i === 0 ? reshape(a, [1, shapes[i][0]]) : reshape(a, [shapes[i][0], 1])));
  const ms = mats.map(shapeOf);
  if (ms.some((s, i) => i > 0 && ms[i - 1][1] !== s[0])) throw new Error(`multiDot: shapes ${shapes.map(shapeStr).join(', ')} do not chain`);
  const split = chainOrder([...ms.map((s) => s[0]), ms[last][1]]);
  const product = (i: number, j: number): NdArray => (i === j ? mats[i] : matmul(product(i, split[i][j]), product(split[i][j] + 1, j)));
  const out = product(0, last);
  const keep = [...(shapes[0].length === 2 ? [ms[0][0]] : []), ...(shapes[last].length === 2 ? [ms[last][1]] : [])];
  return reshape(out, keep);
}

/**
 * The inverse of a tensor a [...out, ...in] with prod(out) = prod(in), `ind` the number of out
 * axes: tensordot(tensorinv(a), a, ind) is the identity (jax.numpy.linalg.tensorinv). Its shape
 * is [...in, ...out].
 */
export function tensorinv(a: NdArray, ind = 2): NdArray {
  if (!Number.isInteger(ind) || ind <= 0) throw new Error(`tensorinv: ind must be a positive integer, got ${ind}`);
  const s = shapeOf(a);
  const [outer, inner] = [s.slice(0, ind), s.slice(ind)];
  if (sizeOf(outer) !== sizeOf(inner)) throw new Error(`tensorinv: the first ${ind} axes of ${shapeStr(s)} must have as many elements as the others`);
  return reshape(inv(reshape(a, [sizeOf(outer), sizeOf(inner)])), [...inner, ...outer]);
}

/**
 * x with tensordot(a, x, x.ndim) = b (jax.numpy.linalg.tensorsolve): a [...b.shape, ...x.shape]
 * with as many elements in x's axes as in b. `axes` of a are first moved to the end.
 */
export function tensorsolve(a: NdArray, b: NdArray, axes: readonly number[] | null = null): NdArray {
  let x = a;
  if (axes !== null) x = moveaxis(x, normAxes(axes, shapeOf(a).length, 'tensorsolve'), axes.map((_, i) => shapeOf(a).length - axes.length + i));
  const [sa, sb] = [shapeOf(x), shapeOf(b)];
  const out = sa.slice(sb.length);
  if (sa.slice(0, sb.length).some((d, i) => d !== sb[i]) || sa.length < sb.length)
    throw new Error(`tensorsolve: a's leading axes ${shapeStr(sa)} must be b's shape ${shapeStr(sb)}`);
  if (sizeOf(sb) !== sizeOf(out)) throw new Error(`tensorsolve: a's trailing axes ${shapeStr(out)} must have as many elements as b ${shapeStr(sb)}`);
  return reshape(solve(reshape(x, [sizeOf(sb), sizeOf(out)]), ravel(b)), out);
}

/** matrixNorm's options (keyword-only in JAX). */
export interface MatrixNormOptions {
  /** Which norm: 'fro' (default), 'nuc', +-1, +-2, +-Infinity. */
  readonly ord?: NormOrder;
  readonly keepdims?: boolean;
}

/** Norms of the matrices in x's last two axes (jax.numpy.linalg.matrix_norm): norm(x, ord, [-2, -1], keepdims). */
export function matrixNorm(x: NdArray, { ord = 'fro', keepdims = false }: MatrixNormOptions = {}): NdArray {
  return norm(x, ord, [-2, -1], keepdims);
}

/** vectorNorm's options (keyword-only in JAX). */
export interface VectorNormOptions {
  /** The axis or axes whose elements form the vectors; null (default): all of them. */
  readonly axis?: number | readonly number[] | null;
  readonly keepdims?: boolean;
  /** p (default 2), 0 (count of nonzeros) or +-Infinity. */
  readonly ord?: number;
}

/**
 * Vector norms over `axis` (jax.numpy.linalg.vector_norm): several axes (or all, the default)
 * are one vector, not a matrix.
 * @example np.linalg.vectorNorm(np.ones([2, 2])) // 2
 */
export function vectorNorm(x: NdArray, { axis = null, keepdims = false, ord = 2 }: VectorNormOptions = {}): NdArray {
  const s = shapeOf(x);
  const axes = axis === null ? [...s.keys()] : normAxes(typeof axis === 'number' ? [axis] : axis, s.length, 'vectorNorm');
  const rest = [...s.keys()].filter((i) => !axes.includes(i));
  const flat = reshape(moveaxis(x, axes, axes.map((_, i) => rest.length + i)), [...rest.map((i) => s[i]), sizeOf(axes.map((i) => s[i]))]);
  const y = norm(flat, ord, -1);
  return keepdims ? reshape(y, s.map((d, i) => (axes.includes(i) ? 1 : d))) : y;
}

/** The `offset`-th diagonals of the matrices in x's last two axes (jax.numpy.linalg.diagonal). */
export function diagonal(x: NdArray, { offset = 0 }: { readonly offset?: number } = {}): NdArray {
  matrices(x, 'linalg.diagonal', false, 'x');
  return npDiagonal(x, offset, -2, -1);
}

/** The traces of the matrices in x's last two axes (jax.numpy.linalg.trace). */
export function trace(x: NdArray, { offset = 0 }: { readonly offset?: number } = {}): NdArray {
  matrices(x, 'linalg.trace', false, 'x');
  return npTrace(x, offset, -2, -1);
}

/** The outer product of two 1-D arrays (jax.numpy.linalg.outer; np.outer flattens instead). */
export function outer(x1: NdArray, x2: NdArray): NdArray {
  if (shapeOf(x1).length !== 1 || shapeOf(x2).length !== 1) throw new Error(`linalg.outer: x1 and x2 must be 1-D, got ${shapeStr(shapeOf(x1))} and ${shapeStr(shapeOf(x2))}`);
  return mul(reshape(x1, [shapeOf(x1)[0], 1]), reshape(x2, [1, shapeOf(x2)[0]]));
}

/** Cross products of 3-vectors along `axis` (jax.numpy.linalg.cross; np.cross also takes 2-vectors). */
export function cross(x1: NdArray, x2: NdArray, { axis = -1 }: { readonly axis?: number } = {}): NdArray {
  const size = (x: NdArray) => shapeOf(x)[normAxes([axis], shapeOf(x).length, 'linalg.cross')[0]];
  if (size(x1) !== 3 || size(x2) !== 3) throw new Error(`linalg.cross: x1 and x2 must hold 3-vectors along axis ${axis}, got ${shapeStr(shapeOf(x1))} and ${shapeStr(shapeOf(x2))}`);
  return npCross(x1, x2, axis, axis, axis);
}
