/**
 * The basic layers. Each is made from its configuration and returns a `Layer`
 * (init / apply / toTorch / fromTorch); see `layer.ts`. Inputs are channels-last:
 * Linear [..., in], Conv2d and pooling NHWC (or HWC for one example), BatchNorm
 * [N, C] or [N, ..., C].
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import type { PaddingSpec, Pair } from '../ops/nn.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type Layer, type TorchDict, type TorchReader, initChildren, stateless, withBatchAxis } from './layer.js';
import { convFromTorch, convToTorch, copy, linearFromTorch, linearToTorch } from './torch.js';

const pairOf = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function positive(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${String(v)}`);
  return v;
}

// ---------------------------------------------------------------- Linear

export interface LinearConfig {
  readonly in: number;
  readonly out: number;
  /** Default true. */
  readonly bias?: boolean;
  /** Default: PyTorch's kaiming_uniform(a = sqrt(5)). */
  readonly weightInit?: init.Initializer;
  /** Default: PyTorch's U(+-1/sqrt(in)). */
  readonly biasInit?: init.Initializer;
}

export interface LinearParams {
  /** [in, out] */
  readonly w: NdArray;
  /** [out] (absent without bias) */
  readonly b?: NdArray;
}

/**
 * y = x @ w + b over the last axis (PyTorch's nn.Linear; weight stored as [in, out]).
 * Works on one example [in] or any batch [..., in].
 * @example const fc = nn.linear({ in: 512, out: 10 });
 */
export function linear(config: LinearConfig): Layer<LinearParams, Record<string, never>> {
  const nIn = positive(config.in, 'linear: in');
  const nOut = positive(config.out, 'linear: out');
  const hasBias = config.bias ?? true;
  const fans = { fanIn: nIn, fanOut: nOut };
  return {
    kind: 'linear',
    init(key) {
      return scope(() => {
        const [kw, kb] = random.split(key);
        const w = (config.weightInit ?? init.torchDefaultWeight)(kw, [nIn, nOut], fans);
        const params: LinearParams = hasBias ? { w, b: (config.biasInit ?? init.torchDefaultBias)(kb, [nOut], fans) } : { w };
        return { params, state: {} };
      });
    },
    apply(params, state, x) {
      const s = x.shape;
      if (s[s.length - 1] !== nIn) throw new Error(`linear: expected inputs [..., ${nIn}], got ${shapeStr(s)}`);
      return [F.linear(x, params.w, params.b), state];
    },
    toTorch(v, prefix, out) {
      out[`${prefix}weight`] = linearToTorch(v.params.w);
      if (hasBias) out[`${prefix}bias`] = copy(v.params.b!);
    },
    fromTorch(r, prefix) {
      const w = linearFromTorch(r.get(`${prefix}weight`, [nOut, nIn]));
      return { params: hasBias ? { w, b: tf.clone(r.get(`${prefix}bias`, [nOut])) } : { w }, state: {} };
    },
  };
}

// ---------------------------------------------------------------- Conv2d

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
  const cin = positive(config.in, 'conv2d: in');
  const cout = positive(config.out, 'conv2d: out');
  const groups = positive(config.groups ?? 1, 'conv2d: groups');
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

// ---------------------------------------------------------------- BatchNorm

export interface BatchNormConfig {
  readonly features: number;
  /** PyTorch convention: running = (1 - momentum) * running + momentum * batch. Default 0.1. */
  readonly momentum?: number;
  /** Default 1e-5. */
  readonly eps?: number;
  /** Learnable scale and bias (default true). */
  readonly affine?: boolean;
  /**
   * Synchronised statistics (SyncBN): the batch is sharded over this named axis, and
   * training normalises with the whole batch's mean and variance (every member then holds
   * the same running statistics). Default: `ApplyOptions.axisName`, else the local batch.
   */
  readonly axisName?: string;
}

