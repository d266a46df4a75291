/** Order statistics: quantile, percentile, median (NumPy's methods), from `sort`. */
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { type Axis, toFloat, where } from './math.js';
import { any } from './reductions.js';
import { isnan } from './elementwise-math.js';
import { type QuantileLevels, type QuantileMethod, interpolate, quantileLevels, quantilePosition, reducedRows } from './quantile-positions.js';
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
 * [0, 1], a number, nested lists or a concrete array of any shape (the result's shape is
 * q's shape followed by the reduced shape); a slice holding NaN gives NaN. Differentiable
 * (through `sort`).
 * @example np.quantile(x, [0.25, 0.5, 0.75], -1) // shape [3, ...x.shape.slice(0, -1)]
 */
export function quantile(x: NdArray, q: QuantileLevels, axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  return quantileScaled(x, quantileLevels(q, 1, 'quantile'), axis, keepdims, method);
}

function quantileScaled(x: NdArray, qs: { values: number[]; shape: number[] }, axis: Axis, keepdims: boolean, method: QuantileMethod): NdArray {
  const xf = toFloat(x);
  const { rows, n, outShape } = reducedRows(xf, axis, keepdims, 'quantile');
  if (n === 0) throw new Error(`quantile: the reduced axes of shape ${shapeStr(shapeOf(xf))} are empty`);
  if (qs.values.length === 0) return lax.full([...qs.shape, ...outShape], NaN, 'float32');
  const sorted = sort(rows, -1);
  const hasNaN = any(isnan(rows), -1);
  const each = qs.values.map((v) => reshape(where(hasNaN, NaN, quantileOfSorted(sorted, n, v, method)), outShape));
  return reshape(stack(each, 0), [...qs.shape, ...outShape]);
}

/** numpy.percentile: {@link quantile} with q in [0, 100]. */
export function percentile(x: NdArray, p: QuantileLevels, axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  return quantileScaled(x, quantileLevels(p, 100, 'percentile'), axis, keepdims, method);
}

/**
 * numpy.median: the 0.5 quantile, the mean of the two middle values for an even count (as
 * jax.numpy's, the 'midpoint' method: [1, 3, inf, inf] gives inf).
 */
export function median(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  return quantile(x, 0.5, axis, keepdims, 'midpoint');
}
