/**
 * jax.lax's elementwise functions, with lax's strict operand rules rather than jax.numpy's:
 * operands of one dtype (no promotion; a JS number takes the other operand's dtype, as a
 * weakly typed Python scalar does), and shapes equal up to rank-0 operands and size-1 dims
 * of equal ranks (JAX's `_broadcasting_shape_rule`; different ranks are an error). Floating
 * functions refuse integer arrays, as JAX's dtype rules do. Integer `div` rounds toward
 * zero and `rem` takes the dividend's sign (C semantics; XLA's x / 0 = -1 and x % 0 = x).
 */
import { isFloat } from '../core/aval.js';
import * as core from '../core/lax.js';
import type { BinaryPrim } from '../core/prim-types.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { bitwiseAnd as npAnd, bitwiseNot as npNot, bitwiseOr as npOr, bitwiseXor as npXor, leftShift, rightShift } from './bitwise.js';
import { arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh, cbrt as npCbrt, ceil as npCeil, cosh as npCosh, exp2 as npExp2, signbit, sinh as npSinh, tan as npTan, truncatedRemainder } from './elementwise-math.js';
import { abs as npAbs, add as npAdd, div as npDiv, exp as npExp, floatPow, greaterEqual, less, log as npLog, logicalAnd, logicalOr, minimum as npMinimum, mul as npMul, neg as npNeg, notEqual, sub as npSub, where } from './math.js';
import { erfinv } from '../random/keys.js';
import { type DTypeClass, type LaxOperand, checkDType, strictBinary as binary, strictUnary as unary } from './lax-operands.js';

const prim = (op: string, cls: DTypeClass, p: BinaryPrim) => binary(op, cls, (a, b) => core.binary(p, a, b));

export const add = prim('add', 'numeric', 'add');
export const sub = prim('sub', 'numeric', 'sub');
export const mul = prim('mul', 'numeric', 'mul');
/** Elementwise maximum; NaN propagates. */
export const max = prim('max', 'any', 'max');
/** Elementwise minimum; NaN propagates. */
export const min = prim('min', 'any', 'min');
export const eq = prim('eq', 'any', 'eq');
export const ne = prim('ne', 'any', 'ne');
export const lt = prim('lt', 'ordered', 'lt');
export const le = prim('le', 'ordered', 'le');
export const gt = prim('gt', 'ordered', 'gt');
export const ge = prim('ge', 'ordered', 'ge');

/** Integer quotient rounded toward zero (the primitive floors); x / 0 = -1 as XLA's. */
function truncDiv(a: NdArray, b: NdArray): NdArray {
  const q = core.div(a, b);
  const inexact = notEqual(npMul(q, b), a);
  const signsDiffer = notEqual(less(a, 0), less(b, 0));
  const t = where(logicalAnd(inexact, signsDiffer), npAdd(q, 1), q);
  return where(core.eq(b, core.scalarLike(0, b)), -1, t);
}

/** x / y: floats divide, integers round toward zero (C semantics, not np.floorDivide's floor). */
export const div = binary('div', 'numeric', (a, b) => (isFloat(avalOf(a).dtype) ? core.div(a, b) : truncDiv(a, b)));

/**
 * C's fmod: x - y trunc(x / y), with the dividend's sign (np.mod takes the divisor's).
 * Integers: exact, x % 0 = x. Floats: np.fmod's exact remainder (rem(1, 0.1) = 0.099999994,
 * as C's fmodf; rem(x, inf) = x for a finite x); derivatives 1 and -trunc(x / y), as JAX's.
 */
export const rem = binary('rem', 'numeric', (a, b) => (isFloat(avalOf(a).dtype) ? truncatedRemainder(a, b) : npSub(a, npMul(b, truncDiv(a, b)))));

/** x ** y for float x; y of x's dtype, or int32 (as JAX allows). C's pow (XLA's): 1 ** y = 1 and (-1) ** +-inf = 1, NaN y included. */
export function pow(x: LaxOperand, y: LaxOperand): NdArray {
  if (typeof x !== 'number' && typeof y !== 'number' && avalOf(x).dtype === 'float32' && avalOf(y).dtype === 'int32') y = core.cast(y, 'float32');
  return binary('pow', 'float', (a, b) => floatPow(a, b, x, y))(x, y);
}

