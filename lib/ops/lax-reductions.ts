/**
 * jax.lax's reductions: reduce_{sum,max,min,prod,and,or} over explicit axes, argmax/argmin
 * with an index dtype, the cumulative reductions (axis 0 by default, `reverse` for suffix
 * scans) and reduce_window for the usual monoids. Compositions of np's reductions and the
 * core's primitives.
 */
import { type DType, avalStr, normAxes, normAxis, shapeStr, sizeOf } from '../core/aval.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { add as npAdd, maximum, minimum, mul as npMul, sum, argmax as npArgmax } from './math.js';
import { all, any, argmin as npArgmin, cumprod as npCumprod, cumsum as npCumsum, prod } from './reductions.js';
import { logaddexp } from './elementwise-math.js';
import { checkDType } from './lax-operands.js';
import { padtypeToPads } from './lax-conv-extra.js';
import { associativeScan } from './lax-scan.js';
import { pad, rev } from './lax-structural.js';

const axesFor = (x: NdArray, axes: readonly number[], op: string) => normAxes(axes, shapeOf(x).length, `lax.${op}`);

/** Sum over `axes` (removed). */
export function reduceSum(x: NdArray, axes: readonly number[]): NdArray {
  checkDType('reduceSum', x, 'numeric');
  return sum(x, axesFor(x, axes, 'reduceSum'));
}
/** Product over `axes` (removed). */
export function reduceProd(x: NdArray, axes: readonly number[]): NdArray {
  checkDType('reduceProd', x, 'numeric');
  return prod(x, axesFor(x, axes, 'reduceProd'));
}
/** Maximum over `axes` (removed); NaN propagates. */
export const reduceMax = (x: NdArray, axes: readonly number[]): NdArray => core.reduceMax(x, axesFor(x, axes, 'reduceMax'));
/** Minimum over `axes` (removed); NaN propagates. */
export const reduceMin = (x: NdArray, axes: readonly number[]): NdArray => core.reduceMin(x, axesFor(x, axes, 'reduceMin'));
/** Logical and over `axes` of a bool array. */
export function reduceAnd(x: NdArray, axes: readonly number[]): NdArray {
  if (avalOf(x).dtype !== 'bool') throw new TypeError(`lax.reduceAnd: supported on bool arrays only here, got ${avalStr(avalOf(x))}`);
  return all(x, axesFor(x, axes, 'reduceAnd'));
}
/** Logical or over `axes` of a bool array. */
export function reduceOr(x: NdArray, axes: readonly number[]): NdArray {
  if (avalOf(x).dtype !== 'bool') throw new TypeError(`lax.reduceOr: supported on bool arrays only here, got ${avalStr(avalOf(x))}`);
  return any(x, axesFor(x, axes, 'reduceOr'));
}

function indexDType(op: string, dtype: DType): void {
  if (dtype !== 'int32') throw new TypeError(`lax.${op}: indexDtype must be int32 (the only integer dtype here), got ${dtype}`);
}
/** Index of the largest element along `axis` (the first on ties; the first NaN if any, as JAX). */
export function argmax(x: NdArray, axis: number, indexDtype: DType = 'int32'): NdArray {
  indexDType('argmax', indexDtype);
  return npArgmax(x, normAxis(axis, shapeOf(x).length, 'lax.argmax'));
}
/** Index of the smallest element along `axis` (the first on ties; the first NaN if any, as JAX). */
export function argmin(x: NdArray, axis: number, indexDtype: DType = 'int32'): NdArray {
  indexDType('argmin', indexDtype);
  return npArgmin(x, normAxis(axis, shapeOf(x).length, 'lax.argmin'));
}

export interface CumulativeOptions {
  /** Default 0, as jax.lax's (jax.numpy flattens by default). */
  readonly axis?: number;
  /** Accumulate from the end: result[i] reduces x[i:]. */
  readonly reverse?: boolean;
}

