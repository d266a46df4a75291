/**
 * TiCo (Zhu et al. 2022) = views (each on its own) through encoder + projector, then `tico`:
 * invariance `2 - 2 cos(z1, z2)` plus `rho` times the contrast of the first view's unit
 * projections with a running covariance of both views' (updated first, no gradient; the
 * state's `covariance`, the seed's `C` buffer in the state dict).
 *
 * Sharded over a named axis (`LossContext.axisName`): the covariance update sees every member's
 * projections (see ../losses/tico.ts), so the members keep one covariance.
 *
 * Defaults: stable-pretraining's `TiCO` (projector 2048-2048-256: hidden Linears without bias,
 * each with BatchNorm and ReLU, the last with bias; beta 0.9, rho 20).
 */
import * as tf from '@tensorflow/tfjs-core';
import { strictPartial } from '../../util/strict-partial.js';
import { nonNegativeNumber, unitInterval } from '../codecs.js';
import { tico as ticoLoss } from '../losses/index.js';
import { defineMethod } from '../method.js';
import { type ViewsBatch, encodeViews, twoViews } from '../views.js';
import { type HeadConfig, HeadCodec, head, headOut, mlpHead } from './head.js';
import { ENCODER_DEFAULTS, ENCODER_PROPS, type EncoderSettings, type ExtraTorch, type NetState, type Params, encoderOf, network } from './network.js';

export interface TicoConfig extends EncoderSettings {
  readonly projector: HeadConfig;
  /** EMA momentum of the running covariance. */
  readonly beta: number;
  /** Weight of the covariance-contrast term. */
  readonly rho: number;
}

/** The running covariance as the seed's `C` buffer. */
function covarianceTorch(dim: number): ExtraTorch {
  return {
    write: (state, out) => {
      out.C = tf.clone(state.covariance as tf.Tensor);
    },
    read: (r) => (r.has('C') ? { covariance: tf.clone(r.get('C', [dim, dim])) } : {}),
  };
}

export const tico = defineMethod<TicoConfig, Params, NetState, ViewsBatch>({
  name: 'tico',
  codec: strictPartial({ ...ENCODER_PROPS, projector: HeadCodec, beta: unitInterval, rho: nonNegativeNumber }, 'a TiCo configuration object'),
  defaults: { ...ENCODER_DEFAULTS, projector: head([2048, 2048, 256], { bias: false }), beta: 0.9, rho: 20 },
  build(c) {
    const enc = encoderOf(c, 'tico');
    const dim = headOut(c.projector);
    const stages = { encoder: enc.layer, projector: mlpHead(enc.dim, c.projector) };
    const extraState = () => ({ covariance: tf.zeros([dim, dim]) });
    const net = network({ name: 'tico', stages, extraState, extraTorch: covarianceTorch(dim) });
    return {
      ...net.parts,
      loss(params, state, batch, { key, axisName } = {}) {
        net.checkState(state, ['covariance']);
        const { outputs, state: s } = encodeViews(net.chain(), params, state, twoViews(batch, 'tico'), { train: true, key, axisName });
        const [z1, z2] = outputs.projector;
        const r = ticoLoss(z1, z2, state.covariance, { beta: c.beta, rho: c.rho, axisName });
        return [r.loss, { state: net.next(state, s, { covariance: r.covariance }), metrics: { invariance: r.invariance, contrast: r.contrast } }];
      },
    };
  },
});
