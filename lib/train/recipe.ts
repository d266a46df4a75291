/**
 * The recipe of a training configuration, as pure builders: the method, the
 * learning-rate schedule, the optimiser, the multi-crop augmentation and the run's keys.
 * Shared by the training loop, the CLI's eval/embed and the data-parallel replicas.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as E from 'fp-ts/lib/Either.js';
import type { NdArray } from '../core/index.js';
import type { MultiCropConfig } from '../data/augment/index.js';
import * as nn from '../nn/index.js';
import * as np from '../ops/index.js';
import * as optim from '../optim/index.js';
import * as random from '../random/index.js';
import type { Method } from '../ssl/method.js';
import * as ssl from '../ssl/methods/index.js';
import { NEPA_SIZES, type TrainConfig } from './config-schema.js';
import { withPretrained } from './pretrained.js';

/**
 * The input of the run's method: its section with the run's encoder (and, given the data's
 * `channels`, their number); for SwAV with 'paper' pairing, the global views as the crops
 * whose codes are computed, unless the section says which.
 */
export function methodInput(c: TrainConfig, channels?: number): Record<string, unknown> {
  // `pretrained` is the CLI's (pretrained.ts), not the method's.
  const { pretrained: _, ...section } = c[c.method];
  const assign =
    c.method === 'swav' && section['pairing'] === 'paper' && section['cropsForAssign'] === undefined
      ? { cropsForAssign: Array.from({ length: c.augment.nmbCrops[0]! }, (_, i) => i) }
      : {};
  const encoderOptions = channels === undefined ? c.model.encoderOptions : { ...c.model.encoderOptions, inChannels: channels };
  if (c.method === 'nepa') return { ...section, ...nepaSizes(c.model.encoder, encoderOptions) };
  return { ...section, ...assign, encoder: c.model.encoder, encoderOptions };
}

/** NEPA's transformer sizes from the run's ViT (NEPA builds its own causal transformer, not an `nn` encoder). */
function nepaSizes(encoder: string, options: Readonly<Record<string, unknown>>): Record<string, number> {
  const o = nn.encoder(encoder, options).options as Readonly<Record<string, number>>;
  return Object.fromEntries(NEPA_SIZES.flatMap((k) => (typeof o[k] === 'number' ? [[k, o[k]]] : [])));
}

/**
 * The run's method (`ssl.methods[c.method]`) for images with `channels` channels; with a
 * `pretrained` section (MIM-Refiner, SALT), its `init` starts from that run's encoder unless
 * `pretrained` is false (e.g. timing a step).
 */
export function methodOf(c: TrainConfig, channels: number, { pretrained = true } = {}): Method {
  const input = methodInput(c, channels);
  const method = ssl.byName(c.method)(input);
  const path = c[c.method]['pretrained'];
  return pretrained && typeof path === 'string' ? withPretrained(c.method, method, input, path) : method;
}

/**
 * MAE's patches per image (its masking noise is drawn per step, see step-batches.ts); null for
 * the other methods and for MAE's block and multi-block maskings. The configuration checks made
 * the encoder a ViT for the views' size.
 */
export function maskPatchesOf(c: TrainConfig): number | null {
  // Block masking and 'multiBlock' draw from the step's key (a noise would replay 'patch' masking without blocks).
  const masking = c.method === 'mae' ? (ssl.mae.decode(methodInput(c)) as E.Either<string, { blockSize: number; masking: string }>) : null;
  if (masking === null || E.isLeft(masking) || masking.right.blockSize !== 1 || masking.right.masking !== 'patch') return null;
  const enc = nn.encoder(c.model.encoder, c.model.encoderOptions);
  const { patchSize } = enc.options as { patchSize: number };
  return Math.floor(c.augment.sizeCrops[0]! / patchSize) ** 2;
}

/** A batch with the step's key on each of its `rows` (so every data-parallel shard holds it), for {@link keyedMethod}. */
export interface KeyedBatch<B> {
  readonly input: B;
  /** [rows, ...key shape]: the key, repeated. */
  readonly keys: NdArray;
}

/** `input` with the step's `key` repeated on `rows` rows: what {@link keyedMethod} takes. */
export function withStepKey<B>(input: B, key: tf.Tensor, rows: number): KeyedBatch<B> {
  return { input, keys: tf.tile(tf.expandDims(key, 0), [rows, ...key.shape.map(() => 1)]) };
}

/**
 * `method` on {@link KeyedBatch}es: its loss gets the batch's key (the first row of `keys`) as
 * the step's key. Data-parallel workers run it: their step has no key argument, and SIGReg
 * (LeJEPA) needs the same key on every worker, as the step on this thread gets it.
 */
export function keyedMethod<P, S, B>(method: Method<P, S, B>): Method<P, S, KeyedBatch<B>> {
  return {
    ...method,
    loss: (params, state, batch, ctx = {}) => method.loss(params, state, batch.input, { ...ctx, key: np.squeeze(np.sliceAxis(batch.keys, 0, 0, 1), 0) }),
  };
}

/** The learning-rate schedule: linear warmup then cosine to `finalLr` at the last step. */
export function scheduleOf(c: TrainConfig, steps: number): optim.Schedule {
  const o = c.optimizer;
  if (steps <= o.warmupSteps) return optim.constant(o.lr);
  return optim.warmupCosine({ start: o.warmupStartLr, base: o.lr, final: o.finalLr, warmupSteps: o.warmupSteps, totalSteps: steps });
}

/** The optimiser of a configuration. */
export function optimizerOf(c: TrainConfig, schedule: optim.Schedule): optim.GradientTransformation {
  const o = c.optimizer;
  switch (o.name) {
    case 'sgd':
      return optim.sgd({ learningRate: schedule, momentum: o.momentum, weightDecay: o.weightDecay });
    case 'lars':
      return optim.lars({ learningRate: schedule, momentum: o.momentum, weightDecay: o.weightDecay, trustCoefficient: o.trustCoefficient });
    case 'adam':
      return optim.adam({ learningRate: schedule, weightDecay: o.weightDecay });
    case 'adamw':
      return optim.adamw({ learningRate: schedule, weightDecay: o.weightDecay });
  }
}

/** The multi-crop augmentation of a configuration. */
export function augmentOf(c: TrainConfig, channels: number): MultiCropConfig {
  const a = c.augment;
  const rgb = channels === 3;
  return {
    nmbCrops: a.nmbCrops,
    sizeCrops: a.sizeCrops,
    minScale: a.minScale,
    maxScale: a.maxScale,
    ratio: [3 / 4, 4 / 3],
    antialias: true,
    flip: a.flip,
    colorJitter: a.jitterP > 0 ? { brightness: a.brightness, contrast: a.contrast, ...(rgb ? { saturation: a.brightness, hue: Math.min(0.5, a.brightness / 4) } : {}), p: a.jitterP } : null,
    grayscale: rgb ? 0.2 : 0,
    blur: a.blurP > 0 ? { p: a.blurP } : null,
    solarize: a.solarizeP > 0 ? { p: a.solarizeP } : null,
    normalize: null,
  };
}

/** The keys of a run: `init` for the parameters, `base` for the steps (step key = foldIn(base, step)). */
export function runKeys(seed: number): { init: tf.Tensor; base: tf.Tensor } {
  const root = random.key(seed);
  const init = random.foldIn(root, 0) as tf.Tensor;
  const base = random.foldIn(root, 1) as tf.Tensor;
  root.dispose();
  return { init, base };
}
