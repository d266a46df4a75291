/** Decoupled / L2 weight decay as a transformation. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Mask, mapMasked, resolveMask } from './mask.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { requireParams } from './util.js';

/**
 * `updates + weightDecay * params` on the leaves the mask selects (all by default).
 * Where it sits in a chain decides its meaning: before the optimiser's scaling it is L2
 * regularisation (torch SGD / Adam `weight_decay`); after it, right before
 * `scaleByLearningRate`, it is decoupled decay (`p -= lr * wd * p`, torch AdamW).
 * @example addDecayedWeights(1e-4, maskNoDecayOnBiasAndNorm)
 */
export function addDecayedWeights(weightDecay: number, mask?: Mask): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update(updates, state, params) {
      if (weightDecay === 0) return [updates, state];
      const p = requireParams(params, 'addDecayedWeights');
      const m = resolveMask(mask, p, 'addDecayedWeights');
      return [mapMasked(m, (g: NdArray, w: NdArray) => np.add(g, np.mul(w, weightDecay)), updates, p), state];
    },
  };
}
