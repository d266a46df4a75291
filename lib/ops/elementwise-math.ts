/**
 * jax.numpy's elementwise maths beyond lib/ops/math.ts, composed from primitives so every
 * transformation applies: trigonometric and hyperbolic functions and their inverses, log2,
 * exp2, cbrt, logaddexp, NaN/inf tests and replacements, NaN-ignoring extrema, integer-style
 * division (floorDivide, remainder, divmod, modf) and closeness tests. Integer and bool
 * inputs of the float functions are taken as float32, as NumPy does.
 */
import * as lax from '../core/lax.js';
import { avalOf, type NdArray } from '../core/trace.js';
import { isFloat } from '../core/aval.js';
import { resultDType } from '../core/promotion.js';
import { type ArrayOrNumber, abs, add, div, equal, exp, floor, greater, greaterEqual, less, lessEqual, log, log1p, logicalAnd, logicalOr, maximum, minimum, mul, neg, notEqual, pow, promote, sign, sqrt, sub, toFloat, where } from './math.js';
import { all } from './reductions.js';

const HALF_PI = Math.PI / 2;
const FLOAT32_MAX = 3.4028234663852886e38;
/** Above this, x^2 overflows float32 in the inverse hyperbolic formulas: there they are log(2x). */
const HUGE = 1e18;

/** Smallest integer >= x; integer and bool arrays are returned as they are. */
export function ceil(x: NdArray): NdArray {
  return isFloat(avalOf(x).dtype) ? neg(floor(neg(x))) : x;
}

/** Rounds towards zero. */
export function trunc(x: NdArray): NdArray {
  return isFloat(avalOf(x).dtype) ? where(less(x, 0), ceil(x), floor(x)) : x;
}

/** The tan primitive (sin / cos, two roundings and a division, was up to 2 ulp off). */
export const tan = (x: NdArray) => lax.tan(toFloat(x));
export const arctan = (x: NdArray) => lax.unary('atan', toFloat(x));

/**
 * asin as 2 atan(x / (1 + sqrt(1 - x^2))): no division by zero at |x| = 1, NaN beyond.
 * From |x| = 1/2, 1 - x^2 as (1 - x)(1 + x): near |x| = 1 the difference 1 - fl(x^2)
 * cancelled the square's rounding into ~7 ulp.
 */
export function arcsin(x: NdArray): NdArray {
  const f = toFloat(x);
  const oneMinusSquare = where(less(abs(f), 0.5), sub(1, mul(f, f)), mul(sub(1, f), add(1, f)));
  return mul(2, arctan(div(f, add(1, sqrt(oneMinusSquare)))));
}

/** acos as 2 atan(sqrt((1 - x) / (1 + x))): accurate near x = 1, where pi/2 - asin(x) cancels. */
export function arccos(x: NdArray): NdArray {
  const f = toFloat(x);
  return mul(2, arctan(sqrt(div(sub(1, f), add(1, f)))));
}

/**
 * The angle of the point (x, y), in (-pi, pi]. atan of the smaller over the larger
 * coordinate, so the ratio stays in [-1, 1] and both partial derivatives are right
 * everywhere but the origin; the quadrant from the signs (negative zeros count as negative, as C's atan2).
 */
export function arctan2(y: ArrayOrNumber, x: ArrayOrNumber): NdArray {
  const [py, px] = promote([y, x], 'arctan2', 'float32');
  // Two infinities point along a diagonal, as (+-1, +-1) does: atan2(inf, -inf) = 3 pi / 4 (C99), not inf / inf = NaN.
  const bothInf = logicalAnd(isinf(py), isinf(px));
  const [fy, fx] = [py, px].map((v) => where(bothInf, copysign(1, v), v)) as [NdArray, NdArray];
  const steep = greater(abs(fy), abs(fx));
  const den = where(steep, fy, fx);
  const t = arctan(div(where(steep, fx, fy), where(equal(den, 0), 1, den)));
  const flat = where(signbit(fx), add(t, where(signbit(fy), -Math.PI, Math.PI)), t); // x = -0 is on the negative side: atan2(0, -0) = pi
  return where(steep, sub(mul(sign(fy), HALF_PI), t), flat);
}

/** exp overflows float32 from 88.72; sinh and cosh only from 89.42. */
const EXP_SAFE = 88;