/** atan2(y, x), the angle of the point (x, y). */
export const atan2 = binary('atan2', 'float', arctan2);

export const bitwiseAnd = binary('bitwiseAnd', 'intOrBool', (a, b) => npAnd(a, b));
export const bitwiseOr = binary('bitwiseOr', 'intOrBool', (a, b) => npOr(a, b));
export const bitwiseXor = binary('bitwiseXor', 'intOrBool', (a, b) => npXor(a, b));
/** ~x (logical not on bool). */
export function bitwiseNot(x: NdArray): NdArray {
  checkDType('bitwiseNot', x, 'intOrBool');
  return npNot(x);
}

/** Shift counts as XLA reads them: unsigned, so a negative count shifts everything out (32). */
const counts = (n: NdArray) => where(less(n, 0), 32, n);

/** x << n, wrapping as int32; counts >= 32 or negative give 0. */
export const shiftLeft = binary('shiftLeft', 'int', (a, n) => leftShift(a, counts(n)));
/** x >> n with the sign filling in; counts >= 32 or negative give 0 or -1. */
export const shiftRightArithmetic = binary('shiftRightArithmetic', 'int', (a, n) => rightShift(a, counts(n)));
/**
 * x >>> n (zeros fill in): for negative x, the arithmetic shift plus 2^(32 - n), added as
 * two halves 2^(31 - n) so no intermediate leaves int32; counts >= 32 or negative give 0.
 */
export const shiftRightLogical = binary('shiftRightLogical', 'int', (a, n) => {
  const c = counts(n);
  const arithmetic = rightShift(a, c);
  const half = leftShift(core.scalarLike(1, c), npSub(31, where(greaterEqual(c, 31), 31, c)));
  const logical = where(less(a, 0), npAdd(npAdd(arithmetic, half), half), arithmetic);
  return where(greaterEqual(c, 32), 0, where(core.eq(c, core.scalarLike(0, c)), a, logical));
});

// ---- unary ----


export const neg = unary('neg', 'numeric', core.neg);
export const abs = unary('abs', 'numeric', npAbs);
export const sign = unary('sign', 'numeric', core.sign);
export const floor = unary('floor', 'float', (x) => core.unary('floor', x));
export const ceil = unary('ceil', 'float', npCeil);
export const isFinite = unary('isFinite', 'float', (x) => core.unary('is_finite', x));
export const exp = unary('exp', 'float', npExp);
export const exp2 = unary('exp2', 'float', npExp2);
export const log = unary('log', 'float', npLog);
export const log1p = unary('log1p', 'float', (x) => core.unary('log1p', x));
export const expm1 = unary('expm1', 'float', (x) => core.unary('expm1', x));
export const tanh = unary('tanh', 'float', core.tanh);
export const logistic = unary('logistic', 'float', core.logistic);
export const sqrt = unary('sqrt', 'float', core.sqrt);
export const rsqrt = unary('rsqrt', 'float', core.rsqrt);
export const cbrt = unary('cbrt', 'float', npCbrt);
export const sin = unary('sin', 'float', core.sin);
export const cos = unary('cos', 'float', core.cos);
export const tan = unary('tan', 'float', npTan);
export const asin = unary('asin', 'float', arcsin);
export const acos = unary('acos', 'float', arccos);
export const atan = unary('atan', 'float', arctan);
export const sinh = unary('sinh', 'float', npSinh);
export const cosh = unary('cosh', 'float', npCosh);
export const asinh = unary('asinh', 'float', arcsinh);
export const acosh = unary('acosh', 'float', arccosh);
export const atanh = unary('atanh', 'float', arctanh);
export const erf = unary('erf', 'float', (x) => core.unary('erf', x));
/** The inverse error function (M. Giles' float32 polynomial, as XLA's): ±inf at ±1, NaN beyond. */
export const erfInv = unary('erfInv', 'float', (x) => where(core.eq(npAbs(x), core.scalarLike(1, x)), npMul(x, Infinity), erfinv(x)));
export const square = unary('square', 'numeric', (x) => core.mul(x, x));
/** 1 / x. */
export const reciprocal = unary('reciprocal', 'float', (x) => npDiv(1, x));

