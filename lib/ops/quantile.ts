/** Order statistics: quantile, percentile, median (NumPy's methods), from `sort`. */
import { normAxes, shapeStr } from '../core/aval.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { type Axis, add, div, mul, sub, toFloat, where } from './math.js';
import { any } from './reductions.js';
import { isnan } from './elementwise-math.js';
import { moveaxis } from './manipulation.js';
import { reshape, sliceAxis, stack } from './shape.js';
import { sort } from './sorting.js';

/** How a quantile between two sorted neighbours i < j is taken (NumPy's `method`). */
export type QuantileMethod = 'linear' | 'lower' | 'higher' | 'nearest' | 'midpoint';

/** One quantile q of rows sorted along their last axis (length n >= 1): NumPy's interpolation. */
function quantileOfSorted(sorted: NdArray, n: number, q: number, method: QuantileMethod): NdArray {
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const at = (i: number) => reshape(sliceAxis(sorted, -1, i, i + 1), shapeOf(sorted).slice(0, -1));
  switch (method) {
    case 'lower':
      return at(lo);
    case 'higher':
      return at(t > 0 ? hi : lo);
    case 'nearest':
      // NumPy rounds half to even on the position.
      return at(t === 0.5 ? (lo % 2 === 0 ? lo : hi) : t < 0.5 ? lo : hi);
    case 'midpoint':
      return t === 0 ? at(lo) : div(add(at(lo), at(hi)), 2);
    case 'linear': {
      if (t === 0) return at(lo);
      const [a, b] = [at(lo), at(hi)];
      const d = sub(b, a);
      // NumPy's lerp: from the nearer end, so that t = 1 gives b exactly.
      return t >= 0.5 ? sub(b, mul(d, 1 - t)) : add(a, mul(d, t));
    }
    default:
      throw new Error(`quantile: unknown method ${JSON.stringify(method)}; use linear, lower, higher, nearest or midpoint`);
  }
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
  const s = shapeOf(xf);
  const axes = axis === null || axis === undefined ? [...s.keys()] : normAxes(typeof axis === 'number' ? [axis] : axis, s.length, 'quantile');
  const n = axes.reduce((p, a) => p * s[a], 1);
  if (n === 0) throw new Error(`quantile: the reduced axes of shape ${shapeStr(s)} are empty`);
  const kept = [...s.keys()].filter((a) => !axes.includes(a));
  // Reduced axes last, merged into one.
  const rows = reshape(moveaxis(xf, axes, axes.map((_, i) => s.length - axes.length + i)), [...kept.map((a) => s[a]), n]);
  const sorted = sort(rows, -1);
  const hasNaN = any(isnan(rows), -1);
  const outShape = keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((a) => s[a]);
  const each = qs.map((v) => reshape(where(hasNaN, NaN, quantileOfSorted(sorted, n, v, method)), outShape));
  return typeof q === 'number' ? each[0] : stack(each, 0);
}

/** numpy.percentile: {@link quantile} with q in [0, 100]. */
export function percentile(x: NdArray, p: number | readonly number[], axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  const scaled = typeof p === 'number' ? p / 100 : p.map((v) => v / 100);
  return quantile(x, scaled, axis, keepdims, method);
}

/** numpy.median: the 0.5 quantile (the mean of the two middle values for an even count). */
export function median(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  return quantile(x, 0.5, axis, keepdims);
}
