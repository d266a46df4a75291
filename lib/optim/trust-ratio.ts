/** optax's trust-ratio scaling (LAMB's layer-wise adaptation). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { requireParams } from './util.js';

export interface TrustRatioOptions {
  /** Norms below it count as it (default 0). */
  readonly minNorm?: number;
  /** Multiplies the ratio (default 1). */
  readonly trustCoefficient?: number;
  /** Added to the update's norm (default 0). */
  readonly eps?: number;
}

/**
 * optax.scale_by_trust_ratio: per leaf, the update times `trust * |p| / (|u| + eps)`, or
 * unchanged where either norm is 0 (You et al.'s LAMB; norms floored at `minNorm`).
 */
export function scaleByTrustRatio({ minNorm = 0, trustCoefficient = 1, eps = 0 }: TrustRatioOptions = {}): GradientTransformation<EmptyState> {
  const norm = (x: NdArray) => np.maximum(np.sqrt(np.sum(np.square(x))), minNorm);
  return {
    init: () => ({}),
    update(updates, state, params) {
      const p = requireParams(params, 'scaleByTrustRatio');
      const out = tree.map<typeof updates>(
        (u: NdArray, w: NdArray) => {
          const [pn, un] = [norm(w), norm(u)];
          const zero = np.logicalOr(np.equal(pn, 0), np.equal(un, 0));
          const ratio = np.div(np.mul(pn, trustCoefficient), np.add(np.where(zero, 1, un), eps));
          return np.mul(u, np.where(zero, 1, ratio));
        },
        updates,
        p,
      );
      return [out, state];
    },
  };
}
