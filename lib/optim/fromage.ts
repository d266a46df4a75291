/** optax's Fromage optimiser (Bernstein et al. 2020): trust-ratio steps with a shrink of the weights. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { CountState } from './scale.js';
import { scaleByLearningRate } from './scale.js';
import { type Schedule, type ScheduleLike, makeSchedule, toSchedule } from './schedule.js';
import { scaleByTrustRatio } from './trust-ratio.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams } from './util.js';

export interface FromageOptions {
  /** A number or a schedule of the step. */
  readonly learningRate: ScheduleLike;
  /** Norms below it count as it, in the trust ratio (default 1e-6). */
  readonly minNorm?: number;
}

/** `updates + wd(count) * params`, wd a schedule of the transformation's own step count (optax's scheduled add_decayed_weights). */
function addScheduledDecayedWeights(weightDecay: Schedule): GradientTransformation<CountState> {
  return {
    init: () => ({ count: initCount() }),
    update(updates, state, params) {
      const p = requireParams(params, 'fromage');
      const wd = weightDecay(state.count);
      return [tree.map<typeof updates>((g: NdArray, w: NdArray) => np.add(g, np.mul(wd, w)), updates, p), { count: incrementCount(state.count) }];
    },
  };
}

/**
 * optax.fromage: with `m = 1 / sqrt(1 + lr^2)`,
 * `chain(scaleByTrustRatio({minNorm}), scaleByLearningRate(lr m), addDecayedWeights(m - 1))`,
 * i.e. `p <- m (p - lr |p| / |g| g)` per leaf. A schedule learning rate makes both factors schedules.
 * @example const opt = optim.fromage({ learningRate: 0.01 });
 */
export function fromage({ learningRate, minNorm = 1e-6 }: FromageOptions): GradientTransformation {
  if (!(minNorm >= 0)) throw new Error(`fromage: minNorm must be >= 0, got ${minNorm}`);
  if (typeof learningRate === 'number') {
    const mult = 1 / (1 + learningRate ** 2) ** 0.5;
    return chain(scaleByTrustRatio({ minNorm }), scaleByLearningRate(learningRate * mult), addDecayedWeights(mult - 1));
  }
  const lr = toSchedule(learningRate);
  const mult = makeSchedule((m, step) => {
    const l = lr.formula(m, step);
    return m.div(1, m.pow(m.add(1, m.pow(l, 2)), 0.5));
  });
  const scaledLr = makeSchedule((m, step) => m.mul(mult.formula(m, step), lr.formula(m, step)));
  const decay = makeSchedule((m, step) => m.sub(mult.formula(m, step), 1));
  return chain(scaleByTrustRatio({ minNorm }), scaleByLearningRate(scaledLr), addScheduledDecayedWeights(decay));
}
