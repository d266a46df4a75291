/** optax.contrib's ADOPT (Taniguchi et al. 2024): Adam with the second moment of the previous step and clipped normalised updates. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { type Hyper, checkHyper, updateMoment } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface AdoptOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the second moment (default 0.9999). */
  readonly b2?: Hyper;
  /** Floor of the root of the second moment (default 1e-6). */
  readonly eps?: Hyper;
  /** Nesterov's momentum: one more `b1` step on the output (default false). */
  readonly nesterov?: boolean;
  /** Clip the normalised update to `±clipValueFn(count)` (default true). */
  readonly useClipping?: boolean;
  /** The clip bound of the step count before this update (default `count^0.25`). */
  readonly clipValueFn?: (count: NdArray) => NdArray;
}

/** optax's `ScaleByAdamState`, as ADOPT keeps it. */
export interface AdoptState {
  readonly count: NdArray;
  readonly mu: unknown;
  readonly nu: unknown;
}

/**
 * optax.contrib.scale_by_adopt. At the first update (count 0) `nu = g²` and the output is 0; then
 * `u = clip(g / max(sqrt(nu_prev), eps), ±c)`, `mu = b1 mu + (1 − b1) u`, output `mu` (Nesterov:
 * `b1 mu + (1 − b1) u` once more), and `nu = b2 nu + (1 − b2) g²`.
 * @example const opt = chain(scaleByAdopt(), scaleByLearningRate(1e-3));
 */
export function scaleByAdopt({ b1 = 0.9, b2 = 0.9999, eps = 1e-6, nesterov = false, useClipping = true, clipValueFn = (c) => np.pow(np.cast(c, 'float32'), 0.25) }: AdoptOptions = {}): GradientTransformation<AdoptState> {
  checkHyper('scaleByAdopt', 'b1', b1, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  checkHyper('scaleByAdopt', 'b2', b2, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  checkHyper('scaleByAdopt', 'eps', eps, (v) => v >= 0, '>= 0');
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const started = np.greater(state.count, 0);
      const b1Now = np.where(started, b1, 1);
      const nu = updateMoment(updates, state.nu, np.where(started, b2, 0), 2);
      const bound = useClipping ? clipValueFn(state.count) : null;
      const scaled = tree.map<U>(
        (g: NdArray, v: NdArray) => {
          const y = np.div(g, np.maximum(np.sqrt(v), eps));
          return bound === null ? y : np.clip(y, np.neg(bound), bound);
        },
        updates,
        state.nu,
      );
      const mu = updateMoment(scaled, state.mu, b1Now, 1);
      const out = nesterov ? updateMoment(scaled, mu, b1Now, 1) : mu;
      return [out, { count: incrementCount(state.count), mu, nu }];
    },
  };
}

export interface AdoptOptimizerOptions extends AdoptOptions {
  /** A number or a schedule of the step. */
  readonly learningRate: ScheduleLike;
}

/**
 * optax.contrib.adopt: `chain(scaleByAdopt({b1 = 0.9, b2 = 0.9999, eps = 1e-6, useClipping = true}), scaleByLearningRate(lr))`.
 * @example const opt = optim.adopt({ learningRate: 1e-3 });
 */
export function adopt({ learningRate, ...rest }: AdoptOptimizerOptions): GradientTransformation {
  return chain(scaleByAdopt(rest), scaleByLearningRate(learningRate));
}
