/**
 * NumPy indexing as a function: np.index(x, ...idx) is x[idx] (basic slicing, integers,
 * newaxis, ellipsis, integer and boolean index arrays, with NumPy's placement of the
 * advanced-index dims), composed from slice, reshape, transpose and gather, so grad, vmap
 * and jit apply. Index updates (JAX's x.at[idx]) build on the same plan: index-update.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, isArray, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { broadcastShapesFor } from './broadcast.js';
import { sliceAxis } from './shape.js';

/** A slice start:stop:step; a missing or null field takes Python's default. */
export interface Slice {
  readonly start?: number | null;
  readonly stop?: number | null;
  readonly step?: number | null;
}

type NestedIndices = readonly (number | boolean | NestedIndices)[];

/**
 * One entry of an index: an integer, a Slice (or its string form ':', '1:', '::-1', '2:8:2'),
 * null (a new axis), '...' (every remaining axis), or an index array: int32 (or integer JS
 * arrays) to pick entries, bool (concrete values only) to pick where true.
 */
export type Index = number | boolean | string | Slice | null | NdArray | NestedIndices;

/**
 * A slice object, as Python's slice(start, stop, step).
 * @example np.index(x, np.slice(null, null, -1)) // x[::-1]
 */
export function slice(start: number | null = null, stop: number | null = null, step: number | null = null): Slice {
  return { start, stop, step };
}

/** How out-of-bound indices in index arrays are treated. */
export type OutOfBounds = 'clip' | 'fill' | 'drop';

/** Where an index array came from a boolean mask: the mask's shape and which of its axes this is. */
interface MaskOrigin {
  readonly where: string;
  readonly shape: readonly number[];
  readonly axis: number;
}

type Entry =
  | { kind: 'int'; value: number }
  | { kind: 'slice'; start: number | null; stop: number | null; step: number }
  | { kind: 'new' }
  | { kind: 'ellipsis' }
  | { kind: 'bool'; value: boolean }
  | { kind: 'array'; value: NdArray; mask?: MaskOrigin };

const SLICE_TEXT = /^\s*(-?\d+)?\s*:\s*(-?\d+)?\s*(?::\s*(-?\d+)?\s*)?$/;
const FULL: Entry = { kind: 'slice', start: null, stop: null, step: 1 };

function parseSlice(text: string, where: string): Entry {
  if (text.trim() === '...') return { kind: 'ellipsis' };
  const m = SLICE_TEXT.exec(text);
  if (!m) throw new Error(`index: ${where} is '${text}', not a slice like ':', '1:3' or '::-1' (nor '...')`);
  const num = (s: string | undefined) => (s === undefined ? null : Number(s));
  return sliceEntry({ start: num(m[1]), stop: num(m[2]), step: num(m[3]) }, where);
}

function sliceEntry({ start = null, stop = null, step = null }: Slice, where: string): Entry {
  for (const [name, v] of [['start', start], ['stop', stop], ['step', step]] as const)
    if (v !== null && !Number.isInteger(v)) throw new Error(`index: ${where} has ${name} ${v}, not an integer`);
  if (step === 0) throw new Error(`index: ${where} has step 0`);
  return { kind: 'slice', start, stop, step: step ?? 1 };
}

/**
 * Nonzero coordinates of a concrete boolean mask: one int32 index array per mask axis; a 0-d
 * mask is a scalar boolean (NumPy: a new axis of length 1, kept or not).
 */
function maskIndices(mask: tf.Tensor, where: string): Entry[] {
  const bits = mask.dataSync();
  if (mask.rank === 0) return [{ kind: 'bool', value: bits[0] !== 0 }];
  const strides = mask.shape.map((_, k) => sizeOf(mask.shape.slice(k + 1)));
  const coords: number[][] = mask.shape.map(() => []);
  bits.forEach((b, flat) => {
    if (b) strides.forEach((st, k) => coords[k].push(Math.floor(flat / st) % mask.shape[k]));
  });
  return coords.map((c, axis) => ({ kind: 'array', value: tf.tensor1d(c, 'int32'), mask: { where, shape: mask.shape, axis } }));
}

