/**
 * NEPA (Next-Embedding Predictive Autoregression) as stable-pretraining's `methods/nepa.py` builds
 * it: a causal transformer over the patch embeddings, each output predicting the next patch's
 * embedding.
 *
 * - patch embedding (timm's `PatchEmbed`: a p x p convolution of stride p, tokens in raster order;
 *   the seed's `_init_weights`: xavier-uniform weights over [D, C p p], zero bias); no class token;
 *   with `useRope: false` a learned `pos_embed` [1, L, D] (trunc_normal std .02) is added;
 * - `depth` of the seed's `TransformerBlock`s (`nn.vitBlock` with its options): pre-norm, LayerNorm
 *   eps 1e-5, attention with QK-Norm (`useQkNorm`) and the seed's 2-D RoPE over the patch grid
 *   (`useRope`), SwiGLU of nominal width `int(D mlpRatio)` (`useSwiglu`; else timm's GELU Mlp),
 *   LayerScale `ls1`, `ls2` from `layerScaleInit`; PyTorch's default Linear init. In training every
 *   patch attends to itself and the patches before it (the seed's causal mask);
 * - a final LayerNorm (eps 1e-5);
 * - loss: output i predicts input embedding i + 1 (the patch embedding, plus `pos_embed` without
 *   RoPE; no gradient through the target): `-mean(<normalize(pred_i), normalize(target_{i+1})>)`
 *   over the batch and the L - 1 pairs (F.normalize, eps 1e-12).
 *
 * Defaults are the seed's `NEPA`: 224 px images, patch 14, 3 channels, width 768, 12 blocks of 12
 * heads, mlpRatio 4, RoPE, QK-Norm, SwiGLU, layer scale 1e-5. Images must be `imgSize` square (the
 * seed's patch embedding refuses other sizes). Dropout and stochastic depth as the seed's, in
 * training (the loss's key; the causal pass only, as the seed's `self.training`): `dropRate` on the
 * input embeddings (its `pos_drop`; the target is the embedding before it) and after each
 * attention projection and feed-forward, `attnDropRate` on the attention weights, `dropPathRate`
 * rising linearly over the blocks (torch.linspace(0, rate, depth)); all 0 by default.
 *
 * Batches: `{ images }` (or `{ view1 }` / `{ globalViews }`: the first view). No metrics beyond
 * the loss; the loss couples no samples (a mean over them). `embed` is the seed's
 * `get_classifier_features`: the last patch token of the non-causal forward, [N, D]. State dicts
 * are the seed's module: `patch_embed.proj.*`, `blocks.{i}.{norm1, attn.qkv, attn.proj,
 * attn.rope.inv_freq, ls1, norm2, mlp.w1..w3, ls2}`, `norm.*` (and `pos_embed` without RoPE).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import { copy } from '../../nn/torch.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { tensorsIn } from '../../util/tensors.js';
import { strictPartial } from '../../util/strict-partial.js';
import { boolean, positiveInt, positiveNumber, refined, unitInterval } from '../codecs.js';
import { negativeCosine } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { checkBatch } from '../views.js';
import { type MimBatch, imagesOf } from './mim.js';
import type { Params } from './network.js';

export interface NepaConfig {
  /** The image side the patch embedding takes (timm's `img_size`). */
  readonly imgSize: number;
  readonly patchSize: number;
  readonly inChannels: number;
  readonly embedDim: number;
  readonly depth: number;
  readonly numHeads: number;
  /** The MLP's nominal hidden width is int(embedDim mlpRatio) (SwiGLU gates 2/3 of it). */
  readonly mlpRatio: number;
  /** The seed's 2-D rotary embedding in every attention (else a learned additive `pos_embed`). */
  readonly useRope: boolean;
  /** LayerNorm (no affine, eps 1e-5) on each head's queries and keys. */
  readonly useQkNorm: boolean;
  /** SwiGLU feed-forwards (else GELU MLPs). */
  readonly useSwiglu: boolean;
  /** The LayerScale parameters' initial value. */
  readonly layerScaleInit: number;
  /** Dropout in training on the input embeddings and in every block's projections (the seed's `drop_rate`). */
  readonly dropRate: number;
  /** Dropout in training on the attention weights (the seed's `attn_drop_rate`). */
  readonly attnDropRate: number;
  /** Stochastic depth in training, block i at rate i / (depth - 1) of this (the seed's `drop_path_rate`). */
  readonly dropPathRate: number;
}

