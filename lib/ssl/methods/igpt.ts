/**
 * iGPT (Chen et al. 2020) as stable-pretraining's `methods/igpt.py` builds it: the AIM-style
 * variant (El-Nouby et al. 2024) that regresses the next *patch's* pixels instead of the paper's
 * clustered pixel tokens:
 *
 * - the ViT runs causally: the class token and the patches (raster order) each attend to
 *   themselves and the tokens before them (the seed's `_causal_forward_features`: a triangular
 *   mask over all 1 + L tokens, the class token first);
 * - `head` (Linear D -> C p p, PyTorch's init) on the patch tokens 0..L-2 predicts patches 1..L-1;
 * - targets: `patchify(images)` normalised per patch, `(x - mean) / sqrt(var + 1e-6)` with the
 *   unbiased variance (torch's `var`), shifted by one;
 * - loss = mean squared error over every predicted pixel.
 *
 * Defaults are the seed's: encoder `vit_small_patch16_224` (its `patch_size`, `image_size` and
 * `in_channels` are the ViT's own here). No option of its own. Batches: `{ images }` (or
 * `{ view1 }` / `{ globalViews }`: the first view). No metrics beyond the loss. `embed` is the
 * seed's eval path: the encoder's class token, without the causal mask. State dicts are the seed's
 * module: `encoder.*` (timm's ViT), `head.{weight,bias}`.
 */
import type { NdArray } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { patchify } from '../masking.js';
import { defineMethod } from '../method.js';
import { type MimBatch, imagesOf, vitOf } from './mim.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, network } from './network.js';

export type IgptConfig = EncoderSettings;

/** An iGPT batch: one view of images (`masks` is not read). */
export type IgptBatch = MimBatch;

/** The seed's targets: each patch's pixels normalised by their mean and unbiased variance (eps 1e-6). */
function normalisedPatches(images: NdArray, patchSize: number): NdArray {
  const x = patchify(images, patchSize);
  const k = np.shape(x)[2];
  if (k < 2) throw new Error(`igpt: a patch must hold at least 2 pixels (its unbiased variance), got ${k}`);
  const centred = np.sub(x, np.mean(x, -1, true));
  const variance = np.div(np.sum(np.square(centred), -1, true), k - 1);
  return np.div(centred, np.sqrt(np.add(variance, 1e-6)));
}

export const igpt = defineMethod<IgptConfig, Params, NetState, IgptBatch>({
  name: 'igpt',
  codec: strictPartial({ ...ENCODER_PROPS }, 'an iGPT configuration object'),
  defaults: { ...ENCODER_DEFAULTS },
  build(c) {
    const { enc, dim, patchSize, inChannels } = vitOf(c, 'igpt');
    const head = nn.linear({ in: dim, out: inChannels * patchSize * patchSize });
    const net = network({ name: 'igpt', stages: { encoder: enc, head }, torchNames: { encoder: 'encoder' } });
    return {
      ...net.parts,
      loss(params, state, batch) {
        net.checkState(state);
        const { images } = imagesOf(batch, 'igpt');
        const patches = enc.patchTokens(params.encoder, state.encoder, images);
        const l = np.shape(patches)[1];
        if (l < 2) throw new Error(`igpt: the images must hold at least 2 patches (one to predict from, one to predict), got ${l}`);
        const tokens = enc.encodeTokens(params.encoder, state.encoder, patches, { train: true, isCausal: true });
        const [pred] = head.apply(params.head, state.head, np.sliceAxis(tokens, 1, 1, l));
        const target = np.sliceAxis(normalisedPatches(images, patchSize), 1, 1, null);
        const loss = np.mean(np.square(np.sub(pred, target)));
        return [loss, { state: net.next(state, {}), metrics: {} }];
      },
    };
  },
});