/** jax.lax.RoundingMethod: AWAY_FROM_ZERO (0, lax.round's default) or TO_NEAREST_EVEN (1). */
export const RoundingMethod = { AWAY_FROM_ZERO: 0, TO_NEAREST_EVEN: 1 } as const;

/**
 * Rounds to an integral value: halves away from zero by default (C's round), or to even with
 * RoundingMethod.TO_NEAREST_EVEN (np.round). Exact: |x| - trunc(|x|) is computed without
 * rounding, so 0.49999997 stays 0. Zero derivative.
 */
export function round(x: NdArray, roundingMethod: 0 | 1 = RoundingMethod.AWAY_FROM_ZERO): NdArray {
  checkDType('round', x, 'float');
  if (roundingMethod === RoundingMethod.TO_NEAREST_EVEN) return core.unary('round', x);
  if (roundingMethod !== RoundingMethod.AWAY_FROM_ZERO) throw new Error(`lax.round: roundingMethod must be 0 (AWAY_FROM_ZERO) or 1 (TO_NEAREST_EVEN), got ${roundingMethod}`);
  const u = npAbs(x);
  const t = core.unary('floor', u);
  const r = where(greaterEqual(npSub(u, t), 0.5), npAdd(t, 1), t);
  return where(signbit(x), core.neg(r), r);
}

/** x ** n for a JS integer n, by repeated squaring (integer x needs n >= 0). */
export function integerPow(x: NdArray, n: number): NdArray {
  checkDType('integerPow', x, 'numeric');
  if (!Number.isInteger(n)) throw new TypeError(`lax.integerPow: the exponent must be an integer, got ${n}`);
  if (n < 0 && !isFloat(avalOf(x).dtype)) throw new TypeError(`lax.integerPow: integers cannot be raised to the negative power ${n}`);
  let result: NdArray | null = null;
  let base = x;
  for (let k = Math.abs(n); k > 0; k >>= 1) {
    if (k & 1) result = result ? core.mul(result, base) : base;
    if (k > 1) base = core.mul(base, base);
  }
  const positive = result ?? core.full(shapeOf(x), 1, avalOf(x).dtype);
  return n < 0 ? npDiv(1, positive) : positive;
}

/** Where erfc(|x|) is 0 in float32 (below its smallest subnormal, 1.4e-45, from |x| = 10.06). */
const ERFC_ZERO_FROM = 11;

/**
 * The complementary error function 1 - erf(x), accurate in the tail (relative error < 1.2e-7
 * in exact arithmetic; Numerical Recipes' erfcc). exp(-z^2) is taken as exp(-h^2) exp(-(z - h)(z + h))
 * with h = z on a grid of 2^-8, whose square is exact in float32: a rounded z^2 would cost
 * a relative error of z^2 2^-24 (3e-6 at z = 9).
 */
export const erfc = unary('erfc', 'float', (x) => {
  // erfc(11) = 1.4e-54 is 0 in float32: clamping there keeps inf out of z - h (inf - inf) and gives erfc(+-inf) = 0 and 2.
  const z = npMinimum(npAbs(x), ERFC_ZERO_FROM);
  const t = npDiv(1, npAdd(npMul(z, 0.5), 1));
  const coefficients = [0.17087277, -0.82215223, 1.48851587, -1.13520398, 0.27886807, -0.18628806, 0.09678418, 0.37409196, 1.00002368, -1.26551223];
  const poly = coefficients.slice(1).reduce<NdArray>((p, c) => npAdd(npMul(p, t), c), npAdd(npMul(t, 0), coefficients[0]));
  const h = npDiv(core.unary('floor', npMul(z, 256)), 256);
  const gaussian = npMul(npExp(npNeg(npMul(h, h))), npExp(npNeg(npMul(npSub(z, h), npAdd(z, h)))));
  const tail = npMul(npMul(t, npExp(poly)), gaussian);
  return where(less(x, 0), npSub(2, tail), tail);
});

