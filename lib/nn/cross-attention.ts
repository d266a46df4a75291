/**
 * Multi-head cross-attention as stable-pretraining's `CrossAttention` (`backbone/vit.py`): queries
 * x [..., N, dim] attend to a context [..., M, contextDim]; a `q` Linear dim -> dim, one fused `kv`
 * Linear contextDim -> 2 dim laid out (2, heads, head_dim) (keys first), softmax(q k^T / sqrt(head_dim)) v
 * per head, and a `proj` Linear dim -> dim. PyTorch names: q.*, kv.*, proj.*.
 */
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import type * as init from './init.js';
import { type ApplyOptions, type Layer, initChildren, positiveInt } from './layer.js';
import { type LinearParams, linear } from './linear.js';

export interface CrossAttentionConfig {
  /** The queries' width and the attention's. */
  readonly dim: number;
  /** The context's width (the seed's `context_dim`); default `dim`. */
  readonly contextDim?: number;
  readonly numHeads: number;
  /** Biases on `q` and `kv` (the seed's `qkv_bias`, default true). */
  readonly qkvBias?: boolean;
  /** The Linear layers' initialisers (default PyTorch's). */
  readonly weightInit?: init.Initializer;
  readonly biasInit?: init.Initializer;
  /** Dropout on the attention weights in training (the seed's `attn_drop`; default 0). */
  readonly attnDrop?: number;
  /** Dropout on the output in training (the seed's `proj_drop`; default 0). */
  readonly projDrop?: number;
}

export interface CrossAttentionApplyOptions extends ApplyOptions {
  /** The keys' and values' source [..., M, contextDim] (leading axes as the queries'). Required. */
  readonly context?: NdArray;
  /**
   * Boolean, true where a query may attend to a context token (as {@link multiHeadAttention}'s and
   * F.scaled_dot_product_attention's; the seed's is the opposite, true = blocked), or a float bias
   * added to the logits; broadcasts against [..., heads, N, M].
   */
  readonly attnMask?: NdArray;
}

export interface CrossAttentionParams {
  readonly q: LinearParams;
  readonly kv: LinearParams;
  readonly proj: LinearParams;
}
type NoState = Record<string, Record<string, never>>;

/** A cross-attention layer: `apply(params, state, x, { context })`. */
export interface CrossAttentionLayer extends Layer<CrossAttentionParams, NoState> {
  apply(params: CrossAttentionParams, state: NoState, x: NdArray, opts?: CrossAttentionApplyOptions): [NdArray, NoState];
}

/**
 * See the module notes.
 * @example const ca = nn.crossAttention({ dim: 256, contextDim: 384, numHeads: 8 }); const [y] = ca.apply(params, state, queries, { context: tokens });
 */
export function crossAttention(config: CrossAttentionConfig): CrossAttentionLayer {
  const dim = positiveInt(config.dim, 'crossAttention: dim');
  const ctxDim = positiveInt(config.contextDim ?? dim, 'crossAttention: contextDim');
  const heads = positiveInt(config.numHeads, 'crossAttention: numHeads');
  if (dim % heads) throw new Error(`crossAttention: dim ${dim} is not divisible by numHeads ${heads}`);
  const hd = dim / heads;
  const attnDrop = config.attnDrop ?? 0;
  const projDrop = config.projDrop ?? 0;
  for (const [name, rate] of [['attnDrop', attnDrop], ['projDrop', projDrop]] as const)
    if (!(rate >= 0 && rate < 1)) throw new Error(`crossAttention: ${name} must be in [0, 1), got ${rate}`);
  const li = { weightInit: config.weightInit, biasInit: config.biasInit };
  const children = {
    q: linear({ in: dim, out: dim, bias: config.qkvBias ?? true, ...li }),
    kv: linear({ in: ctxDim, out: 2 * dim, bias: config.qkvBias ?? true, ...li }),
    proj: linear({ in: dim, out: dim, ...li }),
  };
  return {
    kind: 'crossAttention',
    init: (key) => scope(() => initChildren(key, children)),
    apply(params, state, x, opts: CrossAttentionApplyOptions = {}) {
      const { context } = opts;
      if (context === undefined) throw new Error(`crossAttention: apply needs the keys' and values' source: { context } [..., M, ${ctxDim}]`);
      const [s, cs] = [np.shape(x), np.shape(context)];
      const lead = s.slice(0, -2);
      if (s.length < 2 || s[s.length - 1] !== dim) throw new Error(`crossAttention: expected queries [..., N, ${dim}], got ${shapeStr(s)}`);
      if (shapeStr(cs) !== shapeStr([...lead, cs[cs.length - 2], ctxDim])) throw new Error(`crossAttention: expected a context [${[...lead, 'M', ctxDim].join(',')}] (the queries' leading axes), got ${shapeStr(cs)}`);
      const [n, m, L] = [s[s.length - 2], cs[cs.length - 2], lead.length];
      const leadAxes = Array.from({ length: L }, (_, i) => i);
      // q [..., N, H, hd] -> [..., H, N, hd]; kv [..., M, 2, H, hd] -> [2, ..., H, M, hd]
      const q = np.transpose(np.reshape(children.q.apply(params.q, state.q, x)[0], [...lead, n, heads, hd]), [...leadAxes, L + 1, L, L + 2]);
      const kv = np.transpose(np.reshape(children.kv.apply(params.kv, state.kv, context)[0], [...lead, m, 2, heads, hd]), [L + 1, ...leadAxes, L + 2, L, L + 3]);
      const part = (i: number) => np.squeeze(np.sliceAxis(kv, 0, i, i + 1), 0);
      const dropping = opts.train === true && (attnDrop > 0 || projDrop > 0);
      if (dropping && !opts.key) throw new Error('crossAttention: training with dropout needs a PRNG key: apply(params, state, x, { context, train: true, key })');
      const [attnKey, projKey] = dropping && opts.key ? random.split(opts.key) : [undefined, undefined];
      const o = F.scaledDotProductAttention(q, part(0), part(1), { attnMask: opts.attnMask, dropoutP: attnKey ? attnDrop : 0, dropoutKey: attnKey }); // [..., H, N, hd]
      const merged = np.reshape(np.transpose(o, [...leadAxes, L + 1, L, L + 2]), [...lead, n, dim]);
      const y = children.proj.apply(params.proj, state.proj, merged)[0];
      return [projKey && projDrop > 0 ? F.dropout(projKey, y, projDrop) : y, state];
    },
    toTorch(v, prefix, out) {
      for (const c of ['q', 'kv', 'proj'] as const) children[c].toTorch({ params: v.params[c], state: {} }, `${prefix}${c}.`, out);
    },
    fromTorch(r, prefix) {
      const [q, kv, proj] = (['q', 'kv', 'proj'] as const).map((c) => children[c].fromTorch(r, `${prefix}${c}.`).params);
      return { params: { q, kv, proj }, state: { q: {}, kv: {}, proj: {} } };
    },
  };
}
