/**
 * Thin, strict wrappers around `bind`: one per primitive, plus the few helpers the
 * derivative and batching rules share. `lib/ops` builds the friendly numpy-like API on
 * these (broadcasting, numbers, axis conventions).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, type Shape, normAxes, normAxis } from './aval.js';
import type { ConvParams } from './prim-params.js';
import { type NdArray, avalOf, bind, shapeOf, transforming } from './trace.js';
import type { BinaryPrim, UnaryPrim } from './prim-types.js';

export type { ConvParams, Padding2D } from './prim-params.js';

/** The constants `scalar` made from JS numbers, with the value each holds (jaxpr printing shows them inline). */
const literalValues = new WeakMap<tf.Tensor, number>();

/** The value `x` holds if `scalar` made it from a JS number (a literal, as JAX's), else undefined. */
export const literalValue = (x: NdArray): number | undefined => literalValues.get(x as tf.Tensor);

/** A constant holding `value`, of rank `rank` with every dimension 1 (it broadcasts). */
export function scalar(value: number, dtype: DType = 'float32', rank = 0): tf.Tensor {
  const stored = dtype === 'bool' ? Number(value !== 0) : dtype === 'int32' ? value | 0 : Math.fround(value);
  const t = tf.tensor([stored], new Array(rank).fill(1), dtype);
  literalValues.set(t, stored);
  return t;
}

/** A constant `value` broadcastable against x (same rank, all ones), with x's dtype. */
export function scalarLike(value: number, x: NdArray): tf.Tensor {
  const a = avalOf(x);
  return scalar(value, a.dtype, a.shape.length);
}

export function full(shape: Shape, value: number, dtype: DType = 'float32'): NdArray {
  if (dtype === 'bool') value = Number(value !== 0); // tfjs cpu's fill stored 5 in a bool tensor
  // Eagerly, one fill and no temporary; under a transformation, a scalar constant and a
  // broadcast, so a jitted program holds one number rather than a full-size constant.
  if (!transforming()) return tf.fill([...shape], value, dtype);
  return broadcastInDim(scalar(value, dtype, 0), shape, []);
}

export function zerosLike(x: NdArray): NdArray {
  const a = avalOf(x);
  return full(a.shape, 0, a.dtype);
}

export const unary = (p: UnaryPrim, x: NdArray): NdArray => bind(p, [x]);
export const binary = (p: BinaryPrim, x: NdArray, y: NdArray): NdArray => bind(p, [x, y]);

export const neg = (x: NdArray) => bind('neg', [x]);
export const exp = (x: NdArray) => bind('exp', [x]);
export const log = (x: NdArray) => bind('log', [x]);
export const sqrt = (x: NdArray) => bind('sqrt', [x]);
export const rsqrt = (x: NdArray) => bind('rsqrt', [x]);
export const tanh = (x: NdArray) => bind('tanh', [x]);
export const logistic = (x: NdArray) => bind('logistic', [x]);
export const sign = (x: NdArray) => bind('sign', [x]);
export const sin = (x: NdArray) => bind('sin', [x]);
export const cos = (x: NdArray) => bind('cos', [x]);
export const tan = (x: NdArray) => bind('tan', [x]);
export const add = (x: NdArray, y: NdArray) => bind('add', [x, y]);
export const sub = (x: NdArray, y: NdArray) => bind('sub', [x, y]);
export const mul = (x: NdArray, y: NdArray) => bind('mul', [x, y]);
export const div = (x: NdArray, y: NdArray) => bind('div', [x, y]);
export const pow = (x: NdArray, y: NdArray) => bind('pow', [x, y]);
export const max = (x: NdArray, y: NdArray) => bind('max', [x, y]);
export const min = (x: NdArray, y: NdArray) => bind('min', [x, y]);
export const eq = (x: NdArray, y: NdArray) => bind('eq', [x, y]);
export const gt = (x: NdArray, y: NdArray) => bind('gt', [x, y]);
export const lt = (x: NdArray, y: NdArray) => bind('lt', [x, y]);
export const ge = (x: NdArray, y: NdArray) => bind('ge', [x, y]);
export const select = (pred: NdArray, onTrue: NdArray, onFalse: NdArray) => bind('select', [pred, onTrue, onFalse]);
export const cast = (x: NdArray, dtype: DType) => (avalOf(x).dtype === dtype ? x : bind('cast', [x], { dtype }));
export const stopGradient = (x: NdArray) => bind('stop_gradient', [x]);

