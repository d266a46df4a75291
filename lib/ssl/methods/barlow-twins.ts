/**
 * Barlow Twins (Zbontar et al. 2021) = views (each on its own) through encoder + projector,
 * then `barlowTwins` (cross-correlation towards the identity). Defaults: stable-pretraining's
 * `BarlowTwins` (projector 8192-8192-8192 with Linears without bias; lambda 5.1e-3).
 * `batchStatistics` picks the loss's standardisation under an axis (see ../losses/barlow-twins.ts).
 */
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, oneOf } from '../codecs.js';
import { type BarlowTwinsStatistics, barlowTwins as barlowTwinsLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import type { ViewsBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params } from './network.js';
import { projectedPair } from './two-view.js';

export interface BarlowTwinsConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  /** Weight of the off-diagonal (redundancy) term. */
  readonly lambda: number;
  /** Under an axis: the whole batch's statistics (`'global'`, default) or each member's (`'perMember'`, the seed's). */
  readonly batchStatistics: BarlowTwinsStatistics;
}

export const barlowTwins = defineMethod<BarlowTwinsConfig, Params, NetState, ViewsBatch>({
  name: 'barlowTwins',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, lambda: nonNegativeNumber, batchStatistics: oneOf<BarlowTwinsStatistics>(['global', 'perMember']) }, 'a Barlow Twins configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([8192, 8192, 8192], { bias: false, lastBias: false }), lambda: 5.1e-3, batchStatistics: 'global' },
  build: (c) => projectedPair('barlowTwins', c, (z1, z2, axisName) => barlowTwinsLoss(z1, z2, { lambda: c.lambda, axisName, batchStatistics: c.batchStatistics })),
});
