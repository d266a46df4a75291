/**
 * BEiT (Bao et al. 2022, "BEiT: BERT Pre-Training of Image Transformers") as
 * stable-pretraining's `methods/beit.py` builds it: masked image modelling that predicts a
 * discrete visual token at every masked patch.
 *
 * - tokenizer: any function of NHWC images [B, H, W, C] to int32 token ids [B, L] in
 *   [0, vocabSize) (the seed's `tokenizer` callable: a DALL-E dVAE, a VQ-KD, ...); it is not
 *   trained (no gradient flows through it). Without one, {@link patchKmeansTokenizer}, the seed's
 *   placeholder for smoke tests;
 * - masking (the seed's `_random_mask`, not the paper's block-wise masking): `round(L maskRatio)`
 *   masked patches per image (Python's round; the patches of lowest uniform noise);
 * - encoder (the seed's `_encode_with_mask`, as SimMIM's): the masked patch embeddings become a
 *   learned `mask_token` before the class token and the position embedding; every token goes
 *   through the blocks and the final norm;
 * - head: one Linear from each patch token (class token dropped) to `vocabSize` logits;
 * - loss: the cross-entropy of the logits with the tokens, averaged over the masked patches of the
 *   whole batch (the seed's `F.cross_entropy` of the masked rows; nothing masked gives NaN, as the
 *   seed's mean of no rows; a token outside [0, vocabSize) at a masked patch gives NaN, where
 *   PyTorch raises).
 *
 * Defaults are the seed's `BEiT`: `vocabSize` 8192 (DALL-E's), `maskRatio` 0.4, the encoder
 * `vit_small_patch16_224`; the patch size and channels are the encoder's (the seed's
 * `patch_size` reaches only its placeholder tokenizer, whose `in_channels` is always 3 there).
 *
 * Batches: `{ images, masks? }` (or `{ view1 }` / `{ globalViews }`: one view, as the seed's
 * `forward(images)`), `masks` [N, L] (1: masked) to replay a run of the seed; otherwise the step's
 * key draws them. The loss couples no samples: under an axis each member's loss is its own (masks
 * drawn from the key are the same on every member: pass `masks` to shard a run). No metrics beyond
 * the loss. `embed` is the unmasked encoder's class token after the final norm (the seed's
 * evaluation `forward`). State dicts are the seed's module: `encoder.*` (timm's names),
 * `mask_token`, `head.weight`, `head.bias` (the tokenizer holds no state there).
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, isArray, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { nullable, positiveInt, refined, strictPartial, unitInterval } from '../codecs.js';
import { patchify } from '../masking.js';
import { defineMethod } from '../method.js';
import { type MimBatch, encodeMasked, imagesOf, masksOf, vitOf, withMaskToken } from './mim.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

/** A visual tokenizer: NHWC images [B, H, W, C] -> int32 token ids [B, L] (one per patch, row-major), in [0, vocabSize). */
export type Tokenizer = (images: NdArray) => NdArray;