function arrayEntries(a: NdArray, where: string): Entry[] {
  const dtype = avalOf(a).dtype;
  if (dtype === 'int32') return [{ kind: 'array', value: a }];
  if (dtype !== 'bool') throw new Error(`index: ${where} is a ${dtype} array; index arrays must be int32 or bool`);
  const why = unreadable(a);
  if (why) throw new Error(`index: ${where} is a boolean mask whose values ${why}: its true count sets the result's shape, so it must be concrete; use np.where(mask, ...) instead`);
  return maskIndices(a as tf.Tensor, where);
}

function jsArrayEntries(a: NestedIndices, where: string): Entry[] {
  const flat = (a as unknown[]).flat(Infinity);
  if (flat.length > 0 && flat.every((v) => typeof v === 'boolean')) return arrayEntries(tf.tensor(a as boolean[], undefined, 'bool'), where);
  if (!flat.every((v) => typeof v === 'number' && Number.isInteger(v))) throw new Error(`index: ${where} is a JS array that is not all integers or all booleans`);
  return arrayEntries(tf.tensor(a as number[], undefined, 'int32'), where);
}

function toEntries(idx: Index, where: string): Entry[] {
  if (idx === null) return [{ kind: 'new' }];
  if (typeof idx === 'boolean') return [{ kind: 'bool', value: idx }];
  if (typeof idx === 'number') {
    if (!Number.isInteger(idx)) throw new Error(`index: ${where} is ${idx}, not an integer`);
    return [{ kind: 'int', value: idx }];
  }
  if (typeof idx === 'string') return [parseSlice(idx, where)];
  if (isArray(idx)) return arrayEntries(idx, where);
  if (Array.isArray(idx)) return jsArrayEntries(idx, where);
  const keys = typeof idx === 'object' ? Object.keys(idx) : [];
  if (typeof idx !== 'object' || !keys.every((k) => k === 'start' || k === 'stop' || k === 'step'))
    throw new Error(`index: ${where} is not an index (an integer, a slice, null, '...', or an index array)`);
  return [sliceEntry(idx as Slice, where)];
}

/** A boolean mask must match the axes it indexes (NumPy, JAX), unless it has no entries (NumPy). */
function checkMasks(shape: readonly number[], full: readonly Entry[]): void {
  let axis = 0;
  for (const e of full) {
    if (e.kind === 'new' || e.kind === 'bool') continue;
    if (e.kind === 'array' && e.mask && e.mask.axis === 0) {
      const want = shape.slice(axis, axis + e.mask.shape.length);
      if (sizeOf(e.mask.shape) > 0 && e.mask.shape.some((d, k) => d !== want[k]))
        throw new Error(`index: ${e.mask.where} is a boolean mask of shape [${e.mask.shape}], which does not match the indexed axes [${want}]`);
    }
    axis++;
  }
}

/**
 * The index as one entry per axis of x (after new axes are inserted): the ellipsis expanded,
 * missing trailing axes filled with full slices, and `newAxes` where null (or a scalar boolean,
 * which then indexes its new axis with [0] or []) asked for one.
 */
function expand(shape: readonly number[], idx: readonly Index[]): { entries: Entry[]; newAxes: number[] } {
  const raw = idx.flatMap((v, k) => toEntries(v, `index entry ${k}`));
  const consumed = raw.filter((e) => e.kind === 'int' || e.kind === 'slice' || e.kind === 'array').length;
  const ellipses = raw.filter((e) => e.kind === 'ellipsis').length;
  if (ellipses > 1) throw new Error(`index: at most one '...', got ${ellipses}`);
  if (consumed > shape.length) throw new Error(`index: too many indices for an array of shape [${shape}]: ${consumed} axes indexed`);
  const fill = Array<Entry>(shape.length - consumed).fill(FULL);
  const at = raw.findIndex((e) => e.kind === 'ellipsis');
  const full = at < 0 ? [...raw, ...fill] : [...raw.slice(0, at), ...fill, ...raw.slice(at + 1)];
  checkMasks(shape, full);
  const newAxes = full.flatMap((e, k) => (e.kind === 'new' || e.kind === 'bool' ? [k] : []));
  const entries = full.map((e): Entry => {
    if (e.kind === 'new') return FULL;
    return e.kind === 'bool' ? { kind: 'array', value: tf.tensor1d(e.value ? [0] : [], 'int32') } : e;
  });
  return { entries, newAxes };
}

