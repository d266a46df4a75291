/**
 * jax.numpy.linalg.svd by one-sided Jacobi (Hestenes) rotations, and pinv from it. The columns
 * of B = A (A^T when wider than tall) are rotated in pairs, in linalg-eigh.ts's parallel
 * round-robin order, until orthogonal: B V = U S. Each round forms the Gram matrix B^T B and
 * applies n/2 rotations as one product; `jacobiSweeps(n)` sweeps of about n rounds make
 * O(m n^3 log n) flops, for small matrices (min(m, n) up to about 64). U then comes from a
 * Householder QR of the sorted B (orthonormal also where singular values are 0, and completed
 * to m columns for fullMatrices). The reduced u, s, vh have JAX's JVP rule (finite for distinct
 * nonzero singular values); s alone, and fullMatrices u of a non-square a (JAX: not
 * implemented), differentiate through the composed operations.
 */
import { customJvp } from '../core/custom-rules.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { abs, add, div, equal, greater, less, matmul, max, mul, neg, sign, sqrt, square, sub, sum, where } from './math.js';
import { diagonal } from './linalg.js';
import { eigh, jacobiSweep, sortAscending } from './linalg-eigh.js';
import { qr } from './linalg-qr.js';
import { eyeBatch, matrices, mT } from './linalg-util.js';

/** Columns of b [..., m, n] (m >= n) rotated to orthogonality, with the rotations' product v. */
function hestenes(b: NdArray): [NdArray, NdArray] {
  const s = shapeOf(b);
  const v = jacobiSweep(s[s.length - 1], s.slice(0, -2), () => matmul(mT(b), b), (j) => (b = matmul(b, j)));
  return [b, v];
}

/** [u, s, vh] for m >= n; s only when !computeUv. */
function svdTall(a: NdArray, fullMatrices: boolean, computeUv: boolean): NdArray[] {
  const [b, v] = hestenes(a);
  const norms = sqrt(sum(square(b), -2)); // [..., n]
  const [negS, vs, bs] = sortAscending(neg(norms), v, b); // descending singular values
  // + 0: the negation of a -0 (a zero singular value) is -0, which made cond give -inf.
  if (!computeUv) return [add(neg(negS), 0)];
  const [q, r] = qr(bs, fullMatrices ? 'complete' : 'reduced');
  // B = Q R with R diagonal (B's columns are orthogonal): U = Q with R's signs, S = |diag R|.
  const d = diagonal(r, 0, -2, -1);
  const n = shapeOf(d)[shapeOf(d).length - 1];
  const m = shapeOf(q)[shapeOf(q).length - 1];
  // Q's columns past n (fullMatrices, m > n) keep their sign.
  const r0 = shapeOf(d).length;
  const signs = lax.pad(where(less(d, 0), -1, 1), new Array<number>(r0).fill(0), [...new Array<number>(r0 - 1).fill(0), m - n], undefined, 1);
  return [mul(q, lax.expandDims(signs, r0 - 1)), abs(d), mT(vs)];
}

/**
 * The reduced svd of a [..., m, n] (m >= n) with JAX's JVP rule: the derivative through the
 * Jacobi rotations was wrong where a's columns start orthogonal (a diagonal a: no rotation to
 * follow). dS = u^T da v gives ds = diag(dS); with F_ij = 1 / (s_j^2 - s_i^2),
 * du = u (F * (dS s + s dS^T) + (dS - dS^T) / 2s) (+ the part of da v outside u's span, / s),
 * dv = v (F * (s dS + dS^T s)).
 */
const svdReduced = customJvp(
  (a: NdArray) => svdTall(a, false, true) as [NdArray, NdArray, NdArray],
  ([a]: NdArray[], [da]: NdArray[]) => {
    const [u, s, vh] = svdTall(a, false, true);
    const r = shapeOf(s).length;
    const k = shapeOf(s)[r - 1];
    const v = mT(vh);
    const dS = matmul(mT(u), matmul(da, v));
    const [sj, si] = [lax.expandDims(s, r - 1), lax.expandDims(s, r)]; // [..., 1, k], [..., k, 1]
    const eye = eyeBatch(k, []);
    const f = sub(div(1, add(mul(add(sj, si), sub(sj, si)), eye)), eye);
    const sInv = where(equal(s, 0), 0, div(1, where(equal(s, 0), 1, s)));
    const diagPart = mul(mul(sub(dS, mT(dS)), 0.5), mul(eye, lax.expandDims(sInv, r - 1)));
    const dSs = mul(sj, dS);
    const sdS = mul(si, dS);
    let du = matmul(u, add(mul(f, add(dSs, mT(dSs))), diagPart));
    const dv = matmul(v, mul(f, add(sdS, mT(sdS))));
    if (shapeOf(a)[r - 1] > k) {
      const dav = matmul(da, v);
      du = add(du, div(sub(dav, matmul(u, matmul(mT(u), dav))), sj));
    }
    return [
      [u, s, vh],
      [du, diagonal(dS, 0, -2, -1), mT(dv)],
    ];
  },
) as (a: NdArray) => [NdArray, NdArray, NdArray];

