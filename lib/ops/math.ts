/** numpy-like arithmetic with broadcasting, reductions and matrix products. */
import { type DType, isFloat, normAxes, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import type { BinaryPrim } from '../core/prim-types.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { broadcastShapesFor } from './broadcast.js';

export type ArrayOrNumber = NdArray | number;

/**
 * Brings operands to one rank (leading 1s) and one dtype: `dtype` if given, else jax.numpy's
 * promotion of them (lib/core/promotion.ts: JS numbers are weakly typed).
 */
export function promote(xs: readonly ArrayOrNumber[], op: string, dtype: DType = resultDType(xs)): NdArray[] {
  return alignRanks(xs.map((x) => (typeof x === 'number' ? x : lax.cast(x, dtype))), op, dtype);
}

/** Checks that operands broadcast and gives them one rank (leading 1s); numbers become `dtype` constants. */
function alignRanks(xs: readonly ArrayOrNumber[], op: string, dtype: DType): NdArray[] {
  const arrays = xs.filter((x): x is NdArray => typeof x !== 'number');
  const rank = broadcastShapesFor(op, arrays.map(shapeOf)).length;
  return xs.map((x) => {
    if (typeof x === 'number') return lax.scalar(x, dtype, rank);
    const s = shapeOf(x);
    return s.length === rank ? x : lax.reshape(x, [...new Array(rank - s.length).fill(1), ...s]);
  });
}

function bin(p: BinaryPrim) {
  return (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => {
    const [a, b] = promote([x, y], p);
    return lax.binary(p, a, b);
  };
}

/** Makes an integer or bool array float32 (true division, means): others pass through. */
export function toFloat(x: NdArray): NdArray {
  return isFloat(avalOf(x).dtype) ? x : lax.cast(x, 'float32');
}

/** Casts to bool as NumPy's truth value: nonzero is true. */
function truth(x: ArrayOrNumber): NdArray {
  return typeof x === 'number' ? lax.scalar(x !== 0 ? 1 : 0, 'bool') : lax.cast(x, 'bool');
}

export const add = bin('add');
export const sub = bin('sub');
export const mul = bin('mul');
/** True division: integer and bool operands give float32 (as NumPy's `/`); `floorDivide` floors. */
export function div(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'div', 'float32'); // the only float dtype
  return lax.div(a, b);
}
export const pow = bin('pow');
export const maximum = bin('max');
export const minimum = bin('min');
export const equal = bin('eq');
export const notEqual = bin('ne');
export const less = bin('lt');
export const lessEqual = bin('le');
export const greater = bin('gt');
export const greaterEqual = bin('ge');
/** Elementwise `x && y` on truth values (nonzero is true), numbers and any dtype accepted. */
export const logicalAnd = (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => bin('and')(truth(x), truth(y));
/** Elementwise `x || y` on truth values (nonzero is true), numbers and any dtype accepted. */
export const logicalOr = (x: ArrayOrNumber, y: ArrayOrNumber): NdArray => bin('or')(truth(x), truth(y));

export const neg = (x: NdArray) => lax.neg(x);
/** A float function of one argument: int32 and bool arrays are taken as float32, as NumPy does. */
const floatUnary = (f: (x: NdArray) => NdArray) => (x: NdArray) => f(toFloat(x));
export const exp = floatUnary(lax.exp);
export const log = floatUnary(lax.log);
export const log1p = floatUnary((x) => lax.unary('log1p', x));
export const expm1 = floatUnary((x) => lax.unary('expm1', x));
export const sqrt = floatUnary(lax.sqrt);
export const rsqrt = floatUnary(lax.rsqrt);
export const tanh = floatUnary(lax.tanh);
export const sigmoid = floatUnary(lax.logistic);
export const abs = (x: NdArray) => lax.unary('abs', x);
export const sign = (x: NdArray) => lax.sign(x);
export const sin = floatUnary(lax.sin);
export const cos = floatUnary(lax.cos);
export const erf = floatUnary((x) => lax.unary('erf', x));
/** Rounds down; int32 and bool arrays are returned as they are (already integral). */
export const floor = (x: NdArray) => (isFloat(avalOf(x).dtype) ? lax.unary('floor', x) : x);
/** Rounds half to even; int32 and bool arrays are returned as they are. */
export const round = (x: NdArray) => (isFloat(avalOf(x).dtype) ? lax.unary('round', x) : x);
/** Elementwise `!x` on truth values (nonzero is true). */
export const logicalNot = (x: ArrayOrNumber) => lax.unary('not', truth(x));
export const isfinite = floatUnary((x) => lax.unary('is_finite', x));
export const square = (x: NdArray) => lax.mul(x, x);
export const reciprocal = (x: NdArray) => div(1, x);
export const cast = (x: NdArray, dtype: DType) => lax.cast(x, dtype);

/** Elementwise choice: `cond ? x : y` (cond by truth value), broadcasting all three; x and y promote together. */
export function where(cond: ArrayOrNumber, x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const dtype = resultDType([x, y]);
  const toDType = (v: ArrayOrNumber) => (typeof v === 'number' ? v : lax.cast(v, dtype));
  const [c, a, b] = alignRanks([truth(cond), toDType(x), toDType(y)], 'where', dtype);
  return lax.select(c, a, b);
}

export function clip(x: NdArray, lo: ArrayOrNumber | null | undefined, hi?: ArrayOrNumber | null): NdArray {
  const above = lo === null || lo === undefined ? x : maximum(x, lo);
  return hi === null || hi === undefined ? above : minimum(above, hi);
}

export type Axis = number | readonly number[] | null | undefined;

/** The axes `axis` names (all by default), normalised; a repeated or out-of-range axis is an error naming `op`. */
export function axesOf(x: NdArray, axis: Axis, op: string): number[] {
  const r = shapeOf(x).length;
  if (axis === null || axis === undefined) return [...Array(r).keys()];
  return normAxes(typeof axis === 'number' ? [axis] : axis, r, op);
}

function keep(x: NdArray, reduced: NdArray, axes: number[], keepdims: boolean): NdArray {
  return keepdims ? lax.reshape(reduced, shapeOf(x).map((d, i) => (axes.includes(i) ? 1 : d))) : reduced;
}

/** Sum over `axis` (all axes by default); bool counts as int32. */
export function sum(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis, 'sum');
  const v = avalOf(x).dtype === 'bool' ? lax.cast(x, 'int32') : x; // NumPy counts: a sum of bools is an integer
  return keep(x, lax.reduceSum(v, axes), axes, keepdims);
}

export function max(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis, 'max');
  return keep(x, lax.reduceMax(x, axes), axes, keepdims);
}

