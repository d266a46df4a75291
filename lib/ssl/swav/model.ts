/**
 * The SwAV model as pure functions: `init(key, config) -> { params, state }` and
 * `apply(params, state, input, { train, config }) -> [output, state]`, with the seed's
 * three calling conventions (stable-pretraining's `SwAV.forward`):
 *
 * - `{ view1, view2 }`: two views (no multi-crop);
 * - `{ globalViews, localViews? }`: multi-crop, each view its own batch (sizes may differ);
 * - `{ images }` (or `{ view1 }` alone): the backbone embedding and a zero loss.
 *
 * Every view goes through the encoder and the projector separately, in order (so
 * BatchNorm sees per-view batch statistics and its running statistics are updated once
 * per view, as in the seed). Images are NHWC.
 *
 * Parameters: `{ encoder, projector, prototypes: { weight [K, D] } }`. State:
 * `{ encoder, projector, step (int32 []), queue? }`; a training `apply` advances `step`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, stopGradient } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { type EncoderLayer, embeddingWidth, encoderLayer } from '../codecs.js';
import { type SwavConfig, type SwavConfigInput, swavConfig } from './config.js';
import { swavLoss } from './loss.js';
import { projector } from './projector.js';
import { normalizePrototypes, prototypeScores, prototypes } from './prototypes.js';
import { type QueueState, codesWithQueue, initQueue, pushQueue, queueInUse } from './queue.js';
import { sinkhorn } from './sinkhorn.js';
import { type TorchStateDict, readTorchDict } from '../torch-dict.js';
import { type ViewsBatch, encodeViews, viewsOf } from '../views.js';

/** The three calling conventions (see {@link ViewsBatch}). */
export type SwavInput = ViewsBatch;

export interface SwavParams {
  readonly encoder: any;
  readonly projector: any;
  readonly prototypes: { readonly weight: NdArray };
}

export interface SwavState {
  readonly encoder: any;
  readonly projector: any;
  /** int32 []: training steps taken (a training `apply` adds 1). */
  readonly step: NdArray;
  /** Present when `queueLength > 0`. */
  readonly queue?: QueueState;
}

export interface SwavOutput {
  /** The SwAV loss (0 for `{ images }`). */
  readonly loss: NdArray;
  /** The backbone embeddings of the global views, concatenated (no gradient); of `images` in eval form. */
  readonly embedding: NdArray;
  /** Every view's projection (L2-normalised), concatenated; absent for `{ images }`. */
  readonly projection?: NdArray;
  /** Per view: scores [B, K] against the normalised prototypes. */
  readonly scores?: NdArray[];
  /** Per view: Sinkhorn codes [B, K] (no gradient); null for views that are no assignment view with pairing 'paper'. */
  readonly codes?: (NdArray | null)[];
  /** The normalised prototypes the forward used (no gradient): what a training step writes back. */
  readonly prototypes?: NdArray;
}

export interface SwavApplyOptions {
  /** Training mode: batch statistics in BatchNorm, queue updates, step + 1. Default false. */
  readonly train?: boolean;
  /** PRNG key for stochastic layers of the encoder (dropout, drop path) in training. */
  readonly key?: NdArray;
  /** The configuration (any input accepted by `swavConfig`, or a decoded one). Default: the seed's. */
  readonly config?: SwavConfigInput | SwavConfig;
  /**
   * Replaces Sinkhorn: codes [B, K] from one view's scores [B, K] (they get no gradient).
   * E.g. hard assignments: `(s) => np.oneHot(np.argmax(s, -1), K)`. The queue is not used then.
   */
  readonly assign?: (scores: NdArray) => NdArray;
  /**
   * The batch is sharded over this named axis (vmap with axisName, pmap): BatchNorm
   * statistics and Sinkhorn are those of the whole batch (SyncBN, distributed Sinkhorn);
   * the queue stays per member, as in facebookresearch/swav.
   */
  readonly axisName?: string;
}

/** The parts of a model for a decoded configuration. */
export interface SwavParts {
  readonly config: SwavConfig;
  readonly encoder: EncoderLayer;
  readonly projector: nn.Layer;
  readonly prototypes: nn.Layer;
  readonly embedDim: number;
}

const decoded = new WeakMap<object, SwavConfig>();

