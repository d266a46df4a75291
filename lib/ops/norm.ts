/** Vector and matrix norms (jax.numpy.linalg.norm), composed from reductions. */
import { normAxes, shapeStr } from '../core/aval.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { abs, cast, max, min, mul, notEqual, pow, sqrt, sum, toFloat } from './math.js';
import { moveaxis } from './manipulation.js';
import { reshape } from './shape.js';
import { svd } from './linalg-svd.js';

/** Which norm: a number p (Infinity and -Infinity included), or `'fro'` / `'nuc'` for matrices; null is the default (2 / Frobenius). */
export type NormOrder = number | 'fro' | 'nuc' | null;

function vectorNorm(x: NdArray, ord: number | null, axis: number, keepdims: boolean): NdArray {
  if (ord === null || ord === 2) return sqrt(sum(mul(x, x), axis, keepdims));
  if (ord === Infinity) return max(abs(x), axis, keepdims);
  if (ord === -Infinity) return min(abs(x), axis, keepdims);
  if (ord === 0) return sum(cast(notEqual(x, 0), 'float32'), axis, keepdims);
  if (ord === 1) return sum(abs(x), axis, keepdims);
  return pow(sum(pow(abs(x), ord), axis, keepdims), 1 / ord);
}

function matrixNorm(x: NdArray, ord: NormOrder, [row, col]: readonly [number, number], keepdims: boolean): NdArray {
  const both = [row, col];
  let out: NdArray;
  if (ord === null || ord === 'fro') out = sqrt(sum(mul(x, x), both, true));
  // 1: the largest column sum of |x| (summed over rows); Infinity: the largest row sum.
  else if (ord === 1 || ord === -1) out = (ord === 1 ? max : min)(sum(abs(x), row, true), col, true);
  else if (ord === Infinity || ord === -Infinity) out = (ord === Infinity ? max : min)(sum(abs(x), col, true), row, true);
  else if (ord === 2 || ord === -2 || ord === 'nuc') out = singularValueNorm(x, ord, row, col);
  else throw new Error(`norm: matrix norm ord ${String(ord)} is not one of 'fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity`);
  if (keepdims) return out;
  return reshape(out, shapeOf(out).filter((_, i) => !both.includes(i)));
}

/** The largest (2) or smallest (-2) singular value, or their sum ('nuc'), over axes row and col, kept as size 1. */
function singularValueNorm(x: NdArray, ord: 2 | -2 | 'nuc', row: number, col: number): NdArray {
  const sv = svd(moveaxis(x, [row, col], [-2, -1]), false, false);
  const y = ord === 2 ? max(sv, -1) : ord === -2 ? min(sv, -1) : sum(sv, -1);
  return reshape(y, shapeOf(x).map((d, i) => (i === row || i === col ? 1 : d)));
}

/**
 * jax.numpy.linalg.norm: with no `axis`, the 2-norm of all elements (no `ord`), a vector
 * norm of a 1-D x or a matrix norm of a 2-D x; a number `axis` (or one axis) gives vector
 * norms along it, two axes matrix norms over them. Vector `ord`: p >= 1 or 0 < p, 0 (count
 * of nonzeros), +-Infinity (max / min of |x|); matrix `ord`: 'fro', +-1, +-Infinity, and from
 * the singular values 2 (the largest), -2 (the smallest) and 'nuc' (their sum).
 * As in JAX, the default norm's gradient at x = 0 is NaN (the root's).
 * @example np.linalg.norm(np.array([3, 4])) // 5
 * @example np.linalg.norm(embeddings, null, -1, true) // per-row L2 norms, shape [n, 1]
 */
export function norm(x: NdArray, ord: NormOrder = null, axis?: number | readonly number[] | null, keepdims = false): NdArray {
  const xf = toFloat(x);
  const s = shapeOf(xf);
  if (axis === null || axis === undefined) {
    if (ord === null) {
      const all = sqrt(sum(mul(xf, xf)));
      return keepdims ? reshape(all, s.map(() => 1)) : all;
    }
    if (s.length !== 1 && s.length !== 2) throw new Error(`norm: ord ${ord} with no axis needs a 1-D or 2-D array, got shape ${shapeStr(s)}; pass axis`);
    axis = s.length === 1 ? 0 : [0, 1];
  }
  const axes = normAxes(typeof axis === 'number' ? [axis] : axis, s.length, 'norm');
  if (axes.length === 1) {
    if (ord === 'fro' || ord === 'nuc') throw new Error(`norm: ord '${ord}' is a matrix norm; it needs two axes`);
    return vectorNorm(xf, ord, axes[0], keepdims);
  }
  if (axes.length === 2) return matrixNorm(xf, ord, [axes[0], axes[1]], keepdims);
  throw new Error(`norm: axis must name one axis (vector norm) or two (matrix norm), got ${axes.length}`);
}
