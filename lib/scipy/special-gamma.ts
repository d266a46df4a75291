/**
 * jax.scipy.special's gamma family: gammaln, gamma, betaln, beta, digamma, polygamma, zeta,
 * multigammaln, factorial and comb (SciPy's exact=False forms). log Gamma and digamma are
 * lib/ops's (lax.lgamma, lax.digamma).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { digamma as laxDigamma, lgamma } from '../ops/lax-elementwise.js';
import { type Operand, asFloat } from './util.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log|Gamma(x)|: inf at 0, the negative integers and inf. */
export function gammaln(x: Operand): NdArray {
  const v = asFloat(x);
  // lax.lgamma's Lanczos sum gives inf - inf = NaN at +inf; log Gamma(inf) is inf (JAX, SciPy).
  return np.where(np.equal(v, Infinity), Infinity, lgamma(v));
}

/** Whether x is 0 or a negative integer (a pole of Gamma). */
function isPole(x: NdArray): NdArray {
  return np.logicalAnd(np.lessEqual(x, 0), np.equal(np.floor(x), x));
}

/** The sign of Gamma(x): 1 for x > 0, (-1)^ceil(-x) between the negative poles. */
function gammaSign(x: NdArray): NdArray {
  const oddFloor = np.equal(np.remainder(np.floor(x), 2), 1);
  return np.where(np.logicalAnd(np.less(x, 0), oddFloor), -1, 1);
}

/**
 * The sign of Gamma(x) (JAX's gammasgn): 1 for x > 0 and +0, -1 for -0 and between the
 * negative poles where floor(x) is odd; NaN at the negative integers, -inf and NaN (SciPy 1.10
 * gives 0 at the poles).
 */
export function gammasgn(x: Operand): NdArray {
  const v = asFloat(x);
  const pole = np.logicalOr(np.logicalAnd(np.less(v, 0), np.equal(np.floor(v), v)), np.isnan(v));
  const negativeZero = np.logicalAnd(np.equal(v, 0), np.signbit(v));
  return np.where(pole, NaN, np.where(negativeZero, -1, gammaSign(v)));
}

/**
 * Gamma(x) as gammasgn(x) * exp(gammaln(x)) (JAX's): +inf at +0 and +inf, -inf at -0, NaN at the
 * negative integers and -inf (SciPy 1.10 gives inf at the negative poles; 1.15 and JAX NaN).
 */
export function gamma(x: Operand): NdArray {
  const v = asFloat(x);
  return np.mul(gammasgn(v), np.exp(gammaln(v)));
}

/** Where Stirling's series for log Gamma is within float32's precision. */
export const STIRLING_FROM = 8;

/** Stirling's remainder lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2), for x >= 8, by its asymptotic series. */
export function stirlerr(x: NdArray): NdArray {
  const r = np.div(1, x);
  const r2 = np.mul(r, r);
  return np.mul(r, np.add(1 / 12, np.mul(r2, np.add(-1 / 360, np.mul(r2, np.add(1 / 1260, np.mul(r2, -1 / 1680)))))));
}

/**
 * log|B(a, b)| = gammaln(a) + gammaln(b) - gammaln(a + b). With a large argument the three
 * log Gammas nearly cancel, so there the large ones are Stirling's form, their big terms
 * combined into log1p and log-ratio terms first (as JAX's betaln, after TFP).
 */
