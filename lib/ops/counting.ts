/**
 * Counting into bins: bincount, digitize, histogram (jax.numpy's semantics: a static number of
 * bins, so they trace under jit; out-of-range values are dropped, never an error).
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, isArray, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { at } from './index-update.js';
import { type ArrayOrNumber, div, equal, greaterEqual, max, maximum, min, mul, sub, sum, where } from './math.js';
import { flip, ravel } from './manipulation.js';
import { searchsorted } from './sorting.js';

/** A static length for a result whose size the data decides eagerly (`what` names it in the error). */
function concreteLength(op: string, x: NdArray, from: (values: ArrayLike<number>) => number): number {
  const why = unreadable(x);
  if (why) throw new Error(`${op}: pass length: the result's size comes from the values, which ${why}`);
  return from((x as tf.Tensor).dataSync());
}

export interface BincountOptions {
  /** Weight of each entry (default 1 each: int32 counts). */
  readonly weights?: NdArray;
  /** At least this many bins (default 0). */
  readonly minlength?: number;
  /** Exactly this many bins (needed under jit); larger values are dropped. */
  readonly length?: number;
}

/**
 * Occurrences of each non-negative integer in the 1-D int32 `x`, weighted or not (jax.numpy's
 * bincount: negative values count as 0; with `length`, values beyond it are dropped).
 * The second argument is `{ weights, minlength, length }`, or weights (or null) then minlength (NumPy's order).
 * @example np.bincount(np.array([0, 1, 1, 3], 'int32')) // [1, 2, 0, 1]; np.bincount(x, w, 5)
 */
export function bincount(x: NdArray, weightsOrOptions: NdArray | null | BincountOptions = {}, minlengthArg?: number): NdArray {
  const positional = weightsOrOptions === null || isArray(weightsOrOptions);
  const { weights, minlength = 0, length }: BincountOptions = positional ? { weights: weightsOrOptions ?? undefined, minlength: minlengthArg } : weightsOrOptions;
  const a = avalOf(x);
  if (a.dtype !== 'int32' || a.shape.length !== 1) throw new Error(`bincount: x must be a 1-D int32 array, got ${a.dtype} [${a.shape}]`);
  if (weights && (shapeOf(weights).length !== 1 || shapeOf(weights)[0] !== a.shape[0]))
    throw new Error(`bincount: weights of shape [${shapeOf(weights)}] for x of shape [${a.shape}]`);
  const n = length ?? Math.max(minlength, concreteLength('bincount', x, (v) => (v.length === 0 ? 0 : Math.max(...Array.from(v)) + 1)));
  const dtype = weights ? avalOf(weights).dtype : 'int32';
  const w = weights ?? lax.full([a.shape[0]], 1, 'int32');
  return at(lax.full([n], 0, dtype === 'bool' ? 'int32' : dtype), maximum(x, 0)).add(w);
}

/**
 * The bin of each value of `x` among the monotonic `bins` (NumPy's digitize): i with
 * `bins[i-1] <= x < bins[i]` for increasing bins (`right`: `bins[i-1] < x <= bins[i]`),
 * mirrored for decreasing ones; 0 below and `bins.length` above.
 */
export function digitize(x: ArrayOrNumber, bins: NdArray, right = false): NdArray {
  if (shapeOf(bins).length !== 1) throw new Error(`digitize: bins must be 1-D, got shape [${shapeOf(bins)}]`);
  const n = shapeOf(bins)[0];
  if (n === 0) return lax.full(typeof x === 'number' ? [] : shapeOf(x), 0, 'int32');
  const side = right ? 'left' : 'right';
  const increasing = greaterEqual(lax.slice(bins, [n - 1], [n]), lax.slice(bins, [0], [1]));
  return where(lax.reshape(increasing, []), searchsorted(bins, x, side), sub(n, searchsorted(flip(bins), x, side)));
}

export interface HistogramOptions {
  /** Number of equal bins (default 10) or their edges (a 1-D increasing array). */
  readonly bins?: number | NdArray;
  /** [lo, hi] of the equal bins (default the data's min and max). */
  readonly range?: readonly [number, number];
  /** Weight of each value (default 1). */
  readonly weights?: NdArray;
  /** Divide by the total and the bin widths, so the histogram integrates to 1. */
  readonly density?: boolean;
}

/**
 * NumPy's histogram of the flattened `a`: [counts (float32), edges]. Every bin is half-open
 * [lo, hi) except the last, which includes its right edge; values outside the edges are left out.
 * The second argument is `{ bins, range, weights, density }`, or bins then range (NumPy's order).
 * @example const [counts, edges] = np.histogram(x, { bins: 5, range: [0, 1] }); np.histogram(x, 5, [0, 1])
 */
