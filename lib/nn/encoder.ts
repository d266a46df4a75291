/**
 * Encoders by timm-style name, through one registry, and PyTorch state-dict interop.
 *
 * @example
 * const enc = nn.encoder('resnet18', { lowResolution: true });
 * enc.embeddingDim; // 512
 * const { tensors } = await readSafetensorsFile('resnet18.safetensors');
 * const { params, state } = nn.loadTorchStateDict(enc, tensors);
 * const [features] = enc.apply(params, state, imagesNHWC); // eval mode
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope } from '../core/index.js';
import type * as t from 'io-ts';
import type { TensorData } from '../io/safetensors.js';
import { showValue } from '../util/show-value.js';
import { ConvNetSmallOptionsCodec, convnetSmall } from './convnet.js';
import { type Encoder, type Layer, type TorchDict, TorchReader, type Variables } from './layer.js';
import { ResNetOptionsCodec, resnet } from './resnet.js';
import { ViTOptionsCodec, vitSmall, vitTiny } from './vit.js';

export type EncoderFactory = (options?: any) => Encoder;

/** An io-ts decoder of an encoder's options object (strict: unknown keys are errors). */
export type EncoderOptionsCodec = t.Decoder<unknown, unknown>;

const registry = new Map<string, { factory: EncoderFactory; optionsCodec?: EncoderOptionsCodec }>([
  ['resnet18', { factory: (o) => resnet('resnet18', o), optionsCodec: ResNetOptionsCodec }],
  ['resnet34', { factory: (o) => resnet('resnet34', o), optionsCodec: ResNetOptionsCodec }],
  ['resnet50', { factory: (o) => resnet('resnet50', o), optionsCodec: ResNetOptionsCodec }],
  ['vit_tiny_patch16_224', { factory: (o) => vitTiny(o), optionsCodec: ViTOptionsCodec }],
  ['vit_small_patch16_224', { factory: (o) => vitSmall(o), optionsCodec: ViTOptionsCodec }],
  ['convnet_small', { factory: (o) => convnetSmall(o), optionsCodec: ConvNetSmallOptionsCodec }],
]);

/**
 * The encoder registered under `name`, built with `options`:
 * - resnet18 / resnet34 / resnet50: `{ lowResolution?, inChannels?, zeroInitLast? }` (512 / 512 / 2048);
 * - vit_tiny_patch16_224 / vit_small_patch16_224: `{ imgSize?, dynamicImgSize?, inChannels?, ... }` (192 / 384);
 * - convnet_small: `{ inChannels?, widths? }` (128).
 */
export function encoder(name: string, options: Record<string, unknown> = {}): Encoder {
  const entry = registry.get(name);
  if (!entry) throw new Error(`nn.encoder: unknown encoder '${name}'; known: ${encoderNames().join(', ')}`);
  return entry.factory(options);
}

/**
 * Registers (or replaces) an encoder factory under a name, with the codec of its options
 * when it has one (configurations are then checked against it before anything is built).
 */
export function registerEncoder(name: string, factory: EncoderFactory, optionsCodec?: EncoderOptionsCodec): void {
  registry.set(name, { factory, optionsCodec });
}

/**
 * The codec of a registered encoder's options, or undefined (unknown name, or none registered).
 * @example nn.encoderOptionsCodec('convnet_small')?.decode({ widthz: [8] }) // Left: unknown key
 */
export function encoderOptionsCodec(name: string): EncoderOptionsCodec | undefined {
  return registry.get(name)?.optionsCodec;
}

/** The registered encoder names. */
export function encoderNames(): string[] {
  return [...registry.keys()];
}

/** Embedding width of a registered encoder with the given options. */
export function embeddingDim(name: string, options: Record<string, unknown> = {}): number {
  return encoder(name, options).embeddingDim;
}

export interface LoadOptions {
  /** Options for the encoder when it is given by name (e.g. `{ lowResolution: true }`). */
  readonly options?: Record<string, unknown>;
  /** Every entry of the state dict must be used (default true); entries matching `ignore` are exempt. */
  readonly strict?: boolean;
  /** Entries to leave alone, e.g. a classifier head: `[/^fc\./, /^head\./]`. */
  readonly ignore?: readonly RegExp[];
  /** Prefix of this model's entries in the state dict (e.g. 'backbone.'). */
  readonly prefix?: string;
}

