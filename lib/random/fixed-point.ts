/**
 * 64-bit fixed-point fractions from pairs of random int32 words, for gumbel's 'highest' mode
 * (JAX's _safe_int_to_float): the words as four 16-bit limbs in float32 (exact), negated
 * modulo 2^64, and truncated to a float32. int32 division splits the words: exact on cpu and
 * wasm (webgpu's int32 kernels compute in float32).
 */
import { type NdArray, scope } from '../core/index.js';
import * as np from '../ops/index.js';

/**
 * The 64-bit fraction (hi 2^32 + lo) 2^-64 of two int32 words (uint32 bit patterns) truncated
 * to float32, as JAX's _safe_int_to_float.
 */
export function safeIntToFloat(hi: NdArray, lo: NdArray): NdArray {
  return scope(() => fixedToFloat([...limbs16(hi), ...limbs16(lo)]));
}

/** The 16-bit halves [high, low] of int32 words as uint32 bit patterns, as float32 (exact). */
export function limbs16(w: NdArray): NdArray[] {
  const q = np.floorDivide(w, 65536);
  return [np.cast(np.where(np.less(q, 0), np.add(q, 65536), q), 'float32'), np.cast(np.sub(w, np.mul(q, 65536)), 'float32')];
}

/** 2^64 - v for v given as four 16-bit limbs (most significant first), in limbs (wrapping 0 to 0). */
export function negate64(limbs: NdArray[]): NdArray[] {
  const out: NdArray[] = [];
  let carry: NdArray | number = 1;
  for (let i = limbs.length - 1; i >= 0; i--) {
    const sum = np.add(np.sub(65535, limbs[i]!), carry);
    const over = np.greaterEqual(sum, 65536);
    out.unshift(np.where(over, np.sub(sum, 65536), sum));
    carry = np.cast(over, 'float32');
  }
  return out;
}

/** The range of exponents pow2 covers. */
const POW2_BIAS = 100;

/** 2^e for integer e in [-POW2_BIAS, POW2_BIAS], by lookup (exact on every backend). */
function pow2(e: NdArray): NdArray {
  const table = np.array(Array.from({ length: 2 * POW2_BIAS + 1 }, (_, i) => 2 ** (i - POW2_BIAS)));
  return np.take(table, np.cast(np.add(e, POW2_BIAS), 'int32'));
}

/**
 * The 64-bit fraction v 2^-64 (v as four 16-bit limbs, most significant first) truncated to
 * float32's 24 significant bits; 2^-65 for v = 0 (as JAX's _safe_int_to_float).
 */
export function fixedToFloat(limbs: NdArray[]): NdArray {
  const places = np.array(Array.from({ length: 16 }, (_, k) => 2 ** k));
  // Bit length of v: the highest non-zero limb's bit length plus the limbs below it.
  const lengths = limbs.map((l, i) => {
    const len = np.sum(np.cast(np.greaterEqual(np.expandDims(l, -1), places), 'float32'), -1);
    return np.where(np.greater(len, 0), np.add(len, 16 * (limbs.length - 1 - i)), 0);
  });
  const length = lengths.reduce((a, b) => np.maximum(a, b));
  const drop = np.sub(length, 24); // the bits below the 24 kept (negative: none dropped)
  // floor(v / 2^drop) limb by limb: the limbs' bits are disjoint, so the floors add up without carries.
  const mantissa = limbs.reduce<NdArray | number>((acc, l, i) => np.add(acc, np.floor(np.mul(l, pow2(np.sub(16 * (limbs.length - 1 - i), drop))))), 0);
  return np.where(np.equal(length, 0), 2 ** -65, np.mul(mantissa, pow2(np.sub(drop, 64))));
}