/** Decodes a configuration once (inputs are remembered by identity). */
export function resolveConfig(config: SwavConfigInput | SwavConfig | undefined): SwavConfig {
  if (config && decoded.has(config)) return decoded.get(config)!;
  const c = swavConfig(config ?? {});
  if (config) decoded.set(config, c);
  return c;
}

const partsCache = new WeakMap<SwavConfig, SwavParts>();

/** The encoder, projector and prototypes layers of a configuration (built once per decoded configuration). */
export function parts(config?: SwavConfigInput | SwavConfig): SwavParts {
  const c = resolveConfig(config);
  const cached = partsCache.get(c);
  if (cached) return cached;
  const enc = encoderLayer(c);
  const embedDim = embeddingWidth(c, enc, 'swav');
  const p = c.projector;
  const made: SwavParts = {
    config: c,
    encoder: enc,
    projector: projector({ in: embedDim, hiddenDim: p.hiddenDim, outDim: p.outDim, batchNorm: p.batchNorm, bnMomentum: p.bnMomentum, bnEps: p.bnEps }),
    prototypes: prototypes({ dim: p.outDim, count: c.numPrototypes }),
    embedDim,
  };
  partsCache.set(c, made);
  return made;
}

/** The number of assignment views the queue holds: `cropsForAssign`'s length, else 2 (the global views). */
function queueViews(c: SwavConfig): number {
  return c.cropsForAssign?.length ?? 2;
}

/**
 * Fresh parameters and state.
 * @example const { params, state } = swav.init(random.key(0), { encoder: 'resnet18', encoderOptions: { lowResolution: true } });
 */
export function init(key: NdArray, config?: SwavConfigInput | SwavConfig): { params: SwavParams; state: SwavState } {
  const m = parts(config);
  return tf.tidy(() => {
    const [ke, kp, kw] = random.split(key, 3);
    const e = m.encoder.init(ke);
    const p = m.projector.init(kp);
    const w = m.prototypes.init(kw);
    const state: SwavState = {
      encoder: e.state,
      projector: p.state,
      step: tf.scalar(0, 'int32'),
      ...(m.config.queueLength > 0 ? { queue: initQueue(queueViews(m.config), m.config.queueLength, m.config.projector.outDim) } : {}),
    };
    return { params: { encoder: e.params, projector: p.params, prototypes: w.params as { weight: NdArray } }, state } as any;
  });
}

/**
 * The forward pass: `[output, newState]`.
 * @example
 * const [out, state2] = swav.apply(params, state, { view1, view2 }, { train: true, config });
 * out.loss; out.embedding; out.projection; out.scores; out.codes;
 */
export function apply(params: SwavParams, state: SwavState, input: SwavInput, opts: SwavApplyOptions = {}): [SwavOutput, SwavState] {
  const m = parts(opts.config);
  const c = m.config;
  const train = opts.train ?? false;
  const parsed = viewsOf(input, 'swav.apply');
  if (parsed === null) {
    const images = ((input as { images?: NdArray }).images ?? (input as { view1: NdArray }).view1) as NdArray;
    const { outputs, state: encoded } = encodeViews({ encoder: m.encoder }, params, state, [images], { train, key: opts.key, axisName: opts.axisName });
    return [{ loss: np.zeros([]), embedding: stopGradient(outputs.encoder[0]) }, { ...state, ...encoded }];
  }
  const { views, numGlobal } = parsed;
  const assign = c.cropsForAssign ?? Array.from({ length: numGlobal }, (_, i) => i);
  if (assign.some((v) => v >= views.length)) throw new Error(`swav.apply: cropsForAssign [${assign.join(', ')}] names views beyond the ${views.length} given`);
  if (c.pairing === 'seed' && assign.length !== numGlobal)
    throw new Error(`swav.apply: with pairing 'seed' the assignment views are the ${numGlobal} global views, but cropsForAssign is [${assign.join(', ')}]`);

  // Encode and project every view on its own, threading BatchNorm state in view order.
  const encoded = encodeViews({ encoder: m.encoder, projector: m.projector }, params, state, views, { train, key: opts.key, axisName: opts.axisName });
  const hs = encoded.outputs.encoder;
  const zs = encoded.outputs.projector;

  // Scores through the renormalised prototypes (the seed's in-place renormalisation).
  const weight = params.prototypes.weight;
  const scores = zs.map((z) => prototypeScores(weight, z));
  const normalized = stopGradient(normalizePrototypes(weight));

  // Codes: one Sinkhorn per view (pairing 'paper': only the assignment views), with the queue if any.
  const queue = state.queue;
  const inUse = queue && train && !opts.assign ? queueInUse(queue) : null;
  if (queue && train && queue.embeddings.shape[0] !== assign.length)
    throw new Error(`swav.apply: the queue holds ${queue.embeddings.shape[0]} assignment view(s) but ${assign.length} are used; set cropsForAssign`);
  const sk = { epsilon: c.epsilon, iterations: c.sinkhornIterations, axisName: opts.axisName };
  const codes = scores.map((s, v) => {
    const a = assign.indexOf(v);
    if (c.pairing === 'paper' && a < 0) return null;
    if (opts.assign) return stopGradient(opts.assign(stopGradient(s)));
    if (inUse && a >= 0) return codesWithQueue(s, np.squeeze(np.sliceAxis(queue!.embeddings, 0, a, a + 1), 0), normalized, inUse, sk);
    return sinkhorn(s, sk);
  });

  const loss = swavLoss(scores, codes, { temperature: c.temperature, pairing: c.pairing, cropsForAssign: assign });
  let newState: SwavState = { ...state, ...encoded.state };
  if (train) {
    newState = { ...newState, step: np.add(state.step, 1) };
    if (queue) newState = { ...newState, queue: pushQueue(queue, assign.map((v) => zs[v]), np.greaterEqual(state.step, c.queueStartStep)) };
  }
  const out: SwavOutput = {
    loss,
    embedding: stopGradient(np.concatenate(hs.slice(0, numGlobal), 0)),
    projection: np.concatenate(zs, 0),
    scores,
    codes,
    prototypes: normalized,
  };
  return [out, newState];
}

