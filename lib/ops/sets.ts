/**
 * Set operations on flattened arrays: unique, isin, intersect1d, union1d, setdiff1d, setxor1d
 * (jax.numpy's semantics). Results are sorted (NaN last, NaNs counted as one value). Their
 * length comes from the data, so without `size` they read values eagerly; with a static
 * `size` (jax.numpy's argument) they trace under jit and vmap: the first `size` results,
 * padded with `fillValue`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as lax from '../core/lax.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { at } from './index-update.js';
import { broadcastedIota } from './lax-structural.js';
import { ravel } from './manipulation.js';
import { argmax, equal, greater, less, logicalAnd, logicalNot, logicalOr, notEqual, sum, where } from './math.js';
import { nonzero } from './nonzero.js';
import { any, cumsum } from './reductions.js';
import { argsort } from './sorting.js';
import { uniqueAlongAxis } from './unique-axis.js';

export interface SizeOptions {
  /** Number of results (needed under jit and vmap): the first `size`, padded with `fillValue`. */
  readonly size?: number;
  /** Padding past the real results (when `size` is given); each function documents its default. */
  readonly fillValue?: number;
}

export interface UniqueOptions extends SizeOptions {
  /** Also return the flat index of each unique value's first occurrence. */
  readonly returnIndex?: boolean;
  /** Also return, for each entry of x (x's shape), the index of its value among the unique values. */
  readonly returnInverse?: boolean;
  /** Also return how often each unique value occurs (0 for padding). */
  readonly returnCounts?: boolean;
  /** The axis whose unique slices are wanted (eager only, no `size`); undefined or null: the flattened array. */
  readonly axis?: number | null;
  /** Count every NaN as one value (default true, as NumPy and JAX); false keeps each NaN apart. */
  readonly equalNan?: boolean;
}

type NoFlags = { readonly returnIndex?: false; readonly returnInverse?: false; readonly returnCounts?: false };
type SomeFlag = { readonly returnIndex: true } | { readonly returnInverse: true } | { readonly returnCounts: true };

const isNaN = (x: NdArray) => notEqual(x, x);
const iota = (n: number) => tf.range(0, n, 1, 'int32');

/** x flattened and sorted (stable, NaN last), with the permutation that sorts it. */
function sortedFlat(x: NdArray): { aux: NdArray; perm: NdArray } {
  const flat = ravel(x);
  // Bools sort as 0 and 1; the values keep x's dtype.
  const perm = argsort(avalOf(flat).dtype === 'bool' ? lax.cast(flat, 'int32') : flat);
  return { aux: lax.gather(flat, perm, 0), perm };
}

/** Of the sorted `aux` [n > 0], which entries start a run of equal values (bool [n]). */
function runStarts(aux: NdArray, equalNan = true): NdArray {
  const n = shapeOf(aux)[0];
  const [next, prev] = [lax.slice(aux, [1], [n]), lax.slice(aux, [0], [n - 1])];
  const differ = equalNan ? logicalAnd(notEqual(next, prev), logicalNot(logicalAnd(isNaN(next), isNaN(prev)))) : notEqual(next, prev);
  return lax.concatenate([lax.full([1], 1, 'bool'), differ], 0);
}

/** The number of results: `size`, or the count read back eagerly (an error naming `op` when it cannot be). */
function resultSize(op: string, count: NdArray, size: number | undefined, whose: string): number {
  if (size !== undefined) {
    if (!Number.isInteger(size) || size < 0) throw new Error(`${op}: size must be a non-negative integer, got ${size}`);
    return size;
  }
  const why = unreadable(count);
  if (why) throw new Error(`${op}: pass size: the number of results sets the result's shape, and ${whose} values ${why}`);
  return (count as tf.Tensor).dataSync()[0];
}

/** Padding when `fillValue` is not given: the smallest result ('first', 0 when there is none) or 0. */
type DefaultFill = 'first' | 'zero';

/**
 * The entries of the sorted `aux` [n > 0] where `keep` holds, in order: the first `k`,
 * padded with `fillValue` (or the default) when `size` was given; their positions in aux.
 */
function compact(aux: NdArray, keep: NdArray, k: number, padded: boolean, fillValue: number | undefined, dflt: DefaultFill): { values: NdArray; positions: NdArray; count: NdArray } {
  const count = sum(keep);
  if (k === 0) return { values: lax.full([0], 0, avalOf(aux).dtype), positions: lax.full([0], 0, 'int32'), count };
  const positions = nonzero(keep, { size: k })[0]; // padded with 0
  let values = lax.gather(aux, positions, 0);
  if (!padded) return { values, positions, count };
  const real = less(iota(k), lax.broadcastTo(count, [k]));
  if (fillValue !== undefined) values = where(real, values, fillValue);
  else if (dflt === 'zero') values = where(real, values, 0);
  else values = where(real, values, where(greater(count, 0), lax.slice(values, [0], [1]), 0));
  return { values, positions, count };
}

