/**
 * stable-pretraining's `CrossMAEDecoder` (`methods/cross_mae.py`): the masked patches' queries (a
 * learned `mask_token` of the decoder's width plus the fixed 2-D sine-cosine `pos_embed` buffer at
 * their places) through `depth` blocks (`_CrossMAEDecoderBlock`: [x + self_attn(norm0 x)], x +
 * cross_attn(norm1 x, context), x + mlp(norm2 x); LayerNorm eps 1e-5, GELU MLP of width
 * int(dim mlpRatio)), `norm` and `pred` (dim -> the C p p pixels). The queries attend to the encoder's
 * tokens only, never to one another (unless `selfAttn`), so the cost scales with the predicted patches.
 *
 * With `numFeatureMaps` (the seed's `weight_feature_maps`), the context is a list of encoder feature
 * maps [N, T, encoderDim]: `feature_mixer.linear` (no bias) mixes them into one map per block, and
 * block i reads `context_norms[i]` of its map; otherwise every block reads the one context given.
 *
 * Init as the seed's `_init_weights`: Linear xavier_uniform with zero biases, LayerNorm 1 / 0,
 * `mask_token` trunc_normal(std .02), the mixer N(0, 1 / n_maps).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import { copy } from '../../nn/torch.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { sincosPosEmbed2d } from '../masking.js';
import type { Params } from './network.js';

export interface CrossMaeDecoderSpec {
  /** The encoder's width (the context's). */
  readonly encoderDim: number;
  /** The decoder's width: a multiple of `heads` and of 4. */
  readonly dim: number;
  readonly outDim: number;
  readonly depth: number;
  readonly heads: number;
  readonly mlpRatio: number;
  /** Self-attention among the queries before each cross-attention. */
  readonly selfAttn: boolean;
  /** The patch grid [gh, gw] of the position embedding. */
  readonly grid: readonly [number, number];
  /** How many encoder feature maps the mixer takes (the seed's `weight_feature_maps`), or null: one context for every block. */
  readonly numFeatureMaps: number | null;
}

/** The seed's `_CrossMAEDecoderBlock`; `apply(params, state, x, { context })`. */
function decoderBlock(s: CrossMaeDecoderSpec): nn.Layer {
  const li = { weightInit: nn.init.xavierUniform(), biasInit: nn.init.zeros };
  const children = {
    ...(s.selfAttn ? { norm0: nn.layerNorm({ features: s.dim }), self_attn: nn.multiHeadAttention({ dim: s.dim, numHeads: s.heads, ...li }) } : {}),
    norm1: nn.layerNorm({ features: s.dim }),
    cross_attn: nn.crossAttention({ dim: s.dim, contextDim: s.encoderDim, numHeads: s.heads, ...li }),
    norm2: nn.layerNorm({ features: s.dim }),
    mlp: nn.mlp({ in: s.dim, hidden: Math.trunc(s.dim * s.mlpRatio), out: s.dim, activation: 'gelu', ...li }),
  };
  return nn.composite('crossMaeDecoderBlock', children, (call, x, opts) => {
    const { context, ...rest } = opts as nn.CrossAttentionApplyOptions;
    const y = s.selfAttn ? np.add(x, call('self_attn', call('norm0', x, rest), rest)) : x;
    const z = np.add(y, call('cross_attn', call('norm1', y, rest), opts));
    return np.add(z, call('mlp', call('norm2', z, rest), rest));
  });
}

