/**
 * The functions behind the layers (like `torch.nn.functional`): pure functions of
 * arrays, for use without the (init, apply) machinery.
 */
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { axisSize, pmean } from '../core/collectives.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';

export { relu, gelu, silu } from '../ops/index.js';

/** x @ w + b over the last axis of x: w is [in, out] (PyTorch's weight transposed). */
export function linear(x: NdArray, w: NdArray, b?: NdArray | null): NdArray {
  const y = np.matmul(x, w);
  return b ? np.add(y, b) : y;
}

/**
 * x / max(||x||_2, eps) along `axis`, as `torch.nn.functional.normalize` (computed as
 * x * rsqrt(max(sum x^2, eps^2)), the same value with a finite gradient at x = 0).
 */
export function l2Normalize(x: NdArray, axis = -1, eps = 1e-12): NdArray {
  const ss = np.sum(np.square(x), axis, true);
  return np.mul(x, np.rsqrt(np.maximum(ss, eps * eps)));
}

/** Axes a BatchNorm reduces over: all but the last (channels-last layout). */
export function batchAxes(x: NdArray, op = 'batchNorm'): number[] {
  const r = shapeOf(x).length;
  if (r < 2) throw new Error(`${op}: expected a batch [N, C] or [N, ..., C] (channels last), got ${shapeStr(shapeOf(x))}`);
  return Array.from({ length: r - 1 }, (_, i) => i);
}

/** (x - mean) / sqrt(var + eps) * scale + bias, broadcasting over the last axis. */
export function normalize(x: NdArray, mean: NdArray, variance: NdArray, scale: NdArray | null, bias: NdArray | null, eps: number): NdArray {
  const inv = np.rsqrt(np.add(variance, eps));
  const k = scale ? np.mul(inv, scale) : inv;
  const y = np.mul(np.sub(x, mean), k);
  return bias ? np.add(y, bias) : y;
}

/**
 * Batch statistics over every axis but the last: the mean and the BIASED variance
 * (what training-mode BatchNorm normalises with), and the count of values per channel.
 * With `axisName` the batch is sharded (equally) over that named axis and the statistics
 * are the whole batch's: means of the members' means, the variance about the global mean.
 */
export function batchMoments(x: NdArray, axisName?: string): { mean: NdArray; variance: NdArray; count: number } {
  const axes = batchAxes(x);
  const overAll = (v: NdArray) => (axisName === undefined ? v : pmean(v, axisName));
  const count = axes.reduce((n, a) => n * shapeOf(x)[a], 1) * (axisName === undefined ? 1 : axisSize(axisName));
  const mean = overAll(np.mean(x, axes));
  const variance = overAll(np.mean(np.square(np.sub(x, mean)), axes));
  return { mean, variance, count };
}

/** Layer normalisation over the last axis. */
export function layerNorm(x: NdArray, scale: NdArray | null, bias: NdArray | null, eps = 1e-5): NdArray {
  const mean = np.mean(x, -1, true);
  const variance = np.mean(np.square(np.sub(x, mean)), -1, true);
  return normalize(x, mean, variance, scale, bias, eps);
}

/** Inverted dropout: zeroes each entry with probability `rate` and scales the rest by 1 / (1 - rate). */
export function dropout(key: NdArray, x: NdArray, rate: number): NdArray {
  if (rate <= 0) return x;
  if (rate >= 1) return np.mul(x, 0);
  const keep = random.bernoulli(key, 1 - rate, shapeOf(x));
  return np.where(keep, np.div(x, 1 - rate), 0);
}

/**
 * Scaled dot-product attention: softmax(q k^T / sqrt(d)) v over [..., T, d] arrays
 * (leading dims must agree).
 */
export function dotProductAttention(q: NdArray, k: NdArray, v: NdArray): NdArray {
  const d = shapeOf(q)[shapeOf(q).length - 1];
  const r = shapeOf(k).length;
  const kt = lax.transpose(k, [...Array(r - 2).keys(), r - 1, r - 2]);
  const scores = np.mul(np.matmul(q, kt), 1 / Math.sqrt(d));
  return np.matmul(np.softmax(scores, -1), v);
}
