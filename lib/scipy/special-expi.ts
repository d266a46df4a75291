/**
 * jax.scipy.special's exponential integrals expi (Ei) and exp1 (E1), and spence (the
 * dilogarithm, SciPy's convention), in float32 from plain operations with fixed step counts.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Operand, asFloat, polevl } from './util.js';

const EULER = 0.5772156649015329;
const SERIES_TERMS = 60;
const FRACTION_STEPS = 40;
const ASYMPTOTIC_TERMS = 14;
/** E1 by its series up to here, by its continued fraction above. */
const E1_SERIES_TO = 1;
/** Ei by its series up to here, by its asymptotic series above. */
const EI_SERIES_TO = 20;

/** sum_{k>=1} s^k x^k / (k k!), s = 1 (Ei) or -1 (E1): the series part of Ei(x) and -E1(x) after gamma + log x. */
function powerSeries(x: NdArray, sign: 1 | -1): NdArray {
  let term = np.mul(x, sign);
  let sum = term;
  for (let k = 2; k <= SERIES_TERMS; k++) {
    term = np.mul(term, np.div(np.mul(x, sign * (k - 1)), k * k));
    sum = np.add(sum, term);
  }
  return sum;
}

/** E1(x) e^x for x >= 1 by the continued fraction 1 / (x + 1 - 1 / (x + 3 - 4 / (x + 5 - ...))), modified Lentz. */
function e1Fraction(x: NdArray): NdArray {
  let b = np.add(x, 1);
  let c: NdArray = np.fullLike(b, 1e30);
  let d = np.div(1, b);
  let h = d;
  for (let i = 1; i <= FRACTION_STEPS; i++) {
    b = np.add(b, 2);
    d = np.div(1, np.add(np.mul(-i * i, d), b));
    c = np.add(b, np.div(-i * i, c));
    h = np.mul(h, np.mul(d, c));
  }
  return h;
}

/** E1(x) for x > 0, 0 at inf (SciPy's; the fraction's inf / inf avoided); inputs elsewhere replaced by 1 / 2. */
function e1Positive(v: NdArray): NdArray {
  const low = np.lessEqual(v, E1_SERIES_TO);
  const infinite = np.equal(v, Infinity);
  const xs = np.where(np.logicalAnd(low, np.greater(v, 0)), v, 0.5);
  const xl = np.where(np.logicalOr(low, infinite), 2, v);
  const series = np.sub(np.sub(-EULER, np.log(xs)), powerSeries(xs, -1));
  return np.where(infinite, 0, np.where(low, series, np.mul(np.exp(np.neg(xl)), e1Fraction(xl))));
}

/** Ei(x) for x > 0: its series to 20, e^x / x sum_k k! / x^k above. */
function eiPositive(v: NdArray): NdArray {
  const low = np.lessEqual(v, EI_SERIES_TO);
  const xs = np.where(np.logicalAnd(low, np.greater(v, 0)), v, 1);
  const xl = np.where(low, 2 * EI_SERIES_TO, v);
  const series = np.add(np.add(EULER, np.log(xs)), powerSeries(xs, 1));
  let term: NdArray = np.onesLike(xl);
  let sum = term;
  for (let k = 1; k <= ASYMPTOTIC_TERMS; k++) {
    term = np.div(np.mul(term, k), xl);
    sum = np.add(sum, term);
  }
  // e^x / x as two halves, so it overflows only where Ei does.
  const half = np.exp(np.mul(xl, 0.5));
  return np.where(low, series, np.mul(half, np.div(np.mul(half, sum), xl)));
}

/** The exponential integral E1(x) = int_x^inf e^-t / t dt for x > 0; inf at 0, NaN below (the real part is not taken). */
export function exp1(x: Operand): NdArray {
  const v = asFloat(x);
  return np.where(np.greater(v, 0), e1Positive(v), np.where(np.equal(v, 0), Infinity, NaN));
}

/** The exponential integral Ei(x) = -PV int_-x^inf e^-t / t dt: -E1(-x) below 0, -inf at 0. */
export function expi(x: Operand): NdArray {
  const v = asFloat(x);
  return np.where(np.greater(v, 0), eiPositive(v), np.where(np.less(v, 0), np.neg(e1Positive(np.neg(v))), np.where(np.equal(v, 0), -Infinity, NaN)));
}

// Cephes spence.c's rational approximation on [1/2, 3/2].
const SPENCE_A = [4.65128586073990045278e-5, 7.31589045238094711071e-3, 1.3384763957830901865e-1, 8.79691311754530315341e-1, 2.7114985119655346992, 4.25697156008121755724, 3.29771340985225106936, 1.00000000000000000126];
const SPENCE_B = [6.90990488912553276999e-4, 2.54043763932544379113e-2, 2.82974860602568089943e-1, 1.41172597751831069617, 3.63800533345137075418, 5.0327888014331699039, 3.54771340985225096217, 9.9999999999999999874e-1];
const PI2_6 = (Math.PI * Math.PI) / 6;

/**
 * Spence's function int_1^x log(t) / (1 - t) dt for x >= 0 (SciPy's spence, the dilogarithm
 * Li2(1 - x)); NaN below 0. Cephes' reduction: x > 2 by 1 / x, then w = 1/x - 1, -x or x - 1
 * on the rational approximation, with the reflection terms.
 */
export function spence(x: Operand): NdArray {
  const v = asFloat(x);
  const ok = np.greater(v, 0);
  const inverted = np.greater(v, 2);
  const y = np.where(ok, np.where(inverted, np.div(1, v), v), 1);
  const high = np.greater(y, 1.5);
  const low = np.less(y, 0.5);
  const w = np.where(high, np.sub(np.div(1, y), 1), np.where(low, np.neg(y), np.sub(y, 1)));
  let s = np.neg(np.div(np.mul(w, polevl(w, SPENCE_A)), polevl(w, SPENCE_B)));
  s = np.where(low, np.sub(np.sub(PI2_6, np.mul(np.log(y), np.log1p(np.neg(y)))), s), s);
  const z = np.log(y);
  s = np.where(np.logicalOr(inverted, high), np.sub(np.mul(np.mul(z, z), -0.5), s), s);
  return np.where(ok, s, np.where(np.equal(v, 0), PI2_6, NaN));
}
