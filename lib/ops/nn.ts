/** Neural-network ops in NHWC: conv2d with stride/padding/dilation/groups, pooling, activations. */
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { add, div, erf, greater, logicalOr, mean, mul, notEqual, sigmoid, sub, sum, where } from './math.js';
import { logSoftmax } from './softmax.js';
import { oneHot } from './shape.js';

export type Pair = number | readonly [number, number];
export type PaddingSpec = 'SAME' | 'VALID' | number | readonly [readonly [number, number], readonly [number, number]];

const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** Explicit [[top, bottom], [left, right]] padding, with TensorFlow's rule for 'SAME'. */
export function resolvePadding(p: PaddingSpec, inHW: readonly number[], k: readonly number[], s: readonly number[], d: readonly number[]): lax.Padding2D {
  if (p === 'VALID') return [[0, 0], [0, 0]];
  if (typeof p === 'number') return [[p, p], [p, p]];
  if (p === 'SAME') {
    const side = (i: number): [number, number] => {
      const out = Math.ceil(inHW[i] / s[i]);
      const total = Math.max(0, (out - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inHW[i]);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    return [side(0), side(1)];
  }
  return [[p[0][0], p[0][1]], [p[1][0], p[1][1]]];
}

export interface Conv2dOptions {
  readonly strides?: Pair;
  readonly padding?: PaddingSpec;
  readonly dilation?: Pair;
  readonly groups?: number;
}

/**
 * 2-D convolution: x is NHWC, w is HWIO with I = in channels / groups.
 * @example np.conv2d(x, w, { strides: 2, padding: 1 }) // PyTorch's Conv2d(stride=2, padding=1)
 */
export function conv2d(x: NdArray, w: NdArray, opts: Conv2dOptions = {}): NdArray {
  const xs = shapeOf(x);
  const ws = shapeOf(w);
  if (xs.length !== 4 || ws.length !== 4) throw new Error(`conv2d: expected NHWC input and HWIO filter, got ${shapeStr(xs)} and ${shapeStr(ws)}`);
  const strides = pair(opts.strides ?? 1);
  const dilation = pair(opts.dilation ?? 1);
  const padding = resolvePadding(opts.padding ?? 'VALID', xs.slice(1, 3), ws.slice(0, 2), strides, dilation);
  return lax.conv(x, w, { strides, padding, dilation, groups: opts.groups ?? 1 });
}

export interface PoolOptions {
  readonly window: Pair;
  readonly strides?: Pair;
  readonly padding?: PaddingSpec;
  /** The spacing between a window's elements (default 1; lax.reduce_window's window_dilation). */
  readonly dilation?: Pair;
}

/**
 * The window's strided views of NHWC `x` padded with `fill`: one [N, ho, wo, C] view per window
 * offset, in row-major order of the offsets (the building block of the poolings).
 * @example np.poolWindows(x, { window: 2 }, 0) // 4 views, each [N, H / 2, W / 2, C]
 */
export function poolWindows(x: NdArray, opts: PoolOptions, fill: number): NdArray[] {
  const xs = shapeOf(x);
  if (xs.length !== 4) throw new Error(`pooling expects NHWC input, got ${shapeStr(xs)}`);
  const k = pair(opts.window);
  const s = pair(opts.strides ?? opts.window);
  const d = pair(opts.dilation ?? 1);
  if (!d.every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`pooling: dilation must be positive integers, got [${d}]`);
  const p = resolvePadding(opts.padding ?? 'VALID', xs.slice(1, 3), k, s, d);
  const padded = lax.pad(x, [0, p[0][0], p[1][0], 0], [0, p[0][1], p[1][1], 0], undefined, fill);
  const [n, h, w, c] = shapeOf(padded);
  const ho = Math.floor((h - d[0] * (k[0] - 1) - 1) / s[0]) + 1;
  const wo = Math.floor((w - d[1] * (k[1] - 1) - 1) / s[1]) + 1;
  const views: NdArray[] = [];
  for (let i = 0; i < k[0]; i++)
    for (let j = 0; j < k[1]; j++) {
      const [r, q] = [i * d[0], j * d[1]];
      views.push(lax.slice(padded, [0, r, q, 0], [n, r + (ho - 1) * s[0] + 1, q + (wo - 1) * s[1] + 1, c], [1, s[0], s[1], 1]));
    }
  return views;
}

/**
 * Max pooling (NHWC), padding with -inf as PyTorch does. Each window's first maximum in
 * row-major order (NaN propagates) is the result and alone gets the gradient, as JAX's
 * reduce_window max and PyTorch's max_pool2d (a tie is not shared, as `maximum`'s would be).
 */
export function maxPool(x: NdArray, opts: PoolOptions): NdArray {
  // A later view replaces the running maximum only where it is larger, or NaN.
  return poolWindows(x, opts, -Infinity).reduce((acc, v) => where(logicalOr(greater(v, acc), notEqual(v, v)), v, acc));
}

/** Average pooling (NHWC); padded zeros count in the average (PyTorch's count_include_pad). */
export function avgPool(x: NdArray, opts: PoolOptions): NdArray {
  const vs = poolWindows(x, opts, 0);
  return div(vs.reduce((a, b) => add(a, b)), vs.length);
}

/** Mean over H and W: [N, H, W, C] -> [N, C]. */
export function globalAvgPool(x: NdArray): NdArray {
  return mean(x, [1, 2]);
}

/** max(x, 0), with derivative 0 at 0 as in PyTorch. */
export const relu = (x: NdArray) => lax.unary('relu', x);
/** GELU, exact (erf) form as PyTorch's default. */
export const gelu = (x: NdArray) => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));
export const silu = (x: NdArray) => mul(x, sigmoid(x));

/** Mean cross-entropy of logits [..., K] against int32 labels [...]. */
export function crossEntropy(logits: NdArray, labels: NdArray): NdArray {
  const k = shapeOf(logits)[shapeOf(logits).length - 1];
  return sub(0, mean(sum(mul(oneHot(labels, k), logSoftmax(logits, -1)), -1)));
}
