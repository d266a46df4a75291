/** optax's segmentation losses: dice_loss and multiclass_generalized_dice_loss. */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';

export interface DiceOptions {
  /** A weight per class [C], multiplying each class's loss (default none). */
  readonly classWeights?: NdArray;
  /** Added to the numerator and denominator (default 1). */
  readonly smooth?: number;
  /** The weight of false positives (default 0.5); with beta 0.5 the plain Dice loss, else Tversky's. */
  readonly alpha?: number;
  /** The weight of false negatives (default 0.5). */
  readonly beta?: number;
  /** Softmax over the classes (sigmoid with one class) first (default true); false: predictions are probabilities. */
  readonly applySoftmax?: boolean;
  /** Over the classes: 'mean' (default), 'sum' or 'none' (per class). */
  readonly reduction?: 'mean' | 'sum' | 'none';
  /** Leave class 0 out (when there is more than one class). */
  readonly ignoreBackground?: boolean;
  /** The axes summed over (default every axis but the first and the last). */
  readonly axis?: number | readonly number[];
}

/**
 * optax.losses.dice_loss: predictions (logits) and one-hot targets [N, ..., C] (or [N, ...] with one
 * class); per class 1 - (I + smooth) / (I + alpha (P - I) + beta (T - I) + smooth) with I = Σ p t,
 * P = Σ p, T = Σ t over `axis`; then weighted, and reduced over the classes: [N] (or [N, C] with 'none').
 */
export function diceLoss(predictions: NdArray, targets: NdArray, opts: DiceOptions = {}): NdArray {
  let [p, t] = [predictions, targets];
  if (p.shape.length === t.shape.length - 1) p = np.expandDims(p, -1);
  if (t.shape.length === p.shape.length - 1) t = np.expandDims(t, -1);
  if (p.shape.length !== t.shape.length || p.shape.some((d, i) => d !== t.shape[i]))
    throw new Error(`diceLoss: predictions and targets must have the same shape, got ${shapeStr(predictions.shape)} and ${shapeStr(targets.shape)}`);
  const c = p.shape[p.shape.length - 1];
  const probs = opts.applySoftmax === false ? p : c === 1 ? np.sigmoid(p) : np.softmax(p, -1);
  const axis = opts.axis ?? Array.from({ length: Math.max(probs.shape.length - 2, 0) }, (_, i) => i + 1);
  const { smooth = 1, alpha = 0.5, beta = 0.5 } = opts;
  const inter = np.sum(np.mul(probs, t), axis);
  const predSum = np.sum(probs, axis);
  const targetSum = np.sum(t, axis);
  const denominator = np.add(np.add(np.add(inter, np.mul(np.sub(predSum, inter), alpha)), np.mul(np.sub(targetSum, inter), beta)), smooth);
  let loss = np.sub(1, np.div(np.add(inter, smooth), denominator));
  if (opts.classWeights) loss = np.mul(loss, opts.classWeights);
  if (opts.ignoreBackground && c > 1) loss = np.sliceAxis(loss, -1, 1, null);
  const reduction = opts.reduction ?? 'mean';
  if (reduction === 'none') return loss;
  if (reduction !== 'mean' && reduction !== 'sum') throw new Error(`diceLoss: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  return reduction === 'mean' ? np.mean(loss, -1) : np.sum(loss, -1);
}

/**
 * optax.losses.multiclass_generalized_dice_loss: the Dice loss per class weighted by
 * 1 / (frequency² + 1e-7) (frequencies summed over every axis but the last, weights normalised to
 * sum to C), averaged over batch and classes (a scalar).
 */
export function multiclassGeneralizedDiceLoss(predictions: NdArray, targets: NdArray, opts: Pick<DiceOptions, 'smooth' | 'applySoftmax' | 'ignoreBackground'> = {}): NdArray {
  const freq = np.sum(targets, Array.from({ length: targets.shape.length - 1 }, (_, i) => i));
  const w = np.div(1, np.add(np.square(freq), 1e-7));
  const classWeights = np.mul(np.div(w, np.sum(w)), freq.shape[0]);
  return np.mean(diceLoss(predictions, targets, { ...opts, classWeights, reduction: 'none' }));
}
