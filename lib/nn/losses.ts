/**
 * optax's losses (optax.losses), per example: no reduction, so `np.mean` (or a weighted sum)
 * is the caller's. Written from the functions of `np` and `nn.F`, so every transformation
 * applies; numerically stable forms (log-softmax, log-sigmoid, xlogy) throughout.
 */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { logSigmoid } from './functional.js';

const diff = (predictions: NdArray, targets?: NdArray | number) => (targets === undefined ? predictions : np.sub(predictions, targets));

/** (p - t)^2, elementwise (optax.squared_error; t defaults to 0). */
export const squaredError = (predictions: NdArray, targets?: NdArray | number) => np.square(diff(predictions, targets));

/** 0.5 (p - t)^2, elementwise (optax.l2_loss). */
export const l2Loss = (predictions: NdArray, targets?: NdArray | number) => np.mul(squaredError(predictions, targets), 0.5);

/** Huber loss: 0.5 e^2 where |e| <= delta, delta (|e| - 0.5 delta) beyond (optax.huber_loss; default delta 1). */
export function huberLoss(predictions: NdArray, targets?: NdArray | number, delta = 1): NdArray {
  const e = np.abs(diff(predictions, targets));
  const quadratic = np.minimum(e, delta);
  return np.add(np.mul(np.square(quadratic), 0.5), np.mul(np.sub(e, quadratic), delta));
}

/**
 * log(cosh(p - t)) (optax.log_cosh), computed as |e| + log1p(expm1(-2|e|) / 2): the same as
 * |e| + log1p(exp(-2|e|)) - log 2, without subtracting log 2 from a number near it, which
 * left small errors (~e^2 / 2) with no correct digits in float32.
 */
export function logCosh(predictions: NdArray, targets?: NdArray | number): NdArray {
  const e = np.abs(diff(predictions, targets));
  return np.add(e, np.log1p(np.mul(np.expm1(np.mul(e, -2)), 0.5)));
}

/**
 * -sum(labels * log_softmax(logits)) over `axis` (optax.softmax_cross_entropy): labels are
 * probabilities (one-hot or smoothed).
 */
export function softmaxCrossEntropy(logits: NdArray, labels: NdArray, axis = -1): NdArray {
  return np.neg(np.sum(np.mul(labels, np.logSoftmax(logits, axis)), axis));
}

/**
 * Cross-entropy with int32 class labels (optax.softmax_cross_entropy_with_integer_labels):
 * logsumexp(logits) - logits[label] along `axis`, labels shaped like logits without it.
 */
export function softmaxCrossEntropyWithIntegerLabels(logits: NdArray, labels: NdArray, axis = -1): NdArray {
  const a = np.normalizeAxisIndex(axis, logits.shape.length);
  const { picked, valid } = takeClass(logits, labels, a);
  return np.where(valid, np.sub(np.logsumexp(logits, a), picked), NaN);
}

/**
 * x[..., labels, ...] along `axis` (labels shaped like x without it), and where each label is
 * valid. As jnp.take_along_axis: a label in [-k, 0) counts from the end; one outside [-k, k)
 * is not valid and reads x at index 0 (the caller decides: NaN, an error value, ...). The
 * gather only sees in-range indices: takeAlongAxis indexes the flattened array, so label k
 * would read the next row's first entry, and larger ones fail in a backend kernel.
 */
export function takeClass(x: NdArray, labels: NdArray, axis: number): { picked: NdArray; valid: NdArray } {
  const k = x.shape[axis];
  const valid = np.logicalAnd(np.greaterEqual(labels, -k), np.less(labels, k));
  const index = np.where(valid, labels, 0);
  return { picked: np.squeeze(np.takeAlongAxis(x, np.expandDims(index, axis), axis), axis), valid };
}

/**
 * Binary cross-entropy from logits, elementwise (optax.sigmoid_binary_cross_entropy):
 * -labels log sigmoid(x) - (1 - labels) log sigmoid(-x); labels are probabilities in [0, 1].
 */
export function sigmoidBinaryCrossEntropy(logits: NdArray, labels: NdArray | number): NdArray {
  return np.neg(np.add(np.mul(labels, logSigmoid(logits)), np.mul(np.sub(1, labels), logSigmoid(np.neg(logits)))));
}

/**
 * Focal loss (Lin et al. 2017; optax.sigmoid_focal_loss): the binary cross-entropy scaled by
 * (1 - p_t)^gamma, and by alpha (positives) / 1 - alpha (negatives) when alpha is given.
 */
export function sigmoidFocalLoss(logits: NdArray, labels: NdArray, { alpha, gamma = 2 }: { alpha?: number; gamma?: number } = {}): NdArray {
  const ce = sigmoidBinaryCrossEntropy(logits, labels);
  // 1 - p_t as y sigmoid(-x) + (1 - y) sigmoid(x): a sum of non-negative terms, exact where
  // 1 - (p y + (1 - p)(1 - y)) cancels to 0 for confident logits. The weight q^gamma is
  // exp(gamma log q), 0^gamma where q underflows, so the derivative stays finite for any
  // gamma (pow's derivative at 0 is infinite for gamma < 1).
  const q = np.add(np.mul(labels, np.sigmoid(np.neg(logits))), np.mul(np.sub(1, labels), np.sigmoid(logits)));
  const positive = np.greater(q, 0);
  const weight = np.where(positive, np.exp(np.mul(np.log(np.where(positive, q, 1)), gamma)), gamma === 0 ? 1 : 0);
  const loss = np.mul(ce, weight);
  if (alpha === undefined) return loss;
  return np.mul(loss, np.add(np.mul(labels, alpha), np.mul(np.sub(1, labels), 1 - alpha)));
}

