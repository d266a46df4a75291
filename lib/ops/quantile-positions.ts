/**
 * The pieces of NumPy's quantile that do not depend on where the values come from: which
 * axes are reduced (as rows), and where quantile q of n sorted values lies for each method.
 * Shared by the NaN-ignoring quantiles (lib/ops/nan-quantiles.ts), whose n differs per row.
 */
import type { Shape } from '../core/aval.js';
import type * as tf from '@tensorflow/tfjs-core';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
import { unreadable } from './host-values.js';
import { type Axis, add, axesOf, greaterEqual, mul, sub, where } from './math.js';
import { moveaxis } from './manipulation.js';
import { reshape } from './shape.js';

/** How a quantile between two sorted neighbours i < j is taken (NumPy's `method`). */
export type QuantileMethod = 'linear' | 'lower' | 'higher' | 'nearest' | 'midpoint';

/** x's reduced axes moved last and merged into one of length n: rows [...kept, n], and the result's shape. */
export interface ReducedRows {
  readonly rows: NdArray;
  readonly n: number;
  readonly outShape: Shape;
}

/**
 * x arranged as rows over `axis` (all axes by default): the reduced axes last, merged.
 * @example reducedRows(x, [0, 2], false, 'nanquantile') // x [2, 3, 4] -> rows [3, 8]
 */
export function reducedRows(x: NdArray, axis: Axis, keepdims: boolean, op: string): ReducedRows {
  const s = shapeOf(x);
  const axes = axesOf(x, axis, op);
  const n = axes.reduce((p, a) => p * s[a], 1);
  const kept = [...s.keys()].filter((a) => !axes.includes(a));
  const rows = reshape(moveaxis(x, axes, axes.map((_, i) => s.length - axes.length + i)), [...kept.map((a) => s[a]), n]);
  return { rows, n, outShape: keepdims ? s.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((a) => s[a]) };
}

/** Quantile q of n >= 1 sorted values is lerp(sorted[lo], sorted[hi], t); t = 0 means sorted[lo] exactly. */
export interface QuantilePosition {
  readonly lo: number;
  readonly hi: number;
  readonly t: number;
}

/**
 * Where quantile q (in [0, 1]) of n >= 1 sorted values lies for a NumPy method, in float64
 * as NumPy computes it (the virtual index q (n - 1)).
 * @example quantilePosition(4, 0.5, 'linear') // { lo: 1, hi: 2, t: 0.5 }
 */
export function quantilePosition(n: number, q: number, method: QuantileMethod, op = 'quantile'): QuantilePosition {
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const t = pos - lo;
  const at = (i: number): QuantilePosition => ({ lo: i, hi: i, t: 0 });
  switch (method) {
    case 'lower':
      return at(lo);
    case 'higher':
      return at(t > 0 ? hi : lo);
    case 'nearest':
      // NumPy rounds half to even on the position.
      return at(t === 0.5 ? (lo % 2 === 0 ? lo : hi) : t < 0.5 ? lo : hi);
    case 'midpoint':
      return t === 0 ? at(lo) : { lo, hi, t: 0.5 };
    case 'linear':
      return t === 0 ? at(lo) : { lo, hi, t };
    default:
      throw new Error(`${op}: unknown method ${JSON.stringify(method)}; use linear, lower, higher, nearest or midpoint`);
  }
}

/**
 * a + (b - a) t as NumPy's lerp: from the nearer end, so that t = 1 gives b exactly.
 * @example lerp(a, b, 0.25) // a + (b - a) / 4
 */
export function lerp(a: NdArray, b: NdArray, t: NdArray | number): NdArray {
  const d = sub(b, a);
  if (typeof t === 'number') return t >= 0.5 ? sub(b, mul(d, 1 - t)) : add(a, mul(d, t));
  return where(greaterEqual(t, 0.5), sub(b, mul(d, sub(1, t))), add(a, mul(d, t)));
}

/**
 * The value between sorted neighbours a and b at fraction t for a method: 'midpoint' is
 * (a + b) / 2 (jax.numpy's midpoint, and NumPy's median: finite values and an infinity give
 * the infinity, where a lerp gives inf - inf = NaN); the others {@link lerp}.
 */
export function interpolate(a: NdArray, b: NdArray, t: NdArray | number, method: QuantileMethod): NdArray {
  return method === 'midpoint' ? mul(add(a, b), 0.5) : lerp(a, b, t);
}

/** Quantile levels of any shape: a number, nested lists of numbers, or a concrete array. */
export type QuantileLevels = number | readonly QuantileLevelList[] | NdArray;
type QuantileLevelList = number | readonly QuantileLevelList[];

/**
 * q's values divided by `scale` (100 for percentiles) and q's shape ([] for a number), each
 * checked to lie in [0, scale] (NumPy's ValueError; the result shape is q.shape + reduced).
 */
export function quantileLevels(q: QuantileLevels, scale: number, op: string): { values: number[]; shape: number[] } {
  let values: number[];
  let shape: number[];
  if (isArray(q)) {
    const why = unreadable(q);
    if (why) throw new Error(`${op}: q must be concrete (its values ${why})`);
    [values, shape] = [[...(q as tf.Tensor).dataSync()].map(Number), [...shapeOf(q)]];
  } else {
    [values, shape] = [[], []];
    const visit = (v: QuantileLevelList, depth: number): void => {
      if (typeof v === 'number') {
        values.push(v);
        return;
      }
      if (depth === shape.length) shape.push(v.length);
      else if (shape[depth] !== v.length) throw new Error(`${op}: q is a ragged list`);
      v.forEach((e) => visit(e, depth + 1));
    };
    visit(q, 0);
  }
  for (const v of values) if (!(v >= 0 && v <= scale)) throw new Error(`${op}: q must be in [0, ${scale}], got ${v}`);
  return { values: values.map((v) => v / scale), shape };
}
