/** 2-D convolution and pooling layers, channels-last: NHWC (or HWC for one example). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type PaddingSpec, type Pair, resolvePadding } from '../ops/nn.js';
import * as init from './init.js';
import { type Layer, positiveInt, stateless, withBatchAxis } from './layer.js';
import { convFromTorch, convToTorch, copy } from './torch.js';

export const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface Conv2dConfig {
  readonly in: number;
  readonly out: number;
  readonly kernel: Pair;
  /** Default 1. */
  readonly stride?: Pair;
  /**
   * PyTorch-style: a number or [ph, pw] pads both sides (default 0); also 'SAME' / 'VALID'
   * (TensorFlow's and lax's rule), Equinox's 'SAME_LOWER' (the odd pixel before), or explicit [[top, bottom], [left, right]].
   */
  readonly padding?: ConvPadding;
  readonly dilation?: Pair;
  readonly groups?: number;
  /** Default true. */
  readonly bias?: boolean;
  /** PyTorch's padding_mode: how the padding is filled (default 'zeros'; 'replicate' repeats the edge, 'circular' wraps around); Equinox's uppercase names too. */
  readonly paddingMode?: PaddingMode | Uppercase<PaddingMode>;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';
const PAD_MODES = { reflect: 'reflect', replicate: 'edge', circular: 'wrap' } as const;

/** np.pad's mode for a PyTorch padding_mode other than 'zeros'. */
export const padModeOf = (mode: Exclude<PaddingMode, 'zeros'>) => PAD_MODES[mode];

/** A convolution's padding option: np's PaddingSpec, PyTorch's `[ph, pw]` and lowercase strings, Equinox's 'SAME_LOWER'. */
export type ConvPadding = PaddingSpec | readonly [number, number] | 'same' | 'valid' | 'SAME_LOWER' | 'same_lower';
/** A padding option resolved up to the input's size: 'SAME_LOWER' needs it. */
type LayerPadding = PaddingSpec | 'SAME_LOWER';

/** A padding mode option in PyTorch's lowercase or Equinox's uppercase spelling, checked. */
export function paddingModeOf(mode: PaddingMode | Uppercase<PaddingMode> | undefined, op: string): PaddingMode {
  const m = (mode ?? 'zeros').toLowerCase();
  if (m !== 'zeros' && !Object.hasOwn(PAD_MODES, m)) throw new Error(`${op}: paddingMode must be 'zeros', 'reflect', 'replicate' or 'circular', got ${JSON.stringify(mode)}`);
  return m as PaddingMode;
}

/**
 * Explicit [[top, bottom], [left, right]] for a layer's padding on input sides `inHW`: 'SAME_LOWER' is
 * 'SAME' with an odd total's extra pixel before rather than after (Equinox's, ONNX's).
 */
function explicitPadding(p: LayerPadding, inHW: readonly number[], k: readonly number[], s: readonly number[], d: readonly number[]): PaddingSpec {
  if (p !== 'SAME_LOWER') return p;
  const [[t, b], [l, r]] = resolvePadding('SAME', inHW, k, s, d);
  return [
    [b, t],
    [r, l],
  ];
}

/**
 * x [N, H, W, C] padded as PyTorch's padding_mode (F.pad's 'reflect', 'replicate', 'circular'),
 * for a convolution that then pads nothing; 'zeros' leaves it to the convolution.
 */
function padInput(x: NdArray, mode: Exclude<PaddingMode, 'zeros'>, padding: LayerPadding, k: readonly number[], s: readonly number[], d: readonly number[]): NdArray {
  const inHW = x.shape.slice(1, 3);
  const [ph, pw] = resolvePadding(explicitPadding(padding, inHW, k, s, d), inHW, k, s, d);
  return np.pad(x, [[0, 0], ph, pw, [0, 0]], { mode: PAD_MODES[mode] });
}

export interface ConvParams {
  /** [kh, kw, in/groups, out] (HWIO) */
  readonly w: NdArray;
  /** [out] */
  readonly b?: NdArray;
}

/** A padding string in either case ('same', 'VALID', 'SAME_LOWER', ...) as np's uppercase, or an error naming `op`. */
export function paddingName(p: string, op: string): 'SAME' | 'VALID' | 'SAME_LOWER' {
  const u = p.toUpperCase();
  if (u !== 'SAME' && u !== 'VALID' && u !== 'SAME_LOWER') throw new Error(`${op}: padding must be a number, pairs, 'SAME', 'SAME_LOWER' or 'VALID', got '${p}'`);
  return u;
}