/**
 * g(u) for u <= EXP_SAFE, else exp(u) / 2 as (exp(u/2) / 2) exp(u - u/2), finite up to
 * cosh's own overflow. The second factor is written apart so that no cotangent sums into
 * exp(u/2) first (that sum times exp(u/2) is exp(u): inf). Each branch is computed on
 * values it takes, so no inf or NaN derivative leaks.
 */
function halfExpAbove(u: NdArray, g: (u: NdArray) => NdArray): NdArray {
  const big = greater(u, EXP_SAFE);
  const v = where(big, u, EXP_SAFE);
  const half = mul(v, 0.5);
  return where(big, mul(mul(exp(half), 0.5), exp(sub(v, half))), g(where(big, 0, u)));
}

/** sinh through expm1, exact near 0; odd, and finite up to its float32 overflow (exp(x) / 2 overflowed from 88.72). */
export function sinh(x: NdArray): NdArray {
  return odd(toFloat(x), (u) => halfExpAbove(u, (v) => mul(0.5, sub(lax.unary('expm1', v), lax.unary('expm1', neg(v))))));
}

/** cosh, finite up to its float32 overflow (89.42). */
export function cosh(x: NdArray): NdArray {
  return halfExpAbove(abs(toFloat(x)), (v) => mul(0.5, add(exp(v), exp(neg(v)))));
}


/**
 * An odd function from its values g(u) at u = |x| >= 0, split on the sign bit so that -0 gives
 * -g(0) = -0; the derivative at +0 comes from u = x there.
 */
function odd(x: NdArray, g: (u: NdArray) => NdArray): NdArray {
  const negative = signbit(x);
  const s = g(where(negative, neg(x), x));
  return where(negative, neg(s), s);
}

/** g(u) where u <= HUGE, else log(2u) (computed on 1 elsewhere, so no branch makes inf or NaN derivatives). */
function logTwiceAbove(u: NdArray, g: (u: NdArray) => NdArray): NdArray {
  const huge = greater(u, HUGE);
  return where(huge, add(log(where(huge, u, 1)), Math.LN2), g(where(huge, 1, u)));
}

/** asinh as log1p(u + u^2 / (1 + sqrt(1 + u^2))) on u = |x|: exact near 0. */
export function arcsinh(x: NdArray): NdArray {
  return odd(toFloat(x), (u) => logTwiceAbove(u, (v) => log1p(add(v, div(mul(v, v), add(1, sqrt(add(1, mul(v, v)))))))));
}

/**
 * acosh as log1p((x - 1) + sqrt(x - 1) sqrt(x + 1)): exact near 1; NaN below 1 (the square
 * root of the product (x - 1)(x + 1), positive below -1 too, gave -inf there).
 */
export function arccosh(x: NdArray): NdArray {
  return logTwiceAbove(toFloat(x), (v) => log1p(add(sub(v, 1), mul(sqrt(sub(v, 1)), sqrt(add(v, 1))))));
}

/** 1/3, 1/5, ..., 1/23: atanh(u) = u + u^3 (1/3 + u^2/5 + ...), truncated below 2^-26 relative for u < 1/2. */
const ATANH_SERIES = Array.from({ length: 11 }, (_, k) => 1 / (2 * k + 3));

/**
 * atanh on u = |x| (odd): below 1/2 its series u + u^3 P(u^2) (the log1p form lost up to
 * 3.5 ulp there on wasm, through log1p's own error); from 1/2, log1p(2u / (1 - u)) / 2, where
 * 1 - u is exact. +-inf at +-1, NaN beyond. (On x itself, near -1 the argument of log1p
 * neared -1 and its rounding cancelled: 3.6e5 ulp at -0.99999994.)
 */
export function arctanh(x: NdArray): NdArray {
  return odd(toFloat(x), (u) => {
    const below = less(u, 0.5);
    const s = where(below, u, 0); // the series on values where it converges (no inf or NaN derivative elsewhere)
    const z = mul(s, s);
    const [top, next, ...rest] = [...ATANH_SERIES].reverse() as [number, number, ...number[]];
    const p = rest.reduce((acc, k) => add(mul(acc, z), k), add(mul(z, top), next));
    return where(below, add(s, mul(mul(s, z), p)), mul(0.5, log1p(div(add(u, u), sub(1, u)))));
  });
}

export const log2 = (x: NdArray) => div(log(x), Math.LN2);
export const log10 = (x: NdArray) => div(log(x), Math.LN10);
export const exp2 = (x: NdArray) => pow(2, toFloat(x));

