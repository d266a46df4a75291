/** optax's cosine similarity and distance (nn.losses; also the NT-Xent of contrastive-losses.ts). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/**
 * Cosine similarity over the last axis (optax.cosine_similarity): each side divided by
 * max(its norm, epsilon), computed as sqrt(max(|x|^2, epsilon^2)): the same value, and a
 * finite derivative at x = 0 when epsilon > 0 (the norm's own derivative there is NaN).
 */
export function cosineSimilarity(predictions: NdArray, targets: NdArray, epsilon = 0): NdArray {
  // The outer maximum only matters where epsilon^2 underflows float32 (epsilon below ~1e-19).
  const unit = (x: NdArray) => np.div(x, np.maximum(np.sqrt(np.maximum(np.sum(np.square(x), -1, true), epsilon * epsilon)), epsilon));
  return np.sum(np.mul(unit(predictions), unit(targets)), -1);
}

/** 1 - cosineSimilarity (optax.cosine_distance). */
export const cosineDistance = (predictions: NdArray, targets: NdArray, epsilon = 0) => np.sub(1, cosineSimilarity(predictions, targets, epsilon));
