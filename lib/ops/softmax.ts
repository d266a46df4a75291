/**
 * The softmax family over chosen axes: logsumexp, logSoftmax and softmax, each shifted by
 * the maximum (without gradient) so that exp never overflows, with JAX's treatment of
 * infinities, empty axes and masks.
 */
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { type Axis, add, axesOf, div, equal, exp, isfinite, log, max, sub, sum, where } from './math.js';

/**
 * The shift that keeps exp from overflowing over `axes` (kept as size-1 dims): the max
 * without gradient (the results do not depend on it), 0 where it is not finite or there
 * are no elements (whose max is an error); `allNegInf` flags the slices that are all -inf.
 */
function maxShift(x: NdArray, axes: readonly number[], keepInf = false): { shift: NdArray; allNegInf: NdArray | null } {
  const s = shapeOf(x);
  if (s.some((d) => d === 0)) return { shift: lax.full(s.map((d, i) => (axes.includes(i) ? 1 : d)), 0, avalOf(x).dtype), allNegInf: null };
  const m = lax.stopGradient(max(x, axes, true));
  const allNegInf = equal(m, -Infinity);
  return { shift: where(keepInf ? allNegInf : isfinite(m), keepInf ? 0 : m, keepInf ? m : 0), allNegInf };
}

/**
 * x - shift and log(sum(exp(x - shift))) over `axes`, for logsumexp and logSoftmax. An all
 * -inf slice is computed on zeros for the caller to replace (the "double where"), so log(0)
 * never meets a derivative and other slices stay exact.
 */
function shiftedLogSumExp(x: NdArray, axes: readonly number[], keepInf = false) {
  const { shift, allNegInf } = maxShift(x, axes, keepInf);
  const shifted = sub(allNegInf ? where(allNegInf, 0, x) : x, shift);
  return { shift, shifted, lse: log(sum(exp(shifted), axes, true)), allNegInf };
}

/** log(sum(exp(x))) over `axis`, computed stably (the max is subtracted first); -inf over empty axes and all -inf slices (with zero derivatives). */
export function logsumexp(x: NdArray, axis: Axis = -1, keepdims = false): NdArray {
  const axes = axesOf(x, axis, 'logsumexp');
  const { shift, lse, allNegInf } = shiftedLogSumExp(x, axes);
  const total = add(lse, shift);
  const out = allNegInf ? where(allNegInf, -Infinity, total) : total;
  return keepdims ? out : lax.reshape(out, shapeOf(out).filter((_, i) => !axes.includes(i)));
}

export interface SoftmaxOptions {
  /** Boolean, broadcasting against x: only these entries take part; the others come out 0 (softmax) or -inf (logSoftmax). */
  readonly where?: NdArray;
}

/**
 * jax.nn.log_softmax: (x - max) - log(sum(exp(x - max))) over `axis` (a number, several, or
 * null for all): exact differences for large logits. As JAX: a +inf entry makes its slice NaN
 * (inf - inf); an all -inf slice is NaN (with zero derivatives); with `where`, excluded
 * entries are -inf (a slice with none included is all -inf).
 */
export function logSoftmax(x: NdArray, axis: Axis = -1, { where: mask }: SoftmaxOptions = {}): NdArray {
  const xs = mask ? where(mask, x, -Infinity) : x;
  const axes = axesOf(xs, axis, 'logSoftmax');
  const { shifted, lse, allNegInf } = shiftedLogSumExp(xs, axes, true);
  const diff = sub(shifted, lse);
  const out = allNegInf ? where(allNegInf, NaN, diff) : diff;
  return mask ? where(mask, out, -Infinity) : out;
}

/**
 * jax.nn.softmax: exp(x - max) / sum(exp(x - max)) over `axis` (a number, several, or null
 * for all; not exp(x - logsumexp(x)), which loses digits for large logits). As JAX: a +inf
 * entry makes its slice NaN (inf - inf), an all -inf slice is NaN; with `where`, excluded
 * entries are 0 and a slice with none included is all 0 (with zero derivatives).
 * @example np.softmax(logits, -1, { where: valid })
 */
export function softmax(x: NdArray, axis: Axis = -1, { where: mask }: SoftmaxOptions = {}): NdArray {
  const xs = mask ? where(mask, x, -Infinity) : x;
  const axes = axesOf(xs, axis, 'softmax');
  const e = exp(sub(xs, maxShift(xs, axes, true).shift));
  const s = sum(e, axes, true);
  if (!mask) return div(e, s);
  // A slice with nothing included: divide by 1, so its 0 output has a finite derivative.
  return where(mask, div(e, where(equal(s, 0), 1, s)), 0);
}