export interface BeitConfig extends EncoderSettings {
  /** The tokenizer giving each patch's target token; null: {@link patchKmeansTokenizer} (the seed's placeholder). */
  readonly tokenizer: Tokenizer | null;
  /** The number of visual tokens (the head's outputs). */
  readonly vocabSize: number;
  /** Fraction of each image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
}

/** A BEiT batch: one view of images and, optionally, its masks [N, L] (1: masked). */
export type BeitBatch = MimBatch;

export interface PatchKmeansTokenizerOptions {
  readonly vocabSize: number;
  readonly patchSize: number;
  /** The images' channels (the seed's default 3). */
  readonly inChannels?: number;
  /** The projection [C p p, vocabSize] (e.g. the seed's, written from PyTorch); default `random.normal(random.key(0), ...)`. */
  readonly projection?: tf.Tensor;
}

/**
 * The seed's placeholder tokenizer (`patch_kmeans_tokenizer`, for smoke tests only: it hashes
 * rather than clusters): each patch's token is the argmax of its pixels (channel-major, the seed's
 * `patchify(images, (C, p, p))`) times a fixed random projection [C p p, vocabSize]. The seed draws
 * that projection with `torch.randn` from a generator seeded 0; here it is `projection`, else a
 * normal draw from `random.key(0)` (same law, other numbers). The projection is made once, here.
 * @example const tokenize = ssl.methods.patchKmeansTokenizer({ vocabSize: 16, patchSize: 4, inChannels: 1 }); // [B, H, W, 1] -> int32 [B, L]
 */
export function patchKmeansTokenizer({ vocabSize, patchSize, inChannels = 3, projection }: PatchKmeansTokenizerOptions): Tokenizer {
  for (const [k, v] of [['vocabSize', vocabSize], ['patchSize', patchSize], ['inChannels', inChannels]] as const)
    if (!Number.isInteger(v) || v < 1) throw new Error(`patchKmeansTokenizer: ${k} must be a positive integer, got ${v}`);
  const p = inChannels * patchSize * patchSize;
  if (projection !== undefined && shapeStr(np.shape(projection)) !== shapeStr([p, vocabSize]))
    throw new Error(`patchKmeansTokenizer: projection must be [${p}, ${vocabSize}] (C p p, vocabSize), got ${shapeStr(np.shape(projection))}`);
  // Kept: the tokenizer owns its projection for as long as it lives (a constant of every trace).
  const proj = tf.keep(projection === undefined ? tf.tidy(() => random.normal(random.key(0), [p, vocabSize]) as tf.Tensor) : tf.clone(projection));
  return (images) => {
    const s = np.shape(images);
    if (s.length !== 4 || s[3] !== inChannels) throw new Error(`patchKmeansTokenizer: images must be NHWC [B, H, W, ${inChannels}], got ${shapeStr(s)}`);
    return np.argmax(np.matmul(patchify(images, patchSize), proj), -1);
  };
}

const tokenizerCodec = refined('a tokenizer function (images [B, H, W, C] -> int32 token ids [B, L])', (u): u is Tokenizer => typeof u === 'function');

export const beit = defineMethod<BeitConfig, Params, NetState, BeitBatch>({
  name: 'beit',
  codec: strictPartial({ ...ENCODER_PROPS, tokenizer: nullable(tokenizerCodec), vocabSize: positiveInt, maskRatio: unitInterval }, 'a BEiT configuration object'),
  defaults: { ...ENCODER_DEFAULTS, tokenizer: null, vocabSize: 8192, maskRatio: 0.4 },
  build(c) {
    const { enc, dim, patchSize, inChannels } = vitOf(c, 'beit');
    const tokenize = c.tokenizer ?? patchKmeansTokenizer({ vocabSize: c.vocabSize, patchSize, inChannels });
    const head = nn.linear({ in: dim, out: c.vocabSize });
    const net = network({ name: 'beit', stages: { encoder: enc, head }, torchNames: { encoder: 'encoder' } });
    /** The tokens [N, L] of the images (no gradient), or a one-line error naming what the tokenizer returned. */
    const targetsOf = (images: NdArray, masks: NdArray): NdArray => {
      const tokens = tokenize(images);
      const want = np.shape(masks);
      if (!isArray(tokens) || tokens.dtype !== 'int32' || shapeStr(tokens.shape) !== shapeStr(want))
        throw new Error(`beit: the tokenizer must return int32 token ids ${shapeStr(want)} (one per patch), got ${isArray(tokens) ? `${tokens.dtype} ${shapeStr(tokens.shape)}` : typeof tokens}`);
      return np.stopGradient(tokens);
    };
    return {
      ...net.parts,
      ...withMaskToken(net, dim, 'beit'),
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, masks: given } = imagesOf(batch, 'beit');
        const masks = masksOf(given, images, patchSize, c.maskRatio, key, 'beit');
        const targets = targetsOf(images, masks);
        const encoded = encodeMasked(enc, { params: params.encoder, state: state.encoder }, images, { mask: masks, token: params.mask_token });
        const [logits] = head.apply(params.head, state.head, encoded);
        const masked = np.notEqual(masks, 0);
        // Only the masked rows: a token at an unmasked patch is never read (as the seed's selection before the cross-entropy).
        const ce = np.where(masked, nn.losses.softmaxCrossEntropyWithIntegerLabels(logits, np.where(masked, targets, 0)), 0);
        const loss = np.div(np.sum(ce), np.sum(np.cast(masked, 'float32')));
        return [loss, { state: net.next(state, {}), metrics: {} }];
      },
    };
  },
});