export function betaln(a: Operand, b: Operand): NdArray {
  const [p, q] = np.broadcastArrays(asFloat(a), asFloat(b));
  const x = np.maximum(p, q);
  const y = np.minimum(p, q);
  const direct = np.sub(np.add(lgamma(p), lgamma(q)), lgamma(np.add(p, q)));
  const xs = np.maximum(x, STIRLING_FROM);
  const ys = np.maximum(y, STIRLING_FROM);
  const yp = np.maximum(y, 1e-30);
  const sum = np.add(xs, yp);
  // Only x large: lgamma(y) + [lgamma(x) - lgamma(x + y)], the bracket -(x - 1/2) log1p(y / x) - y log(x + y) + y + Stirling's remainders.
  const logRatio = np.add(np.neg(np.mul(np.sub(xs, 0.5), np.log1p(np.div(yp, xs)))), np.sub(yp, np.mul(yp, np.log(sum))));
  const oneLarge = np.add(np.add(lgamma(yp), logRatio), np.sub(stirlerr(xs), stirlerr(sum)));
  // Both large: (x - 1/2) log(x / s) + (y - 1/2) log(y / s) - log(s) / 2 + log(2 pi) / 2 + Stirling's remainders, s = x + y.
  const both = np.add(xs, ys);
  const logRatios = np.add(np.mul(np.sub(xs, 0.5), np.log(np.div(xs, both))), np.mul(np.sub(ys, 0.5), np.log(np.div(ys, both))));
  const twoLarge = np.add(np.add(np.sub(logRatios, np.mul(np.log(both), 0.5)), HALF_LOG_2PI), np.sub(np.add(stirlerr(xs), stirlerr(ys)), stirlerr(both)));
  return np.where(np.logicalOr(np.less(x, STIRLING_FROM), np.lessEqual(y, 0)), direct, np.where(np.less(y, STIRLING_FROM), oneLarge, twoLarge));
}

/**
 * B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b), its sign JAX's gammasgn(a) gammasgn(b) gammasgn(a + b):
 * NaN where a, b or a + b is a negative integer (SciPy gives +-inf or a finite limit there).
 */
export function beta(a: Operand, b: Operand): NdArray {
  const [x, y] = [asFloat(a), asFloat(b)];
  const sign = np.mul(np.mul(gammasgn(x), gammasgn(y)), gammasgn(np.add(x, y)));
  return np.mul(sign, np.exp(betaln(x, y)));
}

/** The digamma function psi(x) = d/dx log Gamma(x); NaN at the poles. */
export function digamma(x: Operand): NdArray {
  return laxDigamma(asFloat(x));
}

// Cephes zeta.c: the Euler-Maclaurin correction's coefficients (2k)! / B_2k.
const ZETA_A = [12.0, -720.0, 30240.0, -1209600.0, 47900160.0, -1.8924375803183791606e9, 7.47242496e10, -2.950130727918164224e12, 1.1646782814350067249e14, -4.5979787224074726105e15, 1.8152105401943546773e17, -7.1661652561756670113e18];
const ZETA_TERMS = 9;

/**
 * The Hurwitz zeta function sum_k (k + q)^-s for s > 1 and q > 0 (Riemann's with q = 1, the
 * default): nine terms, then Euler-Maclaurin's tail (Cephes' zeta). s = 1 and the poles
 * q = 0, -1, ... give inf; other q <= 0 and s < 1 give NaN.
 */
export function zeta(s: Operand, q: Operand = 1): NdArray {
  const [x, a] = np.broadcastArrays(asFloat(s), asFloat(q));
  const ok = np.logicalAnd(np.greater(x, 1), np.greater(a, 0));
  const xs = np.where(ok, x, 2);
  const qs = np.where(ok, a, 1);
  const power = (base: NdArray) => np.exp(np.mul(np.neg(xs), np.log(base)));
  let sum = power(qs);
  for (let k = 1; k <= ZETA_TERMS; k++) sum = np.add(sum, power(np.add(qs, k)));
  const w = np.add(qs, ZETA_TERMS);
  let b = power(w);
  sum = np.add(sum, np.sub(np.div(np.mul(b, w), np.sub(xs, 1)), np.mul(b, 0.5)));
  let factor: NdArray = np.onesLike(xs);
  ZETA_A.forEach((c, i) => {
    factor = np.mul(factor, np.add(xs, 2 * i));
    b = np.div(b, w);
    sum = np.add(sum, np.div(np.mul(factor, b), c));
    factor = np.mul(factor, np.add(xs, 2 * i + 1));
    b = np.div(b, w);
  });
  const pole = np.logicalOr(np.equal(x, 1), np.logicalAnd(np.greater(x, 1), isPole(a)));
  return np.where(ok, sum, np.where(pole, Infinity, NaN));
}

