/** optax's apply_every: sum the updates of k calls, emit the sum on the k-th and zeros in between. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface ApplyEveryState {
  /** int32 []: calls since the last emission, in [0, k). */
  readonly count: NdArray;
  /** The sum of the updates since the last emission. */
  readonly gradAcc: unknown;
}

/**
 * optax.apply_every: `acc = (count % k != 0) acc + u`; out `acc` when `count % k == k - 1`, else
 * zeros. Unlike {@link multiSteps} it sums (no mean) and the transformations before it in a chain
 * still step every call.
 * @example const opt = chain(adam({ learningRate: 1e-3 }), applyEvery(4));
 */
export function applyEvery(k = 1): GradientTransformation<ApplyEveryState> {
  if (!Number.isInteger(k) || k < 1) throw new Error(`applyEvery: k must be a positive integer, got ${k}`);
  return {
    init: (params) => ({ count: initCount(), gradAcc: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const c = np.mod(state.count, k);
      const keep = np.cast(np.notEqual(c, 0), 'float32');
      const emit = np.cast(np.equal(c, k - 1), 'float32');
      const gradAcc = tree.map<U>((g: NdArray, acc: NdArray) => np.add(np.mul(keep, acc), g), updates, state.gradAcc);
      return [tree.map<U>((acc: NdArray) => np.mul(emit, acc), gradAcc), { count: np.mod(incrementCount(state.count), k), gradAcc }];
    },
  };
}
