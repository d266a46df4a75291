/**
 * The regularized incomplete beta function I_x(a, b) (jax.scipy.special.betainc): the
 * continued fraction of Numerical Recipes' betacf, evaluated by the modified Lentz method
 * with a fixed number of steps (so it traces, batches and differentiates through plain
 * operations), on the side of the mean where it converges fast (x < (a + 1) / (a + b + 2),
 * else 1 - I_{1-x}(b, a)). d/dx is the exact density (JAX's rule); d/da and d/db go through
 * the fraction's operations (JAX raises for them).
 */
import { type NdArray, customJvp, jvp } from '../core/index.js';
import * as np from '../ops/index.js';
import { STIRLING_FROM, betaln, stirlerr } from './special-gamma.js';
import { type Operand, asFloat } from './util.js';

/** Steps of the continued fraction: near the mean it needs 15 of them at a = b = 100, 34 at 1000, 47 at 10^4 (float32 convergence). */
const STEPS = 48;
const TINY = 1e-30;

/** Keeps a Lentz denominator from being exactly 0 (NR's FPMIN guard, as one addition: a select per step costs more than the step). */
const awayFromZero = (v: NdArray) => np.add(v, TINY);

/** The continued fraction of I_x(a, b) a B(a, b) / (x^a (1 - x)^b), by the modified Lentz method. */
function fraction(a: NdArray, b: NdArray, x: NdArray): NdArray {
  const qab = np.add(a, b);
  let c: NdArray = np.onesLike(x);
  let d = np.div(1, awayFromZero(np.sub(1, np.div(np.mul(qab, x), np.add(a, 1)))));
  let h = d;
  const step = (coefficient: NdArray) => {
    d = np.div(1, awayFromZero(np.add(1, np.mul(coefficient, d))));
    c = awayFromZero(np.add(1, np.div(coefficient, c)));
    h = np.mul(h, np.mul(d, c));
  };
  for (let m = 1; m <= STEPS; m++) {
    const a2m = np.add(a, 2 * m);
    step(np.div(np.mul(np.mul(np.sub(b, m), x), m), np.mul(np.sub(a2m, 1), a2m)));
    step(np.div(np.mul(np.neg(np.mul(np.add(a, m), np.add(qab, m))), x), np.mul(a2m, np.add(a2m, 1))));
  }
  return h;
}

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** a (log1p(e / a) - e / a): the part of a log(x s / a) left once the e terms of a and b cancel. */
const log1pMinus = (a: NdArray, e: NdArray) => np.mul(a, np.sub(np.log1p(np.div(e, a)), np.div(e, a)));

/**
 * log(x^a (1 - x)^b / B(a, b)), 0 < x < 1. With a, b >= 8, betaln in Stirling's form is folded
 * in first: with s = a + b and e = x s - a, a log(x s / a) + b log((1 - x) s / b) =
 * a (log1p(e / a) - e / a) + b (log1p(-e / b) + e / b), so no terms of size a log x cancel.
 */
function logFront(a: NdArray, b: NdArray, x: NdArray): NdArray {
  const direct = np.sub(np.add(np.mul(a, np.log(x)), np.mul(b, np.log1p(np.neg(x)))), betaln(a, b));
  const large = np.logicalAnd(np.greaterEqual(a, STIRLING_FROM), np.greaterEqual(b, STIRLING_FROM));
  const [p, q] = [np.where(large, a, STIRLING_FROM), np.where(large, b, STIRLING_FROM)];
  const s = np.add(p, q);
  const e = np.sub(np.mul(x, s), p);
  const main = np.add(log1pMinus(p, e), log1pMinus(q, np.neg(e)));
  const halfLogs = np.mul(np.sub(np.add(np.log(p), np.log(q)), np.log(s)), 0.5);
  const stirling = np.sub(np.sub(np.add(main, halfLogs), HALF_LOG_2PI), np.sub(np.add(stirlerr(p), stirlerr(q)), stirlerr(s)));
  return np.where(large, stirling, direct);
}

/**
 * [I_x(a, b), 1 - I_x(a, b)] on broadcast float32 operands, given x and xc = 1 - x (so callers
 * with an exact 1 - x, as the t and binomial distributions, keep it), with JAX's (XLA's) edges:
 * a = 0 or b = inf gives 1 (0 at x = 0); b = 0 or a = inf gives 0 (1 at x = 1); [0, 1] at x = 0,
 * [1, 0] at xc = 0; NaN for a < 0, b < 0, x outside [0, 1], both of the above, or a NaN.
 */
