/**
 * jax.scipy.special's recurrence-built families: bessel_jn (J_0 .. J_v by Miller's backward
 * recurrence, JAX's scheme) and lpmn / lpmn_values (associated Legendre functions by JAX's three
 * recurrences, order first and degree second).
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Operand, asFloat } from './util.js';

/** Rescale the backward recurrence when a value passes this (float32 overflows near 3e38). */
const RESCALE_ABOVE = 1e15;

/**
 * Bessel functions of the first kind J_0(z) .. J_v(z) of real z, stacked [v + 1, ...z.shape]
 * (jax.scipy.special.bessel_jn): Miller's backward recurrence J_{k-1} = 2k/z J_k - J_{k+1} from
 * k = nIter, normalized by J_0 + 2 sum J_{2k} = 1, as JAX. Differences: the recurrence is rescaled
 * as it grows (JAX's float32 overflows to NaN for small z), and z = 0 gives J_0 = 1, J_k = 0
 * (SciPy's; JAX: NaN). Accurate while |z| is well below nIter (50 by default).
 */
export function besselJn(z: Operand, { v, nIter = 50 }: { readonly v: number; readonly nIter?: number }): NdArray {
  if (!Number.isInteger(v) || v < 0) throw new Error(`besselJn: v must be a non-negative integer, got ${v}`);
  if (!Number.isInteger(nIter) || nIter < v + 1) throw new Error(`besselJn: nIter must be an integer above v = ${v}, got ${nIter}`);
  const x = asFloat(z);
  const zero = np.equal(x, 0);
  const xs = np.where(zero, 1, x);
  // JAX's seed: f = 1e-16 at index nIter + 1, 0 above; f_0 .. f_nIter follow.
  let [next, cur] = [np.zerosLike(xs), np.fullLike(xs, 1e-16)];
  let norm: NdArray = np.zerosLike(xs);
  const kept: NdArray[] = [];
  for (let k = nIter + 1; k >= 1; k--) {
    const prev = np.sub(np.div(np.mul(cur, 2 * k), xs), next);
    const scale = np.where(np.greater(np.abs(prev), RESCALE_ABOVE), 1 / RESCALE_ABOVE, 1);
    [next, cur] = [np.mul(cur, scale), np.mul(prev, scale)];
    norm = np.mul(norm, scale);
    for (let j = k; j <= v; j++) if (kept[j]) kept[j] = np.mul(kept[j]!, scale);
    if (k - 1 <= v) kept[k - 1] = cur;
    if ((k - 1) % 2 === 0 && k - 1 > 0) norm = np.add(norm, np.mul(cur, 2));
  }
  norm = np.add(norm, cur); // + J_0
  return np.stack(
    kept.map((f, n) => np.where(zero, n === 0 ? 1 : 0, np.div(f, norm))),
    0,
  );
}

/** The values P[m][l] (m <= l, else 0) at x, unnormalized with the Condon-Shortley phase or normalized for spherical harmonics. */
function legendreTable(L: number, x: NdArray, normalized: boolean): NdArray[][] {
  const zero = np.zerosLike(x);
  const sine = np.sqrt(np.sub(1, np.mul(x, x)));
  const p: NdArray[][] = Array.from({ length: L + 1 }, () => Array.from({ length: L + 1 }, () => zero));
  let diag: NdArray = np.fullLike(x, normalized ? 0.5 / Math.sqrt(Math.PI) : 1);
  for (let m = 0; m <= L; m++) {
    if (m > 0) diag = np.mul(np.mul(diag, sine), normalized ? -Math.sqrt(1 + 0.5 / m) : 1 - 2 * m);
    p[m]![m] = diag;
    if (m + 1 <= L) p[m]![m + 1] = np.mul(np.mul(x, diag), normalized ? Math.sqrt(2 * m + 3) : 2 * m + 1);
    for (let l = m + 2; l <= L; l++) {
      const [c0, c1] = normalized
        ? [Math.sqrt((4 * l * l - 1) / (l * l - m * m)), Math.sqrt(((2 * l + 1) * ((l - 1) ** 2 - m * m)) / ((2 * l - 3) * (l * l - m * m)))]
        : [(2 * l - 1) / (l - m), (l + m - 1) / (l - m)];
      p[m]![l] = np.sub(np.mul(np.mul(x, p[m]![l - 1]!), c0), np.mul(p[m]![l - 2]!, c1));
    }
  }
  return p;
}

function legendreArgs(m: number, n: number, z: Operand, op: string): NdArray {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${op}: n must be a non-negative integer, got ${n}`);
  if (m !== n) throw new Error(`${op}: m must equal n (JAX computes m != n neither), got m = ${m}, n = ${n}`);
  const x = asFloat(z);
  if (np.shape(x).length !== 1) throw new Error(`${op}: z must be 1-D, got shape ${shapeStr(np.shape(x))}`);
  return x;
}

const stackTable = (p: NdArray[][]): NdArray => np.stack(p.map((row) => np.stack(row, 0)), 0);

/**
 * Associated Legendre functions P_l^m(z) of the first kind and their derivatives in z, each
 * [n + 1 (order m), n + 1 (degree l), len(z)] (jax.scipy.special.lpmn; m must equal n, as JAX; 0
 * for m > l; SciPy's Condon-Shortley phase). The derivative is (l z P_l^m - (l + m) P_{l-1}^m) /
 * (z^2 - 1): inf / NaN at z = ±1 (JAX's own formula is finite there for m != 1).
 */
export function lpmn(m: number, n: number, z: Operand): [NdArray, NdArray] {
  const x = legendreArgs(m, n, z, 'lpmn');
  const p = legendreTable(n, x, false);
  const denom = np.sub(np.mul(x, x), 1);
  const dp = p.map((row, mm) => row.map((v, l) => (l < mm ? v : np.div(np.sub(np.mul(np.mul(x, v), l), np.mul(l === 0 ? np.zerosLike(x) : row[l - 1]!, l + mm)), denom))));
  return [stackTable(p), stackTable(dp)];
}

/**
 * The values of lpmn, [n + 1, n + 1, len(z)] (jax.scipy.special.lpmn_values); `isNormalized`
 * scales P_l^m by sqrt((2l + 1)(l - m)! / (4 pi (l + m)!)) (the spherical harmonics' factor, computed
 * by JAX's normalized recurrences, so large degrees stay in range).
 */
export function lpmnValues(m: number, n: number, z: Operand, isNormalized: boolean): NdArray {
  return stackTable(legendreTable(n, legendreArgs(m, n, z, 'lpmnValues'), isNormalized));
}
