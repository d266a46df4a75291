/**
 * Spectral contrastive learning (HaoChen et al. 2021) = views (each on its own) through encoder +
 * projector, then `spectralContrastive` (rows kept in the ball of radius sqrt(mu); -2 E[z1 . z2] +
 * E[(z1 . z2')^2] over the other pairs; divided by mu). The seed's `methods/spectral_cl.py` is a
 * placeholder; defaults are the paper's code (jhaochenz96/spectral_contrastive_learning: its
 * ImageNet projector 8192-8192-8192, Linear-BN-ReLU twice then Linear-BN, with biases; mu 1,
 * the loss's default; its ImageNet run used mu 10).
 *
 * Sharded over a named axis (`LossContext.axisName`): the second view's projections are gathered
 * from every member (see ../losses/spectral.ts).
 */
import { strictPartial } from '../../util/strict-partial.js';
import { positiveNumber } from '../codecs.js';
import { spectralContrastive } from '../losses/index.js';
import { defineMethod } from '../method.js';
import type { ViewsBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { ENCODER_PROPS, type EncoderSettings, type NetState, type Params } from './network.js';
import { projectedPair } from './two-view.js';

export interface SpectralClConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  /** Squared radius of the ball the projections are kept in, and the loss's scale. */
  readonly mu: number;
}

export const spectralCl = defineMethod<SpectralClConfig, Params, NetState, ViewsBatch>({
  name: 'spectralCl',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, mu: positiveNumber }, 'a spectral contrastive configuration object'),
  defaults: { encoder: 'resnet50', encoderOptions: {}, embedDim: null, projector: head([8192, 8192, 8192], { lastNorm: 'batchNorm' }), mu: 1 },
  build: (c) => projectedPair('spectralCl', c, (z1, z2, axisName) => spectralContrastive(z1, z2, { mu: c.mu, axisName })),
});
