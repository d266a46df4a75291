/**
 * A norm layer's affine parameters and running statistics: their types, PyTorch's names for
 * them, and PyTorch's running update (shared by the BatchNorm variants, InstanceNorm and
 * GroupNorm; Equinox's BatchNorm in batchnorm-eqx.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import type { TorchDict, TorchReader } from './layer.js';
import { copy } from './torch.js';

export interface BatchNormParams {
  readonly scale?: NdArray;
  readonly bias?: NdArray;
}
/** A norm layer's affine scale and bias as PyTorch's `weight` and `bias` (nothing without them). */
export function affineToTorch(params: BatchNormParams, prefix: string, out: TorchDict): void {
  if (params.scale) out[`${prefix}weight`] = copy(params.scale);
  if (params.bias) out[`${prefix}bias`] = copy(params.bias);
}

/** PyTorch's `weight` and `bias` of `c` channels (or of shape `c`) as a norm layer's scale and bias (none unless `affine`). */
export function affineFromTorch(r: TorchReader, prefix: string, c: number | readonly number[], affine: boolean): BatchNormParams {
  const shape = typeof c === 'number' ? [c] : c;
  return affine ? { scale: tf.clone(r.get(`${prefix}weight`, shape)), bias: tf.clone(r.get(`${prefix}bias`, shape)) } : {};
}

export interface BatchNormState {
  readonly mean: NdArray;
  readonly var: NdArray;
  /** The batches seen in training (int32 scalar): only with `momentum: null`, which averages over them. */
  readonly numBatchesTracked?: NdArray;
  /** Equinox's mode 'ema': true (bool scalar) until the first training batch fills the statistics. */
  readonly firstTime?: NdArray;
}

/** Fresh running statistics of `c` channels: mean 0, variance 1 (and the batch count with momentum null). */
export function initRunningStats(c: number, momentum: number | null): BatchNormState {
  return { mean: np.zeros([c]), var: np.ones([c]), ...(momentum === null ? { numBatchesTracked: np.zeros([], 'int32') } : {}) };
}

/**
 * PyTorch's running-statistics update, without gradient: running = (1 - m) running + m batch, with
 * m = momentum, or 1 / (batches so far) for momentum null (the plain average of every batch).
 */
export function updateRunningStats(state: BatchNormState, mean: NdArray, unbiasedVar: NdArray, momentum: number | null): BatchNormState {
  const tracked = momentum === null ? np.add(state.numBatchesTracked ?? np.zeros([], 'int32'), 1) : undefined;
  const m = tracked ? np.div(1, np.cast(tracked, 'float32')) : (momentum as number);
  const keep = typeof m === 'number' ? 1 - m : np.sub(1, m);
  const update = (running: NdArray, batch: NdArray) => np.add(np.mul(running, keep), np.mul(np.stopGradient(batch), m));
  return { mean: update(state.mean, mean), var: update(state.var, unbiasedVar), ...(tracked ? { numBatchesTracked: tracked } : {}) };
}

/** Running statistics as PyTorch's `running_mean`, `running_var`, `num_batches_tracked`. */
export function runningStatsToTorch(state: BatchNormState, prefix: string, out: TorchDict): void {
  out[`${prefix}running_mean`] = copy(state.mean);
  out[`${prefix}running_var`] = copy(state.var);
  out[`${prefix}num_batches_tracked`] = state.numBatchesTracked ? copy(state.numBatchesTracked) : tf.scalar(0, 'int32');
}

/** Running statistics of `c` channels read from PyTorch's names (the count kept only for momentum null). */
export function runningStatsFromTorch(r: TorchReader, prefix: string, c: number, momentum: number | null): BatchNormState {
  const trackedName = `${prefix}num_batches_tracked`;
  const tracked = r.has(trackedName) ? r.dict[trackedName].dataSync()[0] : 0;
  r.skip(trackedName);
  const get = (n: string) => tf.clone(r.get(`${prefix}${n}`, [c]));
  return { mean: get('running_mean'), var: get('running_var'), ...(momentum === null ? { numBatchesTracked: tf.scalar(tracked, 'int32') } : {}) };
}

/** A norm layer's momentum option checked: a number in [0, 1] or null; default 0.1. */
export function checkMomentum(momentum: number | null | undefined, what: string): number | null {
  const m = momentum === undefined ? 0.1 : momentum;
  if (m !== null && !(m >= 0 && m <= 1)) throw new Error(`${what}: momentum must be in [0, 1] or null (a cumulative average), got ${m}`);
  return m;
}
