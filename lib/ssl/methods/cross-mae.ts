/**
 * CrossMAE (Fu et al. 2025, "Rethinking Patch Dependence for Masked Autoencoders") as
 * stable-pretraining's `methods/cross_mae.py` builds it: MAE's encoder path with a decoder whose
 * masked-patch queries cross-attend to the encoder's tokens (`cross-mae-decoder.ts`).
 *
 * - masking (the seed's `_random_mask`): per image, noise U[0, 1) over the L patches; the
 *   `int(L (1 - maskRatio))` of lowest noise are visible (in order of increasing noise), the next
 *   `int(L (maskRatio - keptMaskRatio))` are hidden but not predicted, the rest (at least one) are
 *   predicted, in patch order (Python's int and float arithmetic, as the seed's);
 * - encoder (`_encode`): the ViT's patch embeddings plus their position embedding, the visible ones,
 *   then the class token put first WITHOUT its position embedding (the seed's `_append_cls`; the
 *   `pos_embed` row of the class token gets no gradient), the blocks and the final norm;
 * - context: with `weightFeatureMaps` (the seed's default) the feature maps, every token before the
 *   final norm: the encoder's input (`useInput`) and the outputs of the blocks `useFeatureMaps`
 *   ([-1]: every block; negative indices count from the end) in block order, mixed per decoder block;
 *   otherwise the final-normed tokens, the same for every block (the class token is part of it);
 * - loss: the mean squared error of the predicted patches' pixels (`patchify` of the images: each
 *   patch channel-major, the seed's `patchify(images, (C, p, p))`), standardised per patch with
 *   `normPixLoss` (`(x - mean) / sqrt(var + 1e-6)`, unbiased variance): `F.mse_loss` over
 *   [N, predicted, C p p], the skipped patches not counted.
 *
 * Defaults are the seed's `CrossMAE`: encoder `vit_small_patch16_224`, decoder 256 wide, 12 blocks,
 * 8 heads, mlpRatio 4, maskRatio 0.75, keptMaskRatio 0.75, normPixLoss, weightFeatureMaps over
 * [-1] and the input, no selfAttn. The image size and channels are the encoder's (the seed's
 * `image_size` and `in_channels` must agree with it); `pretrained` weights are not offered. `embed`
 * is the seed's `forward` in evaluation: the final-normed class token of every patch (no masking;
 * `nn.vit` always has a class token, so the seed's mean pooling for ViTs without one does not arise).
 *
 * With `weightFeatureMaps`, the encoder's final norm (and any block after the last mixed one) is
 * outside the loss: the seed's optimiser skips those parameters (no gradient), and `afterUpdate`
 * keeps them as they were (an optax-style weight decay would shrink them).
 *
 * Batches: `{ images, noise? }` (or `{ view1 }` / `{ globalViews }`: the first view, as MAE's) with
 * `noise` [N, L] to replay the seed's `torch.rand`; otherwise the step's key draws it. The loss
 * couples no samples (each image has as many predicted patches): under an axis, the members'
 * averaged gradients are the whole batch's, as the seed's DDP. State dicts are the seed's module:
 * `encoder.*` (timm's names), `decoder.{mask_token, pos_embed, feature_mixer.linear.weight,
 * context_norms.i.*, blocks.i.{norm0, self_attn.{qkv, proj}, norm1, cross_attn.{q, kv, proj}, norm2,
 * mlp.{fc1, fc2}}, norm, pred}`.
 */
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { boolean, positiveInt, positiveNumber, refined, unitInterval } from '../codecs.js';
import { maeLoss } from '../losses/mae.js';
import { keepTokens, patchify } from '../masking.js';
import { type StepVariables, defineMethod } from '../method.js';
import { checkBatch } from '../views.js';
import { crossMaeDecoder } from './cross-mae-decoder.js';
import { type MaeBatch, imagesOf } from './mae.js';
import { maskedIds } from './masked-vit.js';
import { vitOf } from './mim.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface CrossMaeConfig extends EncoderSettings {
  readonly decoderEmbedDim: number;
  readonly decoderDepth: number;
  readonly decoderNumHeads: number;
  /** Fraction of the patches hidden from the encoder: int(L (1 - maskRatio)) stay visible. */
  readonly maskRatio: number;
  /** Fraction of all patches the decoder predicts (0 < keptMaskRatio <= maskRatio < 1): the hidden ones beyond int(L (maskRatio - keptMaskRatio)). */
  readonly keptMaskRatio: number;
  /** Standardise each target patch (the seed's `norm_pix_loss`). */
  readonly normPixLoss: boolean;
  /** Mix the encoder's feature maps into one context per decoder block (the seed's `weight_feature_maps`). */
  readonly weightFeatureMaps: boolean;
  /** The encoder blocks whose outputs are mixed: [-1] every block, else indices (negative: from the end). */
  readonly useFeatureMaps: readonly number[];
  /** Mix the encoder's input tokens too. */
  readonly useInput: boolean;
  /** Self-attention among the queries before each cross-attention. */
  readonly selfAttn: boolean;
  /** The decoder MLP's width over its own: int(decoderEmbedDim mlpRatio). */
  readonly mlpRatio: number;
}

