/** Decoupled / L2 weight decay as a transformation. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Mask, mapMasked, resolveMask } from './mask.js';
import type { CountState } from './scale.js';
import { type Schedule, toSchedule } from './schedule.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams } from './util.js';

/** A weight decay: a number, a scalar array, or a schedule of the step (optax's `ScalarOrSchedule`). */
export type WeightDecayLike = number | NdArray | Schedule | ((step: NdArray) => NdArray);

/**
 * `updates + weightDecay * params` on the leaves the mask selects (all by default).
 * Where it sits in a chain decides its meaning: before the optimiser's scaling it is L2
 * regularisation (torch SGD / Adam `weight_decay`); after it, right before
 * `scaleByLearningRate`, it is decoupled decay (`p -= lr * wd * p`, torch AdamW).
 * `weightDecay` may also be a scalar array (`injectHyperparams`) or, as in optax, a schedule of
 * the step: the state then keeps `{count}` and step t uses `weightDecay(t)`, t from 0.
 * @example addDecayedWeights(1e-4, maskNoDecayOnBiasAndNorm)
 */
export function addDecayedWeights(weightDecay: WeightDecayLike, mask?: Mask): GradientTransformation<EmptyState | CountState> {
  const decay = <U>(updates: U, params: U | undefined, wd: number | NdArray): U => {
    const p = requireParams(params, 'addDecayedWeights');
    const m = resolveMask(mask, p, 'addDecayedWeights');
    return mapMasked(m, (g: NdArray, w: NdArray) => np.add(g, np.mul(w, wd)), updates, p);
  };
  if (typeof weightDecay !== 'function') {
    return {
      init: () => ({}),
      update: (updates, state, params) => [weightDecay === 0 ? updates : decay(updates, params, weightDecay), state],
    };
  }
  const schedule = toSchedule(weightDecay);
  const t: GradientTransformation<CountState> = {
    init: () => ({ count: initCount() }),
    update: (updates, state, params) => [decay(updates, params, schedule(state.count)), { count: incrementCount(state.count) }],
  };
  return t as GradientTransformation<EmptyState | CountState>;
}
