/** Scaling updates: by a constant, by a schedule, by a (negated) learning rate. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain } from './chain.js';
import { type ScheduleLike, toSchedule } from './schedule.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { incrementCount, initCount } from './util.js';

/** The state of a transformation that only counts steps. */
export interface CountState {
  /** Number of updates done so far (an int32 scalar). */
  readonly count: NdArray;
}

const mulTree = <U>(updates: U, factor: number | NdArray): U => tree.map<U>((g: NdArray) => np.mul(g, factor), updates);

/** `updates * factor`. */
export function scale(factor: number): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update: (updates, state) => [mulTree(updates, factor), state],
  };
}

/**
 * torch's `maximize`: `t` fed the negated gradients, so it climbs the objective
 * (`chain(scale(-1), t)`: the negation comes first, before any L2 weight decay, as in torch).
 * `t` itself when `maximize` is false, so its state keeps its layout.
 */
export function maximizing<S>(maximize: boolean, t: GradientTransformation<S>): GradientTransformation<S | [EmptyState, S]> {
  return maximize ? chain(scale(-1), t) : t;
}

/**
 * `updates * schedule(count)`, with the step count kept in the state (so it works under
 * `jit`). The first update uses `schedule(0)`.
 */
export function scaleBySchedule(schedule: ScheduleLike): GradientTransformation<CountState> {
  const s = toSchedule(schedule);
  return {
    init: () => ({ count: initCount() }),
    update: (updates, state) => [mulTree(updates, s(state.count)), { count: incrementCount(state.count) }],
  };
}

/**
 * `updates * -learningRate` (optax's sign: the result is added to the parameters; `flipSign:
 * false` keeps the sign, as optax's `flip_sign=False`). A number keeps no state; a schedule keeps
 * the step count and uses `learningRate(count)`.
 */
export function scaleByLearningRate(learningRate: ScheduleLike, { flipSign = true }: { readonly flipSign?: boolean } = {}): GradientTransformation<EmptyState | CountState> {
  if (typeof learningRate === 'number') return scale(flipSign ? -learningRate : learningRate);
  const s = toSchedule(learningRate);
  const t: GradientTransformation<CountState> = {
    init: () => ({ count: initCount() }),
    update: (updates, state) => {
      const lr = s(state.count);
      return [mulTree(updates, flipSign ? np.neg(lr) : lr), { count: incrementCount(state.count) }];
    },
  };
  return t as GradientTransformation<EmptyState | CountState>;
}
