/**
 * Per-leaf ("block") scalings from optax: `clip_by_block_rms` (transforms/_clipping.py),
 * `scale_by_param_block_norm` / `scale_by_param_block_rms` and `normalize_by_update_norm`
 * (_src/transform.py). A block is one leaf of the tree.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { globalNorm } from './clip.js';
import { safeNorm, safeRootMeanSquares } from './numerics.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { requireParams } from './util.js';

/** A stateless transformation from a function of the updates and (optional) parameters. */
function stateless(f: <U>(updates: U, params: U | undefined) => U): GradientTransformation<EmptyState> {
  return { init: () => ({}), update: (updates, state, params) => [f(updates, params), state] };
}

/** Each leaf `u` divided by `max(1, rms(u) / threshold)`: its RMS is clipped to `threshold` (optax's `clip_by_block_rms`). */
export function clipByBlockRms(threshold: number): GradientTransformation<EmptyState> {
  if (!(threshold > 0)) throw new Error(`clipByBlockRms: threshold must be > 0, got ${threshold}`);
  return stateless((updates) =>
    tree.map((u: NdArray) => np.div(u, np.maximum(1, np.div(np.sqrt(np.mean(np.square(u))), threshold))), updates),
  );
}

/** Each leaf `u` times `max(‖p‖, minScale)`, `p` its parameter (optax's `scale_by_param_block_norm`). */
export function scaleByParamBlockNorm(minScale = 1e-3): GradientTransformation<EmptyState> {
  return stateless((updates, params) =>
    tree.map((u: NdArray, p: NdArray) => np.mul(u, safeNorm(p, minScale)), updates, requireParams(params, 'scaleByParamBlockNorm')),
  );
}

/** Each leaf `u` times `max(rms(p), minScale)`, `p` its parameter (optax's `scale_by_param_block_rms`, Adafactor's parameter scale). */
export function scaleByParamBlockRms(minScale = 1e-3): GradientTransformation<EmptyState> {
  return stateless((updates, params) =>
    tree.map((u: NdArray, p: NdArray) => np.mul(u, safeRootMeanSquares(p, minScale)), updates, requireParams(params, 'scaleByParamBlockRms')),
  );
}

/** All updates divided by `(‖u‖ + eps) / scaleFactor`, ‖u‖ the global norm (optax's `normalize_by_update_norm`). */
export function normalizeByUpdateNorm(scaleFactor = 1, eps = 1e-6): GradientTransformation<EmptyState> {
  return stateless((updates) => {
    const denom = np.div(np.add(globalNorm(updates), eps), scaleFactor);
    return tree.map((u: NdArray) => np.div(u, denom), updates);
  });
}