/**
 * An integer outside [-n, n) (outside [0, n) when negative ones do not wrap) as a 0-d index
 * array, so that it clamps, fills or drops as the mode says (JAX: x[5] of a length-3 axis reads
 * x[2]; NumPy raises); an empty axis has no entry to clamp to, an error (as in JAX).
 */
function outOfBoundInt(e: Entry, axis: number, n: number, wrapNegative: boolean): Entry {
  if (e.kind !== 'int' || (e.value >= (wrapNegative ? -n : 0) && e.value < n)) return e;
  if (n === 0) checkedInt(e.value, axis, n);
  return { kind: 'array', value: tf.scalar(e.value, 'int32') };
}

function checkedInt(value: number, axis: number, n: number): number {
  if (value < -n || value >= n) throw new Error(`index: index ${value} is out of bounds for axis ${axis} with size ${n}`);
  return value < 0 ? value + n : value;
}

/** x[idx] with the validity of each result entry (false where an index array was out of bounds). */
export interface Indexed {
  readonly value: NdArray;
  /** Bool, broadcastable to `value` (null: every index was in bounds). */
  readonly valid: NdArray | null;
}

/**
 * x[idx], out-of-bound entries of index arrays (and integers) clamped ('clip', JAX's indexing)
 * or marked invalid ('fill', 'drop': the caller fills or drops them). Negative indices count
 * from the end unless `wrapNegative` is false (JAX's wrap_negative_indices): then they are out
 * of bounds.
 */
export function indexWithValidity(x: NdArray, idx: readonly Index[], mode: OutOfBounds, wrapNegative = true): Indexed {
  const expanded = expand(shapeOf(x), idx);
  const { newAxes } = expanded;
  const shape = [...shapeOf(x)];
  newAxes.forEach((a) => shape.splice(a, 0, 1));
  const entries = expanded.entries.map((e, a) => outOfBoundInt(e, a, shape[a], wrapNegative));
  let y = lax.reshape(x, shape);
  const hasArray = entries.some((e) => e.kind === 'array');
  // Basic entries first: slices, and integers when no index array is present (then they are advanced indices).
  entries.forEach((e, a) => {
    if (e.kind === 'slice' && !(e.start === null && e.stop === null && e.step === 1)) y = sliceAxis(y, a, e.start, e.stop, e.step);
    if (e.kind === 'int' && !hasArray) {
      const i = checkedInt(e.value, a, shape[a]);
      y = lax.slice(y, shapeOf(y).map((_, k) => (k === a ? i : 0)), shapeOf(y).map((d, k) => (k === a ? i + 1 : d)));
    }
  });
  if (!hasArray) return { value: lax.reshape(y, shapeOf(y).filter((_, a) => entries[a].kind !== 'int')), valid: null };
  return advanced(y, entries, mode, wrapNegative);
}

