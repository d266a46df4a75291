/**
 * Transposed convolutions (PyTorch's nn.ConvTranspose1d / ConvTranspose2d), channels-last:
 * the gradient of a convolution with respect to its input, as a layer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { convGeneralDilated } from '../ops/lax-dot-conv.js';
import type { Pair } from '../ops/nn.js';
import { paddingName } from './conv.js';
import * as init from './init.js';
import { type Layer, positiveInt, withBatchAxis } from './layer.js';
import { copy } from './torch.js';

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/** A transposed convolution's padding: PyTorch's per axis, explicit sides per axis, or Equinox's strings. */
export type TransposePadding = Pair | readonly [readonly [number, number], readonly [number, number]] | 'SAME' | 'SAME_LOWER' | 'VALID' | 'same' | 'same_lower' | 'valid';
type Sides = [number, number][];
/** convTranspose3d's padding: as {@link TransposePadding}, with three axes. */
export type TransposePadding3d = number | readonly [number, number, number] | readonly (readonly [number, number])[] | 'SAME' | 'SAME_LOWER' | 'VALID' | 'same' | 'same_lower' | 'valid';

export interface ConvTransposeOptions {
  /** Default 1. */
  readonly stride?: Pair;
  /**
   * PyTorch's padding: `dilation * (kernel - 1) - padding` zeros are added to both sides of the (dilated)
   * input. Default 0. Also Equinox's: `[[top, bottom], [left, right]]` (the convolution's padding per side),
   * 'VALID' (none) and 'SAME' / 'SAME_LOWER' (the output side is `H stride - outputPadding`, as eqx.nn.ConvTranspose).
   */
  readonly padding?: TransposePadding;
  /** Added to the bottom / right of the output only (PyTorch's output_padding; less than the stride or the dilation). Default 0. */
  readonly outputPadding?: Pair;
  /** Default 1. */
  readonly dilation?: Pair;
  /** Default 1. */
  readonly groups?: number;
}

