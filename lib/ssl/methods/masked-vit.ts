/**
 * What the seed's masked-ViT distillation methods share (`methods/dinov2.py`, `methods/ibot.py`,
 * `methods/msn.py`): a ViT whose student sees some patch embeddings replaced by a learned
 * `mask_token` (the seed's `_encode`), the patch masks (`_random_mask`: `round(L maskRatio)`
 * patches of lowest uniform noise per image, Python's round), the prototype heads (`_ibot_head` /
 * `_msn_head`: MLP, L2 normalisation, prototypes without bias); the `mask_token` parameter is
 * `mim.ts`'s `withMaskToken` (shared with SimMIM and data2vec), the mask count and the masks from
 * noise are `ssl.masking`'s `numMaskedRounded` and `masksFromNoise`.
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { masksFromNoise, numMaskedRounded } from '../masking.js';
import { type ViewsBatch, checkBatch, viewsOfOneBatch } from '../views.js';
import { nonNegativeNumber, positiveInt, positiveNumber, unitInterval } from '../codecs.js';
import { type HeadConfig, HeadCodec, headLayers, headOut } from './head.js';
import { vitOf } from './mim.js';
import { EMA_PROPS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type Params } from './network.js';


/** What DINOv2 and iBOT configure alike (DINOv3 and MIM-Refiner through them): the two prototype heads and the masking. */
export interface MaskedDistillationSettings extends EncoderSettings, EmaSettings {
  /** Both heads' MLP before the L2 normalisation (the seed's hidden, hidden, bottleneck). */
  readonly projector: HeadConfig;
  readonly numClsPrototypes: number;
  readonly numPatchPrototypes: number;
  /** Fraction of each global image's patches masked: round(L maskRatio) of them (half to even). */
  readonly maskRatio: number;
  readonly patchLossWeight: number;
}

/** The codecs of {@link MaskedDistillationSettings}' fields, then the student temperature (in the seed's order). */
export const MASKED_DISTILLATION_PROPS = {
  ...ENCODER_PROPS,
  ...EMA_PROPS,
  projector: HeadCodec,
  numClsPrototypes: positiveInt,
  numPatchPrototypes: positiveInt,
  maskRatio: unitInterval,
  patchLossWeight: nonNegativeNumber,
  studentTemperature: positiveNumber,
};

/** The masked patches' indices [R, n] of masks [R, L] with n ones per row. */
export const maskedIds = (masks: NdArray, n: number): NdArray => np.sliceAxis(np.argsort(masks, -1, true), -1, 0, n);

/** The seed's prototype head: the MLP, L2 normalisation, prototypes (Linear without bias). */
export const prototypeHead = (inDim: number, h: HeadConfig, k: number): nn.Layer => nn.sequential([...headLayers(inDim, h), nn.l2Normalize(), nn.linear({ in: headOut(h), out: k, bias: false })]);

/** Weights and state of one side (student or teacher) of the network. */
export interface Side {
  readonly params: Params;
  readonly state: Params;
}

/** The configured encoder as a ViT with its masking helpers; `who` names the method in errors. */
export function maskedVit(c: EncoderSettings, who: string) {
  const { enc, dim, patchSize } = vitOf(c, who, { registers: true });
  const firstPatch = 1 + ((enc.options as { numRegisters?: number }).numRegisters ?? 0);
  return {
    enc,
    dim,
    /** The ViT's tokens [R, 1 + L, D] of images (training mode), with the mask token where `masking` says. */
    encode: (v: Side, images: NdArray, masking?: nn.PatchMaskToken): NdArray =>
      enc.encodeTokens(v.params.encoder, v.state.encoder, enc.patchTokens(v.params.encoder, v.state.encoder, images, masking), { train: true }),
    /** The class tokens [R, D] of tokens [R, 1 + L, D]. */
    cls: (h: NdArray): NdArray => np.squeeze(np.sliceAxis(h, 1, 0, 1), 1),
    /** The patch tokens [R, n, D] at indices `ids` [R, n] of tokens [R, 1 + registers + L, D] (the registers skipped, as DINOv3's `_split_cls_patches`). */
    patchesAt: (h: NdArray, ids: NdArray): NdArray => np.takeAlongAxis(np.sliceAxis(h, 1, firstPatch, null), np.expandDims(ids, -1), 1),
    /** The patch count L of images [N, H, W, C] and the masked count round(L ratio) (an error when none, unless `noneIsFine`). */
    maskCount(images: NdArray, ratio: number, noneIsFine = false): { l: number; n: number } {
      const [, h, w] = np.shape(images);
      const l = Math.floor(h / patchSize) * Math.floor(w / patchSize);
      const n = numMaskedRounded(l, ratio);
      if (n === 0 && !noneIsFine) throw new Error(`${who}: maskRatio ${ratio} masks no patch of ${l} (round(${l} * ${ratio}) = 0), and the patch loss is over masked patches`);
      return { l, n };
    },
    /**
     * The masks [V B, L] (no gradient) of `numViews` masked views of `b` images: the batch's (`given`, one [B, L] per view, `per`
     * naming them in errors), else drawn from the key.
     */
    masks(given: readonly NdArray[] | undefined, numViews: number, b: number, l: number, n: number, key: NdArray | undefined, per: string): NdArray {
      if (given === undefined) {
        if (key === undefined) throw new Error(`${who}: the loss needs a key (for the patch masks) or the batch its masks`);
        return np.stopGradient(masksFromNoise(random.uniform(key, [numViews * b, l]), n));
      }
      if (!Array.isArray(given) || given.length !== numViews) throw new Error(`${who}: masks must be a list of ${numViews} arrays ${shapeStr([b, l])} (one per ${per}), got ${Array.isArray(given) ? `${given.length} entries` : typeof given}`);
      given.forEach((m, i) => {
        if (shapeStr(np.shape(checkBatch(m, `masks[${i}]`, who))) !== shapeStr([b, l])) throw new Error(`${who}: masks[${i}] must be ${shapeStr([b, l])} (one value per patch), got ${shapeStr(np.shape(m))}`);
      });
      return np.stopGradient(np.cast(np.concatenate([...given], 0), 'float32'));
    },
  };
}

