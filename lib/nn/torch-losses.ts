/**
 * PyTorch's functional losses (torch.nn.functional's names in camelCase, offered as `nn.F.*`):
 * inputs in PyTorch's layout (classes on axis 1: [N, C] or [N, C, d1, ...], or one example [C]),
 * PyTorch's options and reductions ('mean' by default). Written from `np`, so grad / vmap / jit
 * apply. Where PyTorch raises on bad values (a class index out of range), which traced code
 * cannot, the loss reads NaN; shapes and options are checked up front.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { logSigmoid, softplus } from './functional.js';
import { takeClass } from './losses.js';
import { type Reduction, type ReductionOptions, checkReduction, reduce } from './reduction.js';

export type { Reduction, ReductionOptions } from './reduction.js';

export interface ClassLossOptions extends ReductionOptions {
  /** A weight per class, [C]. */
  readonly weight?: NdArray;
  /** Targets equal to this class index add nothing and do not count in the mean (default -100). */
  readonly ignoreIndex?: number;
}

export interface CrossEntropyOptions extends ClassLossOptions {
  /** Mixes the target with the uniform distribution over the C classes (default 0). */
  readonly labelSmoothing?: number;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** PyTorch's class axis: 1, or 0 for one example [C]. */
function classAxis(input: NdArray, what: string): number {
  if (input.shape.length === 0) throw new Error(`${what}: input must be [C], [N, C] or [N, C, d1, ...], got a scalar`);
  return input.shape.length === 1 ? 0 : 1;
}

/** A [C] weight shaped to broadcast along the class axis of a rank-`rank` input. */
function classWeight(weight: NdArray, c: number, rank: number, axis: number, what: string): NdArray {
  if (!sameShape(weight.shape, [c])) throw new Error(`${what}: weight must be [${c}] (one per class), got ${shapeStr(weight.shape)}`);
  return np.reshape(weight, [c, ...Array<number>(rank - axis - 1).fill(1)]);
}

/**
 * The entries of the targets' classes, x[y] (NaN where y is out of [0, C): PyTorch raises there,
 * JAX's take would count a negative index from the end), and the targets' weights w[y] (1 without
 * `weight`), checking the target's shape and dtype against x's (classes on axis 1, or 0 for [C]).
 */
function pickTargets(x: NdArray, target: NdArray, weight: NdArray | undefined, what: string): { picked: NdArray; wy: NdArray } {
  const axis = classAxis(x, what);
  const c = x.shape[axis];
  const expected = x.shape.filter((_, i) => i !== axis);
  if (!sameShape(target.shape, expected)) throw new Error(`${what}: class-index target must be ${shapeStr(expected)} for input ${shapeStr(x.shape)}, got ${shapeStr(target.shape)}`);
  if (target.dtype !== 'int32') throw new Error(`${what}: class-index target must be int32, got ${target.dtype} ${shapeStr(target.shape)}`);
  const { picked, valid } = takeClass(x, target, axis);
  const inRange = np.logicalAnd(valid, np.greaterEqual(target, 0));
  const wy = weight ? np.take(classWeight(weight, c, 1, 0, what), np.where(inRange, target, 0)) : np.onesLike(picked);
  return { picked: np.where(inRange, picked, NaN), wy };
}

/**
 * nll_loss per element, -w[y] logp[y] (0 where y = ignoreIndex), and w[y] where y is kept (0
 * where ignored): the mean's denominator.
 */
function nllTerms(logp: NdArray, target: NdArray, opts: ClassLossOptions, what: string) {
  const kept = np.notEqual(target, opts.ignoreIndex ?? -100);
  const { picked, wy } = pickTargets(logp, target, opts.weight, what);
  return { loss: np.where(kept, np.neg(np.mul(picked, wy)), 0), w: np.where(kept, wy, 0), kept };
}

/** Class-index losses reduced as PyTorch: the mean divides by the summed weights of the kept targets (NaN when none is). */
function reduceWeighted(loss: NdArray, w: NdArray, reduction: Reduction, what: string): NdArray {
  checkReduction(reduction, what);
  if (reduction === 'none') return loss;
  return reduction === 'sum' ? np.sum(loss) : np.div(np.sum(loss), np.sum(w));
}

/**
 * The negative log-likelihood of int32 class indices from log-probabilities (F.nll_loss):
 * input [N, C, d1, ...] (or [N, C], [C]), target [N, d1, ...]; -weight[y] input[y] per element.
 * @example F.nllLoss(np.logSoftmax(logits, 1), labels, { ignoreIndex: 0 })
 */
export function nllLoss(input: NdArray, target: NdArray, opts: ClassLossOptions = {}): NdArray {
  const { loss, w } = nllTerms(input, target, opts, 'nllLoss');
  return reduceWeighted(loss, w, opts.reduction ?? 'mean', 'nllLoss');
}

/**
 * Cross-entropy from logits (F.cross_entropy): classes on axis 1 ([N, C], [N, C, d1, ...] or
 * [C]); the target is int32 class indices [N, d1, ...], or probabilities shaped as the input.
 * With class indices, `weight` and 'mean' divide by the summed weights of the non-ignored
 * targets; with probabilities the mean is over the N · d1 · ... positions.
 * @example F.crossEntropy(logits, labels, { labelSmoothing: 0.1, ignoreIndex: -100 })
 */
export function crossEntropy(input: NdArray, target: NdArray, opts: CrossEntropyOptions = {}): NdArray {
  const what = 'crossEntropy';
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${what}: labelSmoothing must be in [0, 1], got ${eps}`);
  const reduction = opts.reduction ?? 'mean';
  const axis = classAxis(input, what);
  const c = input.shape[axis];
  const logp = np.logSoftmax(input, axis);
  const weight = opts.weight ? classWeight(opts.weight, c, input.shape.length, axis, what) : null;
  const weighted = (x: NdArray) => (weight ? np.mul(x, weight) : x);
  if (sameShape(target.shape, input.shape) && target.dtype !== 'int32') {
    if ((opts.ignoreIndex ?? -100) >= 0) throw new Error(`${what}: ignoreIndex is not supported with probability targets`);
    const t = eps > 0 ? np.add(np.mul(target, 1 - eps), eps / c) : target;
    return reduce(np.neg(np.sum(weighted(np.mul(logp, t)), axis)), reduction, what);
  }
  const { loss, w, kept } = nllTerms(logp, target, opts, what);
  if (eps === 0) return reduceWeighted(loss, w, reduction, what);
  // PyTorch: (1 - eps) nll + eps / C · (-sum_c w_c logp_c), both over the same denominator.
  const smooth = np.where(kept, np.neg(np.sum(weighted(logp), axis)), 0);
  return reduceWeighted(np.add(np.mul(loss, 1 - eps), np.mul(smooth, eps / c)), w, reduction, what);
}

export interface WeightOptions extends ReductionOptions {
  /** Multiplies each element's loss (broadcasts against the input). */
  readonly weight?: NdArray;
}

const times = (loss: NdArray, weight?: NdArray) => (weight ? np.mul(loss, weight) : loss);

function checkSame(a: NdArray, b: NdArray, what: string): void {
  if (!sameShape(a.shape, b.shape)) throw new Error(`${what}: target ${shapeStr(b.shape)} must have the input's shape ${shapeStr(a.shape)}`);
}

/** log(x) clamped below at -100 as PyTorch's binary_cross_entropy (0 at x = 0 in the gradient). */
function clampedLog(x: NdArray): NdArray {
  const positive = np.greater(x, 0);
  return np.where(positive, np.maximum(np.log(np.where(positive, x, 1)), -100), -100);
}

/**
 * Binary cross-entropy of probabilities (F.binary_cross_entropy): -w (t log p + (1 - t) log(1 - p)),
 * each log clamped at -100 as PyTorch, so p = 0 or 1 gives a finite loss.
 */
export function binaryCrossEntropy(input: NdArray, target: NdArray, opts: WeightOptions = {}): NdArray {
  checkSame(input, target, 'binaryCrossEntropy');
  const ll = np.add(np.mul(target, clampedLog(input)), np.mul(np.sub(1, target), clampedLog(np.sub(1, input))));
  return reduce(times(np.neg(ll), opts.weight), opts.reduction ?? 'mean', 'binaryCrossEntropy');
}

export interface BceWithLogitsOptions extends WeightOptions {
  /** Weight of the positive term per class (broadcasts along the last axis), as PyTorch's pos_weight. */
  readonly posWeight?: NdArray;
}

/**
 * Binary cross-entropy from logits (F.binary_cross_entropy_with_logits), in the stable form
 * -w (posWeight t log sigmoid(x) + (1 - t) log sigmoid(-x)).
 */
export function binaryCrossEntropyWithLogits(input: NdArray, target: NdArray, opts: BceWithLogitsOptions = {}): NdArray {
  checkSame(input, target, 'binaryCrossEntropyWithLogits');
  const positive = times(np.mul(target, logSigmoid(input)), opts.posWeight);
  const ll = np.add(positive, np.mul(np.sub(1, target), logSigmoid(np.neg(input))));
  return reduce(times(np.neg(ll), opts.weight), opts.reduction ?? 'mean', 'binaryCrossEntropyWithLogits');
}

/** (input - target)^2 (F.mse_loss). */
export function mseLoss(input: NdArray, target: NdArray, opts: ReductionOptions = {}): NdArray {
  return reduce(np.square(np.sub(input, target)), opts.reduction ?? 'mean', 'mseLoss');
}

/** |input - target| (F.l1_loss). */
export function l1Loss(input: NdArray, target: NdArray, opts: ReductionOptions = {}): NdArray {
  return reduce(np.abs(np.sub(input, target)), opts.reduction ?? 'mean', 'l1Loss');
}

/** 0.5 z^2 / scale where z = |input - target| < delta, else delta' (z - 0.5 delta): the shared form of smooth L1 and Huber. */
function quadraticThenLinear(input: NdArray, target: NdArray, delta: number, divideByDelta: boolean): NdArray {
  const z = np.abs(np.sub(input, target));
  if (delta === 0) return z;
  const quadratic = np.mul(np.square(z), divideByDelta ? 0.5 / delta : 0.5);
  const linear = np.mul(np.sub(z, 0.5 * delta), divideByDelta ? 1 : delta);
  return np.where(np.less(z, delta), quadratic, linear);
}

/** Smooth L1 (F.smooth_l1_loss): 0.5 z^2 / beta where z = |input - target| < beta, z - 0.5 beta beyond; beta = 0 is L1. */
export function smoothL1Loss(input: NdArray, target: NdArray, opts: ReductionOptions & { readonly beta?: number } = {}): NdArray {
  const beta = opts.beta ?? 1;
  if (!(beta >= 0)) throw new Error(`smoothL1Loss: beta must be >= 0, got ${beta}`);
  return reduce(quadraticThenLinear(input, target, beta, true), opts.reduction ?? 'mean', 'smoothL1Loss');
}

/** Huber (F.huber_loss): 0.5 z^2 where z = |input - target| < delta, delta (z - 0.5 delta) beyond (default delta 1). */
export function huberLoss(input: NdArray, target: NdArray, opts: ReductionOptions & { readonly delta?: number } = {}): NdArray {
  const delta = opts.delta ?? 1;
  if (!(delta > 0)) throw new Error(`huberLoss: delta must be > 0, got ${delta}`);
  return reduce(quadraticThenLinear(input, target, delta, false), opts.reduction ?? 'mean', 'huberLoss');
}

export interface KlDivOptions {
  /** 'mean' (default: over every element, as PyTorch), 'batchmean' (the sum / N: the true KL), 'sum' or 'none'. */
  readonly reduction?: Reduction | 'batchmean';
  /** The target is given as log-probabilities (default false). */
  readonly logTarget?: boolean;
}

/**
 * KL divergence (F.kl_div) with log-probabilities `input`: target (log target - input) per
 * element (0 where the target is 0), or exp(target) (target - input) with `logTarget`.
 */
export function klDiv(input: NdArray, target: NdArray, opts: KlDivOptions = {}): NdArray {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'klDiv', ['batchmean']);
  const loss = opts.logTarget
    ? np.mul(np.exp(target), np.sub(target, input))
    : np.sub(np.where(np.equal(target, 0), 0, np.mul(target, np.log(np.where(np.equal(target, 0), 1, target)))), np.mul(target, input));
  if (reduction !== 'batchmean') return reduce(loss, reduction, 'klDiv');
  return np.div(np.sum(loss), input.shape.length === 0 ? 1 : input.shape[0]);
}