/** A number (every axis) or one per axis as `n` non-negative integers, or an error naming the option. */
function nonNegativeTuple(v: number | readonly number[] | undefined, fallback: number, what: string, n = 2, op = 'convTranspose2d'): number[] {
  const p = typeof v === 'object' ? [...v] : new Array<number>(n).fill(v ?? fallback);
  if (p.length !== n || p.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${op}: ${what} must be ${n} non-negative integers or one, got ${JSON.stringify(v)}`);
  return p;
}

/** The padding option checked: explicit [before, after] sides per axis, or 'SAME' / 'SAME_LOWER' / 'VALID'. */
function paddingOf(v: TransposePadding | TransposePadding3d | undefined, n: number, op: string): Sides | 'SAME' | 'SAME_LOWER' | 'VALID' {
  if (typeof v === 'string') return paddingName(v, op);
  if (Array.isArray(v) && Array.isArray(v[0])) {
    const sides = (v as readonly (readonly number[])[]).map((a) => [a[0], a[1]] as [number, number]);
    if (sides.length !== n || sides.some((a) => a.some((d) => !Number.isInteger(d) || d < 0))) throw new Error(`${op}: padding must be non-negative integers, got ${JSON.stringify(v)}`);
    return sides;
  }
  return nonNegativeTuple(v as number | readonly number[] | undefined, 0, 'padding', n, op).map((p): [number, number] => [p, p]);
}

/**
 * The zeros around the stride-dilated input, per axis, for kernel sides `k`: the convolution's padding
 * p0, p1 becomes d (k - 1) - p0 before and d (k - 1) - p1 + outputPadding after. 'SAME' pads the
 * convolution by d (k - 1) - s + outputPadding + 1 in all (the odd one after; before with 'SAME_LOWER'),
 * and a negative total becomes output padding instead, as Equinox's.
 */
export function transposePads(g: ReturnType<typeof geometry>, k: readonly number[]): [number, number][] {
  return k.map((ki, i) => {
    const span = g.d[i] * (ki - 1);
    let a = g.op[i];
    let sides: [number, number];
    if (g.p === 'VALID') sides = [0, 0];
    else if (g.p === 'SAME' || g.p === 'SAME_LOWER') {
      const total = span - g.s[i] + a + 1;
      a = Math.max(0, -total);
      const before = Math.floor((Math.max(0, total) + (g.p === 'SAME_LOWER' ? 1 : 0)) / 2);
      sides = [before, Math.max(0, total) - before];
    } else sides = g.p[i];
    return [span - sides[0], span - sides[1] + a];
  });
}

/** The options checked, one entry per spatial axis (`n` of them; one-line errors naming `what` and the option). */
export function geometry(opts: ConvTransposeOptions | ConvTranspose3dOptions, n = 2, what = 'convTranspose2d') {
  const s = nonNegativeTuple(opts.stride, 1, 'stride', n, what);
  const p = paddingOf(opts.padding, n, what);
  const op = nonNegativeTuple(opts.outputPadding, 0, 'outputPadding', n, what);
  const d = nonNegativeTuple(opts.dilation, 1, 'dilation', n, what);
  const g = positiveInt(opts.groups ?? 1, `${what}: groups`);
  if (s.some((v) => v < 1) || d.some((v) => v < 1)) throw new Error(`${what}: stride and dilation must be positive, got stride [${s}], dilation [${d}]`);
  if (op.some((v, i) => v >= Math.max(s[i], d[i]))) throw new Error(`${what}: outputPadding [${op}] must be smaller than the stride [${s}] or the dilation [${d}]`);
  return { s, p, op, d, g };
}

/** convTranspose3d's options: {@link ConvTransposeOptions} with a number or three per option. */
export interface ConvTranspose3dOptions {
  readonly stride?: number | readonly [number, number, number];
  readonly padding?: TransposePadding3d;
  readonly outputPadding?: number | readonly [number, number, number];
  readonly dilation?: number | readonly [number, number, number];
  readonly groups?: number;
}

/**
 * 2-D transposed convolution as torch.nn.functional.conv_transpose2d, channels-last:
 * x [N, H, W, in] (or one [H, W, in] example), w [kh, kw, in, out/groups] (PyTorch's weight
 * [in, out/groups, kh, kw] transposed by [2, 3, 0, 1]), b [out]. The output side is
 * (H - 1) stride - 2 padding + dilation (kh - 1) + outputPadding + 1.
 * @example F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }) // doubles H and W with a 3x3 kernel
 */
export function convTranspose2d(x: NdArray, w: NdArray, b?: NdArray | null, opts: ConvTransposeOptions = {}): NdArray {
  const geo = geometry(opts);
  const { s, d, g } = geo;
  const ws = w.shape;
  return withBatchAxis(x, 4, 'convTranspose2d', (xb) => {
    const cin = xb.shape[3];
    if (ws.length !== 4 || ws[2] !== cin || cin % g !== 0)
      throw new Error(`convTranspose2d: expected w [kh, kw, ${cin}, out/groups] for input ${shapeStr(xb.shape)} and groups ${g}, got w ${shapeStr(ws)}`);
    const [kh, kw, , og] = ws;
    // As a convolution of the stride-dilated input: each group's in/out swapped, the window flipped.
    const grouped = np.reshape(np.transpose(np.reshape(w, [kh, kw, g, cin / g, og]), [0, 1, 3, 2, 4]), [kh, kw, cin / g, g * og]);
    const kernel = np.flip(grouped, [0, 1]);
    const pads = transposePads(geo, [kh, kw]);
    const y = convGeneralDilated(xb, kernel, [1, 1], pads, s, d, ['NHWC', 'HWIO', 'NHWC'], g);
    return b ? np.add(y, b) : y;
  });
}

export interface ConvTranspose2dConfig extends ConvTransposeOptions {
  readonly in: number;
  readonly out: number;
  readonly kernel: Pair;
  /** Default true. */
  readonly bias?: boolean;
  /** Default PyTorch's U(+-1/sqrt(fan_in)) with fan_in = out/groups * kh * kw (its weight's axis 1). */
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

export interface ConvTransposeParams {
  /** [kh, kw, in, out/groups] ([k, in, out/groups] for convTranspose1d) */
  readonly w: NdArray;
  /** [out] */
  readonly b?: NdArray;
}

/**
 * Transposed 2-D convolution on NHWC inputs (or one HWC example), PyTorch's nn.ConvTranspose2d
 * (padding_mode 'zeros'); see {@link convTranspose2d} for the layout and the output size.
 * @example const up = nn.convTranspose2d({ in: 64, out: 32, kernel: 2, stride: 2 }); // [N, H, W, 64] -> [N, 2H, 2W, 32]
 */
export function convTranspose2dLayer(config: ConvTranspose2dConfig, kind = 'convTranspose2d'): Layer<ConvTransposeParams, Record<string, never>> {
  const cin = positiveInt(config.in, `${kind}: in`);
  const cout = positiveInt(config.out, `${kind}: out`);
  const groups = positiveInt(config.groups ?? 1, `${kind}: groups`);
  if (cin % groups || cout % groups) throw new Error(`${kind}: in (${cin}) and out (${cout}) must be divisible by groups (${groups})`);
  const [kh, kw] = pairOf(config.kernel).map((k) => positiveInt(k, `${kind}: kernel`));
  const hasBias = config.bias ?? true;
  const wShape = [kh, kw, cin, cout / groups];
  // PyTorch computes fans from its weight [in, out/groups, kh, kw]: fan_in is axis 1 times the window.
  const fans = { fanIn: (cout / groups) * kh * kw, fanOut: cin * kh * kw };
  geometry(config);
  return {
    kind,
    init(key) {
      return scope(() => ({ params: init.weightAndBias(key, config, wShape, hasBias ? { out: cout } : null, fans), state: {} }));
    },
    apply(params, state, x) {
      if (x.shape.at(-1) !== cin) throw new Error(`${kind}: expected ${cin} input channels (channels last), got input ${shapeStr(x.shape)}`);
      return [convTranspose2d(x, params.w, params.b, config), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = tf.tidy(() => tf.transpose(copy(v.params.w), [2, 3, 0, 1]));
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = tf.transpose(r.get(`${prefix}weight`, [cin, cout / groups, kh, kw]), [2, 3, 0, 1]);
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [cout])) } : { w }, state: {} };
    },
  };
}

export interface ConvTranspose1dConfig {
  readonly in: number;
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  /** PyTorch's number, Equinox's [before, after] or 'SAME' / 'SAME_LOWER' / 'VALID' (as convTranspose2d's). */
  readonly padding?: number | readonly [number, number] | 'SAME' | 'SAME_LOWER' | 'VALID' | 'same' | 'same_lower' | 'valid';
  readonly outputPadding?: number;
  readonly dilation?: number;
  readonly groups?: number;
  readonly bias?: boolean;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/** A 1-D padding option on the width axis of the underlying 2-D layer (the height gets none). */
function padding1d(p: ConvTranspose1dConfig['padding']): TransposePadding {
  if (typeof p === 'string') return p;
  const [lo, hi] = typeof p === 'object' ? p : [p ?? 0, p ?? 0];
  return [
    [0, 0],
    [lo, hi],
  ];
}

/**
 * Transposed 1-D convolution on [N, L, in] (or one [L, in] example), PyTorch's
 * nn.ConvTranspose1d: `w` [k, in, out/groups] (PyTorch's [in, out/groups, k]), `b` [out];
 * L' = (L - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1.
 * @example nn.convTranspose1d({ in: 8, out: 4, kernel: 4, stride: 2, padding: 1 }) // L -> 2L
 */
export function convTranspose1d(config: ConvTranspose1dConfig): Layer<ConvTransposeParams, Record<string, never>> {
  const k = positiveInt(config.kernel, 'convTranspose1d: kernel');
  const along = (v: number | undefined, fallback: number): [number, number] => [fallback, v ?? fallback];
  const inner = convTranspose2dLayer(
    {
      ...config,
      kernel: [1, k],
      stride: along(config.stride, 1),
      padding: padding1d(config.padding),
      outputPadding: along(config.outputPadding, 0),
      dilation: along(config.dilation, 1),
    },
    'convTranspose1d',
  );
  const cin = config.in;
  const og = config.out / (config.groups ?? 1);
  const withW = (p: ConvTransposeParams, w: NdArray): ConvTransposeParams => (p.b ? { w, b: p.b } : { w });
  return {
    kind: 'convTranspose1d',
    init(key) {
      return scope(() => {
        const { params } = inner.init(key);
        return { params: withW(params, np.reshape(params.w, [k, cin, og])), state: {} };
      });
    },
    apply(params, state, x) {
      const y = withBatchAxis(x, 3, 'convTranspose1d', (xb) => {
        const [n, len, c] = xb.shape;
        const [out] = inner.apply(withW(params, np.reshape(params.w, [1, k, cin, og])), {}, np.reshape(xb, [n, 1, len, c]));
        return np.squeeze(out, 1);
      });
      return [y, state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = tf.tidy(() => tf.transpose(copy(v.params.w), [1, 2, 0]));
      if (v.params.b) out[`${prefix}bias`] = copy(v.params.b);
    },
    fromTorch(r, prefix) {
      const w = tf.transpose(r.get(`${prefix}weight`, [cin, og, k]), [2, 0, 1]);
      return { params: config.bias ?? true ? { w, b: tf.clone(r.get(`${prefix}bias`, [config.out])) } : { w }, state: {} };
    },
  };
}
