/**
 * The weighted log-sum-exp of jax.nn.logsumexp and jax.scipy.special.logsumexp (b weights,
 * returnSign, where), one implementation for lib/nn and lib/scipy.
 */
import type { NdArray } from '../core/index.js';
import * as np from './index.js';
import type { Axis } from './math.js';

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
 * @example weightedLogsumexp(x, -1, { b: w, returnSign: true }) // [out, sign]
 */
export function weightedLogsumexp(x: NdArray, axis?: Axis, opts?: LogsumexpOptions & { readonly returnSign?: false }): NdArray;
export function weightedLogsumexp(x: NdArray, axis: Axis, opts: LogsumexpOptions & { readonly returnSign: true }): [NdArray, NdArray];
export function weightedLogsumexp(x: NdArray, axis: Axis = null, opts: LogsumexpOptions = {}): NdArray | [NdArray, NdArray] {
  const { b, keepdims = false, returnSign = false, where } = opts;
  // Entries left out (b = 0, or outside `where`) become -inf before the max and exp, so a huge one cannot overflow into 0 * inf (NaN derivatives).
  const weighted = b === undefined ? x : np.where(np.notEqual(b, 0), x, -Infinity);
  const a = where ? np.where(where, weighted, -Infinity) : weighted;
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