/**
 * The real cube root (negative for negative x): u^(1/3) and one Newton step,
 * y + (u / y^2 - y) / 3 (1/3 rounded to float32 made u^(1/3) up to 15 ulp off, at large and
 * small u); 0, inf and NaN as they are.
 */
export const cbrt = (x: NdArray) =>
  odd(toFloat(x), (u) => {
    const y = pow(u, 1 / 3);
    const ok = logicalAnd(greater(u, 0), lax.unary('is_finite', u));
    const [ys, us] = [where(ok, y, 1), where(ok, u, 1)];
    return where(ok, add(ys, div(sub(div(us, mul(ys, ys)), ys), 3)), y);
  });

/**
 * log(exp(x) + exp(y)) without overflow; -inf for two -inf (JAX's formulation). The larger
 * operand is picked by a select, not by maximum and abs, so that at x = y the derivative is
 * 1/2 for each, as JAX's custom JVP gives (maximum's 1/2 and abs's 1 at 0 cancelled to 0).
 */
export function logaddexp(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'logaddexp', 'float32');
  const delta = sub(a, b);
  const aLarger = greaterEqual(a, b);
  return where(isnan(delta), add(a, b), add(where(aLarger, a, b), log1p(exp(where(aLarger, neg(delta), delta)))));
}

/** Where x is NaN (never, for integer and bool arrays). */
export const isnan = (x: NdArray) => notEqual(x, x);
/** Where x is +inf or -inf. */
export const isinf = (x: NdArray) => (isFloat(avalOf(x).dtype) ? equal(abs(x), Infinity) : notEqual(x, x));
/** Whether x is +inf. */
export const isposinf = (x: NdArray) => equal(x, Infinity);
/** Whether x is -inf. */
export const isneginf = (x: NdArray) => equal(x, -Infinity);

/** Whether the sign bit is set: x < 0, and -0 (detected as 1 / x = -inf). NaN counts as positive. */
export function signbit(x: NdArray): NdArray {
  if (!isFloat(avalOf(x).dtype)) return less(x, 0);
  return logicalOr(less(x, 0), logicalAnd(equal(x, 0), less(div(1, x), 0)));
}

/** |x| with the sign of y. */
export function copysign(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'copysign', 'float32');
  return where(signbit(b), neg(abs(a)), abs(a));
}

/** Elementwise maximum ignoring NaN: the other operand where one is NaN (NaN only where both are). */
export function fmax(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'fmax');
  return where(isnan(b), a, where(isnan(a), b, maximum(a, b)));
}

/** Elementwise minimum ignoring NaN: the other operand where one is NaN (NaN only where both are). */
export function fmin(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'fmin');
  return where(isnan(b), a, where(isnan(a), b, minimum(a, b)));
}

/** NaN, +inf and -inf replaced (by 0 and the largest finite float32 values, by default). */
export function nanToNum(x: NdArray, opts: { nan?: number; posinf?: number; neginf?: number } = {}): NdArray {
  if (!isFloat(avalOf(x).dtype)) return x;
  const { nan = 0, posinf = FLOAT32_MAX, neginf = -FLOAT32_MAX } = opts;
  return where(isnan(x), nan, where(equal(x, Infinity), posinf, where(equal(x, -Infinity), neginf, x)));
}

/**
 * x // y: rounded towards -inf. Integers: exact, with x // 0 = 0 (NumPy's result); floats:
 * from the truncated remainder as NumPy's and JAX's divmod, (x - fmod(x, y)) / y moved down
 * by one where the remainder's sign differs from y's, so it agrees with `remainder`
 * (1 // 0.1 is 9, 1 // -inf is -1, inf // 2 is NaN); x // 0 is x / 0 (NumPy; JAX gives NaN).
 */
export function floorDivide(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = numericOperands(x, y, 'floorDivide');
  return isFloat(avalOf(a).dtype) ? floatFloorDivide(a, b) : lax.div(a, b);
}

/** NumPy's npy_divmod quotient for floats (see floorDivide); a zero quotient has the sign of x / y. */
function floatFloorDivide(a: NdArray, b: NdArray): NdArray {
  const m = truncatedRemainder(a, b);
  const q = lax.div(sub(a, m), b);
  const d = where(logicalAnd(notEqual(m, 0), notEqual(less(b, 0), less(m, 0))), sub(q, 1), q);
  // d is an integer up to rounding: the nearest one (floor, or one more above .5).
  const f = floor(d);
  const rounded = where(greater(sub(d, f), 0.5), add(f, 1), f);
  const quotient = where(equal(d, 0), zeroWithSignOf(d, lax.div(a, b)), rounded);
  return where(equal(b, 0), lax.div(a, b), quotient);
}