export interface MarginOptions extends ReductionOptions {
  readonly margin?: number;
}

/** max(0, -y (x1 - x2) + margin) for y in {1, -1} (F.margin_ranking_loss; default margin 0). */
export function marginRankingLoss(input1: NdArray, input2: NdArray, target: NdArray, opts: MarginOptions = {}): NdArray {
  const loss = np.maximum(np.add(np.neg(np.mul(target, np.sub(input1, input2))), opts.margin ?? 0), 0);
  return reduce(loss, opts.reduction ?? 'mean', 'marginRankingLoss');
}

/** x where y = 1, max(0, margin - x) where y = -1 (F.hinge_embedding_loss; default margin 1). */
export function hingeEmbeddingLoss(input: NdArray, target: NdArray, opts: MarginOptions = {}): NdArray {
  const margin = np.where(np.notEqual(target, 1), np.maximum(np.sub(opts.margin ?? 1, input), 0), 0);
  const self = np.where(np.notEqual(target, -1), input, 0);
  return reduce(np.add(margin, self), opts.reduction ?? 'mean', 'hingeEmbeddingLoss');
}

/**
 * 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1 (F.cosine_embedding_loss;
 * default margin 0): x1, x2 [N, D] (or [D]), y [N]; cos = x1·x2 / sqrt((|x1|^2 + 1e-12)(|x2|^2 + 1e-12)).
 */
