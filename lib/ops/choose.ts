/** jax.numpy's choose, piecewise, compress and extract. */
import type * as tf from '@tensorflow/tfjs-core';
import { normAxis, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { type ArrayOrNumber, clip, equal, greaterEqual, less, logicalOr, where } from './math.js';
import { moveaxis, ravel } from './manipulation.js';
import { nonzero } from './nonzero.js';
import { any } from './reductions.js';
import { remainder } from './elementwise-math.js';
import { sliceAxis, take } from './shape.js';

/** How choose treats an index outside [0, n): an error ('raise', concrete indices only), wrapped or clipped. */
export type ChooseMode = 'raise' | 'wrap' | 'clip';

/**
 * choices[a[i]][i] for every position i of a, a and the choices broadcast together (NumPy's
 * and jax.numpy's choose). Mode 'raise' (the default) checks the indices, so they must be
 * concrete (under jit an error, as JAX's); 'wrap' and 'clip' trace.
 * @example np.choose(np.array([0, 2, 1], 'int32'), [a, b, c])
 */
export function choose(a: NdArray, choices: readonly ArrayOrNumber[], mode: ChooseMode = 'raise'): NdArray {
  const n = choices.length;
  if (n === 0) throw new Error('choose: choices must not be empty');
  if (avalOf(a).dtype !== 'int32') throw new Error(`choose: a must be int32, got ${avalOf(a).dtype}`);
  let idx = a;
  if (mode === 'wrap') idx = remainder(a, n);
  else if (mode === 'clip') idx = clip(a, 0, n - 1);
  else if (mode === 'raise') {
    const why = unreadable(a);
    if (why) throw new Error(`choose: mode 'raise' checks the indices, and a's values ${why}; use mode 'wrap' or 'clip'`);
    if ((any(logicalOr(less(a, 0), greaterEqual(a, n))) as tf.Tensor).dataSync()[0]) throw new Error(`choose: an entry of a is outside [0, ${n}) (mode 'raise')`);
  } else throw new Error(`choose: mode must be 'raise', 'wrap' or 'clip', got '${String(mode)}'`);
  return choices.reduce<NdArray>((acc, c, k) => (k === 0 ? acc : where(equal(idx, k), c, acc)), where(equal(idx, 0), choices[0], choices[n - 1]));
}

/** A piece of piecewise: a function of x, or a constant. */
export type Piece = ((x: NdArray) => ArrayOrNumber) | number;

/**
 * x's dtype and shape, each entry given by the piece of the last true condition in condlist
 * (NumPy's and jax.numpy's piecewise); with one more piece than conditions, the extra one
 * is the value where no condition holds (0 otherwise). Every function sees the whole x.
 * @example np.piecewise(x, [np.less(x, 0), np.greaterEqual(x, 0)], [(v) => np.neg(v), (v) => v])
 */
export function piecewise(x: NdArray, condlist: readonly NdArray[], funclist: readonly Piece[]): NdArray {
  const [nc, nf] = [condlist.length, funclist.length];
  if (nf !== nc && nf !== nc + 1) throw new Error(`piecewise: funclist has ${nf} pieces for ${nc} conditions (want ${nc} or ${nc + 1})`);
  const dtype = avalOf(x).dtype;
  const value = (f: Piece): NdArray => {
    const v = typeof f === 'number' ? lax.scalar(f, dtype) : f(x);
    return lax.broadcastTo(typeof v === 'number' ? lax.scalar(v, dtype) : lax.cast(v, dtype), shapeOf(x));
  };
  const otherwise = nf === nc + 1 ? value(funclist[nc]) : lax.zerosLike(x);
  return condlist.reduce((acc, c, k) => where(c, value(funclist[k]), acc), otherwise);
}

export interface CompressOptions {
  /** The result's length along the axis, so it traces (jax.numpy's `size`): the rest is `fillValue`. */
  readonly size?: number;
  /** The entries past the selected ones when `size` is given (default 0). */
  readonly fillValue?: number;
}

/**
 * The slices of a along `axis` (of the flattened a when null) where the 1-D condition is true
 * (NumPy's and jax.numpy's compress). a is cut to the condition's length; a true entry past
 * a's length is an error. Without `size` the count is read (eager only, as np.nonzero).
 * @example np.compress(np.array([true, false, true]), x, 0)
 */
export function compress(condition: NdArray, a: NdArray, axis: number | null = null, { size, fillValue = 0 }: CompressOptions = {}): NdArray {
  if (shapeOf(condition).length !== 1) throw new Error(`compress: condition must be 1-D, got ${shapeStr(shapeOf(condition))}`);
  const arr = axis === null ? ravel(a) : moveaxis(a, normAxis(axis, shapeOf(a).length, 'compress'), 0);
  const n = shapeOf(arr)[0];
  const m = shapeOf(condition)[0];
  if (m > n) {
    const extra = sliceAxis(condition, 0, n, m);
    if (!unreadable(extra) && (any(extra) as tf.Tensor).dataSync()[0]) throw new Error(`compress: condition has true entries past a's length ${n} along the axis`);
  }
  const cond = sliceAxis(condition, 0, 0, Math.min(m, n));
  const [positions] = nonzero(cond, size === undefined ? {} : { size, fillValue: -1 });
  const k = shapeOf(positions)[0];
  const rows = take(arr, where(less(positions, 0), 0, positions), 0);
  const keep = lax.reshape(greaterEqual(positions, 0), [k, ...shapeOf(arr).slice(1).map(() => 1)]);
  const out = size === undefined ? rows : where(keep, rows, fillValue);
  return axis === null ? out : moveaxis(out, 0, normAxis(axis, shapeOf(a).length, 'compress'));
}

/** The entries of arr where condition is true, both flattened (NumPy's and jax.numpy's extract); `size` and `fillValue` as {@link compress}. */
export function extract(condition: NdArray, arr: NdArray, options: CompressOptions = {}): NdArray {
  return compress(ravel(lax.cast(condition, 'bool')), ravel(arr), null, options);
}
