/** optax.contrib's simplified AdEMAMix (`contrib/_ademamix.py`, Morwani et al. 2025): one undamped momentum plus `alpha g`. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { valueAt } from './ademamix.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import { biasCorrection, checkHyper, type Hyper, updateMoment } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface SimplifiedAdemamixOptions {
  /** Momentum factor of the undamped accumulator `m = g + b1 m` (default 0.99). */
  readonly b1?: Hyper;
  /** Decay of the second moment (default 0.95). */
  readonly b2?: Hyper;
  /** Weight of the current gradient, a number or a schedule read at the step before it (default 0). */
  readonly alpha?: ScheduleLike;
  readonly eps?: Hyper;
  readonly epsRoot?: Hyper;
}

/** The state of {@link scaleBySimplifiedAdemamix}, optax's field names: the step `t`, momentum `m`, second moment `n`. */
export interface SimplifiedAdemamixState {
  readonly t: NdArray;
  readonly m: unknown;
  readonly n: unknown;
}

/**
 * optax.contrib.scale_by_simplified_ademamix: `m = g + b1 m`, `n = b2 n + (1 − b2) g²`, output
 * `(m + alpha(t) g) / (sqrt(n / (1 − b2^(t+1)) + epsRoot) + eps)` (`m` not bias-corrected).
 */
export function scaleBySimplifiedAdemamix({ b1 = 0.99, b2 = 0.95, alpha = 0, eps = 1e-8, epsRoot = 0 }: SimplifiedAdemamixOptions = {}): GradientTransformation<SimplifiedAdemamixState> {
  checkHyper('scaleBySimplifiedAdemamix', 'b2', b2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  return {
    init: (params) => ({ t: initCount(), m: zerosLikeTree(params), n: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const a = valueAt(alpha, state.t);
      const m = tree.map<U>((g: NdArray, mm: NdArray) => np.add(g, np.mul(b1, mm)), updates, state.m);
      const n = updateMoment(updates, state.n, b2, 2);
      const t = incrementCount(state.t);
      const out = tree.map<U>(
        (mm: NdArray, g: NdArray, nh: NdArray) => np.div(np.add(mm, np.mul(a, g)), np.add(np.sqrt(np.add(nh, epsRoot)), eps)),
        m,
        updates,
        biasCorrection(n, b2, t),
      );
      return [out, { t, m, n }];
    },
  };
}

export interface SimplifiedAdemamixOptimizerOptions extends SimplifiedAdemamixOptions {
  readonly learningRate: ScheduleLike;
  /** Decoupled weight decay (default 0). */
  readonly weightDecay?: Hyper;
  readonly mask?: Mask;
}

/** optax.contrib.simplified_ademamix: `chain(scaleBySimplifiedAdemamix, addDecayedWeights(wd, mask), scaleByLearningRate(lr))`. */
export function simplifiedAdemamix({ learningRate, weightDecay = 0, mask, ...rest }: SimplifiedAdemamixOptimizerOptions): GradientTransformation {
  return chain(scaleBySimplifiedAdemamix(rest), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate));
}
