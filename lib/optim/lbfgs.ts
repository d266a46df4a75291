/**
 * L-BFGS (optax `scale_by_lbfgs` and `lbfgs`, `_src/transform.py` / `_src/alias.py`): the update
 * times an approximation of the inverse Hessian built from the last `memorySize` differences of
 * parameters and updates (Nocedal & Wright, algorithms 7.4 and 7.5), by default followed by a
 * zoom line search that needs the extra arguments `{ value, grad, valueFn }`.
 */
import type { DType, NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { dynamicIndexInDim, dynamicUpdateSliceInDim } from '../ops/dynamic-slice.js';
import * as tree from '../tree/index.js';
import { chain, identity } from './chain.js';
import { scale, scaleByLearningRate } from './scale.js';
import type { ScheduleLike } from './schedule.js';
import { treeAddScale, treeNorm, treeScale, treeSub, treeVdot } from './tree-utils.js';
import type { GradientTransformation } from './types.js';
import { incrementCount, initCount, requireParams, zerosLikeTree } from './util.js';
import { scaleByZoomLinesearch } from './zoom-linesearch.js';

/** The state of {@link scaleByLbfgs} (optax's `ScaleByLBFGSState`). */
export interface LbfgsState {
  /** int32 []: updates done so far. */
  readonly count: NdArray;
  /** The parameters and the updates of the last call. */
  readonly params: unknown;
  readonly updates: unknown;
  /** Each leaf stacked `memorySize` times: the circular buffers of parameter and update differences. */
  readonly diffParamsMemory: unknown;
  readonly diffUpdatesMemory: unknown;
  /** float32 [memorySize]: `1 / <δu, δw>` of each stored pair (0 for an empty slot). */
  readonly weightsMemory: NdArray;
}

export interface ScaleByLbfgsOptions {
  /** Pairs of differences kept (default 10). */
  readonly memorySize?: number;
  /** Start from `γ I` with `γ = <δw, δu> / <δu, δu>` of the last pair (default true); else from `I`. */
  readonly scaleInitPrecond?: boolean;
}

/** Slot `idx` (an int32 scalar) of every stacked leaf. */
const slot = <T>(memory: T, idx: NdArray): T => tree.map<T>((x: NdArray) => dynamicIndexInDim(x, idx, 0, false), memory);

/**
 * `P u` by the two-loop recursion over the memory, oldest pair at `memoryIdx` (optax's
 * `_precondition_by_lbfgs`).
 */
function precondition<U>(updates: U, dw: unknown, du: unknown, rhos: NdArray, identityScale: NdArray | number, memoryIdx: NdArray, m: number): U {
  const indices = Array.from({ length: m }, (_, k) => np.remainder(np.add(memoryIdx, k), m));
  const alphas: NdArray[] = new Array<NdArray>(m);
  let vec = updates;
  for (let k = m - 1; k >= 0; k--) {
    const idx = indices[k];
    alphas[k] = np.mul(dynamicIndexInDim(rhos, idx, 0, false), treeVdot(slot(dw, idx), vec));
    vec = treeAddScale(vec, np.neg(alphas[k]), slot(du, idx) as U);
  }
  vec = treeScale(identityScale, vec);
  for (let k = 0; k < m; k++) {
    const idx = indices[k];
    const beta = np.mul(dynamicIndexInDim(rhos, idx, 0, false), treeVdot(slot(du, idx), vec));
    vec = treeAddScale(vec, np.sub(alphas[k], beta), slot(dw, idx) as U);
  }
  return vec;
}

/**
 * The L-BFGS direction `P_k u_k` (optax's `scale_by_lbfgs`): it first stores the pair
 * `(params − previous params, updates − previous updates)` (nothing at the first call), then
 * preconditions. At the first call `P_0 = min(1, 1/‖u‖) I`. No sign and no step size: chain it
 * with a negative scaling and a line search, as {@link lbfgs} does. `update` needs the parameters.
 * @example const opt = chain(scaleByLbfgs({ memorySize: 5 }), scale(-0.5));
 */
export function scaleByLbfgs({ memorySize = 10, scaleInitPrecond = true }: ScaleByLbfgsOptions = {}): GradientTransformation<LbfgsState> {
  if (!Number.isInteger(memorySize) || memorySize < 1) throw new Error(`scaleByLbfgs: memorySize must be an integer >= 1, got ${memorySize}`);
  const m = memorySize;
  return {
    init: (params) => {
      const stacked = () => tree.map((x: NdArray) => np.zeros([m, ...x.shape], x.dtype as DType), params);
      return { count: initCount(), params: zerosLikeTree(params), updates: zerosLikeTree(params), diffParamsMemory: stacked(), diffUpdatesMemory: stacked(), weightsMemory: np.zeros([m]) };
    },
    update(updates, state, params) {
      const p = requireParams(params, 'scaleByLbfgs');
      const started = np.greater(state.count, 0);
      const memoryIdx = np.remainder(state.count, m);
      const prevIdx = np.remainder(np.add(state.count, m - 1), m);
      const whenStarted = <T>(t: T): T => tree.map<T>((x: NdArray) => np.where(started, x, np.zerosLike(x)), t);
      const diffParams = whenStarted(treeSub(p, state.params as typeof p));
      const diffUpdates = whenStarted(treeSub(updates, state.updates as typeof updates));
      const curvature = treeVdot(diffUpdates, diffParams);
      const weight = whenStarted(np.where(np.equal(curvature, 0), 0, np.div(1, curvature)));
      const store = <T>(memory: T, fresh: unknown): T => tree.map<T>((x: NdArray, y: NdArray) => dynamicUpdateSliceInDim(x, np.expandDims(y, 0), prevIdx, 0), memory, fresh);
      const diffParamsMemory = store(state.diffParamsMemory, diffParams);
      const diffUpdatesMemory = store(state.diffUpdatesMemory, diffUpdates);
      const weightsMemory = store(state.weightsMemory, weight);
      let identityScale: NdArray | number = 1;
      if (scaleInitPrecond) {
        const denom = treeNorm(diffUpdates, 2, true);
        const gamma = np.where(np.greater(denom, 0), np.div(treeVdot(diffUpdates, diffParams), denom), 1);
        identityScale = np.where(started, gamma, np.minimum(1, np.div(1, treeNorm(tree.map((u: NdArray) => np.stopGradient(u), updates)))));
      }
      const out = precondition(updates, diffParamsMemory, diffUpdatesMemory, weightsMemory, identityScale, memoryIdx, m);
      return [out, { count: incrementCount(state.count), params: p, updates, diffParamsMemory, diffUpdatesMemory, weightsMemory }];
    },
  };
}

export interface LbfgsOptions extends ScaleByLbfgsOptions {
  /** A fixed step (or schedule) instead of the line search's sign flip (default none: scale by −1). */
  readonly learningRate?: ScheduleLike;
  /**
   * The line search after the direction (default `scaleByZoomLinesearch({ maxLinesearchSteps: 20,
   * initialGuessStrategy: 'one' })`); `null` for none.
   */
  readonly linesearch?: GradientTransformation | null;
}

/**
 * optax's `lbfgs`: `chain(scaleByLbfgs, scale(−1) or scaleByLearningRate(lr), linesearch)`. With
 * the default zoom line search every update needs the extra arguments `{ value, grad, valueFn }`
 * (the loss and its gradient at `params`, and the loss function); `valueAndGradFromState`
 * reuses the value and gradient the line search computed at the new point.
 * @example
 * const opt = lbfgs();
 * const vg = valueAndGradFromState(f);
 * const [value, grad] = vg(params, { state });
 * const [u, s] = opt.update(grad, state, params, { value, grad, valueFn: f });
 */
export function lbfgs({ learningRate, memorySize = 10, scaleInitPrecond = true, linesearch }: LbfgsOptions = {}): GradientTransformation {
  const ls = linesearch === undefined ? scaleByZoomLinesearch({ maxLinesearchSteps: 20, initialGuessStrategy: 'one' }) : linesearch ?? identity();
  const baseScaling = learningRate === undefined ? scale(-1) : scaleByLearningRate(learningRate);
  return chain(scaleByLbfgs({ memorySize, scaleInitPrecond }), baseScaling, ls);
}
