/**
 * torch.nn's small modules as layers, channels last: the padding layers (ConstantPad1d/2d/3d,
 * ZeroPad2d, ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d), Bilinear, CosineSimilarity,
 * PairwiseDistance, Softmax2d, and the activations Hardshrink, Softshrink, Tanhshrink, Threshold and
 * Softmin (each also a function, as nn.relu). The two-input modules take the second input as
 * `apply(params, state, x1, { x2 })`.
 */
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as init from './init.js';
import { type ApplyOptions, type Layer, positiveInt, stateless } from './layer.js';
import { type TorchPadMode, pad } from './pad.js';
import { activation } from './stateless.js';
import { bilinear as bilinearFn } from './torch-fn-layers.js';
import * as TF from './torch-functional.js';
import { pairwiseDistance as pairwiseDistanceFn } from './torch-losses.js';
import { copy } from './torch.js';

/** torch's padding: one width for every side, or (left, right[, top, bottom[, front, back]]) from the last spatial axis back. */
export type PadWidths = number | readonly number[];

export interface PadConfig {
  readonly padding: PadWidths;
}

/**
 * x [N, ...spatial, C] (or one example [...spatial, C]) padded on its `dims` spatial axes as torch's
 * pad layer on [N, C, ...spatial]: the channels move to the front for F.pad, and back.
 */
function padLayer(kind: string, dims: number, mode: TorchPadMode, config: PadConfig, value = 0) {
  const p = config?.padding;
  const widths = typeof p === 'number' ? new Array(2 * dims).fill(p) : p;
  if (!Array.isArray(widths) || widths.length !== 2 * dims || widths.some((w) => !Number.isInteger(w)))
    throw new Error(`${kind}: padding must be an integer or ${2 * dims} integers (${['left, right', 'top, bottom', 'front, back'].slice(0, dims).join(', ')}), got ${JSON.stringify(p)}`);
  const maxRank = mode === 'constant' ? Infinity : dims + 2;
  return stateless(kind, (x) => {
    const r = x.shape.length;
    if (r < dims + 1 || r > maxRank)
      throw new Error(`${kind}: expected channels-last inputs [N, ${dims}-D, C] or [${dims}-D, C]${mode === 'constant' ? ' (or more leading axes)' : ''}, got ${shapeStr(x.shape)}`);
    return np.moveaxis(pad(np.moveaxis(x, -1, 0), widths, { mode, value }), 0, -1);
  });
}

export interface ConstantPadConfig extends PadConfig {
  /** The fill (torch's value; required there, default 0 here). */
  readonly value?: number;
}

/** nn.ConstantPad1d channels last: [N, L, C] padded along L with `value`. */
export const constantPad1d = (config: ConstantPadConfig) => padLayer('constantPad1d', 1, 'constant', config, config?.value);
/** nn.ConstantPad2d channels last: [N, H, W, C], padding (left, right, top, bottom). */
export const constantPad2d = (config: ConstantPadConfig) => padLayer('constantPad2d', 2, 'constant', config, config?.value);
/** nn.ConstantPad3d channels last: [N, D, H, W, C], padding (left, right, top, bottom, front, back). */
export const constantPad3d = (config: ConstantPadConfig) => padLayer('constantPad3d', 3, 'constant', config, config?.value);
/** nn.ZeroPad2d channels last: constantPad2d with 0. */
export const zeroPad2d = (config: PadConfig) => padLayer('zeroPad2d', 2, 'constant', config);
/** nn.ReflectionPad1d channels last (mirror without the edge; widths below the side). */
export const reflectionPad1d = (config: PadConfig) => padLayer('reflectionPad1d', 1, 'reflect', config);
export const reflectionPad2d = (config: PadConfig) => padLayer('reflectionPad2d', 2, 'reflect', config);
export const reflectionPad3d = (config: PadConfig) => padLayer('reflectionPad3d', 3, 'reflect', config);
/** nn.ReplicationPad1d channels last (the edge repeated). */
export const replicationPad1d = (config: PadConfig) => padLayer('replicationPad1d', 1, 'replicate', config);
export const replicationPad2d = (config: PadConfig) => padLayer('replicationPad2d', 2, 'replicate', config);
export const replicationPad3d = (config: PadConfig) => padLayer('replicationPad3d', 3, 'replicate', config);

/** Options of the two-input layers: the second input. */
export interface PairApplyOptions extends ApplyOptions {
  readonly x2?: NdArray;
}

type NoState = Record<string, never>;

/** A layer of two inputs: apply(params, state, x1, { x2 }). */
export interface PairLayer<P = NoState> extends Layer<P, NoState> {
  apply(params: P, state: NoState, x: NdArray, opts?: PairApplyOptions): [NdArray, NoState];
}