/** A batch for CrossMAE: MAE's (images, one view, and optionally the masking noise [N, L]). */
export type CrossMaeBatch = MaeBatch;

const integers = refined('a list of integers', (u): u is number[] => Array.isArray(u) && u.every((x) => Number.isInteger(x)));

const codec = strictPartial(
  {
    ...ENCODER_PROPS,
    decoderEmbedDim: positiveInt,
    decoderDepth: positiveInt,
    decoderNumHeads: positiveInt,
    maskRatio: unitInterval,
    keptMaskRatio: unitInterval,
    normPixLoss: boolean,
    weightFeatureMaps: boolean,
    useFeatureMaps: integers,
    useInput: boolean,
    selfAttn: boolean,
    mlpRatio: positiveNumber,
  },
  'a CrossMAE configuration object',
);

function check(c: CrossMaeConfig): string | null {
  if (c.maskRatio >= 1) return `at .maskRatio expected a number in [0, 1), got ${c.maskRatio}`;
  if (!(c.keptMaskRatio > 0 && c.keptMaskRatio <= c.maskRatio)) return `at .keptMaskRatio expected a number in (0, maskRatio ${c.maskRatio}], got ${c.keptMaskRatio}`;
  if (c.decoderEmbedDim % c.decoderNumHeads) return `at .decoderEmbedDim expected a multiple of decoderNumHeads ${c.decoderNumHeads}, got ${c.decoderEmbedDim}`;
  if (c.decoderEmbedDim % 4) return `at .decoderEmbedDim expected a multiple of 4 (the 2-D sine-cosine position embedding), got ${c.decoderEmbedDim}`;
  if (Math.trunc(c.decoderEmbedDim * c.mlpRatio) < 1) return `at .mlpRatio expected int(decoderEmbedDim * mlpRatio) >= 1, got ${c.mlpRatio}`;
  return null;
}

/** The blocks whose outputs are mixed, in block order (the seed's `_resolve_feature_maps`; its maps are appended in block order), or a one-line error. */
function featureBlocks(c: CrossMaeConfig, depth: number): number[] {
  const given = c.useFeatureMaps;
  if (given.length === 1 && given[0] === -1) return Array.from({ length: depth }, (_, i) => i);
  const ids = given.map((i) => (i < 0 ? depth + i : i));
  if (ids.some((i) => i < 0 || i >= depth) || new Set(ids).size !== ids.length)
    throw new Error(`crossMae config: at .useFeatureMaps expected distinct block indices in [-${depth}, ${depth}) (the encoder has ${depth} blocks; [-1] alone: every block), got [${given.join(', ')}]`);
  if (ids.length + (c.useInput ? 1 : 0) === 0) throw new Error('crossMae config: at .useFeatureMaps expected at least one feature map to mix (or useInput), got [] and useInput false');
  return [...ids].sort((a, b) => a - b);
}

