/**
 * jax.numpy's reductions beyond sum/max/min/mean/variance: prod, any/all, countNonzero,
 * argmin, std, average, cumulative sums and products, and the NaN-ignoring reductions.
 * All are compositions of primitives (pairwise products, a log-step scan), so each works
 * under every transformation.
 */
import { type DType, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { type Axis, type ReduceOptions, accumuland, accumulated, argReduce, argmax, axesOf, div, equal, greater, lessEqual, logicalNot, masked, max, mean, min, mul, notEqual, sqrt, sub, sum, toFloat, type VarianceOptions, variance, varianceArgs, where, withInitial } from './math.js';

/** The reduced shape, with the reduced axes kept as 1s or removed. */
function reducedShape(x: NdArray, axes: readonly number[], keepdims: boolean): number[] {
  return shapeOf(x).flatMap((d, i) => (axes.includes(i) ? (keepdims ? [1] : []) : [d]));
}


/**
 * Product over `axis` (all axes by default); 1 over no elements; bool counts as int32;
 * `where`, `initial` and `dtype` as NumPy's.
 * Computed as a tree of pairwise products, so its derivative is exact where elements are 0.
 */
export function prod(x: NdArray, axis?: Axis, keepdims = false, { where: mask, initial, dtype }: ReduceOptions = {}): NdArray {
  return accumulated(withInitial(pairwiseProd(masked(accumuland(x, dtype), mask, 1, 'prod'), axis, keepdims), initial, mul, 'prod'), dtype);
}

function pairwiseProd(x: NdArray, axis: Axis, keepdims: boolean): NdArray {
  const axes = axesOf(x, axis, 'prod');
  const s = shapeOf(x);
  const kept = s.map((_, i) => i).filter((i) => !axes.includes(i));
  let n = axes.reduce((p, a) => p * s[a], 1);
  const lead = kept.map((i) => s[i]);
  let y = lax.reshape(lax.transpose(x, [...kept, ...axes]), [...lead, n]);
  if (n === 0) return lax.full(reducedShape(x, axes, keepdims), 1, avalOf(y).dtype);
  while (n > 1) {
    if (n % 2 === 1) y = lax.pad(y, [...lead.map(() => 0), 0], [...lead.map(() => 0), 1], undefined, 1);
    n = Math.ceil(n / 2);
    const pairs = lax.reshape(y, [...lead, n, 2]);
    const half = (k: number) => lax.reshape(lax.slice(pairs, [...lead.map(() => 0), 0, k], [...lead, n, k + 1]), [...lead, n]);
    y = mul(half(0), half(1));
  }
  return lax.reshape(y, reducedShape(x, axes, keepdims));
}

/** Number of nonzero (true) elements over `axis`, as int32. */
export function countNonzero(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  return sum(lax.cast(notEqual(x, 0), 'int32'), axis, keepdims);
}

/** Whether any element over `axis` is nonzero (false over no elements); with `where`, any of the masked-in ones. */
export function any(x: NdArray, axis?: Axis, keepdims = false, { where: mask }: Pick<ReduceOptions, 'where'> = {}): NdArray {
  return greater(sum(lax.cast(notEqual(x, 0), 'int32'), axis, keepdims, { where: mask }), 0);
}

/** Whether every element over `axis` is nonzero (true over no elements); with `where`, every masked-in one. */
export function all(x: NdArray, axis?: Axis, keepdims = false, opts: Pick<ReduceOptions, 'where'> = {}): NdArray {
  return logicalNot(any(logicalNot(x), axis, keepdims, opts));
}

/**
 * Index of the smallest element along `axis`, or of the flattened x when null (the default,
 * as NumPy); the first on ties, the first NaN if any; `keepdims` as in {@link argmax}.
 * As argmax of an order-reversing map: -x for floats, -1 - x for int32 (no overflow at -2^31), !x for bool.
 */
export function argmin(x: NdArray, axis: number | null = null, keepdims = false): NdArray {
  const dtype = avalOf(x).dtype;
  const reversed = dtype === 'float32' ? lax.neg(x) : dtype === 'int32' ? lax.sub(lax.scalarLike(-1, x), x) : logicalNot(x);
  return argReduce(reversed, axis, keepdims, 'argmin', (y, a) => lax.argmax(y, a));
}

/** Standard deviation with `ddof` (0: biased), or `{ ddof, correction, where }` as {@link variance}. */
export function std(x: NdArray, axis?: Axis, keepdims = false, ddof: number | VarianceOptions = 0): NdArray {
  return sqrt(variance(x, axis, keepdims, ddof));
}

/**
 * Weighted mean over `axis`: sum(x w) / sum(w). `weights` has x's shape, or is 1-D with
 * the length of the single `axis`. With `returned`, [the mean, the sum of the weights] (the
 * element count without weights, as NumPy).
 * @example np.average(x, 0, w) // sum_i w[i] x[i] / sum(w)
 */
export function average(x: NdArray, axis?: Axis, weights?: NdArray, keepdims?: boolean, returned?: false): NdArray;
export function average(x: NdArray, axis: Axis, weights: NdArray | undefined, keepdims: boolean, returned: true): [NdArray, NdArray];
export function average(x: NdArray, axis?: Axis, weights?: NdArray, keepdims = false, returned = false): NdArray | [NdArray, NdArray] {
  const [avg, total] = weightedMean(x, axis, weights, keepdims);
  return returned ? [avg, total] : avg;
}

/** average's mean and the sum of the weights it divided by (the element count, broadcast to the mean's shape, without weights). */
function weightedMean(x: NdArray, axis: Axis, weights: NdArray | undefined, keepdims: boolean): [NdArray, NdArray] {
  if (!weights) {
    const m = mean(x, axis, keepdims);
    const axes = axesOf(x, axis, 'average');
    return [m, lax.full(shapeOf(m), axes.reduce((p, a) => p * shapeOf(x)[a], 1), 'float32')];
  }
  const axes = axesOf(x, axis, 'average');
  const s = shapeOf(x);
  const ws = shapeOf(weights);
  let w = toFloat(weights);
  if (ws.length === 1 && s.length !== 1) {
    if (axes.length !== 1 || ws[0] !== s[axes[0]]) throw new Error(`average: 1-D weights ${shapeStr(ws)} need one axis of that length, got axis ${axis} of ${shapeStr(s)}`);
    w = lax.reshape(w, s.map((d, i) => (i === axes[0] ? d : 1)));
  } else if (ws.length !== s.length || ws.some((d, i) => d !== s[i])) throw new Error(`average: weights ${shapeStr(ws)} must have x's shape ${shapeStr(s)} or be 1-D along the axis`);
  const total = sum(lax.broadcastTo(w, s), axes, keepdims);
  return [div(sum(mul(x, w), axes, keepdims), total), total];
}

/**
 * Inclusive scan along `axis` in log2(n) steps (Hillis-Steele): each step combines every
 * element with the one `shift` before it (the identity before the start).
 */
function scan(x: NdArray, axis: number, op: (a: NdArray, b: NdArray) => NdArray, identity: number): NdArray {
  const s = shapeOf(x);
  const n = s[axis];
  let y = x;
  for (let shift = 1; shift < n; shift *= 2) {
    const head = lax.slice(y, s.map(() => 0), s.map((d, i) => (i === axis ? n - shift : d)));
    y = op(y, lax.pad(head, s.map((_, i) => (i === axis ? shift : 0)), s.map(() => 0), undefined, identity));
  }
  return y;
}

/** cumsum's and cumprod's dtype: the dtype itself or `{ dtype }` (jax.numpy's `dtype` argument). */
export type ScanDType = DType | { readonly dtype?: DType };

/** The array scanned along `axis` in `dtype`, or flattened first when axis is null (NumPy's default). */
function scanned(x: NdArray, axis: number | null, dtypeOption: ScanDType | undefined, op: (a: NdArray, b: NdArray) => NdArray, identity: number, name: string): NdArray {
  const dtype = typeof dtypeOption === 'string' ? dtypeOption : dtypeOption?.dtype;
  const v = accumuland(x, dtype);
  const y = axis === null ? scan(lax.reshape(v, [avalOf(v).shape.reduce((p, d) => p * d, 1)]), 0, op, identity) : scan(v, axesOf(v, axis, name)[0], op, identity);
  return accumulated(y, dtype);
}

/** Running sum along `axis` (of the flattened array when null) in `dtype` (default x's; bool counts as int32). */
export const cumsum = (x: NdArray, axis: number | null = null, dtype?: ScanDType) => scanned(x, axis, dtype, lax.add, 0, 'cumsum');
/** Running product along `axis` (of the flattened array when null) in `dtype` (default x's; bool counts as int32). */
export const cumprod = (x: NdArray, axis: number | null = null, dtype?: ScanDType) => scanned(x, axis, dtype, lax.mul, 1, 'cumprod');

// ---- NaN-ignoring reductions (NaN elements left out; their derivative is zero) ----

const isNaN = (x: NdArray) => notEqual(x, x);
const withoutNaN = (x: NdArray, fill: number) => (avalOf(x).dtype === 'float32' ? where(isNaN(x), fill, x) : x);

/** Sum leaving NaN out (0 over only NaN); `where`, `initial` and `dtype` as {@link sum}. */
export const nansum = (x: NdArray, axis?: Axis, keepdims = false, opts: ReduceOptions = {}) => sum(withoutNaN(x, 0), axis, keepdims, opts);
/** Product leaving NaN out (1 over only NaN); `where`, `initial` and `dtype` as {@link prod}. */
export const nanprod = (x: NdArray, axis?: Axis, keepdims = false, opts: ReduceOptions = {}) => prod(withoutNaN(x, 1), axis, keepdims, opts);

/** Number of non-NaN elements over `axis` (among the masked-in ones), as float32. */
function nonNaNCount(x: NdArray, axis: Axis, keepdims: boolean, mask?: NdArray): NdArray {
  return sum(lax.cast(equal(x, x), 'float32'), axis, keepdims, { where: mask });
}

/** Mean of the non-NaN elements (NaN where there are none, as NumPy); `where` and `dtype` as {@link mean}. */
export function nanmean(x: NdArray, axis?: Axis, keepdims = false, { where: mask, dtype }: Pick<ReduceOptions, 'where' | 'dtype'> = {}): NdArray {
  const m = div(nansum(toFloat(x), axis, keepdims, { where: mask }), nonNaNCount(x, axis, keepdims, mask));
  return dtype === undefined ? m : lax.cast(m, dtype);
}

/**
 * Variance of the non-NaN elements with `ddof`; NaN where no more than `ddof` elements are
 * left (jax.numpy). The fourth argument is ddof or `{ ddof, correction, where }` as {@link variance}.
 */
export function nanvar(x: NdArray, axis?: Axis, keepdims = false, ddof: number | VarianceOptions = 0): NdArray {
  const { c, mask } = varianceArgs(ddof);
  const f = toFloat(x);
  const centred = sub(f, nanmean(f, axis, true, { where: mask }));
  const n = sub(nonNaNCount(f, axis, keepdims, mask), c);
  const tooFew = lessEqual(n, 0);
  return where(tooFew, NaN, div(nansum(mul(centred, centred), axis, keepdims, { where: mask }), where(tooFew, 1, n)));
}

/** Standard deviation of the non-NaN elements with `ddof` (or `{ ddof, correction, where }`). */
export const nanstd = (x: NdArray, axis?: Axis, keepdims = false, ddof: number | VarianceOptions = 0) => sqrt(nanvar(x, axis, keepdims, ddof));

/**
 * An extremum leaving NaN out: NaN only where every element is NaN (NumPy warns and gives NaN),
 * unless `initial` is given (then it is the result there, as jax.numpy); `where` needs `initial`.
 */
function nanExtremum(x: NdArray, axis: Axis, keepdims: boolean, opts: ReduceOptions, f: typeof max, fill: number): NdArray {
  if (avalOf(x).dtype !== 'float32') return f(x, axis, keepdims, opts);
  const out = f(withoutNaN(x, fill), axis, keepdims, opts);
  return opts.initial !== undefined ? out : where(equal(nonNaNCount(x, axis, keepdims), 0), NaN, out);
}
/** max leaving NaN out; `where` and `initial` as {@link max}. */
export const nanmax = (x: NdArray, axis?: Axis, keepdims = false, opts: ReduceOptions = {}) => nanExtremum(x, axis, keepdims, opts, max, -Infinity);
/** min leaving NaN out; `where` and `initial` as {@link min}. */
export const nanmin = (x: NdArray, axis?: Axis, keepdims = false, opts: ReduceOptions = {}) => nanExtremum(x, axis, keepdims, opts, min, Infinity);

/** An arg-extremum leaving NaN out: -1 for an all-NaN slice (jax.numpy; NumPy raises). */
function nanArgExtremum(x: NdArray, axis: number | null, keepdims: boolean, f: typeof argmax, fill: number): NdArray {
  if (avalOf(x).dtype !== 'float32') return f(x, axis, keepdims);
  const out = f(withoutNaN(x, fill), axis, keepdims);
  return where(equal(nonNaNCount(x, axis, keepdims), 0), -1, out);
}
/** argmax leaving NaN out; -1 where a slice is all NaN (jax.numpy; NumPy raises). */
export const nanargmax = (x: NdArray, axis: number | null = null, keepdims = false) => nanArgExtremum(x, axis, keepdims, argmax, -Infinity);
/** argmin leaving NaN out; -1 where a slice is all NaN (jax.numpy; NumPy raises). */
export const nanargmin = (x: NdArray, axis: number | null = null, keepdims = false) => nanArgExtremum(x, axis, keepdims, argmin, Infinity);

