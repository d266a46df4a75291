/**
 * jax.numpy.linalg.qr by Householder reflections, composed from products and selects: min(m, n)
 * static steps of about 20 ops on [..., m, n] and [..., m, m] (O(m^2 n) flops), for small
 * matrices. Derivatives go through the composed operations.
 */
import { customJvp } from '../core/custom-rules.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { add, div, equal, greaterEqual, matmul, mul, neg, sqrt, square, sub, sum, where } from './math.js';
import { concatenate, sliceAxis } from './shape.js';
import { tril, triu } from './linalg.js';
import { triangularSolve } from './linalg-lu.js';
import { colOf, entryOf, eyeBatch, indexMask, matrices, mT } from './linalg-util.js';

/**
 * `qr`'s modes: Q [..., m, k] and R [..., k, n] with k = min(m, n); Q [..., m, m] and R [..., m, n];
 * R [..., k, n] alone; LAPACK geqrf's Householder form (h [..., n, m], tau [..., k]).
 */
export type QrMode = 'reduced' | 'complete' | 'r' | 'raw';

/**
 * Q R = A with Q orthonormal and R upper triangular, for stacked matrices a [..., m, n]
 * (jax.numpy.linalg.qr). The reflections follow LAPACK's geqrf: R's diagonal entry k has
 * the sign opposite to the column's entry (k, k) (negative for 0), and a column already zero
 * below the diagonal is not reflected, so Q and R match NumPy's up to rounding.
 * @example const [q, r] = np.linalg.qr(a) as [NdArray, NdArray]; // a = q @ r
 */
export function qr(a: NdArray, mode: 'r'): NdArray;
export function qr(a: NdArray, mode?: 'reduced' | 'complete' | 'raw'): [NdArray, NdArray];
export function qr(a: NdArray, mode: QrMode = 'reduced'): NdArray | [NdArray, NdArray] {
  if (!['reduced', 'complete', 'r', 'raw'].includes(mode))
    throw new Error(`qr: mode must be 'reduced', 'complete', 'r' or 'raw', got '${String(mode)}'`);
  const fa = matrices(a, 'qr', false);
  const [m, n] = shapeOf(fa).slice(-2);
  // JAX's JVP rule where it has one (m >= n, Q [..., m, n]); elsewhere the reflections' derivatives.
  if (m >= n && n > 0 && (mode === 'reduced' || mode === 'r' || (mode === 'complete' && m === n))) {
    const [q, r] = qrReduced(fa);
    return mode === 'r' ? r : [q, r];
  }
  return householderQr(fa, mode);
}

/**
 * The reduced Q, R of a [..., m, n] (m >= n) with JAX's JVP rule: the derivative through the
 * reflections was wrong where a column is already zero below the diagonal (no reflection to
 * follow, e.g. a triangular a). With X = da R^-1 and W = Q^T X, O = tril(W, -1) - tril(W, -1)^T:
 * dQ = Q (O - W) + X, dR = (W - O) R.
 */
const qrReduced = customJvp(
  (a: NdArray) => householderQr(a, 'reduced') as [NdArray, NdArray],
  ([a]: NdArray[], [da]: NdArray[]) => {
    const [q, r] = householderQr(a, 'reduced') as [NdArray, NdArray];
    const x = mT(triangularSolve(mT(r), mT(da), true)); // da R^-1: R^T X^T = da^T
    const w = matmul(mT(q), x);
    const low = tril(w, -1);
    const o = sub(low, mT(low));
    return [
      [q, r],
      [add(matmul(q, sub(o, w)), x), matmul(sub(w, o), r)],
    ];
  },
) as (a: NdArray) => [NdArray, NdArray];

/** Householder QR (LAPACK geqrf's reflections) of float matrices a [..., m, n] in any mode. */
function householderQr(a: NdArray, mode: QrMode): NdArray | [NdArray, NdArray] {
  let r = a;
  const s = shapeOf(r);
  const [m, n] = s.slice(-2);
  const k = Math.min(m, n);
  let q: NdArray | null = mode === 'r' || mode === 'raw' ? null : eyeBatch(m, s.slice(0, -2));
  let below: NdArray = lax.full([m, n], 0); // 'raw': the reflectors' tails, v / v[j], below the diagonal
  const taus: NdArray[] = [];
  for (let j = 0; j < k; j++) {
    const alpha = entryOf(r, j, j); // [..., 1, 1]
    const tail = where(indexMask(m, 1, (i) => i > j), colOf(r, j), 0); // [..., m, 1]
    const tail2 = sum(square(tail), -2, true);
    const skip = equal(tail2, 0); // nothing to eliminate: H = I (LAPACK's tau = 0)
    const norm = sqrt(add(square(alpha), where(skip, 1, tail2)));
    const beta = where(greaterEqual(alpha, 0), neg(norm), norm);
    const v = where(indexMask(m, 1, (i) => i === j), sub(alpha, beta), tail); // [..., m, 1]
    const vv = sum(square(v), -2, true);
    const scale = where(skip, 0, div(2, where(skip, 1, vv))); // H = I - scale v v^T
    r = sub(r, mul(v, mul(scale, sum(mul(v, r), -2, true))));
    if (q !== null) q = sub(q, mul(matmul(q, v), mul(scale, mT(v))));
    if (mode === 'raw') {
      // geqrf scales v to v[j] = 1: H = I - tau v v^T with tau = scale (alpha - beta)^2 = (beta - alpha) / beta.
      const lead = where(skip, 1, sub(alpha, beta));
      below = where(indexMask(m, n, (i, c) => c === j && i > j), div(tail, lead), below);
      taus.push(mul(scale, square(sub(alpha, beta))));
    }
  }
  r = triu(r); // exact zeros below the diagonal
  if (mode === 'raw') return rawQr(add(r, below), taus, s.slice(0, -2));
  const rank = shapeOf(r).length;
  if (mode === 'complete') return [q!, r];
  const rk = sliceAxis(r, rank - 2, 0, k);
  return mode === 'r' ? rk : [sliceAxis(q!, rank - 1, 0, k), rk];
}


/** qr's 'raw' result from geqrf's packed [..., m, n] matrix and the per-step taus ([..., 1, 1] each): (h = packed^T, tau [..., k]). */
function rawQr(packed: NdArray, taus: readonly NdArray[], batch: readonly number[]): [NdArray, NdArray] {
  const tau = taus.length === 0 ? lax.full([...batch, 0], 0) : lax.reshape(concatenate(taus, -1), [...batch, taus.length]);
  return [mT(packed), tau];
}
