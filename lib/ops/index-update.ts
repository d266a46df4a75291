/**
 * JAX's index updates, x.at[idx].set(v) and friends, as np.at(x, ...idx).set(v): a new array,
 * x unchanged. Every indexed entry's flat position comes from indexing an iota with the same
 * index (indexing.ts), so updates accept whatever np.index accepts. Repeated positions apply
 * every update, as in JAX: add/subtract sum them; the others run one pass per repetition
 * (concrete indices), in index order, so the last `set` wins as in NumPy.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { resultDType } from '../core/promotion.js';
import { unreadable } from './host-values.js';
import { type Index, indexWithValidity } from './indexing.js';
import { type ArrayOrNumber, maximum, minimum, pow } from './math.js';
import { prod } from './reductions.js';

/**
 * Options of an update: out-of-bound index-array entries are dropped (JAX's default; 'fill' and
 * 'promise_in_bounds' drop too, as XLA's scatter does) or clamped ('clip').
 */
export interface UpdateOptions {
  readonly mode?: 'drop' | 'clip' | 'fill' | 'promise_in_bounds';
  /**
   * Promise that no position is indexed twice (JAX's unique_indices). Needed by the updates
   * other than set/add/subtract when the indices are traced (under jit, vmap or grad), where
   * repetitions cannot be counted ahead.
   */
  readonly uniqueIndices?: boolean;
  /** JAX's indices_are_sorted: accepted, not needed. */
  readonly indicesAreSorted?: boolean;
  /** Whether negative indices count from the end (default true, as JAX); false makes them out of bounds. */
  readonly wrapNegativeIndices?: boolean;
}

/**
 * Options of get: out-of-bound entries clamp ('clip', JAX's indexing; 'promise_in_bounds' too,
 * as XLA's gather) or read `fillValue` ('fill' or 'drop'; default NaN, int32: the smallest int).
 */
export interface GetOptions {
  readonly mode?: 'clip' | 'fill' | 'drop' | 'promise_in_bounds';
  readonly fillValue?: number;
  /** JAX's unique_indices and indices_are_sorted: accepted, not needed. */
  readonly uniqueIndices?: boolean;
  readonly indicesAreSorted?: boolean;
  /** Whether negative indices count from the end (default true, as JAX); false makes them out of bounds (filled, or clamped to 0). */
  readonly wrapNegativeIndices?: boolean;
}

const UPDATE_MODES = new Map<string, 'drop' | 'clip'>([['drop', 'drop'], ['fill', 'drop'], ['promise_in_bounds', 'drop'], ['clip', 'clip']]);
const GET_MODES = new Map<string, 'clip' | 'fill'>([['clip', 'clip'], ['promise_in_bounds', 'clip'], ['fill', 'fill'], ['drop', 'fill']]);

/** The out-of-bound treatment a mode names (JAX's GatherScatterMode names), or a one-line error. */
function modeOf<M>(table: ReadonlyMap<string, M>, mode: string | undefined, fallback: string, op: string): M {
  const m = table.get(mode ?? fallback);
  if (m === undefined) throw new Error(`at(...).${op}: mode must be one of ${[...table.keys()].map((k) => `'${k}'`).join(', ')}, got '${String(mode)}'`);
  return m;
}

/** An update's values: an array, a JS number, or a JS boolean (1 or 0, as JAX's Python True / False). */
export type UpdateValue = ArrayOrNumber | boolean;

/** The updates of x at one index (see `at`). */
export interface IndexUpdateRef {
  /** x[idx]. */
  get(options?: GetOptions): NdArray;
  /** x with x[idx] = v. */
  set(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] += v. */
  add(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] -= v. */
  subtract(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] *= v. */
  multiply(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] /= v. */
  divide(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] **= v. */
  power(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] = minimum(x[idx], v). */
  min(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] = maximum(x[idx], v). */
  max(v: UpdateValue, options?: UpdateOptions): NdArray;
  /** x with x[idx] = f(x[idx]), f elementwise (numpy's ufunc.at). */
  apply(f: (x: NdArray) => NdArray, options?: UpdateOptions): NdArray;
}

