/**
 * MADGRAD (Defazio & Jelassi 2021; optax `contrib/_madgrad.py`): a momentumised dual-averaging
 * AdaGrad. Its updates are already the parameter change (`x_new − x`), no learning rate after it.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { addDecayedWeights, type WeightDecayLike } from './decay.js';
import { checkHyper } from './moments.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';

/** The state of {@link scaleByMadgrad} (optax's `MadgradState`). */
export interface MadgradState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  /** Σ λ_k g_k², λ_k = (lr + eps) sqrt(k + 1). */
  readonly gradSumSq: unknown;
  /** Σ λ_k g_k. */
  readonly s: unknown;
  /** The initial parameters. */
  readonly x0: unknown;
}

export interface MadgradOptions {
  /** A number or a schedule of the step (read at the count before the update). */
  readonly learningRate: ScheduleLike;
  /** Default 0.9: the weight of the current point in `x_new = (1 − m) z + m x`. */
  readonly momentum?: number;
  /** Default 1e-6. */
  readonly eps?: number;
}

/**
 * optax.contrib.scale_by_madgrad: with `λ = (lr + eps) sqrt(t + 1)`, `S += λ g²`, `s += λ g`,
 * `z = x0 − s / (cbrt(S) + eps)`, and the update `(1 − momentum) z + momentum x − x`.
 * `update` needs the parameters.
 */
export function scaleByMadgrad({ learningRate, momentum = 0.9, eps = 1e-6 }: MadgradOptions): GradientTransformation<MadgradState> {
  checkHyper('scaleByMadgrad', 'momentum', momentum, (v) => v >= 0 && v <= 1, 'in [0, 1]');
  const lrAt = toSchedule(learningRate);
  return {
    init: (params) => ({ count: initCount(), gradSumSq: zerosLikeTree(params), s: zerosLikeTree(params), x0: copyTree(params) }),
    update(updates, state, params) {
      type U = typeof updates;
      const p = requireParams(params, 'scaleByMadgrad');
      const lamb = np.mul(np.add(lrAt(state.count), eps), np.sqrt(np.cast(np.add(state.count, 1), 'float32')));
      const gradSumSq = tree.map((gs: NdArray, g: NdArray) => np.add(gs, np.mul(lamb, np.square(g))), state.gradSumSq, updates);
      const s = tree.map((sv: NdArray, g: NdArray) => np.add(sv, np.mul(lamb, g)), state.s, updates);
      const out = tree.map<U>((x0: NdArray, sv: NdArray, gs: NdArray, x: NdArray) => {
        const z = np.sub(x0, np.div(sv, np.add(np.cbrt(gs), eps)));
        return np.sub(np.add(np.mul(1 - momentum, z), np.mul(momentum, x)), x);
      }, state.x0, s, gradSumSq, p);
      return [out, { count: incrementCount(state.count), gradSumSq, s, x0: copyTree(state.x0) }];
    },
  };
}

/**
 * optax.contrib.madgrad: `chain(addDecayedWeights(weightDecay), scaleByMadgrad(...))` (L2 decay
 * `wd · p` added to the gradient; default 0).
 * @example const opt = optim.madgrad({ learningRate: 1e-2 });
 */
export function madgrad({ weightDecay = 0, ...rest }: MadgradOptions & { readonly weightDecay?: WeightDecayLike }): GradientTransformation {
  return chain(addDecayedWeights(weightDecay), scaleByMadgrad(rest));
}
