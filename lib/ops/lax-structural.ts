/**
 * jax.lax's structural functions: conversions, clamp/select, iotas, broadcasts, reshapes,
 * reversal, concatenation, padding (negative low/high crop, as in JAX), static slices.
 * Compositions of the core's primitives, so every transformation applies.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, avalStr, normAxes, normAxis, sameShape, shapeStr, sizeOf } from '../core/aval.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { flip } from './manipulation.js';
import { cast, greater, less, logicalAnd, where } from './math.js';
import { strictOperands } from './lax-operands.js';

/**
 * x converted to `dtype`. Float to int32 truncates toward zero and saturates (NaN gives 0),
 * as XLA's conversion; to bool, nonzero (and NaN) is true.
 */
export function convertElementType(x: NdArray | number, dtype: DType): NdArray {
  return cast(typeof x === 'number' ? core.scalar(x, 'float32') : x, dtype);
}

/**
 * min(max(x, lo), hi) with JAX's argument order and derivatives: x's only strictly inside
 * (lo, hi), lo's where lo > x, hi's where hi < x. lo and hi are scalars or of x's shape.
 */
export function clamp(lo: NdArray | number, x: NdArray, hi: NdArray | number): NdArray {
  const s = shapeOf(x);
  for (const b of [lo, hi])
    if (typeof b !== 'number' && shapeOf(b).length > 0 && !sameShape(shapeOf(b), s))
      throw new TypeError(`lax.clamp: min and max must be scalars or of the operand's shape ${shapeStr(s)}, got ${avalStr(avalOf(b))}`);
  const [l, v, h] = strictOperands('clamp', [lo, x, hi]);
  const value = core.min(core.max(v, l), h);
  const inside = logicalAnd(greater(v, l), less(v, h));
  const below = logicalAnd(greater(l, v), less(l, h));
  const above = less(h, v);
  return where(inside, v, where(below, l, where(above, h, core.stopGradient(value))));
}

/** pred ? onTrue : onFalse elementwise: pred bool, a scalar or of the cases' shape; the cases of one shape and dtype. */
export function select(pred: NdArray, onTrue: NdArray, onFalse: NdArray): NdArray {
  if (avalOf(pred).dtype !== 'bool') throw new TypeError(`lax.select: pred must be bool, got ${avalStr(avalOf(pred))}`);
  const [t, f] = [avalOf(onTrue), avalOf(onFalse)];
  if (t.dtype !== f.dtype || !sameShape(t.shape, f.shape)) throw new TypeError(`lax.select: the cases must have one shape and dtype, got ${avalStr(t)} and ${avalStr(f)}`);
  const ps = shapeOf(pred);
  if (ps.length > 0 && !sameShape(ps, t.shape)) throw new TypeError(`lax.select: pred ${avalStr(avalOf(pred))} must be a scalar or of the cases' shape ${shapeStr(t.shape)}`);
  const p = ps.length === 0 ? core.broadcastTo(core.reshape(pred, t.shape.map(() => 1)), t.shape) : pred;
  return core.select(p, onTrue, onFalse);
}

/** 0, 1, ..., size - 1 of `dtype`. */
export function iota(dtype: DType, size: number): NdArray {
  if (dtype === 'bool') throw new TypeError('lax.iota: dtype must be numeric, got bool');
  if (!Number.isInteger(size) || size < 0) throw new Error(`lax.iota: size must be a non-negative integer, got ${size}`);
  return tf.range(0, size, 1, dtype);
}

/** An array of `shape` whose entries are their index along `dimension`. */
export function broadcastedIota(dtype: DType, shape: readonly number[], dimension: number): NdArray {
  const d = normAxis(dimension, shape.length, 'lax.broadcastedIota');
  return core.broadcastInDim(iota(dtype, shape[d]), shape, [d]);
}