/** An empty input's result: `size` entries of `fillValue` (an error without one when size > 0). */
function emptyResult(op: string, like: NdArray, size: number | undefined, fillValue: number | undefined, need: boolean): NdArray {
  const k = size ?? 0;
  if (k > 0 && fillValue === undefined && need) throw new Error(`${op}: pass fillValue: the input is empty, so there is no smallest value to pad ${k} entries with`);
  return lax.full([k], fillValue ?? 0, avalOf(like).dtype);
}

/**
 * The sorted unique values of the flattened x (NumPy's unique, jax.numpy's size and fillValue:
 * padding defaults to the smallest unique value). With any return flag the result is an array
 * `[values, index?, inverse?, counts?]` in NumPy's order, holding only the parts asked for:
 * index (int32, first occurrence in the flattened x; padding points at the smallest value's),
 * inverse (int32, x's shape), counts (int32, 0 for padding).
 * @example np.unique(np.array([3, 1, 3, 2])) // [1, 2, 3]
 * @example const [values, counts] = np.unique(labels, { returnCounts: true, size: 10, fillValue: -1 })
 */
export function unique(x: NdArray, options?: UniqueOptions & NoFlags): NdArray;
export function unique(x: NdArray, options: UniqueOptions & SomeFlag): NdArray[];
export function unique(x: NdArray, options?: UniqueOptions): NdArray | NdArray[];
export function unique(x: NdArray, options: UniqueOptions = {}): NdArray | NdArray[] {
  const { returnIndex = false, returnInverse = false, returnCounts = false, axis, size, fillValue, equalNan = true } = options;
  if (axis !== undefined && axis !== null) {
    if (size !== undefined) throw new Error('unique: size is not supported with an axis');
    return uniqueAlongAxis(x, axis, { returnIndex, returnInverse, returnCounts, equalNan });
  }
  const shape = shapeOf(x);
  const n = shapeOf(ravel(x))[0];
  const flags = returnIndex || returnInverse || returnCounts;
  if (n === 0) {
    const values = emptyResult('unique', x, size, fillValue, true);
    const k = shapeOf(values)[0];
    const parts = [values, ...(returnIndex ? [lax.full([k], 0, 'int32')] : []), ...(returnInverse ? [lax.full(shape, 0, 'int32')] : []), ...(returnCounts ? [lax.full([k], 0, 'int32')] : [])];
    return flags ? parts : values;
  }
  const { aux, perm } = sortedFlat(x);
  const starts = runStarts(aux, equalNan);
  const k = resultSize('unique', sum(starts), size, "x's");
  const { values, positions } = compact(aux, starts, k, size !== undefined, fillValue, 'first');
  if (!flags) return values;
  const out = [values];
  if (returnIndex) out.push(lax.gather(perm, positions, 0));
  if (returnInverse) {
    const rankInSorted = lax.sub(cumsum(lax.cast(starts, 'int32')), lax.scalar(1, 'int32', 1));
    out.push(lax.reshape(at(lax.full([n], 0, 'int32'), perm).set(rankInSorted, { uniqueIndices: true }), shape));
  }
  if (returnCounts && k === 0) out.push(lax.full([0], 0, 'int32'));
  else if (returnCounts) {
    // Run boundaries: the first k + 1 run starts, the padding (0) past the first read as n.
    const bounds = nonzero(starts, { size: k + 1 })[0];
    const tail = lax.slice(bounds, [1], [k + 1]);
    const ends = where(greater(tail, 0), tail, n);
    out.push(lax.sub(ends, lax.concatenate([lax.slice(bounds, [0], [1]), lax.slice(ends, [0], [k - 1])], 0)));
  }
  return out;
}

/**
 * Whether each entry of `element` occurs in `testElements` (any shape; NumPy's isin, by
 * comparing every pair, so it traces). NaN is in nothing. Bool, element's shape.
 * @example np.isin(np.array([1, 2, 3]), np.array([3, 1])) // [true, false, true]
 */
export function isin(element: NdArray, testElements: NdArray, { invert = false }: { readonly invert?: boolean } = {}): NdArray {
  const [e, t] = promoted(element, testElements);
  const s = shapeOf(e);
  const inside = any(equal(lax.expandDims(e, s.length), ravel(t)), -1); // over [...s, m]: false when m = 0
  return invert ? logicalNot(inside) : inside;
}

/** Two arrays in their common dtype (jax.numpy's promotion). */
function promoted(a: NdArray, b: NdArray): [NdArray, NdArray] {
  const dtype = resultDType([a, b]);
  return [lax.cast(a, dtype), lax.cast(b, dtype)];
}

/** The sorted unique values of the flattened `x` where `pick(values)` holds: the shared body of the two-array set operations. */
function pickUnique(op: string, x: NdArray, pick: ((values: NdArray) => NdArray) | null, { size, fillValue }: SizeOptions, dflt: DefaultFill): NdArray {
  if (shapeOf(ravel(x))[0] === 0) return emptyResult(op, x, size, fillValue, false);
  const { aux } = sortedFlat(x);
  const keep = pick ? logicalAnd(runStarts(aux), pick(aux)) : runStarts(aux);
  const k = resultSize(op, sum(keep), size, "the inputs'");
  return compact(aux, keep, k, size !== undefined, fillValue, dflt).values;
}

