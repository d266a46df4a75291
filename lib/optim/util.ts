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
