/**
 * W-MSE (Ermolov et al. 2021) = views (each on its own) through encoder + projector, then
 * `wmse`: both views whitened together (ZCA, eigenvalues floored at `eps`), L2-normalised, and
 * their mean squared difference. Defaults: stable-pretraining's `WMSE` (projector 1024-64,
 * Linear-BN-ReLU-Linear with biases; eps 1e-3).
 *
 * Sharded over a named axis (`LossContext.axisName`): both views are gathered from every member
 * and whitened together, so each member's loss is the whole batch's (as `vcReg`'s); the seed's
 * `WMSE` under DDP whitens each rank's batch on its own.
 */
import { type NdArray, allGather } from '../../core/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveNumber } from '../codecs.js';
import { wmse as wmseLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import type { ViewsBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params } from './network.js';
import { projectedPair } from './two-view.js';

export interface WmseConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  /** Floor of the covariance's eigenvalues in the whitening. */
  readonly eps: number;
}

export const wmse = defineMethod<WmseConfig, Params, NetState, ViewsBatch>({
  name: 'wmse',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, eps: positiveNumber }, 'a W-MSE configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([1024, 64]), eps: 1e-3 },
  build: (c) =>
    projectedPair('wmse', c, (z1, z2, axisName) => {
      const all = (z: NdArray) => (axisName === undefined ? z : allGather(z, axisName, { tiled: true }));
      return wmseLoss(all(z1), all(z2), { eps: c.eps });
    }),
});
