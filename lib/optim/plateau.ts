/**
 * Reducing the learning rate when a monitored value stops improving:
 * - `reduceOnPlateau`: optax.contrib's `reduce_on_plateau`, a transformation that scales the
 *   updates and reads the loss as the extra argument `{ value }` (jit-safe; state of arrays);
 * - `reduceLROnPlateau`: torch's `ReduceLROnPlateau`, pure functions over a state of JS numbers,
 *   for a loop that feeds it a metric (e.g. a validation loss) once per epoch.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { lossValue } from './polyak.js';
import { treeScale } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { incrementCount } from './util.js';

export interface ReduceOnPlateauOptions {
  /** The scale is multiplied by it on a plateau, in (0, 1) (default 0.1). */
  readonly factor?: number;
  /** Evaluations with no improvement after which the scale is reduced (default 10). */
  readonly patience?: number;
  /** Relative tolerance: better means `value < (1 − rtol) best − atol` (default 1e-4). */
  readonly rtol?: number;
  /** Absolute tolerance (default 0). */
  readonly atol?: number;
  /** Evaluations after a reduction during which plateaus are not counted (default 0). */
  readonly cooldown?: number;
  /** Values averaged into one evaluation (default 1: every update). */
  readonly accumulationSize?: number;
  /** The scale does not go below it (default 0). */
  readonly minScale?: number;
}

/** optax's `ReduceLROnPlateauState`: scalar arrays (float32, counters int32). */
export interface ReduceOnPlateauState {
  readonly scale: NdArray;
  readonly bestValue: NdArray;
  readonly plateauCount: NdArray;
  readonly cooldownCount: NdArray;
  readonly count: NdArray;
  readonly avgValue: NdArray;
}

function checkPlateauOptions({ factor, patience, rtol, atol, cooldown, accumulationSize, minScale }: Required<ReduceOnPlateauOptions>): void {
  if (!(factor > 0 && factor < 1)) throw new Error(`reduceOnPlateau: factor must be in (0, 1), got ${factor}`);
  if (!(rtol >= 0 && atol >= 0)) throw new Error(`reduceOnPlateau: rtol and atol must be >= 0, got rtol ${rtol} and atol ${atol}`);
  if (rtol === 0 && atol === 0) throw new Error('reduceOnPlateau: at least one of rtol and atol must be > 0');
  if (rtol > 1) throw new Error(`reduceOnPlateau: rtol must be <= 1, got ${rtol}`);
  for (const [k, v, min] of [['patience', patience, 0], ['cooldown', cooldown, 0], ['accumulationSize', accumulationSize, 1]] as const)
    if (!Number.isInteger(v) || v < min) throw new Error(`reduceOnPlateau: ${k} must be an integer >= ${min}, got ${v}`);
  if (!Number.isFinite(minScale)) throw new Error(`reduceOnPlateau: minScale must be a finite number, got ${minScale}`);
}

/** One evaluation of optax's plateau logic on the accumulated average. */
function evaluatePlateau(s: ReduceOnPlateauState, o: Required<ReduceOnPlateauOptions>): ReduceOnPlateauState {
  const improved = np.less(s.avgValue, np.sub(np.mul(1 - o.rtol, s.bestValue), o.atol));
  const plateau = np.where(improved, 0, incrementCount(s.plateauCount));
  const cooling = np.greater(s.cooldownCount, 0);
  const hit = np.equal(plateau, o.patience);
  const reduced = np.maximum(np.where(hit, np.mul(s.scale, o.factor), s.scale), o.minScale);
  return {
    scale: np.where(cooling, s.scale, reduced),
    bestValue: np.where(improved, s.avgValue, s.bestValue),
    plateauCount: np.where(np.logicalOr(cooling, hit), 0, plateau),
    cooldownCount: np.where(cooling, np.sub(s.cooldownCount, 1), np.where(hit, o.cooldown, 0)),
    count: np.zeros([], 'int32'),
    avgValue: np.zeros([]),
  };
}

/**
 * optax.contrib's `reduce_on_plateau`: multiplies the updates by a scale that is cut by `factor`
 * when the average of `accumulationSize` loss values has not improved for `patience` evaluations.
 * Pass the loss to every update: `update(updates, state, params, { value: loss })`. Put it after
 * the optimiser: `chain(adam({ learningRate }), reduceOnPlateau({ patience: 5 }))`.
 */
