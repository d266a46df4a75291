/**
 * jax.nn's softmax family and one_hot with JAX's options and edge cases: `where` masks,
 * logsumexp's `b` weights and `returnSign`, one_hot's `dtype` and `axis`.
 */
import { type DType, type NdArray, customJvp } from '../core/index.js';
import * as np from '../ops/index.js';
import { weightedLogsumexp } from '../ops/logsumexp-weighted.js';
import type { Axis } from '../ops/math.js';
import { normalizeAxisIndex } from '../ops/shape.js';

/** jax.nn.softmax / log_softmax: one implementation with lib/ops's (np.softmax, np.logSoftmax). */
export { type SoftmaxOptions, logSoftmax, softmax } from '../ops/softmax.js';

/** jax.nn.logsumexp: the weighted log-sum-exp of lib/ops (also jax.scipy.special.logsumexp's). */
export { type LogsumexpOptions, weightedLogsumexp as logsumexp } from '../ops/logsumexp-weighted.js';

export interface OneHotOptions {
  /** The result's dtype (default float32, JAX's float_). */
  readonly dtype?: DType;
  /** Where the new axis of length numClasses goes in the result (default -1). */
  readonly axis?: number;
}

/**
 * jax.nn.one_hot: 1 where x equals the class index along a new axis of length `numClasses`.
 * Indices outside [0, numClasses), negative ones included, give rows of zeros; float x is
 * compared as is (JAX accepts it, deprecated), so 1.5 matches no class.
 * @example nn.oneHot(labels, 10, { dtype: 'int32', axis: 0 })
 */
export function oneHot(x: NdArray, numClasses: number, { dtype = 'float32', axis = -1 }: OneHotOptions = {}): NdArray {
  if (!Number.isInteger(numClasses) || numClasses < 0) throw new Error(`oneHot: numClasses must be a non-negative integer, got ${numClasses}`);
  const s = x.shape;
  const at = normalizeAxisIndex(axis, s.length + 1, 'oneHot: axis');
  const iotaShape = s.map(() => 1);
  iotaShape.splice(at, 0, numClasses);
  const classes = np.reshape(np.arange(numClasses), iotaShape);
  const labels = np.expandDims(x.dtype === 'bool' ? np.cast(x, 'int32') : x, at);
  return np.cast(np.equal(labels, classes), dtype);
}

/** jax.nn.swish: the same function as silu, x · sigmoid(x). */
export function swish(x: NdArray): NdArray {
  return np.silu(x);
}

export interface LogmeanexpOptions {
  /** Boolean, broadcasting against x: only these entries count (in the sum and in n). */
  readonly where?: NdArray;
  readonly keepdims?: boolean;
}

/**
 * jax.nn.logmeanexp: log(mean(exp(x))) = logsumexp(x) - log(n) over `axis` (default null: every
 * axis), n the number of entries reduced (those in `where`); no entry at all gives NaN, as JAX.
 * @example nn.logmeanexp(logits, -1, { keepdims: true })
 */
export function logmeanexp(x: NdArray, axis: Axis = null, { where, keepdims = false }: LogmeanexpOptions = {}): NdArray {
  const lse = weightedLogsumexp(x, axis, { where, keepdims });
  const counted = where ? np.broadcastTo(np.cast(where, 'float32'), x.shape) : np.onesLike(x, 'float32');
  return np.sub(lse, np.log(np.sum(counted, axis, keepdims)));
}

/** log(1 - exp(-x)), each branch where it is accurate (Mächler 2012), with JAX's derivative 1 / expm1(x). */
const log1mexpRule = customJvp((x: NdArray) => np.where(np.less(x, Math.LN2), np.log(np.neg(np.expm1(np.neg(x)))), np.log1p(np.neg(np.exp(np.neg(x))))));
log1mexpRule.defJvps((t: NdArray, _out: NdArray, x: NdArray) => np.div(t, np.expm1(x)));

/**
 * jax.nn.log1mexp: log(1 - exp(-x)), accurate for small and large x (undefined for x < 0:
 * NaN; -inf at 0, with derivative inf, as JAX's 1 / expm1(x)).
 */
export function log1mexp(x: NdArray): NdArray {
  return log1mexpRule(x) as NdArray;
}
