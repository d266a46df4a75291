/**
 * jax.scipy.special's error functions and the normal distribution's: erf, erfc, erfinv, ndtr,
 * ndtri, log_ndtr. erf, erfc and erfinv are lib/ops's; ndtri is Cephes' rational approximation
 * (as JAX's); log_ndtr follows JAX's three regions with its asymptotic series below -10.
 */
import { type NdArray, customJvp } from '../core/index.js';
import * as np from '../ops/index.js';
import { erfInv, erfc as laxErfc } from '../ops/lax-elementwise.js';
import { type Operand, asFloat, p1evl, polevl } from './util.js';

/** The error function (np.erf, within 2 float32 ulps). */
export function erf(x: Operand): NdArray {
  return np.erf(asFloat(x));
}

/** lax.erfc with its limits at ±inf (0 and 2; lax.erfc's exp(-z^2) split gives inf - inf = NaN there). */
function erfcWithLimits(x: NdArray): NdArray {
  return np.where(np.equal(x, Infinity), 0, np.where(np.equal(x, -Infinity), 2, laxErfc(x)));
}

/** The complementary error function 1 - erf(x), with relative accuracy in the upper tail (lax.erfc); 0 at inf, 2 at -inf. */
export function erfc(x: Operand): NdArray {
  return erfcWithLimits(asFloat(x));
}

/** The inverse error function on (-1, 1) (lax.erfInv): ±inf at ±1, NaN beyond. */
export function erfinv(x: Operand): NdArray {
  return erfInv(asFloat(x));
}

/** The standard normal CDF, from erf near 0 and erfc in the tails (JAX's scheme: relative accuracy in the lower tail); 0 at -inf, 1 at inf. */
export function ndtr(x: Operand): NdArray {
  const v = asFloat(x);
  const z = np.mul(np.abs(v), Math.SQRT1_2);
  const tail = erfcWithLimits(z);
  const y = np.where(np.less(z, Math.SQRT1_2), np.add(1, np.erf(np.mul(v, Math.SQRT1_2))), np.where(np.greater(v, 0), np.sub(2, tail), tail));
  return np.mul(y, 0.5);
}

// Cephes ndtri.c: the central region |p - 1/2| <= 1/2 - exp(-2), and the tails for sqrt(-2 log p) below and above 8.
const P0 = [-5.99633501014107895267e1, 9.80010754185999661536e1, -5.66762857469070293439e1, 1.39312609387279679503e1, -1.23916583867381258016e0];
const Q0 = [1.95448858338141759834e0, 4.67627912898881538453e0, 8.63602421390890590575e1, -2.25462687854119370527e2, 2.00260212380060660359e2, -8.20372256168333339912e1, 1.59056225126211695515e1, -1.18331621121330003142e0];
const P1 = [4.05544892305962419923e0, 3.15251094599893866154e1, 5.71628192246421288162e1, 4.40805073893200834700e1, 1.46849561928858024014e1, 2.18663306850790267539e0, -1.40256079171354495875e-1, -3.50424626827848203418e-2, -8.57456785154685413611e-4];
const Q1 = [1.57799883256466749731e1, 4.53907635128879210584e1, 4.13172038254672030440e1, 1.50425385692907503408e1, 2.50464946208309415979e0, -1.42182922854787788574e-1, -3.80806407691578277194e-2, -9.33259480895457427372e-4];
const P2 = [3.23774891776946035970e0, 6.91522889068984211695e0, 3.93881025292474443415e0, 1.33303460815807542389e0, 2.01485389549179081538e-1, 1.23716634817820021358e-2, 3.01581553508235416007e-4, 2.65806974686737550832e-6, 6.23974539184983293730e-9];
const Q2 = [6.02427039364742014255e0, 3.67983563856160859403e0, 1.37702099489081330271e0, 2.16236993594496635890e-1, 1.34204006088543189037e-2, 3.28014464682127739104e-4, 2.89247864745380683936e-6, 6.79019408009981274425e-9];
const EXP_M2 = Math.exp(-2);