export interface SetOptions extends SizeOptions {
  /** NumPy's promise that each input holds no repeats; accepted, and the result is the same either way. */
  readonly assumeUnique?: boolean;
}

export interface Intersect1dOptions extends SetOptions {
  /** Also return the index, in the flattened a and b, of each value's first occurrence (JAX's return_indices). */
  readonly returnIndices?: boolean;
}

/**
 * The sorted values found in both `a` and `b` (flattened; NumPy's intersect1d). With `size`,
 * padding defaults to the smallest common value (0 when there is none), as in JAX. With
 * `returnIndices` (also NumPy's 4th positional argument), [values, indices in a, indices in
 * b] of each value's first occurrence; padded entries get index a.size / b.size, as in JAX.
 * @example np.intersect1d(np.array([1, 2, 3, 4]), np.array([3, 4, 5])) // [3, 4]
 */
export function intersect1d(a: NdArray, b: NdArray, options?: Intersect1dOptions & { readonly returnIndices?: false }): NdArray;
export function intersect1d(a: NdArray, b: NdArray, options: Intersect1dOptions & { readonly returnIndices: true }): [NdArray, NdArray, NdArray];
export function intersect1d(a: NdArray, b: NdArray, assumeUnique: boolean, returnIndices?: boolean): NdArray | [NdArray, NdArray, NdArray];
export function intersect1d(a: NdArray, b: NdArray, options: Intersect1dOptions | boolean = {}, returnIndices = false): NdArray | [NdArray, NdArray, NdArray] {
  const opts: Intersect1dOptions = typeof options === 'boolean' ? { assumeUnique: options, returnIndices } : options;
  const [x, y] = promoted(a, b);
  const values = pickUnique('intersect1d', x, (v) => isin(v, y), opts, 'first');
  if (!opts.returnIndices) return values;
  const [ra, rb] = [ravel(x), ravel(y)];
  const column = lax.reshape(values, [shapeOf(values)[0], 1]);
  const k = shapeOf(values)[0];
  // Padding (with `size`) is what repeats an earlier value or is missing from a or b.
  const earlier = logicalAnd(equal(column, lax.reshape(values, [1, k])), less(broadcastedIota('int32', [k, k], 1), broadcastedIota('int32', [k, k], 0)));
  const matchA = equal(column, lax.reshape(ra, [1, shapeOf(ra)[0]]));
  const matchB = equal(column, lax.reshape(rb, [1, shapeOf(rb)[0]]));
  const real = logicalAnd(logicalAnd(any(matchA, 1), any(matchB, 1)), logicalNot(any(earlier, 1)));
  const firstIndex = (m: NdArray, n: number) => where(real, argmax(m, 1), n);
  return [values, firstIndex(matchA, shapeOf(ra)[0]), firstIndex(matchB, shapeOf(rb)[0])];
}

/**
 * The sorted values found in `a` or `b` (flattened; NumPy's union1d). With `size`, padding
 * defaults to the smallest value, as in JAX.
 * @example np.union1d(np.array([3, 1]), np.array([2, 1])) // [1, 2, 3]
 */
export function union1d(a: NdArray, b: NdArray, options: SizeOptions = {}): NdArray {
  const [x, y] = promoted(a, b);
  return pickUnique('union1d', lax.concatenate([ravel(x), ravel(y)], 0), null, options, 'first');
}

/**
 * The sorted values of `a` not found in `b` (flattened; NumPy's setdiff1d). With `size`,
 * padding defaults to 0, as JAX's code does.
 * @example np.setdiff1d(np.array([1, 2, 3, 4]), np.array([3, 4, 5])) // [1, 2]
 */
export function setdiff1d(a: NdArray, b: NdArray, options: SetOptions = {}): NdArray {
  const [x, y] = promoted(a, b);
  return pickUnique('setdiff1d', x, (v) => isin(v, y, { invert: true }), options, 'zero');
}

/**
 * The sorted values found in exactly one of `a` and `b` (flattened; NumPy's setxor1d). With
 * `size`, padding defaults to the smallest result (0 when there is none), as in JAX. A NaN in
 * both inputs is left out (NumPy returns it twice, as NaN != NaN).
 * @example np.setxor1d(np.array([1, 2, 3]), np.array([3, 4])) // [1, 2, 4]
 */
export function setxor1d(a: NdArray, b: NdArray, options: SetOptions = {}): NdArray {
  const [x, y] = promoted(a, b);
  const both = lax.concatenate([ravel(x), ravel(y)], 0);
  // Here NaN is in an input that holds one, so a NaN of one input only is kept (once).
  const holds = (v: NdArray, set: NdArray) => logicalOr(isin(v, set), logicalAnd(isNaN(v), any(isNaN(set))));
  return pickUnique('setxor1d', both, (v) => notEqual(holds(v, x), holds(v, y)), options, 'first');
}