export function histogram(a: NdArray, binsOrOptions: number | NdArray | HistogramOptions = {}, rangeArg?: readonly [number, number]): [NdArray, NdArray] {
  const positional = typeof binsOrOptions === 'number' || isArray(binsOrOptions);
  const { bins = 10, range, weights, density = false }: HistogramOptions = positional ? { bins: binsOrOptions, range: rangeArg } : binsOrOptions;
  const flat = ravel(lax.cast(a, 'float32'));
  const edges = binEdges(flat, bins, range, 'histogram');
  const e = shapeOf(edges)[0];
  if (weights && sizeOf(shapeOf(weights)) !== shapeOf(flat)[0]) throw new Error(`histogram: weights of shape [${shapeOf(weights)}] for a of shape [${shapeOf(a)}]`);
  const w = weights ? lax.reshape(lax.cast(weights, 'float32'), shapeOf(flat)) : lax.full(shapeOf(flat), 1, 'float32');
  // Index 0 collects values below the first edge and e - 1 .. values at or past the last; the last edge itself joins the last bin.
  const last = lax.slice(edges, [e - 1], [e]);
  const idx = where(equal(flat, last), e - 1, searchsorted(edges, flat, 'right'));
  const counts = lax.slice(at(lax.full([e], 0, 'float32'), idx).add(w), [1], [e]);
  if (!density) return [counts, edges];
  const widths = sub(lax.slice(edges, [1], [e]), lax.slice(edges, [0], [e - 1]));
  return [lax.div(counts, lax.mul(widths, lax.broadcastTo(sum(counts), [e - 1]))), edges];
}

/**
 * The bin edges `np.histogram` uses for `a` (numpy's and jax.numpy's histogram_bin_edges):
 * `bins` equal bins over `range` (default the data's min and max), or the given edges.
 * @example np.histogramBinEdges(x, 4, [0, 1]) // [0, 0.25, 0.5, 0.75, 1]
 */
export function histogramBinEdges(a: NdArray, bins: number | NdArray = 10, range?: readonly [number, number]): NdArray {
  return binEdges(ravel(lax.cast(a, 'float32')), bins, range, 'histogramBinEdges');
}

/** histogram's edges (float32, 1-D, at least 2) for the flattened float32 data. */
function binEdges(flat: NdArray, bins: number | NdArray, range: readonly [number, number] | undefined, op: string): NdArray {
  const edges = typeof bins === 'number' ? equalEdges(flat, bins, range) : lax.cast(bins, 'float32');
  const es = shapeOf(edges);
  if (es.length !== 1 || es[0] < 2) throw new Error(`${op}: bins must be a positive count or at least 2 edges, got ${typeof bins === 'number' ? bins : `shape [${es}]`}`);
  return edges;
}

/** NumPy's equal-width edges over `range` or the data's extent (widened by 0.5 each side when empty). */
function equalEdges(flat: NdArray, bins: number, range: readonly [number, number] | undefined): NdArray {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`histogram: bins must be a positive integer, got ${bins}`);
  if (range) {
    const [lo0, hi0] = range;
    if (!(lo0 <= hi0) || !Number.isFinite(lo0) || !Number.isFinite(hi0)) throw new Error(`histogram: range [${lo0}, ${hi0}] must be finite with lo <= hi`);
    const [lo, hi] = lo0 === hi0 ? [lo0 - 0.5, hi0 + 0.5] : [lo0, hi0];
    return tf.tensor1d(Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + ((hi - lo) * i) / bins)), 'float32');
  }
  if (shapeOf(flat)[0] === 0) return equalEdges(flat, bins, [0, 1]);
  let [lo, hi] = [min(flat), max(flat)];
  const same = equal(lo, hi);
  [lo, hi] = [where(same, sub(lo, 0.5), lo), where(same, lax.add(hi, lax.scalar(0.5)), hi)];
  const steps = lax.div(tf.range(0, bins + 1, 1, 'float32'), lax.scalar(bins, 'float32', 1));
  const inner = lax.add(lax.broadcastTo(lo, [bins + 1]), lax.mul(steps, lax.broadcastTo(sub(hi, lo), [bins + 1])));
  // The last edge is exactly hi (NumPy's linspace), whatever the rounding of lo + (hi - lo).
  return lax.concatenate([lax.slice(inner, [0], [bins]), lax.reshape(hi, [1])], 0);
}

/** histogramdd's bins: one count for every axis, one count or edges array per axis. */
export type BinsDD = number | readonly (number | NdArray)[];

export interface HistogramDDOptions {
  /** Bins per axis: one count for all (default 10), or a count or a 1-D edges array for each. */
  readonly bins?: BinsDD;
  /** [lo, hi] of each axis's equal bins (default the data's extent). */
  readonly range?: readonly (readonly [number, number])[];
  /** Weight of each sample (default 1). */
  readonly weights?: NdArray;
  /** Divide by the total and the bin volumes, so the histogram integrates to 1. */
  readonly density?: boolean;
}

