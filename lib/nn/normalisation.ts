/** Normalisation layers: BatchNorm ([N, C] or [N, ..., C]; statistics are explicit state) and LayerNorm (last axis). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import { type Layer, positiveInt } from './layer.js';
import { type BatchNormParams, type BatchNormState, affineFromTorch, affineToTorch, checkMomentum, initRunningStats, runningStatsFromTorch, runningStatsToTorch, updateRunningStats } from './norm-state.js';
import { type EquinoxBatchNormMode, equinoxBatchNorm } from './batchnorm-eqx.js';

export interface BatchNormConfig {
  readonly features: number;
  /**
   * PyTorch convention: running = (1 - momentum) * running + momentum * batch. Default 0.1.
   * `null` is PyTorch's momentum=None: the cumulative average of every batch so far
   * (momentum 1 / numBatchesTracked), with the count kept in the state.
   */
  readonly momentum?: number | null;
  /** Default 1e-5. */
  readonly eps?: number;
  /** Learnable scale and bias (default true). */
  readonly affine?: boolean;
  /**
   * PyTorch's track_running_stats (default true). false keeps no running statistics (the state is
   * empty, as the state dict) and normalises with the batch's statistics in evaluation too.
   */
  readonly trackRunningStats?: boolean;
  /**
   * Synchronised statistics (SyncBN): the batch is sharded over this named axis, and
   * training normalises with the whole batch's mean and variance (every member then holds
   * the same running statistics). Default: `ApplyOptions.axisName`, else the local batch.
   */
  readonly axisName?: string;
  /**
   * Equinox's BatchNorm instead of PyTorch's (eqx.nn.BatchNorm's mode): 'ema' or 'batch'. `momentum`
   * is then Equinox's, the OLD value's weight (default 0.99); see {@link equinoxBatchNorm}.
   */
  readonly mode?: EquinoxBatchNormMode;
}

/**
 * Batch normalisation over every axis but the last: [N, C] (BatchNorm1d) or NHWC
 * (BatchNorm2d). Training normalises with the batch mean and BIASED batch variance and
 * returns running statistics updated with PyTorch's convention: running = 0.9 * running
 * + 0.1 * batch (momentum 0.1 is the weight of the new batch), using the UNBIASED batch
 * variance for the running variance. Evaluation normalises with the running statistics.
 * The returned state carries no gradient.
 * @example const [y, state2] = bn.apply(params, state, x, { train: true });
 */
export function batchNorm(config: BatchNormConfig): Layer<BatchNormParams, BatchNormState> {
  const c = positiveInt(config.features, 'batchNorm: features');
  const check = (x: NdArray) => {
    const s = x.shape;
    if (s.length < 2 || s[s.length - 1] !== c) throw new Error(`batchNorm: expected a batch [N, ..., ${c}] (channels last), got ${shapeStr(s)}`);
  };
  const { mode } = config;
  if (mode !== undefined) {
    if (mode !== 'ema' && mode !== 'batch') throw new Error(`batchNorm: mode must be 'ema' or 'batch' (Equinox's), got '${String(mode)}'`);
    return equinoxBatchNorm({ ...config, mode }, c, check);
  }
  const momentum = checkMomentum(config.momentum, 'batchNorm');
  const eps = config.eps ?? 1e-5;
  const affine = config.affine ?? true;
  const tracking = config.trackRunningStats ?? true;
  return {
    kind: 'batchNorm',
    init: () => ({
      params: affine ? { scale: np.ones([c]), bias: np.zeros([c]) } : {},
      state: !tracking ? ({} as BatchNormState) : initRunningStats(c, momentum),
    }),
    apply(params, state, x, opts = {}) {
      check(x);
      if (!opts.train && tracking) return [F.normalize(x, state.mean, state.var, params.scale ?? null, params.bias ?? null, eps), state];
      const { mean, variance, count } = F.batchMoments(x, config.axisName ?? opts.axisName);
      if (count === 1) throw new Error(`batchNorm: expected more than 1 value per channel when training, got input ${shapeStr(x.shape)}`);
      const y = F.normalize(x, mean, variance, params.scale ?? null, params.bias ?? null, eps);
      if (!tracking) return [y, state];
      return [y, updateRunningStats(state, mean, np.mul(variance, count / Math.max(count - 1, 1)), momentum)];
    },
    toTorch(v, prefix, out) {
      affineToTorch(v.params, prefix, out);
      if (tracking) runningStatsToTorch(v.state, prefix, out);
    },
    fromTorch(r, prefix) {
      return { params: affineFromTorch(r, prefix, c, affine), state: tracking ? runningStatsFromTorch(r, prefix, c, momentum) : ({} as BatchNormState) };
    },
  };
}


export interface LayerNormConfig {
  /** The size of the last axis, or the sizes of the last axes normalised together (PyTorch's normalized_shape). */
  readonly features: number | readonly number[];
  /** Default 1e-5 (timm's ViT uses 1e-6). */
  readonly eps?: number;
  /** A learnt scale and bias (PyTorch's elementwise_affine; default true). */
  readonly affine?: boolean;
  /** With `affine`, a learnt bias too (PyTorch's bias, Equinox's use_bias; default true; false keeps the scale alone). */
  readonly bias?: boolean;
  /** With `affine`, a learnt scale (Equinox's use_weight; default true; false keeps the bias alone). */
  readonly weight?: boolean;
}

/**
 * Layer normalisation over the last axis (PyTorch's nn.LayerNorm(features)), or over the last
 * axes when `features` is a shape (nn.LayerNorm([d1, d2, ...]): scale and bias of that shape).
 * `weight` / `bias` pick the learnt scale and shift separately, as Equinox's use_weight / use_bias.
 */
export function layerNorm(config: LayerNormConfig): Layer<BatchNormParams, Record<string, never>> {
  const shape = (typeof config.features === 'number' ? [config.features] : [...config.features]).map((d) => positiveInt(d, 'layerNorm: features'));
  if (shape.length === 0) throw new Error('layerNorm: features must be a size or a non-empty shape');
  const eps = config.eps ?? 1e-5;
  const affine = config.affine ?? true;
  const hasBias = affine && (config.bias ?? true);
  const hasScale = affine && (config.weight ?? true);
  const k = shape.length;
  return {
    kind: 'layerNorm',
    init: () => ({ params: { ...(hasScale ? { scale: np.ones(shape) } : {}), ...(hasBias ? { bias: np.zeros(shape) } : {}) }, state: {} }),
    apply(params, state, x) {
      const s = x.shape;
      if (s.length < k || s.slice(-k).some((d, i) => d !== shape[i])) throw new Error(`layerNorm: expected inputs [..., ${shape.join(', ')}], got ${shapeStr(s)}`);
      return [F.layerNorm(x, params.scale ?? null, params.bias ?? null, eps, k), state];
    },
    toTorch: (v, prefix, out) => affineToTorch(v.params, prefix, out),
    fromTorch: (r, prefix) => {
      const scale = hasScale ? { scale: tf.clone(r.get(`${prefix}weight`, shape)) } : {};
      return { params: { ...scale, ...(hasBias ? { bias: tf.clone(r.get(`${prefix}bias`, shape)) } : {}) }, state: {} };
    },
  };
}
