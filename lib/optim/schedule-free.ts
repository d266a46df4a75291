/**
 * Schedule-free optimisation (Defazio et al. 2024; optax `contrib/_schedule_free.py`): the base
 * optimiser steps a sequence `z`, the parameters `y` given to the gradient are an interpolation
 * of `z` and a running weighted average `x`, and `x` (what to evaluate) is read back with
 * {@link scheduleFreeEvalParams}.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights } from './decay.js';
import { checkHyper, type Hyper, oneMinus } from './moments.js';
import { sgd } from './optimizers.js';
import { scaleByRms } from './rms.js';
import { scaleByLearningRate } from './scale.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import { warmupConstant } from './schedules.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, requireParams } from './util.js';

/** The state of {@link scheduleFree} (optax's `ScheduleFreeState`). */
export interface ScheduleFreeState<S> {
  /** float32 []: the interpolation weight `b1`. */
  readonly b1: NdArray;
  /** float32 []: the sum of the averaging weights `max_lr^weightLrPower` so far. */
  readonly weightSum: NdArray;
  /** int32 []: starts at 1 (the learning-rate schedule is read at it). */
  readonly stepCount: NdArray;
  /** float32 []: the largest learning rate seen. */
  readonly maxLr: NdArray;
  readonly baseOptimizerState: S;
  /** The base optimiser's iterate, shaped like the parameters. */
  readonly z: unknown;
}

export interface ScheduleFreeOptions {
  /** The base optimiser's learning rate (a number or a schedule, read at `stepCount`). */
  readonly learningRate: ScheduleLike;
  /** Interpolation between `x` and `z` (default 0.9). */
  readonly b1?: Hyper;
  /** The averaging weight of a step is `maxLr^weightLrPower` (default 2). */
  readonly weightLrPower?: Hyper;
}

/**
 * Wraps `base` (which includes the learning rate and its sign, e.g. `sgd`) in schedule-free
 * averaging (optax's `schedule_free`): `z += base(g)`, `x = (1 − c) x + c z` with
 * `c = lr_max^p / Σ lr_max^p`, and the parameters become `b1 x + (1 − b1) z`. `update` needs the
 * parameters; the updates it returns are `new params − params`.
 * @example const opt = scheduleFree(sgd({ learningRate: 1 }), { learningRate: 1 });
 */
export function scheduleFree<S>(base: GradientTransformation<S>, { learningRate, b1 = 0.9, weightLrPower = 2 }: ScheduleFreeOptions): GradientTransformation<ScheduleFreeState<S>> {
  checkHyper('scheduleFree', 'b1', b1, (v) => v > 0 && v <= 1, 'in (0, 1]');
  const lrAt = toSchedule(learningRate);
  return {
    init: (params) => ({
      b1: np.asarray(b1, 'float32'),
      weightSum: np.zeros([]),
      stepCount: np.ones([], 'int32'),
      maxLr: np.zeros([]),
      baseOptimizerState: base.init(params),
      z: copyTree(params),
    }),
    update(grads, state, params, extra) {
      type U = typeof grads;
      const y = requireParams(params, 'scheduleFree');
      const maxLr = np.maximum(state.maxLr, lrAt(state.stepCount));
      const weight = np.pow(maxLr, weightLrPower);
      const weightSum = np.add(state.weightSum, weight);
      // optax: NaN when either is NaN, else weight / total with 0 / 0 read as 0.
      const ck = np.where(np.logicalOr(np.isnan(weight), np.isnan(weightSum)), NaN, np.nanToNum(np.div(weight, weightSum), { nan: 0, posinf: Infinity }));
      const [baseUpdates, baseOptimizerState] = base.update(grads, state.baseOptimizerState, params, extra);
      const z = tree.map<U>((zi: NdArray, u: NdArray) => np.add(zi, u), state.z, baseUpdates);
      const out = tree.map<U>((yi: NdArray, zOld: NdArray, zi: NdArray) => {
        const prevX = np.div(np.sub(yi, np.mul(oneMinus(b1), zOld)), b1);
        const x = np.add(np.mul(np.sub(1, ck), prevX), np.mul(ck, zi));
        return np.sub(np.add(np.mul(b1, x), np.mul(oneMinus(b1), zi)), yi);
      }, y, state.z, z);
      return [out, { b1: state.b1, weightSum, stepCount: incrementCount(state.stepCount), maxLr, baseOptimizerState, z }];
    },
  };
}

/**
 * The averaged iterate `x = (y − (1 − b1) z) / b1` to evaluate the model at (optax's
 * `schedule_free_eval_params`), from the state and the training parameters `y`.
 */
export function scheduleFreeEvalParams<P>(state: { readonly b1: NdArray; readonly z: unknown }, params: P): P {
  if (state === null || typeof state !== 'object' || !('b1' in state) || !('z' in state))
    throw new Error('scheduleFreeEvalParams: the state must be a scheduleFree state (with b1 and z)');
  return tree.map<P>((yi: NdArray, zi: NdArray) => np.div(np.sub(yi, np.mul(np.sub(1, state.b1), zi)), state.b1), params, state.z);
}

interface ScheduleFreeCommon {
  /** Linear warm-up from 0 over this many steps (optax's `warmup_constant_schedule`). */
  readonly warmupSteps?: number;
  readonly b1?: Hyper;
  readonly weightLrPower?: Hyper;
}

const withWarmup = (learningRate: number, warmupSteps: number | undefined): ScheduleLike =>
  warmupSteps === undefined ? learningRate : warmupConstant({ init: 0, peak: learningRate, warmupSteps });

export interface ScheduleFreeSgdOptions extends ScheduleFreeCommon {
  /** Default 1. */
  readonly learningRate?: number;
  /** L2 decay `wd · p` added to the gradient (default none). */
  readonly weightDecay?: number;
}

/** optax.contrib.schedule_free_sgd: `scheduleFree(chain([addDecayedWeights], sgd(lr)))`. */
export function scheduleFreeSgd({ learningRate = 1, warmupSteps, b1, weightLrPower, weightDecay }: ScheduleFreeSgdOptions = {}): GradientTransformation {
  const lr = withWarmup(learningRate, warmupSteps);
  const base = weightDecay === undefined ? sgd({ learningRate: lr }) : chain(addDecayedWeights(weightDecay), sgd({ learningRate: lr }));
  return scheduleFree(base, { learningRate: lr, b1, weightLrPower });
}

export interface ScheduleFreeAdamwOptions extends ScheduleFreeCommon {
  /** Default 0.0025. */
  readonly learningRate?: number;
  /** Default 0.999. */
  readonly b2?: number;
  /** Default 1e-8. */
  readonly eps?: number;
  /** Decoupled decay (default 0). */
  readonly weightDecay?: number;
}

/**
 * optax.contrib.schedule_free_adamw: `scheduleFree(chain(scaleByRms({decay: b2, eps,
 * biasCorrection: true}), addDecayedWeights(wd), scaleByLearningRate(lr)))`.
 * @example const opt = scheduleFreeAdamw({ learningRate: 1e-3, warmupSteps: 100 });
 */
export function scheduleFreeAdamw({ learningRate = 0.0025, warmupSteps, b1, b2 = 0.999, eps = 1e-8, weightDecay = 0, weightLrPower }: ScheduleFreeAdamwOptions = {}): GradientTransformation {
  const lr = withWarmup(learningRate, warmupSteps);
  const base = chain(scaleByRms({ decay: b2, eps, biasCorrection: true }), addDecayedWeights(weightDecay), scaleByLearningRate(lr));
  return scheduleFree(base, { learningRate: lr, b1, weightLrPower });
}
