/** optax's `flatten`: an inner transformation run on all leaves raveled into one vector. */
import type { GradientTransformation } from './types.js';
import { ravelTree } from './util.js';

/**
 * optax.flatten: `inner` sees the parameters and updates as one flat vector (the leaves raveled
 * and concatenated in tree order); its updates are split back into the updates' structure. Its
 * state is that of `inner` on the flat vector. Extra arguments pass on unchanged.
 * @example const opt = optim.flatten(optim.adam({ learningRate: 1e-3 })); // one moment vector
 */
export function flatten<S>(inner: GradientTransformation<S>): GradientTransformation<S> {
  return {
    init: (params) => inner.init(ravelTree(params, 'flatten')[0]),
    update(updates, state, params, extra) {
      const [flat, unravel] = ravelTree(updates, 'flatten');
      const flatParams = params === undefined || params === null ? undefined : ravelTree(params, 'flatten')[0];
      const [out, next] = inner.update(flat, state, flatParams, extra);
      return [unravel(out), next];
    },
  };
}
