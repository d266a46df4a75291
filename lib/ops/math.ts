/** numpy-like arithmetic with broadcasting, reductions and matrix products. */
import { type DType, normAxis, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import type { BinaryPrim } from '../core/primitive.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';

export type ArrayOrNumber = NdArray | number;

/** Brings operands to one rank (leading 1s) and converts numbers to scalars of the other operand's dtype. */
export function promote(xs: readonly ArrayOrNumber[], op: string): NdArray[] {
  const arrays = xs.filter((x): x is NdArray => typeof x !== 'number');
  if (arrays.length === 0) throw new Error(`${op}: at least one operand must be an array`);
  const dtype: DType = avalOf(arrays[0]).dtype;
  const rank = Math.max(...arrays.map((a) => shapeOf(a).length));
  const shapes = arrays.map(shapeOf);
  for (let i = 1; i <= rank; i++) {
    const ds = shapes.map((s) => s[s.length - i] ?? 1).filter((d) => d !== 1);
    if (ds.some((d) => d !== ds[0])) throw new Error(`${op}: shapes ${shapes.map(shapeStr).join(' and ')} cannot be broadcast together`);
  }
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

export const add = bin('add');
export const sub = bin('sub');
export const mul = bin('mul');
export const div = bin('div');
export const pow = bin('pow');
export const maximum = bin('max');
export const minimum = bin('min');
export const equal = bin('eq');
export const notEqual = bin('ne');
export const less = bin('lt');
export const lessEqual = bin('le');
export const greater = bin('gt');
export const greaterEqual = bin('ge');
export const logicalAnd = bin('and');
export const logicalOr = bin('or');

export const neg = (x: NdArray) => lax.neg(x);
export const exp = (x: NdArray) => lax.exp(x);
export const log = (x: NdArray) => lax.log(x);
export const log1p = (x: NdArray) => lax.unary('log1p', x);
export const expm1 = (x: NdArray) => lax.unary('expm1', x);
export const sqrt = (x: NdArray) => lax.sqrt(x);
export const rsqrt = (x: NdArray) => lax.rsqrt(x);
export const tanh = (x: NdArray) => lax.tanh(x);
export const sigmoid = (x: NdArray) => lax.logistic(x);
export const abs = (x: NdArray) => lax.unary('abs', x);
export const sign = (x: NdArray) => lax.sign(x);
export const sin = (x: NdArray) => lax.sin(x);
export const cos = (x: NdArray) => lax.cos(x);
export const erf = (x: NdArray) => lax.unary('erf', x);
export const floor = (x: NdArray) => lax.unary('floor', x);
export const round = (x: NdArray) => lax.unary('round', x);
export const logicalNot = (x: NdArray) => lax.unary('not', x);
export const isfinite = (x: NdArray) => lax.unary('is_finite', x);
export const square = (x: NdArray) => lax.mul(x, x);
export const reciprocal = (x: NdArray) => div(1, x);
export const cast = (x: NdArray, dtype: DType) => lax.cast(x, dtype);

/** Elementwise choice: `cond ? x : y`, broadcasting all three. */
export function where(cond: NdArray, x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const ref = typeof x !== 'number' ? x : typeof y !== 'number' ? y : lax.scalar(0, 'float32');
  const [c, a, b] = promote([cond, typeof x === 'number' ? lax.scalarLike(x, ref) : x, typeof y === 'number' ? lax.scalarLike(y, ref) : y], 'where');
  return lax.select(c, a, b);
}

export function clip(x: NdArray, lo: ArrayOrNumber, hi: ArrayOrNumber): NdArray {
  return minimum(maximum(x, lo), hi);
}

export type Axis = number | readonly number[] | null | undefined;

function axesOf(x: NdArray, axis: Axis): number[] {
  const r = shapeOf(x).length;
  if (axis === null || axis === undefined) return [...Array(r).keys()];
  return (typeof axis === 'number' ? [axis] : [...axis]).map((a) => normAxis(a, r, 'reduction'));
}

function keep(x: NdArray, reduced: NdArray, axes: number[], keepdims: boolean): NdArray {
  return keepdims ? lax.reshape(reduced, shapeOf(x).map((d, i) => (axes.includes(i) ? 1 : d))) : reduced;
}

/** Sum over `axis` (all axes by default). */
export function sum(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis);
  return keep(x, lax.reduceSum(x, axes), axes, keepdims);
}

export function max(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis);
  return keep(x, lax.reduceMax(x, axes), axes, keepdims);
}

export function min(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis);
  return keep(x, lax.reduceMin(x, axes), axes, keepdims);
}

export function mean(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  const axes = axesOf(x, axis);
  const n = axes.reduce((p, a) => p * shapeOf(x)[a], 1);
  return div(sum(x, axes, keepdims), n);
}

/** Variance with `ddof` (0: biased, as normalisation uses; 1: unbiased). */
export function variance(x: NdArray, axis?: Axis, keepdims = false, ddof = 0): NdArray {
  const axes = axesOf(x, axis);
  const n = axes.reduce((p, a) => p * shapeOf(x)[a], 1);
  const centred = sub(x, mean(x, axes, true));
  return div(sum(square(centred), axes, keepdims), n - ddof);
}

export function argmax(x: NdArray, axis = -1): NdArray {
  return lax.argmax(x, axis);
}

/**
 * log(sum(exp(x))) over `axis`, computed stably (the max is subtracted first). A slice
 * that is all -inf gives -inf with zero derivatives of every order: it is computed on
 * zeros and its result replaced (the "double where"), so log(0) never meets a derivative.
 */
export function logsumexp(x: NdArray, axis: Axis = -1, keepdims = false): NdArray {
  const axes = axesOf(x, axis);
  const m = lax.stopGradient(max(x, axes, true));
  const allNegInf = equal(m, -Infinity);
  const finiteM = where(isfinite(m), m, 0);
  const s = log(sum(exp(sub(where(allNegInf, 0, x), finiteM)), axes, true));
  const out = where(allNegInf, -Infinity, add(s, finiteM));
  return keepdims ? out : lax.reshape(out, shapeOf(out).filter((_, i) => !axes.includes(i)));
}

export function logSoftmax(x: NdArray, axis = -1): NdArray {
  return sub(x, logsumexp(x, axis, true));
}

export function softmax(x: NdArray, axis = -1): NdArray {
  return exp(logSoftmax(x, axis));
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