/** A NEPA batch: one view of images (`masks` is not read). */
export type NepaBatch = MimBatch;

const finiteNumber = refined('a finite number', (u): u is number => typeof u === 'number' && Number.isFinite(u));

const DEFAULTS: NepaConfig = { imgSize: 224, patchSize: 14, inChannels: 3, embedDim: 768, depth: 12, numHeads: 12, mlpRatio: 4, useRope: true, useQkNorm: true, useSwiglu: true, layerScaleInit: 1e-5, dropRate: 0, attnDropRate: 0, dropPathRate: 0 };

/** The cross-field checks: heads divide the width, RoPE's head width, at least two patches. */
function checkConfig(c: NepaConfig): string | null {
  if (c.embedDim % c.numHeads) return `embedDim ${c.embedDim} is not divisible by numHeads ${c.numHeads}`;
  const hd = c.embedDim / c.numHeads;
  if (c.useRope && hd % 4) return `with useRope the head width embedDim / numHeads must be a multiple of 4 (the seed's 2-D RoPE), got ${hd}`;
  const g = Math.floor(c.imgSize / c.patchSize);
  if (g * g < 2) return `imgSize ${c.imgSize} / patchSize ${c.patchSize} gives ${g * g} patch(es); NEPA needs at least 2 (one to predict from, one to predict)`;
  if (Math.trunc(c.embedDim * c.mlpRatio) < 1) return `mlpRatio ${c.mlpRatio} leaves int(embedDim mlpRatio) = 0 hidden units`;
  return null;
}

/** The seed's NEPA module: patch embedding, blocks, final norm (`pos_embed` without RoPE); its forward as functions. */
function nepaModel(c: NepaConfig) {
  const { embedDim: dim, patchSize: p, inChannels: cin } = c;
  const g = Math.floor(c.imgSize / p);
  const numPatches = g * g;
  // the seed's _init_weights: xavier_uniform over the weight viewed as [D, C p p]
  const patchInit: nn.init.Initializer = (key, shape) => nn.init.xavierUniform()(key, shape, { fanIn: cin * p * p, fanOut: dim });
  const rates = nn.dropPathRates(c.dropPathRate, c.depth);
  const blockOptions = (i: number): nn.VitBlockOptions => ({
    eps: 1e-5,
    linearInit: {},
    mlp: c.useSwiglu ? 'swiglu' : 'gelu',
    layerScale: c.layerScaleInit,
    attention: { qkNorm: c.useQkNorm, ...(c.useRope ? { rope: '2d' as const } : {}) },
    projDrop: c.dropRate,
    attnDrop: c.attnDropRate,
    dropPath: rates[i],
  });
  const hidden = Math.trunc(dim * c.mlpRatio); // Python's int(dim * mlp_ratio)
  const children = {
    patch_embed: nn.composite('patchEmbed', { proj: nn.conv2d({ in: cin, out: dim, kernel: p, stride: p, weightInit: patchInit, biasInit: nn.init.zeros }) }, (call, x) => call('proj', x)),
    blocks: nn.sequential(Array.from({ length: c.depth }, (_, i) => nn.vitBlock(dim, c.numHeads, hidden, blockOptions(i)))),
    norm: nn.layerNorm({ features: dim }),
  };
  const body: nn.Layer<Params, Params> = nn.composite('nepa', children, () => {
    throw new Error('internal: NEPA runs through inputEmbeddings and trunk');
  });
  return {
    numPatches,
    /** The input embeddings [N, L, D] of images [N, imgSize, imgSize, C] (patch embeddings, plus `pos_embed` without RoPE). */
    inputEmbeddings(params: Params, state: Params, images: NdArray): NdArray {
      const s = np.shape(images);
      if (shapeStr(s.slice(1)) !== shapeStr([c.imgSize, c.imgSize, cin]))
        throw new Error(`nepa: expected images [N, ${c.imgSize}, ${c.imgSize}, ${cin}] (imgSize ${c.imgSize}, inChannels ${cin}; the seed's patch embedding takes that size only), got ${shapeStr(s)}`);
      const [t] = children.patch_embed.apply(params.patch_embed, state.patch_embed, images);
      const flat = np.reshape(t, [s[0], numPatches, dim]);
      return c.useRope ? flat : np.add(flat, params.pos_embed);
    },
    /**
     * The blocks (causal or not) and the final norm on tokens [N, L, D]; with a key (training, the causal
     * pass), the seed's dropouts and stochastic depth, the input's dropout first.
     */
    trunk(params: Params, state: Params, x: NdArray, causal: boolean, key?: NdArray): NdArray {
      const [kIn, kBlocks] = key ? random.split(key) : [undefined, undefined];
      const dropped = kIn && c.dropRate > 0 ? nn.F.dropout(kIn, x, c.dropRate) : x;
      const [h] = children.blocks.apply(params.blocks, state.blocks, dropped, { train: causal, key: kBlocks, isCausal: causal, grid: [g, g] } as nn.AttentionApplyOptions);
      return children.norm.apply(params.norm, state.norm, h)[0];
    },
    init(key: NdArray): { params: Params; state: Params } {
      return scope(() => {
        const [kb, kp] = random.split(key, 2);
        const v = body.init(kb);
        const posEmbed = c.useRope ? {} : { pos_embed: nn.init.truncNormal(0.02)(kp, [1, numPatches, dim], { fanIn: dim, fanOut: dim }) };
        return { params: { ...v.params, ...posEmbed }, state: v.state };
      });
    },
    toTorch(params: Params, state: Params): Record<string, tf.Tensor> {
      const { pos_embed: posEmbed, ...rest } = params;
      const out: nn.TorchDict = {};
      body.toTorch({ params: rest, state }, '', out);
      if (!c.useRope) out.pos_embed = copy(posEmbed);
      return out as Record<string, tf.Tensor>;
    },
    fromTorch(dict: Readonly<Record<string, tf.Tensor>>): { params: Params; state: Params } {
      const r = new nn.TorchReader(dict);
      const v = body.fromTorch(r, '');
      const posEmbed = c.useRope ? {} : { pos_embed: tf.clone(r.get('pos_embed', [1, numPatches, dim])) };
      const unused = Object.keys(dict).filter((k) => !r.used.has(k));
      if (unused.length) {
        tf.dispose(tensorsIn([v, posEmbed]));
        throw new Error(`nepa.fromTorch: entries not used by the model: ${unused.slice(0, 8).join(', ')}${unused.length > 8 ? ', ...' : ''}`);
      }
      return { params: { ...v.params, ...posEmbed }, state: v.state };
    },
  };
}

