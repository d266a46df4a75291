/**
 * numpy-like array manipulation by composition of slices, gathers, broadcasts and
 * concatenations (so grad, vmap and jit come from those primitives): tile, repeat, flip,
 * roll, rot90, moveaxis, swapaxes, takeAlongAxis, the stacks, splits, diff and select.
 */
import * as tf from '@tensorflow/tfjs-core';
import { normAxes, normAxis, shapeStr, sizeOf } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, isArray, shapeOf } from '../core/trace.js';
import { resultDType } from '../core/promotion.js';
import { type ArrayOrNumber, add, mul, notEqual, sub, where } from './math.js';
import { unreadable } from './host-values.js';
import { boundedIndex, clipOrWrap, concatenate, outOfBoundFill, sliceAxis, split, squeeze } from './shape.js';

/** A constant int32 index vector (host data; a constant under jit). */
const indexVector = (idx: readonly number[]) => tf.tensor1d([...idx], 'int32');

/** x flattened to 1-D. */
export function ravel(x: NdArray): NdArray {
  return lax.reshape(x, [sizeOf(shapeOf(x))]);
}

/**
 * x repeated `reps` times along each axis (numpy's tile: a shorter `reps` is padded with
 * leading 1s, a shorter x with leading size-1 axes).
 * @example np.tile(x, [2, 1]) // [a, b] rows stacked twice
 */
export function tile(x: NdArray, reps: number | readonly number[]): NdArray {
  const r = typeof reps === 'number' ? [reps] : [...reps];
  if (r.some((v) => !Number.isInteger(v) || v < 0)) throw new Error(`tile: reps must be non-negative integers, got [${r}]`);
  const s0 = shapeOf(x);
  const rank = Math.max(r.length, s0.length);
  const s = [...new Array(rank - s0.length).fill(1), ...s0];
  const rr = [...new Array(rank - r.length).fill(1), ...r];
  // [d0, d1, ...] -> [r0, d0, r1, d1, ...] by broadcasting, then merge each pair.
  const interleaved = s.flatMap((d, i) => [rr[i], d]);
  const b = lax.broadcastInDim(lax.reshape(x, s), interleaved, s.map((_, i) => 2 * i + 1));
  return lax.reshape(b, s.map((d, i) => d * rr[i]));
}

/**
 * Each element repeated `repeats` times (a number, or one count per element along `axis`, as
 * a JS array or a concrete int32 array, as jax.numpy accepts); without an axis, x is flattened
 * first (numpy's repeat).
 * @example np.repeat(np.array([1, 2]), [1, 3]) // [1, 2, 2, 2]
 */
export function repeat(x: NdArray, repeats: number | readonly number[] | NdArray, axis?: number | null): NdArray {
  if (isArray(repeats)) return repeat(x, hostRepeats(repeats), axis);
  if (axis === undefined || axis === null) return repeat(ravel(x), repeats, 0);
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'repeat');
  if (typeof repeats === 'number') {
    if (!Number.isInteger(repeats) || repeats < 0) throw new Error(`repeat: repeats must be a non-negative integer, got ${repeats}`);
    const expanded = [...s.slice(0, a + 1), repeats, ...s.slice(a + 1)];
    const b = lax.broadcastInDim(x, expanded, s.map((_, i) => (i <= a ? i : i + 1)));
    return lax.reshape(b, s.map((d, i) => (i === a ? d * repeats : d)));
  }
  if (repeats.length === 1 && s[a] !== 1) return repeat(x, repeats[0], a); // one count for every element, as NumPy broadcasts it
  if (repeats.length !== s[a] || repeats.some((v) => !Number.isInteger(v) || v < 0))
    throw new Error(`repeat: need ${s[a]} non-negative integer repeats for axis ${a} of ${shapeStr(s)}, got [${repeats}]`);
  return lax.gather(x, indexVector(repeats.flatMap((n, i) => new Array<number>(n).fill(i))), a);
}