const LANCZOS_G = 7;
const LANCZOS = [676.520368121885098567009190444019, -1259.13921672240287047156078755283, 771.3234287776530788486528258894, -176.61502916214059906584551354, 12.507343278686904814458936853, -0.13857109526572011689554706, 9.984369578019570859563e-6, 1.50563273514931155834e-7];
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** log Gamma(x) for x >= 0.5 by Lanczos' approximation (g = 7, XLA's coefficients). */
function lgammaRight(x: NdArray): NdArray {
  const z = npSub(x, 1);
  const a = LANCZOS.reduce<NdArray>((s, c, i) => npAdd(s, npDiv(c, npAdd(z, i + 1))), core.full(shapeOf(z), 0.99999999999980993, 'float32'));
  const t = npAdd(z, LANCZOS_G + 0.5);
  const logT = npAdd(Math.log(LANCZOS_G + 0.5), core.unary('log1p', npDiv(z, LANCZOS_G + 0.5)));
  return npAdd(npSub(npMul(npAdd(z, 0.5), logT), t), npAdd(npLog(a), LOG_SQRT_2PI));
}

/** log|sin(pi x)|, the argument reduced to [0, 1/2] first so large |x| keeps its digits. */
function logAbsSinPi(x: NdArray): NdArray {
  const u = npAbs(x);
  const frac = npSub(u, core.unary('floor', u));
  const reduced = where(greaterEqual(frac, 0.5), npSub(1, frac), frac);
  return npLog(core.sin(npMul(reduced, Math.PI)));
}

/**
 * log|Gamma(x)|: Lanczos for x >= 0.5, the reflection log(pi) - log|sin(pi x)| - lgamma(1 - x)
 * below; +inf at 0, the negative integers and +-inf (as JAX). Each branch runs on safe inputs.
 */
export const lgamma = unary('lgamma', 'float', (x) => {
  const left = less(x, 0.5);
  const right = lgammaRight(where(left, npSub(1, x), x));
  const xl = where(left, x, 0.25);
  const reflected = npSub(npSub(Math.log(Math.PI), logAbsSinPi(xl)), right);
  const pole = logicalAnd(left, core.eq(core.unary('floor', x), x));
  // +inf: Lanczos' (x - 1/2) log t - t would be inf - inf.
  return where(logicalOr(pole, core.eq(x, core.scalarLike(Infinity, x))), Infinity, where(left, reflected, right));
});

/**
 * The digamma function (d/dx log Gamma): for x < 1/2 the reflection psi(1 - x) - pi / tan(pi x);
 * then psi(x) = psi(x + 6) - sum 1/(x + k) and the asymptotic series at x + 6. NaN at 0 and
 * the negative integers (XLA's choice).
 */
export const digamma = unary('digamma', 'float', (x) => {
  const left = less(x, 0.5);
  const v = where(left, npSub(1, x), x);
  let shift: NdArray = core.full(shapeOf(v), 0, 'float32');
  for (let k = 0; k < 6; k++) shift = npAdd(shift, npDiv(1, npAdd(v, k)));
  const w = npAdd(v, 6);
  const w2 = npDiv(1, npMul(w, w));
  const series = [1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132].reduceRight<NdArray>((p, c) => npMul(w2, npAdd(p, c)), core.full(shapeOf(w), 0, 'float32'));
  const psi = npSub(npSub(npSub(npLog(w), npDiv(0.5, w)), series), shift);
  const xl = where(left, x, 0.25);
  const reflected = npSub(psi, npDiv(Math.PI, npTan(npMul(xl, Math.PI))));
  const pole = logicalAnd(left, core.eq(core.unary('floor', x), x));
  return where(pole, NaN, where(left, reflected, psi));
});