export function min(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis, 'min');
  return keep(x, lax.reduceMin(x, axes), axes, keepdims);
}

export function mean(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis, 'mean');
  const n = axes.reduce((p, a) => p * shapeOf(x)[a], 1);
  return div(sum(toFloat(x), axes, keepdims), n);
}

/** Variance with `ddof` (0: biased, as normalisation uses; 1: unbiased). */
export function variance(x: NdArray, axis?: Axis, keepdims = false, ddof = 0): NdArray {
  const axes = axesOf(x, axis, 'variance');
  const n = axes.reduce((p, a) => p * shapeOf(x)[a], 1);
  const centred = sub(toFloat(x), mean(x, axes, true));
  return div(sum(square(centred), axes, keepdims), n - ddof);
}

export function argmax(x: NdArray, axis = -1): NdArray {
  return lax.argmax(x, axis);
}

/**
/**
 * The shift that keeps exp from overflowing over `axes` (kept as size-1 dims): the max
 * without gradient (the results do not depend on it), 0 where it is not finite or there
 * are no elements (whose max is an error); `allNegInf` flags the slices that are all -inf.
 */
function maxShift(x: NdArray, axes: readonly number[]): { shift: NdArray; allNegInf: NdArray | null } {
  const s = shapeOf(x);
  if (s.some((d) => d === 0)) return { shift: lax.full(s.map((d, i) => (axes.includes(i) ? 1 : d)), 0, avalOf(x).dtype), allNegInf: null };
  const m = lax.stopGradient(max(x, axes, true));
  return { shift: where(isfinite(m), m, 0), allNegInf: equal(m, -Infinity) };
}