/** An int32 array of repeat counts read on the host (0-d: one count), or a one-line error. */
function hostRepeats(r: NdArray): number | number[] {
  if (avalOf(r).dtype !== 'int32') throw new Error(`repeat: repeats must be an int32 array, got ${avalOf(r).dtype}`);
  const why = unreadable(r);
  if (why) throw new Error(`repeat: repeats ${why}; the result's length depends on them, so pass numbers or a concrete array`);
  const values = Array.from((r as tf.Tensor).dataSync());
  return shapeOf(r).length === 0 ? values[0] : values;
}

/** x reversed along `axis` (every axis by default). */
export function flip(x: NdArray, axis?: number | readonly number[] | null): NdArray {
  const s = shapeOf(x);
  const axes = axis === undefined || axis === null ? [...s.keys()] : normAxes(typeof axis === 'number' ? [axis] : axis, s.length, 'flip');
  return axes.reduce((y, a) => (s[a] <= 1 ? y : lax.gather(y, indexVector([...Array(s[a]).keys()].reverse()), a)), x);
}

/** x with its columns (axis 1) reversed (numpy's fliplr; x needs 2 or more dims). */
export function fliplr(x: NdArray): NdArray {
  if (shapeOf(x).length < 2) throw new Error(`fliplr: need an array of rank >= 2, got ${shapeStr(shapeOf(x))}`);
  return flip(x, 1);
}

/** x with its rows (axis 0) reversed (numpy's flipud; x needs 1 or more dims). */
export function flipud(x: NdArray): NdArray {
  if (shapeOf(x).length < 1) throw new Error('flipud: need an array of rank >= 1, got a scalar');
  return flip(x, 0);
}

/**
 * Elements shifted by `shift` along `axis`, wrapping around; without an axis, over the
 * flattened array (numpy's roll; shifts and axes broadcast against each other, as NumPy and
 * jax.numpy: one shift for several axes, or several shifts for one axis, which add up).
 * @example np.roll(np.arange(5), 2) // [3, 4, 0, 1, 2]
 */
export function roll(x: NdArray, shift: number | readonly number[], axis?: number | readonly number[] | null): NdArray {
  if (axis === undefined || axis === null) return lax.reshape(roll(ravel(x), shift, 0), shapeOf(x));
  const axes = typeof axis === 'number' ? [axis] : axis;
  const shifts = typeof shift === 'number' ? [shift] : shift;
  const n = axes.length === shifts.length || shifts.length === 1 ? axes.length : axes.length === 1 ? shifts.length : -1;
  if (n < 0) throw new Error(`roll: ${shifts.length} shifts and ${axes.length} axes do not broadcast together`);
  const s = shapeOf(x);
  return Array.from({ length: n }, (_, i) => i).reduce<NdArray>((y, i) => {
    const a = normAxis(axes[axes.length === 1 ? 0 : i], s.length, 'roll');
    const len = s[a];
    const k = len === 0 ? 0 : ((shifts[shifts.length === 1 ? 0 : i] % len) + len) % len;
    return k === 0 ? y : lax.concatenate([sliceAxis(y, a, len - k, len), sliceAxis(y, a, 0, len - k)], a);
  }, x);
}

/** Axes `source` moved to positions `destination`, the others keeping their order (numpy's moveaxis). */
export function moveaxis(x: NdArray, source: number | readonly number[], destination: number | readonly number[]): NdArray {
  const r = shapeOf(x).length;
  const src = normAxes(typeof source === 'number' ? [source] : source, r, 'moveaxis');
  const dst = normAxes(typeof destination === 'number' ? [destination] : destination, r, 'moveaxis');
  if (src.length !== dst.length) throw new Error(`moveaxis: ${src.length} source axes but ${dst.length} destinations`);
  const rest = [...Array(r).keys()].filter((i) => !src.includes(i));
  const perm = new Array<number>(r);
  dst.forEach((d, i) => (perm[d] = src[i]));
  for (let i = 0; i < r; i++) if (perm[i] === undefined) perm[i] = rest.shift()!;
  return lax.transpose(x, perm);
}