export const nepa = defineMethod<NepaConfig, Params, Params, NepaBatch>({
  name: 'nepa',
  codec: strictPartial(
    {
      imgSize: positiveInt,
      patchSize: positiveInt,
      inChannels: positiveInt,
      embedDim: positiveInt,
      depth: positiveInt,
      numHeads: positiveInt,
      mlpRatio: positiveNumber,
      useRope: boolean,
      useQkNorm: boolean,
      useSwiglu: boolean,
      layerScaleInit: finiteNumber,
      dropRate: unitInterval,
      attnDropRate: unitInterval,
      dropPathRate: unitInterval,
    },
    'a NEPA configuration object',
  ),
  defaults: DEFAULTS,
  check: checkConfig,
  build(c) {
    const model = nepaModel(c);
    return {
      init: (key) => model.init(key),
      toTorch: (params, state) => model.toTorch(params, state),
      fromTorch: (dict) => model.fromTorch(dict),
      loss(params, state, batch, { key } = {}) {
        const { images } = imagesOf(batch, 'nepa');
        const input = model.inputEmbeddings(params, state, images);
        const dropping = c.dropRate > 0 || c.attnDropRate > 0 || c.dropPathRate > 0;
        if (dropping && !key) throw new Error('nepa: training with dropRate, attnDropRate or dropPathRate needs the step\'s PRNG key');
        const pred = model.trunk(params, state, input, true, dropping ? key : undefined);
        const [n, l, d] = np.shape(pred);
        const rows = (x: NdArray) => np.reshape(x, [n * (l - 1), d]);
        // output i against input embedding i + 1, which carries no gradient (the seed's detach)
        const loss = negativeCosine(rows(np.sliceAxis(pred, 1, 0, l - 1)), rows(np.stopGradient(np.sliceAxis(input, 1, 1, l))), { eps: 1e-12 });
        return [loss, { state, metrics: {} }];
      },
      embed(params, state, images) {
        checkBatch(images, 'images', 'nepa.embed');
        return scope(() => {
          const h = model.trunk(params, state, model.inputEmbeddings(params, state, images), false);
          return np.stopGradient(np.squeeze(np.sliceAxis(h, 1, model.numPatches - 1, model.numPatches), 1));
        });
      },
    };
  },
});
