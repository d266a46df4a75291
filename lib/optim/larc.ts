/** LARC (apex / facebookresearch/swav): layer-wise adaptive rate scaling in front of SGD. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Mask, mapMasked, resolveMask } from './mask.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import type { CountState } from './scale.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams } from './util.js';

export interface LarcOptions {
  /** LARC's `trust_coefficient` (default 0.001, as swav). */
  readonly trustCoefficient?: number;
  /** Weight decay folded into the adapted gradient (default 0). */
  readonly weightDecay?: number;
  /** Added to the denominator of the trust ratio (default 1e-8). */
  readonly eps?: number;
  /**
   * LARC's `clip`: the ratio becomes `min(ratio / lr, 1)` (default false, as swav). Needs
   * `learningRate`, evaluated at the step count the state keeps.
   */
  readonly clip?: boolean;
  /** The learning rate of the optimiser LARC wraps; only read when `clip` is true. */
  readonly learningRate?: ScheduleLike;
  /**
   * Leaves LARC applies to (default all, as swav: biases and BatchNorm included). Excluded
   * leaves pass the plain gradient through (no decay, no adaptation).
   */
  readonly mask?: Mask;
}

const norm = (x: NdArray) => np.sqrt(np.sum(np.square(x)));

/**
 * Per leaf, as apex's LARC that swav wraps around SGD (LARC sets the inner optimiser's
 * weight decay to 0 and folds it in here):
 * `ratio = trust * |p| / (|g| + wd * |p| + eps)` (with `clip`: `min(ratio / lr, 1)`), and
 * `update = ratio * (g + wd * p)`; when `|p| = 0` or `|g| = 0` the gradient passes unchanged.
 * Follow it with `traceMomentum` and `scaleByLearningRate` (see `lars`).
 */
export function scaleByLarc({
  trustCoefficient = 0.001,
  weightDecay = 0,
  eps = 1e-8,
  clip = false,
  learningRate,
  mask,
}: LarcOptions = {}): GradientTransformation<EmptyState | CountState> {
  if (clip && learningRate === undefined) throw new Error('scaleByLarc: clip needs the learningRate of the wrapped optimiser');
  const lr = clip ? toSchedule(learningRate!) : null;
  const adapt = (g: NdArray, p: NdArray, currentLr: NdArray | null): NdArray => {
    const pn = norm(p);
    const gn = norm(g);
    let ratio = np.div(np.mul(pn, trustCoefficient), np.add(np.add(gn, np.mul(pn, weightDecay)), eps));
    if (currentLr) ratio = np.minimum(np.div(ratio, currentLr), 1);
    const active = np.logicalAnd(np.greater(pn, 0), np.greater(gn, 0));
    const decayed = weightDecay === 0 ? g : np.add(g, np.mul(p, weightDecay));
    return np.where(active, np.mul(decayed, ratio), g);
  };
  const t: GradientTransformation<any> = {
    init: () => (clip ? { count: initCount() } : {}),
    update(updates, state, params) {
      const p = requireParams(params, 'scaleByLarc');
      const m = resolveMask(mask, p, 'scaleByLarc');
      const currentLr = lr ? lr((state as CountState).count) : null;
      const out = mapMasked(m, (g, w) => adapt(g, w, currentLr), updates, p);
      return [out, clip ? { count: incrementCount((state as CountState).count) } : state];
    },
  };
  return t;
}