/**
 * x with `axis` moved to just before position `start` (numpy's rollaxis; start in
 * [-ndim, ndim], negative counting from the end). Prefer {@link moveaxis}.
 * @example np.rollaxis(np.zeros([3, 4, 5, 6]), 3, 1) // [3, 6, 4, 5]
 */
export function rollaxis(x: NdArray, axis: number, start = 0): NdArray {
  const r = shapeOf(x).length;
  const a = normAxis(axis, r, 'rollaxis');
  if (!Number.isInteger(start) || start < -r || start > r) throw new Error(`rollaxis: start must be an integer in [${-r}, ${r}], got ${start}`);
  const s0 = start < 0 ? start + r : start;
  return moveaxis(x, a, s0 > a ? s0 - 1 : s0);
}

/**
 * x flattened, repeated cyclically to fill `shape` (numpy's resize; an empty x gives zeros, as jax.numpy).
 * @example np.resize(np.array([1, 2, 3]), [2, 4]) // [[1, 2, 3, 1], [2, 3, 1, 2]]
 */
export function resize(x: NdArray, shape: number | readonly number[]): NdArray {
  const dims = typeof shape === 'number' ? [shape] : [...shape];
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`resize: shape must be non-negative integers, got [${dims}]`);
  const n = sizeOf(shapeOf(x));
  const size = sizeOf(dims);
  if (n === 0 || size === 0) return lax.full(dims, 0, avalOf(x).dtype);
  const flat = tile(ravel(x), Math.ceil(size / n));
  return lax.reshape(lax.slice(flat, [0], [size]), dims);
}

/**
 * The 1-D x without its leading ('f'), trailing ('b') or both ('fb', the default) zeros
 * (numpy's trim_zeros). The length depends on the values, so they must be concrete (an
 * error under jit, as in JAX).
 */
export function trimZeros(x: NdArray, trim: 'f' | 'b' | 'fb' | 'bf' = 'fb'): NdArray {
  const s = shapeOf(x);
  if (s.length !== 1) throw new Error(`trimZeros: x must be 1-D, got ${shapeStr(s)}`);
  const why = unreadable(x);
  if (why) throw new Error(`trimZeros: the result's length depends on x's values, which ${why}`);
  const values = Array.from((x as tf.Tensor).dataSync());
  const nonzero = values.map((v) => v !== 0);
  const first = trim.includes('f') ? nonzero.indexOf(true) : 0;
  const last = trim.includes('b') ? nonzero.lastIndexOf(true) + 1 : s[0];
  return first === -1 ? sliceAxis(x, 0, 0, 0) : sliceAxis(x, 0, first, Math.max(first, last));
}

export function swapaxes(x: NdArray, axis1: number, axis2: number): NdArray {
  const r = shapeOf(x).length;
  const a = normAxis(axis1, r, 'swapaxes');
  const b = normAxis(axis2, r, 'swapaxes');
  const perm = [...Array(r).keys()];
  [perm[a], perm[b]] = [perm[b], perm[a]];
  return lax.transpose(x, perm);
}

/**
 * x rotated by 90 degrees `k` times in the plane of `axes`, from the first axis towards
 * the second (numpy's rot90).
 */
export function rot90(x: NdArray, k = 1, axes: readonly [number, number] = [0, 1]): NdArray {
  const r = shapeOf(x).length;
  const [a, b] = normAxes(axes, r, 'rot90');
  const turns = ((k % 4) + 4) % 4;
  if (turns === 0) return x;
  if (turns === 2) return flip(x, [a, b]);
  return turns === 1 ? swapaxes(flip(x, b), a, b) : flip(swapaxes(x, a, b), b);
}

/** Options of takeAlongAxis (jnp.take_along_axis's mode, fill_value and wrap_negative_indices). */
export interface TakeAlongAxisOptions {
  /** Out of bounds: read `fillValue` ('fill', the default) or clamp ('clip', 'promise_in_bounds'). */
  readonly mode?: 'fill' | 'clip' | 'promise_in_bounds';
  readonly fillValue?: number;
  /**
   * Whether a negative index counts from the end (default: true, except with 'promise_in_bounds',
   * as JAX); false makes it out of bounds (filled, or clamped to 0).
   */
  readonly wrapNegativeIndices?: boolean;
}

