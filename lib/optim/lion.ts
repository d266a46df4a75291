/** Lion (Chen et al. 2023): the sign of an interpolated momentum, as optax.scale_by_lion. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { zerosLikeTree } from './util.js';

export interface LionOptions {
  /** Interpolation between momentum and gradient for the update's sign (default 0.9). */
  readonly b1?: number;
  /** Decay of the momentum (default 0.99). */
  readonly b2?: number;
}

export interface LionState {
  /** The momentum, shaped like the parameters. */
  readonly mu: unknown;
}

/** optax.scale_by_lion: update `sign(b1 mu + (1 - b1) g)`, then `mu = b2 mu + (1 - b2) g`. */
export function scaleByLion({ b1 = 0.9, b2 = 0.99 }: LionOptions = {}): GradientTransformation<LionState> {
  return {
    init: (params) => ({ mu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const out = tree.map<U>((g: NdArray, m: NdArray) => np.sign(np.add(np.mul(m, b1), np.mul(g, 1 - b1))), updates, state.mu);
      const mu = tree.map<U>((g: NdArray, m: NdArray) => np.add(np.mul(m, b2), np.mul(g, 1 - b2)), updates, state.mu);
      return [out, { mu }];
    },
  };
}
