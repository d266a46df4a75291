/** Clipping updates: elementwise by value, or all together by their global norm. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { Hyper } from './moments.js';
import type { EmptyState, GradientTransformation } from './types.js';

/** The L2 norm of all leaves together: sqrt(sum over leaves of sum(x^2)), a float32 scalar (0 for a tree with no leaves, as optax). */
export function globalNorm(updates: unknown): NdArray {
  const ls = tree.leaves<NdArray>(updates);
  if (ls.length === 0) return np.zeros([]);
  return np.sqrt(ls.map((x) => np.sum(np.square(x))).reduce((a, b) => np.add(a, b)));
}

/**
 * Scales all updates by `maxNorm / max(norm, maxNorm)`, norm being their {@link globalNorm}:
 * unchanged when the norm is at most `maxNorm`, else rescaled to norm `maxNorm` (optax's
 * `clip_by_global_norm`; torch's `clip_grad_norm_` adds 1e-6 to the norm). `maxNorm` may be a
 * scalar array (e.g. injected with `injectHyperparams`: an array 0 gives zeros, as optax; the
 * number 0 is refused as a likely mistake).
 */
export function clipByGlobalNorm(maxNorm: Hyper): GradientTransformation<EmptyState> {
  if (typeof maxNorm === 'number' && !(maxNorm > 0)) throw new Error(`clipByGlobalNorm: maxNorm must be > 0, got ${maxNorm}`);
  return {
    init: () => ({}),
    update(updates, state) {
      if (tree.leaves(updates).length === 0) return [updates, state];
      const factor = np.div(maxNorm, np.maximum(globalNorm(updates), maxNorm));
      return [tree.map((g: NdArray) => np.mul(g, factor), updates), state];
    },
  };
}

/** Clips every update elementwise to `[-maxDelta, maxDelta]` (optax's `clip`; `maxDelta` a number or a scalar array). */
export function clip(maxDelta: Hyper): GradientTransformation<EmptyState> {
  if (typeof maxDelta === 'number' && !(maxDelta >= 0)) throw new Error(`clip: maxDelta must be >= 0, got ${maxDelta}`);
  const low = typeof maxDelta === 'number' ? -maxDelta : np.neg(maxDelta);
  return {
    init: () => ({}),
    update: (updates, state) => [tree.map((g: NdArray) => np.clip(g, low, maxDelta), updates), state],
  };
}
