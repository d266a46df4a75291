/**
 * Prodigy (Mishchenko & Defazio 2023; optax `contrib/_prodigy.py`): AdamW whose base step `d`
 * (`estimLr`) is learnt from the distance travelled from the initial point, weighting recent
 * gradients more (a faster D-Adaptation). `learningRate` is a schedule around 1.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Mask, mapMasked, resolveMask } from './mask.js';
import { checkHyper, type Hyper } from './moments.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import { treeSum, treeVdot } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

/** The state of {@link prodigy} (optax's `ProdigyState`). */
export interface ProdigyState {
  readonly expAvg: unknown;
  readonly expAvgSq: unknown;
  /** The weighted sum of the scaled gradients. */
  readonly gradSum: unknown;
  /** The initial parameters. */
  readonly params0: unknown;
  /** float32 []: the step estimate `d` (starts at `estimLr0`). */
  readonly estimLr: NdArray;
  readonly numeratorWeighted: NdArray;
  /** int32 []. */
  readonly count: NdArray;
}

export interface ProdigyOptions {
  /** A schedule around 1 (default 1), read at the step count from 0. */
  readonly learningRate?: ScheduleLike;
  /** AdamW's `[b1, b2]` (default [0.9, 0.999]). */
  readonly betas?: readonly [number, number];
  /** Decay of the `d` estimate's sums (default `sqrt(b2)`). */
  readonly beta3?: number;
  /** Default 1e-8 (scaled by `d`). */
  readonly eps?: Hyper;
  /** The initial under-estimate of `d` (default 1e-6). */
  readonly estimLr0?: number;
  /** `d`'s estimates are multiplied by this (default 1). */
  readonly estimLrCoef?: Hyper;
  /** AdamW-style decay `wd · dlr · p` (default 0). */
  readonly weightDecay?: Hyper;
  /** Leave the learning rate out of `d`'s denominator during warm-up (default false). */
  readonly safeguardWarmup?: boolean;
  /** Which leaves the weight decay applies to (default all). */
  readonly weightDecayMask?: Mask;
}

/**
 * optax.contrib.prodigy: the update (already negated, add it to the parameters) is
 * `−dlr · m̂ / (sqrt(v) + d · eps) − wd · dlr · p` with `dlr = d · lr · sqrt(1 − b2^t) / (1 − b1^t)`,
 * and `d ← max(d, coef · Σ β3-weighted <g, p0 − p> · dlr·d/d0 / ‖Σ β3-weighted dlr·d·g/d0‖₁)`.
 * `update` needs the parameters.
 * @example const opt = prodigy({ learningRate: cosineDecay({ init: 1, decaySteps: 1000 }) });
 */
export function prodigy({
  learningRate = 1,
  betas = [0.9, 0.999],
  beta3,
  eps = 1e-8,
  estimLr0 = 1e-6,
  estimLrCoef = 1,
  weightDecay = 0,
  safeguardWarmup = false,
  weightDecayMask,
}: ProdigyOptions = {}): GradientTransformation<ProdigyState> {
  const [beta1, beta2] = betas;
  checkHyper('prodigy', 'betas[0]', beta1, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkHyper('prodigy', 'betas[1]', beta2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  checkHyper('prodigy', 'estimLr0', estimLr0, (v) => v > 0, '> 0');
  const b3 = beta3 ?? Math.sqrt(beta2);
  const lrAt = toSchedule(learningRate);
  return {
    init: (params) => ({
      expAvg: zerosLikeTree(params),
      expAvgSq: zerosLikeTree(params),
      gradSum: zerosLikeTree(params),
      params0: copyTree(params),
      estimLr: np.array(estimLr0),
      numeratorWeighted: np.zeros([]),
      count: initCount(),
    }),
    update(updates, state, params) {
      type U = typeof updates;
      const p = requireParams(params, 'prodigy');
      const countInc = incrementCount(state.count);
      const t = np.cast(countInc, 'float32');
      const bc = np.div(np.sqrt(np.sub(1, np.pow(beta2, t))), np.sub(1, np.pow(beta1, t)));
      const d = state.estimLr;
      const dlr = np.mul(np.mul(d, lrAt(state.count)), bc);
      const dg = tree.map<U>((g: NdArray) => np.mul(d, g), updates);
      const numeratorAcum = treeVdot(updates, tree.map((p0: NdArray, x: NdArray) => np.sub(p0, x), state.params0, p));
      const expAvg = tree.map((m: NdArray, x: NdArray) => np.add(np.mul(beta1, m), np.mul(1 - beta1, x)), state.expAvg, dg);
      const expAvgSq = tree.map((v: NdArray, x: NdArray) => np.add(np.mul(beta2, v), np.mul(np.mul(1 - beta2, x), x)), state.expAvgSq, dg);
      const sumWeight = safeguardWarmup ? d : dlr;
      const gradSum = tree.map((s: NdArray, x: NdArray) => np.add(np.mul(b3, s), np.div(np.mul(sumWeight, x), estimLr0)), state.gradSum, dg);
      const numeratorWeighted = np.add(np.mul(b3, state.numeratorWeighted), np.mul(np.mul(np.div(d, estimLr0), dlr), numeratorAcum));
      const denominator = treeSum(tree.map((s: NdArray) => np.abs(s), gradSum));
      const estimLr = np.maximum(d, np.div(np.mul(estimLrCoef, numeratorWeighted), denominator));
      const step = tree.map<U>((m: NdArray, v: NdArray) => np.div(np.mul(np.neg(dlr), m), np.add(np.sqrt(v), np.mul(estimLr, eps))), expAvg, expAvgSq);
      const mask = resolveMask(weightDecayMask, p, 'prodigy');
      const out = mapMasked(mask, (u: NdArray, x: NdArray) => np.sub(u, np.mul(np.mul(weightDecay, dlr), x)), step, p);
      return [out, { expAvg, expAvgSq, gradSum, params0: state.params0, estimLr, numeratorWeighted, count: countInc }];
    },
  };
}
