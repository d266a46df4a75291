/**
 * Masked transformations (optax `transforms/_masking.py`): `masked(inner, mask)` applies `inner` to the
 * leaves the mask selects (true) and passes the other updates through unchanged; `inner` keeps state
 * only for the selected leaves (the others are `null` holes in its state, as optax's `MaskedNode`).
 */
import * as tree from '../tree/index.js';
import { type Mask, resolveMask } from './mask.js';
import type { GradientTransformation } from './types.js';

/** The state of {@link masked}: the inner transformation's, over the selected leaves only (optax's `inner_state`). */
export interface MaskedState<S> {
  readonly innerState: S;
}

/** One flag per leaf of `t` (every leaf when the mask is absent). */
export function maskFlags(mask: Mask, t: unknown, what: string): boolean[] {
  return resolveMask(mask, t, what) ?? tree.leaves(t).map(() => true);
}

/** `t` with the leaves whose flag is false replaced by `null` (no leaf there). */
function keepSelected<U>(t: U, flags: readonly boolean[]): U {
  const [leaves, def] = tree.flatten(t);
  return tree.unflatten<U>(def, leaves.map((x, i) => (flags[i] ? x : null)));
}

/**
 * Applies `inner` only where `mask` is true (a tree of booleans shaped like the parameters, a prefix
 * of it, or a function of the parameters); elsewhere the updates pass through unchanged.
 * @example masked(addDecayedWeights(1e-4), (p) => tree.map((x) => x.shape.length > 1, p))
 */
export function masked<S>(inner: GradientTransformation<S>, mask: Mask): GradientTransformation<MaskedState<S>> {
  return {
    init: (params) => ({ innerState: inner.init(keepSelected(params, maskFlags(mask, params, 'masked'))) }),
    update(updates, state, params, extra) {
      const flags = maskFlags(mask, updates, 'masked');
      const [newSelected, innerState] = inner.update(keepSelected(updates, flags), state.innerState, params === undefined ? undefined : keepSelected(params, flags), extra);
      const fresh = tree.leaves(newSelected);
      const [leaves, def] = tree.flatten(updates);
      let next = 0;
      const out = tree.unflatten<typeof updates>(def, leaves.map((u, i) => (flags[i] ? fresh[next++] : u)));
      if (next !== fresh.length) throw new Error(`masked: the inner transformation returned ${fresh.length} update(s) for ${next} selected leaf(s)`);
      return [out, { innerState }];
    },
  };
}
