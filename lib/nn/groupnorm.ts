/**
 * Per-example normalisation over groups of channels, channels-last: GroupNorm and
 * InstanceNorm on [N, ..., C] (PyTorch's nn.GroupNorm / nn.InstanceNorm{1,2,3}d, whose
 * layout is [N, C, ...]). No running statistics: training and evaluation agree.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import { type Layer, positiveInt } from './layer.js';
import { type BatchNormParams, type BatchNormState, affineFromTorch, affineToTorch, checkMomentum, initRunningStats, runningStatsFromTorch, runningStatsToTorch, updateRunningStats } from './norm-state.js';

/**
 * GroupNorm on channels-last x [N, ..., C]: channel c belongs to group floor(c / (C / groups))
 * (PyTorch's grouping); each example and group is normalised with the mean and BIASED
 * variance over its spatial positions and channels, then scaled and shifted per channel.
 * @example groupNormalize(x, 8, scale, bias) // x [N, H, W, 32]
 */
export function groupNormalize(x: NdArray, groups: number, scale: NdArray | null, bias: NdArray | null, eps = 1e-5): NdArray {
  const s = x.shape;
  const c = s[s.length - 1];
  const n = s[0];
  const positions = s.slice(1, -1).reduce((a, b) => a * b, 1);
  const xg = np.reshape(x, [n, positions, groups, c / groups]);
  const mean = np.mean(xg, [1, 3], true);
  const variance = np.mean(np.square(np.sub(xg, mean)), [1, 3], true);
  const y = np.reshape(F.normalize(xg, mean, variance, null, null, eps), s);
  const scaled = scale ? np.mul(y, scale) : y;
  return bias ? np.add(scaled, bias) : scaled;
}

/** A norm layer's initial affine parameters: scale 1 and bias 0 per channel (none unless `affine`). */
const affineInit = (c: number, affine: boolean): BatchNormParams => (affine ? { scale: np.ones([c]), bias: np.zeros([c]) } : {});

/** The shared layer behind groupNorm and instanceNorm; `channels` null takes C from the input (no affine parameters then). */
function groupedNorm(kind: string, groups: number, channels: number | null, eps: number, affine: boolean, minRank: number, batched = true): Layer<BatchNormParams, Record<string, never>> {
  const c = channels ?? 'C';
  const layout = !batched ? `one example [..., ${c}]` : minRank === 2 ? `a batch [N, ..., ${c}]` : `a batch [N, ..., ${c}] with a spatial axis`;
  return {
    kind,
    init: () => ({ params: channels === null ? {} : affineInit(channels, affine), state: {} }),
    apply(params, state, x) {
      const s = x.shape;
      if (s.length < (batched ? minRank : 1) || (channels !== null && s[s.length - 1] !== channels)) throw new Error(`${kind}: expected ${layout} (channels last), got ${shapeStr(s)}`);
      if (s[s.length - 1] % groups) throw new Error(`${kind}: channels (${s[s.length - 1]}) must be divisible by groups (${groups})`);
      const xb = batched ? x : np.reshape(x, [1, ...s]);
      const y = groupNormalize(xb, groups, params.scale ?? null, params.bias ?? null, eps);
      return [batched ? y : np.reshape(y, s), state];
    },
    toTorch: (v, prefix, out) => affineToTorch(v.params, prefix, out),
    fromTorch: (r, prefix) => ({ params: channels === null ? {} : affineFromTorch(r, prefix, channels, affine), state: {} }),
  };
}

export interface GroupNormConfig {
  readonly groups: number;
  /** C; a multiple of groups. May be left out without affine parameters (Equinox's channels=None): C is then the input's. */
  readonly channels?: number;
  /** Default 1e-5. */
  readonly eps?: number;
  /** Per-channel scale (1) and bias (0); default true (Equinox's channelwise_affine). */
  readonly affine?: boolean;
  /**
   * Default true: x is a batch [N, ..., C]. false: x is one example [..., C] (any rank from 1), every
   * leading axis a position, as eqx.nn.GroupNorm (channels last here), for use under vmap.
   */
  readonly batched?: boolean;
}

/**
 * Group normalisation (PyTorch's nn.GroupNorm) on channels-last batches [N, ..., C]: the
 * first axis is the batch (or, with `batched: false`, x is one example [..., C], as
 * eqx.nn.GroupNorm), the last the channels. Params `scale`, `bias` [C] (PyTorch's `weight`, `bias`).
 * @example const gn = nn.groupNorm({ groups: 8, channels: 64 }); // on [N, H, W, 64]
 */
