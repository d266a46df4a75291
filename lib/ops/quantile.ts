/** Order statistics: quantile, percentile, median (NumPy's methods), from `sort`. */
import { shapeStr } from '../core/aval.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { type Axis, toFloat, where } from './math.js';
import { any } from './reductions.js';
import { isnan } from './elementwise-math.js';
import { type QuantileMethod, interpolate, quantilePosition, reducedRows } from './quantile-positions.js';
import { reshape, sliceAxis, stack } from './shape.js';
import { sort } from './sorting.js';

export type { QuantileMethod } from './quantile-positions.js';

/** One quantile q of rows sorted along their last axis (length n >= 1): NumPy's interpolation. */
function quantileOfSorted(sorted: NdArray, n: number, q: number, method: QuantileMethod): NdArray {
  const { lo, hi, t } = quantilePosition(n, q, method);
  const at = (i: number) => reshape(sliceAxis(sorted, -1, i, i + 1), shapeOf(sorted).slice(0, -1));
  return t === 0 ? at(lo) : interpolate(at(lo), at(hi), t, method);
}

/**
 * The q-th quantile(s) of x over `axis` (all axes by default), as numpy.quantile: q in
 * [0, 1], a number or a list (then the result has a leading axis of the list's length); a
 * slice holding NaN gives NaN. Differentiable (through `sort`).
 * @example np.quantile(x, [0.25, 0.5, 0.75], -1) // shape [3, ...x.shape.slice(0, -1)]
 */
export function quantile(x: NdArray, q: number | readonly number[], axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  const qs = typeof q === 'number' ? [q] : q;
  for (const v of qs) if (!(v >= 0 && v <= 1)) throw new Error(`quantile: q must be in [0, 1], got ${v}`);
  const xf = toFloat(x);
  const { rows, n, outShape } = reducedRows(xf, axis, keepdims, 'quantile');
  if (n === 0) throw new Error(`quantile: the reduced axes of shape ${shapeStr(shapeOf(xf))} are empty`);
  const sorted = sort(rows, -1);
  const hasNaN = any(isnan(rows), -1);
  const each = qs.map((v) => reshape(where(hasNaN, NaN, quantileOfSorted(sorted, n, v, method)), outShape));
  return typeof q === 'number' ? each[0] : stack(each, 0);
}

/** numpy.percentile: {@link quantile} with q in [0, 100]. */
export function percentile(x: NdArray, p: number | readonly number[], axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  const scaled = typeof p === 'number' ? p / 100 : p.map((v) => v / 100);
  return quantile(x, scaled, axis, keepdims, method);
}

/**
 * numpy.median: the 0.5 quantile, the mean of the two middle values for an even count (as
 * jax.numpy's, the 'midpoint' method: [1, 3, inf, inf] gives inf).
 */
export function median(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  return quantile(x, 0.5, axis, keepdims, 'midpoint');
}
