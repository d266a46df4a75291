/**
 * jax.scipy.special's erfcx (scaled complementary error function), dawsn (Dawson's integral)
 * and expn (generalized exponential integral E_n), in float32 from np operations (so jit / vmap /
 * grad trace them; expn has JAX's derivative rule d/dx E_n = -E_{n-1}).
 */
import { type NdArray, customJvp } from '../core/index.js';
import * as np from '../ops/index.js';
import { erfc } from './special-ndtr.js';
import { digamma } from './special-gamma.js';
import { exp1 } from './special-expi.js';
import { type Operand, asFloat } from './util.js';

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
/** erfcx by exp(x^2) erfc(x) below here, by Laplace's continued fraction at and above. */
const ERFCX_FRACTION_FROM = 2;
/** Depth of the fraction: 1e-9 relative at x = 2 (float64 check), less further out. */
const ERFCX_FRACTION_DEPTH = 24;

/** erfc(x) e^(x^2) sqrt(pi) = 1 / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), evaluated from its tail (stable for x > 0). */
function erfcxFraction(x: NdArray): NdArray {
  let t = x;
  for (let k = ERFCX_FRACTION_DEPTH; k >= 1; k--) t = np.add(x, np.div(k / 2, t));
  return np.div(INV_SQRT_PI, t);
}

/**
 * The scaled complementary error function exp(x^2) erfc(x): the continued fraction from x = 2
 * (0 at inf), exp(x^2) erfc(x) below (inf from about x = -9.4, where exp(x^2) overflows float32).
 */
export function erfcx(x: Operand): NdArray {
  const v = asFloat(x);
  const far = np.greaterEqual(v, ERFCX_FRACTION_FROM);
  const xn = np.where(far, 0, v);
  const xf = np.where(far, v, ERFCX_FRACTION_FROM);
  const near = np.mul(np.exp(np.mul(xn, xn)), erfc(xn));
  return np.where(np.equal(v, Infinity), 0, np.where(far, erfcxFraction(xf), near));
}

// Rybicki's method (Numerical Recipes' dawson): a Gaussian-weighted sum over grid points 2 n h around x, h = 0.4.
const DAWSON_H = 0.4;
const DAWSON_TERMS = 6;
const DAWSON_C = Array.from({ length: DAWSON_TERMS }, (_, i) => Math.exp(-(((2 * i + 1) * DAWSON_H) ** 2)));
/** Below this |x|, Dawson's series x (1 - 2/3 x^2 (1 - 2/5 x^2 (1 - 2/7 x^2))). */
const DAWSON_SERIES_TO = 0.2;
/** Above this |x|, the asymptotic 1/(2x) (1 + 1/(2x^2)) (the grid sum's index overflows float32's integers). */
const DAWSON_ASYMPTOTIC_FROM = 1e4;

/** Rybicki's sum for x >= 0 (x not past DAWSON_ASYMPTOTIC_FROM). */
function dawsonRybicki(x: NdArray): NdArray {
  const n0 = np.mul(2, np.round(np.div(np.mul(0.5, x), DAWSON_H)));
  const xp = np.sub(x, np.mul(n0, DAWSON_H));
  let e1 = np.exp(np.mul(2 * DAWSON_H, xp));
  const e2 = np.mul(e1, e1);
  let sum: NdArray = np.zerosLike(x);
  for (let i = 0; i < DAWSON_TERMS; i++) {
    const d1 = np.add(n0, 2 * i + 1);
    const d2 = np.sub(n0, 2 * i + 1);
    sum = np.add(sum, np.mul(DAWSON_C[i]!, np.add(np.div(e1, d1), np.div(1, np.mul(d2, e1)))));
    e1 = np.mul(e1, e2);
  }
  return np.mul(np.mul(INV_SQRT_PI, np.exp(np.neg(np.mul(xp, xp)))), sum);
}

/** Dawson's integral exp(-x^2) int_0^x exp(t^2) dt (odd; 0 at ±inf): its series near 0, Rybicki's sum, 1/(2x) far out. */
export function dawsn(x: Operand): NdArray {
  const v = asFloat(x);
  const a = np.abs(v);
  // The odd series in x itself (not |x|), so its derivative at 0 is 1.
  const x2 = np.mul(v, v);
  const series = np.mul(v, np.sub(1, np.mul(np.mul(2 / 3, x2), np.sub(1, np.mul(np.mul(0.4, x2), np.sub(1, np.mul(2 / 7, x2)))))));
  const mid = np.logicalAnd(np.greaterEqual(a, DAWSON_SERIES_TO), np.less(a, DAWSON_ASYMPTOTIC_FROM));
  const rybicki = dawsonRybicki(np.where(mid, a, 1));
  const af = np.where(np.less(a, DAWSON_ASYMPTOTIC_FROM), DAWSON_ASYMPTOTIC_FROM, a);
  const far = np.div(np.add(1, np.div(0.5, np.mul(af, af))), np.mul(2, af));
  return np.where(np.less(a, DAWSON_SERIES_TO), series, np.mul(np.sign(v), np.where(mid, rybicki, far)));
}

