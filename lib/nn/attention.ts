/** Multi-head self-attention (timm's Attention): a fused qkv Linear, scaled dot-product attention per head, a proj Linear. */
import { scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type Layer, type TorchDict, type TorchReader, initChildren, positiveInt } from './layer.js';
import { linear } from './linear.js';

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
  const dim = positiveInt(config.dim, 'multiHeadAttention: dim');
  const heads = positiveInt(config.numHeads, 'multiHeadAttention: numHeads');
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