/** x with new leading dimensions `sizes` (x's dims after them). */
export function broadcast(x: NdArray, sizes: readonly number[]): NdArray {
  const s = shapeOf(x);
  return core.broadcastInDim(x, [...sizes, ...s], s.map((_, i) => i + sizes.length));
}

/** x's dim i placed at `broadcastDimensions[i]` (strictly increasing) of `shape`; x's dims equal there or 1. */
export function broadcastInDim(x: NdArray, shape: readonly number[], broadcastDimensions: readonly number[]): NdArray {
  return core.broadcastInDim(x, shape, broadcastDimensions);
}

/** x reshaped to `newSizes` (no -1), its axes first permuted by `dimensions` when given. */
export function reshape(x: NdArray, newSizes: readonly number[], dimensions?: readonly number[]): NdArray {
  const y = dimensions ? transpose(x, dimensions) : x;
  if (newSizes.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(newSizes) !== sizeOf(shapeOf(x)))
    throw new TypeError(`lax.reshape: cannot reshape ${shapeStr(shapeOf(x))} to ${shapeStr(newSizes)} (sizes must be non-negative and keep the element count)`);
  return core.reshape(y, newSizes);
}

/** x without its size-1 `dimensions`. */
export function squeeze(x: NdArray, dimensions: readonly number[]): NdArray {
  const s = shapeOf(x);
  const dims = normAxes(dimensions, s.length, 'lax.squeeze');
  const bad = dims.find((d) => s[d] !== 1);
  if (bad !== undefined) throw new TypeError(`lax.squeeze: dimension ${bad} of ${shapeStr(s)} has size ${s[bad]}, not 1`);
  return core.reshape(x, s.filter((_, i) => !dims.includes(i)));
}

/** x with size-1 dims inserted at `dimensions` (positions in the result). */
export function expandDims(x: NdArray, dimensions: readonly number[]): NdArray {
  const s = shapeOf(x);
  const rank = s.length + dimensions.length;
  const dims = normAxes(dimensions, rank, 'lax.expandDims');
  const out: number[] = [];
  for (let i = 0, k = 0; i < rank; i++) out.push(dims.includes(i) ? 1 : s[k++]);
  return core.reshape(x, out);
}

/** x reversed along `dimensions`. */
export function rev(x: NdArray, dimensions: readonly number[]): NdArray {
  return dimensions.length === 0 ? x : flip(x, dimensions);
}

/** x's axes permuted: result axis i is x's axis permutation[i]. */
export function transpose(x: NdArray, permutation: readonly number[]): NdArray {
  const r = shapeOf(x).length;
  const perm = permutation.map((p) => (p < 0 ? p + r : p));
  if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    throw new TypeError(`lax.transpose: permutation [${permutation}] is not a permutation of the axes of ${shapeStr(shapeOf(x))}`);
  return core.transpose(x, perm);
}

/** The operands (one dtype, equal shapes but along `dimension`) joined along `dimension`. */
export function concatenate(operands: readonly NdArray[], dimension: number): NdArray {
  if (operands.length === 0) throw new Error('lax.concatenate: needs at least one operand');
  const dtypes = new Set(operands.map((o) => avalOf(o).dtype));
  if (dtypes.size > 1) throw new TypeError(`lax.concatenate: operands must have one dtype, got ${operands.map((o) => avalStr(avalOf(o))).join(', ')}`);
  return core.concatenate(operands, dimension);
}

/** One axis's padding: [low, high, interior]; low and high may be negative (they crop). */
export type PadConfig = readonly (readonly [number, number, number])[];

/**
 * x padded by `config` ([low, high, interior] per axis) with `paddingValue` (a number, or a
 * scalar of x's dtype, differentiable). Negative low/high remove elements after the
 * interior padding, as lax.pad.
 */
