/** optax's Lookahead (Zhang et al. 2019): k fast steps forward, one slow step back. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { GradientTransformation } from './types.js';
import { copyTree, incrementCount, initCount, requireParams } from './util.js';

/**
 * The parameters lookahead works on (optax's `LookaheadParams`): compute gradients with `fast`,
 * evaluate and infer with `slow`. `applyUpdates(params, updates)` moves both.
 */
export interface LookaheadParams<P> {
  readonly fast: P;
  readonly slow: P;
}

export interface LookaheadState<S> {
  /** The fast optimiser's state. */
  readonly fastState: S;
  /** int32 []: fast steps since the last synchronisation, in [0, syncPeriod). */
  readonly stepsSinceSync: NdArray;
}

export interface LookaheadOptions {
  /** Fast steps between synchronisations (an integer >= 1). */
  readonly syncPeriod: number;
  /** How far the slow parameters move towards the fast ones at a synchronisation (in [0, 1], usually 0.5). */
  readonly slowStepSize: number;
  /** Re-initialise the fast optimiser's state at each synchronisation (default false). */
  readonly resetState?: boolean;
}

/**
 * Synchronised lookahead parameters from ordinary ones (optax's `LookaheadParams.init_synced`);
 * `slow` is a copy, so the two trees can be freed independently.
 * @example let params = optim.lookaheadParams({ w: np.zeros([3]) });
 */
export function lookaheadParams<P>(params: P): LookaheadParams<P> {
  return { fast: params, slow: copyTree(params) };
}

/**
 * optax.lookahead. Params are `{fast, slow}` (see {@link lookaheadParams}); the updates passed in
 * are the gradients with respect to `params.fast`; the updates returned are `{fast, slow}`, for
 * `applyUpdates(params, updates)`, and must not be transformed further. Each step the fast
 * parameters take the fast optimiser's step `u`; on every `syncPeriod`-th step, with
 * `d = fast + u - slow`, slow moves by `slowStepSize d` and fast lands on the new slow
 * (`u - (1 - slowStepSize) d`). `init` takes `{fast, slow}` or plain fast parameters.
 * @example
 * const opt = optim.lookahead(optim.adam({ learningRate: 1e-3 }), { syncPeriod: 5, slowStepSize: 0.5 });
 * let params = optim.lookaheadParams(p0);
 * let state = opt.init(params);
 * const grads = grad(loss)(params.fast);
 * const [updates, next] = opt.update(grads, state, params);
 * params = optim.applyUpdates(params, updates);
 */
export function lookahead<S>(fast: GradientTransformation<S>, { syncPeriod, slowStepSize, resetState = false }: LookaheadOptions): GradientTransformation<LookaheadState<S>> {
  if (!Number.isInteger(syncPeriod) || syncPeriod < 1) throw new Error(`lookahead: syncPeriod must be a positive integer, got ${syncPeriod}`);
  if (!(typeof slowStepSize === 'number' && Number.isFinite(slowStepSize))) throw new Error(`lookahead: slowStepSize must be a finite number, got ${slowStepSize}`);
  const fastOf = (params: unknown): unknown => (params !== null && typeof params === 'object' && 'fast' in params ? (params as LookaheadParams<unknown>).fast : params);
  return {
    init: (params) => ({ fastState: fast.init(fastOf(params)), stepsSinceSync: initCount() }),
    update(updates, state, params, extra) {
      const p = requireParams(params, 'lookahead') as unknown as LookaheadParams<unknown>;
      if (p === null || typeof p !== 'object' || !('fast' in p) || !('slow' in p)) throw new Error('lookahead: params must be {fast, slow} (see lookaheadParams)');
      const [u, fastStep] = fast.update(updates, state.fastState, p.fast as typeof updates, extra);
      const sync = np.cast(np.equal(state.stepsSinceSync, syncPeriod - 1), 'float32');
      const diff = tree.map((f: NdArray, x: NdArray, s: NdArray) => np.sub(np.add(f, x), s), p.fast, u, p.slow);
      const slowUpdates = tree.map((d: NdArray) => np.mul(np.mul(slowStepSize, sync), d), diff);
      const fastUpdates = tree.map((x: NdArray, d: NdArray) => np.sub(x, np.mul(np.mul(sync, 1 - slowStepSize), d)), u, diff);
      const syncBool = np.equal(state.stepsSinceSync, syncPeriod - 1);
      const fastState = resetState ? tree.map<S>((cur: NdArray, init: NdArray) => np.where(syncBool, init, cur), fastStep, fast.init(p.fast)) : fastStep;
      const out: LookaheadParams<unknown> = { fast: fastUpdates, slow: slowUpdates };
      return [out as unknown as typeof updates, { fastState, stepsSinceSync: np.mod(incrementCount(state.stepsSinceSync), syncPeriod) }];
    },
  };
}
