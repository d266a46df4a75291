/** jax.scipy.stats.rankdata and mode: ranks and modal values along an axis, by one sort (no data-dependent shapes). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { associativeScan } from '../../ops/lax-scan.js';

/** How rankdata treats ties (SciPy's `method`). */
export type RankMethod = 'average' | 'min' | 'max' | 'dense' | 'ordinal';
const METHODS: readonly RankMethod[] = ['average', 'min', 'max', 'dense', 'ordinal'];

/** For a sorted last axis: [0-based start, 0-based end (inclusive) of each entry's run of equal values, 1-based run number]. */
function runs(sorted: NdArray): [NdArray, NdArray, NdArray] {
  const n = sorted.shape[sorted.shape.length - 1]!;
  const r = sorted.shape.length - 1;
  const idx = np.broadcastTo(np.arange(n), sorted.shape);
  const changes = np.notEqual(np.sliceAxis(sorted, r, 1, n), np.sliceAxis(sorted, r, 0, n - 1));
  const first = np.concatenate([np.onesLike(np.sliceAxis(changes, r, 0, 1)), changes], r);
  const last = np.concatenate([changes, np.onesLike(np.sliceAxis(changes, r, 0, 1))], r);
  const start = associativeScan(np.maximum, np.where(first, idx, 0), { axis: r });
  const end = associativeScan(np.minimum, np.where(last, idx, n - 1), { axis: r, reverse: true });
  return [start, end, np.cumsum(np.astype(first, 'int32'), r)];
}

/** Ranks along the last axis of a float array. */
function rankLast(x: NdArray, method: RankMethod): NdArray {
  const r = x.shape.length - 1;
  const order = np.argsort(x, r);
  const inverse = np.argsort(order, r);
  const back = (v: NdArray) => np.toFloat(np.takeAlongAxis(v, inverse, r));
  if (method === 'ordinal') return np.add(np.toFloat(inverse), 1);
  const [start, end, dense] = runs(np.takeAlongAxis(x, order, r));
  const ranked = { dense: () => back(dense), min: () => np.add(back(start), 1), max: () => np.add(back(end), 1), average: () => np.add(np.mul(np.add(back(start), back(end)), 0.5), 1) }[method]();
  // JAX: all NaN where the ranked slice holds a NaN.
  return np.where(np.any(np.isnan(x), r, true), NaN, ranked);
}

/**
 * Ranks from 1 with SciPy's tie `method` ('average' default, 'min', 'max', 'dense', 'ordinal';
 * ties in 'ordinal' by position), of the flattened array when `axis` is null (the default), else
 * along `axis`. float32 for every method (JAX; SciPy gives integers except for 'average'); a
 * slice holding a NaN ranks as all NaN (JAX's nan_policy 'propagate').
 */
export function rankdata(a: NdArray, method: RankMethod = 'average', opts: { axis?: number | null } = {}): NdArray {
  if (!METHODS.includes(method)) throw new Error(`rankdata: unknown method '${String(method)}'; expected one of ${METHODS.join(', ')}`);
  const x = np.toFloat(a);
  if (opts.axis === undefined || opts.axis === null) return rankLast(np.ravel(x), method);
  const last = x.shape.length - 1;
  if (last < 0) throw new Error('rankdata: an axis needs an array of rank >= 1');
  return np.moveaxis(rankLast(np.moveaxis(x, opts.axis, last), method), last, opts.axis);
}

/**
 * [mode, count] along `axis` (default 0; null: the flattened array), as jax.scipy.stats.mode:
 * the smallest of the most frequent values (input dtype) and its count (int32); `keepdims`
 * keeps the reduced axis as 1.
 */
export function mode(a: NdArray, axis: number | null = 0, keepdims = false): [NdArray, NdArray] {
  const x = a.shape.length === 0 ? np.reshape(a, [1]) : a;
  const src = axis === null ? np.ravel(x) : x;
  const ax = axis === null ? 0 : axis < 0 ? axis + x.shape.length : axis;
  if (ax < 0 || ax >= src.shape.length) throw new Error(`mode: axis ${axis} is out of range for shape [${a.shape}]`);
  const last = src.shape.length - 1;
  const sorted = np.sort(np.moveaxis(src, ax, last), last);
  const [start, end] = runs(sorted);
  const counts = np.add(np.sub(end, start), 1);
  // argmax takes the first maximum: the smallest value among the most frequent.
  const at = np.argmax(counts, last, true);
  let [value, count] = [np.takeAlongAxis(sorted, at, last), np.astype(np.takeAlongAxis(counts, at, last), 'int32')];
  if (axis === null) return keepdims ? [np.reshape(value, x.shape.map(() => 1)), np.reshape(count, x.shape.map(() => 1))] : [np.reshape(value, []), np.reshape(count, [])];
  [value, count] = [np.moveaxis(value, last, ax), np.moveaxis(count, last, ax)];
  return keepdims ? [value, count] : [np.squeeze(value, ax), np.squeeze(count, ax)];
}
