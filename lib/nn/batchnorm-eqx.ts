/**
 * Equinox's BatchNorm (eqx.nn.BatchNorm with mode 'ema' or 'batch'), behind `batchNorm({ mode })`.
 * Equinox's momentum weighs the OLD value (running = momentum running + (1 - momentum) batch,
 * default 0.99), its statistics use the biased variance, and a batch of one is allowed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import type { Layer } from './layer.js';
import { type BatchNormParams, type BatchNormState, affineFromTorch, affineToTorch, runningStatsToTorch } from './norm-state.js';

/** eqx.nn.BatchNorm's modes: 'ema' (its legacy default) and 'batch' (PyTorch-like training). */
export type EquinoxBatchNormMode = 'ema' | 'batch';

export interface EquinoxBatchNormConfig {
  readonly features: number;
  readonly mode: EquinoxBatchNormMode;
  /** The old value's weight (Equinox's convention), in [0, 1]; default 0.99. */
  readonly momentum?: number | null;
  readonly eps?: number;
  readonly affine?: boolean;
  readonly axisName?: string;
}

/** The momentum option checked for an Equinox mode: a number in [0, 1], default 0.99. */
function equinoxMomentum(config: EquinoxBatchNormConfig): number {
  const m = config.momentum === undefined ? 0.99 : config.momentum;
  if (m === null || !(m >= 0 && m <= 1)) throw new Error(`batchNorm: mode '${config.mode}' needs momentum in [0, 1] (Equinox's, the old value's weight), got ${m}`);
  return m;
}

/** `(1 - m) batch + m old`: Equinox's moving average. */
const ema = (old: NdArray, batch: NdArray, m: number) => np.add(np.mul(batch, 1 - m), np.mul(old, m));

/**
 * 'ema' in training: the statistics are (1 - m) batch + m running (the batch's alone the first time),
 * normalised with and kept; gradients flow through the batch part, the state carries none.
 */
function emaStep(state: BatchNormState, mean: NdArray, variance: NdArray, m: number): { stats: [NdArray, NdArray]; state: BatchNormState } {
  const first = state.firstTime ?? tf.scalar(true, 'bool');
  const pick = (old: NdArray, batch: NdArray) => np.where(first, batch, ema(old, batch, m));
  const stats: [NdArray, NdArray] = [pick(state.mean, mean), pick(state.var, variance)];
  return { stats, state: { mean: np.stopGradient(stats[0]), var: np.stopGradient(stats[1]), firstTime: tf.scalar(false, 'bool') } };
}

/** 'batch' at inference: the moving averages divided by 1 - m^count (not at count 0), Equinox's debiasing. */
function debiased(state: BatchNormState, m: number): [NdArray, NdArray] {
  const count = np.cast(state.numBatchesTracked ?? np.zeros([], 'int32'), 'float32');
  const scale = np.where(np.equal(count, 0), 1, np.sub(1, np.power(m, count)));
  return [np.div(state.mean, scale), np.div(state.var, scale)];
}

/**
 * eqx.nn.BatchNorm(features, axis_name, mode=...) on channels-last [N, ..., C]. 'ema': training
 * normalises with the updated moving statistics (the first batch's own), inference with the
 * stored ones (mean 0, variance 1 before any training; Equinox's are uninitialised). 'batch':
 * training normalises with the batch statistics and updates moving averages from mean 0, variance 1;
 * inference uses them divided by 1 - momentum^count. State: `mean`, `var`, and `firstTime` ('ema')
 * or the int32 count `numBatchesTracked` ('batch').
 */
export function equinoxBatchNorm(config: EquinoxBatchNormConfig, c: number, check: (x: NdArray) => void): Layer<BatchNormParams, BatchNormState> {
  const { mode } = config;
  const m = equinoxMomentum(config);
  const eps = config.eps ?? 1e-5;
  const affine = config.affine ?? true;
  const normalize = (x: NdArray, [mean, variance]: [NdArray, NdArray], p: BatchNormParams) => F.normalize(x, mean, variance, p.scale ?? null, p.bias ?? null, eps);
  const fresh = (): BatchNormState => ({
    mean: np.zeros([c]),
    var: np.ones([c]),
    ...(mode === 'ema' ? { firstTime: tf.scalar(true, 'bool') } : { numBatchesTracked: np.zeros([], 'int32') }),
  });
  return {
    kind: 'batchNorm',
    init: () => ({ params: affine ? { scale: np.ones([c]), bias: np.zeros([c]) } : {}, state: fresh() }),
    apply(params, state, x, opts = {}) {
      check(x);
      if (!opts.train) return [normalize(x, mode === 'ema' ? [state.mean, state.var] : debiased(state, m), params), state];
      const { mean, variance } = F.batchMoments(x, config.axisName ?? opts.axisName);
      if (mode === 'ema') {
        const step = emaStep(state, mean, variance, m);
        return [normalize(x, step.stats, params), step.state];
      }
      const [bm, bv] = [np.stopGradient(mean), np.stopGradient(variance)];
      const count = np.add(state.numBatchesTracked ?? np.zeros([], 'int32'), 1);
      return [normalize(x, [mean, variance], params), { mean: ema(state.mean, bm, m), var: ema(state.var, bv, m), numBatchesTracked: count }];
    },
    toTorch(v, prefix, out) {
      affineToTorch(v.params, prefix, out);
      // PyTorch's names hold the statistics inference uses.
      const [mean, variance] = mode === 'ema' ? [v.state.mean, v.state.var] : debiased(v.state, m);
      runningStatsToTorch({ mean, var: variance, numBatchesTracked: v.state.numBatchesTracked }, prefix, out);
    },
    fromTorch(r, prefix) {
      const trackedName = `${prefix}num_batches_tracked`;
      const tracked = r.has(trackedName) ? r.dict[trackedName].dataSync()[0] : 0;
      r.skip(trackedName);
      const [mean, variance] = ['running_mean', 'running_var'].map((n) => tf.clone(r.get(`${prefix}${n}`, [c])));
      const params = affineFromTorch(r, prefix, c, affine);
      if (mode === 'ema') return { params, state: { mean, var: variance, firstTime: tf.scalar(false, 'bool') } };
      const scale = tracked === 0 ? 1 : 1 - m ** tracked;
      return { params, state: { mean: np.mul(mean, scale), var: np.mul(variance, scale), numBatchesTracked: tf.scalar(tracked, 'int32') } };
    },
  };
}