/** A layer's padding option as `np`'s (or 'SAME_LOWER'): `[ph, pw]` pads both sides, strings in either case, an unknown one an error. */
function convPadding(p: Conv2dConfig['padding']): LayerPadding {
  if (p === undefined) return 0;
  if (typeof p === 'string') return paddingName(p, 'conv2d');
  if (Array.isArray(p) && typeof p[0] === 'number') {
    const [ph, pw] = p as readonly [number, number];
    return [
      [ph, ph],
      [pw, pw],
    ];
  }
  return p as PaddingSpec;
}

/**
 * 2-D convolution on NHWC inputs (or one HWC example), PyTorch's nn.Conv2d semantics
 * with the filter stored HWIO.
 * @example const conv = nn.conv2d({ in: 3, out: 64, kernel: 3, stride: 1, padding: 1, bias: false });
 */
export function conv2d(config: Conv2dConfig): Layer<ConvParams, Record<string, never>> {
  const cin = positiveInt(config.in, 'conv2d: in');
  const cout = positiveInt(config.out, 'conv2d: out');
  const groups = positiveInt(config.groups ?? 1, 'conv2d: groups');
  if (cin % groups || cout % groups) throw new Error(`conv2d: in (${cin}) and out (${cout}) must be divisible by groups (${groups})`);
  const [kh, kw] = pairOf(config.kernel);
  const hasBias = config.bias ?? true;
  const padding = convPadding(config.padding);
  const paddingMode = paddingModeOf(config.paddingMode, 'conv2d');
  const strides = pairOf(config.stride ?? 1);
  const dilation = pairOf(config.dilation ?? 1);
  /** np.conv2d's options for input x: the padding is the convolution's only with zeros. */
  const optsFor = (x: NdArray) => ({ strides, dilation, groups, padding: paddingMode === 'zeros' ? explicitPadding(padding, x.shape.slice(1, 3), [kh, kw], strides, dilation) : 0 });
  const convolve = (x: NdArray, w: NdArray) => np.conv2d(padded(x), w, optsFor(x));
  const padded = (x: NdArray) => (paddingMode === 'zeros' ? x : padInput(x, paddingMode, padding, [kh, kw], strides, dilation));
  const wShape = [kh, kw, cin / groups, cout];
  const fans = { fanIn: (cin / groups) * kh * kw, fanOut: (cout / groups) * kh * kw };
  return {
    kind: 'conv2d',
    init(key) {
      return scope(() => ({ params: init.weightAndBias(key, config, wShape, hasBias ? { out: cout } : null, fans), state: {} }));
    },
    apply(params, state, x) {
      const y = withBatchAxis(x, 4, 'conv2d', (xb) => {
        const c = xb.shape[3];
        if (c !== cin) throw new Error(`conv2d: expected ${cin} input channels (NHWC), got input ${shapeStr(xb.shape)}`);
        const out = convolve(xb, params.w);
        return params.b ? np.add(out, params.b) : out;
      });
      return [y, state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = convToTorch(v.params.w);
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = convFromTorch(r.get(`${prefix}weight`, [cout, cin / groups, kh, kw]));
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [cout])) } : { w }, state: {} };
    },
  };
}

export interface PoolConfig {
  readonly kernel: Pair;
  /** Default: the kernel size (as PyTorch). */
  readonly stride?: Pair;
  /** A number or [ph, pw] pads both sides (PyTorch), or 'SAME' / 'VALID' / explicit [[t, b], [l, r]]. Default 0. */
  readonly padding?: Conv2dConfig['padding'];
  /** PyTorch's ceil_mode: round the output size up (a last, partial window), never starting one in the right padding. Default false. */
  readonly ceilMode?: boolean;
}

export interface AvgPoolConfig extends PoolConfig {
  /** PyTorch's count_include_pad: padded zeros count in the average (default true); false divides by the input positions only. */
  readonly countIncludePad?: boolean;
  /** PyTorch's divisor_override: every window's sum is divided by this instead. */
  readonly divisorOverride?: number;
}

/**
 * A pooling's window, strides and explicit padding per side, with ceil_mode's extra bottom/right
 * padding folded in; `d` is the window's dilation (max pooling), so it spans d (k - 1) + 1 inputs.
 */
