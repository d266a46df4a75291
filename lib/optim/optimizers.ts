/**
 * Named optimisers, each a `chain` of the transformations of this module, with PyTorch's
 * semantics (the reference fixtures are torch's). Their state is the chain's tuple of
 * sub-states; its layout depends only on which features are on (e.g. momentum > 0).
 */
import { scaleByAdam } from './adam.js';
import { type AdamaxOptions, scaleByAdamax } from './adamax.js';
import { type LionOptions, scaleByLion } from './lion.js';
import { type NadamOptions, scaleByNadam } from './nadam.js';
import { type RadamOptions, scaleByRadam } from './radam.js';
import { chain, identity } from './chain.js';
import { type WeightDecayLike, addDecayedWeights } from './decay.js';
import { scaleByLarc } from './larc.js';
import { scaleByRms, scaleByRss } from './rms.js';
import { scaleByStddev } from './stddev.js';
import type { Mask } from './mask.js';
import { traceMomentum } from './momentum.js';
import { maximizing, scaleByLearningRate } from './scale.js';
import { checkHyper } from './moments.js';
import { scaleByTrustRatio } from './trust-ratio.js';
import { type ScheduleLike, makeSchedule, toSchedule } from './schedule.js';
import type { GradientTransformation } from './types.js';

/** torch's `betas`: `[b1, b2]` in one option (give it or `b1` / `b2`, not both). */
export interface TorchBetas {
  readonly betas?: readonly [number, number];
}

/** `b1`, `b2` from torch's `betas` or from the options themselves; both forms at once is an error. */
function resolveBetas(what: string, { b1, b2, betas }: { readonly b1?: number; readonly b2?: number } & TorchBetas): { b1?: number; b2?: number } {
  if (betas === undefined) return { b1, b2 };
  if (b1 !== undefined || b2 !== undefined) throw new Error(`${what}: give betas (torch's name) or b1 / b2, not both`);
  if (!Array.isArray(betas) || betas.length !== 2) throw new Error(`${what}: betas must be a pair [b1, b2], got ${JSON.stringify(betas)}`);
  return { b1: betas[0], b2: betas[1] };
}

/** The hyperparameters torch.optim refuses (`ValueError: Invalid ...`), checked where they are numbers (schedules and arrays are not). */
function checkTorchOptions(what: string, o: { readonly learningRate?: unknown; readonly momentum?: unknown; readonly weightDecay?: unknown; readonly eps?: unknown; readonly b1?: unknown; readonly b2?: unknown }): void {
  for (const name of ['learningRate', 'momentum', 'weightDecay', 'eps'] as const) {
    const x = o[name];
    if (typeof x === 'number') checkHyper(what, name, x, (v) => v >= 0, 'a finite number >= 0');
  }
  for (const name of ['b1', 'b2'] as const) {
    const x = o[name];
    if (typeof x === 'number') checkHyper(what, name, x, (v) => v >= 0 && v < 1, 'in [0, 1)');
  }
}