/**
 * x - shift and log(sum(exp(x - shift))) over `axes`, for logsumexp and logSoftmax. An all
 * -inf slice is computed on zeros for the caller to replace (the "double where"), so log(0)
 * never meets a derivative and other slices stay exact.
 */
function shiftedLogSumExp(x: NdArray, axes: readonly number[]) {
  const { shift, allNegInf } = maxShift(x, axes);
  const shifted = sub(allNegInf ? where(allNegInf, 0, x) : x, shift);
  return { shift, shifted, lse: log(sum(exp(shifted), axes, true)), allNegInf };
}

/** log(sum(exp(x))) over `axis`, computed stably (the max is subtracted first); -inf over empty axes and all -inf slices (with zero derivatives). */
export function logsumexp(x: NdArray, axis: Axis = -1, keepdims = false): NdArray {
  const axes = axesOf(x, axis, 'logsumexp');
  const { shift, lse, allNegInf } = shiftedLogSumExp(x, axes);
  const total = add(lse, shift);
  const out = allNegInf ? where(allNegInf, -Infinity, total) : total;
  return keepdims ? out : lax.reshape(out, shapeOf(out).filter((_, i) => !axes.includes(i)));
}

/** log(softmax(x)) along `axis`, as (x - max) - log(sum(exp(x - max))): exact differences for large logits; an all -inf slice is NaN (as PyTorch and JAX) with zero derivatives. */
export function logSoftmax(x: NdArray, axis = -1): NdArray {
  const axes = axesOf(x, axis, 'logSoftmax');
  const { shifted, lse, allNegInf } = shiftedLogSumExp(x, axes);
  const out = sub(shifted, lse);
  return allNegInf ? where(allNegInf, NaN, out) : out;
}

/** exp(x - max) / sum(exp(x - max)) along `axis` (not exp(x - logsumexp(x)), which loses digits for large logits). */
export function softmax(x: NdArray, axis = -1): NdArray {
  const axes = axesOf(x, axis, 'softmax');
  const e = exp(sub(x, maxShift(x, axes).shift));
  return div(e, sum(e, axes, true));
}

/**
 * Matrix product with numpy's rules: 1-D operands are vectors, leading dims broadcast.
 * @example np.matmul(x, w) // [B, in] @ [in, out]
 */
export function matmul(a: NdArray, b: NdArray): NdArray {
  let sa = shapeOf(a);
  let sb = shapeOf(b);
  const va = sa.length === 1;
  const vb = sb.length === 1;
  if (va) a = lax.reshape(a, [1, sa[0]]);
  if (vb) b = lax.reshape(b, [sb[0], 1]);
  sa = shapeOf(a);
  sb = shapeOf(b);
  if (sa[sa.length - 1] !== sb[sb.length - 2]) throw new Error(`matmul: inner dimensions differ: ${shapeStr(shapeOf(a))} @ ${shapeStr(shapeOf(b))}`);
  let out: NdArray;
  if (sb.length === 2) {
    // Fold a's leading dims into rows: one 2-D product, no broadcast of b.
    const rows = lax.reshape(a, [sa.slice(0, -1).reduce((p, d) => p * d, 1), sa[sa.length - 1]]);
    out = lax.reshape(lax.dot(rows, b), [...sa.slice(0, -1), sb[1]]);
  } else {
    const batch = broadcastBatch(sa.slice(0, -2), sb.slice(0, -2));
    const ea = lax.broadcastTo(lax.reshape(a, [...ones(batch.length - (sa.length - 2)), ...sa]), [...batch, ...sa.slice(-2)]);
    const eb = lax.broadcastTo(lax.reshape(b, [...ones(batch.length - (sb.length - 2)), ...sb]), [...batch, ...sb.slice(-2)]);
    out = lax.dot(ea, eb);
  }
  const so = shapeOf(out);
  if (va && vb) return lax.reshape(out, so.slice(0, -2));
  if (va) return lax.reshape(out, [...so.slice(0, -2), so[so.length - 1]]);
  if (vb) return lax.reshape(out, so.slice(0, -1));
  return out;
}

function ones(n: number): number[] {
  return new Array(Math.max(0, n)).fill(1);
}

function broadcastBatch(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`matmul: batch dims ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast`);
    return Math.max(x, y);
  });
}
