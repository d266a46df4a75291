/** Adamax: Adam with the infinity norm in place of the second moment. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';
import { oneMinusPow } from './moments.js';

export interface AdamaxOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: number;
  /** Decay of the infinity norm (default 0.999). */
  readonly b2?: number;
  /** Added to |g| inside the max (torch's placement; optax adds it to the norm), default 1e-8. */
  readonly eps?: number;
}

export interface AdamaxState {
  /** Updates done so far (int32 scalar). */
  readonly count: NdArray;
  /** First moment, shaped like the parameters. */
  readonly mu: unknown;
  /** Exponentially weighted infinity norm, shaped like the parameters. */
  readonly nu: unknown;
}

/**
 * torch.optim.Adamax's scaling: `mu = b1 mu + (1 - b1) g`, `nu = max(b2 nu, |g| + eps)`,
 * update `mu / ((1 - b1^t) nu)`. No learning rate, no sign.
 */
export function scaleByAdamax({ b1 = 0.9, b2 = 0.999, eps = 1e-8 }: AdamaxOptions = {}): GradientTransformation<AdamaxState> {
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const mu = tree.map<U>((g: NdArray, m: NdArray) => np.add(np.mul(m, b1), np.mul(g, 1 - b1)), updates, state.mu);
      const nu = tree.map<U>((g: NdArray, v: NdArray) => np.maximum(np.mul(v, b2), np.add(np.abs(g), eps)), updates, state.nu);
      const count = incrementCount(state.count);
      const bc1 = oneMinusPow(b1, np.cast(count, 'float32'));
      return [tree.map<U>((m: NdArray, v: NdArray) => np.div(m, np.mul(bc1, v)), mu, nu), { count, mu, nu }];
    },
  };
}