/** Gathers at the broadcast index arrays (integers as 0-d arrays), placing their dims as NumPy does. */
function advanced(y: NdArray, entries: Entry[], mode: OutOfBounds, wrapNegative: boolean): Indexed {
  const s = shapeOf(y);
  const adv = entries.flatMap((e, a) => (e.kind === 'array' || e.kind === 'int' ? [a] : []));
  const arrays = adv.map((a) => {
    const e = entries[a];
    return e.kind === 'int' ? tf.scalar(checkedInt(e.value, a, s[a]), 'int32') : (e as { value: NdArray }).value;
  });
  const b = broadcastShapesFor('index', arrays.map(shapeOf));
  const rest = s.map((_, a) => a).filter((a) => !adv.includes(a));
  const dims = adv.map((a) => s[a]);
  let flat = lax.full(b, 0, 'int32');
  let valid: NdArray | null = null as NdArray | null;
  arrays.forEach((i, k) => {
    const n = lax.scalarLike(dims[k], i);
    const wrapped = wrapNegative ? lax.select(lax.lt(i, lax.scalarLike(0, i)), lax.add(i, n), i) : i;
    const inside = lax.broadcastTo(lax.binary('and', lax.ge(wrapped, lax.scalarLike(0, i)), lax.lt(wrapped, n)), b);
    if (mode !== 'clip') valid = valid === null ? inside : lax.binary('and', valid, inside);
    const clamped = lax.max(lax.min(wrapped, lax.scalarLike(Math.max(dims[k] - 1, 0), i)), lax.scalarLike(0, i));
    flat = lax.add(flat, lax.broadcastTo(lax.mul(clamped, lax.scalarLike(sizeOf(dims.slice(k + 1)), i)), b));
  });
  const restDims = rest.map((a) => s[a]);
  // An empty indexed axis: every entry is out of bounds, an error for a read that clamps, all
  // invalid where the caller fills or drops them (an update of an empty array is a no-op).
  const empty = sizeOf(dims) === 0 && sizeOf(b) > 0;
  if (empty && mode === 'clip') throw new Error(`index: cannot take entries of an empty axis (shape [${s}])`);
  const moved = lax.reshape(lax.transpose(y, [...adv, ...rest]), [sizeOf(dims), ...restDims]);
  // No entries picked, or none to pick from: a constant of the result's shape (gather has nothing to read).
  let value = sizeOf(b) === 0 || empty ? lax.full([...b, ...restDims], 0, avalOf(y).dtype) : lax.gather(moved, flat, 0);
  // Adjacent advanced indices keep their place; separated ones put their dims first (NumPy's rule).
  const adjacent = adv.every((a, k) => k === 0 || a === adv[k - 1] + 1);
  const at = adjacent ? adv[0] : 0;
  const perm = [...restDims.keys()].map((k) => k + b.length);
  const order = [...perm.slice(0, at), ...b.map((_, k) => k), ...perm.slice(at)];
  value = lax.transpose(value, order);
  const validOut = valid === null ? null : lax.reshape(valid, order.map((k) => (k < b.length ? b[k] : 1)));
  return { value, valid: validOut };
}

/**
 * x[idx], NumPy's indexing: integers (negative from the end), slices (np.slice or ':' strings),
 * null for a new axis, '...', int32 index arrays (broadcast together; out-of-bound entries and
 * integers clamp, as in JAX), concrete boolean masks and scalar booleans (a new axis, kept or not).
 * @example np.index(x, 0, '1:', null) // x[0, 1:, None]
 * @example np.index(x, '...', idx) // x[..., idx]
 */
export function index(x: NdArray, ...idx: Index[]): NdArray {
  return indexWithValidity(x, idx, 'clip').value;
}

/**
 * Open-mesh index arrays (numpy.ix_): the k-th of n 1-D index arrays (int32, integer JS arrays,
 * or booleans, which give their true positions) reshaped to length 1 on every axis but k, so
 * that np.index(x, ...np.ix_(rows, cols)) picks every row-column pair (x[np.ix_(rows, cols)]).
 * @example np.index(x, ...np.ix_([0, 2], [1, 3])) // [[x[0,1], x[0,3]], [x[2,1], x[2,3]]]
 */
export function ix_(...seqs: (NdArray | NestedIndices)[]): NdArray[] {
  return seqs.map((seq, k) => {
    const where = `ix_ argument ${k}`;
    const entries = isArray(seq) ? arrayEntries(seq, where) : jsArrayEntries(seq, where);
    const e = entries[0];
    if (entries.length !== 1 || e.kind !== 'array' || shapeOf(e.value).length !== 1) throw new Error(`ix_: argument ${k} must be a 1-D index array (int32 or bool)`);
    return lax.reshape(e.value, seqs.map((_, j) => (j === k ? shapeOf(e.value)[0] : 1)));
  });
}

/** np.ix_ under a camelCase name. */
export const ix = ix_;