/** The options, or `bins` alone in their place (NumPy's positional `bins`). */
function ddOptions(binsOrOptions: BinsDD | HistogramDDOptions): HistogramDDOptions {
  return typeof binsOrOptions === 'number' || Array.isArray(binsOrOptions) ? { bins: binsOrOptions as BinsDD } : (binsOrOptions as HistogramDDOptions);
}

/**
 * NumPy's histogramdd of the samples [N, D]: [counts (float32, one axis per dimension), the
 * D edge arrays]. Each axis's bins are as {@link histogram}'s (the last includes its right
 * edge); samples outside the edges on any axis are left out. `bins` may stand in place of the options.
 * @example const [H, edges] = np.histogramdd(points, { bins: [4, 5] });
 */
export function histogramdd(sample: NdArray, binsOrOptions: BinsDD | HistogramDDOptions = {}): [NdArray, NdArray[]] {
  const { bins = 10, range, weights, density = false } = ddOptions(binsOrOptions);
  const s = shapeOf(sample);
  if (s.length !== 2) throw new Error(`histogramdd: sample must be [N, D], got shape [${s}]`);
  const [n, d] = s;
  if (typeof bins !== 'number' && bins.length !== d) throw new Error(`histogramdd: ${bins.length} bins for ${d} dimensions`);
  if (range && range.length !== d) throw new Error(`histogramdd: ${range.length} ranges for ${d} dimensions`);
  if (weights && sizeOf(shapeOf(weights)) !== n) throw new Error(`histogramdd: weights of shape [${shapeOf(weights)}] for ${n} samples`);
  const data = lax.cast(sample, 'float32');
  const edges = Array.from({ length: d }, (_, k) => {
    const col = lax.reshape(lax.slice(data, [0, k], [n, k + 1]), [n]);
    const b = typeof bins === 'number' ? bins : bins[k];
    const e = typeof b === 'number' ? equalEdges(col, b, range?.[k]) : lax.cast(b, 'float32');
    if (shapeOf(e).length !== 1 || shapeOf(e)[0] < 2) throw new Error(`histogramdd: the bins of axis ${k} must be a positive count or at least 2 edges`);
    return { col, e };
  });
  const dims = edges.map(({ e }) => shapeOf(e)[0] - 1);
  const total = sizeOf(dims);
  // The flat bin of each sample, or `total` (dropped by the update) when outside any axis's edges.
  let flat: NdArray = lax.full([n], 0, 'int32');
  let outside: NdArray = lax.full([n], 0, 'bool');
  edges.forEach(({ col, e }, k) => {
    const m = dims[k] + 1;
    const idx = where(equal(col, lax.slice(e, [m - 1], [m])), m - 1, searchsorted(e, col, 'right'));
    outside = lax.binary('or', outside, lax.binary('or', lax.lt(idx, lax.scalar(1, 'int32', 1)), greaterEqual(idx, m)));
    flat = lax.add(lax.mul(flat, lax.scalar(dims[k], 'int32', 1)), lax.sub(idx, lax.scalar(1, 'int32', 1)));
  });
  const w = weights ? lax.reshape(lax.cast(weights, 'float32'), [n]) : lax.full([n], 1, 'float32');
  const counts = lax.reshape(at(lax.full([total], 0, 'float32'), where(outside, total, flat)).add(w), dims);
  const edgeArrays = edges.map(({ e }) => e);
  if (!density) return [counts, edgeArrays];
  // Each bin's volume: the outer product of the axes' bin widths.
  const volume = edgeArrays.reduce<NdArray>((v, e, k) => {
    const m = dims[k] + 1;
    return mul(v, lax.reshape(sub(lax.slice(e, [1], [m]), lax.slice(e, [0], [m - 1])), dims.map((dd, j) => (j === k ? dd : 1))));
  }, lax.scalar(1, 'float32'));
  return [div(counts, mul(volume, sum(counts))), edgeArrays];
}

/**
 * NumPy's histogram2d of the points (x, y): [counts [nx, ny] (float32), x edges, y edges];
 * `bins` one count for both axes, or a count or edges array for each, given in the options or
 * alone in their place (NumPy's positional `bins`: `np.histogram2d(x, y, 4)`).
 * @example const [H, xe, ye] = np.histogram2d(x, y, { bins: [3, 4], range: [[0, 1], [0, 2]] });
 */
export function histogram2d(x: NdArray, y: NdArray, options: BinsDD | HistogramDDOptions = {}): [NdArray, NdArray, NdArray] {
  if (shapeOf(x).length !== 1 || shapeOf(y).length !== 1 || shapeOf(x)[0] !== shapeOf(y)[0]) throw new Error(`histogram2d: x and y must be 1-D of one length, got shapes [${shapeOf(x)}] and [${shapeOf(y)}]`);
  const n = shapeOf(x)[0];
  const col = (v: NdArray) => lax.reshape(lax.cast(v, 'float32'), [n, 1]);
  const [h, [ex, ey]] = histogramdd(lax.concatenate([col(x), col(y)], 1), options);
  return [h, ex, ey];
}
