/**
 * torch.nn.MultiheadAttention (and eqx.nn.MultiheadAttention's sizes): separate query, key and
 * value inputs (cross-attention, kdim / vdim), torch's masks (boolean true = masked), attention
 * weights averaged over the heads or per head, add_bias_kv / add_zero_attn, and torch's state-dict
 * names (packed `in_proj_weight` when kdim = vdim = embedDim, else `q_proj_weight`, ...).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';
import * as F from './functional.js';
import * as init from './init.js';
import { type ApplyOptions, type Layer, type TorchDict, type TorchReader, positiveInt } from './layer.js';
import { type LinearParams, linear } from './linear.js';
import { copy, linearFromTorch, linearToTorch } from './torch.js';

export interface MultiheadAttentionConfig {
  /** The query's width and the attention's (torch's embed_dim; Equinox's query_size with qk_size = vo_size = embedDim / numHeads). */
  readonly embedDim: number;
  readonly numHeads: number;
  /** The key input's width (torch's kdim, Equinox's key_size); default embedDim. */
  readonly kdim?: number;
  /** The value input's width (torch's vdim, Equinox's value_size); default embedDim. */
  readonly vdim?: number;
  /** The output's width (Equinox's output_size; torch's is always embedDim); default embedDim. */
  readonly outDim?: number;
  /** Biases on the input and output projections (torch's bias, default true). */
  readonly bias?: boolean;
  /** A learnt key and value appended to the sequence (torch's add_bias_kv, default false). */
  readonly addBiasKv?: boolean;
  /** A zero key and value appended per head after the projections (torch's add_zero_attn, default false). */
  readonly addZeroAttn?: boolean;
  /** Dropout on the attention weights in training (torch's dropout, default 0). */
  readonly dropout?: number;
  /**
   * Inputs batch-first [N, L, E] (default true, unlike torch's default). false is torch's
   * batch_first=False: query [L, N, E], key and value [S, N, kdim / vdim], output [L, N, E]; the
   * weights and masks stay batch-first ([N, L, S], [N, S]) as torch's.
   */
  readonly batchFirst?: boolean;
}

export interface MultiheadAttentionParams {
  /** Projections in our layout: q.w [embedDim, embedDim], k.w [kdim, embedDim], v.w [vdim, embedDim], out.w [embedDim, outDim]. */
  readonly q: LinearParams;
  readonly k: LinearParams;
  readonly v: LinearParams;
  readonly out: LinearParams;
  /** [embedDim], with addBiasKv. */
  readonly biasK?: NdArray;
  readonly biasV?: NdArray;
}
type NoState = Record<string, never>;

export interface MhaOptions extends ApplyOptions {
  /**
   * torch's attn_mask: [L, S], or [N * numHeads, L, S] for a batch [N, L, E] ([numHeads, L, S]
   * for one example): boolean, **true = masked** (not attended), or a float bias added to the logits.
   */
  readonly attnMask?: NdArray;
  /** torch's key_padding_mask [..., S]: boolean, true = padding (ignored), or a float bias per key. */
  readonly keyPaddingMask?: NdArray;
  /** Average the returned weights over the heads (torch's average_attn_weights, default true). */
  readonly averageAttnWeights?: boolean;
}

export interface MhaApplyOptions extends MhaOptions {
  /** Cross-attention: the key and value inputs, or one array used as both (a decoder's memory). Default: the query (self-attention). */
  readonly keyValue?: NdArray | readonly [NdArray, NdArray];
}

export interface MultiheadAttentionLayer extends Layer<MultiheadAttentionParams, NoState> {
  /** y [..., L, outDim] from the query x [..., L, embedDim] (self-attention, or `keyValue`). */
  apply(params: MultiheadAttentionParams, state: NoState, x: NdArray, opts?: MhaApplyOptions): [NdArray, NoState];
  /**
   * torch's forward(query, key, value, ...) with batch_first: query [..., L, embedDim], key
   * [..., S, kdim], value [..., S, vdim] -> output [..., L, outDim] and the attention weights
   * [..., L, S'] (averaged) or [..., numHeads, L, S'] (S' counts the appended bias / zero keys).
   */
  attend(params: MultiheadAttentionParams, query: NdArray, key: NdArray, value: NdArray, opts?: MhaOptions): { output: NdArray; weights: NdArray };
}

