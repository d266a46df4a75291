/**
 * Backtracking line search (optax `scale_by_backtracking_linesearch`, `_src/linesearch.py`): the
 * largest step `η = η_0 · decreaseFactor^k` (`η_0 = min(increaseFactor · η_prev, maxLearningRate)`)
 * that satisfies Armijo's sufficient decrease
 * `f(w + η u) ≤ (1 + rtol) f(w) + η · slopeRtol · <u, ∇f(w)> + atol`. One `lax.whileLoop`, so it
 * runs under `jit`.
 */
import { lax, type NdArray, valueAndGrad } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { linesearchArgs } from './linesearch-args.js';
import type { Hyper } from './moments.js';
import { treeAddScale, treeScale, treeVdot } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { requireParams, zerosLikeTree } from './util.js';

export interface BacktrackingLinesearchOptions {
  /** The most trial steps (optax's required `max_backtracking_steps`). */
  readonly maxBacktrackingSteps: number;
  /** `c` of the decrease criterion (default 1e-4). */
  readonly slopeRtol?: Hyper;
  /** The trial step shrinks by this factor (default 0.8). */
  readonly decreaseFactor?: Hyper;
  /** The first trial is the last step times this (default 1.5; Infinity: always `maxLearningRate`). */
  readonly increaseFactor?: Hyper;
  /** Default 1. */
  readonly maxLearningRate?: Hyper;
  /** Absolute and relative tolerances of the criterion (default 0). */
  readonly atol?: Hyper;
  readonly rtol?: Hyper;
  /** Also compute the gradient at the accepted point, for `valueAndGradFromState` (default false). */
  readonly storeGrad?: boolean;
}

/** The state of {@link scaleByBacktrackingLinesearch} (optax's `ScaleByBacktrackingLinesearchState`). */
export interface BacktrackingLinesearchState {
  /** float32 []: the last accepted step (starts at 1). */
  readonly learningRate: NdArray;
  /** float32 []: the value at the accepted point (+inf before the first step). */
  readonly value: NdArray;
  /** The gradient at the accepted point with `storeGrad`, else `null`. */
  readonly grad: unknown;
  readonly info: { readonly numLinesearchSteps: NdArray; readonly decreaseError: NdArray };
}

interface Search {
  readonly learningRate: NdArray;
  readonly newValue: NdArray;
  readonly newGrad: unknown;
  readonly decreaseError: NdArray;
  readonly iterNum: NdArray;
}

/** `max(e, 0)` with NaN read as +inf: how much a criterion is violated. */
export const violation = (e: NdArray): NdArray => np.maximum(np.where(np.isnan(e), Infinity, e), 0);

/**
 * Scales the updates (a descent direction) by a step found by backtracking (optax's
 * `scale_by_backtracking_linesearch`). `update` needs the parameters and the extra arguments
 * `{ value, grad, valueFn }`; the other extra arguments are passed to `valueFn`. When no trial
 * gives a finite value the step is 0.
 * @example
 * const opt = chain(sgd({ learningRate: 1 }), scaleByBacktrackingLinesearch({ maxBacktrackingSteps: 15 }));
 * const [u, s] = opt.update(grad, state, params, { value, grad, valueFn: f });
 */
export function scaleByBacktrackingLinesearch({
  maxBacktrackingSteps,
  slopeRtol = 1e-4,
  decreaseFactor = 0.8,
  increaseFactor = 1.5,
  maxLearningRate = 1,
  atol = 0,
  rtol = 0,
  storeGrad = false,
}: BacktrackingLinesearchOptions): GradientTransformation<BacktrackingLinesearchState> {
  if (!Number.isInteger(maxBacktrackingSteps) || maxBacktrackingSteps < 0) throw new Error(`scaleByBacktrackingLinesearch: maxBacktrackingSteps must be an integer >= 0, got ${maxBacktrackingSteps}`);
  return {
    init: (params) => ({
      learningRate: np.array(1),
      value: np.array(Infinity),
      grad: storeGrad ? zerosLikeTree(params) : null,
      info: { numLinesearchSteps: np.array(0, 'int32'), decreaseError: np.array(Infinity) },
    }),
    update(updates, state, params, extra) {
      const p = requireParams(params, 'scaleByBacktrackingLinesearch');
      const { value, grad, objective } = linesearchArgs(extra, 'scaleByBacktrackingLinesearch');
      const slope = treeVdot(updates, grad);
      const body = (s: Search): Search => {
        const learningRate = np.where(np.greater(s.iterNum, 0), np.mul(decreaseFactor, s.learningRate), s.learningRate);
        const trial = treeAddScale(p, learningRate, updates);
        const [v, g] = storeGrad ? valueAndGrad(objective)(trial) : [objective(trial), s.newGrad];
        const newValue = np.asarray(v as NdArray, 'float32');
        const decreaseError = violation(np.sub(np.sub(newValue, np.mul(np.add(1, rtol), value)), np.mul(np.mul(learningRate, slopeRtol), slope)));
        const last = np.logicalOr(np.lessEqual(decreaseError, atol), np.equal(s.iterNum, maxBacktrackingSteps));
        const newGrad = storeGrad ? tree.map((a: NdArray, b: NdArray) => np.where(last, a, b), g, s.newGrad) : s.newGrad;
        return { learningRate, newValue, newGrad, decreaseError, iterNum: np.add(s.iterNum, 1) };
      };
      const init: Search = {
        learningRate: np.asarray(np.minimum(np.mul(increaseFactor, state.learningRate), maxLearningRate), 'float32'),
        newValue: value,
        newGrad: zerosLikeTree(p),
        decreaseError: np.array(Infinity),
        iterNum: np.array(0, 'int32'),
      };
      const done = lax.whileLoop((s: Search) => np.logicalAnd(np.logicalNot(np.lessEqual(s.decreaseError, atol)), np.lessEqual(s.iterNum, maxBacktrackingSteps)), body, init);
      const learningRate = np.where(np.isinf(done.decreaseError), 0, done.learningRate);
      return [
        treeScale(learningRate, updates),
        { learningRate, value: done.newValue, grad: storeGrad ? done.newGrad : null, info: { numLinesearchSteps: done.iterNum, decreaseError: done.decreaseError } },
      ];
    },
  };
}