export type MaskedVit = ReturnType<typeof maskedVit>;

/** A batch of views with, optionally, one patch mask [B, L] per masked view. */
export type MaskedViewsBatch = ViewsBatch & { readonly masks?: readonly NdArray[] };

/** What {@link clsPatchForward} computes (logits before any teacher normalisation). */
export interface ClsPatchOutputs {
  readonly numGlobal: number;
  /** The teacher's CLS logits [G, B, Kc] and masked-patch logits [G B, n, Kp] (no gradient). */
  readonly tCls: NdArray;
  readonly tPatch: NdArray;
  /** The student's CLS logits [G + local views, B, Kc], its CLS features of the global views [G B, D], its masked-patch logits [G B, n, Kp]. */
  readonly sCls: NdArray;
  readonly sClsFeatures: NdArray;
  readonly sPatch: NdArray;
}

/**
 * DINOv2's and iBOT's forward: the teacher on the global views unmasked (CLS -> `cls_head`, the masked places' patch tokens ->
 * `patch_head`), the student on the masked global views (both heads) and on the local views unmasked (CLS only). The masks are
 * the batch's (`masks`) or drawn from `key`: `round(L maskRatio)` per global image.
 */
export function clsPatchForward(vit: MaskedVit, heads: { readonly cls_head: nn.Layer; readonly patch_head: nn.Layer }, who: string, student: Side, teacher: Side, batch: MaskedViewsBatch, maskRatio: number, key?: NdArray): ClsPatchOutputs {
  const { masks: givenMasks, ...viewsBatch } = batch;
  const parsed = viewsOfOneBatch(viewsBatch as ViewsBatch, who);
  if (parsed === null) throw new Error(`${who}: the batch must hold views ({ globalViews, localViews } or { view1, view2 }), not { images } (use embed)`);
  const { numGlobal } = parsed;
  const global = np.concatenate(parsed.views.slice(0, numGlobal), 0);
  const local = parsed.views.slice(numGlobal);
  const b = np.shape(parsed.views[0])[0];
  const { l, n } = vit.maskCount(global, maskRatio);
  const masks = vit.masks(givenMasks, numGlobal, b, l, n, key, 'global view');
  const ids = maskedIds(masks, n);
  const call = (stage: 'cls_head' | 'patch_head', v: Side, x: NdArray) => heads[stage].apply(v.params[stage], v.state[stage], x, { train: true })[0];
  const perView = (x: NdArray, views: number) => np.reshape(x, [views, b, -1]);

  const th = np.stopGradient(vit.encode(teacher, global));
  const tCls = np.stopGradient(perView(call('cls_head', teacher, vit.cls(th)), numGlobal));
  const tPatch = np.stopGradient(call('patch_head', teacher, vit.patchesAt(th, ids)));

  const sh = vit.encode(student, global, { mask: masks, token: student.params.mask_token });
  const sClsFeatures = vit.cls(sh);
  const sGlobal = perView(call('cls_head', student, sClsFeatures), numGlobal);
  const sCls = local.length ? np.concatenate([sGlobal, perView(call('cls_head', student, vit.cls(vit.encode(student, np.concatenate(local, 0)))), local.length)], 0) : sGlobal;
  return { numGlobal, tCls, tPatch, sCls, sClsFeatures, sPatch: call('patch_head', student, vit.patchesAt(sh, ids)) };
}
