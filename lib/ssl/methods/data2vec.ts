/**
 * data2vec for vision (Baevski et al. 2022, "data2vec: A General Framework for Self-supervised
 * Learning in Speech, Vision and Language") as stable-pretraining's `methods/data2vec.py` builds it:
 *
 * - masking (the seed's `_random_mask`): each image gets `round(L maskRatio)` masked patches
 *   (Python's round, half to even; the patches of lowest uniform noise);
 * - student: a ViT whose patch embeddings at the masked places are replaced by a learned
 *   `mask_token` before the class token and the position embedding; every token goes through the
 *   blocks and the final norm; the patch tokens (class token dropped) through `regressor`
 *   (Linear D -> D);
 * - teacher (an EMA of the student's ViT; no gradient): the unmasked images; the outputs of its last
 *   `topKBlocks` blocks (before the final norm; all of them when the ViT has fewer), class token
 *   dropped, averaged, then layer-normalised per token without affine parameters (eps 1e-5,
 *   `F.layer_norm(target, [D])`): the targets [N, L, D];
 * - loss: smooth L1 (beta 2), averaged over each token's D values, then over the masked patches:
 *   `maeLoss(pred, target, mask, { lossType: 'smoothL1', beta: 2, minCount: 1 })`.
 *
 * Defaults are the seed's `Data2Vec`: `topKBlocks` 6, `maskRatio` 0.6, EMA 0.999 -> 0.9999 (the
 * seed's cosine over epochs: here over `emaSteps`; without it the coefficient stays `emaStart`, as
 * the seed's wrapper until its callback steps it), encoder `vit_small_patch16_224`.
 *
 * Batches: `{ images, masks? }` (or `{ view1 }` / `{ globalViews }`: one view, as the seed's
 * `forward(images)`), `masks` [N, L] (1: masked) to replay a run of the seed; otherwise the step's
 * key draws them. The loss couples no samples: under an axis each member's loss is its own (masks
 * drawn from the key are the same on every member: pass `masks` to shard a run). No metrics beyond
 * the loss. `embed` is the teacher's class token after its final norm (the seed's evaluation
 * `forward`: `forward_teacher(images)`). State dicts are the seed's module: `encoder.student.*`,
 * `encoder.teacher.*` (timm's names) with the `TeacherStudentWrapper`'s `encoder.ema_coefficient`,
 * `encoder.base_ema_coefficient`, `encoder.final_ema_coefficient`; `mask_token`; `regressor.*`.
 *
 * Where we differ: the paper instance-normalises each block's output before averaging; the seed
 * (and so this) layer-normalises the average, per token. The loss divides by `max(sum(mask), 1)`,
 * as the seed's: masks with nothing masked give 0.
 */
import { type NdArray } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import { layerNorm } from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt, unitInterval } from '../codecs.js';
import { maeLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type MimBatch, encodeMasked, imagesOf, masksOf, vitOf, withMaskToken } from './mim.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface Data2vecConfig extends EncoderSettings, EmaSettings {
  /** How many of the teacher's last blocks are averaged into the targets (all of them when the ViT has fewer). */
  readonly topKBlocks: number;
  /** Fraction of each image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
}

/** A data2vec batch: one view of images and, optionally, its masks [N, L] (1: masked). */
export type Data2vecBatch = MimBatch;

export const data2vec = defineMethod<Data2vecConfig, Params, NetState, Data2vecBatch>({
  name: 'data2vec',
  codec: strictPartial({ ...ENCODER_PROPS, ...EMA_PROPS, topKBlocks: positiveInt, maskRatio: unitInterval }, 'a data2vec configuration object'),
  defaults: { ...ENCODER_DEFAULTS, topKBlocks: 6, maskRatio: 0.6, emaStart: 0.999, emaEnd: 0.9999, emaSteps: null },
  build(c) {
    const { enc, dim, patchSize } = vitOf(c, 'data2vec');
    const regressor = nn.linear({ in: dim, out: dim });
    const net = network({ name: 'data2vec', stages: { encoder: enc, regressor }, teacher: { stages: ['encoder'], ema: c }, torchNames: { encoder: 'encoder' } });

    /** The teacher's targets [N, L, D]: its last `topKBlocks` block outputs at the patches, averaged, layer-normalised (no gradient). */
    const targets = (teacher: { params: Params; state: Params }, images: NdArray): NdArray => {
      const blocks: NdArray[] = [];
      encodeMasked(enc, { params: teacher.params.encoder, state: teacher.state.encoder }, images, undefined, { blockOutputs: blocks });
      const top = blocks.slice(-c.topKBlocks).map((b) => np.sliceAxis(b, 1, 1, null));
      return np.stopGradient(layerNorm(np.mean(np.stack(top, 0), 0), null, null, 1e-5));
    };

    return {
      ...net.parts,
      ...withMaskToken(net, dim, 'data2vec'),
      loss(params, state, batch, { key } = {}) {
        net.checkState(state);
        const { images, masks: given } = imagesOf(batch, 'data2vec');
        const masks = masksOf(given, images, patchSize, c.maskRatio, key, 'data2vec');
        const encoded = encodeMasked(enc, { params: params.encoder, state: state.encoder }, images, { mask: masks, token: params.mask_token });
        const [pred] = regressor.apply(params.regressor, state.regressor, encoded);
        const loss = maeLoss(pred, targets(state.teacher!, images), masks, { lossType: 'smoothL1', beta: 2, minCount: 1 });
        return [loss, { state: net.next(state, {}), metrics: {} }];
      },
    };
  },
});
