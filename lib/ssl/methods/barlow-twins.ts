/**
 * Barlow Twins (Zbontar et al. 2021) = views (each on its own) through encoder + projector,
 * then `barlowTwins` (cross-correlation towards the identity). Defaults: stable-pretraining's
 * `BarlowTwins` (projector 8192-8192-8192 with Linears without bias; lambda 5.1e-3).
 */
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber } from '../codecs.js';
import { barlowTwins as barlowTwinsLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import type { ViewsBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params } from './network.js';
import { projectedPair } from './two-view.js';

export interface BarlowTwinsConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  /** Weight of the off-diagonal (redundancy) term. */
  readonly lambda: number;
}

export const barlowTwins = defineMethod<BarlowTwinsConfig, Params, NetState, ViewsBatch>({
  name: 'barlowTwins',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, lambda: nonNegativeNumber }, 'a Barlow Twins configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([8192, 8192, 8192], { bias: false, lastBias: false }), lambda: 5.1e-3 },
  build: (c) => projectedPair('barlowTwins', c, (z1, z2, axisName) => barlowTwinsLoss(z1, z2, { lambda: c.lambda, axisName })),
});