/**
 * The remainder with the sign of y, as NumPy's `%`: for floats JAX's formula (the truncated
 * remainder, moved by y where its sign differs from y's), so x % inf is x where they share a
 * sign and inf (-inf) where not; for integers x - y * floorDivide(x, y), with x % 0 = 0 (NumPy's result).
 */
export function remainder(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = numericOperands(x, y, 'remainder');
  if (isFloat(avalOf(a).dtype)) {
    const r = truncatedRemainder(a, b);
    // A zero remainder takes y's sign, as NumPy (0 % -inf = -0); JAX's formula keeps x's.
    return where(equal(r, 0), zeroWithSignOf(r, b), where(notEqual(less(r, 0), less(b, 0)), add(r, b), r));
  }
  return where(equal(b, 0), 0, sub(a, mul(b, floorDivide(a, b))));
}

/** x and y promoted together, bools as int32 (the integer-division functions have no bool form). */
function numericOperands(x: ArrayOrNumber, y: ArrayOrNumber, op: string): NdArray[] {
  const dtype = resultDType([x, y]);
  return promote([x, y], op, dtype === 'bool' ? 'int32' : dtype);
}

/** Veltkamp's split of float32 values into high and low halves of 12 bits each (hi + lo = v exactly). */
function split(v: NdArray): [NdArray, NdArray] {
  const c = mul(v, 4097);
  const hi = sub(c, sub(c, v));
  return [hi, sub(v, hi)];
}

/** x - q y without rounding the product (Dekker's exact product q y = p + e; x - p is exact near x). */
function exactResidual(x: NdArray, q: NdArray, y: NdArray): NdArray {
  const p = mul(q, y);
  const [[qh, ql], [yh, yl]] = [split(q), split(y)];
  const e = add(add(add(sub(mul(qh, yh), p), mul(qh, yl)), mul(ql, yh)), mul(ql, yl));
  return sub(sub(x, p), e);
}

/**
 * The float remainder with the sign of a (C's fmod, jax.lax.rem): a - b trunc(a / b) with the
 * residual computed exactly and, as a / b is rounded, corrected into (-|b|, |b|) with a's sign
 * (fmod(1, 0.1) = 0.099999994, as C's fmodf); a itself for a finite a over an infinite b; a
 * zero has a's sign (fmod(-4, 2) = -0). Where the exact residual overflows, the plain formula.
 */
export function truncatedRemainder(a: NdArray, b: NdArray): NdArray {
  const q = trunc(lax.div(a, b));
  const r0 = exactResidual(a, q, b);
  const sa = where(signbit(a), -1, 1);
  const r1 = where(logicalAnd(notEqual(r0, 0), notEqual(signbit(r0), signbit(a))), add(r0, mul(abs(b), sa)), r0);
  const exact = where(greaterEqual(abs(r1), abs(b)), sub(r1, mul(abs(b), sa)), r1);
  const plain = sub(a, mul(b, q));
  const r = where(logicalAnd(isinf(b), lax.unary('is_finite', a)), a, where(lax.unary('is_finite', exact), exact, plain));
  return where(equal(r, 0), zeroWithSignOf(r, a), r);
}

/** The zero r with the sign of s: ±0 - (stop(r) - r), so r's derivative (1) still flows. */
function zeroWithSignOf(r: NdArray, s: NdArray): NdArray {
  const zero = lax.zerosLike(r);
  const signed = where(signbit(s), lax.neg(zero), zero);
  return sub(signed, sub(lax.stopGradient(r), r));
}

/**
 * The remainder of x / y rounded towards zero, with the sign of x (NumPy's and jax.numpy's
 * fmod, C's fmod): fmod(-7, 2) = -1 where remainder gives 1. Floats: NaN for y = 0 or an
 * infinite x; integers: x fmod 0 = 0 (jax.numpy's result).
 */
export function fmod(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = numericOperands(x, y, 'fmod');
  if (isFloat(avalOf(a).dtype)) return truncatedRemainder(a, b);
  const r = remainder(a, b);
  return where(logicalAnd(notEqual(r, 0), notEqual(less(r, 0), less(a, 0))), sub(r, b), r);
}
export const mod = remainder;

