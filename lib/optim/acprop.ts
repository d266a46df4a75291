/**
 * ACProp (Zhuang et al. 2021; optax `contrib/_acprop.py`): AdaBelief's second moment, applied
 * before it is updated (asynchronous centring): the gradient is divided by the *previous*
 * bias-corrected `nu`, and 1 at the first step.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { BeliefState } from './belief.js';
import { chain } from './chain.js';
import { addDecayedWeights, type WeightDecayLike } from './decay.js';
import type { Mask } from './mask.js';
import { biasCorrection, type Hyper, updateMoment } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface AcpropOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the second central moment (default 0.999). */
  readonly b2?: Hyper;
  /** Added after the root (default 1e-16). */
  readonly eps?: Hyper;
  /** Added to the second moment each step (default 1e-16). */
  readonly epsRoot?: Hyper;
}

/**
 * optax.contrib.scale_by_acprop: `mu' = b1 mu + (1−b1) g`, `nu' = b2 nu + (1−b2) (g − mu)² + epsRoot`
 * (`mu` the previous mean), update `g / (sqrt(nû) + eps)` with `nû` the previous `nu` bias-corrected
 * at the previous count (1 at the first step). State optax's `ScaleByBeliefState` `{count, mu, nu}`.
 */
export function scaleByAcprop({ b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16 }: AcpropOptions = {}): GradientTransformation<BeliefState> {
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const mu = updateMoment(updates, state.mu, b1, 1);
      const error = tree.map<U>((g: NdArray, m: NdArray) => np.sub(g, m), updates, state.mu);
      const nu = tree.map<U>((v: NdArray) => np.add(v, epsRoot), updateMoment(error, state.nu, b2, 2));
      const count = incrementCount(state.count);
      const initial = np.equal(state.count, 0);
      const nuHat = biasCorrection(state.nu, b2, np.where(initial, count, state.count));
      const out = tree.map<U>((g: NdArray, v: NdArray) => np.div(g, np.add(np.sqrt(np.where(initial, 1, v)), eps)), updates, nuHat);
      return [out, { count, mu, nu }];
    },
  };
}

export interface AcpropOptimizerOptions extends AcpropOptions {
  readonly learningRate: ScheduleLike;
  /** Decoupled decay `lr · wd · p` (default 0). */
  readonly weightDecay?: WeightDecayLike;
  /** Leaves that get decay (default all). */
  readonly mask?: Mask;
}

/**
 * optax.contrib.acprop: `chain(scaleByAcprop, addDecayedWeights(wd, mask), scaleByLearningRate(lr))`.
 * @example const opt = optim.acprop({ learningRate: 1e-3 });
 */
export function acprop({ learningRate, weightDecay = 0, mask, ...rest }: AcpropOptimizerOptions): GradientTransformation {
  return chain(scaleByAcprop(rest), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate));
}