export interface SgdOptions {
  /** A number or a schedule of the step. */
  readonly learningRate: ScheduleLike;
  /** Default 0 (plain SGD, no momentum buffer in the state). */
  readonly momentum?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  readonly nesterov?: boolean;
  /** torch's `dampening`: `buf = m buf + (1 - dampening) d` after the first step (default 0). */
  readonly dampening?: number;
  /** torch's `weight_decay`: `wd * p` added to the gradient before momentum. Default 0. */
  readonly weightDecay?: number;
  /** Leaves that get weight decay (default all; e.g. `maskNoDecayOnBiasAndNorm`). */
  readonly weightDecayMask?: Mask;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

/**
 * torch.optim.SGD: `d = g + wd p` (`g` negated first with `maximize`); `buf = m buf + (1 - dampening) d`
 * (`buf = d` on the first step); `d = nesterov ? d + m buf : buf`; `p -= lr d`.
 * = `chain(addDecayedWeights(wd), traceMomentum(m, nesterov, dampening), scaleByLearningRate(lr))`.
 */
export function sgd({ learningRate, momentum = 0, nesterov = false, dampening = 0, weightDecay = 0, weightDecayMask, maximize = false }: SgdOptions): GradientTransformation {
  checkTorchOptions('sgd', { learningRate, momentum, weightDecay });
  if (nesterov && !(momentum > 0 && dampening === 0)) throw new Error('sgd: nesterov needs momentum > 0 and dampening 0 (as torch)');
  return maximizing(maximize, chain(
    addDecayedWeights(weightDecay, weightDecayMask),
    momentum > 0 ? traceMomentum(momentum, nesterov, dampening) : identity(),
    scaleByLearningRate(learningRate),
  ));
}

export interface AdamOptimizerOptions extends TorchBetas {
  readonly learningRate: ScheduleLike;
  readonly b1?: number;
  readonly b2?: number;
  readonly eps?: number;
  readonly epsRoot?: number;
  /** optax's `nesterov` (see `scaleByAdam`). Default false. */
  readonly nesterov?: boolean;
  /** torch's `amsgrad` (see `scaleByAdam`): the running maximum of the second moment. Default false. */
  readonly amsgrad?: boolean;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

export interface AdamWithL2Options extends AdamOptimizerOptions {
  /** torch.optim.Adam's `weight_decay`: L2, `wd * p` added to the gradient (default 0). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
}

/** torch.optim.Adam: `chain(addDecayedWeights(wd), scaleByAdam, scaleByLearningRate(lr))` (`amsgrad`, `maximize` as torch). */
export function adam({ learningRate, eps, epsRoot, nesterov, amsgrad, maximize = false, weightDecay = 0, weightDecayMask, ...betas }: AdamWithL2Options): GradientTransformation {
  const { b1, b2 } = resolveBetas('adam', betas);
  checkTorchOptions('adam', { learningRate, weightDecay, eps, b1, b2 });
  return maximizing(maximize, chain(addDecayedWeights(weightDecay, weightDecayMask), scaleByAdam({ b1, b2, eps, epsRoot, nesterov, amsgrad }), scaleByLearningRate(learningRate)));
}

export interface AdamWOptions extends AdamOptimizerOptions {
  /** Decoupled decay: `p -= lr * wd * p` each step (default 0.01, torch's default). */
  readonly weightDecay?: WeightDecayLike;
  /** Leaves that get decay (default all; e.g. `maskNoDecayOnBiasAndNorm`). */
  readonly mask?: Mask;
}

/**
 * torch.optim.AdamW: `p -= lr * (adam(g) + wd * p)`, the decay decoupled from the moments =
 * `chain(scaleByAdam, addDecayedWeights(wd, mask), scaleByLearningRate(lr))`.
 */
export function adamw({ learningRate, eps, epsRoot, nesterov, amsgrad, maximize = false, weightDecay = 0.01, mask, ...betas }: AdamWOptions): GradientTransformation {
  const { b1, b2 } = resolveBetas('adamw', betas);
  checkTorchOptions('adamw', { learningRate, weightDecay, eps, b1, b2 });
  return maximizing(maximize, chain(scaleByAdam({ b1, b2, eps, epsRoot, nesterov, amsgrad }), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate)));
}

export interface LarsOptions {
  readonly learningRate: ScheduleLike;
  /** SGD momentum (default 0.9, swav's). */
  readonly momentum?: number;
  readonly nesterov?: boolean;
  /** Folded into LARC's adapted gradient, not applied again by SGD (default 0). */
  readonly weightDecay?: number;
  /** Default 0.001 (swav). */
  readonly trustCoefficient?: number;
  /** Default 1e-8. */
  readonly eps?: number;
  /** LARC's clip mode, `ratio = min(ratio / lr, 1)` (default false, swav's). */
  readonly clip?: boolean;
  /** Leaves LARC applies to (default all, as swav); others take plain SGD with momentum. */
  readonly mask?: Mask;
}

/**
 * SGD with momentum wrapped in LARC, as facebookresearch/swav trains:
 * `chain(scaleByLarc({trust, wd, eps, clip}), traceMomentum(m), scaleByLearningRate(lr))`.
 */
export function lars({
  learningRate,
  momentum = 0.9,
  nesterov = false,
  weightDecay = 0,
  trustCoefficient = 0.001,
  eps = 1e-8,
  clip = false,
  mask,
}: LarsOptions): GradientTransformation {
  checkTorchOptions('lars', { learningRate, momentum, weightDecay, eps });
  if (nesterov && !(momentum > 0)) throw new Error('lars: nesterov needs momentum > 0');
  return chain(
    scaleByLarc({ trustCoefficient, weightDecay, eps, clip, learningRate, mask }),
    momentum > 0 ? traceMomentum(momentum, nesterov) : identity(),
    scaleByLearningRate(learningRate),
  );
}

export interface RmspropOptions {
  readonly learningRate: ScheduleLike;
  /** Decay of the squared-gradient average (default 0.99, torch's). */
  readonly alpha?: number;
  /** optax's name for `alpha` (give one of them; optax's default is 0.9). */
  readonly decay?: number;
  /** Added after the root (default 1e-8; inside it with `epsInSqrt`). */
  readonly eps?: number;
  /** L2: `wd * p` added to the gradient first (default 0). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
  /** Momentum on the scaled update (default 0: no buffer in the state). */
  readonly momentum?: number;
  /** Nesterov momentum, optax's `trace(momentum, nesterov)` (needs momentum > 0). Default false. */
  readonly nesterov?: boolean;
  /** Divide by the gradients' estimated standard deviation instead of their RMS (default false). */
  readonly centered?: boolean;
  /** optax's `initial_scale`: the starting second moment (default 0). */
  readonly initialScale?: number;
  /** optax's `eps_in_sqrt`: `g / sqrt(nu + eps)` (optax's default true; here false, torch's). */
  readonly epsInSqrt?: boolean;
  /** optax's `bias_correction`: divide the averages by `1 - decay^t` (default false). */
  readonly biasCorrection?: boolean;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

/**
 * torch.optim.RMSprop: `d = g + wd p`; `d = d / (sqrt(avg(d^2) [- avg(d)^2]) + eps)`; momentum
 * `buf = m buf + d`; `p -= lr buf` = `chain(addDecayedWeights(wd), scaleByRms, traceMomentum(m), scaleByLearningRate(lr))`.
 * optax's options (`decay`, `initialScale`, `epsInSqrt`, `biasCorrection`, `nesterov`) are taken
 * too; `centered` with any of the first three is optax's `scaleByStddev`. optax.rmsprop(lr) is
 * `rmsprop({ learningRate, decay: 0.9, epsInSqrt: true })`.
 * @example const opt = optim.rmsprop({ learningRate: 1e-3, momentum: 0.9, centered: true });
 */
export function rmsprop({
  learningRate,
  alpha,
  decay,
  eps = 1e-8,
  weightDecay = 0,
  weightDecayMask,
  momentum = 0,
  nesterov = false,
  centered = false,
  initialScale = 0,
  epsInSqrt = false,
  biasCorrection = false,
  maximize = false,
}: RmspropOptions): GradientTransformation {
  checkTorchOptions('rmsprop', { learningRate, momentum, weightDecay, eps });
  if (alpha !== undefined && decay !== undefined) throw new Error('rmsprop: give alpha (torch\'s name) or decay (optax\'s), not both');
  if (nesterov && !(momentum > 0)) throw new Error('rmsprop: nesterov needs momentum > 0');
  const rate = alpha ?? decay ?? 0.99;
  const optaxOptions = initialScale !== 0 || epsInSqrt || biasCorrection;
  const scaling = centered && optaxOptions
    ? scaleByStddev({ decay: rate, eps, initialScale, epsInSqrt, biasCorrection })
    : scaleByRms({ decay: rate, eps, centered, initialScale, epsInSqrt, biasCorrection });
  return maximizing(maximize, chain(
    addDecayedWeights(weightDecay, weightDecayMask),
    scaling,
    momentum > 0 ? traceMomentum(momentum, nesterov) : identity(),
    scaleByLearningRate(learningRate),
  ));
}

export interface AdagradOptions {
  readonly learningRate: ScheduleLike;
  /** torch's `lr_decay`: the step-t learning rate is `lr / (1 + (t - 1) lrDecay)` (default 0). */
  readonly lrDecay?: number;
  /** L2: `wd * p` added to the gradient first (default 0). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
  /** Starting sum of squares (default 0). */
  readonly initialAccumulatorValue?: number;
  /** Added after the root (default 1e-10). */
  readonly eps?: number;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

/**
 * torch.optim.Adagrad: `d = g + wd p`; `s += d^2`; `p -= lr_t d / (sqrt(s) + eps)` with
 * `lr_t = lr / (1 + (t - 1) lrDecay)` = `chain(addDecayedWeights(wd), scaleByRss, scaleByLearningRate(lr_t))`.
 */
export function adagrad({ learningRate, lrDecay = 0, weightDecay = 0, weightDecayMask, initialAccumulatorValue = 0, eps = 1e-10, maximize = false }: AdagradOptions): GradientTransformation {
  checkTorchOptions('adagrad', { learningRate, weightDecay, eps });
  if (!(lrDecay >= 0)) throw new Error(`adagrad: lrDecay must be >= 0, got ${lrDecay}`);
  const base = toSchedule(learningRate);
  // The learning-rate transformation's count starts at 0 on the first step: torch's t - 1.
  const lr = lrDecay === 0 ? learningRate : makeSchedule((m, step) => m.div(base.formula(m, step), m.add(1, m.mul(step, lrDecay))));
  return maximizing(maximize, chain(addDecayedWeights(weightDecay, weightDecayMask), scaleByRss({ initialAccumulatorValue, eps }), scaleByLearningRate(lr)));
}

/** The options every torch-style Adam variant below shares: learning rate, L2 weight decay, torch's `betas` and `maximize`. */
interface WithL2 extends TorchBetas {
  readonly learningRate: ScheduleLike;
  /** torch's `weight_decay`: L2, `wd * p` added to the gradient first (default 0). */
  readonly weightDecay?: number;
  readonly weightDecayMask?: Mask;
  /** torch's `maximize`: climb the objective (the gradients are negated first). Default false. */
  readonly maximize?: boolean;
}

export type AdamaxOptimizerOptions = AdamaxOptions & WithL2;

/**
 * torch.optim.Adamax (default lr 2e-3 there): `chain(addDecayedWeights(wd), scaleByAdamax, scaleByLearningRate(lr))`.
 * @example const opt = optim.adamax({ learningRate: 2e-3 });
 */
export function adamax({ learningRate, weightDecay = 0, weightDecayMask, maximize = false, betas, ...rest }: AdamaxOptimizerOptions): GradientTransformation {
  const bs = resolveBetas('adamax', { b1: rest.b1, b2: rest.b2, betas });
  checkTorchOptions('adamax', { learningRate, weightDecay, eps: rest.eps, ...bs });
  return maximizing(maximize, chain(addDecayedWeights(weightDecay, weightDecayMask), scaleByAdamax({ ...rest, ...bs }), scaleByLearningRate(learningRate)));
}

export type NadamOptimizerOptions = NadamOptions & WithL2;

/** torch.optim.NAdam (1.13, L2 decay): `chain(addDecayedWeights(wd), scaleByNadam, scaleByLearningRate(lr))`. */
export function nadam({ learningRate, weightDecay = 0, weightDecayMask, maximize = false, betas, ...rest }: NadamOptimizerOptions): GradientTransformation {
  const bs = resolveBetas('nadam', { b1: rest.b1, b2: rest.b2, betas });
  checkTorchOptions('nadam', { learningRate, weightDecay, eps: rest.eps, ...bs });
  return maximizing(maximize, chain(addDecayedWeights(weightDecay, weightDecayMask), scaleByNadam({ ...rest, ...bs }), scaleByLearningRate(learningRate)));
}

export type RadamOptimizerOptions = RadamOptions & WithL2;

/** torch.optim.RAdam (1.13, L2 decay): `chain(addDecayedWeights(wd), scaleByRadam, scaleByLearningRate(lr))`. */
export function radam({ learningRate, weightDecay = 0, weightDecayMask, maximize = false, betas, ...rest }: RadamOptimizerOptions): GradientTransformation {
  const bs = resolveBetas('radam', { b1: rest.b1, b2: rest.b2, betas });
  checkTorchOptions('radam', { learningRate, weightDecay, eps: rest.eps, ...bs });
  return maximizing(maximize, chain(addDecayedWeights(weightDecay, weightDecayMask), scaleByRadam({ ...rest, ...bs }), scaleByLearningRate(learningRate)));
}

export interface LionOptimizerOptions extends LionOptions {
  readonly learningRate: ScheduleLike;
  /** Decoupled decay: `p -= lr * wd * p` each step (default 1e-3, optax's). */
  readonly weightDecay?: WeightDecayLike;
  /** Leaves that get decay (default all). */
  readonly mask?: Mask;
}

/**
 * optax.lion: `chain(scaleByLion(b1, b2), addDecayedWeights(wd, mask), scaleByLearningRate(lr))`;
 * its updates are signs, so its learning rate is usually 3-10x below AdamW's.
 */
export function lion({ learningRate, b1, b2, mode, smoothBeta, weightDecay = 1e-3, mask }: LionOptimizerOptions): GradientTransformation {
  return chain(scaleByLion({ b1, b2, mode, smoothBeta }), addDecayedWeights(weightDecay, mask), scaleByLearningRate(learningRate));
}

/** optax's lamb has no `nesterov`: it is not an option here (passing it throws). */
export interface LambOptions extends Omit<AdamOptimizerOptions, 'nesterov' | 'amsgrad' | 'maximize' | 'betas'> {
  /** Decoupled decay, inside the trust ratio (default 0, optax's). */
  readonly weightDecay?: WeightDecayLike;
  /** Leaves that get decay (default all). */
  readonly mask?: Mask;
}

/**
 * optax.lamb (You et al. 2020): `chain(scaleByAdam({b1, b2, eps = 1e-6, epsRoot}),
 * addDecayedWeights(wd, mask), scaleByTrustRatio(), scaleByLearningRate(lr))`: Adam whose step
 * per leaf is rescaled to the parameter's norm, for large-batch training.
 */
export function lamb(options: LambOptions): GradientTransformation {
  if ((options as { readonly nesterov?: unknown }).nesterov !== undefined) throw new Error("lamb: nesterov is not an option (optax's lamb has none); use adamw({ nesterov: true }) for Nesterov Adam");
  const { learningRate, b1, b2, eps = 1e-6, epsRoot, weightDecay = 0, mask } = options;
  return chain(scaleByAdam({ b1, b2, eps, epsRoot }), addDecayedWeights(weightDecay, mask), scaleByTrustRatio(), scaleByLearningRate(learningRate));
}