/** Flat positions in x of the indexed entries ([m]) and the update values ([m], x's dtype). */
interface Targets {
  readonly positions: NdArray;
  readonly size: number;
  /** Entries whose index was out of bounds point at `size` (mode 'drop'). */
  readonly dropped: boolean;
  readonly viewShape: readonly number[];
}

function targetsOf(x: NdArray, idx: readonly Index[], mode: 'drop' | 'clip', wrapNegative = true): Targets {
  const shape = shapeOf(x);
  const size = sizeOf(shape);
  const iota = tf.reshape(tf.range(0, size, 1, 'int32'), [...shape]);
  const { value, valid } = indexWithValidity(iota, idx, mode === 'clip' ? 'clip' : 'drop', wrapNegative);
  const viewShape = shapeOf(value);
  const m = sizeOf(viewShape);
  const positions = valid === null ? value : lax.select(lax.broadcastTo(valid, viewShape), value, lax.full(viewShape, size, 'int32'));
  return { positions: lax.reshape(positions, [m]), size, dropped: valid !== null, viewShape };
}

/** v cast to x's dtype, broadcast to the indexed view and flattened. */
function valuesOf(x: NdArray, v: ArrayOrNumber, t: Targets, op: string): NdArray {
  const dtype = avalOf(x).dtype;
  const arr = typeof v === 'number' ? lax.scalar(v, dtype) : lax.cast(v, dtype);
  const vs = shapeOf(arr);
  const ok = vs.length <= t.viewShape.length && vs.every((d, k) => d === 1 || d === t.viewShape[t.viewShape.length - vs.length + k]);
  if (!ok) throw new Error(`at(...).${op}: values of shape [${vs}] do not broadcast to the indexed shape [${t.viewShape}]`);
  return lax.reshape(lax.broadcastTo(arr, t.viewShape), [sizeOf(t.viewShape)]);
}

/**
 * The sums of `u` at each of `size` flat positions; with `dropped`, entries at position `size`
 * (out of bounds) land in one extra slot that is cut off.
 */
function sumAt(u: NdArray, positions: NdArray, size: number, dropped: boolean): NdArray {
  const sums = lax.scatterAdd(u, positions, 0, size + (dropped ? 1 : 0));
  return dropped ? lax.slice(sums, [0], [size]) : sums;
}

/** Which flat positions `positions` hits (bool [size]). */
function hitMask(positions: NdArray, size: number, dropped: boolean): NdArray {
  const counts = sumAt(lax.full([shapeOf(positions)[0]], 1, 'int32'), positions, size, dropped);
  return lax.gt(counts, lax.scalar(0, 'int32', 1));
}

/**
 * One pass of an overwriting update: every hit position takes its value from `next`
 * (computed from x's current entry there and the update); `keep` marks the entries that
 * write (one per position).
 */
function writePass(xs: NdArray, positions: NdArray, u: NdArray, keep: NdArray | null, t: Targets, next: Combine): NdArray {
  const safe = t.dropped ? lax.concatenate([xs, lax.full([1], 0, avalOf(xs).dtype)], 0) : xs;
  const fresh = next(lax.gather(safe, positions, 0), u);
  const writes = keep === null ? fresh : lax.select(keep, fresh, lax.zerosLike(fresh));
  const hits = hitMask(keep === null ? positions : lax.select(keep, positions, lax.full([shapeOf(positions)[0]], t.size, 'int32')), t.size, t.dropped || keep !== null);
  return lax.select(hits, sumAt(writes, positions, t.size, t.dropped), xs);
}

type Combine = (current: NdArray, update: NdArray) => NdArray;

/** Positions of each repetition pass (host side): pass r holds every position's r-th occurrence. */
function passesOf(positions: tf.Tensor, size: number): number[][] {
  const seen = new Map<number, number>();
  const passes: number[][] = [];
  positions.dataSync().forEach((p, j) => {
    if (p === size) return;
    const r = seen.get(p) ?? 0;
    seen.set(p, r + 1);
    (passes[r] ??= []).push(j);
  });
  return passes;
}

