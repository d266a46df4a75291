/** Multi-head self-attention (timm's Attention): a fused qkv Linear, scaled dot-product attention per head, a proj Linear. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type ApplyOptions, type Layer, type TorchDict, type TorchReader, initChildren, positiveInt } from './layer.js';
import { type LinearParams, linear } from './linear.js';
import { rotaryEmbedding2d, rotaryInvFreq2d } from './rope.js';

export interface AttentionConfig {
  readonly dim: number;
  readonly numHeads: number;
  /** Bias on the fused qkv projection (timm's qkv_bias, default true). */
  readonly qkvBias?: boolean;
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
  /** Dropout on the attention weights in training (timm's attn_drop; default 0). */
  readonly attnDrop?: number;
  /** Dropout on the output in training (timm's proj_drop; default 0). */
  readonly projDrop?: number;
  /**
   * Query-key normalisation (stable-pretraining's `QKNorm`): each head's q and k through a LayerNorm
   * without affine parameters, before the rotary embedding. true: eps 1e-5 (PyTorch's); default off.
   */
  readonly qkNorm?: boolean | { readonly eps: number };
  /**
   * Rotary position embedding of q and k: '2d' is stable-pretraining's `RotaryPositionEmbedding2D`
   * ({@link rotaryEmbedding2d}) over the patch grid `apply` is given (`grid`); default none.
   */
  readonly rope?: '2d';
  /** The rotary embedding's base (the seed's `base`, default 10000). */
  readonly ropeTheta?: number;
}

export interface AttentionApplyOptions extends ApplyOptions {
  /**
   * Boolean, true where a query may attend to a key (timm's and F.scaled_dot_product_attention's
   * convention), or a float bias added to the logits; broadcasts against [..., heads, T, T].
   */
  readonly attnMask?: NdArray;
  /**
   * [..., T] over the keys: boolean, true where the key is padding and is ignored (as
   * nn.MultiheadAttention's key_padding_mask), or a float bias added to that key's logits.
   */
  readonly keyPaddingMask?: NdArray;
  /** Causal attention: position t attends to positions <= t. */
  readonly isCausal?: boolean;
  /**
   * The patch grid [gh, gw] (row-major, gh * gw = T) of a '2d' rotary embedding; without it a square
   * grid (T a perfect square), as the seed's.
   */
  readonly grid?: readonly [number, number];
}

export interface AttentionParams {
  readonly qkv: LinearParams;
  readonly proj: LinearParams;
}
type AttentionState = Record<string, Record<string, never>>;

/** A multi-head attention layer: `apply` also takes masks (see {@link AttentionApplyOptions}). */
export interface AttentionLayer extends Layer<AttentionParams, AttentionState> {
  apply(params: AttentionParams, state: AttentionState, x: NdArray, opts?: AttentionApplyOptions): [NdArray, AttentionState];
}

/** The key padding mask [..., S] as a bias [..., 1, 1, S] over the logits [..., heads, T, S]; true (padding) is -inf. */
function keyPaddingBias(mask: NdArray, lead: readonly number[], t: number): NdArray {
  const expected = [...lead, t];
  if (mask.shape.length !== expected.length || mask.shape.some((d, i) => d !== expected[i]))
    throw new Error(`multiHeadAttention: keyPaddingMask must be ${shapeStr(expected)} (true = padding), got ${shapeStr(mask.shape)}`);
  const bias = mask.dtype === 'bool' ? F.maskToBias(np.logicalNot(mask)) : mask;
  return np.expandDims(bias, [-2, -3]);
}

/** The grid of a '2d' rotary embedding over T tokens: the given one, else the square one (the seed's rule), else an error. */
function ropeGrid(grid: AttentionApplyOptions['grid'], t: number): readonly [number, number] {
  if (grid) return grid;
  const side = Math.round(Math.sqrt(t));
  if (side * side !== t) throw new Error(`multiHeadAttention: rope '2d' needs apply's grid [gh, gw] for ${t} tokens (not a perfect square)`);
  return [side, side];
}

/** The `qkNorm` option as its eps (null: off), or an error. */
function qkNormEps(o: AttentionConfig['qkNorm']): number | null {
  if (o === undefined || o === false) return null;
  const eps = o === true ? 1e-5 : o.eps;
  if (!(eps > 0 && Number.isFinite(eps))) throw new Error(`multiHeadAttention: qkNorm.eps must be a finite number > 0, got ${String(eps)}`);
  return eps;
}

/**
 * Multi-head self-attention on [..., T, dim] (timm's Attention: a fused `qkv` Linear
 * dim -> 3 dim laid out as (3, heads, head_dim), softmax(q k^T / sqrt(head_dim)) v, and
 * a `proj` Linear). PyTorch names: qkv.weight, qkv.bias, proj.weight, proj.bias.
 * With `qkNorm` and `rope` it is stable-pretraining's `Attention` (QK-Norm, then RoPE, on q and k).
 */
