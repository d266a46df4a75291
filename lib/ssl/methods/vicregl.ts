/**
 * VICRegL (Bardes, Ponce & LeCun 2022, "VICRegL: Self-Supervised Learning of Local Visual
 * Features") as stable-pretraining's `methods/vicregl.py` builds it:
 *
 * - each view (on its own) through the encoder's features before pooling (`forwardFeatures`,
 *   timm's `forward_features`): a ViT's tokens give the class token (global) and the patch tokens
 *   (local); a ConvNet's NHWC map [N, H, W, C] gives its H W cells as the local features and their
 *   mean as the global one (the seed's split of tokens without a class token);
 * - global: `projectorGlobal` on each view's global feature, `vicreg(z1, z2)`;
 * - local: `projectorLocal` on every location's feature (the B L rows of a view as one batch),
 *   then `vicregLocal(zl1, zl2)`: each location of view 1 matched to the location of the same
 *   image in view 2 with the most similar (cosine) projection, VICReg on the matched pairs;
 * - loss `alpha * global + (1 - alpha) * local`; metrics `lossGlobal`, `lossLocal`.
 *
 * Defaults are the seed's `VICRegL`: both projectors Linear-BN-ReLU-Linear-BN-ReLU-Linear(no bias)
 * 2048-2048-2048 (its `projector_dim`), coefficients 25, 25, 1, `alpha` 0.75, encoder
 * 'vit_small_patch16_224'. The encoder must offer `forwardFeatures` (every `nn` ConvNet and ViT
 * does; `nn.globalPooled` gives it to a ConvNet of your own). A batch is `{ view1, view2 }` (or two
 * `globalViews`) of one batch size. `embed` is the encoder's output (the class token, or the
 * ConvNet's pooled map), as the seed's `forward(images)`. State dicts are the seed's module:
 * `encoder.*` (not `backbone.*`), `projector_global.*`, `projector_local.*`. With `axisName`
 * BatchNorm is synchronised and both VICReg terms' statistics are the whole batch's; the matching
 * stays within each image.
 *
 * Where we differ from the seed: it runs only on token encoders (a timm ConvNet's 4-D
 * `forward_features` breaks its split); here a ConvNet's cells are its locations. Its docstring's
 * location-based matching (by crop coordinates) is not in its code, and not here.
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import * as nn from '../../nn/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, unitInterval } from '../codecs.js';
import { vicreg as vicregLoss, vicregLocal } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, mlpHead } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface VicreglConfig extends EncoderSettings {
  /** The global projector (the seed's `projector_global`). */
  readonly projector: HeadConfig;
  /** The local projector (the seed's `projector_local`), on every location's feature. */
  readonly localProjector: HeadConfig;
  /** Weight of the invariance (MSE) terms. */
  readonly simCoeff: number;
  /** Weight of the variance (std hinge) terms. */
  readonly stdCoeff: number;
  /** Weight of the covariance terms. */
  readonly covCoeff: number;
  /** Weight of the global term; the local one gets `1 - alpha`. */
  readonly alpha: number;
}

const NAME = 'vicregl';
const seedProjector = head([2048, 2048, 2048], { lastBias: false });

/** The encoder's features before pooling as a chain stage, or a one-line error when it has none. */
function featuresStage(layer: nn.Layer): nn.Layer {
  const features = (layer as Partial<Pick<nn.Encoder, 'forwardFeatures'>>).forwardFeatures;
  if (typeof features !== 'function') throw new Error(`${NAME} config: at .encoder expected an encoder with forwardFeatures (its features before pooling: any nn ConvNet or ViT, or nn.globalPooled(trunk)), got a layer without it`);
  return { ...layer, apply: features };
}

/** A view's features as (global [B, D], locations [B, L, D]): a ViT's class token and patch tokens, or a map's cells and their mean. */
function splitFeatures(f: NdArray, classToken: boolean): [NdArray, NdArray] {
  const s = np.shape(f);
  if (s.length === 4) {
    const cells = np.reshape(f, [s[0], s[1] * s[2], s[3]]);
    return [np.mean(cells, 1), cells];
  }
  if (s.length !== 3) throw new Error(`${NAME}: the encoder's forwardFeatures must give [N, H, W, C] or [N, tokens, D], got ${shapeStr(s)}`);
  if (classToken && s[1] > 1) return [np.squeeze(np.sliceAxis(f, 1, 0, 1), 1), np.sliceAxis(f, 1, 1, s[1])];
  return [np.mean(f, 1), f];
}

/** Rows [B, L, D] as one batch [B L, D], and back. */
const flatRows = (x: NdArray) => np.reshape(x, [-1, np.shape(x)[2]]);
const unflatRows = (z: NdArray, like: NdArray) => np.reshape(z, [np.shape(like)[0], np.shape(like)[1], -1]);

export const vicregl = defineMethod<VicreglConfig, Params, NetState, ViewsBatch>({
  name: NAME,
  codec: strictPartial(
    { ...ENCODER_PROPS, projector: HeadCodec, localProjector: HeadCodec, simCoeff: nonNegativeNumber, stdCoeff: nonNegativeNumber, covCoeff: nonNegativeNumber, alpha: unitInterval },
    'a VICRegL configuration object',
  ),
  defaults: { ...ENCODER_DEFAULTS, projector: seedProjector, localProjector: seedProjector, simCoeff: 25, stdCoeff: 25, covCoeff: 1, alpha: 0.75 },
  build(c) {
    const enc = encoderOf(c, NAME);
    const features = featuresStage(enc.layer);
    const classToken = nn.isViT(enc.layer);
    const stages = { encoder: enc.layer, projectorGlobal: mlpHead(enc.dim, c.projector), projectorLocal: mlpHead(enc.dim, c.localProjector) };
    const net = network({ name: NAME, stages, torchNames: { encoder: 'encoder', projectorGlobal: 'projector_global', projectorLocal: 'projector_local' } });
    const coeffs = { simCoeff: c.simCoeff, stdCoeff: c.stdCoeff, covCoeff: c.covCoeff };
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const opts = { train: true, axisName };
        const f = encodeViews({ encoder: features }, params, state, twoViews(batch, NAME), { ...opts, key });
        const [[g1, l1], [g2, l2]] = f.outputs.encoder.map((x) => splitFeatures(x, classToken));
        const zg = encodeViews({ projectorGlobal: stages.projectorGlobal }, params, state, [g1, g2], opts);
        const zl = encodeViews({ projectorLocal: stages.projectorLocal }, params, state, [flatRows(l1), flatRows(l2)], opts);
        const [zl1, zl2] = zl.outputs.projectorLocal;
        const lossGlobal = vicregLoss(zg.outputs.projectorGlobal[0], zg.outputs.projectorGlobal[1], { ...coeffs, axisName });
        const lossLocal = vicregLocal(unflatRows(zl1, l1), unflatRows(zl2, l2), { ...coeffs, axisName });
        const loss = np.add(np.mul(c.alpha, lossGlobal), np.mul(1 - c.alpha, lossLocal));
        const next = net.next(state, { ...f.state, ...zg.state, ...zl.state });
        return [loss, { state: next, metrics: { lossGlobal: np.stopGradient(lossGlobal), lossLocal: np.stopGradient(lossLocal) } }];
      },
    };
  },
});
