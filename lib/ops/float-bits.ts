/**
 * float32's binary layout without bit views (tfjs has no bitcast): frexp, nextafter and
 * spacing, as jax.numpy's (JAX without x64, so float32; NumPy's float32 results bit for bit).
 * Every value is built from exact operations: scaling by powers of two (read from a table, not
 * computed by `pow`), and additions whose results are representable. Integer and bool inputs
 * become float32 first (jax.numpy's promote_args_inexact). Subnormals need a backend that keeps
 * them (cpu, wasm).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as lax from '../core/lax.js';
import type { NdArray } from '../core/trace.js';
import { broadcastArrays } from './broadcast.js';
import { isnan } from './elementwise-math.js';
import { type ArrayOrNumber, abs, add, cast, equal, floor, greaterEqual, isfinite, less, log, logicalAnd, logicalNot, logicalOr, maximum, minimum, mul, neg, sub, toFloat, where } from './math.js';

/** float32's smallest exponent of a power of two (the least subnormal, 2^-149) and its largest (2^127). */
const MIN_EXP = -149;
const MAX_EXP = 127;
/** The largest finite float32, (2 - 2^-23) 2^127. */
const FLOAT32_MAX = (2 - 2 ** -23) * 2 ** 127;

/** 2^k exactly, for int32 k (clamped to [-149, 127]): a gather from a table of float32 powers of two. */
export function pow2(k: NdArray): NdArray {
  const table = tf.tensor1d(Array.from({ length: MAX_EXP - MIN_EXP + 1 }, (_, i) => 2 ** (i + MIN_EXP)), 'float32');
  return lax.gather(table, minimum(maximum(sub(k, MIN_EXP), 0), MAX_EXP - MIN_EXP), 0);
}

/** x as a float32 array (a JS number a scalar). */
const inexact = (x: ArrayOrNumber): NdArray => (typeof x === 'number' ? lax.scalar(x, 'float32') : toFloat(x));

/**
 * Splits x into a mantissa in [0.5, 1) (with x's sign) and an int32 exponent, x = m 2^e
 * (numpy's frexp); 0, +-Infinity and NaN give themselves and exponent 0.
 * @example const [m, e] = np.frexp(np.array([8, -3, 0.1])); // m [0.5, -0.75, 0.8], e [4, 2, -3]
 */
export function frexp(x: ArrayOrNumber): [NdArray, NdArray] {
  const v = inexact(x);
  const special = logicalOr(equal(v, 0), logicalNot(isfinite(v)));
  const tiny = less(abs(v), 2 ** -126);
  // Subnormals scaled by 2^64 become normal; then log2 gives the exponent to within one, and one correction fixes it.
  const s = where(special, 1, where(tiny, mul(abs(v), 2 ** 64), abs(v)));
  let e = cast(floor(mul(log(s), 1 / Math.LN2)), 'int32');
  let m = mul(s, pow2(sub(-1, e)));
  const big = greaterEqual(m, 1);
  [m, e] = [where(big, mul(m, 0.5), m), where(big, add(e, 1), e)];
  const small = less(m, 0.5);
  [m, e] = [where(small, mul(m, 2), m), where(small, sub(e, 1), e)];
  const exponent = where(special, 0, sub(add(e, 1), where(tiny, 64, 0)));
  return [where(special, v, where(less(v, 0), neg(m), m)), cast(exponent, 'int32')];
}

/**
 * The float32 next to x1 in the direction of x2, elementwise (numpy's nextafter): x2 where
 * they are equal, NaN where either is NaN, +-2^-149 from zero, the largest finite float32
 * from an infinity.
 * @example np.nextafter(np.array([1, 0]), 2) // [1.0000001, 1.4e-45]
 */
export function nextafter(x1: ArrayOrNumber, x2: ArrayOrNumber): NdArray {
  const [a, b] = broadcastArrays(inexact(x1), inexact(x2));
  const [m, e] = frexp(a);
  const up = less(a, b);
  // One unit in the last place is 2^(e - 24); half that going down from a power of two (towards zero).
  const towardZero = logicalOr(logicalAnd(up, less(a, 0)), logicalAnd(logicalNot(up), less(0, a)));
  const below = logicalAnd(towardZero, equal(abs(m), 0.5));
  const step = pow2(maximum(sub(sub(e, 24), where(below, 1, 0)), MIN_EXP));
  const sum = add(a, where(up, step, neg(step)));
  // A step to zero keeps a's sign (-2^-149 goes to -0), as NumPy's bit decrement.
  const moved = where(equal(sum, 0), mul(a, 0), sum);
  const fromZero = where(up, 2 ** MIN_EXP, -(2 ** MIN_EXP));
  // (An integral JS number would be a weak int32 in where: the bound is given as a float32 array.)
  const fromInf = mul(lax.scalar(FLOAT32_MAX, 'float32'), where(less(a, 0), -1, 1));
  const r = where(equal(a, 0), fromZero, where(isfinite(a), moved, fromInf));
  return where(logicalOr(isnan(a), isnan(b)), NaN, where(equal(a, b), b, r));
}

/**
 * The distance from x to the next float32 away from zero, with x's sign (numpy's spacing:
 * spacing(1) is float32's eps, spacing(-1) is -eps, spacing(0) is 2^-149); NaN for infinities.
 * @example np.spacing(np.array([1, -1, 0])) // [1.1920929e-7, -1.1920929e-7, 1.4e-45]
 */
export function spacing(x: ArrayOrNumber): NdArray {
  const v = inexact(x);
  const d = sub(nextafter(v, where(less(v, 0), -Infinity, Infinity)), v);
  return where(isfinite(v), d, NaN);
}
