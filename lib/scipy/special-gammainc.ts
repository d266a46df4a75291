/**
 * The regularized incomplete gamma functions P(a, x) (gammainc) and Q(a, x) = 1 - P
 * (gammaincc): the power series where x < a + 1, Legendre's continued fraction (modified
 * Lentz) elsewhere, each with a fixed number of steps, so they trace, batch and differentiate
 * (in a and x) through plain operations. Float32-accurate for a up to about 100.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { lgamma } from '../ops/lax-elementwise.js';
import { STIRLING_FROM, stirlerr } from './special-gamma.js';
import { type Operand, asFloat } from './util.js';

const STEPS = 64;
const TINY = 1e-30;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log(x^a e^-x / Gamma(a)). For a >= 8 as a (log1p(t) - t) + log(a) / 2 - log(2 pi) / 2 -
 * stirlerr(a) with t = (x - a) / a: the large terms a log x, x and lgamma(a) cancel first.
 */
function logPrefactor(a: NdArray, x: NdArray): NdArray {
  const direct = np.sub(np.sub(np.mul(a, np.log(x)), x), lgamma(a));
  const as = np.maximum(a, STIRLING_FROM);
  const t = np.div(np.sub(x, as), as);
  const stirling = np.sub(np.add(np.mul(as, np.sub(np.log1p(t), t)), np.mul(np.log(as), 0.5)), np.add(stirlerr(as), HALF_LOG_2PI));
  return np.where(np.less(a, STIRLING_FROM), direct, stirling);
}

/** P(a, x) by its series x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)). */
function lowerSeries(a: NdArray, x: NdArray): NdArray {
  let term = np.div(1, a);
  let sum = term;
  for (let n = 1; n <= STEPS; n++) {
    term = np.mul(term, np.div(x, np.add(a, n)));
    sum = np.add(sum, term);
  }
  return np.mul(sum, np.exp(logPrefactor(a, x)));
}

/** Keeps a Lentz denominator away from 0. */
const awayFromZero = (v: NdArray) => np.where(np.less(np.abs(v), TINY), TINY, v);

/** Q(a, x) by Legendre's continued fraction, evaluated by the modified Lentz method. */
function upperFraction(a: NdArray, x: NdArray): NdArray {
  let b = np.sub(np.add(x, 1), a);
  let c: NdArray = np.fullLike(b, 1 / TINY);
  let d = np.div(1, awayFromZero(b));
  let h = d;
  for (let i = 1; i <= STEPS; i++) {
    const an = np.mul(-i, np.sub(i, a));
    b = np.add(b, 2);
    d = np.div(1, awayFromZero(np.add(np.mul(an, d), b)));
    c = awayFromZero(np.add(b, np.div(an, c)));
    h = np.mul(h, np.mul(d, c));
  }
  return np.mul(h, np.exp(logPrefactor(a, x)));
}

/**
 * [P, Q] on the broadcast operands, with JAX's (XLA's igamma) edges: P(a, 0) = 0, P(a, inf) = 1,
 * P(0, x > 0) = 1, P(inf, x) = 0 for finite x; NaN for a < 0, x < 0, a = x = 0, a = x = inf or NaN.
 */
function incompleteGamma(a: Operand, x: Operand): [NdArray, NdArray] {
  const [s, v] = np.broadcastArrays(asFloat(a), asFloat(x));
  const ok = np.logicalAnd(np.logicalAnd(np.greater(s, 0), np.isfinite(s)), np.logicalAnd(np.greater(v, 0), np.isfinite(v)));
  const series = np.less(v, np.add(s, 1));
  const safeA = np.where(ok, s, 1);
  // Each method sees only inputs it converges on: the series x < a + 1, the fraction x >= a + 1.
  const p = lowerSeries(safeA, np.where(np.logicalAnd(ok, series), v, 0.5));
  const q = upperFraction(safeA, np.where(np.logicalAnd(ok, series), np.add(safeA, 1), np.where(ok, v, 2)));
  const lower = np.where(series, p, np.sub(1, q));
  const upper = np.where(series, np.sub(1, p), q);
  const [aZero, xZero, aInf, xInf] = [np.equal(s, 0), np.equal(v, 0), np.equal(s, Infinity), np.equal(v, Infinity)];
  const domain = [np.less(s, 0), np.less(v, 0), np.logicalAnd(aZero, xZero), np.logicalAnd(aInf, xInf), np.isnan(s), np.isnan(v)];
  const nan = domain.reduce((m, c) => np.logicalOr(m, c));
  // Off the interior: P is 1 at x = inf or a = 0 (x > 0), else 0 (x = 0, or a = inf).
  const edgeP = np.where(np.logicalOr(xInf, aZero), 1, 0);
  const pick = (inside: NdArray, edge: NdArray) => np.where(nan, NaN, np.where(ok, inside, edge));
  return [pick(lower, edgeP), pick(upper, np.sub(1, edgeP))];
}

/** The regularized lower incomplete gamma function P(a, x) = gamma(a, x) / Gamma(a). */
export function gammainc(a: Operand, x: Operand): NdArray {
  return incompleteGamma(a, x)[0];
}

/** The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate where it is small. */
export function gammaincc(a: Operand, x: Operand): NdArray {
  return incompleteGamma(a, x)[1];
}