export function reduceOnPlateau({ factor = 0.1, patience = 10, rtol = 1e-4, atol = 0, cooldown = 0, accumulationSize = 1, minScale = 0 }: ReduceOnPlateauOptions = {}): GradientTransformation<ReduceOnPlateauState> {
  const o: Required<ReduceOnPlateauOptions> = { factor, patience, rtol, atol, cooldown, accumulationSize, minScale };
  checkPlateauOptions(o);
  return {
    init: () => ({
      scale: np.ones([]),
      bestValue: np.full([], Infinity),
      plateauCount: np.zeros([], 'int32'),
      cooldownCount: np.zeros([], 'int32'),
      count: np.zeros([], 'int32'),
      avgValue: np.zeros([]),
    }),
    update(updates, state, _params, extra) {
      const value = np.asarray(lossValue(extra, 'reduceOnPlateau'), 'float32');
      const count = incrementCount(state.count);
      const avgValue = np.div(np.add(np.mul(np.cast(state.count, 'float32'), state.avgValue), value), np.cast(count, 'float32'));
      const accumulated: ReduceOnPlateauState = { ...state, count, avgValue };
      const evaluated = evaluatePlateau(accumulated, o);
      const due = np.equal(count, o.accumulationSize);
      const next = Object.fromEntries(
        (Object.keys(accumulated) as (keyof ReduceOnPlateauState)[]).map((k) => [k, np.where(due, evaluated[k], accumulated[k])]),
      ) as unknown as ReduceOnPlateauState;
      return [treeScale(next.scale, updates), next];
    },
  };
}

export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): lower is better; `'max'`: higher is better. */
  readonly mode?: 'min' | 'max';
  /** The lr is multiplied by it, < 1 (default 0.1). */
  readonly factor?: number;
  /** Bad steps tolerated: the lr is cut on the `patience + 1`-th in a row (default 10). */
  readonly patience?: number;
  /** How much better counts as better (default 1e-4). */
  readonly threshold?: number;
  /** `'rel'` (default): better than `best (1 ∓ threshold)`; `'abs'`: than `best ∓ threshold`. */
  readonly thresholdMode?: 'rel' | 'abs';
  /** Steps after a cut during which bad steps are not counted (default 0). */
  readonly cooldown?: number;
  /** The lr does not go below it (default 0). */
  readonly minLr?: number;
  /** A cut smaller than this is not made (default 1e-8). */
  readonly eps?: number;
}

/** torch's ReduceLROnPlateau state, as plain numbers (JSON-serialisable, like torch's `state_dict`). */
export interface ReduceLROnPlateauState {
  readonly lr: number;
  readonly best: number;
  readonly numBadEpochs: number;
  readonly cooldownCounter: number;
  readonly lastEpoch: number;
}

/** torch's `ReduceLROnPlateau` as two pure functions: `init(lr)` and `step(state, metric)`. */
export interface ReduceLROnPlateau {
  init(learningRate: number): ReduceLROnPlateauState;
  /** The state after one `scheduler.step(metric)`; `metric` a number or a scalar array (read with `dataSync`). */
  step(state: ReduceLROnPlateauState, metric: number | NdArray): ReduceLROnPlateauState;
}

function readMetric(metric: number | NdArray): number {
  if (typeof metric === 'number') return metric;
  if (metric.size !== 1) throw new Error(`reduceLROnPlateau: the metric must be a number or a one-element array, got shape [${metric.shape.join(', ')}]`);
  return metric.dataSync()[0];
}

/**
 * torch's `ReduceLROnPlateau`: the lr is multiplied by `factor` (down to `minLr`) when the metric
 * has not improved for more than `patience` steps. Feed the new lr to the optimiser, e.g. through
 * `injectHyperparams` (`state.hyperparams.learningRate`), so a jitted step is not retraced.
 * @example const p = reduceLROnPlateau({ patience: 2 }); let s = p.init(0.1); s = p.step(s, valLoss); s.lr
 */
export function reduceLROnPlateau(options: ReduceLROnPlateauOptions = {}): ReduceLROnPlateau {
  const { mode = 'min', factor = 0.1, patience = 10, threshold = 1e-4, thresholdMode = 'rel', cooldown = 0, minLr = 0, eps = 1e-8 } = options;
  if (mode !== 'min' && mode !== 'max') throw new Error(`reduceLROnPlateau: mode must be 'min' or 'max', got ${String(mode)}`);
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs') throw new Error(`reduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got ${String(thresholdMode)}`);
  if (!(factor < 1)) throw new Error(`reduceLROnPlateau: factor must be < 1, got ${factor}`);
  for (const [k, v] of [['patience', patience], ['cooldown', cooldown]] as const)
    if (!Number.isInteger(v) || v < 0) throw new Error(`reduceLROnPlateau: ${k} must be an integer >= 0, got ${v}`);
  const isBetter = (a: number, best: number): boolean => {
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  };
  return {
    init: (lr) => ({ lr, best: mode === 'min' ? Infinity : -Infinity, numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0 }),
    step(state, metric) {
      const current = readMetric(metric);
      const better = isBetter(current, state.best);
      const best = better ? current : state.best;
      const cooling = state.cooldownCounter > 0;
      const bad = cooling ? 0 : better ? 0 : state.numBadEpochs + 1;
      const cooldownCounter = cooling ? state.cooldownCounter - 1 : state.cooldownCounter;
      const base = { best, lastEpoch: state.lastEpoch + 1 };
      if (bad <= patience) return { ...base, lr: state.lr, numBadEpochs: bad, cooldownCounter };
      const cut = Math.max(state.lr * factor, minLr);
      return { ...base, lr: state.lr - cut > eps ? cut : state.lr, numBadEpochs: 0, cooldownCounter: cooldown };
    },
  };
}