export interface BatchNormParams {
  readonly scale?: NdArray;
  readonly bias?: NdArray;
}
export interface BatchNormState {
  readonly mean: NdArray;
  readonly var: NdArray;
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
  const c = positive(config.features, 'batchNorm: features');
  const momentum = config.momentum ?? 0.1;
  const eps = config.eps ?? 1e-5;
  const affine = config.affine ?? true;
  const check = (x: NdArray) => {
    const s = x.shape;
    if (s.length < 2 || s[s.length - 1] !== c) throw new Error(`batchNorm: expected a batch [N, ..., ${c}] (channels last), got ${shapeStr(s)}`);
  };
  return {
    kind: 'batchNorm',
    init: () => ({ params: affine ? { scale: np.ones([c]), bias: np.zeros([c]) } : {}, state: { mean: np.zeros([c]), var: np.ones([c]) } }),
    apply(params, state, x, opts = {}) {
      check(x);
      if (!opts.train) return [F.normalize(x, state.mean, state.var, params.scale ?? null, params.bias ?? null, eps), state];
      const { mean, variance, count } = F.batchMoments(x, config.axisName ?? opts.axisName);
      const y = F.normalize(x, mean, variance, params.scale ?? null, params.bias ?? null, eps);
      const unbiased = np.mul(np.stopGradient(variance), count / Math.max(count - 1, 1));
      const newState: BatchNormState = {
        mean: np.add(np.mul(state.mean, 1 - momentum), np.mul(np.stopGradient(mean), momentum)),
        var: np.add(np.mul(state.var, 1 - momentum), np.mul(unbiased, momentum)),
      };
      return [y, newState];
    },
    toTorch(v, prefix, out) {
      if (affine) {
        out[`${prefix}weight`] = copy(v.params.scale!);
        out[`${prefix}bias`] = copy(v.params.bias!);
      }
      out[`${prefix}running_mean`] = copy(v.state.mean);
      out[`${prefix}running_var`] = copy(v.state.var);
      out[`${prefix}num_batches_tracked`] = tf.scalar(0, 'int32');
    },
    fromTorch(r, prefix) {
      r.skip(`${prefix}num_batches_tracked`);
      const get = (n: string) => tf.clone(r.get(`${prefix}${n}`, [c]));
      return {
        params: affine ? { scale: get('weight'), bias: get('bias') } : {},
        state: { mean: get('running_mean'), var: get('running_var') },
      };
    },
  };
}

// ---------------------------------------------------------------- LayerNorm

export interface LayerNormConfig {
  readonly features: number;
  /** Default 1e-5 (timm's ViT uses 1e-6). */
  readonly eps?: number;
  readonly affine?: boolean;
}

/** Layer normalisation over the last axis (PyTorch's nn.LayerNorm(features)). */
export function layerNorm(config: LayerNormConfig): Layer<BatchNormParams, Record<string, never>> {
  const c = positive(config.features, 'layerNorm: features');
  const eps = config.eps ?? 1e-5;
  const affine = config.affine ?? true;
  return {
    kind: 'layerNorm',
    init: () => ({ params: affine ? { scale: np.ones([c]), bias: np.zeros([c]) } : {}, state: {} }),
    apply(params, state, x) {
      const s = x.shape;
      if (s[s.length - 1] !== c) throw new Error(`layerNorm: expected inputs [..., ${c}], got ${shapeStr(s)}`);
      return [F.layerNorm(x, params.scale ?? null, params.bias ?? null, eps), state];
    },
    toTorch(v, prefix, out) {
      if (!affine) return;
      out[`${prefix}weight`] = copy(v.params.scale!);
      out[`${prefix}bias`] = copy(v.params.bias!);
    },
    fromTorch(r, prefix) {
      if (!affine) return { params: {}, state: {} };
      return { params: { scale: tf.clone(r.get(`${prefix}weight`, [c])), bias: tf.clone(r.get(`${prefix}bias`, [c])) }, state: {} };
    },
  };
}

