/**
 * More of optax's named optimisers (`_src/alias.py`), with its defaults: adafactor, adamaxw, adan, nadamw,
 * sign_sgd, signum, optimistic_gradient_descent, rprop.
 */
import { type AdanOptions, scaleByAdan } from './adan.js';
import { clipByBlockRms, scaleByParamBlockRms } from './block.js';
import { chain } from './chain.js';
import { type WeightDecayLike, addDecayedWeights } from './decay.js';
import { ema } from './ema.js';
import { scaleByFactoredRms } from './factored.js';
import type { Mask } from './mask.js';
import type { Hyper } from './moments.js';
import { type AdamaxOptions, scaleByAdamax } from './adamax.js';
import { type AdamWOptions, adamw } from './optimizers.js';
import { type RpropOptions, scaleByRprop } from './rprop.js';
import { maximizing, scale, scaleByLearningRate, scaleBySchedule } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import { scaleByOptimisticGradient, scaleBySign } from './sign.js';
import type { GradientTransformation } from './types.js';

export interface AdafactorOptions {
  /** Default: none, no scaling by a learning rate (as optax; the parameter scale then sets the step). */
  readonly learningRate?: ScheduleLike;
  /** Default 128. */
  readonly minDimSizeToFactor?: number;
  /** Default 0.8. */
  readonly decayRate?: Hyper;
  /** Default 0. */
  readonly decayOffset?: number;
  /** Multiply by the parameters' RMS (`scaleByParamBlockRms`; default true). */
  readonly multiplyByParameterScale?: boolean;
  /** Per-leaf RMS clip of the scaled updates (`clipByBlockRms`; default 1, null for none). */
  readonly clippingThreshold?: number | null;
  /** Decay of an undebiased EMA of the updates (default: none). */
  readonly momentum?: number;
  /** Decoupled weight decay added last (default: none). */
  readonly weightDecayRate?: number;
  readonly weightDecayMask?: Mask;
  /** Default 1e-30. */
  readonly eps?: Hyper;
  /** Default true. */
  readonly factored?: boolean;
}

/**
 * optax.adafactor: `chain(scaleByFactoredRms, [clipByBlockRms(clippingThreshold)], [× learningRate],
 * [scaleByParamBlockRms], [ema(momentum, {debias: false})], [addDecayedWeights(weightDecayRate)], scale(-1))`.
 * @example const opt = optim.adafactor({ learningRate: 1e-2 });
 */
export function adafactor({
  learningRate,
  minDimSizeToFactor = 128,
  decayRate = 0.8,
  decayOffset = 0,
  multiplyByParameterScale = true,
  clippingThreshold = 1,
  momentum,
  weightDecayRate,
  weightDecayMask,
  eps = 1e-30,
  factored = true,
}: AdafactorOptions = {}): GradientTransformation {
  const tx: GradientTransformation<any>[] = [scaleByFactoredRms({ factored, decayRate, stepOffset: decayOffset, minDimSizeToFactor, eps })];
  if (clippingThreshold !== null) tx.push(clipByBlockRms(clippingThreshold));
  if (learningRate !== undefined) tx.push(typeof learningRate === 'number' ? scale(learningRate) : scaleBySchedule(learningRate));
  if (multiplyByParameterScale) tx.push(scaleByParamBlockRms());
  if (momentum !== undefined) tx.push(ema(momentum, { debias: false }));
  if (weightDecayRate !== undefined) tx.push(addDecayedWeights(weightDecayRate, weightDecayMask));
  tx.push(scale(-1));
  return chain(...tx);
}

export interface AdanOptimizerOptions extends AdanOptions {
  readonly learningRate: ScheduleLike;
  /** Decoupled weight decay (default 0). */
  readonly weightDecay?: number;
  readonly mask?: Mask;
}

/**
 * optax.adan: `chain(scaleByAdan({b1 = 0.98, b2 = 0.92, b3 = 0.99, eps = 1e-8, epsRoot = 1e-8}),
 * addDecayedWeights(weightDecay = 0, mask), scaleByLearningRate(lr))`.
 * @example const opt = optim.adan({ learningRate: 1e-3, weightDecay: 0.02 });
 */
export function adan({ learningRate, epsRoot = 1e-8, weightDecay = 0, mask, ...rest }: AdanOptimizerOptions): GradientTransformation {
  return chain(scaleByAdan({ epsRoot, ...rest }), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate));
}

/**
 * optax.nadamw: `adamw` with optax's Nesterov moment (`nesterov: true`) and optax's default
 * weightDecay 1e-4 (tfjax's `adamw` defaults to torch's 0.01).
 * @example const opt = optim.nadamw({ learningRate: 1e-3 });
 */
export function nadamw({ weightDecay = 1e-4, ...rest }: Omit<AdamWOptions, 'nesterov'>): GradientTransformation {
  return adamw({ ...rest, weightDecay, nesterov: true });
}

export interface AdamaxwOptions extends AdamaxOptions {
  readonly learningRate: ScheduleLike;
  /** Decoupled decay `lr · wd · p` (default 1e-4, optax's); a number, scalar array or schedule. */
  readonly weightDecay?: WeightDecayLike;
  /** Leaves that get decay (default all). */
  readonly mask?: Mask;
}

/**
 * optax.adamaxw: Adamax with decoupled weight decay,
 * `chain(scaleByAdamax, addDecayedWeights(weightDecay, mask), scaleByLearningRate(lr))`.
 * @example const opt = optim.adamaxw({ learningRate: 2e-3 });
 */
export function adamaxw({ learningRate, weightDecay = 1e-4, mask, ...rest }: AdamaxwOptions): GradientTransformation {
  return chain(scaleByAdamax(rest), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate));
}

/** optax.sign_sgd: `chain(scaleBySign(), scaleByLearningRate(lr))`. */
export function signSgd({ learningRate }: { readonly learningRate: ScheduleLike }): GradientTransformation {
  return chain(scaleBySign(), scaleByLearningRate(learningRate));
}

/** optax.signum: `chain(ema(beta = 0.9, {debias: false}), scaleBySign(), scaleByLearningRate(lr))`. */
export function signum({ learningRate, beta = 0.9 }: { readonly learningRate: ScheduleLike; readonly beta?: number }): GradientTransformation {
  return chain(ema(beta, { debias: false }), scaleBySign(), scaleByLearningRate(learningRate));
}

/** optax.optimistic_gradient_descent: `chain(scaleByOptimisticGradient({alpha = 1, beta = 1}), scaleByLearningRate(lr))`. */
export function optimisticGradientDescent({ learningRate, alpha, beta }: { readonly learningRate: ScheduleLike; readonly alpha?: Hyper; readonly beta?: Hyper }): GradientTransformation {
  return chain(scaleByOptimisticGradient({ alpha, beta }), scaleByLearningRate(learningRate));
}

export interface RpropOptimizerOptions extends RpropOptions {
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

/**
 * optax.rprop: `chain(scaleByRprop({learningRate, etaMinus = 0.5, etaPlus = 1.2, minStepSize = 1e-6, maxStepSize = 50}), scale(-1))`.
 * torch.optim.Rprop(lr, etas=(etaMinus, etaPlus), step_sizes=(minStepSize, maxStepSize), maximize) gives the same steps.
 */
export function rprop({ maximize = false, ...options }: RpropOptimizerOptions): GradientTransformation {
  return maximizing(maximize, chain(scaleByRprop(options), scale(-1)));
}
