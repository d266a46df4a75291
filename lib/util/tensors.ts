/**
 * Freeing the tensors of trees (parameters, states, step results) in eager code, where a
 * step's outputs may pass some of its inputs through unchanged.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';

/** Every tfjs tensor among the leaves of a tree. */
export function tensorsIn(x: unknown): tf.Tensor[] {
  return tree.leaves(x).filter((l): l is tf.Tensor => l instanceof tf.Tensor);
}

/** Disposes the tensors of `old` that are not (by identity) tensors of any of `keep`. */
export function disposeExcept(old: unknown, ...keep: unknown[]): void {
  const kept = new Set(keep.flatMap((k) => tensorsIn(k)));
  for (const t of tensorsIn(old)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}
