/**
 * jax.scipy.linalg.hessenberg and qr_multiply, real float32, batched over leading axes, from np
 * operations (so they jit, vmap and differentiate).
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { eyeBatch } from '../ops/linalg-util.js';
import { qr } from './linalg-decomp.js';

/**
 * LAPACK dlarfg's reflector for column k of h, as the full [..., n, n] matrix I - tau v v^T: it maps
 * h[k+1:, k] to beta e1 with beta = -sign(alpha) |x| (alpha = h[k+1, k]); tau = 0 (the identity)
 * where the entries below alpha are already 0.
 */
function reflector(h: NdArray, k: number, n: number, batch: readonly number[]): NdArray {
  const col = np.take(h, k, -1); // [..., n]
  const mask = np.array(Array.from({ length: n }, (_, i) => (i > k ? 1 : 0)));
  const x = np.mul(col, mask);
  const alpha = np.take(col, k + 1, -1);
  const below = np.sum(np.square(np.mul(x, np.array(Array.from({ length: n }, (_, i) => (i > k + 1 ? 1 : 0))))), -1);
  const trivial = np.equal(below, 0);
  const norm = np.sqrt(np.add(np.square(alpha), np.where(trivial, 1, below)));
  const beta = np.where(np.greaterEqual(alpha, 0), np.neg(norm), norm);
  const unit = np.array(Array.from({ length: n }, (_, i) => (i === k + 1 ? 1 : 0)));
  // v = (x - beta e_{k+1}) / (alpha - beta): 1 at k + 1.
  const v = np.div(np.sub(x, np.mul(np.expandDims(beta, -1), unit)), np.expandDims(np.sub(alpha, beta), -1));
  const tau = np.where(trivial, 0, np.div(np.sub(beta, alpha), beta));
  const outer = np.mul(np.expandDims(v, -1), np.expandDims(v, -2));
  return np.sub(eyeBatch(n, batch), np.mul(np.expandDims(np.expandDims(tau, -1), -1), outer));
}

/**
 * The Hessenberg form h = q^T a q of a [..., n, n] (jax.scipy.linalg.hessenberg): Householder
 * reflections with LAPACK gehrd's signs, so h and q equal SciPy's; entries below the
 * subdiagonal are exactly 0. Returns h, or [h, q] with `calcQ`.
 */
export function hessenberg(a: NdArray, { calcQ = false }: { readonly calcQ?: boolean } = {}): NdArray | [NdArray, NdArray] {
  const s = np.shape(a);
  if (s.length < 2 || s[s.length - 1] !== s[s.length - 2]) throw new Error(`hessenberg: a must be square [..., n, n], got ${shapeStr(s)}`);
  const n = s[s.length - 1]!;
  const batch = s.slice(0, -2);
  let h = np.toFloat(a);
  let q = eyeBatch(n, batch);
  for (let k = 0; k < n - 2; k++) {
    const p = reflector(h, k, n, batch);
    h = np.matmul(np.matmul(p, h), p);
    q = np.matmul(q, p);
  }
  h = np.triu(h, -1);
  return calcQ ? [h, q] : h;
}

/**
 * [q @ c (mode 'left') or c @ q (mode 'right'), r] for the economic QR factorisation a = q r
 * (jax.scipy.linalg.qr_multiply): c's first axis has min(m, n) entries ('left'), its last m
 * ('right'); a 1-D c gives a 1-D product. Pivoting is not supported.
 */
export function qrMultiply(a: NdArray, c: NdArray, mode: 'left' | 'right' = 'right'): [NdArray, NdArray] {
  if (mode !== 'left' && mode !== 'right') throw new Error(`qrMultiply: mode must be 'left' or 'right', got '${String(mode)}'`);
  const s = np.shape(a);
  if (s.length !== 2) throw new Error(`qrMultiply: a must be 2-D, got ${shapeStr(s)}`);
  const cs = np.shape(c);
  const [need, got] = mode === 'left' ? [Math.min(s[0]!, s[1]!), cs[0]] : [s[0]!, cs[cs.length - 1]];
  if (cs.length < 1 || cs.length > 2 || got !== need) {
    throw new Error(`qrMultiply: c's ${mode === 'left' ? 'first' : 'last'} axis must have ${need} entries for a of shape ${shapeStr(s)} (mode '${mode}'), got ${shapeStr(cs)}`);
  }
  const [q, r] = qr(a, { mode: 'economic' });
  return [mode === 'left' ? np.matmul(q, c) : np.matmul(c, q), r];
}
