/** optax's AMSGrad scaling: Adam whose (bias-corrected) second moment never decreases. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, biasCorrection, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface AmsgradOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the second moment (default 0.999). */
  readonly b2?: Hyper;
  /** Added after the root (default 1e-8). */
  readonly eps?: Hyper;
  /** Added inside the root (default 0). */
  readonly epsRoot?: Hyper;
  /** Bias-correct the first moment (default true; false is the original paper). */
  readonly biasCorrectionMu?: boolean;
  /** Bias-correct the second moment before the running maximum (default true; false is the paper). */
  readonly biasCorrectionNu?: boolean;
}

export interface AmsgradState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  readonly mu: unknown;
  readonly nu: unknown;
  /** The running maximum of the (bias-corrected) second moment. */
  readonly nuMax: unknown;
}

/**
 * optax.scale_by_amsgrad: `mu = b1 mu + (1-b1) g`, `nu = b2 nu + (1-b2) g^2`, t = count + 1,
 * `nuMax = max(nuMax, nu / (1 - b2^t))`, update `(mu / (1 - b1^t)) / (sqrt(nuMax + epsRoot) + eps)`.
 * @example const opt = chain(scaleByAmsgrad({ b2: 0.99 }), scaleByLearningRate(1e-3));
 */
export function scaleByAmsgrad({ b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0, biasCorrectionMu = true, biasCorrectionNu = true }: AmsgradOptions = {}): GradientTransformation<AmsgradState> {
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params), nuMax: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const mu = updateMoment(updates, state.mu, b1, 1);
      const nu = updateMoment(updates, state.nu, b2, 2);
      const count = incrementCount(state.count);
      const muHat = biasCorrectionMu ? biasCorrection(mu, b1, count) : mu;
      const nuEff = biasCorrectionNu ? biasCorrection(nu, b2, count) : nu;
      const nuMax = tree.map<U>((a: NdArray, b: NdArray) => np.maximum(a, b), state.nuMax, nuEff);
      const out = tree.map<U>((m: NdArray, v: NdArray) => np.div(m, np.add(np.sqrt(np.add(v, epsRoot)), eps)), muHat, nuMax);
      return [out, { count, mu, nu, nuMax }];
    },
  };
}
