/**
 * CMAE (Huang et al. 2023, "Contrastive Masked Autoencoders are Stronger Vision Learners") as
 * stable-pretraining's `methods/cmae.py` builds it:
 *
 * - masking (the seed's `_random_mask`): `round(L maskRatio)` masked patches per image of `view1`
 *   (Python's round; the patches of lowest uniform noise);
 * - student: the ViT on `view1` with a learned `mask_token` at the masked patch embeddings (before
 *   the class token and the position embedding, as SimMIM's); every token through the blocks and
 *   the final norm. Its patch tokens go through `recon_head` (Linear D -> C p p); its class token
 *   through the projector (Linear D -> D, BatchNorm, ReLU, Linear D -> projectorDim) and the predictor
 *   (Linear -> 2 projectorDim, BatchNorm, ReLU, Linear -> projectorDim);
 * - teacher (an EMA of the student's ViT and projector, training mode as the seed's wrapper, no
 *   gradient): the unmasked `view2`'s class token through the teacher's projector: `zt`;
 * - loss: `recon + contrastWeight contrast`, where `recon` is the squared error to each patch's
 *   normalised pixels (`(x - mean) / sqrt(var + 1e-6)`, unbiased variance), averaged over the
 *   pixels and then over the masked patches (`maeLoss(pred, patchify(view1), mask, { normPixLoss:
 *   true, minCount: 1 })`), and `contrast = -mean(cos(prediction, zt))` (F.normalize, eps 1e-12).
 *
 * Defaults are the seed's `CMAE`: `maskRatio` 0.75, `projectorDim` 256, `contrastWeight` 1, EMA
 * 0.99 -> 1 (the seed's cosine over epochs: here over `emaSteps`; without it the coefficient stays
 * `emaStart`), encoder `vit_small_patch16_224` (the patch size and channels are the encoder's).
 *
 * Batches: `{ view1, view2, masks? }` (or two `globalViews` and `masks?`), `masks` [N, L] (1: masked,
 * of `view1`) to replay a run of the seed; otherwise the step's key draws them. BatchNorm couples
 * the samples: under an axis (`axisName`) its statistics are the whole batch's (SyncBN); the
 * reconstruction loss is each member's own (every image has as many masked patches, so the members'
 * mean is the whole batch's). Metrics: `loss_recon`, `loss_contrast` (the seed's output fields).
 * `embed` is the teacher's class token (the seed's `forward(view1)` without `view2`). State dicts
 * are the seed's module: `backbone.{student,teacher}.*` (timm's names) and `projector.{student,
 * teacher}.*` (`0`, `1`, `3`) with the wrappers' `*ema_coefficient` buffers, `predictor.*`,
 * `mask_token`, `recon_head.*`.
 */
import type { NdArray } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, positiveInt, unitInterval } from '../codecs.js';
import { maeLoss, negativeCosine } from '../losses/index.js';
import { patchify } from '../masking.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, checkBatch, encodeViews, twoViews } from '../views.js';
import { head, mlpHead } from './head.js';
import { masksOf, vitOf, withMaskToken } from './mim.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface CmaeConfig extends EncoderSettings, EmaSettings {
  /** Fraction of each image's patches masked (of view1): round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
  /** The projector's output width (its hidden width is the encoder's); the predictor's hidden width is twice it. */
  readonly projectorDim: number;
  /** Weight of the contrastive term. */
  readonly contrastWeight: number;
}

/** A CMAE batch: two views of the same images (view1 masked for the student, view2 for the teacher) and, optionally, view1's masks [N, L]. */
export type CmaeBatch =
  | { readonly view1: NdArray; readonly view2: NdArray; readonly masks?: NdArray }
  | { readonly globalViews: readonly NdArray[]; readonly masks?: NdArray };

/** The two views and the masks of a batch, or a one-line error. */
function cmaeViews(batch: CmaeBatch): { view1: NdArray; view2: NdArray; masks?: NdArray } {
  const { masks, ...views } = batch as CmaeBatch & { masks?: NdArray };
  const [view1, view2] = twoViews(views as ViewsBatch, 'cmae');
  return { view1, view2, masks: masks === undefined ? undefined : checkBatch(masks, 'masks', 'cmae') };
}

export const cmae = defineMethod<CmaeConfig, Params, NetState, CmaeBatch>({
  name: 'cmae',
  codec: strictPartial({ ...ENCODER_PROPS, ...EMA_PROPS, maskRatio: unitInterval, projectorDim: positiveInt, contrastWeight: nonNegativeNumber }, 'a CMAE configuration object'),
  defaults: { ...ENCODER_DEFAULTS, maskRatio: 0.75, projectorDim: 256, contrastWeight: 1, emaStart: 0.99, emaEnd: 1, emaSteps: null },
  build(c) {
    const { enc, dim, patchSize, inChannels } = vitOf(c, 'cmae');
    const stages = {
      encoder: enc,
      projector: mlpHead(dim, head([dim, c.projectorDim])),
      predictor: mlpHead(c.projectorDim, head([2 * c.projectorDim, c.projectorDim])),
      reconHead: nn.linear({ in: dim, out: inChannels * patchSize * patchSize }),
    };
    const net = network({ name: 'cmae', stages, teacher: { stages: ['encoder', 'projector'], ema: c }, torchNames: { reconHead: 'recon_head' } });
    return {
      ...net.parts,
      ...withMaskToken(net, dim, 'cmae'),
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const { view1, view2, masks: given } = cmaeViews(batch);
        const masks = masksOf(given, view1, patchSize, c.maskRatio, key, 'cmae');
        const ve = { params: params.encoder, state: state.encoder };
        const tokens = enc.encodeTokens(ve.params, ve.state, enc.patchTokens(ve.params, ve.state, view1, { mask: masks, token: params.mask_token }), { train: true });
        const [recon] = stages.reconHead.apply(params.reconHead, state.reconHead, np.sliceAxis(tokens, 1, 1, null));
        const lossRecon = maeLoss(recon, patchify(view1, patchSize), masks, { normPixLoss: true, minCount: 1 });
        const cls = np.reshape(np.sliceAxis(tokens, 1, 0, 1), [np.shape(tokens)[0], dim]);
        const { outputs, state: s } = encodeViews(net.chain(['projector', 'predictor']), params, state, [cls], { train: true, axisName });
        const { outputs: t, teacher } = net.teacherForward(state, [view2], 'perView', axisName);
        const lossContrast = negativeCosine(outputs.predictor[0], np.stopGradient(t.projector[0]), { eps: 1e-12 });
        const loss = np.add(lossRecon, np.mul(c.contrastWeight, lossContrast));
        return [loss, { state: net.next(state, s, { teacher }), metrics: { loss_recon: np.stopGradient(lossRecon), loss_contrast: np.stopGradient(lossContrast) } }];
      },
    };
  },
});