/**
 * How repeated updates at one position combine when the indices are traced (JAX's scatter_mul,
 * scatter_min, scatter_max; divide and power divide by / raise to the product, as in JAX).
 */
const MERGES = new Map<string, 'prod' | 'min' | 'max'>([['multiply', 'prod'], ['divide', 'prod'], ['power', 'prod'], ['min', 'min'], ['max', 'max']]);
/** Most update entries merged by comparing every pair of positions (an [m, m] intermediate). */
const MAX_MERGED = 2048;

/** Each entry's update combined with those of every entry at the same position (`m` x `m` compares). */
function mergeRepeats(positions: NdArray, u: NdArray, kind: 'prod' | 'min' | 'max'): NdArray {
  const m = shapeOf(positions)[0];
  const dtype = avalOf(u).dtype;
  const same = lax.eq(lax.broadcastTo(lax.reshape(positions, [m, 1]), [m, m]), lax.broadcastTo(lax.reshape(positions, [1, m]), [m, m]));
  const big = dtype === 'int32' ? 2 ** 31 - 1 : Infinity;
  const identity = kind === 'prod' ? 1 : kind === 'min' ? big : -big;
  const spread = lax.select(same, lax.broadcastTo(lax.reshape(u, [1, m]), [m, m]), lax.full([m, m], identity, dtype));
  return kind === 'prod' ? prod(spread, 1) : kind === 'min' ? lax.reduceMin(spread, [1]) : lax.reduceMax(spread, [1]);
}

function overwrite(x: NdArray, idx: readonly Index[], u: ArrayOrNumber | null, combine: Combine, op: string, options: UpdateOptions): NdArray {
  const t = targetsOf(x, idx, modeOf(UPDATE_MODES, options.mode, 'drop', op), options.wrapNegativeIndices);
  const vals = u === null ? lax.full([sizeOf(t.viewShape)], 0, avalOf(x).dtype) : valuesOf(x, u, t, op);
  const xs = lax.reshape(x, [t.size]);
  const p = t.positions;
  // Positions the host cannot read (traced, or on webgpu) are not counted there.
  const why = unreadable(p);
  if (why) {
    if (options.uniqueIndices) return lax.reshape(writePass(xs, p, vals, null, t, combine), shapeOf(x));
    const m = shapeOf(p)[0];
    const merge = MERGES.get(op);
    if (op !== 'set' && (merge === undefined || m > MAX_MERGED))
      throw new Error(`at(...).${op}: the indices ${why}, so repeated positions cannot be counted${merge ? ` (merged only up to ${MAX_MERGED} entries, got ${m})` : ''}; pass { uniqueIndices: true } if no position repeats`);
    // Every repetition of a position carries the merged value; then one of them writes.
    const merged = merge === undefined ? vals : mergeRepeats(p, vals, merge);
    // One writer per position: scatter each entry's id, read back which id landed there.
    const ids = tf.range(1, m + 1, 1, 'int32');
    const landed = lax.scatter(lax.full([t.size + 1], 0, 'int32'), p, ids);
    const keep = lax.eq(lax.gather(landed, p, 0), ids);
    return lax.reshape(writePass(xs, p, merged, keep, { ...t, dropped: true }, combine), shapeOf(x));
  }
  const passes = passesOf(p as tf.Tensor, t.size);
  if (passes.length === 1 && passes[0].length === sizeOf(t.viewShape)) return lax.reshape(writePass(xs, p, vals, null, t, combine), shapeOf(x));
  const clean = { ...t, dropped: false };
  const out = passes.reduce((acc, js) => {
    const sel = tf.tensor1d(js, 'int32');
    return writePass(acc, lax.gather(p, sel, 0), lax.gather(vals, sel, 0), null, clean, combine);
  }, xs);
  return lax.reshape(out, shapeOf(x));
}

