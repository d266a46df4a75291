/**
 * jax.random.poisson and jax.random.orthogonal, built from the uniform and normal samplers
 * with a fixed amount of work per sample (masking, no data-dependent loop), so they run
 * under jit and vmap with keys batched or not.
 */
import { type NdArray, scope, type Shape } from '../core/index.js';
import * as np from '../ops/index.js';
import { nthKey } from './distributions.js';
import { type Key, normal, splitKeys, uniform } from './keys.js';
import { inverseCdf } from './inverse-cdf.js';
import { sampleShape } from './shapes.js';

/** Below this rate Poisson samples come from the inverse CDF, from it on by rejection (as JAX and NumPy switch at 10). */
const SMALL_RATE = 10;
/** Terms of the inverse CDF for rates below 10: P(X >= 40 | rate 10) < 1e-12. */
const SMALL_TERMS = 40;
/** Rounds of PTRS proposals: each is accepted with probability above 0.89, so all 12 fail with probability below 1e-11. */
const PTRS_ROUNDS = 12;

/**
 * Poisson samples with rate `lam` (a number or an array broadcast to `shape`, which defaults
 * to lam's shape), int32, as jax.random.poisson: rates below 10 by the inverse CDF (the search
 * over 40 terms done at once), higher rates by Hörmann's transformed rejection (PTRS, 1993;
 * JAX's algorithm) with 12 masked proposals. A rate of 0 gives 0; a negative or NaN rate
 * gives -1, as in JAX. Not differentiable with respect to lam.
 * @example random.poisson(key, 3, [1000])
 */
export function poisson(key: Key, lam: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('poisson', shape, lam);
  return scope(() => {
    const rate = np.broadcastTo(np.stopGradient(np.cast(typeof lam === 'number' ? np.full([], lam, 'float32') : lam, 'float32')), s);
    const keys = splitKeys(key, 2);
    const small = np.less(rate, SMALL_RATE);
    // A number rate needs one of the two methods only (the same draws as the masked pair).
    const bySearch = () => poissonSmall(nthKey(keys, 0), np.where(small, rate, 0), s);
    const byRejection = () => poissonLarge(nthKey(keys, 1), np.where(small, SMALL_RATE, rate), s);
    const x = typeof lam !== 'number' ? np.where(small, bySearch(), byRejection()) : lam < SMALL_RATE ? bySearch() : byRejection();
    return np.cast(np.where(np.greater(rate, 0), x, np.where(np.equal(rate, 0), 0, -1)), 'int32');
  });
}

/** The inverse CDF for rates below 10, over the first 40 terms of the pmf. */
function poissonSmall(key: Key, lam: NdArray, shape: Shape): NdArray {
  const terms: NdArray[] = [np.exp(np.neg(lam))];
  for (let j = 1; j < SMALL_TERMS; j++) terms.push(np.div(np.mul(terms[j - 1], lam), j));
  return inverseCdf(uniform(key, shape), terms);
}

/**
 * log(k!) for k >= 0 by Stirling's series at k + 4 (log Gamma(x) = S(x + 3) - log(x (x + 1) (x + 2))
 * with x = k + 1; the truncated series errs by under 1e-7 there): a few ops where lgamma's
 * Lanczos sum costs many.
 */
function logFactorial(k: NdArray): NdArray {
  const x = np.add(k, 1);
  const y = np.add(x, 3);
  const inv = np.reciprocal(y);
  const inv2 = np.square(inv);
  const series = np.mul(inv, np.add(1 / 12, np.mul(inv2, np.add(-1 / 360, np.mul(inv2, 1 / 1260)))));
  const stirling = np.add(np.sub(np.mul(np.sub(y, 0.5), np.log(y)), y), np.add(series, 0.5 * Math.log(2 * Math.PI)));
  return np.sub(stirling, np.log(np.mul(np.mul(x, np.add(x, 1)), np.add(x, 2))));
}

/** PTRS (Hörmann 1993) for rates of at least 10, PTRS_ROUNDS proposals at once, the first accepted kept; should all fail, round(lam). */
function poissonLarge(key: Key, lam: NdArray, shape: Shape): NdArray {
  const keys = splitKeys(key, 2);
  const u = np.sub(uniform(nthKey(keys, 0), [PTRS_ROUNDS, ...shape]), 0.5);
  const v = uniform(nthKey(keys, 1), [PTRS_ROUNDS, ...shape]);
  const lead = u.shape.length - shape.length - 1;
  // The per-sample constants, broadcast to the proposals' shape once (same-shape ops are much
  // faster than broadcasting ones on the cpu backend).
  const full = (t: NdArray) => np.broadcastTo(t, u.shape);
  const bs = np.add(np.mul(np.sqrt(lam), 2.53), 0.931);
  const [b, a] = [full(bs), full(np.add(np.mul(bs, 0.02483), -0.059))];
  const invAlpha = full(np.add(np.div(1.1328, np.sub(bs, 3.4)), 1.1239));
  const vr = full(np.sub(0.9277, np.div(3.6224, np.sub(bs, 2))));
  const [rate, logRate] = [full(lam), full(np.log(lam))];
  const us = np.sub(0.5, np.abs(u));
  const k = np.floor(np.add(np.mul(np.add(np.div(np.mul(a, 2), us), b), u), np.add(rate, 0.43)));
  const kSafe = np.maximum(k, 0);
  const logS = np.log(np.div(np.mul(v, invAlpha), np.add(np.div(a, np.square(us)), b)));
  const logT = np.sub(np.sub(np.mul(kSafe, logRate), rate), logFactorial(kSafe));
  const quick = np.logicalAnd(np.greaterEqual(us, 0.07), np.lessEqual(v, vr));
  const reject = np.logicalOr(np.less(k, 0), np.logicalAnd(np.less(us, 0.013), np.greater(v, us)));
  const accept = np.logicalOr(quick, np.logicalAnd(np.logicalNot(reject), np.lessEqual(logS, logT)));
  const round = (r: number, t: NdArray) => np.squeeze(np.sliceAxis(t, lead, r, r + 1), lead);
  let out = np.round(lam);
  for (let r = PTRS_ROUNDS - 1; r >= 0; r--) out = np.where(round(r, accept), round(r, k), out);
  return out;
}

/**
 * Random orthogonal matrices [...shape, n, m] (m defaults to n), Haar-distributed, as
 * jax.random.orthogonal: Q of the QR decomposition of a standard normal
 * [..., max(n, m), min(n, m)] matrix with the signs of R's diagonal moved into Q (transposed
 * when n < m). Orthonormal columns when n >= m, orthonormal rows when n <= m.
 * @example random.orthogonal(key, 3) // Q Q^T = I
 */
export function orthogonal(key: Key, n: number, shape: Shape = [], m = n): NdArray {
  for (const d of [n, m]) if (!Number.isInteger(d) || d < 0) throw new Error(`random.orthogonal: n and m must be non-negative integers, got ${n}, ${m}`);
  const [rows, cols] = [Math.max(n, m), Math.min(n, m)];
  return scope(() => {
    const z = normal(key, [...sampleShape('orthogonal', shape), rows, cols]);
    if (cols === 0) return np.zeros([...z.shape.slice(0, -2), n, m]);
    const [q, r] = np.linalg.qr(z);
    const signed = np.mul(q, np.expandDims(np.sign(np.diagonal(r, 0, -2, -1)), -2));
    return n < m ? np.swapaxes(signed, -1, -2) : signed;
  });
}
