/**
 * DINOv2 (Oquab et al. 2023) as stable-pretraining's `methods/dinov2.py` builds it: DINO's CLS
 * self-distillation plus iBOT's masked-patch prediction, both with Sinkhorn-Knopp teachers (no
 * centre), on a ViT with an EMA teacher:
 *
 * - masking: each global image gets `round(L maskRatio)` masked patches (Python's round, half to
 *   even; the patches of lowest uniform noise); the student's patch embeddings there are replaced
 *   by a learned `mask_token` before the position embedding;
 * - teacher (EMA of the backbone and both heads): the global views, unmasked, concatenated; CLS
 *   token -> `cls_head`, the masked places' patch tokens -> `patch_head`;
 * - student: the masked global views (CLS and masked patch tokens through the heads) and the local
 *   views, unmasked (CLS only);
 * - heads (the seed's `_ibot_head`): Linear-GELU-Linear-GELU-Linear, L2 normalisation, prototypes
 *   (Linear without bias): `{cls,patch}_head.{student,teacher}.{0,2,4,6}`;
 * - loss: `dino(student CLS logits [views, B, K], sinkhornKnopp(teacher CLS logits, T))`
 *   + `patchLossWeight * ibotPatchLoss(student masked-patch logits, sinkhornKnopp(teacher's, T))`
 *   + `koleoWeight * koleo(student CLS features of the first global view)`.
 *
 * Defaults are the seed's `DINOv2`: heads 2048-2048-256 with GELU, 65536 CLS and 8192 patch
 * prototypes, `maskRatio` 0.3, `patchLossWeight` 1, student temperature 0.1, teacher 0.07 (no
 * warm-up), EMA 0.996 -> 1, `koleoWeight` 0 (the seed's DINOv2 omits KoLeo; DINOv3 and the paper
 * use 0.1, on the student's first global CLS features as the seed's DINOv3), 3 Sinkhorn rounds;
 * encoder `vit_small_patch16_224`. As the seed, `studentTemperature` (its `temperature_student`) is
 * the patch loss's; the CLS loss keeps `DINOv1Loss`'s default 0.1 (`clsStudentTemperature`).
 *
 * Batches: `{ globalViews, localViews?, masks? }` (or `{ view1, view2 }`), `masks` one [B, L]
 * array per global view (1: masked; each row exactly `round(L maskRatio)` ones) to replay a run of
 * the seed; otherwise the step's key draws them. Local views at another size than the global ones
 * go through the ViT's bilinear position-embedding resize (timm's `dynamic_img_size`: bicubic).
 * With `axisName` both Sinkhorn teachers normalise over the whole batch (the seed's all-reduce);
 * KoLeo's nearest neighbours are each member's own rows (the seed's, per rank); masks drawn from
 * the key are the same on every member (pass `masks` to shard a run). Metrics: `clsLoss`,
 * `patchLoss`, `koleo` (0 without KoLeo). `embed` is the teacher's CLS token (the seed's `forward(images)`).
 * State dicts are the seed's module: `backbone.*`, `cls_head.*`, `patch_head.*` (each a
 * `TeacherStudentWrapper`), `mask_token`.
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, positiveInt, positiveNumber } from '../codecs.js';
import { dino as dinoLoss, ibotPatchLoss, koleo, sinkhornKnopp } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { head } from './head.js';
import { MASKED_DISTILLATION_PROPS, type MaskedDistillationSettings, type MaskedViewsBatch, clsPatchForward, maskedVit, prototypeHead } from './masked-vit.js';
import { withMaskToken } from './mim.js';
import { ENCODER_DEFAULTS, type NetState, type Params, network } from './network.js';

export interface Dinov2Config extends MaskedDistillationSettings {
  /** The patch loss's student temperature (the seed's `temperature_student`). */
  readonly studentTemperature: number;
  /** The CLS loss's student temperature (the seed's `DINOv1Loss` default, which its `temperature_student` does not reach). */
  readonly clsStudentTemperature: number;
  readonly teacherTemperature: number;
  readonly sinkhornIterations: number;
  /** KoLeo on the student's CLS features of the first global view (0: none, the seed's DINOv2). */
  readonly koleoWeight: number;
}

/** A DINOv2 batch: the views and, optionally, one patch mask [B, L] per global view. */
export type Dinov2Batch = MaskedViewsBatch;

/** The codec's fields of {@link Dinov2Config} (DINOv3 adds its registers). */
export const DINOV2_PROPS = {
  ...MASKED_DISTILLATION_PROPS,
  clsStudentTemperature: positiveNumber,
  teacherTemperature: positiveNumber,
  sinkhornIterations: positiveInt,
  koleoWeight: nonNegativeNumber,
};

/** The loss, init and layout of a DINOv2 configuration; `who` names the method (and its network) in errors. */
export function dinov2Body(c: Dinov2Config, who: string) {
  const vit = maskedVit(c, who);
  const stages = { encoder: vit.enc, cls_head: prototypeHead(vit.dim, c.projector, c.numClsPrototypes), patch_head: prototypeHead(vit.dim, c.projector, c.numPatchPrototypes) };
  const net = network({ name: who, stages, teacher: { stages: Object.keys(stages), ema: c } });
  const sinkhorn = (logits: NdArray, axisName?: string) => sinkhornKnopp(logits, c.teacherTemperature, { iterations: c.sinkhornIterations, axisName });
  return {
    ...net.parts,
    ...withMaskToken(net, vit.dim, who),
    loss(params: Params, state: NetState, batch: Dinov2Batch, { key, axisName }: { key?: NdArray; axisName?: string } = {}): [NdArray, { state: NetState; metrics: Record<string, NdArray> }] {
      net.checkState(state);
      const f = clsPatchForward(vit, stages, who, { params, state }, state.teacher!, batch, c.maskRatio, key);
      const clsLoss = dinoLoss(f.sCls, sinkhorn(f.tCls, axisName), { studentTemperature: c.clsStudentTemperature });
      const patchLoss = ibotPatchLoss(f.sPatch, sinkhorn(f.tPatch, axisName), { studentTemperature: c.studentTemperature });
      const b = np.shape(f.sCls)[1];
      const koleoLoss = c.koleoWeight > 0 ? koleo(np.sliceAxis(f.sClsFeatures, 0, 0, b)) : np.zeros([]);
      const loss = np.add(np.add(clsLoss, np.mul(c.patchLossWeight, patchLoss)), np.mul(c.koleoWeight, koleoLoss));
      return [loss, { state: net.next(state, {}), metrics: { clsLoss, patchLoss, koleo: koleoLoss } }];
    },
  };
}

export const dinov2 = defineMethod<Dinov2Config, Params, NetState, Dinov2Batch>({
  name: 'dinov2',
  codec: strictPartial(DINOV2_PROPS, 'a DINOv2 configuration object'),
  defaults: {
    ...ENCODER_DEFAULTS,
    projector: head([2048, 2048, 256], { activation: 'gelu', batchNorm: false }),
    numClsPrototypes: 65536,
    numPatchPrototypes: 8192,
    maskRatio: 0.3,
    patchLossWeight: 1,
    studentTemperature: 0.1,
    clsStudentTemperature: 0.1,
    teacherTemperature: 0.07,
    sinkhornIterations: 3,
    koleoWeight: 0,
    emaStart: 0.996,
    emaEnd: 1,
    emaSteps: null,
  },
  build: (c) => dinov2Body(c, 'dinov2'),
});