function accumulate(x: NdArray, idx: readonly Index[], v: ArrayOrNumber, negate: boolean, options: UpdateOptions): NdArray {
  const op = negate ? 'subtract' : 'add';
  const t = targetsOf(x, idx, modeOf(UPDATE_MODES, options.mode, 'drop', op), options.wrapNegativeIndices);
  const vals = valuesOf(x, v, t, op);
  const added = sumAt(negate ? lax.neg(vals) : vals, t.positions, t.size, t.dropped);
  return lax.add(x, lax.reshape(added, shapeOf(x)));
}

/** A JS boolean as 1 or 0 (a weakly typed scalar, as JAX takes Python's True); others pass through. */
const numeric = (v: UpdateValue): ArrayOrNumber => (typeof v === 'boolean' ? Number(v) : v);

/** A value as 0/1 int32, for updates of bool arrays. */
const truthOf = (v: ArrayOrNumber): ArrayOrNumber => (typeof v === 'number' ? (v !== 0 ? 1 : 0) : lax.cast(lax.cast(v, 'bool'), 'int32'));

function fillValueFor(x: NdArray, fillValue: number | undefined): number {
  if (fillValue !== undefined) return fillValue;
  const dtype = avalOf(x).dtype;
  return dtype === 'float32' ? NaN : dtype === 'int32' ? -(2 ** 31) : 1;
}

/**
 * JAX's x.at[idx]: functional updates of the entries np.index(x, ...idx) picks, differentiable
 * in x and the values, under jit and vmap too.
 * @example np.at(x, 0).set(1) // x with row 0 set to 1
 * @example np.at(counts, labels).add(1) // a histogram: repeated labels each add
 * @example np.at(x, '...', 0).apply(np.exp)
 */
export function at(x: NdArray, ...idx: Index[]): IndexUpdateRef {
  const dtype = avalOf(x).dtype;
  // Bool arrays are updated as 0/1 int32 (scatter_add has no bool kernel) and turned back.
  const asBool = dtype === 'bool';
  const base = asBool ? lax.cast(x, 'int32') : x;
  const back = (y: NdArray) => (asBool ? lax.cast(y, 'bool') : y);
  /** The update run in x's and v's promoted dtype and cast back to x's, as JAX (int32 [3] times 2.5 is 7). */
  const promoted = (v: ArrayOrNumber, run: (target: NdArray, value: ArrayOrNumber) => NdArray): NdArray => {
    const wide = resultDType([x, v]);
    if (wide === 'bool' || wide === dtype) return back(run(base, asBool ? truthOf(v) : v));
    return lax.cast(run(lax.cast(x, wide), v), dtype);
  };
  const write = (combine: Combine, op: string) => (v: UpdateValue, options: UpdateOptions = {}) =>
    promoted(numeric(v), (target, value) => overwrite(target, idx, value, combine, op, options));
  return {
    get({ mode, fillValue, wrapNegativeIndices }: GetOptions = {}) {
      const { value, valid } = indexWithValidity(x, idx, modeOf(GET_MODES, mode, 'clip', 'get'), wrapNegativeIndices);
      if (valid === null) return value;
      return lax.select(lax.broadcastTo(valid, shapeOf(value)), value, lax.full(shapeOf(value), fillValueFor(x, fillValue), dtype));
    },
    // set casts the values to x's dtype (the same as JAX's write-then-cast).
    set: (v, options = {}) => back(overwrite(base, idx, asBool ? truthOf(numeric(v)) : numeric(v), (_, u) => u, 'set', options)),
    add: (v, options = {}) => promoted(numeric(v), (target, value) => accumulate(target, idx, value, false, options)),
    subtract: (v, options = {}) => promoted(numeric(v), (target, value) => accumulate(target, idx, value, true, options)),
    multiply: write((c, u) => lax.mul(c, u), 'multiply'),
    divide: write((c, u) => lax.div(c, u), 'divide'),
    power: write((c, u) => pow(c, u), 'power'),
    min: write((c, u) => minimum(c, u), 'min'),
    max: write((c, u) => maximum(c, u), 'max'),
    apply: (f, options = {}) => back(overwrite(base, idx, null, (c) => (asBool ? lax.cast(f(lax.cast(c, 'bool')), 'int32') : f(c)), 'apply', options)),
  };
}
