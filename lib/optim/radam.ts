/** RAdam: Adam whose adaptive step is rectified by its variance, as torch.optim.RAdam. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type AdamOptions, type AdamState, adamMoments, nesterovMoment } from './adam.js';
import type { GradientTransformation } from './types.js';
import { initCount, zerosLikeTree } from './util.js';

/**
 * b1, b2, eps, epsRoot and nesterov as Adam's (optax's `scale_by_radam`; eps is added after the
 * root of the undebiased `nu`, torch's placement, which differs from optax's by about `eps / sqrt(nu)`).
 */
export interface RadamOptions extends AdamOptions {
  /** Rectify once `rho_t >= threshold` (default 5, optax's; torch's rule is `rho_t > 5`). Must be > 4. */
  readonly threshold?: number;
}

/**
 * torch.optim.RAdam's scaling (optax's `scale_by_radam`, with its `threshold`, `epsRoot` and
 * `nesterov` options): Adam's moments, `rho_inf = 2 / (1 - b2) - 1`,
 * `rho_t = rho_inf - 2 t b2^t / (1 - b2^t)`; while `rho_t < threshold` (default 5) the update is the bias-corrected
 * momentum `mu / (1 - b1^t)` alone (with `nesterov`, optax's look-ahead moment), afterwards it is multiplied by
 * `r_t sqrt(1 - b2^t) / (sqrt(nu) + eps)` with `r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))`.
 * The switch is a select on the step, so it runs under jit.
 */
export function scaleByRadam({ b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0, threshold = 5, nesterov = false }: RadamOptions = {}): GradientTransformation<AdamState> {
  if (!(threshold > 4)) throw new Error(`scaleByRadam: threshold must be > 4 (the rectifier is the root of a negative below 4), got ${threshold}`);
  const rhoInf = 2 / (1 - b2) - 1;
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const { mu, nu, count, t, bc1, bc2 } = adamMoments(updates, state, b1, b2);
      // b2^t as exp(t log b2) and 1 - b2^t as -expm1(t log b2), log b2 taken in float64: the
      // float32 difference 1 - b2^t loses ~1e-5 of its digits, which moves rho_t by ~0.03.
      const tLogB2 = np.mul(t, Math.log(b2));
      const rho = np.sub(rhoInf, np.div(np.mul(np.mul(2, t), np.exp(tLogB2)), np.neg(np.expm1(tLogB2))));
      const rectified = np.greaterEqual(rho, threshold);
      // Clamped where not rectified, so the unused branch stays finite (its root would be of a negative).
      const safeRho = np.maximum(rho, threshold);
      const r = np.sqrt(np.div(np.mul(np.mul(np.sub(safeRho, 4), np.sub(safeRho, 2)), rhoInf), np.mul((rhoInf - 4) * (rhoInf - 2), safeRho)));
      const muHat = nesterov ? nesterovMoment(mu, updates, b1, t, bc1) : tree.map<U>((m: NdArray) => np.div(m, bc1), mu);
      const out = tree.map<U>((momentum: NdArray, v: NdArray) => {
        // sqrt(nu + epsRoot (1 - b2^t)) / sqrt(1 - b2^t) = sqrt(nu_hat + epsRoot), optax's root.
        const root = np.sqrt(epsRoot === 0 ? v : np.add(v, np.mul(epsRoot, bc2)));
        const adaptive = np.div(np.mul(r, np.sqrt(bc2)), np.add(root, eps));
        return np.where(rectified, np.mul(momentum, adaptive), momentum);
      }, muHat, nu);
      return [out, { count, mu, nu }];
    },
  };
}
