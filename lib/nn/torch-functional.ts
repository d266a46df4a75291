/**
 * torch.nn.functional's remaining elementwise activations and small helpers, with PyTorch 1.13's
 * values, defaults and gradients: hardshrink, softshrink, tanhshrink, threshold, softmin, rrelu,
 * prelu, gumbel_softmax (explicit keys), channel_shuffle and local_response_norm (channels last),
 * pdist, cosine_similarity, triplet_margin_with_distance_loss.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { sliceInDim } from '../ops/lax-structural.js';
import * as random from '../random/index.js';
import { oneHot } from './jax-nn.js';
import { positiveInt } from './layer.js';
import { type ReductionOptions, reduce } from './reduction.js';
import { pairwiseDistance } from './torch-losses.js';

export { sigmoid, tanh } from '../ops/index.js';

/** x where |x| > lambd, else 0 (F.hardshrink; default lambd 0.5). */
export function hardshrink(x: NdArray, lambd = 0.5): NdArray {
  return np.where(np.greater(np.abs(x), lambd), x, 0);
}

/** x - lambd above lambd, x + lambd below -lambd, else 0 (F.softshrink; default lambd 0.5, which must be >= 0). */
export function softshrink(x: NdArray, lambd = 0.5): NdArray {
  if (!(lambd >= 0)) throw new Error(`softshrink: lambd must be >= 0, got ${lambd}`);
  return np.where(np.greater(x, lambd), np.sub(x, lambd), np.where(np.less(x, -lambd), np.add(x, lambd), 0));
}

/** x - tanh(x) (F.tanhshrink). */
export function tanhshrink(x: NdArray): NdArray {
  return np.sub(x, np.tanh(x));
}

/** x where x > threshold, else `value` (F.threshold). */
export function threshold(x: NdArray, thresholdValue: number, value: number): NdArray {
  return np.where(np.greater(x, thresholdValue), x, value);
}

/** softmax(-x) along `axis` (F.softmin; PyTorch's `dim`, default here -1). */
export function softmin(x: NdArray, axis = -1): NdArray {
  return np.softmax(np.neg(x), axis);
}

export interface RreluOptions {
  /** Default 1/8. */
  readonly lower?: number;
  /** Default 1/3. */
  readonly upper?: number;
  /** Training mode draws one slope per negative entry from U(lower, upper) with `key` (default false). */
  readonly training?: boolean;
  /** The key for the slopes in training mode. */
  readonly key?: NdArray;
}

/**
 * Randomized leaky ReLU (F.rrelu): x above 0, slope · x below. In evaluation (the default, as
 * F.rrelu's training=False) the slope is (lower + upper) / 2; in training one slope per entry is
 * drawn from U(lower, upper) with `key` (PyTorch draws from its global generator).
 */
export function rrelu(x: NdArray, { lower = 1 / 8, upper = 1 / 3, training = false, key }: RreluOptions = {}): NdArray {
  if (!(lower <= upper)) throw new Error(`rrelu: lower ${lower} must be <= upper ${upper}`);
  if (training && !key) throw new Error('rrelu: training mode needs a key for the random slopes');
  const slope = training && key ? random.uniform(key, x.shape, { minval: lower, maxval: upper }) : (lower + upper) / 2;
  return np.where(np.greaterEqual(x, 0), x, np.mul(x, slope));
}

/**
 * F.prelu channels last: x above 0, weight · x otherwise, with `weight` of size 1 or one per
 * channel on the LAST axis (PyTorch's channels are axis 1, NCHW).
 */
export function prelu(x: NdArray, weight: NdArray): NdArray {
  const n = weight.shape.reduce((a, b) => a * b, 1);
  const c = x.shape.at(-1) ?? 1;
  if (n !== 1 && n !== c) throw new Error(`prelu: weight ${shapeStr(weight.shape)} must have 1 or ${c} (the channels, last axis of ${shapeStr(x.shape)}) entries`);
  const w = np.reshape(weight, [n]);
  return np.where(np.greater(x, 0), x, np.mul(w, x));
}

export interface GumbelSoftmaxOptions {
  /** The temperature (default 1). */
  readonly tau?: number;
  /** Return one-hot samples whose gradient is the soft sample's (straight-through; default false). */
  readonly hard?: boolean;
  /** The class axis (PyTorch's `dim`, default -1). */
  readonly axis?: number;
}

/**
 * F.gumbel_softmax with an explicit key: softmax((logits + g) / tau) along `axis`, g standard
 * Gumbel noise; with `hard`, the one-hot of its argmax, whose gradient is the soft sample's.
 */
export function gumbelSoftmax(key: NdArray, logits: NdArray, { tau = 1, hard = false, axis = -1 }: GumbelSoftmaxOptions = {}): NdArray {
  if (!(tau > 0)) throw new Error(`gumbelSoftmax: tau must be > 0, got ${tau}`);
  const soft = np.softmax(np.div(np.add(logits, random.gumbel(key, logits.shape)), tau), axis);
  if (!hard) return soft;
  const r = logits.shape.length;
  const a = axis < 0 ? axis + r : axis;
  const oneHotMax = oneHot(np.argmax(soft, a), logits.shape[a], { axis: a });
  return np.add(np.stopGradient(np.sub(oneHotMax, soft)), soft);
}

/**
 * F.channel_shuffle channels last: [..., C] seen as [..., groups, C / groups] and transposed, so
 * channel g (C / groups) + j goes to j groups + g, as PyTorch's order on its axis 1 (NCHW).
 */
