/**
 * torch.nn.functional's forms of our layers, channels last: conv1d / conv2d / conv_transpose1d with
 * explicit weights, group_norm / instance_norm, batch_norm with given statistics, the channel-wise
 * dropouts and alpha dropout (explicit keys), max_unpool2d and bilinear.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import { type Conv1dConfig, conv1d as conv1dLayer } from './conv1d.js';
import { type Conv2dConfig, conv2d as conv2dLayer, pairOf } from './conv.js';
import { type ConvTranspose1dConfig, convTranspose1d as convTranspose1dLayer } from './conv-transpose.js';
import { normalize } from './functional.js';
import { groupNormalize } from './groupnorm.js';
import { withBatchAxis } from './layer.js';
import type { Pair } from '../ops/nn.js';

type LayerOnly = 'in' | 'out' | 'kernel' | 'bias' | 'weightInit' | 'biasInit';
export type Conv2dOptions = Omit<Conv2dConfig, LayerOnly>;
export type Conv1dOptions = Omit<Conv1dConfig, LayerOnly>;
export type ConvTranspose1dOptions = Omit<ConvTranspose1dConfig, LayerOnly>;

const params = (w: NdArray, b?: NdArray | null) => (b ? { w, b } : { w });

function rankOf(w: NdArray, rank: number, layout: string, what: string): number[] {
  if (w.shape.length !== rank) throw new Error(`${what}: w must be ${layout}, got ${shapeStr(w.shape)}`);
  return w.shape;
}

/**
 * F.conv2d channels last: x [N, H, W, in] (or [H, W, in]), w [kh, kw, in/groups, out] (PyTorch's
 * [out, in/groups, kh, kw] transposed by [2, 3, 1, 0]), b [out]; nn.conv2d's options.
 */
export function conv2d(x: NdArray, w: NdArray, b?: NdArray | null, opts: Conv2dOptions = {}): NdArray {
  const [kh, kw, ig, out] = rankOf(w, 4, '[kh, kw, in/groups, out]', 'conv2d');
  const layer = conv2dLayer({ ...opts, in: ig * (opts.groups ?? 1), out, kernel: [kh, kw], bias: !!b });
  return layer.apply(params(w, b), {}, x)[0];
}

/** F.conv1d channels last: x [N, L, in] (or [L, in]), w [k, in/groups, out] (PyTorch's [out, in/groups, k] transposed by [2, 1, 0]), b [out]. */
export function conv1d(x: NdArray, w: NdArray, b?: NdArray | null, opts: Conv1dOptions = {}): NdArray {
  const [k, ig, out] = rankOf(w, 3, '[k, in/groups, out]', 'conv1d');
  const layer = conv1dLayer({ ...opts, in: ig * (opts.groups ?? 1), out, kernel: k, bias: !!b });
  return layer.apply(params(w, b), {}, x)[0];
}

/** F.conv_transpose1d channels last: x [N, L, in] (or [L, in]), w [k, in, out/groups] (PyTorch's [in, out/groups, k] transposed by [2, 0, 1]), b [out]. */
export function convTranspose1d(x: NdArray, w: NdArray, b?: NdArray | null, opts: ConvTranspose1dOptions = {}): NdArray {
  const [k, cin, og] = rankOf(w, 3, '[k, in, out/groups]', 'convTranspose1d');
  const layer = convTranspose1dLayer({ ...opts, in: cin, out: og * (opts.groups ?? 1), kernel: k, bias: !!b });
  return layer.apply(params(w, b), {}, x)[0];
}

/** The channel count of channels-last x, checked against a per-channel parameter. */
function channelsOf(x: NdArray, p: NdArray | null | undefined, what: string): number {
  const c = x.shape.at(-1) ?? 0;
  if (p && !(p.shape.length === 1 && p.shape[0] === c)) throw new Error(`${what}: per-channel parameters must be [${c}] (the last axis of ${shapeStr(x.shape)}), got ${shapeStr(p.shape)}`);
  return c;
}

/** F.group_norm channels last: x [N, ..., C], C divisible by `groups`; weight and bias [C] (PyTorch's x is [N, C, ...]). */
export function groupNorm(x: NdArray, groups: number, weight: NdArray | null = null, bias: NdArray | null = null, eps = 1e-5): NdArray {
  const c = channelsOf(x, weight ?? bias, 'groupNorm');
  if (x.shape.length < 2 || !Number.isInteger(groups) || groups < 1 || c % groups) throw new Error(`groupNorm: x ${shapeStr(x.shape)} must be [N, ..., C] with C divisible by groups ${groups}`);
  return groupNormalize(x, groups, weight, bias, eps);
}

export interface InstanceNormOptions {
  readonly weight?: NdArray | null;
  readonly bias?: NdArray | null;
  /** Default 1e-5. */
  readonly eps?: number;
}

/**
 * F.instance_norm with use_input_stats (its default) channels last: each example's channels
 * normalised over their spatial positions (biased variance); x [N, ..., C], weight and bias [C].
 */