export function pad(x: NdArray, paddingValue: NdArray | number, config: PadConfig): NdArray {
  const s = shapeOf(x);
  if (config.length !== s.length) throw new TypeError(`lax.pad: config has ${config.length} entries for an array of rank ${s.length}`);
  const bad = config.findIndex(([lo, hi, interior], i) => ![lo, hi, interior].every(Number.isInteger) || interior < 0 || lo + hi + (s[i] === 0 ? 0 : s[i] + (s[i] - 1) * interior) < 0);
  if (bad >= 0) throw new TypeError(`lax.pad: config [${config[bad]}] for axis ${bad} of ${shapeStr(s)}: integers needed, interior >= 0, and the result must not be negative in size`);
  const low = config.map(([lo]) => Math.max(lo, 0));
  const high = config.map(([, hi]) => Math.max(hi, 0));
  const interior = config.map(([, , i]) => i);
  let padded: NdArray;
  if (typeof paddingValue === 'number') padded = core.pad(x, low, high, interior, paddingValue);
  else {
    const v = avalOf(paddingValue);
    if (v.shape.length !== 0 || v.dtype !== avalOf(x).dtype) throw new TypeError(`lax.pad: paddingValue must be a scalar of the operand's dtype ${avalOf(x).dtype}, got ${avalStr(v)}`);
    const inside = core.pad(core.full(s, 1, 'bool'), low, high, interior, 0);
    const values = core.pad(x, low, high, interior, 0);
    padded = core.select(inside, values, core.broadcastTo(core.reshape(paddingValue, s.map(() => 1)), shapeOf(values)));
  }
  const ps = shapeOf(padded);
  return core.slice(padded, config.map(([lo]) => Math.max(-lo, 0)), config.map(([, hi], i) => ps[i] - Math.max(-hi, 0)));
}

/** x[start:limit:strides] (static, in range; strides default 1). */
export function slice(x: NdArray, startIndices: readonly number[], limitIndices: readonly number[], strides?: readonly number[]): NdArray {
  return core.slice(x, startIndices, limitIndices, strides);
}

/** x[start:limit:stride] along `axis`; negative indices count from the end, null means the whole axis. */
export function sliceInDim(x: NdArray, startIndex: number | null, limitIndex: number | null, stride = 1, axis = 0): NdArray {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'lax.sliceInDim');
  const wrap = (i: number | null, dflt: number) => (i === null ? dflt : i < 0 ? i + s[a] : i);
  const start = s.map((_, i) => (i === a ? wrap(startIndex, 0) : 0));
  const limit = s.map((d, i) => (i === a ? wrap(limitIndex, s[a]) : d));
  return core.slice(x, start, limit, s.map((_, i) => (i === a ? stride : 1)));
}

/** x[index] along `axis` (negative counts from the end), keeping that axis as size 1 by default, as lax.index_in_dim. */
export function indexInDim(x: NdArray, index: number, axis = 0, keepdims = true): NdArray {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'lax.indexInDim');
  const i = index < 0 ? index + s[a] : index;
  if (!Number.isInteger(i) || i < 0 || i >= s[a]) throw new Error(`lax.indexInDim: index ${index} is out of range for axis ${axis} of size ${s[a]}`);
  const y = sliceInDim(x, i, i + 1, 1, a);
  return keepdims ? y : core.reshape(y, s.filter((_, k) => k !== a));
}

/** x with its dims [start, stop) merged into one (stop defaults to the rank). */
export function collapse(x: NdArray, startDimension: number, stopDimension: number | null = null): NdArray {
  const s = shapeOf(x);
  const r = s.length;
  const start = startDimension < 0 ? startDimension + r : startDimension;
  const stop = stopDimension === null ? r : stopDimension < 0 ? stopDimension + r : stopDimension;
  if (!(0 <= start && start <= stop && stop <= r)) throw new Error(`lax.collapse: dims [${startDimension}, ${stopDimension}) do not fit rank ${r}`);
  return core.reshape(x, [...s.slice(0, start), sizeOf(s.slice(start, stop)), ...s.slice(stop)]);
}
