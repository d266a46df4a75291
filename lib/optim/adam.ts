/** Adam's moment estimates and bias correction. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';
import { oneMinusPow } from './moments.js';

export interface AdamOptions {
  /** Decay of the first moment (default 0.9). */
  readonly b1?: number;
  /** Decay of the second moment (default 0.999). */
  readonly b2?: number;
  /** Added to the root of the second moment (default 1e-8, as torch and optax). */
  readonly eps?: number;
  /** Added to the second moment inside the root (default 0). */
  readonly epsRoot?: number;
  /**
   * optax's Nesterov form (NAdam as optax writes it): the first moment used is
   * `b1 mu / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)`. Default false.
   */
  readonly nesterov?: boolean;
  /**
   * torch's `amsgrad`: divide by the running maximum of the raw second moment,
   * `sqrt(max(nuMax, nu) / (1 - b2^t))` (torch bias-corrects after the maximum; optax's
   * `scaleByAmsgrad` takes the maximum of the corrected moments). Adds `nuMax` to the state.
   * Default false.
   */
  readonly amsgrad?: boolean;
}

export interface AdamState {
  /** Updates done so far (int32 scalar). */
  readonly count: NdArray;
  /** First moment, shaped like the parameters. */
  readonly mu: unknown;
  /** Second moment, shaped like the parameters. */
  readonly nu: unknown;
  /** With `amsgrad`: the running maximum of `nu`. */
  readonly nuMax?: unknown;
}

/** One step of Adam's bookkeeping, shared by its variants (see `adamMoments`). */
export interface AdamMoments<U> {
  /** `b1 mu + (1-b1) g`, `b2 nu + (1-b2) g^2`. */
  readonly mu: U;
  readonly nu: U;
  /** The incremented count, and t = count as float32. */
  readonly count: NdArray;
  readonly t: NdArray;
  /** Bias corrections `1 - b1^t`, `1 - b2^t`. */
  readonly bc1: NdArray;
  readonly bc2: NdArray;
}

/** Adam's running moments of the updates and the step's bias corrections. */
export function adamMoments<U>(updates: U, state: AdamState, b1: number, b2: number): AdamMoments<U> {
  const mu = tree.map<U>((g: NdArray, m: NdArray) => np.add(np.mul(m, b1), np.mul(g, 1 - b1)), updates, state.mu);
  const nu = tree.map<U>((g: NdArray, v: NdArray) => np.add(np.mul(v, b2), np.mul(np.square(g), 1 - b2)), updates, state.nu);
  const count = incrementCount(state.count);
  const t = np.cast(count, 'float32');
  return { mu, nu, count, t, bc1: oneMinusPow(b1, t), bc2: oneMinusPow(b2, t) };
}

/** optax's Nesterov first moment: `b1 mu / (1 - b1^(t+1)) + (1 - b1) g / (1 - b1^t)`. */
export function nesterovMoment<U>(mu: U, updates: U, b1: number, t: NdArray, bc1: NdArray): U {
  const bcNext = oneMinusPow(b1, np.add(t, 1));
  return tree.map<U>((m: NdArray, g: NdArray) => np.add(np.mul(np.div(m, bcNext), b1), np.mul(np.div(g, bc1), 1 - b1)), mu, updates);
}

/**
 * Rescales updates by Adam's bias-corrected moments:
 * `mu = b1 mu + (1-b1) g`, `nu = b2 nu + (1-b2) g^2`, t = count + 1,
 * `update = (mu / (1 - b1^t)) / (sqrt(nu / (1 - b2^t) + epsRoot) + eps)` (with `nesterov`,
 * optax's look-ahead first moment, see {@link AdamOptions.nesterov})
 * (torch's `sqrt(nu) / sqrt(1 - b2^t) + eps` is the same number). No learning rate, no sign.
 */
export function scaleByAdam({ b1 = 0.9, b2 = 0.999, eps = 1e-8, epsRoot = 0, nesterov = false, amsgrad = false }: AdamOptions = {}): GradientTransformation<AdamState> {
  return {
    init: (params) => ({ count: initCount(), mu: zerosLikeTree(params), nu: zerosLikeTree(params), ...(amsgrad ? { nuMax: zerosLikeTree(params) } : {}) }),
    update(updates, state) {
      type U = typeof updates;
      const { mu, nu, count, t, bc1, bc2 } = adamMoments(updates, state, b1, b2);
      if (amsgrad && state.nuMax === undefined) throw new Error('scaleByAdam: amsgrad needs nuMax in the state (call init with amsgrad: true)');
      const nuMax = amsgrad ? tree.map<U>((a: NdArray, v: NdArray) => np.maximum(a, v), state.nuMax, nu) : undefined;
      const muHat = nesterov ? nesterovMoment(mu, updates, b1, t, bc1) : tree.map<U>((m: NdArray) => np.div(m, bc1), mu);
      const out = tree.map<U>((m: NdArray, v: NdArray) => {
        const vHat = np.div(v, bc2);
        const root = np.sqrt(epsRoot === 0 ? vHat : np.add(vHat, epsRoot));
        return np.div(m, np.add(root, eps));
      }, muHat, nuMax ?? nu);
      return [out, nuMax === undefined ? { count, mu, nu } : { count, mu, nu, nuMax }];
    },
  };
}