/** [floorDivide(x, y), remainder(x, y)]. */
export function divmod(x: ArrayOrNumber, y: ArrayOrNumber): [NdArray, NdArray] {
  return [floorDivide(x, y), remainder(x, y)];
}

/**
 * [fractional part, integral part], both with x's sign, a zero one too (modf(-3) = [-0, -3],
 * as NumPy's C modf; jax.numpy's x - whole gives +0); +-inf splits into +-0 and +-inf.
 */
export function modf(x: NdArray): [NdArray, NdArray] {
  const f = toFloat(x);
  const whole = trunc(f);
  const negative = signbit(f);
  // -(whole - f) is f - whole with a zero signed negative; the derivative in x stays 1.
  const frac = where(negative, neg(sub(whole, f)), sub(f, whole));
  const inf = isinf(f);
  return [where(inf, div(1, where(inf, f, 1)), frac), whole]; // 1 / +-inf is +-0
}

/** isclose's and allclose's tolerances: `rtol` (default 1e-5), `atol` (1e-8), and `equalNan` (false). */
export interface IsCloseOptions { readonly rtol?: number; readonly atol?: number; readonly equalNan?: boolean }

/** The options object, or rtol, atol and equalNan positionally (NumPy's order). */
const closeOptions = (rtolOrOpts: number | IsCloseOptions, atol?: number, equalNan?: boolean): IsCloseOptions =>
  typeof rtolOrOpts === 'number' ? { rtol: rtolOrOpts, atol, equalNan } : rtolOrOpts;

/**
 * |a - b| <= atol + rtol |b| elementwise (infinities equal only to themselves; NaN equal to NaN
 * only with equalNan). The tolerances come as `{ rtol, atol, equalNan }` or positionally, as NumPy's.
 * @example np.isclose(a, b, { atol: 1e-6 }); np.isclose(a, b, 1e-3, 1e-6, true)
 */
export function isclose(a: ArrayOrNumber, b: ArrayOrNumber, rtolOrOpts: number | IsCloseOptions = {}, atolArg?: number, equalNanArg?: boolean): NdArray {
  const { rtol = 1e-5, atol = 1e-8, equalNan = false } = closeOptions(rtolOrOpts, atolArg, equalNanArg);
  const [x, y] = promote([a, b], 'isclose', 'float32');
  const finite = logicalAnd(lax.unary('is_finite', x), lax.unary('is_finite', y));
  const close = logicalOr(equal(x, y), logicalAnd(finite, lessEqual(abs(sub(x, y)), add(atol, mul(rtol, abs(y))))));
  return equalNan ? logicalOr(close, logicalAnd(isnan(x), isnan(y))) : close;
}

/** Whether every element is close (see {@link isclose}, the same tolerance arguments): a bool scalar. */
export const allclose = (a: ArrayOrNumber, b: ArrayOrNumber, rtolOrOpts: number | IsCloseOptions = {}, atol?: number, equalNan?: boolean) => all(isclose(a, b, closeOptions(rtolOrOpts, atol, equalNan)));

/** Whether a and b have one shape and equal elements: a bool scalar (false, without comparing, for different shapes). */
export function arrayEqual(a: NdArray, b: NdArray, equalNan = false): NdArray {
  const [sa, sb] = [avalOf(a).shape, avalOf(b).shape];
  if (sa.length !== sb.length || sa.some((d, i) => d !== sb[i])) return lax.scalar(0, 'bool');
  const eq = equal(a, b);
  return all(equalNan ? logicalOr(eq, logicalAnd(isnan(a), isnan(b))) : eq);
}

/** Whether a and b broadcast together and are equal everywhere: a bool scalar (false, without comparing, when they do not broadcast; numpy's array_equiv). */
export function arrayEquiv(a: NdArray, b: NdArray): NdArray {
  const [sa, sb] = [avalOf(a).shape, avalOf(b).shape];
  const broadcasts = [...Array(Math.min(sa.length, sb.length)).keys()].every((k) => {
    const [da, db] = [sa[sa.length - 1 - k], sb[sb.length - 1 - k]];
    return da === db || da === 1 || db === 1;
  });
  return broadcasts ? all(equal(a, b)) : lax.scalar(0, 'bool');
}