/**
 * out[..., j, ...] = x[..., indices[..., j, ...], ...] along `axis` (numpy's take_along_axis;
 * the other axes of x and indices broadcast; negative indices count from the end; axis -1 by
 * default, null: of the flattened x with 1-D indices). Out-of-bound indices read `fillValue`
 * (jax.numpy's default mode 'fill') or clamp (mode 'clip'). Indices must be int32, as jax.numpy's;
 * an empty axis gives zeros of the result's shape (jax.numpy).
 * Lowered to one gather from the flattened x at computed linear indices.
 * @example np.takeAlongAxis(x, np.argsort(x, -1), -1)
 */
export function takeAlongAxis(x: NdArray, indices: NdArray, axis: number | null = -1, options: TakeAlongAxisOptions = {}): NdArray {
  if (avalOf(indices).dtype !== 'int32') throw new Error(`takeAlongAxis: indices must be of integer type (int32), got ${avalOf(indices).dtype}`);
  if (axis === null) {
    if (shapeOf(indices).length !== 1) throw new Error(`takeAlongAxis: indices must be 1-D when axis is null, got ${shapeStr(shapeOf(indices))}`);
    return takeAlongAxis(ravel(x), indices, 0, options);
  }
  const { mode = 'fill', fillValue } = options;
  if (mode !== 'fill' && mode !== 'clip' && mode !== 'promise_in_bounds') throw new Error(`takeAlongAxis: mode must be 'fill', 'clip' or 'promise_in_bounds', got '${String(mode)}'`);
  const wrap = options.wrapNegativeIndices ?? mode !== 'promise_in_bounds';
  const sx = shapeOf(x);
  const si = shapeOf(indices);
  if (sx.length !== si.length) throw new Error(`takeAlongAxis: x ${shapeStr(sx)} and indices ${shapeStr(si)} must have the same rank`);
  const a = normAxis(axis, sx.length, 'takeAlongAxis');
  const out = sx.map((d, i) => {
    if (i === a) return si[i];
    if (d !== si[i] && d !== 1 && si[i] !== 1) throw new Error(`takeAlongAxis: x ${shapeStr(sx)} and indices ${shapeStr(si)} do not broadcast outside axis ${a}`);
    return Math.max(d, si[i]);
  });
  const full = out.map((d, i) => (i === a ? sx[a] : d));
  const dtype = avalOf(x).dtype;
  const fill = () => lax.full(out, fillValue ?? outOfBoundFill(dtype), dtype);
  if (sx[a] === 0) return lax.full(out, 0, dtype);
  const xb = lax.broadcastTo(x, full);
  // Outside [-n, n): JAX's default fill (mode 'fill'), not the entry of another row; or clamped.
  const raw = lax.broadcastTo(indices, out);
  const bounded = boundedIndex(raw, sx[a], wrap);
  const clip = mode !== 'fill';
  const index = clip ? clipOrWrap(lax.select(bounded.valid, bounded.index, raw), sx[a], 'clip') : bounded.index;
  // linear index into the flattened xb: the coordinate along `axis` from indices, the others from iotas.
  const strides = full.map((_, i) => sizeOf(full.slice(i + 1)));
  let linear = mul(index, strides[a]);
  out.forEach((d, i) => {
    if (i !== a && d > 1) linear = add(linear, tf.reshape(tf.range(0, d * strides[i], strides[i], 'int32'), out.map((e, j) => (j === i ? e : 1))));
  });
  const picked = lax.gather(ravel(xb), linear, 0);
  return clip ? picked : lax.select(bounded.valid, picked, fill());
}