const EXPN_SERIES_TERMS = 30;
const EXPN_FRACTION_STEPS = 48;

/**
 * E_n(x) for whole n >= 2 and 0 < x <= 1 (Cephes' series): (-x)^(n-1) / (n-1)! (psi(n) - log x)
 * - sum_{k != n-1} (-x)^k / ((k - n + 1) k!).
 */
function expnSeries(n: NdArray, x: NdArray): NdArray {
  let power: NdArray = np.onesLike(x); // (-x)^k / k!
  let sum: NdArray = np.zerosLike(x);
  let lead: NdArray = np.zerosLike(x); // (-x)^(n-1) / (n-1)!
  for (let k = 0; k < EXPN_SERIES_TERMS; k++) {
    const isLead = np.equal(n, k + 1);
    lead = np.where(isLead, power, lead);
    sum = np.add(sum, np.where(isLead, 0, np.div(power, np.sub(k + 1, n))));
    power = np.div(np.mul(power, np.neg(x)), k + 1);
  }
  // n - 1 past the series' terms: (-x)^(n-1)/(n-1)! is below float32's resolution of the sum there (x <= 1).
  return np.sub(np.mul(lead, np.sub(digamma(n), np.log(x))), sum);
}

/** E_n(x) for x > 1 by its continued fraction (modified Lentz), n >= 1. */
function expnFraction(n: NdArray, x: NdArray): NdArray {
  let b = np.add(x, n);
  let c: NdArray = np.fullLike(b, 1e30);
  let d = np.div(1, b);
  let h = d;
  for (let i = 1; i <= EXPN_FRACTION_STEPS; i++) {
    const an = np.mul(-i, np.add(np.sub(n, 1), i));
    b = np.add(b, 2);
    d = np.div(1, np.add(np.mul(an, d), b));
    c = np.add(b, np.div(an, c));
    h = np.mul(h, np.mul(d, c));
  }
  return np.mul(h, np.exp(np.neg(x)));
}

/** E_n(x) without its derivative rule. */
function expnValue(n: NdArray, x: NdArray): NdArray {
  const whole = np.logicalAnd(np.equal(np.floor(n), n), np.greaterEqual(n, 0));
  const bad = np.logicalOr(np.logicalNot(whole), np.logicalOr(np.less(x, 0), np.isnan(x)));
  const big = np.greater(x, 1);
  const safeN = np.where(whole, np.maximum(n, 1), 1);
  const xs = np.where(np.logicalAnd(np.greater(x, 0), np.logicalNot(big)), x, 0.5);
  const xl = np.where(np.logicalAnd(big, np.isfinite(x)), x, 2);
  const general = np.where(big, expnFraction(safeN, xl), expnSeries(np.maximum(safeN, 2), xs));
  const positive = np.where(np.equal(n, 0), np.div(np.exp(np.neg(x)), x), np.where(np.equal(n, 1), exp1(np.where(np.greater(x, 0), x, 1)), general));
  const atZero = np.where(np.greater(n, 1), np.div(1, np.sub(n, 1)), Infinity);
  return np.where(bad, NaN, np.where(np.equal(x, 0), atZero, np.where(np.equal(x, Infinity), 0, positive)));
}

const expnWithRule = customJvp(
  (n: NdArray, x: NdArray) => expnValue(n, x),
  ([n, x]: NdArray[], [, dx]: NdArray[]) => {
    // JAX's rule: d/dx E_n(x) = -E_{n-1}(x) (n = 0: -E_0 - E_0 / x); no derivative in n.
    const y = expnValue(n!, x!);
    const e0 = np.div(np.exp(np.neg(x!)), x!);
    const dy = np.where(np.equal(n!, 0), np.neg(np.add(e0, np.div(e0, x!))), np.neg(expnValue(np.sub(n!, 1), x!)));
    return [y, np.mul(dy, dx!)];
  },
) as (n: NdArray, x: NdArray) => NdArray;

/**
 * The generalized exponential integral E_n(x) = int_1^inf e^(-x t) / t^n dt for whole n >= 0 and
 * x >= 0 (series to x = 1, continued fraction beyond; E_0 = e^-x / x, E_1 = exp1); 1 / (n - 1)
 * at x = 0 for n > 1 (inf for n <= 1), 0 at inf, NaN for x < 0, n < 0 or fractional n.
 */
export function expn(n: Operand, x: Operand): NdArray {
  const [nb, xb] = np.broadcastArrays(asFloat(n), asFloat(x));
  return expnWithRule(nb!, xb!);
}
