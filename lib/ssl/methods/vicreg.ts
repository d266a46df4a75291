/**
 * VICReg (Bardes et al. 2022) = views (each on its own) through encoder + projector, then
 * `vicreg` (invariance + variance + covariance). Defaults: stable-pretraining's `VICReg`
 * (projector 8192-8192-8192, the last Linear without bias; coefficients 25, 25, 1).
 */
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber } from '../codecs.js';
import { vicreg as vicregLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import type { ViewsBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params } from './network.js';
import { projectedPair } from './two-view.js';

export interface VicregConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  /** Weight of the invariance (MSE) term. */
  readonly simCoeff: number;
  /** Weight of the variance (std hinge) term. */
  readonly stdCoeff: number;
  /** Weight of the covariance term. */
  readonly covCoeff: number;
}

export const vicreg = defineMethod<VicregConfig, Params, NetState, ViewsBatch>({
  name: 'vicreg',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, simCoeff: nonNegativeNumber, stdCoeff: nonNegativeNumber, covCoeff: nonNegativeNumber }, 'a VICReg configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([8192, 8192, 8192], { lastBias: false }), simCoeff: 25, stdCoeff: 25, covCoeff: 1 },
  build: (c) => projectedPair('vicreg', c, (z1, z2, axisName) => vicregLoss(z1, z2, { simCoeff: c.simCoeff, stdCoeff: c.stdCoeff, covCoeff: c.covCoeff, axisName })),
});
