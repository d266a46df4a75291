/**
 * DirectCLR (Jing et al. 2022) = views (each on its own) through the encoder alone (no
 * projector), then `directClr`: the symmetric InfoNCE of the first `dim` features of the
 * representations. The seed's `methods/directclr.py` is a placeholder; defaults are the paper's
 * code (facebookresearch/directclr: ResNet-50, dim 360, temperature 0.1). Its online linear
 * classifier on labels is not part of the method (train a probe on `embed` instead).
 *
 * Sharded over a named axis (`LossContext.axisName`): the candidates are every member's (see
 * ../losses/directclr.ts), as the paper's `gather_from_all`.
 */
import { strictPartial } from '../../util/strict-partial.js';
import { positiveInt, positiveNumber } from '../codecs.js';
import { directClr as directClrLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface DirectclrConfig extends EncoderSettings {
  /** How many leading features of the representation enter the loss (at most its width). */
  readonly dim: number;
  readonly temperature: number;
}

export const directclr = defineMethod<DirectclrConfig, Params, NetState, ViewsBatch>({
  name: 'directclr',
  codec: strictPartial({ ...ENCODER_PROPS, dim: positiveInt, temperature: positiveNumber }, 'a DirectCLR configuration object'),
  defaults: { encoder: 'resnet50', encoderOptions: {}, embedDim: null, dim: 360, temperature: 0.1 },
  build(c) {
    const enc = encoderOf(c, 'directclr');
    if (c.dim > enc.dim) throw new Error(`directclr config: at .dim expected at most the encoder's width ${enc.dim}, got ${c.dim}`);
    const net = network({ name: 'directclr', stages: { encoder: enc.layer } });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const { outputs, state: s } = encodeViews(net.chain(), params, state, twoViews(batch, 'directclr'), { train: true, key, axisName });
        const [h1, h2] = outputs.encoder;
        return [directClrLoss(h1, h2, { dim: c.dim, temperature: c.temperature, axisName }), { state: net.next(state, s), metrics: {} }];
      },
    };
  },
});
