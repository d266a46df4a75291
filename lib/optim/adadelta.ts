/** optax's Adadelta scaling: steps sized by the ratio of running RMS of past steps and of gradients. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { zerosLikeTree } from './util.js';

export interface AdadeltaOptions {
  /** Decay of both running averages (default 0.9). */
  readonly rho?: Hyper;
  /** Added inside both roots (default 1e-6). */
  readonly eps?: Hyper;
}

export interface AdadeltaState {
  /** Running average of the squared gradients. */
  readonly eG: unknown;
  /** Running average of the squared outgoing updates. */
  readonly eX: unknown;
}

/**
 * optax.scale_by_adadelta: `eG = rho eG + (1-rho) g^2`, `u = sqrt(eX + eps) / sqrt(eG + eps) g`,
 * then `eX = rho eX + (1-rho) u^2` (eX is the old one in `u`).
 * @example const opt = chain(scaleByAdadelta({ rho: 0.95 }), scaleByLearningRate(1));
 */
export function scaleByAdadelta({ rho = 0.9, eps = 1e-6 }: AdadeltaOptions = {}): GradientTransformation<AdadeltaState> {
  return {
    init: (params) => ({ eG: zerosLikeTree(params), eX: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const eG = updateMoment(updates, state.eG, rho, 2);
      const out = tree.map<U>(
        (g: NdArray, curEG: NdArray, prevEX: NdArray) => np.mul(np.div(np.sqrt(np.add(prevEX, eps)), np.sqrt(np.add(curEG, eps))), g),
        updates,
        eG,
        state.eX,
      );
      return [out, { eG, eX: updateMoment(out, state.eX, rho, 2) }];
    },
  };
}
