/** 1-D convolution, channels-last [N, L, C] (or one [L, C] example): conv2d over a size-1 height axis. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { type ConvPadding, type ConvParams, type PaddingMode, conv2d, paddingName } from './conv.js';
import type * as init from './init.js';
import { type Layer, positiveInt, withBatchAxis } from './layer.js';
import { copy } from './torch.js';

export interface Conv1dConfig {
  readonly in: number;
  readonly out: number;
  readonly kernel: number;
  /** Default 1. */
  readonly stride?: number;
  /** A number pads both ends (PyTorch's; default 0), [left, right] each end, or 'SAME' / 'VALID' / 'SAME_LOWER' in either case (PyTorch's 'same' / 'valid', Equinox's). */
  readonly padding?: number | readonly [number, number] | 'SAME' | 'VALID' | 'SAME_LOWER' | 'same' | 'valid' | 'same_lower';
  /** Default 1. */
  readonly dilation?: number;
  /** Default 1. */
  readonly groups?: number;
  /** Default true. */
  readonly bias?: boolean;
  /** PyTorch's padding_mode (default 'zeros'), as conv2d's. */
  readonly paddingMode?: PaddingMode | Uppercase<PaddingMode>;
  /** Default PyTorch's U(+-1/sqrt(fan_in)), fan_in = in/groups * kernel. */
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/** The height axis of the underlying conv2d gets no padding. */
function padding2d(p: Conv1dConfig['padding']): ConvPadding {
  if (p === undefined || typeof p === 'number') return [[0, 0], [p ?? 0, p ?? 0]];
  if (typeof p === 'string') return paddingName(p, 'conv1d');
  return [[0, 0], [p[0], p[1]]];
}

/**
 * 1-D convolution on [N, L, C] (or one [L, C] example), PyTorch's nn.Conv1d semantics with
 * the filter stored WIO: `w` [kernel, in/groups, out] (PyTorch's weight [out, in/groups, kernel]), `b` [out].
 * @example const conv = nn.conv1d({ in: 16, out: 32, kernel: 5, padding: 2 }); // [N, L, 16] -> [N, L, 32]
 */
export function conv1d(config: Conv1dConfig): Layer<ConvParams, Record<string, never>> {
  const cin = positiveInt(config.in, 'conv1d: in');
  const cout = positiveInt(config.out, 'conv1d: out');
  const k = positiveInt(config.kernel, 'conv1d: kernel');
  const groups = positiveInt(config.groups ?? 1, 'conv1d: groups');
  if (cin % groups || cout % groups) throw new Error(`conv1d: in (${cin}) and out (${cout}) must be divisible by groups (${groups})`);
  const hasBias = config.bias ?? true;
  const inner = conv2d({
    in: cin,
    out: cout,
    kernel: [1, k],
    stride: [1, config.stride ?? 1],
    padding: padding2d(config.padding),
    dilation: [1, config.dilation ?? 1],
    groups,
    bias: hasBias,
    paddingMode: config.paddingMode,
    weightInit: config.weightInit,
    biasInit: config.biasInit,
  });
  const w2d = (w: NdArray) => np.reshape(w, [1, k, cin / groups, cout]);
  const withW = (p: ConvParams, w: NdArray): ConvParams => (p.b ? { w, b: p.b } : { w });
  return {
    kind: 'conv1d',
    init(key) {
      return scope(() => {
        const { params } = inner.init(key);
        return { params: withW(params, np.reshape(params.w, [k, cin / groups, cout])), state: {} };
      });
    },
    apply(params, state, x) {
      const y = withBatchAxis(x, 3, 'conv1d', (xb) => {
        const [n, len, c] = xb.shape;
        if (c !== cin) throw new Error(`conv1d: expected ${cin} input channels ([N, L, C]), got input ${shapeStr(xb.shape)}`);
        const [out] = inner.apply(withW(params, w2d(params.w)), {}, np.reshape(xb, [n, 1, len, c]));
        return np.squeeze(out, 1);
      });
      return [y, state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = tf.tidy(() => tf.transpose(copy(v.params.w), [2, 1, 0]));
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = tf.transpose(r.get(`${prefix}weight`, [cout, cin / groups, k]), [2, 1, 0]);
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [cout])) } : { w }, state: {} };
    },
  };
}
