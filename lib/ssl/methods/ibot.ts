/**
 * iBOT (Zhou et al. 2022) as stable-pretraining's `methods/ibot.py` builds it: DINO's CLS
 * self-distillation with a centred teacher plus masked-patch self-distillation with a
 * Sinkhorn-Knopp teacher, on a ViT with an EMA teacher (backbone and both heads):
 *
 * - masking: each global image gets `round(L maskRatio)` masked patches (Python's round; the
 *   patches of lowest uniform noise), where the student's patch embeddings become a learned
 *   `mask_token` before the position embedding (the seed's `_encode`);
 * - teacher: the global views, unmasked, concatenated; CLS token -> `cls_head`, the masked places'
 *   patch tokens -> `patch_head`; student: the masked global views through both heads;
 * - heads (the seed's `_ibot_head`): Linear-GELU-Linear-GELU-Linear, L2 normalisation, prototypes
 *   (Linear without bias): `{cls,patch}_head.{student,teacher}.{0,2,4,6}`;
 * - loss: `dino(student CLS logits [G, B, K], teacherProbs(teacher CLS logits, centre, T(step)))`
 *   + `patchLossWeight * ibotPatchLoss(student masked-patch logits, sinkhornKnopp(teacher's, T(step)))`,
 *   then `updateCenter` (DINO's centre: none at step 1, the first batch centre copied, then
 *   `centerMomentum` 0.9, the seed's `DINOv1Loss`); the warm-up teacher temperature `T(step)`
 *   reaches both teachers, `studentTemperature` both student softmaxes, as the seed's.
 *
 * Defaults are the seed's `iBOT`: heads 2048-2048-256 with GELU, 65536 CLS and 8192 patch
 * prototypes, `maskRatio` 0.3, `patchLossWeight` 1, student temperature 0.1, teacher 0.04 -> 0.07
 * over 30 (steps here, the seed's epochs), EMA 0.996 -> 1, 3 Sinkhorn rounds; encoder
 * `vit_small_patch16_224`.
 *
 * Batches: `{ globalViews, localViews?, masks? }` (or `{ view1, view2 }`), `masks` one [B, L] array
 * per global view (1: masked; `round(L maskRatio)` ones per row) to replay a run of the seed;
 * otherwise the step's key draws them. Local views (the paper's multi-crop; the seed's `forward`
 * takes global views only) train the CLS loss only, unmasked, as DINOv2's. With `axisName` the
 * centre is the whole batch's (`pmean`, the seed's all-reduce) and the patch Sinkhorn normalises over
 * every member; masks drawn from the key are the same on every member (pass `masks` to shard a run).
 * Metrics: `clsLoss`, `patchLoss`, `teacherTemperature`. `embed` is the teacher's CLS token (the
 * seed's `forward(images)`). State dicts are the seed's module: `backbone.*`, `cls_head.*`,
 * `patch_head.*` (each a `TeacherStudentWrapper`), `mask_token`; the centre is not in them (the
 * seed keeps it outside its buffers): `fromTorch` starts it afresh, with the step at 0.
 */
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeInt, positiveInt, positiveNumber, unitInterval } from '../codecs.js';
import { dino as dinoLoss, ibotPatchLoss, sinkhornKnopp, teacherProbs, updateCenter } from '../losses/index.js';
import { type MethodBody, defineMethod } from '../method.js';
import { teacherTemperatureSchedule } from './dino.js';
import { head } from './head.js';
import { MASKED_DISTILLATION_PROPS, type MaskedDistillationSettings, type MaskedViewsBatch, clsPatchForward, maskedVit, prototypeHead } from './masked-vit.js';
import { withMaskToken } from './mim.js';
import { ENCODER_DEFAULTS, type NetState, type Params, network } from './network.js';

