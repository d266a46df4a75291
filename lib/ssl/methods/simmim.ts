/**
 * SimMIM (Xie et al. 2022, "SimMIM: A Simple Framework for Masked Image Modeling") as
 * stable-pretraining's `methods/simmim.py` builds it:
 *
 * - masking (the seed's `_random_mask`): each image gets `round(L maskRatio)` masked patches
 *   (Python's round, half to even; the patches of lowest uniform noise);
 * - encoder (the seed's `_encode_with_mask`): a ViT whose patch embeddings at the masked places are
 *   replaced by a learned `mask_token` (`x (1 - m) + token m`) before the class token and the
 *   position embedding; EVERY token goes through the blocks and the final norm (unlike MAE);
 * - decoder: one Linear from the patch tokens (class token dropped) to the C p p pixels of each patch;
 * - loss: the L1 distance, averaged over each patch's pixels, then over the masked patches:
 *   `maeLoss(pred, patchify(images), mask, { lossType: 'smoothL1', beta: 0, minCount: 1 })` (no pixel
 *   normalisation; `patchify` lays each patch out channel-major, as the seed's `patchify(images,
 *   (C, p, p))` of NCHW images).
 *
 * Defaults are the seed's `SimMIM`: `maskRatio` 0.6 and the encoder `vit_small_patch16_224` (its
 * `encoder_name`); the patch size and channels are the encoder's (the seed's `patch_size`,
 * `in_channels`, which must match it there).
 *
 * Batches: `{ images, masks? }` (or `{ view1 }` / `{ globalViews }`: one view, as the seed's
 * `forward(images)`), `masks` [N, L] (1: masked) to replay a run of the seed; otherwise the step's
 * key draws them. The loss couples no samples: under an axis each member's loss is its own (masks
 * drawn from the key are the same on every member: pass `masks` to shard a run). No metrics beyond
 * the loss. `embed` is the encoder without masking, its class token after the final norm (the
 * seed's evaluation `forward`: `forward_features(images)[:, 0]`). State dicts are the seed's
 * module: `encoder.*` (timm's names), `mask_token`, `decoder.weight`, `decoder.bias`.
 * The loss divides by `max(sum(mask), 1)`, as the seed's: masks with nothing masked give 0.
 */
import * as nn from '../../nn/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { unitInterval } from '../codecs.js';
import { maeLoss } from '../losses/index.js';
import { patchify } from '../masking.js';
import { defineMethod } from '../method.js';
import { type MimBatch, encodeMasked, imagesOf, masksOf, vitOf, withMaskToken } from './mim.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface SimmimConfig extends EncoderSettings {
  /** Fraction of each image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
}

/** A SimMIM batch: one view of images and, optionally, its masks [N, L] (1: masked). */
export type SimmimBatch = MimBatch;

export const simmim = defineMethod<SimmimConfig, Params, NetState, SimmimBatch>({
  name: 'simmim',
  codec: strictPartial({ ...ENCODER_PROPS, maskRatio: unitInterval }, 'a SimMIM configuration object'),
  defaults: { ...ENCODER_DEFAULTS, maskRatio: 0.6 },
  build(c) {
    const { enc, dim, patchSize, inChannels } = vitOf(c, 'simmim');
    const decoder = nn.linear({ in: dim, out: inChannels * patchSize * patchSize });
    const net = network({ name: 'simmim', stages: { encoder: enc, decoder }, torchNames: { encoder: 'encoder' } });
    return {
      ...net.parts,
      ...withMaskToken(net, dim, 'simmim'),
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, masks: given } = imagesOf(batch, 'simmim');
        const masks = masksOf(given, images, patchSize, c.maskRatio, key, 'simmim');
        const encoded = encodeMasked(enc, { params: params.encoder, state: state.encoder }, images, { mask: masks, token: params.mask_token });
        const [pred] = decoder.apply(params.decoder, state.decoder, encoded);
        const loss = maeLoss(pred, patchify(images, patchSize), masks, { lossType: 'smoothL1', beta: 0, minCount: 1 });
        return [loss, { state: net.next(state, {}), metrics: {} }];
      },
    };
  },
});
