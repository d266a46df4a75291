/**
 * MoMo (Schaipp et al. 2023; optax `contrib/_momo.py`): momentum methods whose step size is a
 * Polyak-type model of the loss, capped by the learning rate. `update` needs the parameters
 * and the loss, `update(grads, state, params, { value: loss })`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { checkHyper } from './moments.js';
import { FLOAT_EPS, lossValue } from './polyak.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import { treeVdot } from './tree-utils.js';
import type { ExtraArgs, GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

/** The state of {@link momo} (optax's `MomoState`). */
export interface MomoState {
  /** The running mean of the gradients. */
  readonly expAvg: unknown;
  /** float32 []: the running mean of the loss values. */
  readonly barf: NdArray;
  /** float32 []: the running mean of `<g, x>`. */
  readonly gamma: NdArray;
  /** float32 []: the lower bound of the loss (adapted with `adaptLowerBound`). */
  readonly lb: NdArray;
  /** int32 []. */
  readonly count: NdArray;
}

/** The state of {@link momoAdam} (optax's `MomoAdamState`). */
export interface MomoAdamState extends MomoState {
  /** The running mean of the squared gradients. */
  readonly expAvgSq: unknown;
}

interface MomoCommon {
  /** Default 0: a lower bound of the loss. */
  readonly lowerBound?: number;
  /** Decoupled decay (default 0), applied as `−αwd/(1 + αwd) · p`. */
  readonly weightDecay?: number;
  /** Raise the lower bound from the model's estimate each step (default false). */
  readonly adaptLowerBound?: boolean;
}

export interface MomoOptions extends MomoCommon {
  /** The step-size cap α: a number or a schedule (default 1). */
  readonly learningRate?: ScheduleLike;
  /** Momentum (default 0.9; 0 at the first step). */
  readonly beta?: number;
}

export interface MomoAdamOptions extends MomoCommon {
  /** The step-size cap α: a number or a schedule (default 0.01). */
  readonly learningRate?: ScheduleLike;
  /** Default 0.9. */
  readonly b1?: number;
  /** Default 0.999. */
  readonly b2?: number;
  /** Default 1e-8. */
  readonly eps?: number;
}

/** The shared step of momo and momoAdam: `direction = expAvg / precond`, `bc1` momoAdam's first-moment correction (1 for momo). */
interface MomoStep {
  readonly alpha: NdArray;
  readonly barf: NdArray;
  readonly gamma: NdArray;
  readonly expAvg: unknown;
  readonly direction: unknown;
  readonly bc1: NdArray | number;
}

function momoUpdate<U>(s: MomoStep, params: U, lb: NdArray, { lowerBound = 0, weightDecay = 0, adaptLowerBound = false }: MomoCommon): [U, NdArray] {
  const norm = treeVdot(s.expAvg, s.direction);
  const iprod = treeVdot(s.expAvg, params);
  const decay = np.add(1, np.mul(s.alpha, weightDecay));
  let thisLb = lb;
  if (adaptLowerBound) {
    const cap = np.add(np.mul(decay, np.sub(s.barf, s.gamma)), iprod);
    const raised = np.maximum(np.div(cap, np.mul(np.mul(2, s.bc1), decay)), lowerBound);
    thisLb = np.where(np.less(cap, np.mul(np.mul(decay, s.bc1), lb)), raised, lb);
  }
  const model = np.add(np.mul(decay, np.sub(np.sub(s.barf, np.mul(s.bc1, thisLb)), s.gamma)), iprod);
  const t1 = np.where(np.lessEqual(norm, FLOAT_EPS), 0, np.div(np.maximum(model, 0), norm));
  const tau = np.minimum(np.div(s.alpha, s.bc1), t1);
  const shrink = np.div(np.mul(s.alpha, weightDecay), decay);
  const out = tree.map<U>((d: NdArray, x: NdArray) => np.sub(np.neg(np.mul(shrink, x)), np.mul(tau, d)), s.direction, params);
  if (!adaptLowerBound) return [out, copyTree(lb)];
  const estimate = np.div(np.sub(np.sub(np.add(s.barf, iprod), s.gamma), np.mul(0.5, np.mul(tau, norm))), s.bc1);
  return [out, np.maximum(estimate, lowerBound)];
}

