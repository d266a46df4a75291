/** NAdam: Adam with Nesterov momentum and Dozat's momentum schedule, as torch.optim.NAdam. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { adamMoments } from './adam.js';
import type { GradientTransformation } from './types.js';
import { initCount, zerosLikeTree } from './util.js';

export interface NadamOptions {
  /** Base decay of the first moment (default 0.9). */
  readonly b1?: number;
  /** Decay of the second moment (default 0.999). */
  readonly b2?: number;
  /** Added after the root (default 1e-8). */
  readonly eps?: number;
  /** torch's `momentum_decay` psi: step t's momentum is `b1 (1 - 0.5 * 0.96^(t psi))` (default 0.004). */
  readonly momentumDecay?: number;
}

export interface NadamState {
  /** Updates done so far (int32 scalar). */
  readonly count: NdArray;
  /** Product of the momenta of the steps so far (float32 scalar, 1 at init). */
  readonly muProduct: NdArray;
  readonly mu: unknown;
  readonly nu: unknown;
}

/**
 * torch.optim.NAdam's scaling: with `m_t = b1 (1 - 0.5 * 0.96^(t psi))` and `P_t` the product of
 * m_1..m_t, `mu = b1 mu + (1 - b1) g`, `nu = b2 nu + (1 - b2) g^2`,
 * `d = sqrt(nu / (1 - b2^t)) + eps`, update `(1 - m_t) / (1 - P_t) g / d + m_{t+1} / (1 - P_t m_{t+1}) mu / d`.
 */
export function scaleByNadam({ b1 = 0.9, b2 = 0.999, eps = 1e-8, momentumDecay = 0.004 }: NadamOptions = {}): GradientTransformation<NadamState> {
  return {
    init: (params) => ({ count: initCount(), muProduct: np.ones([]), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const { mu, nu, count, t, bc2 } = adamMoments(updates, state, b1, b2);
      const momentumAt = (step: NdArray) => np.mul(b1, np.sub(1, np.mul(0.5, np.pow(0.96, np.mul(step, momentumDecay)))));
      const [now, next] = [momentumAt(t), momentumAt(np.add(t, 1))];
      const muProduct = np.mul(state.muProduct, now);
      const gradCoef = np.div(np.sub(1, now), np.sub(1, muProduct));
      const momentCoef = np.div(next, np.sub(1, np.mul(muProduct, next)));
      const out = tree.map<U>(
        (g: NdArray, m: NdArray, v: NdArray) => {
          const denom = np.add(np.sqrt(np.div(v, bc2)), eps);
          return np.add(np.div(np.mul(g, gradCoef), denom), np.div(np.mul(m, momentCoef), denom));
        },
        updates,
        mu,
        nu,
      );
      return [out, { count, muProduct, mu, nu }];
    },
  };
}
