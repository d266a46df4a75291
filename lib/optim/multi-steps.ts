/**
 * Gradient accumulation (optax's `MultiSteps`): `multiSteps(inner, everyK)` averages the
 * incoming updates of `everyK` calls and runs `inner` on that mean at every `everyK`-th
 * call; in between it returns zero updates and leaves `inner`'s state alone. The decision is
 * made on arrays (both outcomes computed, one selected), so it is one trace under `jit`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface MultiStepsState<S> {
  /** int32 []: calls since the last inner step, in [0, everyK). */
  readonly miniStep: NdArray;
  /** int32 []: inner steps taken. */
  readonly gradientStep: NdArray;
  /** The sum of the updates since the last inner step, shaped like the parameters. */
  readonly accumulated: unknown;
  /** The inner transformation's state. */
  readonly inner: S;
}

/**
 * Runs `inner` once per `everyK` calls on the mean of their updates: a batch `everyK` times
 * larger than fits in memory, with the same optimiser.
 * @example
 * const opt = multiSteps(adam({ learningRate: 1e-3 }), 4); // one Adam step per 4 micro-batches
 */
export function multiSteps<S>(inner: GradientTransformation<S>, everyK: number): GradientTransformation<MultiStepsState<S>> {
  if (!Number.isInteger(everyK) || everyK < 1) throw new Error(`multiSteps: everyK must be an integer >= 1, got ${everyK}`);
  return {
    init: (params) => ({ miniStep: initCount(), gradientStep: initCount(), accumulated: zerosLikeTree(params), inner: inner.init(params) }),
    update(updates, state, params, extra) {
      type U = typeof updates;
      const summed = tree.map<U>((u: NdArray, a: NdArray) => np.add(a, u), updates, state.accumulated);
      const emit = np.equal(incrementCount(state.miniStep), everyK);
      const [stepped, innerState] = inner.update(tree.map<U>((a: NdArray) => np.div(a, everyK), summed), state.inner, params, extra);
      return [
        tree.map<U>((u: NdArray) => np.where(emit, u, 0), stepped),
        {
          miniStep: np.where(emit, 0, incrementCount(state.miniStep)),
          gradientStep: np.where(emit, incrementCount(state.gradientStep), state.gradientStep),
          accumulated: tree.map<U>((a: NdArray) => np.where(emit, 0, a), summed),
          inner: tree.map<S>((fresh: NdArray, old: NdArray) => np.where(emit, fresh, old), innerState, state.inner),
        },
      ];
    },
  };
}
