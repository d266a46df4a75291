/**
 * Skipping non-finite updates (optax `transforms/_conditionality.py` `apply_if_finite`):
 * `applyIfFinite(inner, maxConsecutiveErrors)` runs `inner` but, when any incoming update holds a NaN or
 * an infinity, returns zero updates and keeps `inner`'s state, counting the consecutive and the total
 * skipped steps; after more than `maxConsecutiveErrors` consecutive ones it gives up and applies the
 * update. Decided by arrays (both outcomes computed, one selected), so it is one trace under `jit`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount } from './util.js';

export interface ApplyIfFiniteState<S> {
  /** int32 []: consecutive steps with a non-finite update, up to this one. */
  readonly notFiniteCount: NdArray;
  /** bool []: whether the last update was finite. */
  readonly lastFinite: NdArray;
  /** int32 []: all steps with a non-finite update so far. */
  readonly totalNotFinite: NdArray;
  /** The inner transformation's state (optax's `inner_state`). */
  readonly innerState: S;
}

/** bool []: every element of every leaf is finite. */
function allFinite(t: unknown): NdArray {
  const bad = tree.leaves<NdArray>(t).map((x) => np.sum(np.cast(np.logicalNot(np.isfinite(x)), 'float32')));
  return np.equal(bad.reduce((a, b) => np.add(a, b), np.zeros([])), 0);
}

/**
 * Wraps `inner` so that a step whose updates are not all finite changes nothing (zero updates, same
 * inner state), unless more than `maxConsecutiveErrors` such steps come in a row.
 * @example const opt = applyIfFinite(adam({ learningRate: 1e-3 }), 5);
 */
export function applyIfFinite<S>(inner: GradientTransformation<S>, maxConsecutiveErrors: number): GradientTransformation<ApplyIfFiniteState<S>> {
  if (!Number.isInteger(maxConsecutiveErrors) || maxConsecutiveErrors < 0)
    throw new Error(`applyIfFinite: maxConsecutiveErrors must be an integer >= 0, got ${maxConsecutiveErrors}`);
  return {
    init: (params) => ({ notFiniteCount: initCount(), lastFinite: np.array(true, 'bool'), totalNotFinite: initCount(), innerState: inner.init(params) }),
    update(updates, state, params, extra) {
      const finite = allFinite(updates);
      const notFiniteCount = np.where(finite, 0, incrementCount(state.notFiniteCount));
      const apply = np.logicalOr(finite, np.greater(notFiniteCount, maxConsecutiveErrors));
      const [applied, innerState] = inner.update(updates, state.innerState, params, extra);
      return [
        tree.map<typeof updates>((u: NdArray) => np.where(apply, u, 0), applied),
        {
          notFiniteCount,
          lastFinite: finite,
          totalNotFinite: np.where(finite, state.totalNotFinite, incrementCount(state.totalNotFinite)),
          innerState: tree.map<S>((fresh: NdArray, old: NdArray) => np.where(apply, fresh, old), innerState, state.innerState),
        },
      ];
    },
  };
}
