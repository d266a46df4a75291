/** optax's `scale_by_sign` and `scale_by_optimistic_gradient` (`_src/transform.py`). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { Hyper } from './moments.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { copyTree, zerosLikeTree } from './util.js';

/** `sign(u)` elementwise (0 at 0), optax's `scale_by_sign`. */
export function scaleBySign(): GradientTransformation<EmptyState> {
  return { init: () => ({}), update: (updates, state) => [tree.map((u: NdArray) => np.sign(u), updates), state] };
}

export interface OptimisticGradientState {
  /** True until the first update (a bool scalar). */
  readonly isInitialStep: NdArray;
  /** The previous step's updates. */
  readonly previousGradient: unknown;
}

/**
 * Optimistic gradient (optax's `scale_by_optimistic_gradient`): `(alpha + beta) g - beta gPrev`,
 * with `gPrev = g` at the first step.
 * @example chain(scaleByOptimisticGradient({ alpha: 1, beta: 1 }), scaleByLearningRate(0.1))
 */
export function scaleByOptimisticGradient({ alpha = 1, beta = 1 }: { readonly alpha?: Hyper; readonly beta?: Hyper } = {}): GradientTransformation<OptimisticGradientState> {
  return {
    init: (params) => ({ isInitialStep: np.array(true), previousGradient: zerosLikeTree(params) }),
    update(updates, state) {
      const out = tree.map<typeof updates>((g: NdArray, prev: NdArray) => {
        const p = np.where(state.isInitialStep, g, prev);
        return np.sub(np.mul(np.add(alpha, beta), g), np.mul(beta, p));
      }, updates, state.previousGradient);
      return [out, { isInitialStep: np.array(false), previousGradient: copyTree(updates) }];
    },
  };
}
