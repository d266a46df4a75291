/** 2-D convolution and pooling layers, channels-last: NHWC (or HWC for one example). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import type { PaddingSpec, Pair } from '../ops/nn.js';
import * as random from '../random/index.js';
import * as init from './init.js';
import { type Layer, positiveInt, stateless, withBatchAxis } from './layer.js';
import { convFromTorch, convToTorch, copy } from './torch.js';

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface Conv2dConfig {
  readonly in: number;
  readonly out: number;
  readonly kernel: Pair;
  /** Default 1. */
  readonly stride?: Pair;
  /**
   * PyTorch-style: a number or [ph, pw] pads both sides (default 0); also 'SAME' / 'VALID'
   * (TensorFlow's rule) or explicit [[top, bottom], [left, right]].
   */
  readonly padding?: PaddingSpec | readonly [number, number];
  readonly dilation?: Pair;
  readonly groups?: number;
  /** Default true. */
  readonly bias?: boolean;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

export interface ConvParams {
  /** [kh, kw, in/groups, out] (HWIO) */
  readonly w: NdArray;
  /** [out] */
  readonly b?: NdArray;
}

function convPadding(p: Conv2dConfig['padding']): PaddingSpec {
  if (p === undefined) return 0;
  if (Array.isArray(p) && typeof p[0] === 'number') {
    const [ph, pw] = p as readonly [number, number];
    return [
      [ph, ph],
      [pw, pw],
    ];
  }
  return p as PaddingSpec;
}

/**
 * 2-D convolution on NHWC inputs (or one HWC example), PyTorch's nn.Conv2d semantics
 * with the filter stored HWIO.
 * @example const conv = nn.conv2d({ in: 3, out: 64, kernel: 3, stride: 1, padding: 1, bias: false });
 */
export function conv2d(config: Conv2dConfig): Layer<ConvParams, Record<string, never>> {
  const cin = positiveInt(config.in, 'conv2d: in');
  const cout = positiveInt(config.out, 'conv2d: out');
  const groups = positiveInt(config.groups ?? 1, 'conv2d: groups');
  if (cin % groups || cout % groups) throw new Error(`conv2d: in (${cin}) and out (${cout}) must be divisible by groups (${groups})`);
  const [kh, kw] = pairOf(config.kernel);
  const hasBias = config.bias ?? true;
  const padding = convPadding(config.padding);
  const opts = { strides: config.stride ?? 1, padding, dilation: config.dilation ?? 1, groups };
  const wShape = [kh, kw, cin / groups, cout];
  const fans = { fanIn: (cin / groups) * kh * kw, fanOut: (cout / groups) * kh * kw };
  return {
    kind: 'conv2d',
    init(key) {
      return scope(() => {
        const [k1, k2] = random.split(key);
        const w = (config.weightInit ?? init.torchDefaultWeight)(k1, wShape, fans);
        return { params: hasBias ? { w, b: (config.biasInit ?? init.torchDefaultBias)(k2, [cout], fans) } : { w }, state: {} };
      });
    },
    apply(params, state, x) {
      const y = withBatchAxis(x, 4, 'conv2d', (xb) => {
        const c = xb.shape[3];
        if (c !== cin) throw new Error(`conv2d: expected ${cin} input channels (NHWC), got input ${shapeStr(xb.shape)}`);
        const out = np.conv2d(xb, params.w, opts);
        return params.b ? np.add(out, params.b) : out;
      });
      return [y, state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = convToTorch(v.params.w);
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = convFromTorch(r.get(`${prefix}weight`, [cout, cin / groups, kh, kw]));
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [cout])) } : { w }, state: {} };
    },
  };
}

export interface PoolConfig {
  readonly kernel: Pair;
  /** Default: the kernel size (as PyTorch). */
  readonly stride?: Pair;
  /** A number pads both sides (PyTorch), or 'SAME' / 'VALID' / explicit. Default 0. */
  readonly padding?: PaddingSpec;
}

/** Max pooling (NHWC or HWC), padding with -inf as PyTorch's nn.MaxPool2d. */
export const maxPool2d = (config: PoolConfig) =>
  stateless('maxPool2d', (x) => withBatchAxis(x, 4, 'maxPool2d', (xb) => np.maxPool(xb, { window: config.kernel, strides: config.stride ?? config.kernel, padding: config.padding ?? 0 })));

/** Average pooling (NHWC or HWC); padded zeros count (PyTorch's count_include_pad=True). */
export const avgPool2d = (config: PoolConfig) =>
  stateless('avgPool2d', (x) => withBatchAxis(x, 4, 'avgPool2d', (xb) => np.avgPool(xb, { window: config.kernel, strides: config.stride ?? config.kernel, padding: config.padding ?? 0 })));

/** Mean over H and W: [N, H, W, C] -> [N, C] (or [H, W, C] -> [C]). */
export const globalAvgPool = () =>
  stateless('globalAvgPool', (x) => {
    const r = x.shape.length;
    if (r !== 3 && r !== 4) throw new Error(`globalAvgPool: expected NHWC or HWC, got ${shapeStr(x.shape)}`);
    return np.mean(x, [r - 3, r - 2]);
  });

/** Max over H and W: [N, H, W, C] -> [N, C] (or [H, W, C] -> [C]). */
export const globalMaxPool = () =>
  stateless('globalMaxPool', (x) => {
    const r = x.shape.length;
    if (r !== 3 && r !== 4) throw new Error(`globalMaxPool: expected NHWC or HWC, got ${shapeStr(x.shape)}`);
    return np.max(x, [r - 3, r - 2]);
  });
