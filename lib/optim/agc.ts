/** optax's adaptive gradient clipping (Brock et al. 2021, NFNets): unit-wise, relative to the parameters' norms. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { requireParams } from './util.js';

/**
 * optax.unitwise_norm: the L2 norm of each unit of `x`, broadcast back to `x`'s shape. Units by
 * default: the whole array when it has at most one dimension of size > 1; rank 2 and 3 over axis
 * 0 (a linear layer's inputs); rank 4 over axes 0-2 (HWIO kernels); rank 5 over axes 0-3.
 * @example unitwiseNorm(np.ones([3, 2])) // [[1.732, 1.732], ...]
 */
export function unitwiseNorm(x: NdArray, axis?: number | readonly number[]): NdArray {
  const shape = np.shape(x);
  const rank = shape.length;
  const sq = np.square(x);
  let ss: NdArray;
  if (axis !== undefined) ss = np.sum(sq, typeof axis === 'number' ? axis : [...axis], true);
  else if (shape.filter((d) => d !== 1).length <= 1) ss = np.sum(sq, undefined, true);
  else if (rank === 2 || rank === 3) ss = np.sum(sq, 0, true);
  else if (rank === 4) ss = np.sum(sq, [0, 1, 2], true);
  else if (rank === 5) ss = np.sum(sq, [0, 1, 2, 3], true);
  else throw new Error(`unitwiseNorm: expected rank 1 to 5, got shape [${shape.join(', ')}]: pass axis`);
  return np.broadcastTo(np.sqrt(ss), shape);
}

/**
 * optax.unitwise_clip: `grad` where `gNorm < maxNorm`, else `grad * maxNorm / max(gNorm, divEps)`
 * (the three arrays of one shape, e.g. norms from {@link unitwiseNorm}).
 */
export function unitwiseClip(gNorm: NdArray, maxNorm: NdArray, grad: NdArray, divEps = 1e-6): NdArray {
  const shapes = [gNorm, maxNorm, grad].map((x) => `[${x.shape.join(', ')}]`);
  if (new Set(shapes).size !== 1) throw new Error(`unitwiseClip: gNorm, maxNorm and grad must have the same shape, got ${shapes.join(', ')}`);
  const clipped = np.mul(grad, np.div(maxNorm, np.maximum(gNorm, divEps)));
  return np.where(np.less(gNorm, maxNorm), grad, clipped);
}

/**
 * optax.adaptive_grad_clip: per unit, with `max = clipping * max(|p|, eps)`, the update is kept
 * where `|u| < max` and rescaled to `u * max / max(|u|, 1e-6)` elsewhere (norms by {@link unitwiseNorm},
 * over `axis` when given). `eps` (default 1e-3) floors the parameter norm, so zero-initialised
 * parameters still move.
 * @example const opt = chain(adaptiveGradClip(0.01), sgd({ learningRate: 0.1, momentum: 0.9 }));
 */
export function adaptiveGradClip(clipping: number, eps = 1e-3, axis?: number | readonly number[]): GradientTransformation<EmptyState> {
  if (!(clipping > 0)) throw new Error(`adaptiveGradClip: clipping must be > 0, got ${clipping}`);
  if (!(eps >= 0)) throw new Error(`adaptiveGradClip: eps must be >= 0, got ${eps}`);
  return {
    init: () => ({}),
    update(updates, state, params) {
      const p = requireParams(params, 'adaptiveGradClip');
      const out = tree.map<typeof updates>(
        (g: NdArray, w: NdArray) => {
          const maxNorm = np.mul(clipping, np.maximum(unitwiseNorm(w, axis), eps));
          return unitwiseClip(unitwiseNorm(g, axis), maxNorm, g);
        },
        updates,
        p,
      );
      return [out, state];
    },
  };
}
