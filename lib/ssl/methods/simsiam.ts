/**
 * SimSiam (Chen & He 2021) = views (each on its own) through encoder + projector +
 * predictor, then `(negativeCosine(p1, sg(z2)) + negativeCosine(p2, sg(z1))) / 2`: the stop
 * gradient on the projections is the whole trick (no teacher, no negatives). As the seed's
 * `SimSiam`, the rows are normalised with `F.normalize` (norms clamped at 1e-12). Defaults:
 * stable-pretraining's `SimSiam` (projector 2048-2048-2048 ending in a BatchNorm without
 * affine parameters; predictor bottleneck 512).
 */
import { type NdArray, stopGradient } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { negativeCosine } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead, predictorMismatch } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface SimsiamConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  readonly predictor: HeadConfig;
}

export const simsiam = defineMethod<SimsiamConfig, Params, NetState, ViewsBatch>({
  name: 'simsiam',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, predictor: HeadCodec }, 'a SimSiam configuration object'),
  defaults: {
    ...ENCODER_DEFAULTS,
    projector: head([2048, 2048, 2048], { bias: false, lastBias: false, lastNorm: 'batchNormNoAffine' }),
    predictor: head([512, 2048], { bias: false }),
  },
  check: predictorMismatch,
  build(c) {
    const enc = encoderOf(c, 'simsiam');
    const net = network({ name: 'simsiam', stages: { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector), predictor: mlpHead(headOut(c.projector), c.predictor) } });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const { outputs, state: s } = encodeViews(net.chain(), params, state, twoViews(batch, 'simsiam'), { train: true, key, axisName });
        const [z1, z2] = outputs.projector;
        const [p1, p2] = outputs.predictor;
        // The seed's SimSiam normalises with F.normalize (norms clamped at 1e-12), not CosineSimilarity's 1e-8.
        const cos = (p: NdArray, z: NdArray) => negativeCosine(p, stopGradient(z), { eps: 1e-12 });
        const loss = np.div(np.add(cos(p1, z2), cos(p2, z1)), 2);
        return [loss, { state: net.next(state, s), metrics: {} }];
      },
    };
  },
});
