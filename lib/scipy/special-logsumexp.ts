/** jax.scipy.special's logsumexp (with weights and signs), softmax and log_softmax. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { weightedLogsumexp } from '../ops/logsumexp-weighted.js';
import { type Operand, asFloat } from './util.js';

/** Axes to reduce over: one, several, or all (`null` / `undefined`, JAX's `axis=None`). */
export type Axis = number | readonly number[] | null | undefined;

/**
 * log(sum(b * exp(a))) over `axis` (all axes by default, as jax.scipy.special.logsumexp),
 * computed stably. Entries with b = 0 are left out (so b = 0 meets a = inf without NaN, as
 * SciPy); a slice whose weighted sum is 0 (all -inf, or all b = 0) gives -inf. A negative sum
 * gives NaN, unless `returnSign`, which returns `[log|sum|, sign(sum)]` (sign 0 for a zero sum).
 * `where` (boolean, broadcasting against a; JAX's) sums only its true entries: none gives -inf.
 * @example special.logsumexp(np.array([1, 2]), null, np.array([1, -1]), false, true) // [1.5413, -1]
 */
export function logsumexp(a: Operand, axis?: Axis, b?: Operand, keepdims?: boolean, returnSign?: false, where?: NdArray): NdArray;
export function logsumexp(a: Operand, axis: Axis, b: Operand | undefined, keepdims: boolean | undefined, returnSign: true, where?: NdArray): [NdArray, NdArray];
export function logsumexp(a: Operand, axis: Axis = null, b?: Operand, keepdims = false, returnSign = false, where?: NdArray): NdArray | [NdArray, NdArray] {
  // Masked entries as -inf (not weightedLogsumexp's where): exp(a - max) of a large masked entry would overflow, and its 0 cotangent times inf is NaN.
  const x = where === undefined ? asFloat(a) : np.where(where, asFloat(a), -Infinity);
  if (b === undefined && !returnSign) return np.logsumexp(x, axis, keepdims);
  const options = { b: b === undefined ? undefined : asFloat(b), keepdims };
  return returnSign ? weightedLogsumexp(x, axis, { ...options, returnSign: true }) : weightedLogsumexp(x, axis, options);
}

/** Runs an np function along one axis, or along all axes (`axis` null/undefined: the array flattened, as SciPy's default). */
function alongAxis(f: (x: NdArray, axis: number) => NdArray, x: Operand, axis: number | null | undefined): NdArray {
  const v = asFloat(x);
  if (axis !== null && axis !== undefined) return f(v, axis);
  return np.reshape(f(np.reshape(v, [-1]), 0), np.shape(v));
}

/** exp(x) / sum(exp(x)) along `axis` (all axes by default, as jax.scipy.special.softmax). */
export function softmax(x: Operand, axis?: number | null): NdArray {
  return alongAxis(np.softmax, x, axis);
}

/** log(softmax(x)) along `axis` (all axes by default, as jax.scipy.special.log_softmax); NaN for an all -inf slice. */
export function logSoftmax(x: Operand, axis?: number | null): NdArray {
  return alongAxis(np.logSoftmax, x, axis);
}
