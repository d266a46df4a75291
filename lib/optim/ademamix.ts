/** optax.contrib's AdEMAMix (Pagliardini et al. 2024): Adam plus a slow EMA of the gradients, mixed in with weight `alpha`. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import { type Hyper, biasCorrection, checkHyper, updateMoment } from './moments.js';
import { scaleByLearningRate } from './scale.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface AdemamixOptions {
  /** Decay of the fast EMA (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the second moment (default 0.999). */
  readonly b2?: Hyper;
  /** Decay of the slow EMA: a number or a schedule of `countM2` (default 0.9999). */
  readonly b3?: ScheduleLike;
  /** Weight of the slow EMA: a number or a schedule of `countM2` (default 6 in `scaleByAdemamix`, 5 in `ademamix`, as optax). */
  readonly alpha?: ScheduleLike;
  /** Added after the root (default 1e-8). */
  readonly eps?: Hyper;
  /** Added inside the root (default 0). */
  readonly epsRoot?: Hyper;
}

/** optax's `ScaleByAdemamixState`. */
export interface AdemamixState {
  readonly count: NdArray;
  readonly countM2: NdArray;
  readonly m1: unknown;
  readonly m2: unknown;
  readonly nu: unknown;
}

/** A number stays a number (folded in float64); a schedule is read at `count`. */
export function valueAt(s: ScheduleLike, count: NdArray): Hyper {
  return typeof s === 'number' ? s : toSchedule(s)(count);
}

/**
 * optax.contrib.scale_by_ademamix: `m1`, `m2`, `nu` the EMAs of `g` (decay b1), `g` (b3, not
 * bias-corrected) and `g²` (b2); output `(m̂1 + alpha m2) / (sqrt(ν̂ + epsRoot) + eps)`.
 * @example const opt = chain(scaleByAdemamix({ alpha: 5 }), scaleByLearningRate(1e-3));
 */
export function scaleByAdemamix({ b1 = 0.9, b2 = 0.999, b3 = 0.9999, alpha = 6, eps = 1e-8, epsRoot = 0 }: AdemamixOptions = {}): GradientTransformation<AdemamixState> {
  checkHyper('scaleByAdemamix', 'b1', b1, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkHyper('scaleByAdemamix', 'b2', b2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  if (typeof b3 === 'number') checkHyper('scaleByAdemamix', 'b3', b3, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  if (typeof alpha === 'number') checkHyper('scaleByAdemamix', 'alpha', alpha, () => true, 'a finite number');
  return {
    init: (params) => ({ count: initCount(), countM2: initCount(), m1: zerosLikeTree(params), m2: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const a = valueAt(alpha, state.countM2);
      const m1 = updateMoment(updates, state.m1, b1, 1);
      const m2 = updateMoment(updates, state.m2, valueAt(b3, state.countM2), 1);
      const nu = updateMoment(updates, state.nu, b2, 2);
      const count = incrementCount(state.count);
      const out = tree.map<U>(
        (m: NdArray, slow: NdArray, v: NdArray) => np.div(np.add(m, np.mul(a, slow)), np.add(np.sqrt(np.add(v, epsRoot)), eps)),
        biasCorrection(m1, b1, count),
        m2,
        biasCorrection(nu, b2, count),
      );
      return [out, { count, countM2: incrementCount(state.countM2), m1, m2, nu }];
    },
  };
}

export interface AdemamixOptimizerOptions extends AdemamixOptions {
  /** A number or a schedule of the step. */
  readonly learningRate: ScheduleLike;
  /** Decoupled weight decay (default 0). */
  readonly weightDecay?: number;
  /** Where the weight decay applies (default: everywhere). */
  readonly mask?: Mask;
}

/**
 * optax.contrib.ademamix: `chain(scaleByAdemamix({..., alpha = 5}), addDecayedWeights(weightDecay, mask), scaleByLearningRate(lr))`.
 * @example const opt = optim.ademamix({ learningRate: 1e-3, b3: 0.9999, alpha: 5 });
 */
export function ademamix({ learningRate, weightDecay = 0, mask, alpha = 5, ...rest }: AdemamixOptimizerOptions): GradientTransformation {
  return chain(scaleByAdemamix({ ...rest, alpha }), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate));
}