function poolGeometry(config: PoolConfig, inHW: readonly number[], d: readonly number[] = [1, 1]) {
  const k = pairOf(config.kernel);
  const s = pairOf(config.stride ?? config.kernel);
  const span1 = [0, 1].map((i) => d[i] * (k[i] - 1) + 1);
  const pads = resolvePadding(explicitPadding(convPadding(config.padding), inHW, k, s, d), inHW, k, s, d);
  const dims = [0, 1].map((i) => {
    const [lo, hi] = pads[i];
    const span = inHW[i] + lo + hi - span1[i];
    if (span < 0) throw new Error(`pool2d: the window ${span1[i]} is larger than the padded input ${inHW[i] + lo + hi}`);
    let out = Math.floor(span / s[i]) + 1;
    if (config.ceilMode) {
      // PyTorch's pooling_output_shape: round up, but the last window must start inside the input or the left padding.
      out = Math.ceil(span / s[i]) + 1;
      if ((out - 1) * s[i] >= inHW[i] + lo) out -= 1;
    }
    const extra = Math.max(0, (out - 1) * s[i] + span1[i] - (inHW[i] + lo + hi));
    return { lo, hi, extra, out };
  });
  const padding: PaddingSpec = [
    [dims[0].lo, dims[0].hi + dims[0].extra],
    [dims[1].lo, dims[1].hi + dims[1].extra],
  ];
  return { k, s, dims, padding };
}

export interface MaxPoolConfig extends PoolConfig {
  /** PyTorch's dilation: the spacing between a window's elements (default 1). */
  readonly dilation?: Pair;
}

/**
 * The strided views of NHWC `xb` (padded with -inf), one per window offset in row-major order,
 * [N, ho, wo, C] each, with PyTorch's dilation and ceil_mode.
 */
function maxPoolWindows(xb: NdArray, config: MaxPoolConfig) {
  const d = pairOf(config.dilation ?? 1);
  positiveInt(d[0], 'maxPool2d: dilation');
  positiveInt(d[1], 'maxPool2d: dilation');
  const { k, s, dims, padding } = poolGeometry(config, xb.shape.slice(1, 3), d);
  const [ph, pw] = padding as readonly (readonly [number, number])[];
  const pool = { window: k, strides: s, padding, dilation: d };
  return { pool, views: () => np.poolWindows(xb, pool, -Infinity), k, s, d, ph, pw, ho: dims[0].out, wo: dims[1].out };
}

/**
 * Max pooling of NHWC `xb` as PyTorch's: each window's first maximum (row-major), which alone
 * gets the gradient (np.maxPool: a tie is not shared, as PyTorch's and JAX's reduce_window max).
 */
function maxPoolNhwc(xb: NdArray, config: MaxPoolConfig): NdArray {
  return np.maxPool(xb, maxPoolWindows(xb, config).pool);
}

/**
 * {@link maxPoolNhwc} and PyTorch's return_indices: the flat position h · W + w in the unpadded
 * input of each window's maximum, per example and channel.
 */
function maxPoolIndices(xb: NdArray, config: MaxPoolConfig): { values: NdArray; indices: NdArray } {
  const [, , w] = xb.shape;
  const { views, k, s, d, ph, pw, ho, wo } = maxPoolWindows(xb, config);
  const stacked = np.stack(views(), 3); // [N, ho, wo, K, C]
  const best = np.argmax(stacked, 3, true);
  // the flat input position each window offset (a, b) reads at each output position
  const where = Array.from({ length: k[0] * k[1] }, (_, j) => {
    const [a, b] = [Math.floor(j / k[1]), j % k[1]];
    return Array.from({ length: ho * wo }, (_, o) => (Math.floor(o / wo) * s[0] - ph[0] + a * d[0]) * w + ((o % wo) * s[1] - pw[0] + b * d[1]));
  });
  const table = np.transpose(np.reshape(np.array(where, 'int32'), [where.length, ho, wo]), [1, 2, 0]);
  const positions = np.broadcastTo(np.expandDims(table, [0, 4]), stacked.shape);
  return { values: np.squeeze(np.takeAlongAxis(stacked, best, 3), 3), indices: np.squeeze(np.takeAlongAxis(positions, best, 3), 3) };
}