/** max(0, 1 - p t) for targets in {-1, 1}, elementwise (optax.hinge_loss). */
export function hingeLoss(predictorOutputs: NdArray, targets: NdArray): NdArray {
  return np.maximum(np.sub(1, np.mul(predictorOutputs, targets)), 0);
}

/** x log y, 0 where x = 0 (scipy's xlogy): KL divergence's convention 0 log 0 = 0. */
const xlogy = (x: NdArray, y: NdArray) => np.where(np.equal(x, 0), 0, np.mul(x, np.log(np.where(np.equal(x, 0), 1, y))));

/**
 * KL(targets || predictions) over the last axis from log-predictions (optax.kl_divergence):
 * sum(targets (log targets - logPredictions)), with 0 log 0 = 0.
 */
export function klDivergence(logPredictions: NdArray, targets: NdArray): NdArray {
  return np.sum(np.sub(xlogy(targets, targets), np.mul(targets, logPredictions)), -1);
}

export { cosineDistance, cosineSimilarity } from './cosine-similarity.js';

/** (1 - alpha) labels + alpha / K over the last axis (optax.smooth_labels). */
export function smoothLabels(labels: NdArray, alpha: number): NdArray {
  return np.add(np.mul(labels, 1 - alpha), alpha / labels.shape[labels.shape.length - 1]);
}

/**
 * KL(targets || predictions) over the last axis from log-predictions and log-targets
 * (optax.kl_divergence_with_log_targets): sum(exp(logTargets) (logTargets - logPredictions)).
 */
export function klDivergenceWithLogTargets(logPredictions: NdArray, logTargets: NdArray): NdArray {
  return np.sum(np.mul(np.exp(logTargets), np.sub(logTargets, logPredictions)), -1);
}

/**
 * softmaxCrossEntropy with 0 log 0 = 0 (optax.safe_softmax_cross_entropy): a logit of -inf
 * whose label is 0 adds 0 (and no NaN to the gradient) instead of 0 · -inf = NaN.
 */
export function safeSoftmaxCrossEntropy(logits: NdArray, labels: NdArray): NdArray {
  const weighted = np.where(np.notEqual(labels, 0), np.mul(labels, np.logSoftmax(logits, -1)), 0);
  return np.neg(np.sum(weighted, -1));
}

/** scores · one_hot(labels) over the last axis: 0 for a label outside [0, K), as jax.nn.one_hot. */
const labelScore = (scores: NdArray, labels: NdArray) => np.sum(np.mul(scores, np.oneHot(labels, scores.shape[scores.shape.length - 1])), -1);

/**
 * Crammer-Singer multiclass hinge loss (optax.multiclass_hinge_loss) with int32 labels:
 * max_k(scores_k + 1 - [k = label]) - scores[label], over the last axis.
 */
export function multiclassHingeLoss(scores: NdArray, labels: NdArray): NdArray {
  const margins = np.sub(np.add(scores, 1), np.oneHot(labels, scores.shape[scores.shape.length - 1]));
  return np.sub(np.max(margins, -1), labelScore(scores, labels));
}

/** max_k scores_k - scores[label] over the last axis, int32 labels (optax.multiclass_perceptron_loss). */
export function multiclassPerceptronLoss(scores: NdArray, labels: NdArray): NdArray {
  return np.sub(np.max(scores, -1), labelScore(scores, labels));
}

/** max(0, -p t) for targets in {-1, 1}, elementwise (optax.perceptron_loss). */
export function perceptronLoss(predictorOutputs: NdArray, targets: NdArray): NdArray {
  return np.maximum(np.neg(np.mul(predictorOutputs, targets)), 0);
}

/**
 * PolyLoss (optax.poly_loss_cross_entropy; Leng et al. 2022): softmaxCrossEntropy + epsilon Σ labels (1 - softmax(logits))
 * over `axis` (default epsilon 2).
 */
export function polyLossCrossEntropy(logits: NdArray, labels: NdArray, epsilon = 2, axis = -1): NdArray {
  const oneMinusPt = np.sum(np.mul(labels, np.sub(1, np.softmax(logits, axis))), axis);
  return np.add(softmaxCrossEntropy(logits, labels, axis), np.mul(oneMinusPt, epsilon));
}

/**
 * The generalized KL divergence of unnormalised distributions (optax.generalized_kl_divergence):
 * klDivergence(logPredictions, targets) + Σ (exp(logPredictions) - targets) over the last axis.
 */
export function generalizedKlDivergence(logPredictions: NdArray, targets: NdArray): NdArray {
  return np.add(klDivergence(logPredictions, targets), np.sum(np.sub(np.exp(logPredictions), targets), -1));
}

/** optax.convex_kl_divergence, the deprecated name of {@link generalizedKlDivergence}. */
export const convexKlDivergence = generalizedKlDivergence;

export { ntxent, type OptaxTripletOptions, tripletMarginLoss } from './contrastive-losses.js';
export { multiclassSparsemaxLoss, sparsemaxLoss } from './sparsemax.js';
export { type DiceOptions, diceLoss, multiclassGeneralizedDiceLoss } from './dice.js';
export { type CtcOptions, ctcLoss, ctcLossWithForwardProbs } from './ctc.js';
export { type RankingReduceFn, type RankingSoftmaxOptions, rankingSoftmaxLoss } from './ranking-losses.js';
export { type MaxFun, makeFenchelYoungLoss } from './fenchel-young.js';
