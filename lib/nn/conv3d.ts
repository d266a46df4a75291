/**
 * 3-D convolutions (PyTorch's nn.Conv3d / ConvTranspose3d, eqx.nn.Conv3d / ConvTranspose3d),
 * channels-last: NDHWC (or one DHWC example). lax's convolution has 1 or 2 spatial axes, so a
 * 3-D one is the sum over the kernel's depth taps of 2-D convolutions of depth slices.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { convGeneralDilated } from '../ops/lax-dot-conv.js';
import { pad as laxPad, slice as laxSlice } from '../ops/lax-structural.js';
import { type ConvParams, type PaddingMode, padModeOf, paddingModeOf, paddingName } from './conv.js';
import { type ConvTranspose3dOptions, type ConvTransposeParams, geometry, transposePads } from './conv-transpose.js';
import * as init from './init.js';
import { type Layer, positiveInt, withBatchAxis } from './layer.js';
import { copy } from './torch.js';

/** A number for every axis, or one per axis (depth, height, width). */
export type Triple = number | readonly [number, number, number];

/**
 * A 3-D convolution's padding: PyTorch's number or [pd, ph, pw] (both sides), explicit
 * [[before, after]] per axis, or 'SAME' / 'SAME_LOWER' / 'VALID' in either case (Equinox's).
 */
export type Conv3dPadding = Triple | readonly (readonly [number, number])[] | 'SAME' | 'SAME_LOWER' | 'VALID' | 'same' | 'same_lower' | 'valid';

export interface Conv3dOptions {
  /** Default 1. */
  readonly stride?: Triple;
  /** Default 0. */
  readonly padding?: Conv3dPadding;
  /** Default 1. */
  readonly dilation?: Triple;
  /** Default 1. */
  readonly groups?: number;
}

/** `v` as three positive integers, or an error naming the option. */
function positiveTriple(v: Triple | undefined, fallback: number, what: string): [number, number, number] {
  const t = typeof v === 'object' ? [...v] : [v ?? fallback, v ?? fallback, v ?? fallback];
  if (t.length !== 3 || t.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`conv3d: ${what} must be a positive integer or three, got ${JSON.stringify(v)}`);
  return t as [number, number, number];
}

/**
 * The zeros before and after each spatial axis of input sides `inSizes`: 'SAME' pads
 * `(ceil(n / s) - 1) s + d (k - 1) + 1 - n` in all, the odd one after ('SAME_LOWER': before).
 */
function convSides(p: Conv3dPadding | undefined, inSizes: readonly number[], k: readonly number[], s: readonly number[], d: readonly number[]): [number, number][] {
  if (typeof p === 'string') {
    const name = paddingName(p, 'conv3d');
    return inSizes.map((n, i) => {
      if (name === 'VALID') return [0, 0];
      const total = Math.max(0, (Math.ceil(n / s[i]) - 1) * s[i] + d[i] * (k[i] - 1) + 1 - n);
      const before = name === 'SAME' ? Math.floor(total / 2) : Math.ceil(total / 2);
      return [before, total - before];
    });
  }
  if (Array.isArray(p) && Array.isArray(p[0])) {
    const sides = (p as readonly (readonly number[])[]).map((a): [number, number] => [a[0], a[1]]);
    if (sides.length !== 3 || sides.some((a) => a.some((v) => !Number.isInteger(v) || v < 0))) throw new Error(`conv3d: padding must be three [before, after] pairs of non-negative integers, got ${JSON.stringify(p)}`);
    return sides;
  }
  const t = typeof p === 'object' ? [...(p as readonly number[])] : [p ?? 0, p ?? 0, p ?? 0];
  if (t.length !== 3 || t.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`conv3d: padding must be a non-negative integer or three, got ${JSON.stringify(p)}`);
  return t.map((v): [number, number] => [v, v]);
}

/** The geometry of a general 3-D convolution: strides, [before, after] padding (negative crops), input and kernel dilations. */
interface General3d {
  readonly strides: readonly number[];
  readonly pads: readonly (readonly [number, number])[];
  readonly lhsDilation: readonly number[];
  readonly rhsDilation: readonly number[];
  readonly groups: number;
}

/**
 * lax.conv_general_dilated with three spatial axes on x [N, D, H, W, C] and w [kd, kh, kw, C/groups, O]:
 * the depth axis dilated and padded, then for each depth tap t the depth slice it meets at every
 * output depth, convolved over H and W with w[t]; the taps summed.
 */