/** The decoder as a layer (its variables and state dict; `apply` is not used) and its forward, `decode`. */
export function crossMaeDecoder(s: CrossMaeDecoderSpec) {
  const numPatches = s.grid[0] * s.grid[1];
  const blocks = Array.from({ length: s.depth }, () => decoderBlock(s));
  const nMaps = s.numFeatureMaps;
  const contextNorms = Array.from({ length: nMaps === null ? 0 : s.depth }, () => nn.layerNorm({ features: s.encoderDim }));
  const children = {
    blocks: nn.sequential(blocks),
    norm: nn.layerNorm({ features: s.dim }),
    pred: nn.linear({ in: s.dim, out: s.outDim, weightInit: nn.init.xavierUniform(), biasInit: nn.init.zeros }),
    ...(nMaps === null
      ? {}
      : {
          feature_mixer: nn.composite('featureMapMixer', { linear: nn.linear({ in: nMaps, out: s.depth, bias: false, weightInit: nn.init.normal(1 / Math.sqrt(nMaps)) }) }, (call, x) => call('linear', x)),
          context_norms: nn.sequential(contextNorms), // a list of norms (the seed's ModuleList), each block's own
        }),
  };
  const body = nn.composite('crossMaeDecoder', children, () => {
    throw new Error('internal: the CrossMAE decoder runs through its decode');
  });
  const posData = sincosPosEmbed2d(s.dim, s.grid[0], s.grid[1]);
  const pos = posData.dataSync() as Float32Array;
  posData.dispose();
  const call = (name: keyof typeof children, params: Params, state: Params, x: NdArray): NdArray => (children[name] as nn.Layer).apply(params[name], state[name], x)[0];

  /**
   * The predicted pixels [N, K, outDim] of the patches at `queryIdx` [N, K] (int32), from the encoder's `context`: one array
   * [N, T, encoderDim] every block reads, or (with `numFeatureMaps`) that many feature maps to mix.
   */
  const decode = (params: Params, state: Params, context: NdArray | readonly NdArray[], queryIdx: NdArray): NdArray => {
    const contexts = (() => {
      if (nMaps === null) {
        if (Array.isArray(context)) throw new Error('internal: the CrossMAE decoder without feature maps takes one context');
        return blocks.map(() => context as NdArray);
      }
      if (!Array.isArray(context) || context.length !== nMaps) throw new Error(`internal: the CrossMAE decoder mixes ${nMaps} feature maps, got ${Array.isArray(context) ? context.length : 'one array'}`);
      const mixed = call('feature_mixer', params, state, np.stack(context, -1)); // [N, T, encoderDim, depth]
      return contextNorms.map((norm, i) => norm.apply(params.context_norms[i], state.context_norms[i], np.squeeze(np.sliceAxis(mixed, -1, i, i + 1), -1))[0]);
    })();
    const posTable = tf.tensor2d(pos, [numPatches, s.dim]);
    let x = np.add(params.mask_token, np.take(posTable, queryIdx, 0));
    blocks.forEach((b, i) => {
      const opts: nn.CrossAttentionApplyOptions = { context: contexts[i] };
      x = b.apply(params.blocks[i], state.blocks[i], x, opts)[0];
    });
    return call('pred', params, state, call('norm', params, state, x));
  };

  const layer: nn.Layer = {
    kind: 'crossMaeDecoder',
    init: (key) =>
      scope(() => {
        const [kb, km] = random.split(key, 2);
        const v = body.init(kb);
        return { params: { ...v.params, mask_token: nn.init.truncNormal(0.02)(km, [1, 1, s.dim]) }, state: v.state };
      }),
    apply: () => {
      throw new Error('crossMae decoder: run it through its decode(params, state, context, queryIdx)');
    },
    toTorch(v, prefix, out) {
      const { mask_token: maskToken, ...rest } = v.params;
      body.toTorch({ params: rest, state: v.state }, prefix, out);
      out[`${prefix}mask_token`] = copy(maskToken);
      out[`${prefix}pos_embed`] = tf.tensor3d(pos, [1, numPatches, s.dim]);
    },
    fromTorch(r, prefix) {
      const v = body.fromTorch(r, prefix);
      r.skip(`${prefix}pos_embed`); // a fixed buffer: made afresh
      return { params: { ...v.params, mask_token: tf.clone(r.get(`${prefix}mask_token`, [1, 1, s.dim])) }, state: v.state };
    },
  };
  return { layer, decode, numPatches };
}