function plain(a: NdArray, b: NdArray, x: NdArray, xc: NdArray): [NdArray, NdArray] {
  const finite = np.logicalAnd(np.isfinite(a), np.isfinite(b));
  const ok = np.logicalAnd(np.logicalAnd(np.logicalAnd(np.greater(a, 0), np.greater(b, 0)), finite), np.logicalAnd(np.greaterEqual(x, 0), np.greaterEqual(xc, 0)));
  const inner = np.logicalAnd(ok, np.logicalAnd(np.greater(x, 0), np.greater(xc, 0)));
  const [sa, sb] = [np.where(ok, a, 1), np.where(ok, b, 1)];
  const [sx, sxc] = [np.where(inner, x, 0.5), np.where(inner, xc, 0.5)];
  // The fraction converges fast below the mean: there (a, b, x), else (b, a, 1 - x) and the complement.
  const swap = np.greater(sx, np.div(np.add(sa, 1), np.add(np.add(sa, sb), 2)));
  const [p, q, y] = [np.where(swap, sb, sa), np.where(swap, sa, sb), np.where(swap, sxc, sx)];
  const tail = np.div(np.mul(np.exp(logFront(p, q, y)), fraction(p, q, y)), p);
  const rest = np.sub(1, tail);
  const aZero = np.logicalOr(np.equal(a, 0), np.equal(b, Infinity));
  const bZero = np.logicalOr(np.equal(b, 0), np.equal(a, Infinity));
  const outside = np.logicalOr(np.logicalOr(np.less(a, 0), np.less(b, 0)), np.logicalOr(np.less(x, 0), np.less(xc, 0)));
  const anyNan = np.logicalOr(np.logicalOr(np.isnan(a), np.isnan(b)), np.logicalOr(np.isnan(x), np.isnan(xc)));
  const nan = np.logicalOr(np.logicalOr(outside, anyNan), np.logicalAnd(aZero, bZero));
  // Off the interior the mass sits at 0 (I = 1 for x > 0) unless b is 0 or a inf (at 1: I = 1 only at xc = 0).
  const edge = np.where(np.where(bZero, np.equal(xc, 0), np.greater(x, 0)), 1, 0);
  const pick = (inside: NdArray, atEdge: NdArray) => np.where(nan, NaN, np.where(inner, inside, atEdge));
  return [pick(np.where(swap, rest, tail), edge), pick(np.where(swap, tail, rest), np.sub(1, edge))];
}

/** The beta density x^(a-1) (1 - x)^(b-1) / B(a, b) = d/dx I_x(a, b), from logFront (no cancellation for large a, b). */
function density(a: NdArray, b: NdArray, x: NdArray, xc: NdArray): NdArray {
  return np.exp(np.sub(logFront(a, b, x), np.add(np.log(x), np.log(xc))));
}

/** JAX's d/dx rule (the density), here with x and xc each driving the side that reads it; d/da, d/db through the operations. */
const withRule = customJvp(plain, ([a, b, x, xc]: NdArray[], [da, db, dx, dxc]: NdArray[]) => {
  const [value, viaShape] = jvp((p: NdArray, q: NdArray) => plain(p, q, x!, xc!), [a!, b!], [da!, db!]) as [NdArray[], NdArray[]];
  const swap = np.greater(x!, np.div(np.add(a!, 1), np.add(np.add(a!, b!), 2)));
  const dLower = np.mul(np.where(swap, np.neg(dxc!), dx!), density(a!, b!, x!, xc!));
  const dx0 = np.where(np.logicalAnd(np.greater(x!, 0), np.greater(xc!, 0)), dLower, 0);
  return [value, [np.add(viaShape[0]!, dx0), np.sub(viaShape[1]!, dx0)]];
}) as (a: NdArray, b: NdArray, x: NdArray, xc: NdArray) => [NdArray, NdArray];

/** [I_x(a, b), 1 - I_x(a, b)] with 1 - x given as xc, each accurate where small (for the distributions' cdf and sf). */
export function betaincPair(a: Operand, b: Operand, x: Operand, xc: Operand): [NdArray, NdArray] {
  const [p, q, y, yc] = np.broadcastArrays(asFloat(a), asFloat(b), asFloat(x), asFloat(xc));
  return withRule(p, q, y, yc);
}

/**
 * The regularized incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and
 * 0 <= x <= 1, with JAX's limits at a or b = 0 or inf (1 for a = 0 or b = inf, 0 for b = 0 or
 * a = inf, except at the ends); NaN for negative a, b, x outside [0, 1] or a NaN; arguments broadcast. Float32-accurate (a few e-6)
 * for a, b up to about 10^4.
 */
export function betainc(a: Operand, b: Operand, x: Operand): NdArray {
  const y = asFloat(x);
  return betaincPair(a, b, y, np.sub(1, y))[0];
}
