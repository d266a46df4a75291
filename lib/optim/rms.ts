/** Rescaling by running averages of squared gradients: RMSprop's and Adagrad's denominators. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { zerosLikeTree } from './util.js';

export interface RmsOptions {
  /** Decay of the squared-gradient average (torch's `alpha`, default 0.99). */
  readonly decay?: number;
  /** Added after the root (torch's convention; optax's `scale_by_rms` adds it inside), default 1e-8. */
  readonly eps?: number;
  /** Divide by the root of the variance (`nu - mu^2`, mu the gradients' average) instead of `nu` (default false). */
  readonly centered?: boolean;
}

export interface RmsState {
  /** Average of the squared updates, shaped like the parameters (zeros at init). */
  readonly nu: unknown;
  /** Average of the updates, when `centered` (zeros at init). */
  readonly mu?: unknown;
}

/**
 * torch.optim.RMSprop's scaling: `nu = decay nu + (1 - decay) g^2`, and with `centered`
 * `mu = decay mu + (1 - decay) g`; the update is `g / (sqrt(nu [- mu^2]) + eps)`. No
 * learning rate, no sign, no bias correction (torch has none).
 */
export function scaleByRms({ decay = 0.99, eps = 1e-8, centered = false }: RmsOptions = {}): GradientTransformation<RmsState> {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`scaleByRms: decay must be in [0, 1], got ${decay}`);
  return {
    init: (params) => (centered ? { nu: zerosLikeTree(params), mu: zerosLikeTree(params) } : { nu: zerosLikeTree(params) }),
    update(updates, state) {
      type U = typeof updates;
      const average = (avg: NdArray, x: NdArray) => np.add(np.mul(avg, decay), np.mul(x, 1 - decay));
      const nu = tree.map<U>((g: NdArray, v: NdArray) => average(v, np.square(g)), updates, state.nu);
      if (!centered) return [tree.map<U>((g: NdArray, v: NdArray) => np.div(g, np.add(np.sqrt(v), eps)), updates, nu), { nu }];
      if (state.mu === undefined) throw new Error('scaleByRms: centered needs the state init returned (it has no mu)');
      const mu = tree.map<U>((g: NdArray, m: NdArray) => average(m, g), updates, state.mu);
      const out = tree.map<U>((g: NdArray, v: NdArray, m: NdArray) => np.div(g, np.add(np.sqrt(np.sub(v, np.square(m))), eps)), updates, nu, mu);
      return [out, { nu, mu }];
    },
  };
}

export interface RssOptions {
  /** Starting value of the sum of squares (torch's `initial_accumulator_value`, default 0). */
  readonly initialAccumulatorValue?: number;
  /** Added after the root (default 1e-10, torch's). */
  readonly eps?: number;
}

export interface RssState {
  /** The running sum of squared updates, shaped like the parameters. */
  readonly sumOfSquares: unknown;
}

/**
 * Adagrad's scaling (torch.optim.Adagrad): `s = s + g^2`, update `g / (sqrt(s) + eps)`.
 * (optax's `scale_by_rss` puts eps inside the root; this follows torch, as the named optimisers do.)
 */
export function scaleByRss({ initialAccumulatorValue = 0, eps = 1e-10 }: RssOptions = {}): GradientTransformation<RssState> {
  if (!(initialAccumulatorValue >= 0)) throw new Error(`scaleByRss: initialAccumulatorValue must be >= 0, got ${initialAccumulatorValue}`);
  return {
    init: (params) => ({ sumOfSquares: tree.map((x: NdArray) => np.add(np.zerosLike(x), initialAccumulatorValue), params) }),
    update(updates, state) {
      type U = typeof updates;
      const sumOfSquares = tree.map<U>((g: NdArray, s: NdArray) => np.add(s, np.square(g)), updates, state.sumOfSquares);
      return [tree.map<U>((g: NdArray, s: NdArray) => np.div(g, np.add(np.sqrt(s), eps)), updates, sumOfSquares), { sumOfSquares }];
    },
  };
}
