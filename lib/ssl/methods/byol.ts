/**
 * BYOL (Grill et al. 2020) = views (each on its own) through the student's encoder +
 * projector + predictor and through an EMA teacher's encoder + projector (training mode,
 * no gradient), then `(byolLoss(p1, zt2) + byolLoss(p2, zt1)) / 2`; after each update the
 * teacher moves towards the student (parameters and BatchNorm statistics). Defaults:
 * stable-pretraining's `BYOL` (projector and predictor 4096-256, EMA 0.99 -> 1).
 */
import * as np from '../../ops/index.js';
import { strictPartial } from '../../util/strict-partial.js';
import { byolLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead, predictorMismatch } from './head.js';
import { EMA_PROPS, ENCODER_DEFAULTS, ENCODER_PROPS, type EmaSettings, type EncoderSettings, type NetState, type Params, encoderOf, network } from './network.js';

export interface ByolConfig extends EncoderSettings, EmaSettings {
  readonly projector: HeadConfig;
  readonly predictor: HeadConfig;
}

export const byol = defineMethod<ByolConfig, Params, NetState, ViewsBatch>({
  name: 'byol',
  codec: strictPartial({ ...ENCODER_PROPS, ...EMA_PROPS, projector: HeadCodec, predictor: HeadCodec }, 'a BYOL configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([4096, 256]), predictor: head([4096, 256]), emaStart: 0.99, emaEnd: 1, emaSteps: null },
  check: predictorMismatch,
  build(c) {
    const enc = encoderOf(c, 'byol');
    const stages = { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector), predictor: mlpHead(headOut(c.projector), c.predictor) };
    const net = network({ name: 'byol', stages, teacher: { stages: ['encoder', 'projector'], ema: c } });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state);
        const views = twoViews(batch, 'byol');
        const { outputs, state: s } = encodeViews(net.chain(), params, state, views, { train: true, key, axisName });
        const [p1, p2] = outputs.predictor;
        const { outputs: t, teacher } = net.teacherForward(state, views, 'perView', axisName);
        const [zt1, zt2] = t.projector;
        const loss = np.div(np.add(byolLoss(p1, zt2), byolLoss(p2, zt1)), 2);
        return [loss, { state: net.next(state, s, { teacher }), metrics: {} }];
      },
    };
  },
});
