/** optax's AdaBelief scaling: Adam whose second moment tracks the gradient's deviation from its mean. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, biasCorrection, oneMinus, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface BeliefOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the second central moment (default 0.999). */
  readonly b2?: Hyper;
  /** Added after the root (default 1e-16). */
  readonly eps?: Hyper;
  /** Added to the second moment each step, before bias correction (default 1e-16). */
  readonly epsRoot?: Hyper;
  /** Nesterov momentum (default false). */
  readonly nesterov?: boolean;
}

export interface BeliefState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  readonly mu: unknown;
  /** The running second moment of `g - mu`. */
  readonly nu: unknown;
}

/**
 * optax.scale_by_belief: `mu = b1 mu + (1-b1) g`, `nu = b2 nu + (1-b2) (g - mu)^2 + epsRoot`,
 * t = count + 1, update `mû / (sqrt(nu / (1 - b2^t)) + eps)` with `mû = mu / (1 - b1^t)`
 * (Nesterov: `mû = b1 mu / (1 - b1^(t+1)) + (1-b1) g / (1 - b1^t)`).
 * @example const opt = chain(scaleByBelief(), scaleByLearningRate(1e-3));
 */
export function scaleByBelief({ b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16, nesterov = false }: BeliefOptions = {}): GradientTransformation<BeliefState> {
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const mu = updateMoment(updates, state.mu, b1, 1);
      const error = tree.map<U>((g: NdArray, m: NdArray) => np.sub(g, m), updates, mu);
      const nu = tree.map<U>((v: NdArray) => np.add(v, epsRoot), updateMoment(error, state.nu, b2, 2));
      const count = incrementCount(state.count);
      const muHat = nesterov
        ? tree.map<U>(
            (m: NdArray, g: NdArray) => np.add(np.mul(b1, m), np.mul(oneMinus(b1), g)),
            biasCorrection(mu, b1, incrementCount(count)),
            biasCorrection(updates, b1, count),
          )
        : biasCorrection(mu, b1, count);
      const out = tree.map<U>((m: NdArray, v: NdArray) => np.div(m, np.add(np.sqrt(v), eps)), muHat, biasCorrection(nu, b2, count));
      return [out, { count, mu, nu }];
    },
  };
}
