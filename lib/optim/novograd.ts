/** optax's NovoGrad scaling: layer-wise second moments (one scalar per leaf) and momentum on normalised gradients. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

export interface NovogradOptions {
  /** Decay of the momentum (default 0.9). */
  readonly b1?: Hyper;
  /** Decay of the per-leaf squared gradient norm (default 0.25). */
  readonly b2?: Hyper;
  /** Added after the root (default 1e-8 here, as optax's scale_by_novograd; the `novograd` alias uses 1e-6). */
  readonly eps?: Hyper;
  /** Added inside the root (default 0). */
  readonly epsRoot?: Hyper;
  /** `wd * p` added to each normalised gradient (default 0). */
  readonly weightDecay?: Hyper;
}

export interface NovogradState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  /** Momentum, shaped like the parameters. */
  readonly mu: unknown;
  /** One float32 scalar per leaf: the running squared L2 norm of its gradient. */
  readonly nu: unknown;
}

/**
 * optax.scale_by_novograd: per leaf, `n = |g|^2` (the squared L2 norm); on the first step
 * `nu = n`, `mu = g / (sqrt(nu + epsRoot) + eps) + wd p`; afterwards `nu = b2 nu + (1-b2) n` and
 * `mu = b1 mu + g / (sqrt(nu + epsRoot) + eps) + wd p`. The update is `mu`. The first-step switch
 * is a select, so it runs under jit. Needs `params` when `weightDecay` is not 0.
 * @example const opt = chain(scaleByNovograd({ weightDecay: 1e-3 }), scaleByLearningRate(1e-2));
 */
export function scaleByNovograd({ b1 = 0.9, b2 = 0.25, eps = 1e-8, epsRoot = 0, weightDecay = 0 }: NovogradOptions = {}): GradientTransformation<NovogradState> {
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: tree.map((_p: NdArray) => np.zeros([]), params) }),
    update(updates, state, params) {
      type U = typeof updates;
      const p = weightDecay === 0 ? updates : requireParams(params, 'scaleByNovograd'); // unused when 0
      const count = incrementCount(state.count);
      const first = np.equal(count, 1);
      const sqNorm = tree.map<U>((g: NdArray) => np.sum(np.square(g)), updates);
      const nu = tree.map<U>((n: NdArray, moved: NdArray) => np.where(first, n, moved), sqNorm, updateMoment(sqNorm, state.nu, b2, 1));
      const addition = tree.map<U>(
        (g: NdArray, w: NdArray, v: NdArray) => {
          const scaled = np.div(g, np.add(np.sqrt(np.add(v, epsRoot)), eps));
          return weightDecay === 0 ? scaled : np.add(scaled, np.mul(weightDecay, w));
        },
        updates,
        p,
        nu,
      );
      // mu starts at 0, so optax's first-step branch for mu (mu = addition) is the general formula.
      const mu = tree.map<U>((a: NdArray, m: NdArray) => np.add(np.mul(b1, m), a), addition, state.mu);
      return [mu, { count, mu, nu }];
    },
  };
}