export function channelShuffle(x: NdArray, groups: number): NdArray {
  const g = positiveInt(groups, 'channelShuffle: groups');
  const lead = x.shape.slice(0, -1);
  const c = x.shape.at(-1) ?? 0;
  if (x.shape.length < 2 || c % g) throw new Error(`channelShuffle: the channels (last axis) of ${shapeStr(x.shape)} must be divisible by groups ${g}`);
  const b = lead.length;
  return np.reshape(np.transpose(np.reshape(x, [...lead, g, c / g]), [...lead.keys(), b + 1, b]), x.shape);
}

export interface LocalResponseNormOptions {
  /** Default 1e-4. */
  readonly alpha?: number;
  /** Default 0.75. */
  readonly beta?: number;
  /** Default 1. */
  readonly k?: number;
}

/**
 * F.local_response_norm channels last: x / (k + alpha / size · Σ x²)^beta, the sum over `size`
 * neighbouring channels (size // 2 before, (size - 1) // 2 after, zero beyond the ends) on the
 * LAST axis (PyTorch's axis 1, NCHW).
 */
export function localResponseNorm(x: NdArray, size: number, { alpha = 1e-4, beta = 0.75, k = 1 }: LocalResponseNormOptions = {}): NdArray {
  const n = positiveInt(size, 'localResponseNorm: size');
  if (x.shape.length < 3) throw new Error(`localResponseNorm: expected [N, ..., C] with 3 or more axes, got ${shapeStr(x.shape)}`);
  const r = x.shape.length;
  const c = x.shape[r - 1];
  const widths = x.shape.map((_, i): [number, number] => (i === r - 1 ? [Math.floor(n / 2), Math.floor((n - 1) / 2)] : [0, 0]));
  const sq = np.pad(np.square(x), widths);
  let sum = sliceInDim(sq, 0, c, 1, r - 1);
  for (let i = 1; i < n; i++) sum = np.add(sum, sliceInDim(sq, i, i + c, 1, r - 1));
  return np.div(x, np.pow(np.add(np.mul(sum, alpha / n), k), beta));
}

/** The index pairs (i, j), i < j, of n rows, in row-major order (as torch.triu_indices(n, n, 1)). */
function upperPairs(n: number): [NdArray, NdArray] {
  const is: number[] = [];
  const js: number[] = [];
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) is.push(i), js.push(j);
  return [np.array(is, 'int32'), np.array(js, 'int32')];
}

/**
 * F.pdist: the p-norm distances between the rows of x [N, M], the N (N - 1) / 2 pairs i < j in
 * row-major order (default p 2). As PyTorch, the gradient at a zero distance is 0.
 */
export function pdist(x: NdArray, p = 2): NdArray {
  if (x.shape.length !== 2) throw new Error(`pdist: x must be [N, M], got ${shapeStr(x.shape)}`);
  if (!(p >= 0)) throw new Error(`pdist: p must be >= 0, got ${p}`);
  const [i, j] = upperPairs(x.shape[0]);
  const d = np.sub(np.take(x, i, 0), np.take(x, j, 0));
  // |d| with PyTorch's derivative sign(d): 0 where d = 0
  const diff = np.mul(d, np.stopGradient(np.sign(d)));
  if (p === 0) return np.sum(np.cast(np.notEqual(diff, 0), 'float32'), -1);
  if (p === Infinity) return np.max(diff, -1);
  if (p === 1) return np.sum(diff, -1);
  const s = np.sum(np.pow(diff, p), -1);
  const zero = np.equal(s, 0);
  return np.where(zero, 0, np.pow(np.where(zero, 1, s), 1 / p));
}

export interface CosineSimilarityOptions {
  /** The axis of the vectors (PyTorch's `dim`, default 1). */
  readonly dim?: number;
  /** Default 1e-8. */
  readonly eps?: number;
}

/**
 * F.cosine_similarity: Σ x1 x2 / sqrt(max(|x1|², eps²) · max(|x2|², eps²)) along `dim` (default 1,
 * as PyTorch); x1 and x2 broadcast. As PyTorch 1.13 (which clamps under no_grad, in place), the
 * clamps pass the squared norms' gradients through unchanged.
 */
export function cosineSimilarity(x1: NdArray, x2: NdArray, { dim = 1, eps = 1e-8 }: CosineSimilarityOptions = {}): NdArray {
  // the norms are of the broadcast operands, as PyTorch's
  const [a, b] = np.broadcastArrays(x1, x2);
  const sq = (x: NdArray) => {
    const s = np.sum(np.square(x), dim);
    return np.add(s, np.stopGradient(np.sub(np.maximum(s, eps * eps), s)));
  };
  return np.div(np.sum(np.mul(a, b), dim), np.sqrt(np.mul(sq(a), sq(b))));
}

export interface TripletDistanceOptions extends ReductionOptions {
  /** d(a, b) per example; default F.pairwise_distance. */
  readonly distanceFunction?: (a: NdArray, b: NdArray) => NdArray;
  /** Default 1. */
  readonly margin?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (default false). */
  readonly swap?: boolean;
}

/** max(d(a, p) - d(a, n) + margin, 0) with a user distance (F.triplet_margin_with_distance_loss). */
export function tripletMarginWithDistanceLoss(anchor: NdArray, positive: NdArray, negative: NdArray, opts: TripletDistanceOptions = {}): NdArray {
  const d = opts.distanceFunction ?? ((a: NdArray, b: NdArray) => pairwiseDistance(a, b));
  const dNeg = opts.swap ? np.minimum(d(anchor, negative), d(positive, negative)) : d(anchor, negative);
  const loss = np.maximum(np.add(np.sub(d(anchor, positive), dNeg), opts.margin ?? 1), 0);
  return reduce(loss, opts.reduction ?? 'mean', 'tripletMarginWithDistanceLoss');
}