export const crossMae = defineMethod<CrossMaeConfig, Params, NetState, CrossMaeBatch>({
  name: 'crossMae',
  codec,
  defaults: {
    ...ENCODER_DEFAULTS,
    decoderEmbedDim: 256,
    decoderDepth: 12,
    decoderNumHeads: 8,
    maskRatio: 0.75,
    keptMaskRatio: 0.75,
    normPixLoss: true,
    weightFeatureMaps: true,
    useFeatureMaps: [-1],
    useInput: true,
    selfAttn: false,
    mlpRatio: 4,
  },
  check,
  build(c) {
    const { enc, dim, imgSize, patchSize, inChannels } = vitOf(c, 'crossMae');
    const depth = (enc.options as { depth: number }).depth;
    const mixed = c.weightFeatureMaps ? featureBlocks(c, depth) : null;
    const g = Math.floor(imgSize / patchSize);
    const decoder = crossMaeDecoder({
      encoderDim: dim,
      dim: c.decoderEmbedDim,
      outDim: inChannels * patchSize * patchSize,
      depth: c.decoderDepth,
      heads: c.decoderNumHeads,
      mlpRatio: c.mlpRatio,
      selfAttn: c.selfAttn,
      grid: [g, g],
      numFeatureMaps: mixed === null ? null : mixed.length + (c.useInput ? 1 : 0),
    });
    const l = decoder.numPatches;
    const net = network({ name: 'crossMae', stages: { encoder: enc, decoder: decoder.layer }, torchNames: { encoder: 'encoder' } });
    const nVisible = Math.trunc(l * (1 - c.maskRatio));
    const nPredicted = l - nVisible - Math.trunc(l * (c.maskRatio - c.keptMaskRatio));

    /** The visible patches' indices [N, nVisible] and the predicted ones' [N, nPredicted] (patch order) of the noise [N, L]. */
    const masking = (noise: NdArray) => {
      const idsShuffle = np.argsort(noise, -1);
      const predicted = np.cast(np.greaterEqual(np.argsort(idsShuffle, -1), l - nPredicted), 'float32');
      return { idsKeep: np.sliceAxis(idsShuffle, -1, 0, nVisible), queryIdx: maskedIds(predicted, nPredicted) };
    };
    const noiseOf = (n: number, noise: NdArray | undefined, key: NdArray | undefined): NdArray => {
      if (noise !== undefined) {
        if (shapeStr(np.shape(noise)) !== shapeStr([n, l])) throw new Error(`crossMae: noise must be ${shapeStr([n, l])} (one value per patch), got ${shapeStr(np.shape(noise))}`);
        return noise;
      }
      if (key === undefined) throw new Error('crossMae: the loss needs a key (for the random masking) or the batch its noise');
      return random.uniform(key, [n, l]);
    };
    /** The class token (no position embedding) before `patches` [N, K, D], the blocks (their outputs pushed to `maps`) and the final norm. */
    const encode = (params: Params, state: Params, patches: NdArray, maps?: NdArray[]): NdArray => {
      const x = np.concatenate([np.broadcastTo(params.cls_token, [np.shape(patches)[0], 1, dim]), patches], 1);
      const outputs: NdArray[] = [];
      const encoded = enc.encodeTokens(params, state, x, { classToken: false, train: maps !== undefined, ...(maps ? { blockOutputs: outputs } : {}) });
      if (maps && mixed) maps.push(...(c.useInput ? [x] : []), ...mixed.map((i) => outputs[i]));
      return encoded;
    };
    /** The patch tokens of images, or a one-line error when their grid is not the decoder's. */
    const patchTokens = (params: Params, state: Params, images: NdArray): NdArray => {
      const tokens = enc.patchTokens(params.encoder, state.encoder, images);
      if (np.shape(tokens)[1] !== l) throw new Error(`crossMae: expected ${imgSize}x${imgSize} images (${l} patches: the decoder's position embedding is fixed), got ${shapeStr(np.shape(images))}`);
      return tokens;
    };

    // With mixed feature maps, the encoder's final norm and the blocks after the last mixed one are outside the loss: the seed's
    // optimiser skips parameters without a gradient, so they stay as they were (weight decay would shrink them here).
    const lastMixed = mixed === null ? null : Math.max(-1, ...mixed);

    return {
      init: net.init,
      toTorch: net.toTorch,
      fromTorch: net.fromTorch,
      ...(lastMixed === null
        ? {}
        : {
            afterUpdate<O>(after: StepVariables<Params, NetState, O>, before: StepVariables<Params, NetState, O>): StepVariables<Params, NetState, O> {
              const [e, b] = [after.params.encoder, before.params.encoder];
              const blocks = (e.blocks as Params[]).map((blk, i) => (i > lastMixed ? b.blocks[i] : blk));
              return { ...after, params: { ...after.params, encoder: { ...e, norm: b.norm, blocks } } };
            },
          }),
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, noise } = imagesOf(batch, 'crossMae');
        const tokens = patchTokens(params, state, images);
        const m = masking(noiseOf(np.shape(tokens)[0], noise, key));
        const maps: NdArray[] = [];
        const encoded = encode(params.encoder, state.encoder, keepTokens(tokens, m.idsKeep), maps);
        const pred = decoder.decode(params.decoder, state.decoder, mixed ? maps : encoded, m.queryIdx);
        const target = np.takeAlongAxis(patchify(images, patchSize), np.expandDims(m.queryIdx, -1), 1);
        const loss = maeLoss(pred, target, np.ones(np.shape(m.queryIdx)), { normPixLoss: c.normPixLoss, maskOnly: false });
        return [loss, { state: net.next(state, {}), metrics: {} }];
      },
      embed(params, state, images) {
        checkBatch(images, 'images', 'crossMae.embed');
        return scope(() => {
          const h = encode(params.encoder, state.encoder, patchTokens(params, state, images));
          return np.stopGradient(np.squeeze(np.sliceAxis(h, 1, 0, 1), 1));
        });
      },
    };
  },
});
