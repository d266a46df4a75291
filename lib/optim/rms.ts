/** Rescaling by running averages of squared gradients: RMSprop's and Adagrad's denominators. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { biasCorrection } from './moments.js';
import { incrementCount, initCount, zerosLikeTree } from './util.js';

export interface RmsOptions {
  /** Decay of the squared-gradient average (torch's `alpha`, default 0.99). */
  readonly decay?: number;
  /** Added after the root (torch's convention; `epsInSqrt` for optax's, inside), default 1e-8. */
  readonly eps?: number;
  /** Divide by the root of the variance (`nu - mu^2`, mu the gradients' average) instead of `nu` (default false). */
  readonly centered?: boolean;
  /** optax's `initial_scale`: the starting value of `nu` (default 0). */
  readonly initialScale?: number;
  /** optax's `eps_in_sqrt`: `g / sqrt(nu + eps)` instead of torch's `g / (sqrt(nu) + eps)` (default false). */
  readonly epsInSqrt?: boolean;
  /** optax's `bias_correction`: use `nu / (1 - decay^t)` (default false; not with `centered`). Keeps a `count`. */
  readonly biasCorrection?: boolean;
}

export interface RmsState {
  /** Average of the squared updates, shaped like the parameters (zeros at init). */
  readonly nu: unknown;
  /** Average of the updates, when `centered` (zeros at init). */
  readonly mu?: unknown;
  /** Updates done so far (int32 scalar), with `biasCorrection`. */
  readonly count?: NdArray;
}

/**
 * torch.optim.RMSprop's scaling: `nu = decay nu + (1 - decay) g^2`, and with `centered`
 * `mu = decay mu + (1 - decay) g`; the update is `g / (sqrt(nu [- mu^2]) + eps)`. No
 * learning rate, no sign, no bias correction (torch has none). optax's `scale_by_rms` is
 * `scaleByRms({ decay: 0.9, epsInSqrt: true })` (plus its `initialScale` / `biasCorrection`).
 */
export function scaleByRms({ decay = 0.99, eps = 1e-8, centered = false, initialScale = 0, epsInSqrt = false, biasCorrection: debias = false }: RmsOptions = {}): GradientTransformation<RmsState> {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`scaleByRms: decay must be in [0, 1], got ${decay}`);
  if (centered && (debias || epsInSqrt || initialScale !== 0)) throw new Error('scaleByRms: centered takes none of initialScale, epsInSqrt, biasCorrection (use scaleByStddev for optax\'s centred form)');
  const denominator = (v: NdArray) => (epsInSqrt ? np.sqrt(np.add(v, eps)) : np.add(np.sqrt(v), eps));
  return {
    init(params) {
      const nu = tree.map((x: NdArray) => np.add(np.zerosLike(x), initialScale), params);
      if (centered) return { nu, mu: zerosLikeTree(params) };
      return debias ? { nu, count: initCount() } : { nu };
    },
    update(updates, state) {
      type U = typeof updates;
      const average = (avg: NdArray, x: NdArray) => np.add(np.mul(avg, decay), np.mul(x, 1 - decay));
      const nu = tree.map<U>((g: NdArray, v: NdArray) => average(v, np.square(g)), updates, state.nu);
      if (debias) {
        if (state.count === undefined) throw new Error('scaleByRms: biasCorrection needs the state init returned (it has no count)');
        const count = incrementCount(state.count);
        const nuHat = biasCorrection(nu, decay, count);
        return [tree.map<U>((g: NdArray, v: NdArray) => np.div(g, denominator(v)), updates, nuHat), { nu, count }];
      }
      if (!centered) return [tree.map<U>((g: NdArray, v: NdArray) => np.div(g, denominator(v)), updates, nu), { nu }];
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
  /**
   * optax's `scale_by_rss` form: `g / sqrt(s + eps)` where `s > 0`, 0 where `s` is 0 (default
   * false; optax's own defaults are initialAccumulatorValue 0.1, eps 1e-7).
   */
  readonly epsInSqrt?: boolean;
}

export interface RssState {
  /** The running sum of squared updates, shaped like the parameters. */
  readonly sumOfSquares: unknown;
}

/**
 * Adagrad's scaling (torch.optim.Adagrad): `s = s + g^2`, update `g / (sqrt(s) + eps)`.
 * (optax's `scale_by_rss` puts eps inside the root; this follows torch, as the named optimisers do.)
 */
export function scaleByRss({ initialAccumulatorValue = 0, eps = 1e-10, epsInSqrt = false }: RssOptions = {}): GradientTransformation<RssState> {
  if (!(initialAccumulatorValue >= 0)) throw new Error(`scaleByRss: initialAccumulatorValue must be >= 0, got ${initialAccumulatorValue}`);
  return {
    init: (params) => ({ sumOfSquares: tree.map((x: NdArray) => np.add(np.zerosLike(x), initialAccumulatorValue), params) }),
    update(updates, state) {
      type U = typeof updates;
      const sumOfSquares = tree.map<U>((g: NdArray, s: NdArray) => np.add(s, np.square(g)), updates, state.sumOfSquares);
      const scaled = (g: NdArray, s: NdArray) => (epsInSqrt ? np.where(np.greater(s, 0), np.div(g, np.sqrt(np.add(s, eps))), 0) : np.div(g, np.add(np.sqrt(s), eps)));
      return [tree.map<U>(scaled, updates, sumOfSquares), { sumOfSquares }];
    },
  };
}