/**
 * The polygamma function psi^(n)(x): digamma for n = 0, (-1)^(n+1) n! zeta(n + 1, x) for
 * integers n >= 1 (x > 0; inf at the poles 0, -1, ...); NaN for a negative or fractional n.
 */
export function polygamma(n: Operand, x: Operand): NdArray {
  const [m, v] = np.broadcastArrays(asFloat(n), asFloat(x));
  const order = np.where(np.greater(m, 0), m, 1);
  const sign = np.where(np.equal(np.remainder(order, 2), 1), 1, -1);
  const higher = np.mul(np.mul(sign, np.exp(lgamma(np.add(order, 1)))), zeta(np.add(order, 1), v));
  const valid = np.logicalAnd(np.greaterEqual(m, 0), np.equal(np.floor(m), m));
  return np.where(valid, np.where(np.equal(m, 0), laxDigamma(v), higher), NaN);
}

/**
 * The log of the multivariate gamma function of dimension d:
 * d (d - 1) / 4 log(pi) + sum_{j=1..d} gammaln(a - (j - 1) / 2).
 */
export function multigammaln(a: Operand, d: number): NdArray {
  if (!Number.isInteger(d) || d < 1) throw new Error(`multigammaln: d must be a positive integer, got ${d}`);
  const x = asFloat(a);
  let total = np.zerosLike(x);
  for (let j = 0; j < d; j++) total = np.add(total, lgamma(np.sub(x, j / 2)));
  return np.add(total, (d * (d - 1) * Math.log(Math.PI)) / 4);
}

/** n! as Gamma(n + 1) (SciPy's exact=False), 0 for n < 0. */
export function factorial(n: Operand): NdArray {
  const v = asFloat(n);
  return np.where(np.less(v, 0), 0, np.exp(lgamma(np.add(v, 1))));
}

/**
 * The binomial coefficient N choose k as Gamma functions (SciPy's exact=False), 0 unless
 * 0 <= k <= N; with `repetition`, the multiset coefficient comb(N + k - 1, k) (1 at k = 0, N >= 0).
 */
export function comb(N: Operand, k: Operand, { repetition = false }: { readonly repetition?: boolean } = {}): NdArray {
  const [n, r] = np.broadcastArrays(asFloat(N), asFloat(k));
  if (repetition) return np.where(np.logicalAnd(np.equal(r, 0), np.greaterEqual(n, 0)), 1, comb(np.sub(np.add(n, r), 1), r));
  const inside = np.logicalAnd(np.logicalAnd(np.greaterEqual(r, 0), np.greaterEqual(n, 0)), np.lessEqual(r, n));
  const log = np.sub(np.sub(lgamma(np.add(n, 1)), lgamma(np.add(r, 1))), lgamma(np.add(np.sub(n, r), 1)));
  return np.where(inside, np.exp(log), 0);
}

/** The principal branch of log Gamma(x) for real x (jax.scipy.special.loggamma): gammaln for x > 0, NaN elsewhere. */
export function loggamma(x: Operand): NdArray {
  const v = asFloat(x);
  return np.where(np.greater(v, 0), gammaln(v), NaN);
}

/** The Pochhammer symbol (z)_m = Gamma(z + m) / Gamma(z), 1 at m = 0 (jax.scipy.special.poch). */
export function poch(z: Operand, m: Operand): NdArray {
  const [a, b] = np.broadcastArrays(asFloat(z), asFloat(m));
  return np.where(np.equal(b, 0), 1, np.div(gamma(np.add(a, b)), gamma(a)));
}
