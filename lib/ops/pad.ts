/** numpy's pad with all of its modes (jax.numpy.pad). */
import * as tf from '@tensorflow/tfjs-core';
import { isFloat, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { add, floor, max, mean, min, mul, sub, toFloat } from './math.js';
import { median } from './quantile.js';
import { rint } from './more-math.js';
import { concatenate, sliceAxis } from './shape.js';

/**
 * numpy's pad modes: a constant; the edge value repeated; a mirror without / with the edge
 * value; the other end; a ramp from `endValues` to the edge; a statistic of the axis (or of
 * `statLength` entries at each end); 'empty' (zeros, as jax.numpy).
 */
export type PadMode = 'constant' | 'edge' | 'reflect' | 'symmetric' | 'wrap' | 'linear_ramp' | 'maximum' | 'minimum' | 'mean' | 'median' | 'empty';

/** A value per side: one number, one [before, after] pair for every axis, or a pair per axis. */
export type PerSide = number | readonly [number, number] | readonly (readonly [number, number])[];

export interface PadOptions {
  /** How the new entries are filled (default 'constant'). */
  readonly mode?: PadMode;
  /** The values of mode 'constant' (default 0), per side as the widths. */
  readonly constantValues?: PerSide;
  /** Mode 'linear_ramp': the value at each outer end (default 0), per side as the widths. */
  readonly endValues?: PerSide;
  /** Modes 'maximum', 'minimum', 'mean', 'median': how many entries at each end the statistic reads (default all), per side as the widths. */
  readonly statLength?: PerSide | null;
}

/** pad's widths: one number for every side, one [before, after] pair for every axis, or a pair per axis. */
export type PadWidths = PerSide;

/**
 * x padded along each axis (numpy's pad): `widths` is a [before, after] pair per axis, one
 * pair for all axes, or one number for every side; the third argument is the constant (for
 * the default mode 'constant') or `{ mode, constantValues, endValues, statLength }`. Modes
 * 'edge', 'reflect', 'symmetric' and 'wrap' repeat periodically for widths longer than the
 * axis, as NumPy; the axes are padded in order, so later axes read earlier axes' padding
 * (corners), as NumPy; 'mean' and 'median' round to the nearest (half to even) for int32.
 * The mode may also come third as a string, NumPy's positional `mode`, with its options fourth.
 * @example np.pad(x, [[1, 0], [0, 2]]); np.pad(x, 2, { mode: 'reflect' }); np.pad(x, 2, 'reflect')
 * @example np.pad(x, 3, { mode: 'linear_ramp', endValues: [5, -4] }); np.pad(x, 1, 'constant', { constantValues: 5 })
 */
export function pad(x: NdArray, widths: PadWidths, options: number | PadMode | PadOptions = 0, modeOptions: Omit<PadOptions, 'mode'> = {}): NdArray {
  const s = shapeOf(x);
  const pairs = sidePairs(widths, s.length, 'pad widths');
  const opts: PadOptions = typeof options === 'number' ? { constantValues: options } : typeof options === 'string' ? { ...modeOptions, mode: options } : options;
  const mode = opts.mode ?? 'constant';
  if (pairs.some(([lo, hi]) => !Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < 0)) throw new Error(`pad: widths must be non-negative integers, got ${JSON.stringify(widths)}`);
  if (mode === 'constant' || mode === 'empty') return padConstant(x, pairs, mode === 'empty' ? 0 : (opts.constantValues ?? 0));
  const perAxis = PER_AXIS[mode];
  const source = PAD_SOURCES[mode as keyof typeof PAD_SOURCES];
  if (!perAxis && !source) throw new Error(`pad: mode must be one of ${['constant', ...Object.keys(PAD_SOURCES), ...Object.keys(PER_AXIS), 'empty'].join(', ')}, got '${String(mode)}'`);
  const extra = mode === 'linear_ramp' ? sidePairs(opts.endValues ?? 0, s.length, 'endValues') : opts.statLength == null ? null : sidePairs(opts.statLength, s.length, 'statLength');
  return pairs.reduce((y, [lo, hi], a) => {
    const isStat = mode !== 'linear_ramp' && perAxis !== undefined;
    if (lo === 0 && hi === 0 && !isStat) return y;
    const n = s[a];
    if (n === 0) throw new Error(`pad: cannot pad the empty axis ${a} of ${shapeStr(s)} in mode '${mode}'`);
    if (perAxis) return perAxis(y, a, lo, hi, extra?.[a]);
    const idx = Array.from({ length: lo + n + hi }, (_, i) => source(i - lo, n));
    return lax.gather(y, tf.tensor1d(idx, 'int32'), a);
  }, x);
}

/** x padded with constants, axis by axis (so the corners take the later axis's values, as NumPy). */
function padConstant(x: NdArray, pairs: readonly (readonly [number, number])[], values: PerSide): NdArray {
  const rank = pairs.length;
  if (typeof values === 'number') return lax.pad(x, pairs.map((w) => w[0]), pairs.map((w) => w[1]), undefined, values);
  const vs = sidePairs(values, rank, 'constantValues');
  return pairs.reduce((y, [lo, hi], a) => {
    const along = (w: number) => pairs.map((_, i) => (i === a ? w : 0));
    return lax.pad(lax.pad(y, along(lo), along(0), undefined, vs[a][0]), along(0), along(hi), undefined, vs[a][1]);
  }, x);
}

/** The [before, after] pair of every axis from a per-side value (a bad count is an error naming `what`). */
function sidePairs(values: PerSide, rank: number, what: string): (readonly [number, number])[] {
  if (typeof values === 'number') return Array.from({ length: rank }, () => [values, values] as const);
  const [a, b] = values;
  if (typeof a === 'number' && typeof b === 'number' && values.length === 2) return Array.from({ length: rank }, () => [a, b] as const);
  const list = values as readonly (readonly [number, number])[];
  if (list.length === 1 && rank !== 1) return Array.from({ length: rank }, () => list[0]);
  if (list.length !== rank) throw new Error(`pad: ${list.length} ${what} for an array of rank ${rank}`);
  return [...list];
}

const wrapIndex = (j: number, n: number) => ((j % n) + n) % n;
/** For each copying mode, the entry of an axis of length n that position j (counted from the axis's start, possibly outside it) copies. */
const PAD_SOURCES = {
  edge: (j: number, n: number) => Math.min(Math.max(j, 0), n - 1),
  wrap: wrapIndex,
  reflect: (j: number, n: number) => {
    if (n === 1) return 0;
    const k = wrapIndex(j, 2 * n - 2);
    return k < n ? k : 2 * n - 2 - k;
  },
  symmetric: (j: number, n: number) => {
    const k = wrapIndex(j, 2 * n);
    return k < n ? k : 2 * n - 1 - k;
  },
};

/** Pads one axis: y, the axis, the widths before and after, and the mode's per-side pair for this axis. */
type AxisPad = (y: NdArray, axis: number, lo: number, hi: number, pair: readonly [number, number] | undefined) => NdArray;
type Stat = (x: NdArray, axis: number, keepdims: boolean) => NdArray;

/** v (one entry along `axis`) repeated `times` times along it. */
const repeated = (v: NdArray, axis: number, times: number) => lax.broadcastTo(v, shapeOf(v).map((d, i) => (i === axis ? times : d)));

/** A statistic mode: each side filled with the statistic of the first / last `statLength` entries (all by default), rounded for int32 (NumPy, JAX). */
function statPad(stat: Stat, rounds: boolean): AxisPad {
  return (y, axis, lo, hi, pair) => {
    const n = shapeOf(y)[axis];
    if (pair && (pair[0] <= 0 || pair[1] <= 0 || !Number.isInteger(pair[0]) || !Number.isInteger(pair[1]))) throw new Error(`pad: statLength must be positive integers, got [${pair}]`);
    const dtype = avalOf(y).dtype;
    const of = (part: NdArray) => {
      const v = stat(part, axis, true);
      return lax.cast(rounds && !isFloat(dtype) ? rint(v) : v, dtype);
    };
    const before = of(pair ? sliceAxis(y, axis, 0, Math.min(pair[0], n)) : y);
    const after = pair ? of(sliceAxis(y, axis, n - Math.min(pair[1], n), n)) : before;
    return concatenate([repeated(before, axis, lo), y, repeated(after, axis, hi)], axis);
  };
}

/**
 * Mode 'linear_ramp': each side runs from its end value towards the edge entry, the edge
 * itself left out (numpy's linspace(end, edge, width, endpoint=False)); int32 floors (JAX).
 */
const rampPad: AxisPad = (y, axis, lo, hi, pair = [0, 0]) => {
  const s = shapeOf(y);
  const n = s[axis];
  const dtype = avalOf(y).dtype;
  const ramp = (edge: NdArray, end: number, width: number, reversed: boolean) => {
    const steps = Array.from({ length: width }, (_, k) => (reversed ? width - 1 - k : k) / width);
    const t = lax.reshape(tf.tensor1d(steps, 'float32'), s.map((_, i) => (i === axis ? width : 1)));
    const v = add(end, mul(sub(toFloat(edge), end), t));
    return lax.cast(isFloat(dtype) ? v : floor(v), dtype);
  };
  const before = ramp(sliceAxis(y, axis, 0, 1), pair[0], lo, false);
  const after = ramp(sliceAxis(y, axis, n - 1, n), pair[1], hi, true);
  return concatenate([before, y, after], axis);
};

const PER_AXIS: Partial<Record<PadMode, AxisPad>> = {
  linear_ramp: rampPad,
  maximum: statPad(max, false),
  minimum: statPad(min, false),
  mean: statPad(mean, true),
  median: statPad(median, true),
};