/** One more key position (the bias or zero key), unmasked: a mask padded with false / 0 along its last axis. */
const padLastKey = (m: NdArray | undefined) => m && np.concatenate([m, np.zeros([...m.shape.slice(0, -1), 1], m.dtype === 'bool' ? 'bool' : 'float32')], -1);

/** torch's bool masks as biases: true (masked) is -inf. */
const maskedToBias = (m: NdArray) => (m.dtype === 'bool' ? np.where(m, -Infinity, 0) : m);

/**
 * Multi-head attention as torch.nn.MultiheadAttention(embed_dim, num_heads, dropout, bias,
 * add_bias_kv, add_zero_attn, kdim, vdim, batch_first=True). Inputs are batch-first [..., L, E]
 * (any leading axes, or one example [L, E]); a query whose keys are all masked gives NaN, as torch.
 * @example
 * const mha = nn.multiheadAttention({ embedDim: 64, numHeads: 4, kdim: 32, vdim: 32 });
 * const v = mha.init(random.key(0));
 * const { output, weights } = mha.attend(v.params, q, k, val, { keyPaddingMask }); // [N, L, 64], [N, L, S]
 */
export function multiheadAttention(config: MultiheadAttentionConfig): MultiheadAttentionLayer {
  const e = positiveInt(config.embedDim, 'multiheadAttention: embedDim');
  const heads = positiveInt(config.numHeads, 'multiheadAttention: numHeads');
  if (e % heads) throw new Error(`multiheadAttention: embedDim ${e} is not divisible by numHeads ${heads}`);
  const kdim = positiveInt(config.kdim ?? e, 'multiheadAttention: kdim');
  const vdim = positiveInt(config.vdim ?? e, 'multiheadAttention: vdim');
  const outDim = positiveInt(config.outDim ?? e, 'multiheadAttention: outDim');
  const hasBias = config.bias ?? true;
  const rate = config.dropout ?? 0;
  if (!(rate >= 0 && rate < 1)) throw new Error(`multiheadAttention: dropout must be in [0, 1), got ${rate}`);
  const packed = kdim === e && vdim === e;
  const hd = e / heads;
  // torch's _reset_parameters: xavier_uniform over the packed [3E, E] weight (or each separate one), zero biases.
  const xavier = (fanIn: number): init.Initializer => (k, s) => init.xavierUniform()(k, s, { fanIn, fanOut: packed ? 3 * e : e });
  const proj = (n: number) => linear({ in: n, out: e, bias: hasBias, weightInit: xavier(n), biasInit: init.zeros });
  const children = { q: proj(e), k: proj(kdim), v: proj(vdim), out: linear({ in: e, out: outDim, bias: hasBias, biasInit: init.zeros }) };
  const names = ['q', 'k', 'v', 'out'] as const;

  /** [..., T, E] -> [..., H, T, hd] */
  const splitHeads = (x: NdArray) => {
    const s = x.shape;
    const L = s.length - 2;
    const y = np.reshape(x, [...s.slice(0, -1), heads, hd]);
    return np.transpose(y, [...Array(L).keys(), L + 1, L, L + 2]);
  };

  /** torch's attn_mask as [..., H, L, S] (rank 3: [N * H, L, S]) or [L, S]. */
  function attnMaskOf(m: NdArray, lead: readonly number[], l: number, s: number): NdArray {
    const n = lead.reduce((a, b) => a * b, 1);
    const ok = (m.shape.length === 2 && m.shape[0] === l && m.shape[1] === s) || (m.shape.length === 3 && m.shape[0] === n * heads && m.shape[1] === l && m.shape[2] === s);
    if (!ok) throw new Error(`multiheadAttention: attnMask must be [${l},${s}] or [${n * heads},${l},${s}] (batch * numHeads, L, S), got ${shapeStr(m.shape)}`);
    return m.shape.length === 2 ? m : np.reshape(m, [...lead, heads, l, s]);
  }

  /** torch's batch_first=False: [L, N, E] inputs and output around the batch-first {@link attendBatchFirst}. */
  function attend(params: MultiheadAttentionParams, query: NdArray, key: NdArray, value: NdArray, opts: MhaOptions = {}) {
    if (config.batchFirst ?? true) return attendBatchFirst(params, query, key, value, opts);
    const ranks = [query, key, value].map((x) => x.shape.length);
    if (ranks.some((r) => r !== ranks[0]) || (ranks[0] !== 2 && ranks[0] !== 3))
      throw new Error(`multiheadAttention: with batchFirst false, query, key and value must be [L, N, E] (or one example [L, E]), got ${[query, key, value].map((x) => shapeStr(x.shape)).join(', ')}`);
    if (ranks[0] === 2) return attendBatchFirst(params, query, key, value, opts);
    const swap = (x: NdArray) => np.transpose(x, [1, 0, 2]);
    const r = attendBatchFirst(params, swap(query), swap(key), swap(value), opts);
    return { output: swap(r.output), weights: r.weights };
  }

  function attendBatchFirst(params: MultiheadAttentionParams, query: NdArray, key: NdArray, value: NdArray, opts: MhaOptions = {}) {
    const qs = query.shape;
    const lead = qs.slice(0, -2);
    const want = (x: NdArray, width: number, what: string) => {
      const s = x.shape;
      if (s.length !== lead.length + 2 || s[s.length - 1] !== width || lead.some((d, i) => d !== s[i]))
        throw new Error(`multiheadAttention: ${what} must be [${[...lead, what === 'query' ? 'L' : 'S', width].join(',')}], got ${shapeStr(s)}`);
    };
    if (qs.length < 2) throw new Error(`multiheadAttention: query must be [..., L, ${e}], got ${shapeStr(qs)}`);
    want(query, e, 'query');
    want(key, kdim, 'key');
    want(value, vdim, 'value');
    if (key.shape.at(-2) !== value.shape.at(-2)) throw new Error(`multiheadAttention: key and value must have the same length, got ${shapeStr(key.shape)} and ${shapeStr(value.shape)}`);
    const l = qs[qs.length - 2];
    const s = key.shape[key.shape.length - 2];
    let kpm = opts.keyPaddingMask;
    if (kpm && (kpm.shape.length !== lead.length + 1 || kpm.shape.at(-1) !== s || lead.some((d, i) => d !== kpm!.shape[i])))
      throw new Error(`multiheadAttention: keyPaddingMask must be ${shapeStr([...lead, s])} (true = padding), got ${shapeStr(kpm.shape)}`);
    let mask = opts.attnMask && attnMaskOf(opts.attnMask, lead, l, s);
    let k = children.k.apply(params.k, {}, key)[0];
    let v = children.v.apply(params.v, {}, value)[0];
    if (config.addBiasKv) {
      const append = (x: NdArray, b: NdArray) => np.concatenate([x, np.broadcastTo(b, [...lead, 1, e])], -2);
      k = append(k, params.biasK!);
      v = append(v, params.biasV!);
      [mask, kpm] = [padLastKey(mask), padLastKey(kpm)];
    }
    const q = splitHeads(children.q.apply(params.q, {}, query)[0]);
    let kh = splitHeads(k);
    let vh = splitHeads(v);
    if (config.addZeroAttn) {
      const zero = (x: NdArray) => np.concatenate([x, np.zeros([...x.shape.slice(0, -2), 1, hd])], -2);
      [kh, vh] = [zero(kh), zero(vh)];
      [mask, kpm] = [padLastKey(mask), padLastKey(kpm)];
    }
    const r = kh.shape.length;
    let logits = np.matmul(np.div(q, Math.sqrt(hd)), np.transpose(kh, [...Array(r - 2).keys(), r - 1, r - 2]));
    if (mask) logits = np.add(logits, maskedToBias(mask));
    if (kpm) logits = np.add(logits, np.expandDims(maskedToBias(kpm), [-2, -3]));
    let weights = np.softmax(logits, -1);
    if (opts.train && rate > 0) {
      if (!opts.key) throw new Error('multiheadAttention: training with dropout needs a PRNG key: { train: true, key }');
      weights = F.dropout(opts.key, weights, rate);
    }
    const o = np.matmul(weights, vh); // [..., H, L, hd]
    const L = lead.length;
    const merged = np.reshape(np.transpose(o, [...Array(L).keys(), L + 1, L, L + 2]), [...lead, l, e]);
    const output = children.out.apply(params.out, {}, merged)[0];
    return { output, weights: opts.averageAttnWeights === false ? weights : np.mean(weights, -3) };
  }

  return {
    kind: 'multiheadAttention',
    init(key) {
      return scope(() => {
        const ks = random.split(key, 5);
        const params: Record<string, unknown> = Object.fromEntries(names.map((n, i) => [n, children[n].init(ks[i]).params]));
        if (config.addBiasKv) {
          // torch's xavier_normal_ on [1, 1, E]: fan_in = fan_out = E.
          const [kk, kv] = random.split(ks[4]);
          const normal = (k: NdArray) => init.xavierNormal()(k, [e], { fanIn: e, fanOut: e });
          Object.assign(params, { biasK: normal(kk), biasV: normal(kv) });
        }
        return { params: params as unknown as MultiheadAttentionParams, state: {} };
      });
    },
    apply(params, state, x, opts: MhaApplyOptions = {}) {
      const kv = opts.keyValue;
      const [k, v] = kv === undefined ? [x, x] : Array.isArray(kv) ? (kv as [NdArray, NdArray]) : [kv as NdArray, kv as NdArray];
      return [attend(params, x, k, v, opts).output, state];
    },
    attend,
    toTorch(vars, prefix, out: TorchDict) {
      const p = vars.params;
      const ws = [p.q, p.k, p.v].map((x) => linearToTorch(x.w));
      if (packed) out[`${prefix}in_proj_weight`] = tf.concat(ws as tf.Tensor[], 0);
      else ['q', 'k', 'v'].forEach((n, i) => (out[`${prefix}${n}_proj_weight`] = ws[i]));
      if (hasBias) out[`${prefix}in_proj_bias`] = tf.concat([p.q, p.k, p.v].map((x) => copy(x.b!)), 0);
      children.out.toTorch({ params: p.out, state: {} }, `${prefix}out_proj.`, out);
      if (config.addBiasKv) for (const [n, b] of [['bias_k', p.biasK!], ['bias_v', p.biasV!]] as const) out[`${prefix}${n}`] = tf.reshape(copy(b), [1, 1, e]);
    },
    fromTorch(r: TorchReader, prefix) {
      const ws = packed
        ? tf.split(r.get(`${prefix}in_proj_weight`, [3 * e, e]), 3, 0)
        : [r.get(`${prefix}q_proj_weight`, [e, e]), r.get(`${prefix}k_proj_weight`, [e, kdim]), r.get(`${prefix}v_proj_weight`, [e, vdim])];
      const bs = hasBias ? tf.split(r.get(`${prefix}in_proj_bias`, [3 * e]), 3, 0) : [];
      const [q, k, v] = ws.map((w, i) => (hasBias ? { w: linearFromTorch(w), b: bs[i] } : { w: linearFromTorch(w) }));
      const params: Record<string, unknown> = { q, k, v, out: children.out.fromTorch(r, `${prefix}out_proj.`).params };
      if (config.addBiasKv) for (const [n, t] of [['biasK', 'bias_k'], ['biasV', 'bias_v']]) params[n] = tf.reshape(r.get(`${prefix}${t}`, [1, 1, e]), [e]);
      return { params: params as unknown as MultiheadAttentionParams, state: {} };
    },
  };
}
