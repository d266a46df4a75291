/**
 * SimCLR (Chen et al. 2020) = views (each on its own) through encoder + projector, then
 * NT-Xent. Defaults: stable-pretraining's `SimCLR` (projector 2048-2048-256, Linear
 * without bias, BatchNorm without bias at the end; temperature 0.5).
 */
import { strictPartial } from '../../util/strict-partial.js';
import { positiveNumber } from '../codecs.js';
import { ntXent } from '../losses/index.js';
import { defineMethod } from '../method.js';
import type { ViewsBatch } from '../views.js';
import { type HeadConfig, HeadCodec, head } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params } from './network.js';
import { projectedPair } from './two-view.js';

export interface SimclrConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  readonly temperature: number;
}

export const simclr = defineMethod<SimclrConfig, Params, NetState, ViewsBatch>({
  name: 'simclr',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, temperature: positiveNumber }, 'a SimCLR configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([2048, 2048, 256], { bias: false, lastBias: false, lastNorm: 'batchNormNoBias' }), temperature: 0.5 },
  build: (c) => projectedPair('simclr', c, (z1, z2, axisName) => ntXent(z1, z2, { temperature: c.temperature, axisName })),
});
