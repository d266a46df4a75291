/**
 * Freezing parameters (optax `transforms/_freezing.py`), where a mask's `true` means FROZEN (optax's
 * convention for these two; elsewhere in optim masks say where to apply):
 * - `setToZero()`: every update becomes zero;
 * - `freeze(mask)`: zero updates where the mask is true, the rest unchanged (`masked(setToZero(), mask)`);
 * - `selectiveTransform(inner, { freezeMask })`: frozen leaves get zero updates and `inner` never sees
 *   them (no state for them, no effect on global quantities such as a clipping norm); the rest go through `inner`;
 * - `freezeFor(inner, { freezeMask, steps })`: during the first `steps` updates the frozen leaves get zero
 *   updates and their slots in `inner`'s parameter-shaped state are held; afterwards `inner` runs as usual
 *   (facebookresearch/swav's `freeze_prototypes_niters`; not in optax).
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import { chain, type ChainState } from './chain.js';
import type { Mask } from './mask.js';
import { type MaskedState, maskFlags, masked } from './masked.js';
import type { EmptyState, GradientTransformation } from './types.js';
import { incrementCount, initCount } from './util.js';

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

export interface FreezeForOptions {
  /** true = frozen during the first `steps` updates; a prefix tree, a boolean, or a function of the parameters. */
  readonly freezeMask: Mask;
  /** How many updates the frozen leaves are held for (an integer >= 0). */
  readonly steps: number;
}

/** The state of {@link freezeFor}: its update count and the inner state. */
export interface FreezeForState<S> {
  /** int32 []: updates so far. */
  readonly count: NdArray;
  readonly inner: S;
}

const shapeKey = (x: unknown) => ((x as { shape?: readonly number[] }).shape ?? []).join(',');

/** The parameters' tree structure and leaf shapes, to find the subtrees of an optimiser state shaped like them. */
function parameterShape(params: unknown): { key: string; shapes: string[] } {
  const [leaves, def] = tree.flatten<NdArray>(params);
  return { key: tree.structureKey(def), shapes: leaves.map(shapeKey) };
}

/**
 * `next` with, inside every subtree shaped like the parameters (same structure and leaf shapes: a
 * momentum buffer, Adam's moments), the flagged leaves taken from `prev` where `hold` is true.
 */
function holdParameterSlots(next: unknown, prev: unknown, like: { key: string; shapes: string[] }, flags: readonly boolean[], hold: NdArray): unknown {
  // Any subtree shaped like the parameters (of whatever node kind: registered classes too) is a slot; a bare leaf is not.
  if (tree.isArrayLike(next)) return next;
  const [leaves, def] = tree.flatten<NdArray>(next);
  if (tree.structureKey(def) === like.key && leaves.every((x, i) => shapeKey(x) === like.shapes[i])) {
    const old = tree.leaves<NdArray>(prev);
    return tree.unflatten(def, leaves.map((x, i) => (flags[i] ? np.where(hold, old[i], x) : x)));
  }
  if (Array.isArray(next)) return next.map((c, i) => holdParameterSlots(c, (prev as unknown[])[i], like, flags, hold));
  if (!tree.isPlainObject(next)) return next;
  const p = prev as Record<string, unknown>;
  return Object.fromEntries(Object.entries(next as Record<string, unknown>).map(([k, c]) => [k, holdParameterSlots(c, p[k], like, flags, hold)]));
}

/**
 * An optimiser state `next` in which, where `hold` is true, the slots of the leaves `mask` selects
 * (in every subtree shaped like `params`: momentum, Adam's moments) keep their values from `prev`;
 * counters and other leaves are `next`'s. This is {@link freezeFor}'s rule for code that holds
 * parameters after an update without wrapping the optimiser (its state layout stays the optimiser's).
 * @example const held = holdSlots(newOptState, oldOptState, params, { prototypes: true }, np.less(step, 313));
 */
export function holdSlots<S>(next: S, prev: S, params: unknown, mask: Mask, hold: NdArray): S {
  return holdParameterSlots(next, prev, parameterShape(params), maskFlags(mask, params, 'holdSlots: mask'), hold) as S;
}

/**
 * Runs `inner` on every leaf, but for the first `steps` updates the leaves `freezeMask` selects get
 * zero updates and their slots in `inner`'s state that are shaped like the parameters (momentum,
 * Adam's moments) keep their values; counters advance for all. Afterwards the frozen leaves train
 * from a fresh slot, as facebookresearch/swav's prototypes do after `freeze_prototypes_niters`
 * (where their gradient was None). The parameters must be a tree (object or array) of arrays.
 * @example const opt = freezeFor(lars({ learningRate: 4.8 }), { freezeMask: { encoder: false, prototypes: true }, steps: 313 });
 */
export function freezeFor<S>(inner: GradientTransformation<S>, { freezeMask, steps }: FreezeForOptions): GradientTransformation<FreezeForState<S>> {
  if (!Number.isInteger(steps) || steps < 0) throw new Error(`freezeFor: steps must be an integer >= 0, got ${steps}`);
  return {
    init: (params) => ({ count: initCount(), inner: inner.init(params) }),
    update(updates, state, params, extra) {
      const flags = maskFlags(freezeMask, updates, 'freezeFor: freezeMask');
      const frozen = np.less(state.count, steps);
      const [out, innerState] = inner.update(updates, state.inner, params, extra);
      const [outLeaves, outDef] = tree.flatten<NdArray>(out);
      return [
        tree.unflatten<typeof updates>(outDef, outLeaves.map((u, i) => (flags[i] ? np.where(frozen, 0, u) : u))),
        { count: incrementCount(state.count), inner: holdParameterSlots(innerState, state.inner, parameterShape(updates), flags, frozen) as S },
      ];
    },
  };
}
