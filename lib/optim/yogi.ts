/** optax's Yogi scaling: Adam with an additive, sign-controlled second-moment update. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, biasCorrection, checkHyper, oneMinus, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount } from './util.js';

export interface YogiOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the second moment (default 0.999). */
  readonly b2?: Hyper;
  /** Added after the root (default 1e-3). */
  readonly eps?: Hyper;
  /** Added inside the root (default 0). */
  readonly epsRoot?: Hyper;
  /** Starting value of both moments (default 1e-6; must be > 0). */
  readonly initialAccumulatorValue?: number;
}

export interface YogiState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  readonly mu: unknown;
  readonly nu: unknown;
}

/**
 * optax.scale_by_yogi: moments start at `initialAccumulatorValue`; `mu = b1 mu + (1-b1) g`,
 * `nu = nu - (1-b2) sign(nu - g^2) g^2`, t = count + 1,
 * update `(mu / (1 - b1^t)) / (sqrt(nu / (1 - b2^t) + epsRoot) + eps)`.
 * @example const opt = chain(scaleByYogi(), scaleByLearningRate(1e-2));
 */
export function scaleByYogi({ b1 = 0.9, b2 = 0.999, eps = 1e-3, epsRoot = 0, initialAccumulatorValue = 1e-6 }: YogiOptions = {}): GradientTransformation<YogiState> {
  checkHyper('scaleByYogi', 'initialAccumulatorValue', initialAccumulatorValue, (v) => v > 0, '> 0');
  const full = (params: unknown) => tree.map((p: NdArray) => np.full(np.shape(p), initialAccumulatorValue), params);
  return {
    init: (params) => ({ count: initCount(), mu: full(params), nu: full(params) }),
    update(updates, state) {
      type U = typeof updates;
      const mu = updateMoment(updates, state.mu, b1, 1);
      const w = oneMinus(b2);
      const nu = tree.map<U>(
        (g: NdArray, v: NdArray) => {
          const g2 = np.square(g);
          return np.sub(v, np.mul(np.mul(w, np.sign(np.sub(v, g2))), g2));
        },
        updates,
        state.nu,
      );
      const count = incrementCount(state.count);
      const out = tree.map<U>(
        (m: NdArray, v: NdArray) => np.div(m, np.add(np.sqrt(np.add(v, epsRoot)), eps)),
        biasCorrection(mu, b1, count),
        biasCorrection(nu, b2, count),
      );
      return [out, { count, mu, nu }];
    },
  };
}