export function multiHeadAttention(config: AttentionConfig): AttentionLayer {
  if (config.dim === undefined && 'embedDim' in config)
    throw new Error('multiHeadAttention: dim must be a positive integer, got undefined (torch.nn.MultiheadAttention with embedDim, kdim, vdim is nn.multiheadAttention)');
  const dim = positiveInt(config.dim, 'multiHeadAttention: dim');
  const heads = positiveInt(config.numHeads, 'multiHeadAttention: numHeads');
  if (dim % heads) throw new Error(`multiHeadAttention: dim ${dim} is not divisible by numHeads ${heads}`);
  const hd = dim / heads;
  const attnDrop = config.attnDrop ?? 0;
  const projDrop = config.projDrop ?? 0;
  for (const [name, rate] of [['attnDrop', attnDrop], ['projDrop', projDrop]] as const)
    if (!(rate >= 0 && rate < 1)) throw new Error(`multiHeadAttention: ${name} must be in [0, 1), got ${rate}`);
  const qkEps = qkNormEps(config.qkNorm);
  if (config.rope !== undefined && config.rope !== '2d') throw new Error(`multiHeadAttention: rope must be '2d' (or absent), got ${String(config.rope)}`);
  if (config.rope && (hd < 4 || hd % 4)) throw new Error(`multiHeadAttention: rope '2d' needs a head width (dim / numHeads) that is a multiple of 4, got ${hd}`);
  /** q or k [..., H, T, hd] after QK-Norm and the rotary embedding, as configured. */
  const positioned = (x: NdArray, grid: AttentionApplyOptions['grid']): NdArray => {
    const normed = qkEps === null ? x : F.layerNorm(x, null, null, qkEps);
    if (!config.rope) return normed;
    const [gh, gw] = ropeGrid(grid, x.shape[x.shape.length - 2]);
    return rotaryEmbedding2d(normed, gh, gw, { theta: config.ropeTheta });
  };
  const children = {
    qkv: linear({ in: dim, out: 3 * dim, bias: config.qkvBias ?? true, weightInit: config.weightInit, biasInit: config.biasInit }),
    proj: linear({ in: dim, out: dim, weightInit: config.weightInit, biasInit: config.biasInit }),
  };
  return {
    kind: 'multiHeadAttention',
    init: (key) => scope(() => initChildren(key, children)),
    apply(params, state, x, opts: AttentionApplyOptions = {}) {
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
      // Every mask as an additive bias (-inf where masked), summed: [..., H, T, T] by broadcasting.
      const biases = [
        opts.attnMask && F.maskToBias(opts.attnMask),
        opts.keyPaddingMask && keyPaddingBias(opts.keyPaddingMask, lead, t),
        opts.isCausal && F.maskToBias(np.cast(np.tri(t, t), 'bool')),
      ].filter((b): b is NdArray => b !== undefined && b !== false);
      const attnMask = biases.length ? biases.reduce((a, b) => np.add(a, b)) : undefined;
      const dropping = opts.train === true && (attnDrop > 0 || projDrop > 0);
      if (dropping && !opts.key) throw new Error('multiHeadAttention: training with dropout needs a PRNG key: apply(params, state, x, { train: true, key })');
      const [attnKey, projKey] = dropping && opts.key ? random.split(opts.key) : [undefined, undefined];
      const o = F.scaledDotProductAttention(positioned(part(0), opts.grid), positioned(part(1), opts.grid), part(2), { attnMask, dropoutP: attnKey ? attnDrop : 0, dropoutKey: attnKey }); // [..., H, T, hd]
      const merged = np.reshape(np.transpose(o, [...Array.from({ length: L }, (_, i) => i), L + 1, L, L + 2]), [...lead, t, dim]);
      const y = children.proj.apply(params.proj, state.proj, merged)[0];
      return [projKey && projDrop > 0 ? F.dropout(projKey, y, projDrop) : y, state];
    },
    toTorch(v, prefix, out: TorchDict) {
      children.qkv.toTorch({ params: v.params.qkv, state: {} }, `${prefix}qkv.`, out);
      children.proj.toTorch({ params: v.params.proj, state: {} }, `${prefix}proj.`, out);
      // the seed's RoPE module keeps its frequencies as a (persistent) buffer
      if (config.rope) out[`${prefix}rope.inv_freq`] = tf.tensor1d(rotaryInvFreq2d(hd, config.ropeTheta));
    },
    fromTorch(r: TorchReader, prefix) {
      const a = children.qkv.fromTorch(r, `${prefix}qkv.`);
      const b = children.proj.fromTorch(r, `${prefix}proj.`);
      if (config.rope) r.skip(`${prefix}rope.inv_freq`); // fixed by the head width and theta: made afresh
      return { params: { qkv: a.params, proj: b.params }, state: { qkv: {}, proj: {} } };
    },
  };
}
