/** optax's constraining transformations: replacing NaNs, keeping parameters non-negative. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { requireParams } from './util.js';

export interface ZeroNansState {
  /** One bool scalar per leaf: whether its last update held a NaN. */
  readonly foundNan: unknown;
}

/**
 * optax.zero_nans: NaNs in the updates become 0; the state records, per leaf, whether the last
 * update had any (for monitoring; the transformation does not read it).
 * @example const opt = chain(zeroNans(), adam({ learningRate: 1e-3 }));
 */
export function zeroNans(): GradientTransformation<ZeroNansState> {
  return {
    init: (params) => ({ foundNan: tree.map((_p: NdArray) => np.array(false, 'bool'), params) }),
    update(updates) {
      type U = typeof updates;
      const foundNan = tree.map<U>((u: NdArray) => np.any(np.isnan(u)), updates);
      return [tree.map<U>((u: NdArray) => np.where(np.isnan(u), np.zerosLike(u), u), updates), { foundNan }];
    },
  };
}

/**
 * optax.keep_params_nonnegative: where `p + u < 0` the update becomes `-p` (the parameter lands
 * on 0). Last in a chain, and expects non-negative parameters (negative ones are moved to 0).
 * @example const opt = chain(sgd({ learningRate: 0.1 }), keepParamsNonnegative());
 */
export function keepParamsNonnegative(): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update(updates, state, params) {
      const p = requireParams(params, 'keepParamsNonnegative');
      return [tree.map<typeof updates>((u: NdArray, w: NdArray) => np.where(np.less(np.add(w, u), 0), np.neg(w), u), updates, p), state];
    },
  };
}
