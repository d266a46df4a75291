/** optax's `optimistic_adam` and `optimistic_adam_v2` (`_src/alias.py`). */
import type { AdamOptions } from './adam.js';
import { scaleByAdam } from './adam.js';
import { chain } from './chain.js';
import type { Hyper } from './moments.js';
import { scale, scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import { scaleByOptimisticGradient } from './sign.js';
import type { GradientTransformation } from './types.js';

export interface OptimisticAdamOptions extends AdamOptions {
  /** The step size: a constant (optax's v1 refuses schedules; use {@link optimisticAdamV2}). */
  readonly learningRate: number;
  /** The weight of the change in the Adam direction, `o` (default `learningRate`, as the paper). */
  readonly optimism?: number;
}

/**
 * optax's `optimistic_adam` (Daskalakis et al. 2017): with `r_t` Adam's direction (Nesterov
 * form by default, as optax), `u_t = -lr r_t - optimism (r_t - r_{t-1})` (`r_0 = r_1`).
 * `chain(scaleByAdam, scaleByOptimisticGradient({alpha: lr, beta: optimism}), scale(-1))`.
 */
export function optimisticAdam({ learningRate, optimism, nesterov = true, ...adam }: OptimisticAdamOptions): GradientTransformation {
  if (typeof learningRate !== 'number')
    throw new Error('optimisticAdam: learningRate must be a number (optax\'s optimistic_adam takes no schedule; optimisticAdamV2 does)');
  return chain(scaleByAdam({ ...adam, nesterov }), scaleByOptimisticGradient({ alpha: learningRate, beta: optimism ?? learningRate }), scale(-1));
}

export interface OptimisticAdamV2Options extends AdamOptions {
  readonly learningRate: ScheduleLike;
  /** Optimistic gradient's `alpha` (default 1). */
  readonly alpha?: Hyper;
  /** Optimistic gradient's `beta` (default 1). */
  readonly beta?: Hyper;
}

/**
 * optax's `optimistic_adam_v2`: `chain(scaleByAdam({nesterov: true, ...}),
 * scaleByOptimisticGradient({alpha, beta}), scaleByLearningRate(learningRate))`, so
 * `u_t = -lr_t ((alpha + beta) r_t - beta r_{t-1})`.
 * @example optimisticAdamV2({ learningRate: 1, alpha: 1e-2, beta: 1 })
 */
export function optimisticAdamV2({ learningRate, alpha = 1, beta = 1, nesterov = true, ...adam }: OptimisticAdamV2Options): GradientTransformation {
  return chain(scaleByAdam({ ...adam, nesterov }), scaleByOptimisticGradient({ alpha, beta }), scaleByLearningRate(learningRate));
}