export function instanceNorm(x: NdArray, { weight = null, bias = null, eps = 1e-5 }: InstanceNormOptions = {}): NdArray {
  const c = channelsOf(x, weight ?? bias, 'instanceNorm');
  if (x.shape.length < 3) throw new Error(`instanceNorm: x must be [N, ..., C] with a spatial axis, got ${shapeStr(x.shape)}`);
  return groupNormalize(x, c, weight, bias, eps);
}

export interface BatchNormFnOptions {
  readonly weight?: NdArray | null;
  readonly bias?: NdArray | null;
  /** Normalise with the batch's statistics (biased variance) instead of the running ones (default false). */
  readonly training?: boolean;
  /** Default 1e-5. */
  readonly eps?: number;
}

/**
 * F.batch_norm channels last: x [N, ..., C] normalised per channel with `runningMean` /
 * `runningVar` [C], or with the batch's statistics in training. PyTorch also updates the running
 * statistics in place in training: here use the nn.batchNorm layer, whose state carries them.
 */
export function batchNorm(x: NdArray, runningMean: NdArray | null, runningVar: NdArray | null, { weight = null, bias = null, training = false, eps = 1e-5 }: BatchNormFnOptions = {}): NdArray {
  channelsOf(x, weight ?? bias, 'batchNorm');
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  if (training) {
    const mean = np.mean(x, axes);
    return normalize(x, mean, np.mean(np.square(np.sub(x, mean)), axes), weight, bias, eps);
  }
  if (!runningMean || !runningVar) throw new Error('batchNorm: evaluation (training false) needs runningMean and runningVar');
  return normalize(x, runningMean, runningVar, weight, bias, eps);
}

/** Channel dropout on channels-last x [N, ..., C]: whole channels of each example zeroed with probability `rate`, the rest scaled by 1 / (1 - rate). */
function channelDropout(key: NdArray, x: NdArray, rate: number, rank: number, what: string): NdArray {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`${what}: rate must be in [0, 1], got ${rate}`);
  if (x.shape.length !== rank && x.shape.length !== rank - 1) throw new Error(`${what}: x must have ${rank} (batched) or ${rank - 1} axes, channels last, got ${shapeStr(x.shape)}`);
  if (rate === 0) return x;
  if (rate === 1) return np.mul(x, 0);
  const s = x.shape;
  const maskShape = s.map((d, i) => (i === s.length - 1 || (i === 0 && s.length === rank) ? d : 1));
  return np.where(random.bernoulli(key, 1 - rate, maskShape), np.div(x, 1 - rate), 0);
}

/** F.dropout1d channels last ([N, L, C] or [L, C]), with an explicit key: zeroes whole channels. */
export const dropout1d = (key: NdArray, x: NdArray, rate = 0.5) => channelDropout(key, x, rate, 3, 'dropout1d');
/** F.dropout2d channels last ([N, H, W, C] or [H, W, C]), with an explicit key: zeroes whole channels. */
export const dropout2d = (key: NdArray, x: NdArray, rate = 0.5) => channelDropout(key, x, rate, 4, 'dropout2d');
/** F.dropout3d channels last ([N, D, H, W, C] or [D, H, W, C]), with an explicit key: zeroes whole channels. */
export const dropout3d = (key: NdArray, x: NdArray, rate = 0.5) => channelDropout(key, x, rate, 5, 'dropout3d');

/** SELU's negative saturation value, -scale · alpha. */
const SELU_SATURATION = -1.0507009873554805 * 1.6732632423543772;

/** a (keep ? x : α') + b with PyTorch's affine correction, α' the SELU saturation, `keep` drawn with `key` in `maskShape`. */
function alphaDropoutWith(key: NdArray, x: NdArray, rate: number, maskShape: readonly number[], what: string): NdArray {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`${what}: rate must be in [0, 1], got ${rate}`);
  if (rate === 0) return x;
  if (rate === 1) return np.mul(x, 0);
  const a = 1 / Math.sqrt((1 - rate) * (1 + rate * SELU_SATURATION * SELU_SATURATION));
  const b = -a * SELU_SATURATION * rate;
  const keep = random.bernoulli(key, 1 - rate, maskShape);
  return np.add(np.mul(np.where(keep, x, SELU_SATURATION), a), b);
}

/** F.alpha_dropout with an explicit key: dropped entries set to SELU's saturation, then an affine map keeping the mean and variance (for SELU nets). */
export const alphaDropout = (key: NdArray, x: NdArray, rate = 0.5) => alphaDropoutWith(key, x, rate, x.shape, 'alphaDropout');

/** F.feature_alpha_dropout channels last ([N, ..., C]): alpha dropout of whole channels per example. */
export function featureAlphaDropout(key: NdArray, x: NdArray, rate = 0.5): NdArray {
  const s = x.shape;
  if (s.length < 2) throw new Error(`featureAlphaDropout: x must be [N, ..., C], got ${shapeStr(s)}`);
  return alphaDropoutWith(key, x, rate, s.map((d, i) => (i === 0 || i === s.length - 1 ? d : 1)), 'featureAlphaDropout');
}

