/** Lion (Chen et al. 2023): the sign of an interpolated momentum, as optax.scale_by_lion. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

/** optax's sign variants: `sign(x)`, `tanh(smoothBeta x)`, or `x` inside (-1, 1) and `sign(x)` outside. */
export type LionMode = 'hard' | 'smooth' | 'refined';

export interface LionOptions {
  /** Interpolation between momentum and gradient for the update's sign (default 0.9). */
  readonly b1?: number;
  /** Decay of the momentum (default 0.99). */
  readonly b2?: number;
  /** optax's `mode` (default `'hard'`, the sign). */
  readonly mode?: LionMode;
  /** optax's `smooth_beta`: the slope of `'smooth'` (default 1). */
  readonly smoothBeta?: number;
}

export interface LionState {
  /** int32 []: updates done so far (optax's `count`). */
  readonly count: NdArray;
  /** The momentum, shaped like the parameters. */
  readonly mu: unknown;
}

/** The update of one interpolated momentum `x` in each mode. */
function lionSign(x: NdArray, mode: LionMode, smoothBeta: number): NdArray {
  if (mode === 'smooth') return np.tanh(np.mul(x, smoothBeta));
  if (mode === 'refined') return np.where(np.less(np.abs(x), 1), x, np.sign(x));
  return np.sign(x);
}

/**
 * optax.scale_by_lion: update `sign(b1 mu + (1 - b1) g)` (or its `mode` variant), then
 * `mu = b2 mu + (1 - b2) g`.
 */
export function scaleByLion({ b1 = 0.9, b2 = 0.99, mode = 'hard', smoothBeta = 1 }: LionOptions = {}): GradientTransformation<LionState> {
  if (mode !== 'hard' && mode !== 'smooth' && mode !== 'refined') throw new Error(`scaleByLion: mode must be 'hard', 'smooth' or 'refined', got ${String(mode)}`);
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const out = tree.map<U>((g: NdArray, m: NdArray) => lionSign(np.add(np.mul(m, b1), np.mul(g, 1 - b1)), mode, smoothBeta), updates, state.mu);
      const mu = tree.map<U>((g: NdArray, m: NdArray) => np.add(np.mul(m, b2), np.mul(g, 1 - b2)), updates, state.mu);
      return [out, { count: incrementCount(state.count), mu }];
    },
  };
}