function axesParam(axes: readonly number[], rank: number, op: string): number[] {
  return normAxes(axes, rank, op).sort((a, b) => a - b);
}
/** Sum over `axes`, removing them. */
export const reduceSum = (x: NdArray, axes: readonly number[]) =>
  axes.length === 0 ? x : bind('reduce_sum', [x], { axes: axesParam(axes, shapeOf(x).length, 'reduce_sum') });
export const reduceMax = (x: NdArray, axes: readonly number[]) =>
  axes.length === 0 ? x : bind('reduce_max', [x], { axes: axesParam(axes, shapeOf(x).length, 'reduce_max') });
export const reduceMin = (x: NdArray, axes: readonly number[]) =>
  axes.length === 0 ? x : bind('reduce_min', [x], { axes: axesParam(axes, shapeOf(x).length, 'reduce_min') });
/** log(sum(exp(x))) over `axes`, removing them (stable: the max is shifted out). */
export const reduceLogSumExp = (x: NdArray, axes: readonly number[]) =>
  axes.length === 0 ? x : bind('reduce_logsumexp', [x], { axes: axesParam(axes, shapeOf(x).length, 'reduce_logsumexp') });
export const argmax = (x: NdArray, axis: number) => bind('argmax', [x], { axis: normAxis(axis, shapeOf(x).length, 'argmax') });
/** The stable order of x's last axis (int32 indices, x's shape): NaN last, or first when `descending`. */
export const argsort = (x: NdArray, descending = false) => bind('argsort', [x], { descending });

export function reshape(x: NdArray, shape: Shape): NdArray {
  const s = shapeOf(x);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return x;
  return bind('reshape', [x], { shape: [...shape] });
}
export function transpose(x: NdArray, perm: readonly number[]): NdArray {
  // The identity shortcut only for a permutation of every axis: a shorter one is an error (abstractEval).
  if (perm.length === shapeOf(x).length && perm.every((p, i) => p === i)) return x;
  return bind('transpose', [x], { perm: [...perm] });
}
/** Places x's dims at `dims` of the result `shape` (others broadcast), as in lax.broadcast_in_dim. */
export function broadcastInDim(x: NdArray, shape: Shape, dims: readonly number[]): NdArray {
  const s = shapeOf(x);
  if (s.length === shape.length && dims.every((d, i) => d === i) && s.every((d, i) => d === shape[i])) return x;
  return bind('broadcast_in_dim', [x], { shape: [...shape], dims: [...dims] });
}
export function slice(x: NdArray, start: readonly number[], limit: readonly number[], strides?: readonly number[]): NdArray {
  const s = shapeOf(x);
  const st = strides ?? s.map(() => 1);
  if (start.every((v) => v === 0) && limit.every((v, i) => v === s[i]) && st.every((v) => v === 1)) return x;
  return bind('slice', [x], { start: [...start], limit: [...limit], strides: [...st] });
}
export function pad(x: NdArray, low: readonly number[], high: readonly number[], interior?: readonly number[], value = 0): NdArray {
  const inner = interior ?? low.map(() => 0);
  if ([...low, ...high, ...inner].every((v) => v === 0)) return x;
  return bind('pad', [x], { low: [...low], high: [...high], interior: [...inner], value });
}
export function concatenate(xs: readonly NdArray[], axis: number): NdArray {
  if (xs.length === 1) return xs[0];
  return bind('concatenate', xs, { axis: normAxis(axis, shapeOf(xs[0]).length, 'concatenate') });
}
/** Takes x's entries at integer `indices` along `axis`: result shape x[:axis] + idx.shape + x[axis+1:]. */
export const gather = (x: NdArray, indices: NdArray, axis: number) => bind('gather', [x, indices], { axis: normAxis(axis, shapeOf(x).length, 'gather') });
/** Adds `updates` into zeros of length `size` along `axis` at `indices` (the transpose of gather). */
export const scatterAdd = (updates: NdArray, indices: NdArray, axis: number, size: number) => bind('scatter_add', [updates, indices], { axis, size });
/**
 * Overwrites operand[indices[k]] with updates[k] (1-D int32 arrays, indices within range);
 * where an index repeats, one of its updates wins (which is the backend's choice). No
 * derivative: index updates use it to pick one writer per target (ops/index-update.ts).
 */
export const scatter = (operand: NdArray, indices: NdArray, updates: NdArray) => bind('scatter', [operand, indices, updates]);
/** Batched matrix product over equal leading dims: a[..., m, k] @ b[..., k, n], optionally transposing the last two dims. */
export const dot = (a: NdArray, b: NdArray, transposeA = false, transposeB = false) => bind('dot', [a, b], { transposeA, transposeB });
/**
 * 2-D convolution, NHWC input and HWIO filter (I = in channels / groups). Strides and
 * dilation both above 1 (which the backends' kernels refuse) convolve with the filter
 * dilated by zeros instead: the same sums, and the filter's gradient is the dilated
 * filter's gradient at the taps (pad's transpose is a strided slice).
 */