export function cosineEmbeddingLoss(input1: NdArray, input2: NdArray, target: NdArray, opts: MarginOptions = {}): NdArray {
  checkSame(input1, input2, 'cosineEmbeddingLoss');
  const r = input1.shape.length;
  if (r < 1 || r > 2 || !sameShape(target.shape, input1.shape.slice(0, r - 1)))
    throw new Error(`cosineEmbeddingLoss: need inputs [N, D] (or [D]) and target [N] (or a scalar), got ${shapeStr(input1.shape)} and ${shapeStr(target.shape)}`);
  const sq = (x: NdArray) => np.add(np.sum(np.square(x), -1), 1e-12);
  const cos = np.div(np.sum(np.mul(input1, input2), -1), np.sqrt(np.mul(sq(input1), sq(input2))));
  const pos = np.where(np.equal(target, 1), np.sub(1, cos), 0);
  const neg = np.where(np.equal(target, -1), np.maximum(np.sub(cos, opts.margin ?? 0), 0), 0);
  return reduce(np.add(pos, neg), opts.reduction ?? 'mean', 'cosineEmbeddingLoss');
}

/** ||x1 - x2 + eps||_p over the last axis (F.pairwise_distance); `keepdim` keeps that axis with size 1. */
export function pairwiseDistance(x1: NdArray, x2: NdArray, { p = 2, eps = 1e-6, keepdim = false }: { readonly p?: number; readonly eps?: number; readonly keepdim?: boolean } = {}): NdArray {
  const d = np.abs(np.add(np.sub(x1, x2), eps));
  if (!(p > 0)) throw new Error(`pairwiseDistance: p must be > 0, got ${p}`);
  if (p === 2) return np.sqrt(np.sum(np.square(d), -1, keepdim));
  if (p === 1) return np.sum(d, -1, keepdim);
  if (p === Infinity) return np.max(d, -1, keepdim);
  return np.pow(np.sum(np.pow(d, p), -1, keepdim), 1 / p);
}

