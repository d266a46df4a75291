/**
 * stable-pretraining's `FlexibleTransformer` (`backbone/vit.py`) as MAE's decoder and I-JEPA's
 * predictor use it: joint self-attention over [context; queries] (no cross-attention, no AdaLN),
 * no prefix tokens, no registers, a fixed 2-D sine-cosine `pos_embed` buffer. Children in the
 * seed's order and names: `context_proj` and `query_proj` (in -> dim), `output_proj` (dim -> out),
 * `blocks` (pre-norm `TransformerBlock`s: `norm1`, `attn`, `norm2`, `mlp`; LayerNorm eps 1e-5, GELU
 * MLP x4, PyTorch's Linear init) and `final_norm`. How the tokens are assembled (mask token,
 * order, attention mask) is each method's; this module holds the layer, its buffer and its state
 * dict (the parameters and `pos_embed` under a prefix).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import { sincosPosEmbed2d } from '../masking.js';
import type { Params } from './network.js';

export interface FlexibleTransformerSpec {
  /** Width of the tokens in (the seed's `input_dim`). */
  readonly inDim: number;
  /** Width inside (`hidden_dim`): a multiple of `heads` and of 4. */
  readonly dim: number;
  /** Width of the tokens out (`output_dim`). */
  readonly outDim: number;
  readonly depth: number;
  readonly heads: number;
  /** The patch grid [gh, gw] of the position embedding. */
  readonly grid: readonly [number, number];
}

const childrenOf = (s: FlexibleTransformerSpec) => ({
  context_proj: nn.linear({ in: s.inDim, out: s.dim }),
  query_proj: nn.linear({ in: s.inDim, out: s.dim }),
  output_proj: nn.linear({ in: s.dim, out: s.outDim }),
  blocks: nn.sequential(Array.from({ length: s.depth }, () => nn.vitBlock(s.dim, s.heads, 4 * s.dim, { eps: 1e-5, linearInit: {} }))),
  final_norm: nn.layerNorm({ features: s.dim }),
});

export type FlexibleTransformerChild = keyof ReturnType<typeof childrenOf>;

/**
 * `r`, reading a block's `norm2.*` from `norm3.*` where only that is there: the seed's
 * TransformerBlock named its MLP norm `norm3` before May 2026 (commit 15058f23), so older checkpoints load.
 */
function olderNorm3(r: nn.TorchReader): nn.TorchReader {
  const name = (n: string) => {
    const old = n.replace(/(blocks\.\d+\.)norm2\.(weight|bias)$/, '$1norm3.$2');
    return r.has(n) || !r.has(old) ? n : old;
  };
  return { used: r.used, dict: r.dict, has: (n) => r.has(name(n)), get: (n, shape) => r.get(name(n), shape), skip: (n) => r.skip(name(n)) };
}

/**
 * The seed's `FlexibleTransformer` (joint attention, no prefix tokens): `layer` holds the children's
 * variables and writes / reads them and the `pos_embed` buffer under a prefix (its `apply` is not
 * used: the methods run the children through `call` and `trunk`).
 */
export function flexibleTransformer(s: FlexibleTransformerSpec) {
  const numPatches = s.grid[0] * s.grid[1];
  const children = childrenOf(s);
  const body = nn.composite('flexibleTransformer', children, () => {
    throw new Error('internal: the FlexibleTransformer runs through its call and trunk');
  });
  const posData = sincosPosEmbed2d(s.dim, s.grid[0], s.grid[1]);
  const pos = posData.dataSync() as Float32Array;
  posData.dispose();
  /** The fixed position embedding [1, L, dim] (a new tensor). */
  const posEmbed = () => tf.tensor3d(pos, [1, numPatches, s.dim]);
  /** One child on `x`, with its variables from the transformer's. */
  const call = (name: FlexibleTransformerChild, params: Params, state: Params, x: NdArray, opts: nn.AttentionApplyOptions = {}): NdArray =>
    children[name].apply(params[name], state[name], x, opts)[0];
  /** The blocks then `final_norm` on tokens [N, T, dim] (`opts` reach the blocks, e.g. `keyPaddingMask`). */
  const trunk = (params: Params, state: Params, x: NdArray, opts: nn.AttentionApplyOptions = {}): NdArray =>
    call('final_norm', params, state, call('blocks', params, state, x, opts));
  const layer: nn.Layer = {
    ...body,
    toTorch(v, prefix, out) {
      body.toTorch(v, prefix, out);
      out[`${prefix}pos_embed`] = posEmbed();
    },
    fromTorch(r, prefix) {
      const v = body.fromTorch(olderNorm3(r), prefix);
      r.skip(`${prefix}pos_embed`); // a fixed buffer: made afresh
      return v;
    },
  };
  return { layer, numPatches, posEmbed, call, trunk };
}