/** Max pooling (NHWC or HWC), padding with -inf as PyTorch's nn.MaxPool2d (`ceilMode`, `dilation` as its ceil_mode, dilation). */
export const maxPool2d = (config: MaxPoolConfig) => stateless('maxPool2d', (x) => withBatchAxis(x, 4, 'maxPool2d', (xb) => maxPoolNhwc(xb, config)));

export interface MaxPoolIndicesOptions extends MaxPoolConfig {
  /** Also return each window's argmax (PyTorch's return_indices): the flat position h · W + w in the input. */
  readonly returnIndices?: boolean;
}

/**
 * F.max_pool2d on NHWC (or HWC) `x`; with `returnIndices`, [values, int32 indices] of the same
 * shape, each the flat position h · W + w of its window's maximum (PyTorch's, channels last).
 * @example const [y, idx] = F.maxPool2d(x, { kernel: 2, returnIndices: true });
 */
export function maxPool2dFn(x: NdArray, config: MaxPoolIndicesOptions & { readonly returnIndices: true }): [NdArray, NdArray];
export function maxPool2dFn(x: NdArray, config: MaxPoolIndicesOptions): NdArray;
export function maxPool2dFn(x: NdArray, config: MaxPoolIndicesOptions): NdArray | [NdArray, NdArray] {
  if (!config.returnIndices) return maxPool2d(config).apply({}, {}, x)[0];
  return valuesAndIndices(x, 'maxPool2d', (xb) => maxPoolIndices(xb, config));
}

/** A pooling's values and indices for [N, H, W, C] or one image [H, W, C] (the indices lose the batch axis the values lose). */
function valuesAndIndices(x: NdArray, what: string, pool: (xb: NdArray) => { values: NdArray; indices: NdArray }): [NdArray, NdArray] {
  let indices: NdArray | undefined;
  const values = withBatchAxis(x, 4, what, (xb) => {
    const r = pool(xb);
    indices = r.indices;
    return r.values;
  });
  return [values, x.shape.length === 3 ? np.squeeze(indices!, 0) : indices!];
}

/**
 * PyTorch avg_pool2d's divisor per output position, [1, ho, wo, 1]: the window clipped to the
 * padded input (the input alone without `countIncludePad`), or `divisorOverride`.
 */
function avgDivisors(config: AvgPoolConfig, inHW: readonly number[], geometry: ReturnType<typeof poolGeometry>): number[] | number {
  if (config.divisorOverride !== undefined) return config.divisorOverride;
  const { k, s, dims } = geometry;
  const counts = [0, 1].map((i) =>
    Array.from({ length: dims[i].out }, (_, o) => {
      const start = o * s[i] - dims[i].lo;
      const end = Math.min(start + k[i], inHW[i] + dims[i].hi);
      return config.countIncludePad === false ? Math.min(end, inHW[i]) - Math.max(start, 0) : end - start;
    }),
  );
  return counts[0].flatMap((h) => counts[1].map((w) => h * w));
}

/**
 * Average pooling (NHWC or HWC) as PyTorch's nn.AvgPool2d: padded zeros count
 * (count_include_pad=True) unless `countIncludePad: false`; with `ceilMode` the last, partial
 * windows divide by their size within the padded input; `divisorOverride` replaces every divisor.
 */
export const avgPool2d = (config: AvgPoolConfig) => {
  if (config.divisorOverride !== undefined && !(config.divisorOverride > 0)) throw new Error(`avgPool2d: divisorOverride must be > 0, got ${config.divisorOverride}`);
  return stateless('avgPool2d', (x) =>
    withBatchAxis(x, 4, 'avgPool2d', (xb) => {
      const inHW = xb.shape.slice(1, 3);
      const g = poolGeometry(config, inHW);
      const mean = np.avgPool(xb, { window: g.k, strides: g.s, padding: g.padding });
      const size = g.k[0] * g.k[1];
      const divisors = avgDivisors(config, inHW, g);
      if (typeof divisors === 'number') return np.mul(mean, size / divisors);
      if (divisors.every((d) => d === size)) return mean;
      return np.mul(mean, np.reshape(np.array(divisors.map((d) => size / d), 'float32'), [1, g.dims[0].out, g.dims[1].out, 1]));
    }),
  );
};

