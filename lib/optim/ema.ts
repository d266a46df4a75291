/** Exponential moving averages: of updates (a transformation), and of parameters (teacher networks). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, zerosLikeTree } from './util.js';

/**
 * `decay * target + (1 - decay) * online`, leaf by leaf: the teacher / momentum-encoder
 * update of BYOL, MoCo, DINO. `decay` may be a scalar array (e.g. a schedule's value
 * inside `jit`).
 * @example teacher = emaUpdate(teacher, student, 0.996);
 */
export function emaUpdate<T>(target: T, online: T, decay: number | NdArray): T {
  const rest = typeof decay === 'number' ? 1 - decay : np.sub(1, decay);
  return tree.map<T>((t: NdArray, o: NdArray) => np.add(np.mul(t, decay), np.mul(o, rest)), target, online);
}

export interface EmaOptions {
  /**
   * Divide by `1 - decay^count` so the average of a zero-started EMA is unbiased (optax's
   * default, true). Must be false with `startFromParams`.
   */
  readonly debias?: boolean;
  /**
   * Start the average from a copy of `init`'s argument instead of zeros (a teacher network
   * initialised as the student). Implies no debiasing.
   */
  readonly startFromParams?: boolean;
}

export interface EmaState {
  /** Updates averaged so far (int32 scalar). */
  readonly count: NdArray;
  /** The running average, shaped like the parameters. */
  readonly ema: unknown;
}

/**
 * Replaces updates by their exponential moving average, `ema = decay * ema + (1 - decay) * u`
 * (optax's `ema`). For a teacher network, start from the student and feed it the student's
 * parameters: `const [teacher, s] = tx.update(student, state)` with
 * `tx = ema(0.996, { startFromParams: true })`, or use {@link emaUpdate} directly.
 */
export function ema(decay: number, { debias, startFromParams = false }: EmaOptions = {}): GradientTransformation<EmaState> {
  if (!(decay >= 0 && decay <= 1)) throw new Error(`ema: decay must be in [0, 1], got ${decay}`);
  if (startFromParams && debias) throw new Error('ema: startFromParams and debias cannot both be set (a params-started average has no bias)');
  const unbias = debias ?? !startFromParams;
  return {
    init: (params) => ({ count: initCount(), ema: startFromParams ? copyTree(params) : zerosLikeTree(params) }),
    update(updates, state) {
      const avg = emaUpdate(state.ema as typeof updates, updates, decay);
      const count = incrementCount(state.count);
      if (!unbias) return [avg, { count, ema: avg }];
      const correction = np.sub(1, np.pow(decay, np.cast(count, 'float32')));
      return [tree.map((x: NdArray) => np.div(x, correction), avg), { count, ema: avg }];
    },
  };
}