export interface IbotConfig extends MaskedDistillationSettings {
  /** Both losses' student temperature (the seed's `temperature_student`). */
  readonly studentTemperature: number;
  readonly teacherTemperature: number;
  readonly warmupTeacherTemperature: number;
  /** Steps of the teacher temperature's linear warm-up (0: none; the seed counts epochs). */
  readonly warmupTeacherSteps: number;
  /** The CLS teacher's centre momentum (the seed's `DINOv1Loss` default). */
  readonly centerMomentum: number;
  readonly sinkhornIterations: number;
}

/** An iBOT batch: the views and, optionally, one patch mask [B, L] per global view. */
export type IbotBatch = MaskedViewsBatch;

/** iBOT's configuration fields and their codecs (shared with MIM-Refiner, ./mim-refiner.ts). */
export const IBOT_PROPS = {
  ...MASKED_DISTILLATION_PROPS,
  teacherTemperature: positiveNumber,
  warmupTeacherTemperature: positiveNumber,
  warmupTeacherSteps: nonNegativeInt,
  centerMomentum: unitInterval,
  sinkhornIterations: positiveInt,
};

/** The seed's `iBOT` defaults. */
export const IBOT_DEFAULTS: IbotConfig = {
  ...ENCODER_DEFAULTS,
  projector: head([2048, 2048, 256], { activation: 'gelu', batchNorm: false }),
  numClsPrototypes: 65536,
  numPatchPrototypes: 8192,
  maskRatio: 0.3,
  patchLossWeight: 1,
  studentTemperature: 0.1,
  teacherTemperature: 0.07,
  warmupTeacherTemperature: 0.04,
  warmupTeacherSteps: 30,
  centerMomentum: 0.9,
  sinkhornIterations: 3,
  emaStart: 0.996,
  emaEnd: 1,
  emaSteps: null,
};

/** iBOT's functions for a decoded configuration; `who` names the method in errors and state checks. */
export function ibotBody(c: IbotConfig, who: string): MethodBody<Params, NetState, IbotBatch, IbotConfig> {
  const vit = maskedVit(c, who);
  const stages = { encoder: vit.enc, cls_head: prototypeHead(vit.dim, c.projector, c.numClsPrototypes), patch_head: prototypeHead(vit.dim, c.projector, c.numPatchPrototypes) };
  const net = network({ name: who, stages, teacher: { stages: Object.keys(stages), ema: c }, extraState: () => ({ center: np.zeros([1, c.numClsPrototypes]) }) });
  const temperature = teacherTemperatureSchedule(c);
  return {
    ...net.parts,
    ...withMaskToken(net, vit.dim, who),
    loss(params, state, batch, { key, axisName } = {}) {
      net.checkState(state, ['center']);
      const f = clsPatchForward(vit, stages, who, { params, state }, state.teacher!, batch, c.maskRatio, key);
      const teacherTemperature = temperature(state.step);
      const studentTemperature = c.studentTemperature;
      const clsLoss = dinoLoss(f.sCls, teacherProbs(f.tCls, state.center, teacherTemperature), { studentTemperature });
      const patchProbs = sinkhornKnopp(f.tPatch, teacherTemperature, { iterations: c.sinkhornIterations, axisName });
      const patchLoss = ibotPatchLoss(f.sPatch, patchProbs, { studentTemperature });
      const center = updateCenter(state.center, f.tCls, np.where(np.greater(state.step, 0), c.centerMomentum, 0), axisName);
      const loss = np.add(clsLoss, np.mul(c.patchLossWeight, patchLoss));
      return [loss, { state: net.next(state, {}, { center }), metrics: { clsLoss, patchLoss, teacherTemperature } }];
    },
  };
}

export const ibot = defineMethod<IbotConfig, Params, NetState, IbotBatch>({
  name: 'ibot',
  codec: strictPartial(IBOT_PROPS, 'an iBOT configuration object'),
  defaults: IBOT_DEFAULTS,
  build: (c) => ibotBody(c, 'ibot'),
});
