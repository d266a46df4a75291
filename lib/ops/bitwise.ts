/**
 * Bitwise operations on int32 (and bool) arrays, as NumPy's on int32: and, or, xor, not,
 * leftShift, rightShift (arithmetic). tfjs has no bitwise kernels on every backend, so
 * they are composed from exact integer arithmetic: x's bits 0..30 are floorDivide(x, 2^k)
 * mod 2 along a new last axis, bit 31 is the sign, and a result is recombined as
 * sum(bit_k 2^k) - bit_31 2^31. Exact on cpu and wasm; webgpu's int32 kernels compute in
 * float32, so there they are exact for |x| < 2^24 only (see lib/core/lower/webgpu.ts).
 * Integer-valued: no derivatives.
 */
import * as tf from '@tensorflow/tfjs-core';
import { avalOf, type NdArray, shapeOf } from '../core/trace.js';
import { resultDType } from '../core/promotion.js';
import * as lax from '../core/lax.js';
import { type ArrayOrNumber, add, less, logicalAnd, logicalNot, logicalOr, minimum, mul, notEqual, promote, sub, sum, where } from './math.js';

/** The place values of bits 0..31 as int32 (bit 31 is -2^31), then 0 for shifted-out places. */
const PLACES = [...Array.from({ length: 31 }, (_, k) => 2 ** k), -(2 ** 31), 0];

/** 2^0..2^30 along the last axis of a rank r + 1 array. */
const powersAlongLast = (r: number) => tf.reshape(tf.tensor1d(PLACES.slice(0, 31), 'int32'), [...new Array(r).fill(1), 31]);

/** [bits 0..30 of x along a new last axis (0 or 1, int32), bit 31 (bool: x < 0)]. */
function bitsOf(x: NdArray): [NdArray, NdArray] {
  const r = shapeOf(x).length;
  const shifted = lax.div(lax.expandDims(x, r), powersAlongLast(r)); // int32 division floors: arithmetic shifts
  return [sub(shifted, mul(lax.div(shifted, lax.scalarLike(2, shifted)), 2)), less(x, 0)];
}

/** The int32 with bits 0..30 `low` (last axis) and sign bit `sign`. */
function fromBits(low: NdArray, sign: NdArray): NdArray {
  return add(sum(mul(low, powersAlongLast(shapeOf(low).length - 1)), -1), where(sign, -(2 ** 31), 0));
}

/** Both operands as int32 (or both bool, where the logical op is the answer). */
function operands(x: ArrayOrNumber, y: ArrayOrNumber, op: string): NdArray[] {
  const dtype = resultDType([x, y]);
  if (dtype === 'float32') throw new Error(`${op}: expected int32 or bool operands, got a float32 one`);
  return promote([x, y], op, dtype);
}

function bitwise(op: string, onBits: (a: NdArray, b: NdArray) => NdArray, onBool: (a: NdArray, b: NdArray) => NdArray) {
  return (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => {
    const [a, b] = operands(x, y, op);
    if (avalOf(a).dtype === 'bool') return onBool(a, b);
    const [[la, sa], [lb, sb]] = [bitsOf(a), bitsOf(b)];
    return fromBits(onBits(la, lb), notEqual(onBits(lax.cast(sa, 'int32'), lax.cast(sb, 'int32')), 0));
  };
}

/** x & y elementwise. @example np.bitwiseAnd(flags, 4) */
export const bitwiseAnd = bitwise('bitwiseAnd', (a, b) => mul(a, b), logicalAnd);
/** x | y elementwise. */
export const bitwiseOr = bitwise('bitwiseOr', (a, b) => sub(add(a, b), mul(a, b)), logicalOr);
/** x ^ y elementwise. */
export const bitwiseXor = bitwise('bitwiseXor', (a, b) => lax.cast(notEqual(a, b), 'int32'), notEqual);

/** ~x: -1 - x for int32 (exact, no overflow), logical not for bool. */
export function bitwiseNot(x: NdArray): NdArray {
  const dtype = avalOf(x).dtype;
  if (dtype === 'float32') throw new Error('bitwiseNot: expected an int32 or bool array, got a float32 one');
  return dtype === 'bool' ? logicalNot(x) : sub(-1, x);
}

/**
 * The int32 shift counts, those outside [0, 31] made 32 so that they shift everything out: NumPy
 * reads a negative count as unsigned (past the width) and XLA, so jax.numpy, does the same.
 */
function shiftCounts(n: NdArray): NdArray {
  return where(less(n, 0), 32, minimum(n, 32));
}

/** x << n elementwise, wrapping as int32 (bits shifted past bit 31 are lost). */
export function leftShift(x: ArrayOrNumber, n: ArrayOrNumber): NdArray {
  const [a, b] = operands(x, n, 'leftShift').map((v) => lax.cast(v, 'int32'));
  const [low, sign] = bitsOf(a);
  const r = shapeOf(low).length - 1;
  const k = tf.reshape(tf.range(0, 32, 1, 'int32'), [...new Array(r).fill(1), 32]);
  const bits = lax.concatenate([low, lax.expandDims(lax.cast(sign, 'int32'), r)], r); // bits 0..31
  // Bit k moves to place k + n: its value there is PLACES[k + n] (0 past bit 31).
  const places = lax.gather(tf.tensor1d(PLACES, 'int32'), minimum(add(k, lax.expandDims(shiftCounts(b), r)), 32), 0);
  return sum(mul(bits, places), -1);
}

/** x >> n elementwise, arithmetic (the sign fills in, as NumPy's on int32): floorDivide(x, 2^n). */
export function rightShift(x: ArrayOrNumber, n: ArrayOrNumber): NdArray {
  const [a, b] = operands(x, n, 'rightShift').map((v) => lax.cast(v, 'int32'));
  const counts = shiftCounts(b);
  const big = logicalNot(less(counts, 31));
  const divisor = lax.gather(tf.tensor1d(PLACES.slice(0, 31), 'int32'), minimum(counts, 30), 0);
  return where(big, where(less(a, 0), -1, 0), lax.div(a, divisor));
}

/**
 * The number of 1 bits in |x| (numpy's and jax.numpy's bitwise_count, as int32: NumPy gives
 * uint8); a bool counts as 0 or 1.
 * @example np.bitwiseCount(np.array([7, -3, 0], 'int32')) // [3, 2, 0]
 */
export function bitwiseCount(x: NdArray): NdArray {
  const dtype = avalOf(x).dtype;
  if (dtype === 'bool') return lax.cast(x, 'int32');
  if (dtype !== 'int32') throw new Error(`bitwiseCount: x must be int32 or bool, got ${dtype}`);
  const [low] = bitsOf(lax.unary('abs', x));
  // |-2^31| wraps to -2^31 itself, whose magnitude has one bit.
  return where(lax.eq(x, lax.scalarLike(-(2 ** 31), x)), 1, sum(low, -1));
}