export function conv(x: NdArray, w: NdArray, p: ConvParams): NdArray {
  if (p.strides.some((s) => s > 1) && p.dilation.some((d) => d > 1)) {
    const inner = p.dilation.map((d) => Math.max(d, 1) - 1);
    const wd = pad(w, [0, 0, 0, 0], [0, 0, 0, 0], [inner[0], inner[1], 0, 0]);
    return bind('conv', [x, wd], { ...p, dilation: [1, 1] });
  }
  return bind('conv', [x, w], { ...p });
}
export const convBpInput = (dy: NdArray, w: NdArray, inputShape: Shape, p: ConvParams) => bind('conv_bp_input', [dy, w], { ...p, inputShape: [...inputShape] });
export const convBpFilter = (x: NdArray, dy: NdArray, filterShape: Shape, p: ConvParams) => bind('conv_bp_filter', [x, dy], { ...p, filterShape: [...filterShape] });

// ---- helpers shared by rules ----

/** Sums x down to `shape` (same rank; dims of size 1 in `shape` are summed with kept rank). */
export function sumToShape(x: NdArray, shape: Shape): NdArray {
  const s = shapeOf(x);
  const axes: number[] = [];
  s.forEach((d, i) => {
    if (shape[i] === 1 && d !== 1) axes.push(i);
  });
  if (axes.length === 0) return x;
  return reshape(reduceSum(x, axes), shape);
}

export function expandDims(x: NdArray, axis: number): NdArray {
  const s = [...shapeOf(x)];
  s.splice(axis, 0, 1);
  return reshape(x, s);
}

export function moveAxis(x: NdArray, from: number, to: number): NdArray {
  if (from === to) return x;
  const r = shapeOf(x).length;
  const perm = [...Array(r).keys()].filter((i) => i !== from);
  perm.splice(to, 0, from);
  return transpose(x, perm);
}

/** Materialises x broadcast to `shape` (same rank, size-1 dims stretched). */
export function broadcastTo(x: NdArray, shape: Shape): NdArray {
  const s = shapeOf(x);
  if (s.length === shape.length && s.every((d, i) => d === shape[i])) return x;
  const r = shape.length - s.length;
  const squeezed = s.filter((d, i) => !(d === 1 && shape[i + r] !== 1));
  const dims = s.map((_, i) => i + r).filter((i) => !(s[i - r] === 1 && shape[i] !== 1));
  return broadcastInDim(reshape(x, squeezed), shape, dims);
}

/** Keyed counter-based random words (int32) of `shape` from `key` ([2] or [..., 2]); `salt` separates streams. */
export const randomBits = (key: NdArray, shape: Shape, salt: number) => bind('random_bits', [key], { shape: [...shape], salt });
/** Uniform floats in [0, 1) of `shape` from `key`. */
export const randomUniform = (key: NdArray, shape: Shape, salt: number) => bind('random_uniform', [key], { shape: [...shape], salt });
/** Standard normal floats of `shape` from `key`; with `bounds` (in standard deviations), truncated to them. */
export const randomNormal = (key: NdArray, shape: Shape, salt: number, bounds?: { lower: number; upper: number }) =>
  bind('random_normal', [key], { shape: [...shape], salt, ...bounds });
/** A random permutation of 0..n-1 (int32) from `key`. */
export const randomPermutation = (key: NdArray, n: number, salt: number) => bind('random_permutation', [key], { n, salt });
/**
 * jax.random.fold_in of traced data: the key [...K, 2] with the int32 `data` [...D] (read as
 * uint32 bits) folded in, for D of K's rank (each dim equal or 1): int32 [...broadcast(K, D), 2].
 */
export const randomFoldIn = (key: NdArray, data: NdArray) => bind('random_fold_in', [key, data], {});
/**
 * jax.random.randint's int32 draw in [minval, maxval) of `shape` from `key`: integer bounds
 * (maxval may be 2^31), or int32 arrays broadcasting to [...keyDims, ...shape].
 */
export function randomRandint(key: NdArray, shape: Shape, salt: number, minval: number | NdArray, maxval: number | NdArray): NdArray {
  if (typeof minval === 'number' && typeof maxval === 'number') return bind('random_randint', [key], { shape: [...shape], salt, minval, maxval });
  if (typeof minval === 'number' || typeof maxval === 'number') throw new Error('lax.randomRandint: the bounds are both numbers or both int32 arrays');
  return bind('random_randint', [key, minval, maxval], { shape: [...shape], salt });
}