export function groupNorm(config: GroupNormConfig): Layer<BatchNormParams, Record<string, never>> {
  const groups = positiveInt(config.groups, 'groupNorm: groups');
  const affine = config.affine ?? true;
  if (config.channels === undefined && affine) throw new Error('groupNorm: channels is needed for the affine parameters (or give affine: false)');
  const c = config.channels === undefined ? null : positiveInt(config.channels, 'groupNorm: channels');
  if (c !== null && c % groups) throw new Error(`groupNorm: channels (${c}) must be divisible by groups (${groups})`);
  return groupedNorm('groupNorm', groups, c, config.eps ?? 1e-5, affine, 2, config.batched ?? true);
}

export interface InstanceNormConfig {
  readonly channels: number;
  /** Default 1e-5. */
  readonly eps?: number;
  /** Per-channel scale and bias; default false, as PyTorch's. */
  readonly affine?: boolean;
  /**
   * PyTorch's track_running_stats (default false): training normalises each example as usual and
   * updates running statistics (the batch average of the per-example means and unbiased variances),
   * which evaluation then uses, as nn.InstanceNorm's.
   */
  readonly trackRunningStats?: boolean;
  /**
   * With `trackRunningStats`: running = (1 - momentum) running + momentum batch (default 0.1);
   * `null` averages every batch so far, as batchNorm's (PyTorch 1.13's InstanceNorm rejects None).
   */
  readonly momentum?: number | null;
}

/**
 * Instance normalisation (PyTorch's nn.InstanceNorm1d/2d/3d): each example and channel normalised
 * over its spatial positions; channels-last [N, L, C], [N, H, W, C], ... (GroupNorm with one channel
 * per group). With `trackRunningStats`, the state holds running statistics (`mean`, `var`, PyTorch's
 * `running_mean`, `running_var`), updated in training and used in evaluation.
 * @example const inorm = nn.instanceNorm({ channels: 16, affine: true }); // on [N, H, W, 16]
 */
export function instanceNorm(config: InstanceNormConfig): Layer<BatchNormParams, Partial<BatchNormState>> {
  const c = positiveInt(config.channels, 'instanceNorm: channels');
  const eps = config.eps ?? 1e-5;
  const affine = config.affine ?? false;
  const momentum = checkMomentum(config.momentum, 'instanceNorm');
  const inner = groupedNorm('instanceNorm', c, c, eps, affine, 3);
  if (!config.trackRunningStats) return inner;
  return {
    kind: 'instanceNorm',
    init: () => ({ params: affineInit(c, affine), state: initRunningStats(c, momentum) }),
    apply(params, state, x, opts = {}) {
      const s = x.shape;
      if (s.length < 3 || s[s.length - 1] !== c) throw new Error(`instanceNorm: expected a batch [N, ..., ${c}] with a spatial axis (channels last), got ${shapeStr(s)}`);
      if (!state.mean || !state.var) throw new Error('instanceNorm: trackRunningStats needs the state from init (running mean and var), got none');
      const running = state as BatchNormState;
      if (!opts.train) return [F.normalize(x, running.mean, running.var, params.scale ?? null, params.bias ?? null, eps), state];
      const axes = s.slice(1, -1).map((_, i) => i + 1);
      const count = s.slice(1, -1).reduce((a, b) => a * b, 1);
      if (count === 1) throw new Error(`instanceNorm: expected more than 1 spatial element when training, got input ${shapeStr(s)}`);
      const mean = np.mean(x, axes, true);
      const variance = np.mean(np.square(np.sub(x, mean)), axes, true);
      const y = F.normalize(x, mean, variance, params.scale ?? null, params.bias ?? null, eps);
      const flat = (v: NdArray) => np.mean(np.reshape(v, [s[0], c]), 0);
      return [y, updateRunningStats(running, flat(mean), np.mul(flat(variance), count / (count - 1)), momentum)];
    },
    toTorch(v, prefix, out) {
      affineToTorch(v.params, prefix, out);
      runningStatsToTorch(v.state as BatchNormState, prefix, out);
    },
    fromTorch: (r, prefix) => ({ params: affineFromTorch(r, prefix, c, affine), state: runningStatsFromTorch(r, prefix, c, momentum) }),
  };
}
