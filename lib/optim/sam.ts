/**
 * Sharpness-aware minimisation (Foret et al. 2021; optax `contrib/_sam.py`): between outer steps
 * of `optimizer`, `syncPeriod − 1` adversarial steps of `advOptimizer` climb the loss; the outer
 * step, taken with the gradient at the adversarial point, starts again from the cached parameters.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { applyUpdates } from './apply.js';
import { treeNorm } from './tree-utils.js';
import type { EmptyState, ExtraArgs, GradientTransformation } from './types.js';
import { copyTree, requireParams } from './util.js';

/** `g / ‖g‖` over the whole tree (optax.contrib.normalize). */
export function normalize(): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update: (updates, state) => {
      const n = treeNorm(updates);
      return [tree.map((g: NdArray) => np.div(g, n), updates), state];
    },
  };
}

/** The state of {@link sam} (optax's `SAMState`). */
export interface SamState<S, A> {
  /** int32 []: adversarial steps since the last outer step. */
  readonly stepsSinceSync: NdArray;
  readonly optState: S;
  readonly advState: A;
  /** The parameters of the last outer step (`null` in opaque mode). */
  readonly cache: unknown;
}

export interface SamOptions {
  /** Calls per outer step: `syncPeriod − 1` adversarial ones, then the outer one (default 2). */
  readonly syncPeriod?: number;
  /** Re-initialise the adversarial optimiser after each outer step (default true). */
  readonly resetState?: boolean;
  /** Run the adversarial steps inside one update, with the extra argument `gradFn(params, i)` (default false). */
  readonly opaqueMode?: boolean;
}

const pick = <T>(c: NdArray, a: T, b: T): T => tree.map<T>((x: NdArray, y: NdArray) => np.where(c, x, y), a, b);

/** opaque mode's extra argument: the gradient at the adversarial parameters of step i. */
function gradFnOf(extra: ExtraArgs | undefined): (params: unknown, i: number) => unknown {
  const f = extra?.gradFn ?? extra?.grad_fn;
  if (typeof f !== 'function') throw new Error('sam: opaqueMode needs the extra argument gradFn: call update(grads, state, params, { gradFn: (params, i) => grads })');
  return f as (params: unknown, i: number) => unknown;
}

/**
 * optax.contrib.sam. Transparent mode (default): each call is one step of the sequence — calls
 * `1 … syncPeriod − 1` return `−advOptimizer(g)` (ascent: `advOptimizer` is e.g.
 * `chain(normalize(), sgd({ learningRate: rho }))`), call `syncPeriod` returns the move from the
 * current parameters to `cache + optimizer(g)` (evaluated at the cached parameters). Opaque mode:
 * one call does all adversarial steps with `gradFn` and returns the outer update.
 * @example const opt = sam(sgd({ learningRate: 0.1 }), chain(normalize(), sgd({ learningRate: 0.05 })));
 */
export function sam<S, A>(optimizer: GradientTransformation<S>, advOptimizer: GradientTransformation<A>, { syncPeriod = 2, resetState = true, opaqueMode = false }: SamOptions = {}): GradientTransformation<SamState<S, A>> {
  if (!Number.isInteger(syncPeriod) || syncPeriod < 1) throw new Error(`sam: syncPeriod must be an integer >= 1, got ${syncPeriod}`);
  return {
    init: (params) => ({ stepsSinceSync: np.zeros([], 'int32'), optState: optimizer.init(params), advState: advOptimizer.init(params), cache: opaqueMode ? null : copyTree(params) }),
    update(updates, state, params, extra) {
      type U = typeof updates;
      const p = requireParams(params, 'sam');
      if (opaqueMode) {
        const gradFn = gradFnOf(extra);
        let [advParams, advUpdates, advState] = [p, updates, state.advState];
        for (let i = 0; i < syncPeriod - 1; i++) {
          const [u, s] = advOptimizer.update(advUpdates, advState, advParams);
          advState = s;
          advParams = applyUpdates(advParams, tree.map<U>((x: NdArray) => np.neg(x), u));
          advUpdates = gradFn(advParams, i) as U;
        }
        if (resetState) advState = advOptimizer.init(p);
        const [out, optState] = optimizer.update(advUpdates, state.optState, p);
        return [out, { stepsSinceSync: np.zeros([], 'int32'), advState, optState, cache: null }];
      }
      const cache = state.cache as U;
      const first = np.equal(state.stepsSinceSync, 0);
      const last = np.equal(state.stepsSinceSync, syncPeriod - 1);
      const [advRaw, advNext] = advOptimizer.update(updates, state.advState, p);
      const [optRaw, optNext] = optimizer.update(updates, state.optState, cache);
      const optUpdates = tree.map<U>((c: NdArray, x: NdArray, u: NdArray) => np.add(np.sub(c, x), u), cache, p, optRaw);
      const out = pick(last, optUpdates, tree.map<U>((x: NdArray) => np.neg(x), advRaw));
      return [
        out,
        {
          stepsSinceSync: np.remainder(np.add(state.stepsSinceSync, 1), syncPeriod),
          optState: pick(last, optNext, state.optState),
          advState: pick(last, resetState ? advOptimizer.init(p) : state.advState, advNext),
          cache: pick(first, p, cache),
        },
      ];
    },
  };
}