export interface TripletMarginOptions extends MarginOptions {
  /** The norm's degree (default 2). */
  readonly p?: number;
  /** Added to the differences before the norm (default 1e-6). */
  readonly eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (default false). */
  readonly swap?: boolean;
}

/** max(d(a, p) - d(a, n) + margin, 0) with d the pairwise p-norm distance (F.triplet_margin_loss; default margin 1, p 2). */
export function tripletMarginLoss(anchor: NdArray, positive: NdArray, negative: NdArray, opts: TripletMarginOptions = {}): NdArray {
  const d = (a: NdArray, b: NdArray) => pairwiseDistance(a, b, { p: opts.p, eps: opts.eps });
  const dNeg = opts.swap ? np.minimum(d(anchor, negative), d(positive, negative)) : d(anchor, negative);
  const loss = np.maximum(np.add(np.sub(d(anchor, positive), dNeg), opts.margin ?? 1), 0);
  return reduce(loss, opts.reduction ?? 'mean', 'tripletMarginLoss');
}

export interface MultiMarginOptions extends MarginOptions {
  /** 1 (default) or 2. */
  readonly p?: 1 | 2;
  /** A weight per class, [C]: multiplies the terms of examples of that class. */
  readonly weight?: NdArray;
}

/**
 * Multi-class hinge loss (F.multi_margin_loss): input [N, C] (or [C]), int32 target [N];
 * sum over j != y of max(0, margin - x[y] + x[j])^p · weight[y], divided by C (default margin 1, p 1).
 */
