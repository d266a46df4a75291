/**
 * Freezing parameters (optax `transforms/_freezing.py`), where a mask's `true` means FROZEN (optax's
 * convention for these two; elsewhere in optim masks say where to apply):
 * - `setToZero()`: every update becomes zero;
 * - `freeze(mask)`: zero updates where the mask is true, the rest unchanged (`masked(setToZero(), mask)`);
 * - `selectiveTransform(inner, { freezeMask })`: frozen leaves get zero updates and `inner` never sees
 *   them (no state for them, no effect on global quantities such as a clipping norm); the rest go through `inner`.
 */
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain, type ChainState } from './chain.js';
import type { Mask } from './mask.js';
import { type MaskedState, maskFlags, masked } from './masked.js';
import type { EmptyState, GradientTransformation } from './types.js';

/** Replaces every update by zeros (optax's `set_to_zero`). */
export function setToZero(): GradientTransformation<EmptyState> {
  return {
    init: () => ({}),
    update: (updates, state) => [tree.map((u) => np.zerosLike(u), updates), state],
  };
}

/**
 * Zero updates for the leaves where `mask` is true (held constant by `applyUpdates`); others unchanged.
 * Put it after the optimiser in a chain to hold parameters whatever the optimiser adds (weight decay).
 * @example const opt = chain(sgd({ learningRate: 0.1, weightDecay: 1e-4 }), freeze({ encoder: true, head: false }));
 */
export function freeze(mask: Mask): GradientTransformation<MaskedState<EmptyState>> {
  return masked(setToZero(), mask);
}

/** The mask that selects the leaves `mask` does not. */
function complement(mask: Mask): (params: unknown) => unknown {
  return (params) => tree.unflatten(tree.structure(params), maskFlags(mask, params, 'selectiveTransform: freezeMask').map((f) => !f));
}

export interface SelectiveTransformOptions {
  /** true = frozen (zero updates, no optimiser state); a prefix tree, a boolean, or a function of the parameters. */
  readonly freezeMask: Mask;
}

/** The state of {@link selectiveTransform}. */
export type SelectiveTransformState<S> = ChainState<[GradientTransformation<MaskedState<EmptyState>>, GradientTransformation<MaskedState<S>>]>;

/**
 * Optimises only the unfrozen leaves with `inner`; frozen ones get zero updates (optax's `selective_transform`).
 * @example const opt = selectiveTransform(adam({ learningRate: 1e-3 }), { freezeMask: { backbone: true, head: false } });
 */
export function selectiveTransform<S>(inner: GradientTransformation<S>, { freezeMask }: SelectiveTransformOptions): GradientTransformation<SelectiveTransformState<S>> {
  return chain(freeze(freezeMask), masked(inner, complement(freezeMask)));
}