export interface LpPoolConfig {
  /** The p of the power average (PyTorch's norm_type). */
  readonly normType: number;
  readonly kernel: Pair;
  /** Default: the kernel size. */
  readonly stride?: Pair;
  /** PyTorch's ceil_mode (default false). */
  readonly ceilMode?: boolean;
}

/**
 * Power-average pooling (NHWC or HWC) as PyTorch's nn.LPPool2d: (Σ x^p)^(1/p) over each window,
 * computed as PyTorch does, (avg_pool2d(x^p) · kh · kw)^(1/p), so with `ceilMode` a partial window's
 * sum is scaled by kh · kw over its size, as PyTorch's.
 */
export const lpPool2d = (config: LpPoolConfig) => {
  const p = config.normType;
  if (!(p > 0)) throw new Error(`lpPool2d: normType must be > 0, got ${p}`);
  const [kh, kw] = pairOf(config.kernel);
  const avg = avgPool2d({ kernel: config.kernel, stride: config.stride, ceilMode: config.ceilMode });
  return stateless('lpPool2d', (x) => {
    const out = avg.apply({}, {}, np.pow(x, p))[0];
    return np.pow(np.mul(np.mul(np.sign(out), np.relu(np.abs(out))), kh * kw), 1 / p);
  });
};

export interface AdaptivePoolConfig {
  /** The output size [oh, ow] (a number for both); null keeps that axis's size (PyTorch's None). */
  readonly output: number | readonly [number | null, number | null];
}

/** PyTorch's adaptive pooling along one axis: output i reduces input [floor(i n / o), ceil((i + 1) n / o)). */
function adaptiveAxis(x: NdArray, axis: number, out: number | null, reduce: (v: NdArray) => NdArray): NdArray {
  const n = x.shape[axis];
  if (out === null || out === n) return x;
  const parts = Array.from({ length: out }, (_, i) => reduce(np.sliceAxis(x, axis, Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out))));
  return np.concatenate(parts, axis);
}

function adaptivePool(kind: string, config: AdaptivePoolConfig, reduce: (v: NdArray, axis: number) => NdArray, columnsFirst = false) {
  const o: readonly [number | null, number | null] = typeof config.output === 'number' ? [config.output, config.output] : config.output;
  o.forEach((v) => v === null || positiveInt(v, `${kind}: output`));
  return stateless(kind, (x) =>
    withBatchAxis(x, 4, kind, (xb) => {
      if (columnsFirst) return adaptiveAxis(adaptiveAxis(xb, 2, o[1], (v) => reduce(v, 2)), 1, o[0], (v) => reduce(v, 1));
      return adaptiveAxis(adaptiveAxis(xb, 1, o[0], (v) => reduce(v, 1)), 2, o[1], (v) => reduce(v, 2));
    }),
  );
}

/** PyTorch's nn.AdaptiveAvgPool2d on NHWC (or HWC): [N, H, W, C] -> [N, oh, ow, C], bins of (nearly) equal size. */
export const adaptiveAvgPool2d = (config: AdaptivePoolConfig) => adaptivePool('adaptiveAvgPool2d', config, (v, axis) => np.mean(v, axis, true));

/** The first maximum along `axis` (kept), which alone gets the gradient, as PyTorch's max pooling. */
const firstMax = (v: NdArray, axis: number) => np.takeAlongAxis(v, np.argmax(v, axis, true), axis);

/**
 * PyTorch's nn.AdaptiveMaxPool2d on NHWC (or HWC), the bins of {@link adaptiveAvgPool2d}; a tie's
 * gradient goes to its first position in row-major order (columns are reduced first), as PyTorch's.
 */
export const adaptiveMaxPool2d = (config: AdaptivePoolConfig) => adaptivePool('adaptiveMaxPool2d', config, firstMax, true);

/**
 * Adaptive pooling's windows along an axis of n inputs and `out` outputs, padded to the widest:
 * positions [out, widest] (clamped into the input) and which of them lie in their window.
 */
function adaptiveWindows(n: number, out: number): { positions: number[][]; valid: boolean[][] } {
  const bounds = Array.from({ length: out }, (_, i) => [Math.floor((i * n) / out), Math.ceil(((i + 1) * n) / out)]);
  const widest = Math.max(...bounds.map(([a, b]) => b - a));
  const positions = bounds.map(([a]) => Array.from({ length: widest }, (_, k) => Math.min(a + k, n - 1)));
  const valid = bounds.map(([a, b]) => Array.from({ length: widest }, (_, k) => a + k < b));
  return { positions, valid };
}

