/** Composition: `chain` runs transformations in sequence; its state is the tuple of theirs. */
import type { EmptyState, GradientTransformation, StateOf } from './types.js';

/** Passes updates through unchanged (a placeholder that keeps a chain's state layout fixed). */
export function identity(): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update: (updates, state) => [updates, state],
  };
}

/** The state of `chain(...ts)`: one sub-state per transformation, in order. */
export type ChainState<Ts extends readonly GradientTransformation<any>[]> = { -readonly [K in keyof Ts]: StateOf<Ts[K]> };

/**
 * Applies the transformations in order, each to the updates the previous one returned; all
 * see the same `params`. The state is a tuple (a JS array) of the sub-states.
 * @example const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(1e-3));
 */
export function chain<Ts extends readonly GradientTransformation<any>[]>(...transforms: Ts): GradientTransformation<ChainState<Ts>> {
  return {
    init: (params) => transforms.map((t) => t.init(params)) as ChainState<Ts>,
    update(updates, state, params, extra) {
      const states = state as unknown as unknown[];
      if (!Array.isArray(states) || states.length !== transforms.length)
        throw new Error(`chain: the state must be an array of ${transforms.length} sub-state(s) (what init returned), got ${Array.isArray(states) ? `${states.length}` : typeof states}`);
      let u = updates;
      const next = transforms.map((t, i) => {
        const [nu, ns] = t.update(u, states[i], params, extra);
        u = nu;
        return ns;
      });
      return [u, next as ChainState<Ts>];
    },
  };
}
