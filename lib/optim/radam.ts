/** RAdam: Adam whose adaptive step is rectified by its variance, as torch.optim.RAdam. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type AdamOptions, type AdamState, adamMoments } from './adam.js';
import type { GradientTransformation } from './types.js';
import { initCount, zerosLikeTree } from './util.js';

/** b1, b2 and eps as Adam's (eps added after the root, torch's placement); no epsRoot. */
export type RadamOptions = Omit<AdamOptions, 'epsRoot'>;

/**
 * torch.optim.RAdam's scaling: Adam's moments, `rho_inf = 2 / (1 - b2) - 1`,
 * `rho_t = rho_inf - 2 t b2^t / (1 - b2^t)`; while `rho_t <= 5` the update is the bias-corrected
 * momentum `mu / (1 - b1^t)` alone, afterwards it is multiplied by
 * `r_t sqrt(1 - b2^t) / (sqrt(nu) + eps)` with `r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))`.
 * The switch is a select on the step, so it runs under jit.
 */
export function scaleByRadam({ b1 = 0.9, b2 = 0.999, eps = 1e-8 }: RadamOptions = {}): GradientTransformation<AdamState> {
  const rhoInf = 2 / (1 - b2) - 1;
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const { mu, nu, count, t, bc1, bc2 } = adamMoments(updates, state, b1, b2);
      const rho = np.sub(rhoInf, np.div(np.mul(np.mul(2, t), np.pow(b2, t)), bc2));
      const rectified = np.greater(rho, 5);
      // Clamped where not rectified, so the unused branch stays finite (its root would be of a negative).
      const safeRho = np.maximum(rho, 5);
      const r = np.sqrt(np.div(np.mul(np.mul(np.sub(safeRho, 4), np.sub(safeRho, 2)), rhoInf), np.mul((rhoInf - 4) * (rhoInf - 2), safeRho)));
      const out = tree.map<U>((m: NdArray, v: NdArray) => {
        const momentum = np.div(m, bc1);
        const adaptive = np.div(np.mul(r, np.sqrt(bc2)), np.add(np.sqrt(v), eps));
        return np.where(rectified, np.mul(momentum, adaptive), momentum);
      }, mu, nu);
      return [out, { count, mu, nu }];
    },
  };
}