const atLeast = (x: NdArray, rank: number, place: (s: readonly number[]) => number[]): NdArray => {
  const s = shapeOf(x);
  return s.length >= rank ? x : lax.reshape(x, place(s));
};
/** x as at least 1-D (a scalar becomes [1]). */
export const atleast1d = (x: NdArray) => atLeast(x, 1, () => [1]);
/** x as at least 2-D: [n] -> [1, n]. */
export const atleast2d = (x: NdArray) => atLeast(x, 2, (s) => [1, ...s, ...(s.length === 0 ? [1] : [])]);
/** x as at least 3-D: [n] -> [1, n, 1], [m, n] -> [m, n, 1]. */
export const atleast3d = (x: NdArray) => atLeast(x, 3, (s) => (s.length === 0 ? [1, 1, 1] : s.length === 1 ? [1, s[0], 1] : [...s, 1]));

function stackWith(xs: readonly NdArray[], op: string, prep: (x: NdArray) => NdArray, axis: (x: NdArray) => number): NdArray {
  if (xs.length === 0) throw new Error(`${op}: no arrays given`);
  const ys = xs.map(prep);
  return concatenate(ys, axis(ys[0]));
}

/** Stacks along the first axis, 1-D arrays as rows. */
export const vstack = (xs: readonly NdArray[]) => stackWith(xs, 'vstack', atleast2d, () => 0);
/** Stacks along the second axis (the first for 1-D arrays). */
export const hstack = (xs: readonly NdArray[]) => stackWith(xs, 'hstack', atleast1d, (y) => (shapeOf(y).length === 1 ? 0 : 1));
/** Stacks along the third axis (1-D and 2-D arrays first made 3-D). */
export const dstack = (xs: readonly NdArray[]) => stackWith(xs, 'dstack', atleast3d, () => 2);
/** Stacks 1-D arrays as the columns of a 2-D array (2-D arrays are appended as they are). */
export const columnStack = (xs: readonly NdArray[]) =>
  stackWith(xs, 'columnStack', (x) => (shapeOf(x).length < 2 ? lax.reshape(x, [sizeOf(shapeOf(x)), 1]) : x), () => 1);

/**
 * Splits into `sections` parts that may differ in size by one (the first ones larger), as
 * numpy's array_split; a list of indices splits at those indices.
 */
export function arraySplit(x: NdArray, sections: number | readonly number[], axis = 0): NdArray[] {
  if (typeof sections !== 'number') return split(x, sections, axis);
  const n = shapeOf(x)[normAxis(axis, shapeOf(x).length, 'arraySplit')];
  if (!Number.isInteger(sections) || sections < 1) throw new Error(`arraySplit: sections must be a positive integer, got ${sections}`);
  const base = Math.floor(n / sections);
  const extra = n % sections;
  const bounds: number[] = [];
  for (let i = 1, at = 0; i < sections; i++) bounds.push((at += base + (i - 1 < extra ? 1 : 0)));
  return split(x, bounds, axis);
}

/** split along `axis`, for x of rank at least `rank` (hsplit, vsplit, dsplit). */
function splitAlong(x: NdArray, sections: number | readonly number[], axis: number, rank: number, op: string): NdArray[] {
  if (shapeOf(x).length < rank) throw new Error(`${op}: need an array of rank >= ${rank}, got ${shapeStr(shapeOf(x))}`);
  return split(x, sections, axis);
}
/** split along the second axis (the first for 1-D arrays), as numpy's hsplit. */
export const hsplit = (x: NdArray, sections: number | readonly number[]) => splitAlong(x, sections, shapeOf(x).length === 1 ? 0 : 1, 1, 'hsplit');
/** split along the first axis of an array of rank >= 2 (numpy's vsplit). */
export const vsplit = (x: NdArray, sections: number | readonly number[]) => splitAlong(x, sections, 0, 2, 'vsplit');
/** split along the third axis of an array of rank >= 3 (numpy's dsplit). */
export const dsplit = (x: NdArray, sections: number | readonly number[]) => splitAlong(x, sections, 2, 3, 'dsplit');

