/**
 * SimCLR (Chen et al. 2020) = views (each on its own) through encoder + projector, then
 * NT-Xent. Defaults: stable-pretraining's `SimCLR` (projector 2048-2048-256, Linear
 * without bias, BatchNorm without bias at the end; temperature 0.5).
 */
import { strictPartial } from '../../util/strict-partial.js';
import { positiveNumber } from '../codecs.js';
import { ntXent } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, mlpHead } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface SimclrConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  readonly temperature: number;
}

export const simclr = defineMethod<SimclrConfig, Params, NetState, ViewsBatch>({
  name: 'simclr',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, temperature: positiveNumber }, 'a SimCLR configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([2048, 2048, 256], { bias: false, lastBias: false, lastNorm: 'batchNormNoBias' }), temperature: 0.5 },
  build(c) {
    const enc = encoderOf(c, 'simclr');
    const net = network({ name: 'simclr', stages: { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector) } });
    return {
      ...net.parts,
      loss(params, state, batch, { key } = {}) {
        const { outputs, state: s } = encodeViews(net.chain(), params, state, twoViews(batch, 'simclr'), { train: true, key });
        const [z1, z2] = outputs.projector;
        return [ntXent(z1, z2, { temperature: c.temperature }), { state: net.next(state, s), metrics: {} }];
      },
    };
  },
});