/**
 * Adaptive max pooling of NHWC `xb` with PyTorch's return_indices: each bin's first maximum
 * (row-major) and its flat position h · W + w in the input, per example and channel.
 */
function adaptiveMaxPoolIndices(xb: NdArray, output: readonly [number | null, number | null]): { values: NdArray; indices: NdArray } {
  const [n, h, w, c] = xb.shape;
  const [oh, ow] = [output[0] ?? h, output[1] ?? w];
  const rows = adaptiveWindows(h, oh);
  const cols = adaptiveWindows(w, ow);
  const [kh, kw] = [rows.positions[0].length, cols.positions[0].length];
  const gathered = np.take(np.take(xb, np.array(rows.positions.flat(), 'int32'), 1), np.array(cols.positions.flat(), 'int32'), 2); // [N, oh·kh, ow·kw, C]
  const windows = np.reshape(np.transpose(np.reshape(gathered, [n, oh, kh, ow, kw, c]), [0, 1, 3, 2, 4, 5]), [n, oh, ow, kh * kw, c]);
  const table = (f: (i: number, j: number, a: number, b: number) => number | boolean) =>
    Array.from({ length: oh }, (_, i) => Array.from({ length: ow }, (_, j) => Array.from({ length: kh * kw }, (_, k) => f(i, j, Math.floor(k / kw), k % kw))));
  const inWindow = np.expandDims(np.array(table((i, j, a, b) => rows.valid[i][a] && cols.valid[j][b]), 'bool'), [0, 4]);
  const masked = np.where(inWindow, windows, -Infinity);
  const best = np.argmax(masked, 3, true);
  const flatPos = np.broadcastTo(np.expandDims(np.array(table((i, j, a, b) => rows.positions[i][a] * w + cols.positions[j][b]), 'int32'), [0, 4]), masked.shape);
  return { values: np.squeeze(np.takeAlongAxis(masked, best, 3), 3), indices: np.squeeze(np.takeAlongAxis(flatPos, best, 3), 3) };
}

export interface AdaptiveMaxPoolOptions extends AdaptivePoolConfig {
  /** Also return each bin's argmax (PyTorch's return_indices): the flat position h · W + w in the input. */
  readonly returnIndices?: boolean;
}

/**
 * F.adaptive_max_pool2d on NHWC (or HWC) `x`; with `returnIndices`, [values, int32 indices] of the
 * same shape, each the flat position h · W + w of its bin's first maximum (PyTorch's, channels last).
 * @example const [y, idx] = F.adaptiveMaxPool2d(x, { output: [3, 2], returnIndices: true });
 */
export function adaptiveMaxPool2dFn(x: NdArray, config: AdaptiveMaxPoolOptions & { readonly returnIndices: true }): [NdArray, NdArray];
export function adaptiveMaxPool2dFn(x: NdArray, config: AdaptiveMaxPoolOptions): NdArray;
export function adaptiveMaxPool2dFn(x: NdArray, config: AdaptiveMaxPoolOptions): NdArray | [NdArray, NdArray] {
  const layer = adaptiveMaxPool2d(config);
  if (!config.returnIndices) return layer.apply({}, {}, x)[0];
  const o: readonly [number | null, number | null] = typeof config.output === 'number' ? [config.output, config.output] : config.output;
  return valuesAndIndices(x, 'adaptiveMaxPool2d', (xb) => adaptiveMaxPoolIndices(xb, o));
}

/** Mean over H and W: [N, H, W, C] -> [N, C] (or [H, W, C] -> [C]). */
export const globalAvgPool = () =>
  stateless('globalAvgPool', (x) => {
    const r = x.shape.length;
    if (r !== 3 && r !== 4) throw new Error(`globalAvgPool: expected NHWC or HWC, got ${shapeStr(x.shape)}`);
    return np.mean(x, [r - 3, r - 2]);
  });

/** Max over H and W: [N, H, W, C] -> [N, C] (or [H, W, C] -> [C]). */
export const globalMaxPool = () =>
  stateless('globalMaxPool', (x) => {
    const r = x.shape.length;
    if (r !== 3 && r !== 4) throw new Error(`globalMaxPool: expected NHWC or HWC, got ${shapeStr(x.shape)}`);
    return np.max(x, [r - 3, r - 2]);
  });
