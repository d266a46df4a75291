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
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, scope, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { copy } from '../../nn/torch.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, positiveInt, positiveNumber, unitInterval } from '../codecs.js';
import { dino as dinoLoss, ibotPatchLoss, koleo, sinkhornKnopp } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, checkBatch, viewsOfOneBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head, headLayers, headOut } from './head.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface Dinov2Config extends EncoderSettings, EmaSettings {
  /** Both heads' MLP before the L2 normalisation (the seed's hidden, hidden, bottleneck). */
  readonly projector: HeadConfig;
  readonly numClsPrototypes: number;
  readonly numPatchPrototypes: number;
  /** Fraction of each global image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
  readonly patchLossWeight: number;
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
export type Dinov2Batch = ViewsBatch & { readonly masks?: readonly NdArray[] };

/** Python's `round` (half to even) of a non-negative number. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/** The seed's random masks [R, L] from noise (the `n` patches of lowest noise masked). */
function masksFromNoise(noise: NdArray, n: number): NdArray {
  const rank = np.argsort(np.argsort(noise, -1), -1);
  return np.cast(np.less(rank, n), 'float32');
}

/** The masked patches' indices [R, n] of masks [R, L] with n ones per row. */
const maskedIds = (masks: NdArray, n: number): NdArray => np.sliceAxis(np.argsort(masks, -1, true), -1, 0, n);

/** The prototypes head of the seed: MLP, L2 normalisation, prototypes (no bias). */
const idHead = (inDim: number, h: HeadConfig, k: number) => nn.sequential([...headLayers(inDim, h), nn.l2Normalize(), nn.linear({ in: headOut(h), out: k, bias: false })]);