/**
 * The inverse of ndtr (Cephes' ndtri, as JAX): -inf at 0, inf at 1, NaN outside [0, 1]. The
 * upper tail is computed from 1 - p, which is exact there, so both tails keep their digits.
 */
export function ndtri(p: Operand): NdArray {
  const v = asFloat(p);
  const upper = np.greater(v, 1 - EXP_M2);
  const y = np.where(upper, np.sub(1, v), v);
  const central = np.greater(y, EXP_M2);
  const c = np.sub(np.where(central, y, 0.5), 0.5);
  const c2 = np.mul(c, c);
  const inner = np.mul(np.add(c, np.mul(c, np.div(np.mul(c2, polevl(c2, P0)), p1evl(c2, Q0)))), Math.sqrt(2 * Math.PI));
  const t = np.sqrt(np.mul(-2, np.log(np.where(central, EXP_M2, y))));
  const z = np.div(1, t);
  const near = np.less(t, 8);
  const correction = np.mul(z, np.where(near, np.div(polevl(z, P1), p1evl(z, Q1)), np.div(polevl(z, P2), p1evl(z, Q2))));
  const tail = np.sub(np.sub(t, np.div(np.log(t), t)), correction);
  const out = np.where(central, inner, np.where(upper, tail, np.neg(tail)));
  const edges = np.where(np.equal(v, 0), -Infinity, np.where(np.equal(v, 1), Infinity, NaN));
  return np.where(np.logicalAnd(np.greater(v, 0), np.less(v, 1)), out, edges);
}

const LOG_NDTR_LOWER = -10; // JAX's float32 boundary for the asymptotic series
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log ndtr(x) for x <= -10: -x^2/2 - log(-x) - log(2 pi)/2 + log(1 - 1/x^2 + 3/x^4 - 15/x^6) (JAX's series of order 3). */
function logNdtrLower(x: NdArray): NdArray {
  const x2 = np.mul(x, x);
  const inv = np.div(1, x2);
  const series = np.add(1, np.mul(inv, np.add(-1, np.mul(inv, np.add(3, np.mul(inv, -15))))));
  return np.add(np.sub(np.sub(np.mul(x2, -0.5), np.log(np.neg(x))), HALF_LOG_2PI), np.log(series));
}

function logNdtrPlain(x: NdArray): NdArray {
  const upper = np.greater(x, 0);
  const lower = np.lessEqual(x, LOG_NDTR_LOWER);
  // log1p(-ndtr(-x)) above 0 (JAX takes log(ndtr(x)) up to 5, which loses the small result's digits).
  const high = np.log1p(np.neg(ndtr(np.neg(np.where(upper, x, 0)))));
  const middle = np.log(ndtr(np.where(upper, 0, np.maximum(x, LOG_NDTR_LOWER))));
  const low = logNdtrLower(np.minimum(x, LOG_NDTR_LOWER));
  return np.where(upper, high, np.where(lower, low, middle));
}

const logNdtrRule = customJvp(logNdtrPlain, ([x]: NdArray[], [dx]: NdArray[]) => {
  const out = logNdtrPlain(x!);
  // JAX's rule: d/dx log ndtr(x) = exp(log pdf(x) - log ndtr(x)), finite far in the lower tail.
  const logPdf = np.sub(np.mul(np.mul(x!, x!), -0.5), HALF_LOG_2PI);
  return [out, np.mul(dx!, np.exp(np.sub(logPdf, out)))];
}) as (x: NdArray) => NdArray;

/** log(ndtr(x)), accurate far into both tails (log_ndtr(-20) = -203.917); JAX's derivative rule pdf(x) / ndtr(x). */
export function logNdtr(x: Operand): NdArray {
  return logNdtrRule(asFloat(x));
}