/** The second input of a two-input layer, or an error. */
function secondInput(opts: PairApplyOptions, kind: string): NdArray {
  if (!opts.x2) throw new Error(`${kind}: apply needs the second input: apply(params, state, x1, { x2 })`);
  return opts.x2;
}

export interface BilinearConfig {
  readonly in1: number;
  readonly in2: number;
  readonly out: number;
  /** Default true. */
  readonly bias?: boolean;
}

export interface BilinearParams {
  /** [out, in1, in2]: PyTorch's layout (as F.bilinear's). */
  readonly w: NdArray;
  readonly b?: NdArray;
}

/**
 * nn.Bilinear: y = x1ᵀ W x2 + b, x1 [..., in1], x2 [..., in2] -> [..., out]; apply(params, state, x1, { x2 }).
 * Init as torch: weight and bias U(-1/sqrt(in1), 1/sqrt(in1)). PyTorch names: weight, bias.
 */
export function bilinear(config: BilinearConfig): PairLayer<BilinearParams> {
  const [i1, i2, o] = (['in1', 'in2', 'out'] as const).map((k) => positiveInt(config[k], `bilinear: ${k}`));
  const hasBias = config.bias ?? true;
  const shape = [o, i1, i2];
  return {
    kind: 'bilinear',
    init(key) {
      return scope(() => {
        const [kw, kb] = random.split(key);
        const u = init.uniformRange(-1 / Math.sqrt(i1), 1 / Math.sqrt(i1));
        return { params: hasBias ? { w: u(kw, shape), b: u(kb, [o]) } : { w: u(kw, shape) }, state: {} };
      });
    },
    apply: (p, s, x, opts: PairApplyOptions = {}) => [bilinearFn(x, secondInput(opts, 'bilinear'), p.w, p.b), s],
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = copy(v.params.w);
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = copy(r.get(`${prefix}weight`, shape));
      return { params: hasBias ? { w, b: copy(r.get(`${prefix}bias`, [o])) } : { w }, state: {} };
    },
  };
}

/** nn.CosineSimilarity({ dim = 1, eps = 1e-8 }) (torch's defaults) as a layer: apply(params, state, x1, { x2 }). */
export const cosineSimilarity = (config: TF.CosineSimilarityOptions = {}): PairLayer => stateless('cosineSimilarity', (x, o) => TF.cosineSimilarity(x, secondInput(o, 'cosineSimilarity'), config));

/** nn.PairwiseDistance({ p = 2, eps = 1e-6, keepdim = false }) as a layer: apply(params, state, x1, { x2 }). */
export const pairwiseDistance = (config: { readonly p?: number; readonly eps?: number; readonly keepdim?: boolean } = {}): PairLayer =>
  stateless('pairwiseDistance', (x, o) => pairwiseDistanceFn(x, secondInput(o, 'pairwiseDistance'), config));

/** nn.Softmax2d channels last: softmax over the channels of [N, H, W, C] or [H, W, C]. */
export const softmax2d = () =>
  stateless('softmax2d', (x) => {
    if (x.shape.length !== 3 && x.shape.length !== 4) throw new Error(`softmax2d: expected [N, H, W, C] or [H, W, C], got ${shapeStr(x.shape)}`);
    return np.softmax(x, -1);
  });

/** nn.Hardshrink({ lambd = 0.5 }): `nn.hardshrink(x, { lambd })` the function, `nn.hardshrink({ lambd })` the layer. */
export const hardshrink = activation<{ readonly lambd?: number }>('hardshrink', (x, c) => TF.hardshrink(x, c?.lambd));
/** nn.Softshrink({ lambd = 0.5 }), function and layer. */
export const softshrink = activation<{ readonly lambd?: number }>('softshrink', (x, c) => TF.softshrink(x, c?.lambd));
/** nn.Tanhshrink: x - tanh(x), function and layer. */
export const tanhshrink = activation('tanhshrink', (x) => TF.tanhshrink(x));
/** nn.Threshold({ threshold, value }) (both required, as torch's): x where x > threshold, else value. */
export const threshold = activation<{ readonly threshold: number; readonly value: number }>('threshold', (x, c) => {
  if (typeof c?.threshold !== 'number' || typeof c.value !== 'number') throw new Error(`threshold: needs { threshold, value } numbers, got ${JSON.stringify(c)}`);
  return TF.threshold(x, c.threshold, c.value);
});
/** nn.Softmin({ dim = -1 }): softmax(-x) along dim (torch's dim=None guesses an axis; give it). */
export const softmin = activation<{ readonly dim?: number }>('softmin', (x, c) => TF.softmin(x, c?.dim ?? -1));
