/**
 * MaskFeat (Wei et al. 2022, "Masked Feature Prediction for Self-Supervised Visual Pre-Training")
 * as stable-pretraining's `methods/maskfeat.py` builds it:
 *
 * - masking and encoder as SimMIM's (./simmim.ts, ./mim.ts): `round(L maskRatio)` masked patches
 *   per image (Python's round; the patches of lowest uniform noise), whose patch embeddings become a
 *   learned `mask_token` before the class token and the position embedding; every token goes
 *   through the blocks and the final norm;
 * - head: one Linear from each patch token (class token dropped) to `C nHogBins` values;
 * - targets ({@link hogPerPatch}, the seed's `_hog_per_patch`, no gradient): per channel, the
 *   central differences `[-1, 0, 1]` along the width and the height (zero padding), the magnitude
 *   `sqrt(gx^2 + gy^2 + 1e-6)` added into the orientation bin `min(floor((atan2(gy, gx) mod pi)
 *   nHogBins / pi), nHogBins - 1)` of each patch, each histogram standardised over its bins
 *   (`(h - mean) / sqrt(var + 1e-6)`, the unbiased variance); channel-major per patch;
 * - loss: the squared error, averaged over each patch's `C nHogBins` values and then over the
 *   masked patches (the seed's `F.mse_loss` of the masked rows: `maeLoss(pred, hog, mask)`); a batch
 *   with nothing masked gives NaN, as the seed's mean of no rows.
 *
 * Defaults are the seed's `MaskFeat`: `maskRatio` 0.4, `nHogBins` 9 and the encoder
 * `vit_small_patch16_224`; the patch size and channels are the encoder's (the seed's `patch_size`,
 * `in_channels`, which must match it there).
 *
 * Batches: `{ images, masks? }` as SimMIM's (./mim.ts `MimBatch`): `masks` [N, L] (1: masked) to
 * replay a run of the seed, otherwise the step's key draws them. The loss couples no samples. No
 * metrics beyond the loss. `embed` is the unmasked encoder's class token after the final norm (the
 * seed's evaluation `forward`). State dicts are the seed's module: `encoder.*` (timm's names),
 * `mask_token`, `head.weight`, `head.bias`.
 */
import type { NdArray } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt, unitInterval } from '../codecs.js';
import { maeLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type MimBatch, encodeMasked, imagesOf, masksOf, vitOf, withMaskToken } from './mim.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface MaskfeatConfig extends EncoderSettings {
  /** Fraction of each image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
  /** Orientation bins of each patch's HOG (per channel). */
  readonly nHogBins: number;
}

/** A MaskFeat batch: one view of images and, optionally, its masks [N, L] (1: masked). */
export type MaskfeatBatch = MimBatch;

/** `x[..., start:stop, ...]` along `axis` of an image padded by one on each side, the interior along the other spatial axis. */
function shifted(padded: NdArray, axis: 1 | 2, start: number): NdArray {
  const [, hp, wp] = np.shape(padded);
  const along = np.sliceAxis(padded, axis, start, (axis === 1 ? hp : wp) - 2 + start);
  return np.sliceAxis(along, 3 - axis, 1, (axis === 1 ? wp : hp) - 1);
}

/**
 * The per-patch HOG of NHWC images [N, H, W, C]: [N, L, C nBins] (patches row-major, each one's
 * histograms channel-major), each histogram standardised over its bins (the seed's `_hog_per_patch`).
 */
export function hogPerPatch(images: NdArray, patchSize: number, nBins = 9): NdArray {
  const [n, h, w, c] = np.shape(images);
  if (h % patchSize !== 0 || w % patchSize !== 0) throw new Error(`hogPerPatch: the image size ${h}x${w} must be a multiple of the patch size ${patchSize}`);
  const padded = np.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const gx = np.subtract(shifted(padded, 2, 2), shifted(padded, 2, 0));
  const gy = np.subtract(shifted(padded, 1, 2), shifted(padded, 1, 0));
  const mag = np.sqrt(np.add(np.add(np.multiply(gx, gx), np.multiply(gy, gy)), 1e-6));
  const angle = np.remainder(np.arctan2(gy, gx), Math.PI);
  const bins = np.minimum(np.floor(np.divide(np.multiply(angle, nBins), Math.PI)), nBins - 1);
  const votes = np.multiply(np.oneHot(np.cast(bins, 'int32'), nBins), np.expandDims(mag, -1));
  const [gh, gw] = [h / patchSize, w / patchSize];
  const hist = np.sum(np.reshape(votes, [n, gh, patchSize, gw, patchSize, c, nBins]), [2, 4]);
  const centred = np.subtract(hist, np.mean(hist, -1, true));
  const std = np.sqrt(np.add(np.var(hist, -1, true, 1), 1e-6));
  return np.reshape(np.divide(centred, std), [n, gh * gw, c * nBins]);
}

export const maskfeat = defineMethod<MaskfeatConfig, Params, NetState, MaskfeatBatch>({
  name: 'maskfeat',
  codec: strictPartial({ ...ENCODER_PROPS, maskRatio: unitInterval, nHogBins: positiveInt }, 'a MaskFeat configuration object'),
  defaults: { ...ENCODER_DEFAULTS, maskRatio: 0.4, nHogBins: 9 },
  build(c) {
    const { enc, dim, patchSize, inChannels } = vitOf(c, 'maskfeat');
    const head = nn.linear({ in: dim, out: inChannels * c.nHogBins });
    const net = network({ name: 'maskfeat', stages: { encoder: enc, head }, torchNames: { encoder: 'encoder' } });
    return {
      ...net.parts,
      ...withMaskToken(net, dim, 'maskfeat'),
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, masks: given } = imagesOf(batch, 'maskfeat');
        const masks = masksOf(given, images, patchSize, c.maskRatio, key, 'maskfeat');
        const target = np.stopGradient(hogPerPatch(images, patchSize, c.nHogBins));
        const encoded = encodeMasked(enc, { params: params.encoder, state: state.encoder }, images, { mask: masks, token: params.mask_token });
        const [pred] = head.apply(params.head, state.head, encoded);
        return [maeLoss(pred, target, masks), { state: net.next(state, {}), metrics: {} }];
      },
    };
  },
});
