/**
 * The optax contract: an optimiser is a pair of pure functions over pytrees of arrays,
 * and all of its state is an explicit tree of arrays (so it can cross `jit`, be saved,
 * and be compared).
 */

/**
 * A gradient transformation.
 * - `init(params)` builds the state (a pytree of arrays; `{}` when there is none).
 * - `update(updates, state, params?)` maps incoming updates (gradients, or the output of
 *   the previous transformation in a `chain`) to outgoing updates and the next state.
 *   `params` is needed only by transformations that read the parameters (weight decay, LARC);
 *   `extra` only by those that read more (the loss value for Polyak's step size).
 *
 * Both are pure: nothing is mutated, and every value that changes across steps (the step
 * count included) is an array in the state, never a JS number, because `jit` bakes JS
 * values into the trace.
 */
export interface GradientTransformation<S = unknown> {
  init(params: unknown): S;
  update<U>(updates: U, state: S, params?: U, extra?: ExtraArgs): [U, S];
}

/**
 * Extra named arguments of `update` (optax's `GradientTransformationExtraArgs`), e.g.
 * `{ value: loss }` for `scaleByPolyak`. Combinators pass them on to every inner
 * transformation; transformations that need none ignore them.
 */
export type ExtraArgs = Readonly<Record<string, unknown>>;

/** The state of a transformation that keeps none (a tree with no leaves). */
export type EmptyState = Readonly<Record<string, never>>;

/** The state a transformation keeps, read off its type. */
export type StateOf<T> = T extends GradientTransformation<infer S> ? S : never;