function cumulative(op: string, f: (x: NdArray, axis: number) => NdArray) {
  return (x: NdArray, opts: CumulativeOptions = {}): NdArray => {
    checkDType(op, x, op === 'cumlogsumexp' ? 'float' : op === 'cummax' || op === 'cummin' ? 'any' : 'numeric');
    const axis = normAxis(opts.axis ?? 0, shapeOf(x).length, `lax.${op}`);
    return opts.reverse ? rev(f(rev(x, [axis]), axis), [axis]) : f(x, axis);
  };
}
export const cumsum = cumulative('cumsum', npCumsum);
export const cumprod = cumulative('cumprod', npCumprod);
export const cummax = cumulative('cummax', (x, axis) => associativeScan(maximum, x, { axis }));
export const cummin = cumulative('cummin', (x, axis) => associativeScan(minimum, x, { axis }));
/** log(cumsum(exp(x))), stably. */
export const cumlogsumexp = cumulative('cumlogsumexp', (x, axis) => associativeScan(logaddexp, x, { axis }));

export type WindowPadding = 'VALID' | 'SAME' | readonly (readonly [number, number])[];
export type WindowComputation = 'add' | 'mul' | 'max' | 'min' | ((a: NdArray, b: NdArray) => NdArray);

const MONOIDS = {
  add: { f: npAdd, identity: 0 },
  mul: { f: npMul, identity: 1 },
  max: { f: maximum, identity: -Infinity },
  min: { f: minimum, identity: Infinity },
} as const;

/** XLA's padding for 'SAME' (output ceil(n / stride)) and 'VALID', per dim. */
function windowPads(padding: WindowPadding, shape: readonly number[], window: readonly number[], strides: readonly number[]): [number, number][] {
  if (typeof padding !== 'string' && padding.length !== shape.length) throw new TypeError(`lax.reduceWindow: padding has ${padding.length} pairs for rank ${shape.length}`);
  return padtypeToPads(shape, window, strides, padding);
}

/**
 * jax.lax.reduce_window for a monoid ('add', 'mul', 'max', 'min') or any associative JS
 * function: each output reduces `initValue` and one window of x padded with `initValue`.
 * Built from one strided slice per window offset, so grad, vmap and jit apply.
 * @example lax.reduceWindow(x, -Infinity, 'max', [1, 1, 2, 2], [1, 1, 2, 2], 'VALID') // 2x2 max pooling, NCHW
 */
export function reduceWindow(
  x: NdArray,
  initValue: NdArray | number,
  computation: WindowComputation,
  windowDimensions: readonly number[],
  windowStrides?: readonly number[],
  padding: WindowPadding = 'VALID',
  baseDilation?: readonly number[],
  windowDilation?: readonly number[],
): NdArray {
  const r = shapeOf(x).length;
  const ones = new Array(r).fill(1);
  const [strides, base, wdil] = [windowStrides ?? ones, baseDilation ?? ones, windowDilation ?? ones];
  if ([windowDimensions, strides, base, wdil].some((v) => v.length !== r)) throw new TypeError(`lax.reduceWindow: window dimensions, strides and dilations need ${r} entries for ${shapeStr(shapeOf(x))}`);
  const dilated = pad(x, initValue, base.map((d) => [0, 0, d - 1]));
  const effective = windowDimensions.map((w, i) => (w - 1) * wdil[i] + 1);
  const pads = windowPads(padding, shapeOf(dilated), effective, strides);
  const padded = pad(dilated, initValue, pads.map(([lo, hi]) => [lo, hi, 0]));
  const ps = shapeOf(padded);
  const out = ps.map((n, i) => Math.floor((n - effective[i]) / strides[i]) + 1);
  if (out.some((n) => n < 0)) throw new TypeError(`lax.reduceWindow: window ${shapeStr(windowDimensions)} does not fit the padded input ${shapeStr(ps)}`);
  const f = typeof computation === 'function' ? computation : MONOIDS[computation].f;
  let acc: NdArray | null = null;
  for (let k = 0; k < sizeOf(windowDimensions); k++) {
    const offset = windowDimensions.map((_, i) => Math.floor(k / sizeOf(windowDimensions.slice(i + 1))) % windowDimensions[i]).map((o, i) => o * wdil[i]);
    const view = core.slice(padded, offset, offset.map((o, i) => o + Math.max(out[i] - 1, 0) * strides[i] + (out[i] > 0 ? 1 : 0)), strides);
    acc = acc ? f(acc, view) : view;
  }
  const init = typeof initValue === 'number' ? core.scalar(initValue, avalOf(x).dtype, r) : core.reshape(initValue, ones);
  const isIdentity = typeof computation !== 'function' && initValue === MONOIDS[computation].identity;
  if (acc === null) return core.broadcastTo(init, out);
  return isIdentity ? acc : f(core.broadcastTo(init, out), acc);
}
