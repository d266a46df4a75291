/** optax's `scale_by_rprop` (`_src/transform.py`): resilient backpropagation, per-element step sizes. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { zerosLikeTree } from './util.js';

export interface RpropOptions {
  /** The initial step size of every element. */
  readonly learningRate: number;
  /** Step-size factor when the gradient changes sign (default 0.5). */
  readonly etaMinus?: number;
  /** Step-size factor when it keeps its sign (default 1.2). */
  readonly etaPlus?: number;
  /** Bounds of the step sizes (defaults 1e-6 and 50). */
  readonly minStepSize?: number;
  readonly maxStepSize?: number;
}

export interface RpropState {
  /** The per-element step sizes. */
  readonly stepSizes: unknown;
  /** The previous step's output. */
  readonly prevUpdates: unknown;
}

/**
 * Rprop, as optax: with `s = g · prev` (prev the last output), the step size is kept where
 * `s = 0`, multiplied by `etaPlus` (`s > 0`) or `etaMinus` (`s < 0`) and clipped to
 * `[minStepSize, maxStepSize]`; the output is `step · sign(g)`, or 0 where `s < 0`. Not negated:
 * `rprop` chains `scale(-1)` after it.
 */
export function scaleByRprop({ learningRate, etaMinus = 0.5, etaPlus = 1.2, minStepSize = 1e-6, maxStepSize = 50 }: RpropOptions): GradientTransformation<RpropState> {
  return {
    init: (params) => ({ stepSizes: tree.map((p: NdArray) => np.fullLike(p, learningRate), params), prevUpdates: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const s = tree.map<U>((g: NdArray, prev: NdArray) => np.mul(g, prev), updates, state.prevUpdates);
      const stepSizes = tree.map<U>(
        (si: NdArray, step: NdArray) => np.where(np.equal(si, 0), step, np.clip(np.mul(step, np.where(np.greater(si, 0), etaPlus, etaMinus)), minStepSize, maxStepSize)),
        s,
        state.stepSizes,
      );
      const out = tree.map<U>((si: NdArray, g: NdArray, step: NdArray) => np.where(np.less(si, 0), np.zerosLike(g), np.mul(step, np.sign(g))), s, updates, stepSizes);
      return [out, { stepSizes, prevUpdates: out }];
    },
  };
}
