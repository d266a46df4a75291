/** Eager memory management: one helper instead of reference counting. */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { transforming } from './trace.js';

/**
 * Runs fn and frees every tensor it created, except those in its result (any pytree).
 * Use it around each iteration of an eager loop; transformations do this themselves.
 * @example for (let i = 0; i < 100; i++) params = scope(() => update(params, grads(params)));
 */
export function scope<T>(fn: () => T): T {
  // Inside a transformation the outermost one owns memory (and traces need their constants).
  if (transforming()) return fn();
  let result!: T;
  tf.tidy(() => {
    result = fn();
    return tree.leaves(result).filter((l): l is tf.Tensor => l instanceof tf.Tensor);
  });
  return result;
}