/** The loss (`extra.value`) as a float32 array. */
function lossArray(extra: ExtraArgs | undefined, what: string): NdArray {
  const v = lossValue(extra, what);
  return typeof v === 'number' ? np.array(v, 'float32') : np.cast(v, 'float32');
}

const ema = (b: NdArray | number, old: NdArray, x: NdArray | number): NdArray => np.add(np.mul(b, old), np.mul(np.sub(1, b), x));

/**
 * optax.contrib.momo: with momentum `β_t` (0 at the first step), `d = EMA(g)`, `f̄ = EMA(loss)`,
 * `γ = EMA(<g, x>)`, the step `τ = min(α, max((1 + αwd)(f̄ − lb − γ) + <d, x>, 0) / ‖d‖²)` and
 * the update `−αwd/(1 + αwd) x − τ d`.
 * @example const [u, s] = momo().update(grads, state, params, { value: loss });
 */
export function momo({ learningRate = 1, beta = 0.9, lowerBound = 0, weightDecay = 0, adaptLowerBound = false }: MomoOptions = {}): GradientTransformation<MomoState> {
  checkHyper('momo', 'beta', beta, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const lrAt = toSchedule(learningRate);
  return {
    init: (params) => ({ expAvg: zerosLikeTree(params), barf: np.zeros([]), gamma: np.zeros([]), lb: np.array(lowerBound, 'float32'), count: initCount() }),
    update(updates, state, params, extra) {
      const p = requireParams(params, 'momo');
      const bt = np.where(np.equal(state.count, 0), 0, beta);
      const barf = ema(bt, state.barf, lossArray(extra, 'momo'));
      const expAvg = tree.map((m: NdArray, g: NdArray) => ema(bt, m, g), state.expAvg, updates);
      const gamma = ema(bt, state.gamma, treeVdot(updates, p));
      const step: MomoStep = { alpha: lrAt(state.count), barf, gamma, expAvg, direction: expAvg, bc1: 1 };
      const [out, lb] = momoUpdate(step, p, state.lb, { lowerBound, weightDecay, adaptLowerBound });
      return [out, { expAvg, barf, gamma, lb, count: incrementCount(state.count) }];
    },
  };
}

/**
 * optax.contrib.momo_adam: momo with Adam's preconditioner `P = eps + sqrt(v / (1 − b2^t))`, the
 * direction `d / P`, `‖d‖²` replaced by `<d, d / P>` and the bound corrected by `1 − b1^t`.
 * @example const [u, s] = momoAdam({ learningRate: 1e-2 }).update(grads, state, params, { value: loss });
 */
export function momoAdam({ learningRate = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, lowerBound = 0, weightDecay = 0, adaptLowerBound = false }: MomoAdamOptions = {}): GradientTransformation<MomoAdamState> {
  checkHyper('momoAdam', 'b1', b1, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkHyper('momoAdam', 'b2', b2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  const lrAt = toSchedule(learningRate);
  return {
    init: (params) => ({
      expAvg: zerosLikeTree(params),
      expAvgSq: zerosLikeTree(params),
      barf: np.zeros([]),
      gamma: np.zeros([]),
      lb: np.array(lowerBound, 'float32'),
      count: initCount(),
    }),
    update(updates, state, params, extra) {
      const p = requireParams(params, 'momoAdam');
      const count = incrementCount(state.count);
      const t = np.cast(count, 'float32');
      const barf = ema(b1, state.barf, lossArray(extra, 'momoAdam'));
      const expAvg = tree.map((m: NdArray, g: NdArray) => ema(b1, m, g), state.expAvg, updates);
      const expAvgSq = tree.map((v: NdArray, g: NdArray) => ema(b2, v, np.square(g)), state.expAvgSq, updates);
      const bc2 = np.sub(1, np.pow(b2, t));
      const direction = tree.map((m: NdArray, v: NdArray) => np.div(m, np.add(eps, np.sqrt(np.div(v, bc2)))), expAvg, expAvgSq);
      const gamma = ema(b1, state.gamma, treeVdot(updates, p));
      const step: MomoStep = { alpha: lrAt(state.count), barf, gamma, expAvg, direction, bc1: np.sub(1, np.pow(b1, t)) };
      const [out, lb] = momoUpdate(step, p, state.lb, { lowerBound, weightDecay, adaptLowerBound });
      return [out, { expAvg, expAvgSq, barf, gamma, lb, count }];
    },
  };
}
