/** Eager memory management: one helper instead of reference counting. */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { transforming } from './trace.js';

/**
 * Runs fn and frees every tensor it created, except those in its result (any pytree).
 * Use it around each iteration of an eager loop; transformations do this themselves.
 *
 * `replaced` (any pytree, typically the loop's state that the result supersedes) is freed
 * too once fn has returned, except the tensors the result still holds; nothing is freed if
 * fn throws. So a loop carrying its state stays flat without disposing by hand.
 * @example for (let i = 0; i < 100; i++) params = scope(() => update(params, grads(params)), params);
 */
export function scope<T>(fn: () => T, replaced?: unknown): T {
  // Inside a transformation the outermost one owns memory (and traces need their constants).
  if (transforming()) return fn();
  let result!: T;
  tf.tidy(() => {
    result = fn();
    return tree.leaves(result).filter((l): l is tf.Tensor => l instanceof tf.Tensor);
  });
  if (replaced !== undefined) {
    const kept = new Set(tree.leaves(result));
    tf.dispose(tree.leaves(replaced).filter((l): l is tf.Tensor => l instanceof tf.Tensor && !kept.has(l)));
  }
  return result;
}
