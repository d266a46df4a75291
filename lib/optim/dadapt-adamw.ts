/**
 * D-Adaptation AdamW (Defazio & Mishchenko 2023; optax `contrib/_dadapt_adamw.py`): AdamW whose
 * base step `d` (`estimLr`) is learnt as a lower bound of the distance to the solution, so the
 * learning rate stays a schedule around 1. The update is already negated (add it to the parameters).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { checkHyper } from './moments.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import { treeSum, treeVdot } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

/** The state of {@link dadaptAdamw} (optax's `DAdaptAdamWState`). */
export interface DAdaptAdamWState {
  readonly expAvg: unknown;
  readonly expAvgSq: unknown;
  /** The `sqrt(b2)`-weighted sum of `dlr · g`. */
  readonly gradSum: unknown;
  /** float32 []: the step estimate `d` (starts at `estimLr0`). */
  readonly estimLr: NdArray;
  readonly numeratorWeighted: NdArray;
  /** int32 []. */
  readonly count: NdArray;
}

export interface DAdaptAdamWOptions {
  /** A schedule around 1 (default 1), read at the step count from 0. */
  readonly learningRate?: ScheduleLike;
  /** AdamW's `[b1, b2]` (default [0.9, 0.999]). */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
  /** The initial under-estimate of `d` (default 1e-6). */
  readonly estimLr0?: number;
  /** AdamW-style decay `wd · dlr · p` (default 0). */
  readonly weightDecay?: number;
}

/**
 * optax.contrib.dadapt_adamw: `dlr = d · lr · sqrt(1 − b2^t) / (1 − b1^t)`; `m = b1 m + (1 − b1) dlr g`,
 * `v = b2 v + (1 − b2) g²`, `s = √b2 s + (1 − √b2) dlr g`, `r = √b2 r + (1 − √b2) dlr <g, s_old / (sqrt(v_old) + eps)>`,
 * `d ← max(d, r / ((1 − √b2) ‖s‖₁))`, update `−wd · dlr · p − m / (sqrt(v) + eps)`. `update` needs the parameters.
 * @example const opt = optim.dadaptAdamw({ learningRate: optim.cosineDecay({ init: 1, decaySteps: 1000 }) });
 */
export function dadaptAdamw({ learningRate = 1, betas = [0.9, 0.999], eps = 1e-8, estimLr0 = 1e-6, weightDecay = 0 }: DAdaptAdamWOptions = {}): GradientTransformation<DAdaptAdamWState> {
  const [beta1, beta2] = betas;
  checkHyper('dadaptAdamw', 'betas[0]', beta1, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkHyper('dadaptAdamw', 'betas[1]', beta2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkHyper('dadaptAdamw', 'estimLr0', estimLr0, (v) => v > 0, '> 0');
  const sb2 = Math.sqrt(beta2);
  const lrAt = toSchedule(learningRate);
  return {
    init: (params) => ({
      expAvg: zerosLikeTree(params),
      expAvgSq: zerosLikeTree(params),
      gradSum: zerosLikeTree(params),
      estimLr: np.array(estimLr0, 'float32'),
      numeratorWeighted: np.zeros([]),
      count: initCount(),
    }),
    update(updates, state, params) {
      type U = typeof updates;
      const p = requireParams(params, 'dadaptAdamw');
      const count = incrementCount(state.count);
      const t = np.cast(count, 'float32');
      const bc = np.div(np.sqrt(np.sub(1, np.pow(beta2, t))), np.sub(1, np.pow(beta1, t)));
      const dlr = np.mul(np.mul(state.estimLr, lrAt(state.count)), bc);
      const sWeighted = tree.map((s: NdArray, v: NdArray) => np.div(s, np.add(np.sqrt(v), eps)), state.gradSum, state.expAvgSq);
      const numeratorAcum = treeVdot(updates, sWeighted);
      const expAvg = tree.map((m: NdArray, g: NdArray) => np.add(np.mul(beta1, m), np.mul(np.mul(1 - beta1, dlr), g)), state.expAvg, updates);
      const expAvgSq = tree.map((v: NdArray, g: NdArray) => np.add(np.mul(beta2, v), np.mul(1 - beta2, np.square(g))), state.expAvgSq, updates);
      const gradSum = tree.map((s: NdArray, g: NdArray) => np.add(np.mul(sb2, s), np.mul(np.mul(1 - sb2, dlr), g)), state.gradSum, updates);
      const gradSumL1 = treeSum(tree.map((s: NdArray) => np.abs(s), gradSum));
      const numeratorWeighted = np.add(np.mul(sb2, state.numeratorWeighted), np.mul(np.mul(1 - sb2, dlr), numeratorAcum));
      const estimLr = np.maximum(state.estimLr, np.div(numeratorWeighted, np.mul(1 - sb2, gradSumL1)));
      const out = tree.map<U>(
        (m: NdArray, v: NdArray, x: NdArray) => np.sub(np.neg(np.mul(np.mul(weightDecay, dlr), x)), np.div(m, np.add(np.sqrt(v), eps))),
        expAvg, expAvgSq, p,
      );
      return [out, { expAvg, expAvgSq, gradSum, estimLr, numeratorWeighted, count }];
    },
  };
}