export function multiMarginLoss(input: NdArray, target: NdArray, opts: MultiMarginOptions = {}): NdArray {
  const what = 'multiMarginLoss';
  const p = opts.p ?? 1;
  if (p !== 1 && p !== 2) throw new Error(`${what}: p must be 1 or 2, got ${p}`);
  if (input.shape.length > 2) throw new Error(`${what}: input must be [N, C] or [C], got ${shapeStr(input.shape)}`);
  const { picked, wy } = pickTargets(input, target, opts.weight, what);
  const axis = input.shape.length - 1;
  const c = input.shape[axis];
  const hinge = np.maximum(np.add(np.sub(opts.margin ?? 1, np.expandDims(picked, axis)), input), 0);
  const others = np.equal(np.oneHot(target, c), 0);
  const terms = np.where(others, p === 2 ? np.square(hinge) : hinge, 0);
  const loss = np.div(np.mul(np.sum(terms, axis), wy), c);
  return reduce(loss, opts.reduction ?? 'mean', what);
}

/** log(1 + exp(-y x)) (F.soft_margin_loss). */
export function softMarginLoss(input: NdArray, target: NdArray, opts: ReductionOptions = {}): NdArray {
  return reduce(softplus(np.neg(np.mul(target, input))), opts.reduction ?? 'mean', 'softMarginLoss');
}

export interface PoissonNllOptions extends ReductionOptions {
  /** The input is the log of the rate (default true): exp(input) - target input; else input - target log(input + eps). */
  readonly logInput?: boolean;
  /** Add Stirling's approximation of log(target!) where target > 1 (default false). */
  readonly full?: boolean;
  /** Default 1e-8. */
  readonly eps?: number;
}

/** Poisson negative log-likelihood (F.poisson_nll_loss). */
export function poissonNllLoss(input: NdArray, target: NdArray, opts: PoissonNllOptions = {}): NdArray {
  const logInput = opts.logInput ?? true;
  let loss = logInput ? np.sub(np.exp(input), np.mul(target, input)) : np.sub(input, np.mul(target, np.log(np.add(input, opts.eps ?? 1e-8))));
  if (opts.full) {
    const big = np.greater(target, 1);
    const t = np.where(big, target, 1);
    const stirling = np.add(np.sub(np.mul(t, np.log(t)), t), np.mul(np.log(np.mul(t, 2 * Math.PI)), 0.5));
    loss = np.add(loss, np.where(big, stirling, 0));
  }
  return reduce(loss, opts.reduction ?? 'mean', 'poissonNllLoss');
}

export interface GaussianNllOptions extends ReductionOptions {
  /** Add 0.5 log(2 pi) (default false). */
  readonly full?: boolean;
  /** The variance is clamped below at eps (default 1e-6); as PyTorch the clamp passes gradients through. */
  readonly eps?: number;
}

/**
 * Gaussian negative log-likelihood (F.gaussian_nll_loss): 0.5 (log var + (input - target)^2 / var).
 * `variance` has the input's shape, or lacks its last axis / has size 1 there (one variance shared).
 */
