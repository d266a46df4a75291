/**
 * MoCo v3 (Chen, Xie & He 2021) = views (each on its own) through the student's encoder +
 * projector + predictor and through an EMA teacher's encoder + projector (training mode, no
 * gradient), then the symmetric InfoNCE `(infoNce(p1, zt2) + infoNce(p2, zt1)) / 2` with
 * targets `arange(N)` (each prediction's positive is the other view's teacher projection of
 * the same image; the batch's other images are the negatives; no queue). After each update the
 * teacher moves towards the student (parameters and BatchNorm statistics).
 *
 * Sharded over a named axis (`LossContext.axisName`), as the seed's `_info_nce` under DDP: the
 * teacher projections are gathered from every member and each target is moved to its member's
 * block (`arange(N) + rank N`). As the seed, the loss is not scaled by `2 T` (the paper's code is).
 *
 * Defaults: stable-pretraining's `MoCov3` (projector 4096-4096-256 and predictor 4096-256,
 * Linear without bias, BatchNorm after every hidden Linear, the projector ending in a
 * BatchNorm without affine parameters; temperature 0.2; EMA 0.99 -> 1).
 */
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { positiveNumber } from '../codecs.js';
import { infoNce } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead, predictorMismatch } from './head.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface MocoV3Config extends EncoderSettings, EmaSettings {
  readonly projector: HeadConfig;
  readonly predictor: HeadConfig;
  readonly temperature: number;
}

export const mocoV3 = defineMethod<MocoV3Config, Params, NetState, ViewsBatch>({
  name: 'mocoV3',
  codec: strictPartial({ ...ENCODER_PROPS, ...EMA_PROPS, projector: HeadCodec, predictor: HeadCodec, temperature: positiveNumber }, 'a MoCo v3 configuration object'),
  defaults: {
    ...ENCODER_DEFAULTS,
    projector: head([4096, 4096, 256], { bias: false, lastBias: false, lastNorm: 'batchNormNoAffine' }),
    predictor: head([4096, 256], { bias: false, lastBias: false }),
    temperature: 0.2,
    emaStart: 0.99,
    emaEnd: 1,
    emaSteps: null,
  },
  check: predictorMismatch,
  build(c) {
    const enc = encoderOf(c, 'mocoV3');
    const stages = { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector), predictor: mlpHead(headOut(c.projector), c.predictor) };
    const net = network({ name: 'mocoV3', stages, teacher: { stages: ['encoder', 'projector'], ema: c } });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const views = twoViews(batch, 'mocoV3');
        const { outputs, state: s } = encodeViews(net.chain(), params, state, views, { train: true, key, axisName });
        const [p1, p2] = outputs.predictor;
        const { outputs: t, teacher } = net.teacherForward(state, views, 'perView', axisName);
        const [zt1, zt2] = t.projector;
        const targets = np.arange(np.shape(p1)[0], undefined, undefined, 'int32');
        const opts = { temperature: c.temperature, axisName };
        const loss = np.div(np.add(infoNce(p1, zt2, targets, opts), infoNce(p2, zt1, targets, opts)), 2);
        return [loss, { state: net.next(state, s, { teacher }), metrics: {} }];
      },
    };
  },
});
