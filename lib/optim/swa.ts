/**
 * torch.optim.swa_utils: `AveragedModel` (stochastic weight averaging of the parameters) as a
 * pair of pure functions over a state, and `SWALR` as a schedule.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { type Schedule, makeSchedule } from './schedule.js';
import { copyTree, incrementCount, initCount } from './util.js';

/** torch's `avg_fn(averaged, model, numAveraged)`, per leaf; `numAveraged` an int32 scalar (>= 1 when called). */
export type AvgFn = (averaged: NdArray, model: NdArray, numAveraged: NdArray) => NdArray;

export interface AveragedModelState<P> {
  /** int32 []: torch's `n_averaged`, the number of `update` calls so far. */
  readonly nAveraged: NdArray;
  /** The averaged parameters (at init, a copy of the starting parameters, as torch's deepcopy). */
  readonly params: P;
}

export interface AveragedModel {
  init<P>(params: P): AveragedModelState<P>;
  /** torch's `update_parameters(model)`: the first call copies `params`, later calls average them in. */
  update<P>(state: AveragedModelState<P>, params: P): AveragedModelState<P>;
}

/** torch's default `avg_fn`: the equal-weight running mean `a + (p - a) / (n + 1)`. */
export const swaAvgFn: AvgFn = (a, p, n) => np.add(a, np.div(np.sub(p, a), np.add(np.cast(n, 'float32'), 1)));

/**
 * torch.optim.swa_utils.AveragedModel: `init(params)` holds a copy of the parameters and
 * `nAveraged = 0`; `update(state, params)` copies `params` on the first call and afterwards
 * applies `avgFn(averaged, params, nAveraged)` leaf by leaf (default {@link swaAvgFn}, the
 * equal-weight mean of every parameter tree passed). Pure and jit-safe. torch's `use_buffers`:
 * pass a tree holding the batch-norm state too (e.g. `{ params, bn }`), and it is averaged
 * the same way.
 * @example const swa = optim.averagedModel(); let avg = swa.init(params); avg = swa.update(avg, params);
 */
export function averagedModel({ avgFn = swaAvgFn }: { readonly avgFn?: AvgFn } = {}): AveragedModel {
  return {
    init: (params) => ({ nAveraged: initCount(), params: copyTree(params) }),
    update<P>(state: AveragedModelState<P>, params: P): AveragedModelState<P> {
      const first = np.equal(state.nAveraged, 0);
      const averaged = tree.map<P>((a: NdArray, p: NdArray) => np.where(first, p, avgFn(a, p, state.nAveraged)), state.params, params);
      return { nAveraged: incrementCount(state.nAveraged), params: averaged };
    },
  };
}

export interface SwaLROptions {
  /** The optimiser's learning rate when SWALR takes over (torch's group `lr`). */
  readonly learningRate: number;
  /** torch's `swa_lr`: the rate annealed to, then kept. */
  readonly swaLr: number;
  /** torch's `anneal_epochs`: scheduler steps of the annealing (default 10; 0 jumps to `swaLr`). */
  readonly annealEpochs?: number;
  /** torch's `anneal_strategy`: 'cos' (default) or 'linear'. */
  readonly annealStrategy?: 'cos' | 'linear';
}

/**
 * torch.optim.swa_utils.SWALR as a schedule: with `s = min(1, t / annealEpochs)` (1 when
 * `annealEpochs` is 0) and `a = (1 - cos(pi s)) / 2` ('cos') or `s` ('linear'), step t's rate
 * is `swaLr a + learningRate (1 - a)`: the rate of the optimiser's t-th step (from 0) when
 * `scheduler.step()` follows each `optimizer.step()`. torch's recursion gives the same numbers.
 */
export function swaLR({ learningRate, swaLr, annealEpochs = 10, annealStrategy = 'cos' }: SwaLROptions): Schedule {
  for (const [k, v] of Object.entries({ learningRate, swaLr })) if (!Number.isFinite(v)) throw new Error(`swaLR: ${k} must be a finite number, got ${v}`);
  if (!Number.isInteger(annealEpochs) || annealEpochs < 0) throw new Error(`swaLR: annealEpochs must be an integer >= 0, got ${annealEpochs}`);
  if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new Error(`swaLR: annealStrategy must be 'cos' or 'linear', got ${String(annealStrategy)}`);
  return makeSchedule((m, t) => {
    const s = annealEpochs === 0 ? 1 : m.min(1, m.div(m.max(t, 0), annealEpochs));
    const a = annealStrategy === 'cos' ? m.div(m.sub(1, m.cos(m.mul(Math.PI, s))), 2) : s;
    return m.add(m.mul(swaLr, a), m.mul(learningRate, m.sub(1, a)));
  });
}