function convGeneral3d(x: NdArray, w: NdArray, g: General3d): NdArray {
  const [sd, ...sHW] = g.strides;
  const [dd, ...dHW] = g.rhsDilation;
  const [ld, ...lHW] = g.lhsDilation;
  const [[pdLo, pdHi], ...pHW] = g.pads;
  const kd = w.shape[0];
  const xd = laxPad(x, 0, [[0, 0, 0], [pdLo, pdHi, ld - 1], [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
  const [n, depth, h, wd, c] = xd.shape;
  const outD = Math.floor((depth - dd * (kd - 1) - 1) / sd) + 1;
  if (outD < 1) throw new Error(`conv3d: the padded input depth ${depth} is smaller than the dilated kernel depth ${dd * (kd - 1) + 1}`);
  let y: NdArray | undefined;
  for (let t = 0; t < kd; t++) {
    const start = t * dd;
    const slab = laxSlice(xd, [0, start, 0, 0, 0], [n, start + (outD - 1) * sd + 1, h, wd, c], [1, sd, 1, 1, 1]);
    const tap = np.squeeze(laxSlice(w, [t, 0, 0, 0, 0], [t + 1, ...w.shape.slice(1)]), 0);
    const yt = convGeneralDilated(np.reshape(slab, [n * outD, h, wd, c]), tap, sHW, pHW, lHW, dHW, ['NHWC', 'HWIO', 'NHWC'], g.groups);
    y = y === undefined ? yt : np.add(y, yt);
  }
  const ys = y!.shape;
  return np.reshape(y!, [n, outD, ...ys.slice(1)]);
}

/** The input [N, D, H, W, C] (or one example) checked against w [kd, kh, kw, in/groups, out] and `groups`. */
function checkConv3d(xb: NdArray, w: NdArray, groups: number, what: string): void {
  const ws = w.shape;
  const c = xb.shape[4];
  if (ws.length !== 5 || ws[3] * groups !== c || ws[4] % groups !== 0)
    throw new Error(`${what}: expected w [kd, kh, kw, ${c}/groups, out] for input ${shapeStr(xb.shape)} (NDHWC) and groups ${groups}, got w ${shapeStr(ws)}`);
}

/**
 * 3-D convolution as torch.nn.functional.conv3d, channels-last: x [N, D, H, W, in] (or one
 * [D, H, W, in] example), w [kd, kh, kw, in/groups, out] (PyTorch's [out, in/groups, kd, kh, kw]
 * transposed by [2, 3, 4, 1, 0]), b [out]. Each output side is floor((n + pads - d (k - 1) - 1) / s) + 1.
 * @example F.conv3d(x, w, b, { stride: 2, padding: 1 }) // [N, 8, 8, 8, C] -> [N, 4, 4, 4, out] with a 3x3x3 kernel
 */
export function conv3d(x: NdArray, w: NdArray, b?: NdArray | null, opts: Conv3dOptions = {}, paddingMode: PaddingMode = 'zeros'): NdArray {
  const strides = positiveTriple(opts.stride, 1, 'stride');
  const dilation = positiveTriple(opts.dilation, 1, 'dilation');
  const groups = positiveInt(opts.groups ?? 1, 'conv3d: groups');
  return withBatchAxis(x, 5, 'conv3d', (xb) => {
    checkConv3d(xb, w, groups, 'conv3d');
    const pads = convSides(opts.padding, xb.shape.slice(1, 4), w.shape.slice(0, 3), strides, dilation);
    const padded = paddingMode === 'zeros' ? xb : np.pad(xb, [[0, 0], ...pads, [0, 0]], { mode: padModeOf(paddingMode) });
    const geo = { strides, lhsDilation: [1, 1, 1], rhsDilation: dilation, groups };
    const y = convGeneral3d(padded, w, { ...geo, pads: paddingMode === 'zeros' ? pads : [[0, 0], [0, 0], [0, 0]] });
    return b ? np.add(y, b) : y;
  });
}

export interface Conv3dConfig extends Conv3dOptions {
  readonly in: number;
  readonly out: number;
  readonly kernel: Triple;
  /** Default true. */
  readonly bias?: boolean;
  /** PyTorch's padding_mode (default 'zeros'), or Equinox's uppercase names. */
  readonly paddingMode?: PaddingMode | Uppercase<PaddingMode>;
  /** Default PyTorch's U(+-1/sqrt(fan_in)), fan_in = in/groups * kd * kh * kw. */
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/** The layer's channel counts and kernel, checked. */
function channels(config: { in: number; out: number; kernel: Triple; groups?: number }, kind: string) {
  const cin = positiveInt(config.in, `${kind}: in`);
  const cout = positiveInt(config.out, `${kind}: out`);
  const groups = positiveInt(config.groups ?? 1, `${kind}: groups`);
  if (cin % groups || cout % groups) throw new Error(`${kind}: in (${cin}) and out (${cout}) must be divisible by groups (${groups})`);
  const k = positiveTriple(config.kernel, 1, 'kernel');
  return { cin, cout, groups, k, window: k[0] * k[1] * k[2] };
}

/**
 * 3-D convolution on NDHWC inputs (or one DHWC example), PyTorch's nn.Conv3d and eqx.nn.Conv3d with
 * the filter stored DHWIO; see {@link conv3d} for the layout and the output size.
 * @example const conv = nn.conv3d({ in: 1, out: 8, kernel: 3, padding: 'SAME' }); // [N, D, H, W, 1] -> [N, D, H, W, 8]
 */
export function conv3dLayer(config: Conv3dConfig): Layer<ConvParams, Record<string, never>> {
  const { cin, cout, groups, k, window } = channels(config, 'conv3d');
  const hasBias = config.bias ?? true;
  const paddingMode = paddingModeOf(config.paddingMode, 'conv3d');
  const wShape = [...k, cin / groups, cout];
  const fans = { fanIn: (cin / groups) * window, fanOut: (cout / groups) * window };
  return {
    kind: 'conv3d',
    init(key) {
      return scope(() => ({ params: init.weightAndBias(key, config, wShape, hasBias ? { out: cout } : null, fans), state: {} }));
    },
    apply(params, state, x) {
      if (x.shape.at(-1) !== cin) throw new Error(`conv3d: expected ${cin} input channels (NDHWC), got input ${shapeStr(x.shape)}`);
      return [conv3d(x, params.w, params.b, config, paddingMode), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = tf.tidy(() => tf.transpose(copy(v.params.w), [4, 3, 0, 1, 2]));
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = tf.transpose(r.get(`${prefix}weight`, [cout, cin / groups, ...k]), [2, 3, 4, 1, 0]);
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [cout])) } : { w }, state: {} };
    },
  };
}

/**
 * 3-D transposed convolution as torch.nn.functional.conv_transpose3d, channels-last: x [N, D, H, W, in]
 * (or one example), w [kd, kh, kw, in, out/groups] (PyTorch's [in, out/groups, kd, kh, kw] transposed by
 * [2, 3, 4, 0, 1]), b [out]. Each output side is (n - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1;
 * padding takes Equinox's forms too, as convTranspose2d's.
 * @example F.convTranspose3d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) // doubles D, H and W with a 3x3x3 kernel
 */
export function convTranspose3d(x: NdArray, w: NdArray, b?: NdArray | null, opts: ConvTranspose3dOptions = {}): NdArray {
  const geo = geometry(opts, 3, 'convTranspose3d');
  const g = geo.g;
  const ws = w.shape;
  return withBatchAxis(x, 5, 'convTranspose3d', (xb) => {
    const cin = xb.shape[4];
    if (ws.length !== 5 || ws[3] !== cin || cin % g !== 0)
      throw new Error(`convTranspose3d: expected w [kd, kh, kw, ${cin}, out/groups] for input ${shapeStr(xb.shape)} and groups ${g}, got w ${shapeStr(ws)}`);
    const [kd, kh, kw, , og] = ws;
    // As a convolution of the stride-dilated input: each group's in/out swapped, the window flipped.
    const grouped = np.reshape(np.transpose(np.reshape(w, [kd, kh, kw, g, cin / g, og]), [0, 1, 2, 4, 3, 5]), [kd, kh, kw, cin / g, g * og]);
    const kernel = np.flip(grouped, [0, 1, 2]);
    const y = convGeneral3d(xb, kernel, { strides: [1, 1, 1], pads: transposePads(geo, [kd, kh, kw]), lhsDilation: geo.s, rhsDilation: geo.d, groups: g });
    return b ? np.add(y, b) : y;
  });
}

export interface ConvTranspose3dConfig extends ConvTranspose3dOptions {
  readonly in: number;
  readonly out: number;
  readonly kernel: Triple;
  /** Default true. */
  readonly bias?: boolean;
  /** Default PyTorch's U(+-1/sqrt(fan_in)) with fan_in = out/groups * kd * kh * kw (its weight's axis 1). */
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/**
 * Transposed 3-D convolution on NDHWC inputs (or one DHWC example), PyTorch's nn.ConvTranspose3d
 * (padding_mode 'zeros') and eqx.nn.ConvTranspose3d; see {@link convTranspose3d}.
 * @example const up = nn.convTranspose3d({ in: 16, out: 8, kernel: 2, stride: 2 }); // [N, D, H, W, 16] -> [N, 2D, 2H, 2W, 8]
 */
export function convTranspose3dLayer(config: ConvTranspose3dConfig): Layer<ConvTransposeParams, Record<string, never>> {
  const { cin, cout, groups, k, window } = channels(config, 'convTranspose3d');
  const hasBias = config.bias ?? true;
  const wShape = [...k, cin, cout / groups];
  const fans = { fanIn: (cout / groups) * window, fanOut: cin * window };
  geometry(config, 3, 'convTranspose3d');
  return {
    kind: 'convTranspose3d',
    init(key) {
      return scope(() => ({ params: init.weightAndBias(key, config, wShape, hasBias ? { out: cout } : null, fans), state: {} }));
    },
    apply(params, state, x) {
      if (x.shape.at(-1) !== cin) throw new Error(`convTranspose3d: expected ${cin} input channels (NDHWC), got input ${shapeStr(x.shape)}`);
      return [convTranspose3d(x, params.w, params.b, config), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = tf.tidy(() => tf.transpose(copy(v.params.w), [3, 4, 0, 1, 2]));
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = tf.transpose(r.get(`${prefix}weight`, [cin, cout / groups, ...k]), [2, 3, 4, 0, 1]);
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [cout])) } : { w }, state: {} };
    },
  };
}
