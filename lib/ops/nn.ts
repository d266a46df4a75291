/** Neural-network ops in NHWC: conv2d with stride/padding/dilation/groups, pooling, activations. */
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { add, div, erf, logSoftmax, maximum, mean, mul, sigmoid, sub, sum } from './math.js';
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
}

/** The window's strided views of the padded input, one per window offset. */
function windows(x: NdArray, opts: PoolOptions, fill: number): NdArray[] {
  const xs = shapeOf(x);
  if (xs.length !== 4) throw new Error(`pooling expects NHWC input, got ${shapeStr(xs)}`);
  const k = pair(opts.window);
  const s = pair(opts.strides ?? opts.window);
  const p = resolvePadding(opts.padding ?? 'VALID', xs.slice(1, 3), k, s, [1, 1]);
  const padded = lax.pad(x, [0, p[0][0], p[1][0], 0], [0, p[0][1], p[1][1], 0], undefined, fill);
  const [n, h, w, c] = shapeOf(padded);
  const ho = Math.floor((h - k[0]) / s[0]) + 1;
  const wo = Math.floor((w - k[1]) / s[1]) + 1;
  const views: NdArray[] = [];
  for (let i = 0; i < k[0]; i++)
    for (let j = 0; j < k[1]; j++) views.push(lax.slice(padded, [0, i, j, 0], [n, i + (ho - 1) * s[0] + 1, j + (wo - 1) * s[1] + 1, c], [1, s[0], s[1], 1]));
  return views;
}

/**
 * Max pooling (NHWC), padding with -inf as PyTorch does. Built from strided slices and
 * maxima, so its derivatives and batching come from those primitives.
 */
export function maxPool(x: NdArray, opts: PoolOptions): NdArray {
  return windows(x, opts, -Infinity).reduce((a, b) => maximum(a, b));
}

/** Average pooling (NHWC); padded zeros count in the average (PyTorch's count_include_pad). */
export function avgPool(x: NdArray, opts: PoolOptions): NdArray {
  const vs = windows(x, opts, 0);
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