/**
 * Parameters and state from a PyTorch state dict of the seed's `SwAV` module
 * (`backbone.*`, `projector.*`, `prototypes.weight`); the encoder must offer `fromTorch`
 * (every `nn` layer does), as tensors or the entries of a safetensors file. The step starts at
 * 0 and the queue empty.
 */
export function fromTorch(dict: TorchStateDict, config?: SwavConfigInput | SwavConfig): { params: SwavParams; state: SwavState } {
  return readTorchDict(dict, 'swav.fromTorch', (d) => fromTensors(d, config));
}

function fromTensors(dict: Readonly<Record<string, tf.Tensor>>, config?: SwavConfigInput | SwavConfig): { params: SwavParams; state: SwavState } {
  const m = parts(config);
  if (!m.encoder.fromTorch) throw new Error('swav.fromTorch: the encoder layer has no fromTorch');
  const r = new nn.TorchReader(dict);
  const e = m.encoder.fromTorch(r, 'backbone.');
  const p = m.projector.fromTorch(r, 'projector.');
  const w = m.prototypes.fromTorch(r, 'prototypes.');
  const unused = Object.keys(dict).filter((k) => !r.used.has(k));
  if (unused.length) throw new Error(`swav.fromTorch: entries not used by the model: ${unused.slice(0, 8).join(', ')}`);
  return {
    params: { encoder: e.params, projector: p.params, prototypes: w.params as { weight: NdArray } },
    state: {
      encoder: e.state,
      projector: p.state,
      step: tf.scalar(0, 'int32'),
      ...(m.config.queueLength > 0 ? { queue: initQueue(queueViews(m.config), m.config.queueLength, m.config.projector.outDim) } : {}),
    },
  };
}

/** The seed's PyTorch state dict (names and layouts) of parameters and state; new tensors. */
export function toTorch(params: SwavParams, state: Pick<SwavState, 'encoder' | 'projector'>, config?: SwavConfigInput | SwavConfig): Record<string, tf.Tensor> {
  const m = parts(config);
  if (!m.encoder.toTorch) throw new Error('swav.toTorch: the encoder layer has no toTorch');
  const out: Record<string, tf.Tensor> = {};
  m.encoder.toTorch({ params: params.encoder, state: state.encoder }, 'backbone.', out as nn.TorchDict);
  m.projector.toTorch({ params: params.projector, state: state.projector }, 'projector.', out as nn.TorchDict);
  m.prototypes.toTorch({ params: params.prototypes, state: {} }, 'prototypes.', out as nn.TorchDict);
  return out;
}
