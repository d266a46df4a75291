/** optax's self-supervised losses (optax.losses.ntxent, optax.losses.triplet_margin_loss). */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { cosineSimilarity } from './cosine-similarity.js';

/** float32's machine epsilon, optax's `jnp.finfo(embeddings.dtype).eps` for the cosine similarity. */
const FLOAT32_EPS = 2 ** -23;

/**
 * NT-Xent over a batch with labels (optax.ntxent; default temperature 0.07): embeddings [N, D],
 * labels [N] (equal labels are positive pairs). For every positive pair (i, j), i ≠ j, the loss is
 * -log(e^{s_ij} / (e^{s_ij} + Σ_{k: label_k ≠ label_i} e^{s_ik})) with s the cosine similarity over
 * the temperature; the result is their mean (a scalar).
 */
export function ntxent(embeddings: NdArray, labels: NdArray, temperature = 0.07): NdArray {
  const n = embeddings.shape[0];
  if (embeddings.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== n)
    throw new Error(`ntxent: need embeddings [N, D] and labels [N], got ${shapeStr(embeddings.shape)} and ${shapeStr(labels.shape)}`);
  const xcs = np.div(cosineSimilarity(np.expandDims(embeddings, 0), np.expandDims(embeddings, 1), FLOAT32_EPS), temperature);
  const same = np.equal(np.expandDims(labels, 1), np.expandDims(labels, 0));
  const diffs = np.logicalNot(same);
  const matches = np.logicalAnd(same, np.logicalNot(np.cast(np.eye(n), 'bool')));
  const xcsDiffs = np.where(diffs, xcs, -Infinity);
  const xcsMatches = np.where(matches, xcs, -Infinity);
  const shift = np.stopGradient(np.max(np.concatenate([xcsDiffs, xcsMatches], -1), 1, true));
  const shiftedDiffs = np.sub(xcsDiffs, shift);
  const shiftedMatches = np.sub(xcsMatches, shift);
  const denom = np.add(np.sum(np.exp(shiftedDiffs), 1, true), np.exp(shiftedMatches));
  const logSoftmax = np.sub(shiftedMatches, np.log(denom));
  return np.div(np.neg(np.sum(np.where(matches, logSoftmax, 0))), np.sum(np.cast(matches, 'float32')));
}

export interface OptaxTripletOptions {
  /** The axis of the features (default -1). */
  readonly axis?: number;
  /** The p of the distance (default 2). */
  readonly normDegree?: number;
  readonly margin?: number;
  readonly eps?: number;
}

/**
 * optax.losses.triplet_margin_loss, per example: max(d(a, p) - d(a, n) + margin, 0) with
 * d(x, y) = (Σ (x - y)^normDegree + eps)^(1 / normDegree) along `axis` (optax's formula: no
 * absolute value, eps inside the root; `nn.F.tripletMarginLoss` is PyTorch's, with ||x - y + eps||_p).
 */
export function tripletMarginLoss(anchors: NdArray, positives: NdArray, negatives: NdArray, { axis = -1, normDegree = 2, margin = 1, eps = 1e-6 }: OptaxTripletOptions = {}): NdArray {
  const d = (x: NdArray, y: NdArray) => np.pow(np.add(np.sum(np.pow(np.sub(x, y), normDegree), axis), eps), 1 / normDegree);
  return np.maximum(np.add(np.sub(d(anchors, positives), d(anchors, negatives)), margin), 0);
}
