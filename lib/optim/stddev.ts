/** optax's `scale_by_stddev` (`_src/transform.py`): centred RMSprop's scaling. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Hyper, biasCorrection, updateMoment } from './moments.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface StddevOptions {
  /** Decay of both moving averages (default 0.9, optax's; torch's RMSprop alpha is 0.99). */
  readonly decay?: Hyper;
  /** Default 1e-8. */
  readonly eps?: Hyper;
  /** Initial value of the second moment (default 0). */
  readonly initialScale?: number;
  /** `1 / sqrt(ν - μ² + eps)` (default true), else `1 / (sqrt(ν - μ²) + eps)`. */
  readonly epsInSqrt?: boolean;
  /** Divide both averages by `1 - decay^t` first (default false). */
  readonly biasCorrection?: boolean;
}

export interface StddevState {
  readonly mu: unknown;
  readonly nu: unknown;
  /** Only with `biasCorrection` (int32 scalar). */
  readonly count?: NdArray;
}

/**
 * `u / sqrt(ν - μ² + eps)`, μ and ν the moving averages of `u` and `u²` (optax's `scale_by_stddev`;
 * see {@link StddevOptions} for the variants).
 * @example chain(scaleByStddev(), scaleByLearningRate(1e-3)) // optax.rmsprop(1e-3, centered=True)
 */
export function scaleByStddev({ decay = 0.9, eps = 1e-8, initialScale = 0, epsInSqrt = true, biasCorrection: debias = false }: StddevOptions = {}): GradientTransformation<StddevState> {
  return {
    init(params) {
      const base = { mu: zerosLikeTree(params), nu: tree.map((p: NdArray) => np.fullLike(p, initialScale), params) };
      return debias ? { ...base, count: initCount() } : base;
    },
    update(updates, state) {
      type U = typeof updates;
      const mu = updateMoment(updates, state.mu, decay, 1);
      const nu = updateMoment(updates, state.nu, decay, 2);
      const count = debias ? incrementCount(state.count as NdArray) : undefined;
      const [mh, nh] = count ? [biasCorrection(mu, decay, count), biasCorrection(nu, decay, count)] : [mu, nu];
      const out = tree.map<U>((g: NdArray, m: NdArray, n: NdArray) => {
        const variance = np.sub(n, np.square(m));
        return np.div(g, epsInSqrt ? np.sqrt(np.add(variance, eps)) : np.add(np.sqrt(variance), eps));
      }, updates, mh, nh);
      return [out, count ? { mu, nu, count } : { mu, nu }];
    },
  };
}
