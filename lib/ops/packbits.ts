/**
 * packbits / unpackbits, as jax.numpy's (NumPy's): bits of an int32 or bool array packed
 * eight to a byte along an axis, and bytes unpacked to bits. tfjs has no uint8, so the bytes
 * are int32 arrays holding 0..255 (jax.numpy's uint8 values) and the bits int32 0/1.
 * Integer arithmetic only: exact on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normAxis } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { floorDivide, remainder } from './elementwise-math.js';
import { moveaxis, ravel } from './manipulation.js';
import { cast, mul, notEqual, sum } from './math.js';
import { pad } from './pad.js';
import { reshape } from './shape.js';

export type BitOrder = 'big' | 'little';

export interface PackBitsOptions {
  /** The axis to pack along; null (the default) packs the flattened array. */
  readonly axis?: number | null;
  /** 'big' (the default): the first bit is the byte's highest (128); 'little': its lowest (1). */
  readonly bitorder?: BitOrder;
}

export interface UnpackBitsOptions extends PackBitsOptions {
  /**
   * How many bits to keep along the axis: fewer than 8 * n drops the last ones, more pads with
   * zeros, a negative count drops that many from the end (NumPy's count); default all 8 * n.
   */
  readonly count?: number | null;
}

/** The options object, or the positional axis (NumPy's order) with the rest of the positional arguments. */
function bitOptions<T extends PackBitsOptions>(axisOrOptions: number | null | T, rest: Omit<T, 'axis'>): T {
  return typeof axisOrOptions === 'object' && axisOrOptions !== null ? axisOrOptions : ({ ...rest, axis: axisOrOptions } as T);
}

/** The place values of a byte's 8 bits in `bitorder`, as an int32 vector. */
function placeValues(bitorder: BitOrder | undefined, op: string): tf.Tensor {
  if (bitorder !== undefined && bitorder !== 'big' && bitorder !== 'little') throw new Error(`${op}: bitorder must be 'big' or 'little', got ${String(bitorder)}`);
  const big = [128, 64, 32, 16, 8, 4, 2, 1];
  return tf.tensor1d(bitorder === 'little' ? big.reverse() : big, 'int32');
}

/** x with the packing axis moved last (the flattened x for axis null), and where it came from. */
function axisLast(x: NdArray, axis: number | null | undefined, op: string): [NdArray, number] {
  const v = axis === null || axis === undefined ? ravel(x) : x;
  const a = axis === null || axis === undefined ? 0 : normAxis(axis, shapeOf(v).length, op);
  return [moveaxis(v, a, -1), a];
}

/**
 * Packs the truth values of `a` (nonzero is 1) eight to a byte along `axis` (numpy's
 * packbits), the last byte padded with zero bits; int32 bytes 0..255 (jax.numpy's uint8).
 * The second argument is `{ axis, bitorder }`, or axis followed by bitorder (NumPy's order).
 * @example np.packbits(np.array([1, 0, 1, 1, 0, 0, 0, 0, 1], 'bool')) // int32 [176, 128]
 * @example np.packbits(bits, -1, 'little')
 */
export function packbits(a: NdArray, axisOrOptions: number | null | PackBitsOptions = {}, bitorderArg?: BitOrder): NdArray {
  const { axis = null, bitorder = 'big' } = bitOptions(axisOrOptions, { bitorder: bitorderArg });
  if (avalOf(a).dtype === 'float32') throw new TypeError('packbits: expected an int32 or bool array, got float32 (as jax.numpy: integer or boolean input only)');
  const places = placeValues(bitorder, 'packbits');
  const [v, at] = axisLast(cast(notEqual(a, 0), 'int32'), axis, 'packbits');
  const s = shapeOf(v);
  const n = s[s.length - 1]!;
  const bytes = Math.ceil(n / 8);
  const padded = pad(v, [...s.slice(0, -1).map((): [number, number] => [0, 0]), [0, bytes * 8 - n]]);
  const packed = sum(mul(reshape(padded, [...s.slice(0, -1), bytes, 8]), places), -1);
  return moveaxis(packed, -1, at);
}

/**
 * Unpacks int32 bytes (jax.numpy's uint8: the low 8 bits of each value) into int32 bits 0/1
 * along `axis` (numpy's unpackbits), 8 per byte, keeping `count` of them.
 * The second argument is `{ axis, count, bitorder }`, or axis, count, bitorder positionally (NumPy's order).
 * @example np.unpackbits(np.array([6], 'int32')) // [0, 0, 0, 0, 0, 1, 1, 0]
 */
export function unpackbits(a: NdArray, axisOrOptions: number | null | UnpackBitsOptions = {}, countArg?: number | null, bitorderArg?: BitOrder): NdArray {
  const { axis = null, count = null, bitorder = 'big' } = bitOptions(axisOrOptions, { count: countArg, bitorder: bitorderArg });
  if (avalOf(a).dtype !== 'int32') throw new TypeError(`unpackbits: expected an int32 array of byte values (jax.numpy's uint8), got ${avalOf(a).dtype}`);
  if (count !== null && !Number.isInteger(count)) throw new Error(`unpackbits: count must be an integer or null, got ${count}`);
  const places = placeValues(bitorder, 'unpackbits');
  const [v, at] = axisLast(remainder(a, 256), axis, 'unpackbits');
  const s = shapeOf(v);
  const r = s.length;
  const bits = remainder(floorDivide(lax.expandDims(v, r), places), 2);
  const all = reshape(bits, [...s.slice(0, -1), s[r - 1]! * 8]);
  return moveaxis(keepCount(all, count), -1, at);
}

/** The first `count` entries of the last axis (Python's [..., :count]), or zeros appended to reach it. */
function keepCount(x: NdArray, count: number | null): NdArray {
  const s = shapeOf(x);
  const n = s[s.length - 1]!;
  if (count === null) return x;
  if (count > n) return pad(x, [...s.slice(0, -1).map((): [number, number] => [0, 0]), [0, count - n]]);
  const keep = count < 0 ? Math.max(0, n + count) : count;
  return lax.slice(x, s.map(() => 0), [...s.slice(0, -1), keep]);
}
