/**
 * MSN (Assran et al. 2022, Masked Siamese Networks) as stable-pretraining's `methods/msn.py`
 * builds it: DINO-style prototype matching where the student sees a masked view and an EMA
 * teacher (backbone and head) the other view, unmasked:
 *
 * - masking: each image of `view1` gets `round(L maskRatio)` masked patches (Python's round; the
 *   patches of lowest uniform noise), where the student's patch embeddings become a learned
 *   `mask_token` before the position embedding (the seed's `_encode`; the paper drops them);
 * - teacher: `view2` unmasked, CLS token -> `projector`; student: the masked `view1`, CLS token ->
 *   `projector` (the seed's `_msn_head`: Linear-GELU-Linear-GELU-Linear, L2 normalisation,
 *   prototypes without bias: `projector.{student,teacher}.{0,2,4,6}`);
 * - loss: `msn(student logits, sinkhornKnopp(teacher logits, teacherTemperature))`: the
 *   cross-entropy plus `meMaxWeight * sum pbar log pbar` (pbar the batch's mean student prediction).
 *
 * Defaults are the seed's `MSN`: head 2048-2048-256 with GELU, 1024 prototypes, `maskRatio` 0.6,
 * student temperature 0.1, teacher 0.025, `meMaxWeight` 1, EMA 0.996 -> 1, 3 Sinkhorn rounds; encoder
 * `vit_small_patch16_224`.
 *
 * Batches: `{ view1, view2, masks? }` (or `{ globalViews: [view1, view2] }`), `masks` a list of one
 * [B, L] array (view1's; 1: masked; `round(L maskRatio)` ones per row) to replay a run of the seed;
 * otherwise the step's key draws it. With `axisName` the Sinkhorn teacher normalises over every
 * member and pbar is the whole batch's (`pmean`: the paper's all-reduce; the seed on several ranks
 * averages each rank's rows), so the members train the loss of one process; masks drawn from the
 * key are the same on every member (pass `masks` to shard a run). Metrics: `crossEntropy`, `meMax`.
 * `embed` is the teacher's CLS token (the seed's `forward(images)`). State dicts are the seed's
 * module: `backbone.*`, `projector.*` (each a `TeacherStudentWrapper`), `mask_token`.
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, positiveInt, positiveNumber, unitInterval } from '../codecs.js';
import { msn as msnLoss, sinkhornKnopp } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { viewsOfOneBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { type MaskedViewsBatch, type Side, maskedVit, prototypeHead } from './masked-vit.js';
import { withMaskToken } from './mim.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, network } from './network.js';

export interface MsnConfig extends EncoderSettings, EmaSettings {
  /** The head's MLP before the L2 normalisation (the seed's hidden, hidden, bottleneck). */
  readonly projector: HeadConfig;
  readonly numPrototypes: number;
  /** Fraction of each student image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
  readonly studentTemperature: number;
  readonly teacherTemperature: number;
  /** The weight of the mean-entropy maximisation term. */
  readonly meMaxWeight: number;
  readonly sinkhornIterations: number;
}

/** An MSN batch: two views (view1 the student's, masked) and, optionally, view1's patch mask [B, L] as a list of one. */
export type MsnBatch = MaskedViewsBatch;

export const msn = defineMethod<MsnConfig, Params, NetState, MsnBatch>({
  name: 'msn',
  codec: strictPartial(
    {
      ...ENCODER_PROPS,
      ...EMA_PROPS,
      projector: HeadCodec,
      numPrototypes: positiveInt,
      maskRatio: unitInterval,
      studentTemperature: positiveNumber,
      teacherTemperature: positiveNumber,
      meMaxWeight: nonNegativeNumber,
      sinkhornIterations: positiveInt,
    },
    'an MSN configuration object',
  ),
  defaults: {
    ...ENCODER_DEFAULTS,
    projector: head([2048, 2048, 256], { activation: 'gelu', batchNorm: false }),
    numPrototypes: 1024,
    maskRatio: 0.6,
    studentTemperature: 0.1,
    teacherTemperature: 0.025,
    meMaxWeight: 1,
    sinkhornIterations: 3,
    emaStart: 0.996,
    emaEnd: 1,
    emaSteps: null,
  },
  build(c) {
    const vit = maskedVit(c, 'msn');
    const stages = { encoder: vit.enc, projector: prototypeHead(vit.dim, c.projector, c.numPrototypes) };
    const net = network({ name: 'msn', stages, teacher: { stages: Object.keys(stages), ema: c } });
    const logits = (v: Side, h: NdArray): NdArray => stages.projector.apply(v.params.projector, v.state.projector, vit.cls(h), { train: true })[0];
    return {
      ...net.parts,
      ...withMaskToken(net, vit.dim, 'msn'),
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const { masks: givenMasks, ...viewsBatch } = batch;
        const parsed = viewsOfOneBatch(viewsBatch as MsnBatch, 'msn');
        if (parsed === null || parsed.views.length !== 2 || parsed.numGlobal !== 2) {
          throw new Error(`msn: the batch must hold two views ({ view1, view2 } or { globalViews: [view1, view2] }: view1 the student's, masked), got ${parsed === null ? '{ images } (use embed)' : `${parsed.numGlobal} global and ${parsed.views.length - parsed.numGlobal} local view(s)`}`);
        }
        const [view1, view2] = parsed.views;
        const { l, n } = vit.maskCount(view1, c.maskRatio, true); // maskRatio 0: no mask, as the seed's
        const masks = vit.masks(givenMasks, 1, np.shape(view1)[0], l, n, key, 'masked view: view1');
        const teacher = state.teacher!;
        const tLogits = np.stopGradient(logits(teacher, vit.encode(teacher, view2)));
        const sLogits = logits({ params, state }, vit.encode({ params, state }, view1, { mask: masks, token: params.mask_token }));
        const probs = sinkhornKnopp(tLogits, c.teacherTemperature, { iterations: c.sinkhornIterations, axisName });
        const { loss, crossEntropy, meMax } = msnLoss(sLogits, probs, { studentTemperature: c.studentTemperature, meMaxWeight: c.meMaxWeight, axisName });
        return [loss, { state: net.next(state, {}), metrics: { crossEntropy, meMax } }];
      },
    };
  },
});
