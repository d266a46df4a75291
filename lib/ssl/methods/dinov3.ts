/**
 * DINOv3 (Siméoni et al. 2025) as stable-pretraining's `methods/dinov3.py` builds it: DINOv2
 * (`dinov2.ts`: DINO's CLS self-distillation plus iBOT's masked-patch prediction, both with
 * Sinkhorn-Knopp teachers, an EMA teacher) with two additions:
 *
 * - register tokens (Darcet et al. 2024): `numRegisters` learned tokens [1, R, D] between the class
 *   token and the patches, after the position embedding (they have none), in student and teacher
 *   (the teacher's an EMA copy); the heads never see them: CLS is token 0, the patches follow the
 *   registers (the seed's `_split_cls_patches`). The ViT's `numRegisters` option (nn.vit) holds them;
 * - KoLeo at `koleoWeight` 0.1 on the student's CLS features of the first global view.
 *
 * loss = dino(student CLS logits, sinkhornKnopp(teacher CLS logits, T))
 *      + patchLossWeight * ibotPatchLoss(student masked-patch logits, sinkhornKnopp(teacher's, T))
 *      + koleoWeight * koleo(student CLS features of the first global view).
 *
 * Defaults are the seed's `DINOv3`: 4 registers, `koleoWeight` 0.1, the rest DINOv2's (heads
 * 2048-2048-256 with GELU, 65536 CLS and 8192 patch prototypes, `maskRatio` 0.3, patch loss
 * weight 1, student temperature 0.1, teacher 0.07, EMA 0.996 -> 1, 3 Sinkhorn rounds, encoder
 * `vit_small_patch16_224`). The seed draws its registers trunc_normal(std 0.02) once and copies
 * them into the teacher (warm init); here they are the encoder's parameter, initialised alike.
 * Not the paper's Gram anchoring, multi-resolution schedule or high-resolution adaptation: the
 * seed builds none of them.
 *
 * Batches, masks, `axisName`, metrics (`clsLoss`, `patchLoss`, `koleo`) and `embed` (the teacher's
 * CLS token) are DINOv2's. A named encoder gets the registers through its options; a ViT layer
 * must be made with the same count (`nn.vit(name, { numRegisters })`), else a config error.
 * State dicts are the seed's module: `backbone.{student,teacher}.register_tokens` beside timm's
 * ViT keys, `cls_head.*`, `patch_head.*`, `mask_token`.
 */
import * as nn from '../../nn/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { encoderLayer, nonNegativeInt } from '../codecs.js';
import { defineMethod } from '../method.js';
import { DINOV2_PROPS, type Dinov2Batch, type Dinov2Config, dinov2, dinov2Body } from './dinov2.js';
import type { NetState, Params } from './network.js';

export interface Dinov3Config extends Dinov2Config {
  /** Register tokens between the class token and the patches (the seed's `n_register_tokens`). */
  readonly numRegisters: number;
}

/** The register count the configured encoder brings: a layer's own, else the `encoderOptions`' (undefined: not given). */
function encoderRegisters(c: Dinov3Config): number | undefined {
  if (typeof c.encoder === 'string') return c.encoderOptions.numRegisters as number | undefined;
  return nn.isViT(c.encoder) ? ((c.encoder.options as { numRegisters?: number }).numRegisters ?? 0) : undefined;
}

/** The configuration with a named ViT encoder given the registers (a layer already has them; a non-ViT fails in DINOv2's build). */
function withRegisters(c: Dinov3Config): Dinov3Config {
  if (typeof c.encoder !== 'string' || !nn.isViT(encoderLayer(c))) return c;
  return { ...c, encoderOptions: { ...c.encoderOptions, numRegisters: c.numRegisters } };
}

export const dinov3 = defineMethod<Dinov3Config, Params, NetState, Dinov2Batch>({
  name: 'dinov3',
  codec: strictPartial({ ...DINOV2_PROPS, numRegisters: nonNegativeInt }, 'a DINOv3 configuration object'),
  defaults: { ...dinov2.defaults, koleoWeight: 0.1, numRegisters: 4 },
  check(c) {
    const r = encoderRegisters(c);
    return r === undefined || r === c.numRegisters ? null : `at .numRegisters expected the encoder's register count ${r}, got ${c.numRegisters}`;
  },
  build: (c) => dinov2Body(withRegisters(c), 'dinov3'),
});