export interface MaxUnpoolOptions {
  readonly kernel: Pair;
  /** Default the kernel. */
  readonly stride?: Pair;
  /** Default 0. */
  readonly padding?: Pair;
  /** [H, W] of the result; default (H - 1) stride - 2 padding + kernel per side. */
  readonly outputSize?: readonly [number, number];
}

/**
 * `written` (the values put at `ix` along axis 1 of `flat`) with PyTorch's max_unpool gradient: each
 * value gets the output's cotangent at its index, also where several share one (overlapping pooling
 * windows with the same maximum), not only the one a scatter keeps. Adds zeros scatter-added from
 * `values - stopGradient(values)`, whose derivative is that gather (an infinite value gets none).
 */
function gatherGradient(written: NdArray, flat: NdArray, ix: NdArray, values: NdArray): NdArray {
  const [n, m, c] = ix.shape;
  const rows = np.reshape(np.arange(n, undefined, 1, 'int32'), [n, 1, 1]);
  const cols = np.reshape(np.arange(c, undefined, 1, 'int32'), [1, 1, c]);
  const fixed = np.stopGradient(values);
  const zeros = np.where(np.isfinite(fixed), np.sub(values, fixed), 0);
  return np.add(np.stopGradient(written), np.at(flat, rows, np.broadcastTo(ix, [n, m, c]), cols).add(zeros));
}

/**
 * F.max_unpool2d channels last: the values of x [N, H, W, C] (or [H, W, C]) written at `indices`
 * (int32, x's shape: flat positions h · W' + w, as F.maxPool2d's returnIndices), zeros elsewhere.
 */
export function maxUnpool2d(x: NdArray, indices: NdArray, opts: MaxUnpoolOptions): NdArray {
  if (!np.shape(indices).every((d, i) => d === x.shape[i]) || indices.shape.length !== x.shape.length) throw new Error(`maxUnpool2d: indices ${shapeStr(indices.shape)} must have x's shape ${shapeStr(x.shape)}`);
  const k = pairOf(opts.kernel);
  const s = pairOf(opts.stride ?? opts.kernel);
  const p = pairOf(opts.padding ?? 0);
  const batched = x.shape.length === 4;
  const idx = batched ? indices : np.expandDims(indices, 0);
  return withBatchAxis(x, 4, 'maxUnpool2d', (xb) => {
    const [n, h, w, c] = xb.shape;
    const [ho, wo] = opts.outputSize ?? [0, 1].map((a) => ([h, w][a] - 1) * s[a] - 2 * p[a] + k[a]);
    const flat = np.zeros([n, ho * wo, c], xb.dtype === 'int32' ? 'int32' : 'float32');
    const ix = np.reshape(idx, [n, h * w, c]);
    const values = np.reshape(xb, [n, h * w, c]);
    const written = np.putAlongAxis(flat, ix, values, 1);
    return np.reshape(xb.dtype === 'int32' ? written : gatherGradient(written, flat, ix, values), [n, ho, wo, c]);
  });
}

/** F.max_unpool1d channels last: x [N, L, C] (or [L, C]) and F.maxPool1d's returnIndices; see {@link maxUnpool2d}. */
export function maxUnpool1d(x: NdArray, indices: NdArray, opts: { readonly kernel: number; readonly stride?: number; readonly padding?: number; readonly outputSize?: number }): NdArray {
  const k = opts.kernel;
  const len = (x.shape.at(-2) ?? 1) - 1;
  const out = opts.outputSize ?? len * (opts.stride ?? k) - 2 * (opts.padding ?? 0) + k;
  const as2d = (a: NdArray) => np.expandDims(a, -3);
  const y = maxUnpool2d(as2d(x), as2d(indices), { kernel: [1, k], stride: [1, opts.stride ?? k], padding: [0, opts.padding ?? 0], outputSize: [1, out] });
  return np.squeeze(y, -3);
}

/** F.bilinear: y[..., o] = Σ_ij x1[..., i] weight[o, i, j] x2[..., j] + bias[o] (PyTorch's weight layout [out, in1, in2]). */
export function bilinear(x1: NdArray, x2: NdArray, weight: NdArray, bias?: NdArray | null): NdArray {
  const [, i1, i2] = rankOf(weight, 3, '[out, in1, in2]', 'bilinear');
  if (x1.shape.at(-1) !== i1 || x2.shape.at(-1) !== i2) throw new Error(`bilinear: x1 ${shapeStr(x1.shape)} and x2 ${shapeStr(x2.shape)} must end in ${i1} and ${i2} (weight ${shapeStr(weight.shape)})`);
  const y = np.einsum('...i,oij,...j->...o', x1, weight, x2);
  return bias ? np.add(y, bias) : y;
}
