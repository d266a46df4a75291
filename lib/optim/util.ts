/** Small tree helpers shared by the transformations (not exported from the package). */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, isTracer } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';

/** A scalar int32 step counter, as every counting transformation keeps it. */
export function initCount(): NdArray {
  return np.zeros([], 'int32');
}

const INT32_MAX = 2147483647;

/** count + 1, staying int32 and saturating at 2^31 - 1 instead of wrapping (optax's `safe_increment`). */
export function incrementCount(count: NdArray): NdArray {
  return np.add(np.minimum(count, INT32_MAX - 1), 1);
}

/** A tree of zeros shaped like `params` (works on tracers too). */
export function zerosLikeTree<T>(params: T): T {
  return tree.map<T>((x: NdArray) => np.zerosLike(x), params);
}

/** A copy of every concrete tensor of a tree, so the caller may dispose the original. */
export function copyTree<T>(params: T): T {
  return tree.map<T>((x: NdArray) => (isTracer(x) ? x : tf.clone(x)), params);
}

/** Throws the error a transformation gives when it needs the parameters and got none. */
export function requireParams<U>(params: U | undefined, what: string): U {
  if (params === undefined || params === null) throw new Error(`${what}: update needs the current parameters: call update(updates, state, params)`);
  return params;
}

/**
 * The leaves of `t` raveled and concatenated into one vector (JAX's `ravel_pytree`), with the
 * function that splits a flat vector back into `t`'s structure and shapes.
 */
export function ravelTree<T>(t: T, what: string): [NdArray, (flat: NdArray) => T] {
  const [leaves, def] = tree.flatten<NdArray>(t);
  if (leaves.length === 0) throw new Error(`${what}: the tree has no leaves`);
  const sizes = leaves.map((x) => x.size);
  const flat = np.concatenate(leaves.map((x) => np.ravel(x)));
  const unravel = (v: NdArray): T => {
    const bounds = sizes.slice(0, -1).reduce<number[]>((acc, s) => [...acc, (acc.at(-1) ?? 0) + s], []);
    const parts = np.split(v, bounds);
    return tree.unflatten<T>(def, parts.map((p, i) => np.reshape(p, leaves[i].shape)));
  };
  return [flat, unravel];
}