/** The slices of x along `axis`, as a list (jax.numpy's unstack). */
export function unstack(x: NdArray, axis = 0): NdArray[] {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'unstack');
  return Array.from({ length: s[a] }, (_, i) => squeeze(sliceAxis(x, a, i, i + 1), a));
}

export interface DiffOptions {
  /** Values put before x along the axis: an array, or a scalar (a number or 0-d array) broadcast to one slice. */
  readonly prepend?: ArrayOrNumber;
  /** Values put after x along the axis, as `prepend`. */
  readonly append?: ArrayOrNumber;
}

/** diff's prepend/append as an array of x's rank: a scalar becomes one slice of x's shape along `axis` (NumPy). */
function diffEnd(v: ArrayOrNumber, x: NdArray, axis: number): NdArray {
  const s = shapeOf(x);
  if (typeof v !== 'number' && shapeOf(v).length > 0) return v;
  const one = s.map((d, i) => (i === axis ? 1 : d));
  return typeof v === 'number' ? lax.full(one, v, resultDType([x, v])) : lax.broadcastTo(lax.reshape(v, one.map(() => 1)), one);
}

/**
 * The n-th discrete difference along `axis`: out[i] = x[i + 1] - x[i], applied n times
 * (numpy's diff, with optional arrays prepended/appended along the axis first); of bools,
 * x[i + 1] != x[i], as NumPy's and jax.numpy's (bool subtraction is an error). `prepend` and
 * `append` come as options, or positionally (NumPy's order).
 */
export function diff(x: NdArray, n = 1, axis = -1, optionsOrPrepend: DiffOptions | ArrayOrNumber = {}, appendArg?: ArrayOrNumber): NdArray {
  // NumPy's positional form, diff(a, n, axis, prepend, append), as well as the options.
  const positional = typeof optionsOrPrepend === 'number' || isArray(optionsOrPrepend);
  const { prepend, append }: DiffOptions = positional ? { prepend: optionsOrPrepend, append: appendArg } : (optionsOrPrepend as DiffOptions);
  const a = normAxis(axis, shapeOf(x).length, 'diff');
  if (!Number.isInteger(n) || n < 0) throw new Error(`diff: n must be a non-negative integer, got ${n}`);
  const ends = (v: ArrayOrNumber | undefined) => (v === undefined ? [] : [diffEnd(v, x, a)]);
  let y = prepend !== undefined || append !== undefined ? concatenate([...ends(prepend), x, ...ends(append)], a) : x;
  for (let i = 0; i < n; i++) {
    const len = shapeOf(y)[a];
    if (len === 0) break;
    const step = avalOf(y).dtype === 'bool' ? notEqual : sub;
    y = step(sliceAxis(y, a, 1, len), sliceAxis(y, a, 0, len - 1));
  }
  return y;
}

/** Differences of consecutive elements of the flattened x, with optional values before and after (numpy's ediff1d). */
export function ediff1d(x: NdArray, toEnd?: NdArray, toBegin?: NdArray): NdArray {
  // NumPy and jax.numpy subtract here (no not_equal for bools, unlike diff): a bool input is an error.
  if (avalOf(x).dtype === 'bool') throw new Error('np.ediff1d: boolean subtract is not supported (got bool); cast to int32 first');
  const d = diff(ravel(x));
  return concatenate([...(toBegin ? [ravel(toBegin)] : []), d, ...(toEnd ? [ravel(toEnd)] : [])], 0);
}

/**
 * The element of the first choice whose condition holds, `defaultValue` where none does
 * (numpy's select; conditions and choices broadcast).
 */
export function select(condlist: readonly NdArray[], choicelist: readonly ArrayOrNumber[], defaultValue: ArrayOrNumber = 0): NdArray {
  if (condlist.length !== choicelist.length) throw new Error(`select: ${condlist.length} conditions but ${choicelist.length} choices`);
  if (condlist.length === 0) throw new Error('select: no conditions given');
  const last = condlist.length - 1;
  let out = where(condlist[last], choicelist[last], defaultValue);
  for (let i = last - 1; i >= 0; i--) out = where(condlist[i], choicelist[i], out);
  return out;
}
