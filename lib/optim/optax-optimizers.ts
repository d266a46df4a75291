/**
 * Named optimisers with optax's semantics and defaults (optax `alias.py`): each a `chain` of its
 * scale_by_* transformation and `scaleByLearningRate`. Their options are the transformation's
 * (numbers, or scalar arrays, so `injectHyperparams` can feed them) plus the learning rate.
 */
import { type AdadeltaOptions, scaleByAdadelta } from './adadelta.js';
import { type AmsgradOptions, scaleByAmsgrad } from './amsgrad.js';
import { type BeliefOptions, scaleByBelief } from './belief.js';
import { chain, identity } from './chain.js';
import { addDecayedWeights } from './decay.js';
import type { Mask } from './mask.js';
import { type AddNoiseOptions, addNoise } from './noise.js';
import { type NovogradOptions, scaleByNovograd } from './novograd.js';
import { maximizing, scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import { type Sm3Options, scaleBySm3 } from './sm3.js';
import type { GradientTransformation } from './types.js';
import { type YogiOptions, scaleByYogi } from './yogi.js';

interface WithLearningRate {
  /** A number or a schedule of the step. */
  readonly learningRate: ScheduleLike;
}

export type AmsgradOptimizerOptions = AmsgradOptions & WithLearningRate;

/**
 * optax.amsgrad: `chain(scaleByAmsgrad({b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0}), scaleByLearningRate(lr))`.
 * @example const opt = optim.amsgrad({ learningRate: 1e-3 });
 */
export function amsgrad({ learningRate, ...rest }: AmsgradOptimizerOptions): GradientTransformation {
  return chain(scaleByAmsgrad(rest), scaleByLearningRate(learningRate));
}

export interface AdabeliefOptimizerOptions extends BeliefOptions, WithLearningRate {
  /** Decoupled decay `wd * p` added after the scaling (default: none, no entry in the chain). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
}

/**
 * optax.adabelief: `chain(scaleByBelief({b1 = 0.9, b2 = 0.999, eps = 1e-16, epsRoot = 1e-16}),
 * [addDecayedWeights(wd, mask) when wd is given], scaleByLearningRate(lr))`.
 * @example const opt = optim.adabelief({ learningRate: 1e-3, weightDecay: 1e-4 });
 */
export function adabelief({ learningRate, weightDecay, weightDecayMask, ...rest }: AdabeliefOptimizerOptions): GradientTransformation {
  return weightDecay === undefined
    ? chain(scaleByBelief(rest), scaleByLearningRate(learningRate))
    : chain(scaleByBelief(rest), addDecayedWeights(weightDecay, weightDecayMask), scaleByLearningRate(learningRate));
}

export type YogiOptimizerOptions = Pick<YogiOptions, 'b1' | 'b2' | 'eps'> & WithLearningRate;

/**
 * optax.yogi: `chain(scaleByYogi({b1 = 0.9, b2 = 0.999, eps = 1e-3}), scaleByLearningRate(lr))`.
 * @example const opt = optim.yogi({ learningRate: 1e-2 });
 */
export function yogi({ learningRate, b1, b2, eps }: YogiOptimizerOptions): GradientTransformation {
  return chain(scaleByYogi({ b1, b2, eps }), scaleByLearningRate(learningRate));
}

export interface AdadeltaOptimizerOptions extends AdadeltaOptions {
  /** Default: none, and then no scaling at all (not even the sign flip), as optax. */
  readonly learningRate?: ScheduleLike;
  /** L2: `wd * p` added to the gradient first (default 0). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

/**
 * optax.adadelta: `chain(addDecayedWeights(wd, mask), scaleByAdadelta({rho = 0.9, eps = 1e-6}), scaleByLearningRate(lr))`;
 * without a learning rate the last step is `identity()` (optax's: the update is then not negated).
 * torch.optim.Adadelta is the same with `learningRate: 1` (torch's default lr) and its `maximize`.
 * @example const opt = optim.adadelta({ learningRate: 1, rho: 0.95 });
 */
export function adadelta({ learningRate, weightDecay = 0, weightDecayMask, maximize = false, ...rest }: AdadeltaOptimizerOptions): GradientTransformation {
  return maximizing(maximize, chain(
    addDecayedWeights(weightDecay, weightDecayMask),
    scaleByAdadelta(rest),
    learningRate === undefined ? identity() : scaleByLearningRate(learningRate),
  ));
}

export type NovogradOptimizerOptions = NovogradOptions & WithLearningRate;

/**
 * optax.novograd: `chain(scaleByNovograd({b1 = 0.9, b2 = 0.25, eps = 1e-6, epsRoot = 0, weightDecay = 0}), scaleByLearningRate(lr))`
 * (note eps 1e-6 here, 1e-8 in `scaleByNovograd`, as optax).
 * @example const opt = optim.novograd({ learningRate: 1e-2, weightDecay: 1e-3 });
 */
export function novograd({ learningRate, eps = 1e-6, ...rest }: NovogradOptimizerOptions): GradientTransformation {
  return chain(scaleByNovograd({ eps, ...rest }), scaleByLearningRate(learningRate));
}

export type NoisySgdOptions = AddNoiseOptions & WithLearningRate;

/**
 * optax.noisy_sgd: `chain(addNoise({eta = 0.01, gamma = 0.55, key = 0}), scaleByLearningRate(lr))`.
 * @example const opt = optim.noisySgd({ learningRate: 0.1, key: random.key(0) });
 */
export function noisySgd({ learningRate, ...rest }: NoisySgdOptions): GradientTransformation {
  return chain(addNoise(rest), scaleByLearningRate(learningRate));
}

export interface Sm3OptimizerOptions extends WithLearningRate {
  /** Decay of the momentum (optax's `momentum`, scaleBySm3's b1; default 0.9). */
  readonly momentum?: Sm3Options['b1'];
}

/**
 * optax.sm3: `chain(scaleBySm3({b1: momentum = 0.9}), scaleByLearningRate(lr))` (optax scales by
 * `-lr`, a constant; a schedule is accepted here too).
 * @example const opt = optim.sm3({ learningRate: 0.1 });
 */
export function sm3({ learningRate, momentum = 0.9 }: Sm3OptimizerOptions): GradientTransformation {
  return chain(scaleBySm3({ b1: momentum }), scaleByLearningRate(learningRate));
}