export const dinov2 = defineMethod<Dinov2Config, Params, NetState, Dinov2Batch>({
  name: 'dinov2',
  codec: strictPartial(
    {
      ...ENCODER_PROPS,
      ...EMA_PROPS,
      projector: HeadCodec,
      numClsPrototypes: positiveInt,
      numPatchPrototypes: positiveInt,
      maskRatio: unitInterval,
      patchLossWeight: nonNegativeNumber,
      studentTemperature: positiveNumber,
      clsStudentTemperature: positiveNumber,
      teacherTemperature: positiveNumber,
      sinkhornIterations: positiveInt,
      koleoWeight: nonNegativeNumber,
    },
    'a DINOv2 configuration object',
  ),
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
  build(c) {
    const { layer, dim } = encoderOf(c, 'dinov2');
    if (!nn.isViT(layer)) throw new Error(`dinov2: the encoder must be a ViT (offering patchTokens and encodeTokens: an nn ViT by name, e.g. 'vit_small_patch16_224', or nn.vit(...)), got ${typeof c.encoder === 'string' ? `'${c.encoder}'` : 'a layer without them'}`);
    const enc = layer;
    const { patchSize } = enc.options as { patchSize: number };
    const stages = { encoder: enc, cls_head: idHead(dim, c.projector, c.numClsPrototypes), patch_head: idHead(dim, c.projector, c.numPatchPrototypes) };
    const net = network({ name: 'dinov2', stages, teacher: { stages: Object.keys(stages), ema: c } });
    const sinkhorn = (logits: NdArray, axisName?: string) => sinkhornKnopp(logits, c.teacherTemperature, { iterations: c.sinkhornIterations, axisName });
    const call = (stage: keyof typeof stages, v: { params: Params; state: Params }, x: NdArray) => stages[stage].apply(v.params[stage], v.state[stage], x, { train: true })[0];

    /** The ViT's tokens [R, 1 + L, D] of images (with the mask token where `masking` says). */
    const encode = (v: { params: Params; state: Params }, images: NdArray, masking?: nn.PatchMaskToken) =>
      enc.encodeTokens(v.params.encoder, v.state.encoder, enc.patchTokens(v.params.encoder, v.state.encoder, images, masking), { train: true });
    const cls = (h: NdArray) => np.squeeze(np.sliceAxis(h, 1, 0, 1), 1);
    const patchesAt = (h: NdArray, ids: NdArray) => np.takeAlongAxis(np.sliceAxis(h, 1, 1, null), np.expandDims(ids, -1), 1);

    /** The masks [R, L] of the global views: the batch's, else drawn from the key. */
    const masksOf = (given: readonly NdArray[] | undefined, numGlobal: number, b: number, l: number, n: number, key: NdArray | undefined): NdArray => {
      if (given === undefined) {
        if (key === undefined) throw new Error('dinov2: the loss needs a key (for the patch masks) or the batch its masks');
        return masksFromNoise(random.uniform(key, [numGlobal * b, l]), n);
      }
      if (!Array.isArray(given) || given.length !== numGlobal) throw new Error(`dinov2: masks must be a list of ${numGlobal} arrays ${shapeStr([b, l])} (one per global view), got ${Array.isArray(given) ? `${given.length} entries` : typeof given}`);
      given.forEach((m, i) => {
        if (shapeStr(np.shape(checkBatch(m, `masks[${i}]`, 'dinov2'))) !== shapeStr([b, l])) throw new Error(`dinov2: masks[${i}] must be ${shapeStr([b, l])} (one value per patch), got ${shapeStr(np.shape(m))}`);
      });
      return np.cast(np.concatenate([...given], 0), 'float32');
    };

    return {
      ...net.parts,
      init(key) {
        return scope(() => {
          const [kn, km] = random.split(key, 2);
          const v = net.init(kn);
          return { params: { ...v.params, mask_token: nn.init.truncNormal(0.02)(km, [1, 1, dim], { fanIn: dim, fanOut: dim }) }, state: v.state };
        });
      },
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const { masks: givenMasks, ...viewsBatch } = batch;
        const parsed = viewsOfOneBatch(viewsBatch as ViewsBatch, 'dinov2');
        if (parsed === null) throw new Error('dinov2: the batch must hold views ({ globalViews, localViews } or { view1, view2 }), not { images } (use embed)');
        const global = np.concatenate(parsed.views.slice(0, parsed.numGlobal), 0);
        const local = parsed.views.slice(parsed.numGlobal);
        const [numGlobal, b] = [parsed.numGlobal, np.shape(parsed.views[0])[0]];
        const student = { params, state };
        const teacher = state.teacher!;

        const [, h, w] = np.shape(global);
        const l = Math.floor(h / patchSize) * Math.floor(w / patchSize);
        const n = roundHalfEven(l * c.maskRatio);
        if (n === 0) throw new Error(`dinov2: maskRatio ${c.maskRatio} masks no patch of ${l} (round(${l} * ${c.maskRatio}) = 0), and the patch loss is over masked patches`);
        const masks = np.stopGradient(masksOf(givenMasks, numGlobal, b, l, n, key));
        const ids = maskedIds(masks, n);

        const th = np.stopGradient(encode(teacher, global));
        const tCls = np.stopGradient(np.reshape(call('cls_head', teacher, cls(th)), [numGlobal, b, c.numClsPrototypes]));
        const tPatch = np.stopGradient(call('patch_head', teacher, patchesAt(th, ids)));

        const sh = encode(student, global, { mask: masks, token: params.mask_token });
        const sClsFeatures = cls(sh);
        const sGlobal = np.reshape(call('cls_head', student, sClsFeatures), [numGlobal, b, c.numClsPrototypes]);
        const sLocal = local.length ? [np.reshape(call('cls_head', student, cls(encode(student, np.concatenate(local, 0)))), [local.length, b, c.numClsPrototypes])] : [];
        const sCls = sLocal.length ? np.concatenate([sGlobal, ...sLocal], 0) : sGlobal;
        const sPatch = call('patch_head', student, patchesAt(sh, ids));

        const clsLoss = dinoLoss(sCls, sinkhorn(tCls, axisName), { studentTemperature: c.clsStudentTemperature });
        const patchLoss = ibotPatchLoss(sPatch, sinkhorn(tPatch, axisName), { studentTemperature: c.studentTemperature });
        const koleoLoss = c.koleoWeight > 0 ? koleo(np.sliceAxis(sClsFeatures, 0, 0, b)) : np.zeros([]);
        const loss = np.add(np.add(clsLoss, np.mul(c.patchLossWeight, patchLoss)), np.mul(c.koleoWeight, koleoLoss));
        return [loss, { state: net.next(state, {}), metrics: { clsLoss, patchLoss, koleo: koleoLoss } }];
      },
      toTorch(params, state) {
        const { mask_token: maskToken, ...rest } = params;
        return { ...net.toTorch(rest, state), mask_token: copy(maskToken) };
      },
      fromTorch(dict) {
        const { mask_token: maskToken, ...rest } = dict;
        if (maskToken === undefined) throw new Error('dinov2.fromTorch: the state dict has no mask_token');
        if (shapeStr(maskToken.shape) !== shapeStr([1, 1, dim])) throw new Error(`dinov2.fromTorch: mask_token must be [1, 1, ${dim}], got ${shapeStr(maskToken.shape)}`);
        const v = net.fromTorch(rest);
        return { params: { ...v.params, mask_token: tf.clone(maskToken) }, state: v.state };
      },
    };
  },
});