// ---------------------------------------------------------------- stateless layers

/**
 * Inverted dropout with probability `rate`; active only with `{ train: true, key }`
 * (training without a key is an error, so randomness is never implicit).
 */
export function dropout(config: { readonly rate: number }) {
  const rate = config.rate;
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout: rate must be in [0, 1), got ${rate}`);
  return stateless('dropout', (x, opts) => {
    if (!opts.train || rate === 0) return x;
    if (!opts.key) throw new Error('dropout: training mode needs a PRNG key: apply(params, state, x, { train: true, key })');
    return F.dropout(opts.key, x, rate);
  });
}

export const relu = () => stateless('relu', (x) => np.relu(x));
/** GELU as a layer: exact (erf) by default, as torch.nn.GELU; `{ approximate: true }` for the tanh form (F.gelu's default, as jax.nn.gelu). */
export const gelu = ({ approximate = false }: F.GeluOptions = {}) => stateless('gelu', (x) => F.gelu(x, { approximate }));
export const silu = () => stateless('silu', (x) => np.silu(x));
export const tanh = () => stateless('tanh', (x) => np.tanh(x));
export const identity = () => stateless('identity', (x) => x);

/** x / max(||x||, eps) along `axis` (default -1, eps 1e-12), as torch's F.normalize. */
export const l2Normalize = (config: { readonly axis?: number; readonly eps?: number } = {}) =>
  stateless('l2Normalize', (x) => F.l2Normalize(x, config.axis ?? -1, config.eps ?? 1e-12));

/** [N, ...] -> [N, prod(...)]. */
export const flatten = () =>
  stateless('flatten', (x) => {
    const s = x.shape;
    return np.reshape(x, [s[0], s.slice(1).reduce((a, b) => a * b, 1)]);
  });

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

// ---------------------------------------------------------------- MLP

export type Activation = 'relu' | 'gelu' | 'silu' | 'tanh' | 'identity';
const ACTIVATIONS: Record<Activation, (x: NdArray) => NdArray> = { relu: np.relu, gelu: np.gelu, silu: np.silu, tanh: np.tanh, identity: (x) => x };

export interface MlpConfig {
  readonly in: number;
  /** Hidden width(s): one number gives timm's Mlp (fc1, act, fc2). */
  readonly hidden: number | readonly number[];
  readonly out: number;
  /** Default 'gelu' (timm). */
  readonly activation?: Activation;
  readonly bias?: boolean;
  /** Dropout after each activation and after the last layer (timm's Mlp `drop`), default 0. */
  readonly dropout?: number;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/**
 * A multi-layer perceptron: fc1, act, [drop], fc2, ... (PyTorch names fc1, fc2, ... as timm's Mlp).
 * @example nn.mlp({ in: 384, hidden: 1536, out: 384 }) // a ViT block's MLP
 */
export function mlp(config: MlpConfig): Layer {
  const dims = [config.in, ...(typeof config.hidden === 'number' ? [config.hidden] : config.hidden), config.out];
  const act = ACTIVATIONS[config.activation ?? 'gelu'];
  if (!act) throw new Error(`mlp: unknown activation '${config.activation}'`);
  const rate = config.dropout ?? 0;
  const fcs: Record<string, Layer> = {};
  for (let i = 0; i + 1 < dims.length; i++)
    fcs[`fc${i + 1}`] = linear({ in: dims[i], out: dims[i + 1], bias: config.bias, weightInit: config.weightInit, biasInit: config.biasInit });
  const names = Object.keys(fcs);
  return {
    kind: 'mlp',
    init: (key) => scope(() => initChildren(key, fcs)),
    apply(params, state, x, opts = {}) {
      const keys = opts.train && opts.key && rate > 0 ? random.split(opts.key, names.length) : [];
      let y = x;
      names.forEach((n, i) => {
        y = fcs[n].apply(params[n], state[n], y)[0];
        if (i + 1 < names.length) y = act(y);
        if (keys.length) y = F.dropout(keys[i], y, rate);
      });
      return [y, state];
    },
    toTorch(v, prefix, out) {
      names.forEach((n) => fcs[n].toTorch({ params: v.params[n], state: v.state[n] }, `${prefix}${n}.`, out));
    },
    fromTorch(r, prefix) {
      const vs = names.map((n) => fcs[n].fromTorch(r, `${prefix}${n}.`));
      return { params: Object.fromEntries(names.map((n, i) => [n, vs[i].params])), state: Object.fromEntries(names.map((n, i) => [n, vs[i].state])) };
    },
  };
}

// ---------------------------------------------------------------- attention

export interface AttentionConfig {
  readonly dim: number;
  readonly numHeads: number;
  /** Bias on the fused qkv projection (timm's qkv_bias, default true). */
  readonly qkvBias?: boolean;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
}

/**
 * Multi-head self-attention on [..., T, dim] (timm's Attention: a fused `qkv` Linear
 * dim -> 3 dim laid out as (3, heads, head_dim), softmax(q k^T / sqrt(head_dim)) v, and
 * a `proj` Linear). PyTorch names: qkv.weight, qkv.bias, proj.weight, proj.bias.
 */
export function multiHeadAttention(config: AttentionConfig): Layer {
  const dim = positive(config.dim, 'multiHeadAttention: dim');
  const heads = positive(config.numHeads, 'multiHeadAttention: numHeads');
  if (dim % heads) throw new Error(`multiHeadAttention: dim ${dim} is not divisible by numHeads ${heads}`);
  const hd = dim / heads;
  const children = {
    qkv: linear({ in: dim, out: 3 * dim, bias: config.qkvBias ?? true, weightInit: config.weightInit, biasInit: config.biasInit }),
    proj: linear({ in: dim, out: dim, weightInit: config.weightInit, biasInit: config.biasInit }),
  };
  return {
    kind: 'multiHeadAttention',
    init: (key) => scope(() => initChildren(key, children)),
    apply(params, state, x) {
      const s = x.shape;
      if (s.length < 2 || s[s.length - 1] !== dim) throw new Error(`multiHeadAttention: expected [..., T, ${dim}], got ${shapeStr(s)}`);
      const lead = s.slice(0, -2);
      const t = s[s.length - 2];
      const L = lead.length;
      const qkv = np.reshape(children.qkv.apply(params.qkv, state.qkv, x)[0], [...lead, t, 3, heads, hd]);
      // [..., T, 3, H, hd] -> [3, ..., H, T, hd]
      const perm = [L + 1, ...Array.from({ length: L }, (_, i) => i), L + 2, L, L + 3];
      const moved = np.transpose(qkv, perm);
      const part = (i: number) => np.squeeze(np.sliceAxis(moved, 0, i, i + 1), 0);
      const o = F.dotProductAttentionHeadsFirst(part(0), part(1), part(2)); // [..., H, T, hd]
      const merged = np.reshape(np.transpose(o, [...Array.from({ length: L }, (_, i) => i), L + 1, L, L + 2]), [...lead, t, dim]);
      return [children.proj.apply(params.proj, state.proj, merged)[0], state];
    },
    toTorch(v, prefix, out: TorchDict) {
      children.qkv.toTorch({ params: v.params.qkv, state: {} }, `${prefix}qkv.`, out);
      children.proj.toTorch({ params: v.params.proj, state: {} }, `${prefix}proj.`, out);
    },
    fromTorch(r: TorchReader, prefix) {
      const a = children.qkv.fromTorch(r, `${prefix}qkv.`);
      const b = children.proj.fromTorch(r, `${prefix}proj.`);
      return { params: { qkv: a.params, proj: b.params }, state: { qkv: {}, proj: {} } };
    },
  };
}