export function gaussianNllLoss(input: NdArray, target: NdArray, variance: NdArray, opts: GaussianNllOptions = {}): NdArray {
  const s = input.shape;
  const vs = variance.shape;
  let v = variance;
  if (!sameShape(vs, s)) {
    if (sameShape(vs, s.slice(0, -1))) v = np.expandDims(variance, -1);
    else if (!(sameShape(vs.slice(0, -1), s.slice(0, -1)) && vs[vs.length - 1] === 1))
      throw new Error(`gaussianNllLoss: variance ${shapeStr(vs)} must have the input's shape ${shapeStr(s)}, or lack its last axis, or have size 1 there`);
  }
  // PyTorch clamps a copy in place under no_grad: the value is max(v, eps), the gradient v's.
  const clamped = np.add(v, np.stopGradient(np.sub(np.maximum(v, opts.eps ?? 1e-6), v)));
  let loss = np.mul(np.add(np.log(clamped), np.div(np.square(np.sub(input, target)), clamped)), 0.5);
  if (opts.full) loss = np.add(loss, 0.5 * Math.log(2 * Math.PI));
  return reduce(loss, opts.reduction ?? 'mean', 'gaussianNllLoss');
}

/**
 * Multi-label one-versus-all loss (F.multilabel_soft_margin_loss): input [N, C] (or [C]), target of
 * 0 / 1 the input's shape; -(y log σ(x) + (1 - y) log σ(-x)) times `weight` [C], averaged over the
 * classes: one loss per example, then reduced.
 */
export function multilabelSoftMarginLoss(input: NdArray, target: NdArray, opts: WeightOptions = {}): NdArray {
  const what = 'multilabelSoftMarginLoss';
  checkSame(input, target, what);
  const r = input.shape.length;
  if (r < 1 || r > 2) throw new Error(`${what}: input must be [N, C] or [C], got ${shapeStr(input.shape)}`);
  const c = input.shape[r - 1];
  if (opts.weight && !sameShape(opts.weight.shape, [c])) throw new Error(`${what}: weight must be [${c}] (one per class), got ${shapeStr(opts.weight.shape)}`);
  const ll = np.add(np.mul(target, logSigmoid(input)), np.mul(np.sub(1, target), logSigmoid(np.neg(input))));
  return reduce(np.div(np.sum(times(np.neg(ll), opts.weight), -1), c), opts.reduction ?? 'mean', what);
}

/**
 * Multi-label hinge loss (F.multilabel_margin_loss): input [N, C] (or [C]); int32 target of the same
 * shape lists each example's classes, ended by the first -1. Per example,
 * Σ_{j target} Σ_{i not target} max(0, 1 - (x[j] - x[i])) / C.
 */
export function multilabelMarginLoss(input: NdArray, target: NdArray, opts: ReductionOptions = {}): NdArray {
  const what = 'multilabelMarginLoss';
  const r = input.shape.length;
  if (r < 1 || r > 2) throw new Error(`${what}: input must be [N, C] or [C], got ${shapeStr(input.shape)}`);
  checkSame(input, target, what);
  if (target.dtype !== 'int32') throw new Error(`${what}: target must be int32 class indices (ended by -1), got ${target.dtype} ${shapeStr(target.shape)}`);
  const c = input.shape[r - 1];
  // the targets before the first -1
  const listed = np.equal(np.cumsum(np.cast(np.equal(target, -1), 'int32'), -1), 0);
  const safe = np.where(listed, target, 0);
  const isTarget = np.any(np.logicalAnd(np.expandDims(listed, -1), np.equal(np.expandDims(safe, -1), np.arange(c))), -2); // [..., C]
  const picked = np.takeAlongAxis(input, safe, -1); // x[y_j], [..., C]
  const hinge = np.maximum(np.add(np.sub(1, np.expandDims(picked, -1)), np.expandDims(input, -2)), 0); // [..., j, i]
  const counted = np.logicalAnd(np.expandDims(listed, -1), np.expandDims(np.logicalNot(isTarget), -2));
  const loss = np.div(np.sum(np.where(counted, hinge, 0), [-2, -1]), c);
  return reduce(loss, opts.reduction ?? 'mean', what);
}