/**
 * The svd of symmetric a [..., n, n] from its eigendecomposition (JAX's hermitian=True; a is
 * symmetrised as eigh does): s = |w| descending, u = v in that order, vh = (u * sign(w))^T.
 */
function svdHermitian(a: NdArray, computeUv: boolean): [NdArray, NdArray, NdArray] | NdArray {
  const [w, v] = eigh(a);
  const r = shapeOf(w).length;
  const [negS, u, signs] = sortAscending(neg(abs(w)), v, lax.expandDims(sign(w), r - 1));
  const s = add(neg(negS), 0);
  return computeUv ? [u, s, mT(mul(u, signs))] : s;
}

/**
 * The singular value decomposition a = u diag(s) vh of stacked matrices a [..., m, n]
 * (jax.numpy.linalg.svd): s [..., k] descending (k = min(m, n)); u [..., m, m] and vh
 * [..., n, n] for fullMatrices (the default), u [..., m, k] and vh [..., k, n] otherwise;
 * s alone when computeUv is false. Singular vectors of a repeated or zero singular value are
 * any orthonormal basis (as NumPy's, not fixed), and a pair (u[:, i], vh[i]) may have both
 * signs flipped against NumPy's. `hermitian` (square symmetric a, symmetrised first) takes
 * them from eigh, as JAX.
 * @example const [u, s, vh] = np.linalg.svd(a, false) as NdArray[]; // a = u @ (s[:, None] * vh)
 */
export function svd(a: NdArray, fullMatrices?: boolean, computeUv?: true, hermitian?: boolean): [NdArray, NdArray, NdArray];
export function svd(a: NdArray, fullMatrices: boolean, computeUv: false, hermitian?: boolean): NdArray;
export function svd(a: NdArray, fullMatrices = true, computeUv = true, hermitian = false): [NdArray, NdArray, NdArray] | NdArray {
  const fa = matrices(a, 'svd', hermitian);
  if (hermitian) return svdHermitian(fa, computeUv);
  const [m, n] = shapeOf(fa).slice(-2);
  const wide = m < n;
  const tall = wide ? mT(fa) : fa;
  const out = computeUv && (!fullMatrices || m === n) ? svdReduced(tall) : svdTall(tall, fullMatrices, computeUv);
  if (!computeUv) return out[0];
  const [u, s, vh] = out;
  // a^T = u s vh gives a = vh^T s u^T.
  return wide ? [mT(vh), s, mT(u)] : [u, s, vh];
}

/**
 * The Moore-Penrose pseudo-inverse [..., n, m] of a [..., m, n] (jax.numpy.linalg.pinv): from
 * the reduced svd, 1/s for singular values above rtol * max(s) and 0 for the others; rtol
 * defaults to 10 * max(m, n) * float32's eps, as JAX. rtol may be a number or an array
 * broadcasting with a's batch dims. `hermitian` (symmetric a) takes the svd from eigh, as JAX;
 * an empty a gives an empty [..., n, m].
 * @example np.linalg.pinv(np.array([[1, 2], [2, 4]])) // [[0.04, 0.08], [0.08, 0.16]]
 */
export function pinv(a: NdArray, rtol?: NdArray | number | null, hermitian = false): NdArray {
  const fa = matrices(a, 'pinv', hermitian);
  const sa = shapeOf(fa);
  const [m, n] = sa.slice(-2);
  if (m === 0 || n === 0) return lax.full([...sa.slice(0, -2), n, m], 0); // JAX: an empty [..., n, m]
  const [u, s, vh] = svd(fa, false, true, hermitian);
  const r = shapeOf(s).length;
  const tol = rtol ?? 10 * Math.max(m, n) * 2 ** -23;
  const cutoff = mul(typeof tol === 'number' ? tol : lax.expandDims(tol, shapeOf(tol).length), max(s, -1, true));
  const keep = greater(s, cutoff);
  const sInv = where(keep, div(1, where(keep, s, 1)), 0); // the untaken 1/0 kept out of derivatives
  return matmul(mT(vh), mul(lax.expandDims(sInv, r), mT(u)));
}
