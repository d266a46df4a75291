/**
 * Polyak's step size (optax `scale_by_polyak`, `polyak_sgd`): the step that would reach the
 * optimal value `fMin` if the loss were linear, `(f(x) - fMin) / ‖g‖²`, capped. It reads the
 * loss value, passed as the extra argument `{ value }` of `update`.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { chain } from './chain.js';
import type { Hyper } from './moments.js';
import { sgd } from './optimizers.js';
import type { ScheduleLike } from './schedule.js';
import { treeNorm, treeScale } from './tree-utils.js';
import type { EmptyState, ExtraArgs, GradientTransformation } from './types.js';

export interface PolyakOptions {
  /** A lower bound on the loss (default 0). */
  readonly fMin?: Hyper;
  /** The largest step size (default 1). */
  readonly maxLearningRate?: Hyper;
  /** Added to ‖g‖² (default 0). */
  readonly eps?: Hyper;
  /** 'sps' (default), or 'sps+': the gap `f - fMin` clipped at 0. */
  readonly variant?: 'sps' | 'sps+';
}

/** float64's machine epsilon: optax's `jnp.finfo(float).eps`, below which ‖g‖² + eps counts as 0. */
export const FLOAT_EPS = 2.220446049250313e-16;

/** The loss passed as the extra argument `{ value }` of `update` (a number or an array); `what` names the transformation in the error. */
export function lossValue(extra: ExtraArgs | undefined, what = 'scaleByPolyak'): NdArray | number {
  const value = extra?.value;
  if (typeof value === 'number') return value;
  if (value !== null && typeof value === 'object' && 'dtype' in value) return value as NdArray;
  throw new Error(`${what}: update needs the loss value: call update(grads, state, params, { value: loss })`);
}

/**
 * `u · min((f - fMin) / (‖u‖² + eps), maxLearningRate)` with `f` the loss (`extra.value`), and 0
 * when `‖u‖² + eps` is 0 (optax's `scale_by_polyak`). No sign: `polyakSgd` puts this after `sgd`.
 * @example const [u, s] = scaleByPolyak().update(grads, state, params, { value: loss });
 */
export function scaleByPolyak({ fMin = 0, maxLearningRate = 1, eps = 0, variant = 'sps' }: PolyakOptions = {}): GradientTransformation<EmptyState> {
  if (variant !== 'sps' && variant !== 'sps+') throw new Error(`scaleByPolyak: variant must be 'sps' or 'sps+', got ${String(variant)}`);
  return {
    init: () => ({}),
    update(updates, state, _params, extra) {
      const sq = treeNorm(updates, 2, true);
      const rawGap = np.sub(lossValue(extra), fMin);
      const gap = variant === 'sps+' ? np.maximum(rawGap, 0) : rawGap;
      const denom = np.add(sq, eps);
      const step = np.where(np.lessEqual(denom, FLOAT_EPS), 0, np.minimum(np.div(gap, denom), maxLearningRate));
      return [treeScale(step, updates), state];
    },
  };
}

export interface PolyakSgdOptions extends PolyakOptions {
  /** A scaling of the step, a number or a schedule (optax's `scaling`, default 1). */
  readonly scaling?: ScheduleLike;
}

/**
 * SGD with Polyak's step size (optax's `polyak_sgd`): `chain(sgd(scaling), scaleByPolyak)`, so the
 * norm is that of `-scaling · g`. Pass the loss to every update: `update(g, s, p, { value })`.
 * @example const opt = polyakSgd({ maxLearningRate: 1 });
 */
export function polyakSgd({ scaling = 1, ...polyak }: PolyakSgdOptions = {}): GradientTransformation {
  return chain(sgd({ learningRate: scaling }), scaleByPolyak(polyak));
}
