/**
 * jax.nn's softmax family and one_hot with JAX's options and edge cases: `where` masks,
 * logsumexp's `b` weights and `returnSign`, one_hot's `dtype` and `axis`.
 */
import type { DType, NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import type { Axis } from '../ops/math.js';
import { normalizeAxisIndex } from '../ops/shape.js';

/** jax.nn.softmax / log_softmax: one implementation with lib/ops's (np.softmax, np.logSoftmax). */
export { type SoftmaxOptions, logSoftmax, softmax } from '../ops/math.js';

export interface LogsumexpOptions {
  /** Weights: log(sum(b exp(x))); an entry with b = 0 is left out even when x is inf. Broadcasts against x. */
  readonly b?: NdArray | number;
  readonly keepdims?: boolean;
  /** Return [log|sum|, sign(sum)] (JAX's return_sign) instead of NaN for a negative weighted sum. */
  readonly returnSign?: boolean;
  /** Boolean, broadcasting against x: only these entries are summed. */
  readonly where?: NdArray;
}

/**
 * jax.nn.logsumexp (= jax.scipy.special.logsumexp): log(sum(b exp(x))) over `axis` (default
 * null: every axis, as JAX and SciPy), stable for large x; an all -inf slice gives -inf
 * (with zero derivatives, where JAX's are NaN).
 * With `b` a negative sum is NaN, or with `returnSign` the pair [log|sum|, sign].
 * @example nn.logsumexp(x, -1, { b: w, returnSign: true }) // [out, sign]
 */
export function logsumexp(x: NdArray, axis?: Axis, opts?: LogsumexpOptions & { readonly returnSign?: false }): NdArray;
export function logsumexp(x: NdArray, axis: Axis, opts: LogsumexpOptions & { readonly returnSign: true }): [NdArray, NdArray];
export function logsumexp(x: NdArray, axis: Axis = null, opts: LogsumexpOptions = {}): NdArray | [NdArray, NdArray] {
  const { b, keepdims = false, returnSign = false, where } = opts;
  const a = b === undefined ? x : np.where(np.notEqual(b, 0), x, -Infinity);
  const mk = np.max(a, axis, true, { where, initial: -Infinity });
  const shift = np.stopGradient(np.where(np.isfinite(mk), mk, 0));
  const e = np.exp(np.sub(a, shift));
  const total = np.sum(b === undefined ? e : np.mul(e, b), axis, keepdims, where ? { where } : {});
  const sign = np.sign(total);
  // An empty (all -inf) sum is -inf, through a double where so its derivative is 0, not NaN.
  const empty = np.equal(total, 0);
  const logAbs = np.where(empty, -Infinity, np.log(np.abs(np.where(empty, 1, total))));
  const out = np.add(logAbs, keepdims ? shift : np.reshape(shift, np.shape(total)));
  if (returnSign) return [out, sign];
  return b === undefined ? out : np.where(np.less(sign, 0), NaN, out);
}

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
