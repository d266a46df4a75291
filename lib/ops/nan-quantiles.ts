/**
 * NaN-ignoring order statistics: nanquantile, nanpercentile, nanmedian (NumPy's, with the
 * methods of lib/ops/quantile.ts). Each row is sorted (NaN last) and its non-NaN count
 * picks the position, through small per-count tables of NumPy's float64 positions, so they
 * trace under jit and vmap and differentiate through `sort` like np.quantile.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';
import { type Axis, equal, logicalNot, sum, toFloat, where } from './math.js';
import { isnan } from './elementwise-math.js';
import { takeAlongAxis } from './manipulation.js';
import type { QuantileMethod } from './quantile.js';
import { type QuantileLevels, type QuantilePosition, interpolate, quantileLevels, quantilePosition, reducedRows } from './quantile-positions.js';
import { expandDims, reshape, stack, take } from './shape.js';
import { sort } from './sorting.js';

/** Quantile q of each row of `sorted` [..., n] (NaN last) over its first `count` [...] values; NaN where count is 0. */
function nanQuantileOfSorted(sorted: NdArray, count: NdArray, n: number, q: number, method: QuantileMethod): NdArray {
  // Row c of each table is the position for c non-NaN values (c = 0: anything in range, replaced by NaN).
  const plan: QuantilePosition[] = Array.from({ length: n + 1 }, (_, c) => (c === 0 ? { lo: 0, hi: 0, t: 0 } : quantilePosition(c, q, method, 'nanquantile')));
  const column = (k: 'lo' | 'hi' | 't') => take(tf.tensor1d(plan.map((p) => p[k]), k === 't' ? 'float32' : 'int32'), count);
  const at = (k: 'lo' | 'hi') => reshape(takeAlongAxis(sorted, expandDims(column(k), -1), -1), shapeOf(count));
  const [a, b, t] = [at('lo'), at('hi'), column('t')];
  return where(equal(count, 0), NaN, where(equal(t, 0), a, interpolate(a, b, t, method)));
}

/**
 * The q-th quantile(s) of x over `axis` (all axes by default) leaving NaN out, as
 * numpy.nanquantile: q in [0, 1], a number, nested lists or a concrete array (the result's
 * shape is q's shape followed by the reduced shape); a slice with no non-NaN value (all NaN,
 * or empty) gives NaN. Differentiable (through `sort`; NaN elements get zero derivatives).
 * @example np.nanquantile(np.array([[1, NaN, 3], [NaN, NaN, NaN]]), 0.5, 1) // [2, NaN]
 */
export function nanquantile(x: NdArray, q: QuantileLevels, axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  return nanQuantileScaled(x, quantileLevels(q, 1, 'nanquantile'), axis, keepdims, method);
}

function nanQuantileScaled(x: NdArray, qs: { values: number[]; shape: number[] }, axis: Axis, keepdims: boolean, method: QuantileMethod): NdArray {
  quantilePosition(1, 0, method, 'nanquantile'); // checks the method, whatever the sizes
  const { rows, n, outShape } = reducedRows(toFloat(x), axis, keepdims, 'nanquantile');
  if (n === 0 || qs.values.length === 0) return lax.full([...qs.shape, ...outShape], NaN, 'float32');
  const count = sum(lax.cast(logicalNot(isnan(rows)), 'int32'), -1);
  const sorted = sort(rows, -1);
  const each = qs.values.map((v) => reshape(nanQuantileOfSorted(sorted, count, n, v, method), outShape));
  return reshape(stack(each, 0), [...qs.shape, ...outShape]);
}

/**
 * numpy.nanpercentile: {@link nanquantile} with q in [0, 100].
 * @example np.nanpercentile(np.array([1, NaN, 2, 3, 4]), 25) // 1.75
 */
export function nanpercentile(x: NdArray, p: QuantileLevels, axis?: Axis, keepdims = false, method: QuantileMethod = 'linear'): NdArray {
  return nanQuantileScaled(x, quantileLevels(p, 100, 'nanpercentile'), axis, keepdims, method);
}

/**
 * numpy.nanmedian: the 0.5 {@link nanquantile} (the mean of the two middle non-NaN values
 * for an even count); NaN for a slice with none.
 * @example np.nanmedian(np.array([NaN, 1, 4, 2])) // 2
 */
export function nanmedian(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  return nanquantile(x, 0.5, axis, keepdims, 'midpoint');
}
