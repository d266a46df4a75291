/**
 * optax's small base helpers (`_src/base.py`, `_src/numerics.py`, `_src/utils.py`): stateless
 * transformations from a function, the empty state, extra-argument support, safe counter
 * increments and `scale_gradient`.
 */
import { type NdArray, customVjp } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';
import type { EmptyState, ExtraArgs, GradientTransformation } from './types.js';
import { incrementCount } from './util.js';

/** The empty state (optax's `init_empty_state`): `{}` whatever the parameters. */
export const initEmptyState = (_params?: unknown): EmptyState => ({});

/**
 * A transformation with no state from `f(updates, params) -> updates` (optax's `stateless`);
 * `params` is `undefined` when `update` got none.
 * @example stateless((u, p) => treeUtils.treeAddScale(u, 1e-4, p))
 */
export function stateless(f: <U>(updates: U, params: U | undefined) => U): GradientTransformation<EmptyState> {
  return { init: initEmptyState, update: (updates, state, params) => [f(updates, params), state] };
}

/**
 * A stateless transformation applying `f(g, p)` to every leaf of the updates (optax's
 * `stateless_with_tree_map`); `p` is the matching parameter leaf, or `undefined` without params.
 */
export function statelessWithTreeMap(f: (g: NdArray, p: NdArray | undefined) => NdArray): GradientTransformation<EmptyState> {
  return stateless(<U>(updates: U, params: U | undefined): U =>
    params === undefined || params === null ? tree.map<U>((g: NdArray) => f(g, undefined), updates) : tree.map<U>((g: NdArray, p: NdArray) => f(g, p), updates, params),
  );
}

/**
 * optax's `with_extra_args_support`: the transformation itself. In tfjax every `update` already
 * takes (and may ignore) the extra arguments, so nothing needs wrapping.
 */
export function withExtraArgsSupport<S>(t: GradientTransformation<S>): GradientTransformation<S> {
  return {
    init: (params) => t.init(params),
    update: <U>(updates: U, state: S, params?: U, extra?: ExtraArgs) => t.update(updates, state, params, extra),
  };
}

/** `count + 1` for an int32 scalar array, saturating at 2^31 - 1 (optax's `safe_int32_increment`). */
export function safeInt32Increment(count: NdArray): NdArray {
  if (count.dtype !== 'int32') throw new Error(`safeInt32Increment: count must be int32, got ${count.dtype}`);
  return incrementCount(count);
}

/**
 * `count + 1` that saturates instead of overflowing (optax's `safe_increment`): int32 counts stop
 * at 2^31 - 1; float32 counts stop at the largest float32.
 */
export function safeIncrement(count: NdArray): NdArray {
  if (count.dtype === 'int32') return incrementCount(count);
  if (count.dtype === 'float32') return np.where(np.less(count, 3.4028234663852886e38), np.add(count, 1), count);
  throw new Error(`safeIncrement: count must be int32 or float32, got ${count.dtype}`);
}

const scaleLeafGradient = customVjp((s: number, x: NdArray) => x, {
  nondiffArgnums: [0],
  fwd: (_s: number, x: NdArray) => [x, null],
  bwd: (s: number, _r: null, g: NdArray) => [np.mul(g, s)],
});

/**
 * The identity on the values whose gradient is multiplied by `scale` (optax's `scale_gradient`;
 * `scale` 0 stops the gradient). Every leaf of `inputs` gets the same scale.
 */
export function scaleGradient<T>(inputs: T, scale: number): T {
  return tree.map<T>((x: NdArray) => scaleLeafGradient(scale, x) as NdArray, inputs);
}
