/**
 * Sparsemax (the Euclidean projection onto the simplex, optax.projections.projection_simplex) and
 * its losses: optax's multiclass_sparsemax_loss and (binary) sparsemax_loss, jax.nn's sparse_plus
 * and sparse_sigmoid.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/**
 * sparsemax(z) over the last axis (Martins & Astudillo 2016; optax.projections.projection_simplex
 * with scale 1): max(z - tau, 0) with tau such that the result sums to 1. The support comes from a
 * sort (no gradient); tau is then recomputed from the support's entries, so the gradient is
 * sparsemax's Jacobian (diag(s) - s sᵀ / |S| on the support S).
 */
export function sparsemax(z: NdArray): NdArray {
  const k = z.shape[z.shape.length - 1];
  const sorted = np.sort(np.stopGradient(z), -1, true);
  const cs = np.cumsum(sorted, -1);
  const ranks = np.arange(1, k + 1);
  const inSupport = np.greater(np.add(np.mul(sorted, ranks), 1), cs);
  const size = np.sum(np.cast(inSupport, 'float32'), -1, true);
  // The size-th largest entry: every entry at least as large is in the support.
  const kth = np.takeAlongAxis(sorted, np.sub(np.cast(size, 'int32'), 1), -1);
  const support = np.greaterEqual(z, np.stopGradient(kth));
  const tau = np.div(np.sub(np.sum(np.where(support, z, 0), -1, true), 1), size);
  return np.maximum(np.sub(z, tau), 0);
}

/** jax.nn.sparse_plus: 0 for x <= -1, (x + 1)² / 4 for -1 < x < 1, x for x >= 1. */
export function sparsePlus(x: NdArray): NdArray {
  return np.where(np.lessEqual(x, -1), 0, np.where(np.less(x, 1), np.mul(np.square(np.add(x, 1)), 0.25), x));
}

/** jax.nn.sparse_sigmoid: clip((x + 1) / 2, 0, 1), the derivative of sparse_plus. */
export function sparseSigmoid(x: NdArray): NdArray {
  return np.clip(np.mul(np.add(x, 1), 0.5), 0, 1);
}

/**
 * Binary sparsemax loss (optax.sparsemax_loss), elementwise: sparse_plus(-logits) where the label
 * is true (nonzero), sparse_plus(logits) where it is 0; zero exactly when sparse_sigmoid(logits) = label.
 */
export function sparsemaxLoss(logits: NdArray, labels: NdArray): NdArray {
  return sparsePlus(np.where(np.notEqual(labels, 0), np.neg(logits), logits));
}

/**
 * Multiclass sparsemax loss (optax.multiclass_sparsemax_loss) with int32 labels: scores [..., K],
 * labels [...]: p·(s - s_label) + (1 - p·p) / 2 with p = sparsemax(s), over the support of p.
 */
export function multiclassSparsemaxLoss(scores: NdArray, labels: NdArray): NdArray {
  const proba = sparsemax(scores);
  const hot = np.cast(np.oneHot(labels, scores.shape[scores.shape.length - 1]), 'bool');
  const picked = np.sum(np.where(hot, scores, 0), -1, true);
  const shifted = np.where(hot, 0, np.sub(scores, picked));
  const linear = np.sum(np.mul(proba, np.where(np.notEqual(proba, 0), shifted, 0)), -1);
  return np.add(linear, np.mul(np.sub(1, np.sum(np.square(proba), -1)), 0.5));
}
