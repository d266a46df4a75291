/** optax's gradient centralization. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { EmptyState, GradientTransformation } from './types.js';

/**
 * optax.centralize (Yong et al. 2020): every leaf of rank > 1 minus its mean over all axes but
 * the first; leaves of rank <= 1 pass unchanged.
 * @example const opt = chain(centralize(), sgd({ learningRate: 0.1, momentum: 0.9 }));
 */
export function centralize(): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update(updates, state) {
      const out = tree.map<typeof updates>((g: NdArray) => {
        const rank = np.shape(g).length;
        return rank > 1 ? np.sub(g, np.mean(g, Array.from({ length: rank - 1 }, (_, i) => i + 1), true)) : g;
      }, updates);
      return [out, state];
    },
  };
}