/**
 * One entry of a PyTorch state dict as a tf tensor: a tensor as it is, or a decoded safetensors entry
 * `{ dtype, shape, data }` made one; anything else is a one-line error naming the entry and `who` read it.
 */
export function torchEntryTensor(name: string, t: TensorData | tf.Tensor, who = 'loadTorchStateDict'): tf.Tensor {
  if (t instanceof tf.Tensor) return t;
  const d = t as Partial<TensorData> | null;
  if (typeof d !== 'object' || d === null || !ArrayBuffer.isView(d.data) || !Array.isArray(d.shape) || typeof d.dtype !== 'string')
    throw new Error(`${who}: state dict entry '${name}' is neither a tensor nor {dtype, shape, data}, got ${showValue(t)}`);
  return tf.tensor(d.data as Float32Array | Int32Array | Uint8Array, [...d.shape], d.dtype);
}

/**
 * Our variables `{ params, state }` from a PyTorch state dict (names and layouts as
 * PyTorch: Linear [out, in], Conv2d OIHW, BatchNorm weight/bias/running_mean/running_var),
 * e.g. the tensors of a `.safetensors` file exported from PyTorch or timm. Shapes are
 * checked; with `strict` (default), unused entries are an error naming them.
 */
export function loadTorchStateDict(model: string | Layer, tensors: Readonly<Record<string, TensorData | tf.Tensor>>, opts: LoadOptions = {}): Variables {
  const layer = typeof model === 'string' ? encoder(model, opts.options) : model;
  const prefix = opts.prefix ?? '';
  // One scope: the converted entries, and the variables read so far if a check fails, are freed.
  return scope(() => {
    const dict: Record<string, tf.Tensor> = {};
    for (const [k, v] of Object.entries(tensors)) if (k.startsWith(prefix)) dict[k] = torchEntryTensor(k, v);
    const r = new TorchReader(dict);
    const vars = layer.fromTorch(r, prefix);
    if (opts.strict ?? true) {
      const unused = Object.keys(dict).filter((k) => !r.used.has(k) && !(opts.ignore ?? []).some((re) => re.test(k.slice(prefix.length))));
      if (unused.length)
        throw new Error(
          `loadTorchStateDict: ${unused.length} entr${unused.length === 1 ? 'y is' : 'ies are'} not used by ${(layer as Encoder).name ?? layer.kind}: ` +
            `${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''} (pass { strict: false } or { ignore: [/^fc\\./] } to skip them)`,
        );
    }
    return vars;
  });
}

/**
 * Our variables as a PyTorch state dict (PyTorch names and layouts; BatchNorm also gets
 * `num_batches_tracked` = 0 as int32). The tensors are new: dispose them when done.
 */
export function exportTorchStateDict(model: string | Layer, variables: Variables, opts: { options?: Record<string, unknown>; prefix?: string } = {}): Record<string, tf.Tensor> {
  const layer = typeof model === 'string' ? encoder(model, opts.options) : model;
  const out: TorchDict = {};
  layer.toTorch(variables, opts.prefix ?? '', out);
  return out as Record<string, tf.Tensor>;
}

/** A state dict as safetensors-ready `{dtype, shape, data}` entries (reads the tensors synchronously). */
export function toTensorData(dict: Readonly<Record<string, NdArray>>): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const [k, t] of Object.entries(dict)) {
    if (!(t instanceof tf.Tensor)) throw new Error(`toTensorData: '${k}' is not a concrete tensor`);
    const dtype = t.dtype === 'int32' ? 'int32' : t.dtype === 'bool' ? 'bool' : 'float32';
    const raw = t.dataSync();
    out[k] = { dtype, shape: [...t.shape], data: dtype === 'bool' ? Uint8Array.from(raw as ArrayLike<number>) : (raw as Float32Array | Int32Array) };
  }
  return out;
}
