/**
 * jax.lax's float32 bit functions without bit views (tfjs has no bitcast): nextafter,
 * reduce_precision and bitcast_convert_type, built from float-bits.ts's exact frexp and
 * powers of two. Subnormals need a backend that keeps them (cpu, wasm).
 */
import { avalStr, type DType } from '../core/aval.js';
import { customJvp, customVjp } from '../core/custom-rules.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf } from '../core/trace.js';
import { rightShift } from './bitwise.js';
import { isnan, signbit } from './elementwise-math.js';
import { frexp, nextafter as npNextafter, pow2 } from './float-bits.js';
import { abs, add, cast, div, equal, greater, greaterEqual, isfinite, less, logicalAnd, maximum, mul, neg, sub, where } from './math.js';
import { checkDType, strictBinary } from './lax-operands.js';

/**
 * The float32 next to x1 towards x2 (C's nextafterf): x2 where they are equal (so the sign of
 * a zero comes from x2), NaN where either is NaN, +-2^-149 from a zero, the largest finite
 * from an infinity. Both operands float32 of one shape (lax's rule). No derivative, as JAX.
 * @example lax.nextafter(np.array([1, 0]), np.array([2, -1])) // [1.0000001, -1.4e-45]
 */
export const nextafter = strictBinary('nextafter', 'float', (a, b) => core.stopGradient(npNextafter(a, b)));

/** float32's exponent and mantissa widths. */
const F32_EXPONENT_BITS = 8;
const F32_MANTISSA_BITS = 23;

/** x rounded as reducePrecision describes (no derivative rule of its own). */
function roundToFormat(x: NdArray, exponentBits: number, mantissaBits: number): NdArray {
  const m = Math.min(mantissaBits, F32_MANTISSA_BITS);
  const emax = exponentBits >= F32_EXPONENT_BITS ? 127 : 2 ** (exponentBits - 1) - 1;
  // The format's least normal exponent; a wider exponent than float32's reaches below every float32.
  const emin = exponentBits > F32_EXPONENT_BITS ? -149 : 1 - emax;
  const a = abs(x);
  // The quantum at a: 2^(max(floor(log2 a), emin) - m), no finer than float32's 2^-149 (values are then exact).
  const quantum = pow2(maximum(sub(maximum(sub(frexp(a)[1], 1), emin), m), -149));
  // a / quantum is exact (a power of two), below 2^(m + 1); round halves it to even.
  const rounded = mul(core.unary('round', div(a, quantum)), quantum);
  const largest = (2 - 2 ** -m) * 2 ** emax;
  const r = exponentBits >= F32_EXPONENT_BITS ? rounded : where(greater(rounded, largest), Infinity, rounded);
  return where(isfinite(x), where(signbit(x), neg(r), r), x);
}

/**
 * x rounded to a float format with `exponentBits` and `mantissaBits` (jax.lax.reduce_precision,
 * XLA's ReducePrecision): to nearest with ties to even, the format's subnormals kept, values
 * past its largest finite to +-inf; NaN and infinities stay. (5, 10) is float16's rounding,
 * (8, 7) bfloat16's. Linear derivative, as JAX: the tangent is rounded the same way.
 * @example lax.reducePrecision(np.array([1 + 2 ** -11]), 5, 10) // [1] (float16's tie to even)
 */
export function reducePrecision(x: NdArray, exponentBits: number, mantissaBits: number): NdArray {
  checkDType('reducePrecision', x, 'float');
  if (!Number.isInteger(exponentBits) || exponentBits < 1) throw new Error(`lax.reducePrecision: exponentBits must be an integer >= 1, got ${exponentBits}`);
  if (!Number.isInteger(mantissaBits) || mantissaBits < 0) throw new Error(`lax.reducePrecision: mantissaBits must be an integer >= 0, got ${mantissaBits}`);
  if (exponentBits >= F32_EXPONENT_BITS && mantissaBits >= F32_MANTISSA_BITS) return x;
  const rounding = (v: NdArray) => roundToFormat(v, exponentBits, mantissaBits);
  // The tangent map is the rounding itself, transposed to itself (JAX's deflinear).
  const linear = customVjp(rounding, { fwd: (t: NdArray) => [rounding(t), null], bwd: (_r: unknown, ct: NdArray) => [rounding(ct)] });
  return customJvp(rounding, ([v]: NdArray[], [t]: NdArray[]) => [rounding(v), linear(t)])(x) as NdArray;
}

const TWO_23 = 2 ** 23;
const INT32_MIN = -(2 ** 31);

/** float32 -> its IEEE bits as int32 (NaN as the canonical quiet NaN 0x7fc00000). */
function floatBits(x: NdArray): NdArray {
  const a = abs(x);
  const [mant, e] = frexp(a);
  const isNormal = logicalAnd(isfinite(a), greaterEqual(a, 2 ** -126));
  // Normal: exponent field e + 126, fraction (2m - 1) 2^23; subnormal: fraction a 2^149; inf: 255, 0.
  const field = where(isNormal, add(e, 126), where(isfinite(a), 0, 255));
  const fraction = where(isNormal, mul(sub(mul(mant, 2), 1), TWO_23), where(isfinite(a), mul(mul(a, 2 ** 100), 2 ** 49), 0));
  const magnitude = add(mul(cast(field, 'int32'), TWO_23), cast(fraction, 'int32'));
  const bits = where(signbit(x), add(magnitude, core.scalar(INT32_MIN, 'int32')), magnitude);
  return where(isnan(x), core.scalar(0x7fc00000, 'int32'), bits);
}

/** int32 bits -> the float32 they encode. */
function bitsFloat(b: NdArray): NdArray {
  const negative = less(b, 0);
  const u = where(negative, sub(b, core.scalar(INT32_MIN, 'int32')), b);
  const field = rightShift(u, 23);
  const fraction = cast(sub(u, mul(field, TWO_23)), 'float32');
  const normal = mul(add(mul(fraction, 2 ** -23), 1), pow2(sub(field, 127)));
  const subnormal = mul(mul(fraction, 2 ** -100), 2 ** -49);
  const special = where(equal(fraction, 0), Infinity, NaN);
  const magnitude = where(equal(field, 0), subnormal, where(equal(field, 255), special, normal));
  return where(negative, neg(magnitude), magnitude);
}

/**
 * x's bits read as `newDtype` (jax.lax.bitcast_convert_type) for the 32-bit dtypes: float32
 * <-> int32 (IEEE 754 single layout; every NaN reads as the quiet NaN 0x7fc00000), the same
 * dtype unchanged. bool has no 32-bit layout here and is refused. No derivative.
 * @example lax.bitcastConvertType(np.array([1, -2]), 'int32') // [1065353216, -1073741824]
 */
export function bitcastConvertType(x: NdArray, newDtype: DType): NdArray {
  const from = avalOf(x).dtype;
  if (from === 'bool' || newDtype === 'bool') throw new TypeError(`lax.bitcastConvertType: bool has no 32-bit layout, cannot convert ${avalStr(avalOf(x))} to ${newDtype}`);
  if (from === newDtype) return x;
  if (newDtype !== 'int32' && newDtype !== 'float32') throw new TypeError(`lax.bitcastConvertType: unsupported dtype ${String(newDtype)}`);
  return core.stopGradient(newDtype === 'int32' ? floatBits(x) : bitsFloat(x));
}
