/**
 * The functions behind the layers (like `torch.nn.functional`): pure functions of
 * arrays, for use without the (init, apply) machinery.
 */
import { axisSize, isArray, type NdArray, pmean, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import * as random from '../random/index.js';

export { relu, silu } from '../ops/index.js';

/** x @ w + b over the last axis of x: w is [in, out] (PyTorch's weight transposed). */
export function linear(x: NdArray, w: NdArray, b?: NdArray | null): NdArray {
  const y = np.matmul(x, w);
  return b ? np.add(y, b) : y;
}

/**
 * x / max(||x||_2, eps) along `axis`, as `torch.nn.functional.normalize` (computed as
 * x * rsqrt(max(sum x^2, eps^2)), the same value with a finite gradient at x = 0).
 */
export function l2Normalize(x: NdArray, axis = -1, eps = 1e-12): NdArray {
  const ss = np.sum(np.square(x), axis, true);
  return np.mul(x, np.rsqrt(np.maximum(ss, eps * eps)));
}

/** Axes a BatchNorm reduces over: all but the last (channels-last layout). */
export function batchAxes(x: NdArray, op = 'batchNorm'): number[] {
  const r = x.shape.length;
  if (r < 2) throw new Error(`${op}: expected a batch [N, C] or [N, ..., C] (channels last), got ${shapeStr(x.shape)}`);
  return Array.from({ length: r - 1 }, (_, i) => i);
}

/** torch.nn.functional.normalize's options. */
export interface TorchNormalizeOptions {
  /** The norm's exponent (default 2; Infinity for the largest magnitude). */
  readonly p?: number;
  /** The axis normalised (default 1, as PyTorch's; negative counts from the end). */
  readonly dim?: number;
  /** The smallest norm divided by (default 1e-12). */
  readonly eps?: number;
}

/** x / max(‖x‖_p, eps) along `dim`, as torch.nn.functional.normalize; a zero slice stays zero with finite gradients. */
function torchNormalize(x: NdArray, { p = 2, dim = 1, eps = 1e-12 }: TorchNormalizeOptions): NdArray {
  if (!(p > 0)) throw new Error(`normalize: p must be positive, got ${String(p)}`);
  if (p === 2) return l2Normalize(x, dim, eps);
  const a = np.abs(x);
  let norm: NdArray;
  if (p === Infinity) norm = np.max(a, dim, true);
  else {
    // the p-th root's derivative is infinite at 0: take it on a safe value where the sum is 0
    const s = np.sum(np.pow(a, p), dim, true);
    const positive = np.greater(s, 0);
    norm = np.where(positive, np.pow(np.where(positive, s, 1), 1 / p), 0);
  }
  return np.div(x, np.maximum(norm, eps));
}

/**
 * Two functions under one name. With arrays after x, BatchNorm's normalisation:
 * (x - mean) / sqrt(var + eps) * scale + bias, broadcasting over the last axis. With options (or
 * nothing) after x, torch.nn.functional.normalize: x / max(‖x‖_p, eps) along `dim` (default 1).
 * @example F.normalize(x, { p: 1, dim: -1 }) // each row of x divided by its L1 norm
 */
export function normalize(x: NdArray, options?: TorchNormalizeOptions): NdArray;
export function normalize(x: NdArray, mean: NdArray, variance: NdArray, scale: NdArray | null, bias: NdArray | null, eps: number): NdArray;
export function normalize(x: NdArray, mean?: NdArray | TorchNormalizeOptions, variance?: NdArray, scale?: NdArray | null, bias?: NdArray | null, eps?: number): NdArray {
  if (!isArray(mean)) return torchNormalize(x, mean ?? {});
  if (!variance || eps === undefined) throw new Error('normalize: with a mean, give variance, scale, bias and eps too');
  const inv = np.rsqrt(np.add(variance, eps));
  const k = scale ? np.mul(inv, scale) : inv;
  const y = np.mul(np.sub(x, mean), k);
  return bias ? np.add(y, bias) : y;
}

/**
 * Batch statistics over every axis but the last: the mean and the BIASED variance
 * (what training-mode BatchNorm normalises with), and the count of values per channel.
 * With `axisName` the batch is sharded (equally) over that named axis and the statistics
 * are the whole batch's: means of the members' means, the variance about the global mean.
 */
export function batchMoments(x: NdArray, axisName?: string): { mean: NdArray; variance: NdArray; count: number } {
  const axes = batchAxes(x);
  const overAll = (v: NdArray) => (axisName === undefined ? v : pmean(v, axisName));
  const count = axes.reduce((n, a) => n * x.shape[a], 1) * (axisName === undefined ? 1 : axisSize(axisName));
  const mean = overAll(np.mean(x, axes));
  const variance = overAll(np.mean(np.square(np.sub(x, mean)), axes));
  return { mean, variance, count };
}

/**
 * Layer normalisation over the last `trailing` axes (default 1; PyTorch's normalized_shape of
 * that many dims), with the biased variance; scale and bias have those axes' shape.
 */
export function layerNorm(x: NdArray, scale: NdArray | null, bias: NdArray | null, eps = 1e-5, trailing = 1): NdArray {
  const r = x.shape.length;
  const axes = Array.from({ length: trailing }, (_, i) => r - trailing + i);
  const mean = np.mean(x, axes, true);
  const variance = np.mean(np.square(np.sub(x, mean)), axes, true);
  return normalize(x, mean, variance, scale, bias, eps);
}

/** Inverted dropout: zeroes each entry with probability `rate` and scales the rest by 1 / (1 - rate). */
export function dropout(key: NdArray, x: NdArray, rate: number): NdArray {
  if (rate <= 0) return x;
  if (rate >= 1) return np.mul(x, 0);
  const keep = random.bernoulli(key, 1 - rate, x.shape);
  return np.where(keep, np.div(x, 1 - rate), 0);
}

/**
 * Stochastic depth (timm's `drop_path`, Huang et al. 2016) on a residual branch: each sample (axis 0)
 * is zeroed whole with probability `rate`, the others scaled by 1 / (1 - rate) (timm's scale_by_keep),
 * so the branch's expectation is unchanged.
 * @example y = np.add(x, F.dropPath(key, branch(x), 0.1))
 */
export function dropPath(key: NdArray, x: NdArray, rate: number): NdArray {
  if (!(rate >= 0 && rate <= 1)) throw new Error(`dropPath: rate must be in [0, 1], got ${rate}`);
  if (rate === 0) return x;
  if (rate === 1) return np.mul(x, 0);
  if (x.shape.length === 0) throw new Error('dropPath: expected a batch axis first, got a scalar');
  const keep = random.bernoulli(key, 1 - rate, [x.shape[0], ...x.shape.slice(1).map(() => 1)]);
  return np.where(keep, np.div(x, 1 - rate), 0);
}

/**
 * Scaled dot-product attention with the heads before the sequence: softmax(q k^T / sqrt(d)) v
 * over [..., T, d] arrays (leading dims must agree); {@link scaledDotProductAttention} without options.
 */
export function dotProductAttentionHeadsFirst(q: NdArray, k: NdArray, v: NdArray): NdArray {
  return scaledDotProductAttention(q, k, v);
}

export interface SdpaOptions {
  /**
   * Boolean: true where a query may attend to a key (F.scaled_dot_product_attention's
   * convention; the opposite of nn.MultiheadAttention's); float: added to the logits.
   * Broadcasts against [..., L, S].
   */
  readonly attnMask?: NdArray;
  /** Dropout on the attention weights (default 0); needs `dropoutKey` when > 0. */
  readonly dropoutP?: number;
  readonly dropoutKey?: NdArray;
  /** Query i attends to keys 0..i (a lower-triangular [L, S] mask from the top left); not with `attnMask`. */
  readonly isCausal?: boolean;
  /** Multiplies the logits; default 1 / sqrt(E). */
  readonly scale?: number;
}

/** A mask as an additive bias: a boolean mask gives 0 where true and -inf where false; a float one is the bias. */
export function maskToBias(mask: NdArray): NdArray {
  return mask.dtype === 'bool' ? np.where(mask, 0, -Infinity) : mask;
}

/**
 * Scaled dot-product attention as torch.nn.functional.scaled_dot_product_attention: query
 * [..., L, E], key [..., S, E], value [..., S, Ev] -> [..., L, Ev]; softmax(scale q k^T + mask) v.
 * Masked logits are -inf, so a query row with every key masked gives NaN, as PyTorch (1.13's
 * and 2.x's math path; {@link dotProductAttention}, JAX's, gives the values' mean instead).
 * @example F.scaledDotProductAttention(q, k, v, { isCausal: true, dropoutP: 0.1, dropoutKey: key })
 */
export function scaledDotProductAttention(query: NdArray, key: NdArray, value: NdArray, opts: SdpaOptions = {}): NdArray {
  const r = key.shape.length;
  if (query.shape.length < 2 || r < 2 || value.shape.length < 2 || query.shape.at(-1) !== key.shape.at(-1) || key.shape.at(-2) !== value.shape.at(-2))
    throw new Error(`scaledDotProductAttention: need query [..., L, E], key [..., S, E], value [..., S, Ev], got ${shapeStr(query.shape)}, ${shapeStr(key.shape)}, ${shapeStr(value.shape)}`);
  if (opts.isCausal && opts.attnMask) throw new Error('scaledDotProductAttention: an explicit attnMask must not be set when isCausal is true');
  const p = opts.dropoutP ?? 0;
  if (!(p >= 0 && p <= 1)) throw new Error(`scaledDotProductAttention: dropoutP must be in [0, 1], got ${p}`);
  if (p > 0 && !opts.dropoutKey) throw new Error('scaledDotProductAttention: dropoutP > 0 needs a PRNG key: { dropoutP, dropoutKey }');
  const kt = np.transpose(key, [...Array(r - 2).keys(), r - 1, r - 2]);
  let logits = np.mul(np.matmul(query, kt), opts.scale ?? 1 / Math.sqrt(query.shape[query.shape.length - 1]));
  if (opts.isCausal) logits = np.where(np.cast(np.tri(query.shape[query.shape.length - 2], key.shape[r - 2]), 'bool'), logits, -Infinity);
  if (opts.attnMask) logits = np.add(logits, maskToBias(opts.attnMask));
  const weights = np.softmax(logits, -1);
  return np.matmul(p > 0 && opts.dropoutKey ? dropout(opts.dropoutKey, weights, p) : weights, value);
}

export interface AttentionOptions {
  /** Added to the logits; broadcasts against [B, N, T, S]. */
  readonly bias?: NdArray;
  /** Boolean, true where a query may attend to a key; broadcasts against [B, N, T, S]. */
  readonly mask?: NdArray;
  /** Multiplies the logits; default 1 / sqrt(H). */
  readonly scale?: number;
  /** Each query attends only to keys at or before its own position (a lower-triangular [T, S] mask). */
  readonly isCausal?: boolean;
  /** int32 [B]: query positions at or past its length attend to no key, and their output is zero (as JAX 0.7.2+). */
  readonly querySeqLengths?: NdArray;
  /** int32 [B]: keys at or past its length are padding, attended by no query. */
  readonly keyValueSeqLengths?: NdArray;
  /** Query t attends to keys in [t - left, t + right]; a number is a symmetric window. */
  readonly localWindowSize?: number | readonly [number, number];
}

/** JAX's mask for sequence lengths and a local window, [B or 1, 1, T, S] (null when neither is set). */
function lengthAndWindowMask(t: number, s: number, opts: AttentionOptions): NdArray | null {
  const { querySeqLengths: ql, keyValueSeqLengths: kl, localWindowSize: w } = opts;
  const qi = np.reshape(np.arange(t), [1, t, 1]);
  const ki = np.reshape(np.arange(s), [1, 1, s]);
  const parts: NdArray[] = [];
  if (ql) parts.push(np.less(qi, np.reshape(ql, [-1, 1, 1])));
  if (kl) parts.push(np.less(ki, np.reshape(kl, [-1, 1, 1])));
  if (w !== undefined) {
    const [left, right] = typeof w === 'number' ? [w, w] : w;
    parts.push(np.logicalAnd(np.lessEqual(qi, np.add(ki, left)), np.greaterEqual(qi, np.sub(ki, right))));
  }
  if (parts.length === 0) return null;
  return np.expandDims(parts.reduce((a, b) => np.logicalAnd(a, b)), 1);
}

/** Checks dotProductAttention's optional arrays: a boolean mask, int32 [B] lengths. */
function checkAttentionOptions(opts: AttentionOptions, b: number): void {
  if (opts.mask && opts.mask.dtype !== 'bool') throw new Error(`dotProductAttention: mask must be boolean (true = attend; pass an additive mask as bias), got ${opts.mask.dtype}`);
  for (const name of ['querySeqLengths', 'keyValueSeqLengths'] as const) {
    const l = opts[name];
    if (l && (l.dtype !== 'int32' || l.shape.length !== 1 || l.shape[0] !== b))
      throw new Error(`dotProductAttention: ${name} must be int32 [${b}], got ${l.dtype} ${shapeStr(l.shape)}`);
  }
}

/** jax's large negative logit for masked entries: finite, so a fully masked row stays finite. */
const MASKED_LOGIT = -0.7 * 3.4028234663852886e38;

/**
 * Scaled dot-product attention as jax.nn.dot_product_attention: query [B, T, N, H], key and
 * value [B, S, K, H] (or without B), N a multiple of K (grouped-query attention: each key
 * head serves N / K query heads); softmax(scale * q.k + bias, masked) over the S keys, where
 * the mask combines `mask`, `isCausal`, the sequence lengths and the local window.
 * Returns [B, T, N, H].
 * @example F.dotProductAttention(q, k, v, { isCausal: true, keyValueSeqLengths: lens })
 */
export function dotProductAttention(query: NdArray, key: NdArray, value: NdArray, opts: AttentionOptions = {}): NdArray {
  const sq = query.shape;
  const sk = key.shape;
  const sv = value.shape;
  const batched = sq.length === 4;
  const shapes = `query ${shapeStr(sq)}, key ${shapeStr(sk)}, value ${shapeStr(sv)}`;
  if ((sq.length !== 3 && sq.length !== 4) || sk.length !== sq.length || sv.length !== sq.length || sk.some((d, i) => d !== sv[i]))
    throw new Error(`dotProductAttention: need query [B, T, N, H] and key, value [B, S, K, H] of one rank (B optional), got ${shapes}`);
  const q = batched ? query : np.expandDims(query, 0);
  const k = batched ? key : np.expandDims(key, 0);
  const v = batched ? value : np.expandDims(value, 0);
  const [b, t, n, h] = q.shape;
  const [, s, kh] = k.shape;
  if (k.shape[0] !== b || k.shape[3] !== h || n % kh !== 0) throw new Error(`dotProductAttention: batch and head sizes do not fit (N must be a multiple of K): ${shapes}`);
  checkAttentionOptions(opts, b);
  const g = n / kh;
  // Query heads grouped by the key head they share: [B, T, K, G, H].
  const qg = np.reshape(q, [b, t, kh, g, h]);
  let logits = np.reshape(np.einsum('btkgh,bskh->bkgts', qg, k), [b, n, t, s]);
  logits = np.mul(logits, opts.scale ?? 1 / Math.sqrt(h));
  if (opts.bias) logits = np.add(logits, opts.bias);
  let mask = opts.mask;
  if (opts.isCausal) {
    const causal = np.cast(np.tri(t, s), 'bool');
    mask = mask ? np.logicalAnd(mask, causal) : causal;
  }
  const extra = lengthAndWindowMask(t, s, opts);
  if (extra) mask = mask ? np.logicalAnd(mask, extra) : extra;
  if (mask) logits = np.where(mask, logits, MASKED_LOGIT);
  const weights = np.reshape(np.softmax(logits, -1), [b, kh, g, t, s]);
  let out = np.reshape(np.einsum('bkgts,bskh->btkgh', weights, v), [b, t, n, h]);
  // JAX 0.7.2+ zeroes the padded queries' outputs whenever querySeqLengths is given.
  if (opts.querySeqLengths)
    out = np.where(np.less(np.reshape(np.arange(t), [1, t, 1, 1]), np.reshape(opts.querySeqLengths, [b, 1, 1, 1])), out, 0);
  return batched ? out : np.squeeze(out, 0);
}

export interface GeluOptions {
  /**
   * The tanh approximation (true, the default, as jax.nn.gelu) or the exact erf form (false).
   * PyTorch's strings too: 'tanh', or 'none' for the exact form (F.gelu's default there).
   */
  readonly approximate?: boolean | 'tanh' | 'none';
}

/**
 * GELU as jax.nn.gelu: by default the tanh approximation
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); `{ approximate: false }` is the exact
 * x Phi(x) that `np.gelu` and the `nn.gelu()` layer compute (PyTorch's default). That form,
 * x/2 (1 + erf(x/sqrt 2)), is one op of wasm's fused loops; JAX's x/2 erfc(-x/sqrt 2) keeps the
 * relative accuracy of the far left tail (below x = -5, where the value is under 1.5e-6 in
 * magnitude), but as a composite it made a jitted GELU and its gradient 10x slower.
 */
export function gelu(x: NdArray, { approximate = true }: GeluOptions = {}): NdArray {
  if (approximate !== true && approximate !== false && approximate !== 'tanh' && approximate !== 'none')
    throw new Error(`gelu: approximate must be a boolean, 'tanh' or 'none', got ${String(approximate)}`);
  if (approximate === false || approximate === 'none') return np.gelu(x);
  const inner = np.mul(np.add(x, np.mul(np.mul(np.square(x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return np.mul(np.mul(x, 0.5), np.add(np.tanh(inner), 1));
}

/**
 * log(sigmoid(x)) = -softplus(-x), as jax.nn.log_sigmoid: finite for every finite x, with
 * derivative sigmoid(-x) everywhere (1/2 at 0).
 */
export function logSigmoid(x: NdArray): NdArray {
  return np.neg(softplus(np.neg(x)));
}

/** x where x >= 0, negativeSlope * x elsewhere (jax.nn.leaky_relu; default slope 0.01). */
export function leakyRelu(x: NdArray, negativeSlope = 0.01): NdArray {
  return np.where(np.greaterEqual(x, 0), x, np.mul(x, negativeSlope));
}

export interface SoftplusOptions {
  /** log(1 + exp(beta x)) / beta (default 1). */
  readonly beta?: number;
  /** Where beta x > threshold the result is x itself (PyTorch's; default 20). */
  readonly threshold?: number;
}

/**
 * log(1 + exp(x)), computed as logaddexp(x, 0) so it neither overflows nor loses small values
 * (jax.nn.softplus). With options, PyTorch's F.softplus(x, beta, threshold): logaddexp(beta x, 0)
 * / beta, and x where beta x > threshold (default 20: in float32 the same values and slopes as
 * without the threshold).
 * @example F.softplus(x, { beta: 2 })
 */
export function softplus(x: NdArray, opts?: SoftplusOptions): NdArray {
  if (opts === undefined) return np.logaddexp(x, 0);
  const { beta = 1, threshold = 20 } = opts;
  if (!(Math.abs(beta) > 0)) throw new Error(`softplus: beta must be non-zero, got ${beta}`);
  const bx = np.mul(x, beta);
  const linear = np.greater(bx, threshold);
  return np.where(linear, x, np.div(np.logaddexp(np.where(linear, 0, bx), 0), beta));
}

/** x for x > 0, alpha (exp(x) - 1) elsewhere (jax.nn.elu; the exp only sees non-positive x, so large x cannot overflow into its gradient). */
export function elu(x: NdArray, alpha = 1): NdArray {
  const positive = np.greater(x, 0);
  return np.where(positive, x, np.mul(np.expm1(np.where(positive, 0, x)), alpha));
}

/** Self-normalising ELU (jax.nn.selu): scale · elu(x, alpha) with Klambauer et al.'s constants. */
export function selu(x: NdArray): NdArray {
  return np.mul(elu(x, 1.6732632423543772), 1.0507009873554805);
}

/** max(x, 0) + alpha (exp(min(x, 0) / alpha) - 1) (jax.nn.celu). */
export function celu(x: NdArray, alpha = 1): NdArray {
  return np.add(np.maximum(x, 0), np.mul(np.expm1(np.div(np.minimum(x, 0), alpha)), alpha));
}

/** min(max(x, 0), 6), with derivative 1 strictly inside (0, 6) and 0 elsewhere, ends included (jax.nn.relu6). */
export function relu6(x: NdArray): NdArray {
  const inside = np.logicalAnd(np.greater(x, 0), np.less(x, 6));
  // Outside (0, 6) the value is a clipped constant: no derivative reaches x there.
  return np.where(inside, x, np.stopGradient(np.clip(x, 0, 6)));
}

/**
 * minVal below minVal, maxVal above maxVal, x between (jax.nn.hard_tanh; F.hardtanh's min_val and
 * max_val, default -1 and 1). The derivative at the ends themselves is 1, as JAX (PyTorch: 0).
 */
export function hardTanh(x: NdArray, minVal = -1, maxVal = 1): NdArray {
  if (!(minVal <= maxVal)) throw new Error(`hardTanh: minVal ${minVal} must be <= maxVal ${maxVal}`);
  return np.where(np.greater(x, maxVal), maxVal, np.where(np.less(x, minVal), minVal, x));
}

/** relu6(x + 3) / 6 (jax.nn.hard_sigmoid). */
export function hardSigmoid(x: NdArray): NdArray {
  return np.div(relu6(np.add(x, 3)), 6);
}

/** x · hardSigmoid(x), also called hard swish (jax.nn.hard_silu). */
export function hardSilu(x: NdArray): NdArray {
  return np.mul(x, hardSigmoid(x));
}

/** x / (|x| + 1) (jax.nn.soft_sign). */
export function softSign(x: NdArray): NdArray {
  return np.div(x, np.add(np.abs(x), 1));
}

/**
 * Gated linear unit (jax.nn.glu): x split in two halves a, b along `axis`, a · sigmoid(b).
 * @example F.glu(x) // x [n, 2d] -> [n, d]
 */
export function glu(x: NdArray, axis = -1): NdArray {
  const n = np.shape(x).at(axis);
  if (n === undefined || n % 2 !== 0) throw new Error(`glu: axis ${axis} of shape [${np.shape(x).join(',')}] must exist and have an even size`);
  const [a, b] = np.split(x, 2, axis);
  return np.mul(a, np.sigmoid(b));
}

export interface StandardizeOptions {
  readonly axis?: number | readonly number[] | null;
  /** Precomputed statistics (kept dims); computed over `axis` when absent. */
  readonly mean?: NdArray;
  readonly variance?: NdArray;
  readonly epsilon?: number;
  /** Boolean, broadcasting against x: the statistics come from these entries only (every entry is still standardised). */
  readonly where?: NdArray;
}

/**
 * (x - mean) / sqrt(variance + epsilon) over `axis` (default -1; null: every axis), as
 * jax.nn.standardize. As JAX, a given `mean` without `variance` takes the variance as
 * mean(x^2) - mean^2 (the second moment about zero minus the given mean's square).
 * @example F.standardize(x, { axis: [0, 1], where: valid })
 */
export function standardize(x: NdArray, { axis = -1, mean, variance, epsilon = 1e-5, where }: StandardizeOptions = {}): NdArray {
  const avg = (v: NdArray) => np.mean(v, axis, true, where ? { where } : {});
  const m = mean ?? avg(x);
  // Without a given mean this is the same variance as JAX's, computed without its cancellation.
  const v = variance ?? (mean ? np.sub(avg(np.square(x)), np.square(mean)) : avg(np.square(np.sub(x, m))));
  return np.mul(np.sub(x, m), np.rsqrt(np.add(v, epsilon)));
}

/** x tanh(softplus(x)) (jax.nn.mish; torch.nn.Mish). */
export function mish(x: NdArray): NdArray {
  return np.mul(x, np.tanh(softplus(x)));
}

/** (x + sqrt(x^2 + b)) / 2 (jax.nn.squareplus; default b = 4). */
export function squareplus(x: NdArray, b = 4): NdArray {
  return np.mul(np.add(x, np.sqrt(np.add(np.square(x), b))), 0.5);
}

/** jax.nn.hard_swish: the same function as {@link hardSilu}. */
export const hardSwish = hardSilu;
