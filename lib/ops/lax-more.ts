/**
 * More of jax.lax's names, with lax's strict rules (the special functions, which run lib/scipy's
 * algorithms, are in lib/scipy/lax-special.ts): bit counts (population_count, clz), full / full_like / zeros_like_array, batch_matmul, select_n,
 * split, dynamic_update_index_in_dim, approx_max_k / approx_min_k (exact here, as JAX on
 * CPU), broadcast_shapes and optimization_barrier.
 */
import { type DType, type Shape, normAxis, shapeStr } from '../core/aval.js';
import * as core from '../core/lax.js';
import { weakDType } from '../core/promotion.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { dynamicUpdateSliceInDim } from './dynamic-slice.js';
import { dotGeneral } from './lax-dot-conv.js';
import { bitwiseAnd, shiftLeft, shiftRightLogical } from './lax-elementwise.js';
import { checkDType, strictUnary } from './lax-operands.js';
import { neg as npNeg, where } from './math.js';
import { topK } from './lax-sort.js';
import { moveaxis } from './manipulation.js';
import { split as npSplit } from './shape.js';

/** Adds bit fields of width w: x & mask plus (x >>> w) & mask. */
function foldBits(x: NdArray, w: number, mask: number): NdArray {
  return core.add(bitwiseAnd(x, mask), bitwiseAnd(shiftRightLogical(x, w), mask));
}

/** The number of set bits of each int32 (its two's complement; jax.lax.population_count). */
export const populationCount = strictUnary('populationCount', 'int', (x) => {
  let c = foldBits(x, 1, 0x55555555);
  c = foldBits(c, 2, 0x33333333);
  c = foldBits(c, 4, 0x0f0f0f0f);
  c = foldBits(c, 8, 0x00ff00ff);
  return foldBits(c, 16, 0x0000ffff);
});

/** The number of leading zero bits of each int32 (32 for 0, 0 for negatives; jax.lax.clz). */
export const clz = strictUnary('clz', 'int', (x) => {
  let v = x;
  let n = core.scalarLike(0, x) as NdArray;
  for (const w of [16, 8, 4, 2, 1]) {
    const high = shiftRightLogical(v, 32 - w);
    const empty = core.eq(high, core.scalarLike(0, high));
    n = where(empty, core.add(n, core.scalarLike(w, n)), n);
    v = where(empty, shiftLeft(v, w), v);
  }
  // v is now 0 only when x was 0: one more zero bit.
  return where(core.eq(x, core.scalarLike(0, x)), 32, n);
});

/** The dtype a fill value gives without `dtype`: an array's own, a JS integer int32, else float32 (JAX's weak types). */
function fillDType(fillValue: NdArray | number | boolean): DType {
  if (typeof fillValue === 'boolean') return 'bool';
  return typeof fillValue === 'number' ? weakDType(fillValue) : avalOf(fillValue).dtype;
}

/** An array of `shape` filled with a scalar (jax.lax.full); dtype defaults to the fill value's. */
export function full(shape: Shape, fillValue: NdArray | number | boolean, dtype?: DType): NdArray {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new TypeError(`lax.full: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  const dt = dtype ?? fillDType(fillValue);
  if (typeof fillValue === 'number' || typeof fillValue === 'boolean') return core.full(shape, Number(fillValue), dt);
  if (shapeOf(fillValue).length !== 0) throw new TypeError(`lax.full: fill value must be a scalar, got shape ${shapeStr(shapeOf(fillValue))}`);
  return core.broadcastInDim(core.cast(fillValue, dt), shape, []);
}

/** An array like x (its shape and dtype unless given) filled with `fillValue` (jax.lax.full_like). */
export function fullLike(x: NdArray, fillValue: NdArray | number | boolean, dtype?: DType, shape?: Shape): NdArray {
  return full(shape ?? shapeOf(x), fillValue, dtype ?? avalOf(x).dtype);
}

/** Zeros of x's shape and dtype (jax.lax.zeros_like_array). */
export function zerosLikeArray(x: NdArray): NdArray {
  return full(shapeOf(x), 0, avalOf(x).dtype);
}

/** Batched matrix product lhs[..., m, k] @ rhs[..., k, n] with equal batch dims (jax.lax.batch_matmul). */
export function batchMatmul(lhs: NdArray, rhs: NdArray): NdArray {
  const [sa, sb] = [shapeOf(lhs), shapeOf(rhs)];
  if (sa.length < 2 || sa.length !== sb.length) throw new TypeError(`lax.batchMatmul: operands need the same rank >= 2, got ${shapeStr(sa)} and ${shapeStr(sb)}`);
  const r = sa.length;
  const batch = Array.from({ length: r - 2 }, (_, i) => i);
  return dotGeneral(lhs, rhs, [[[r - 1], [r - 2]], [batch, batch]]);
}

/**
 * cases[which] elementwise (jax.lax.select_n): `which` is bool (2 cases: false picks the
 * first) or int32 (in range), a scalar or the cases' shape; the cases share shape and dtype.
 */
export function selectN(which: NdArray, ...cases: NdArray[]): NdArray {
  if (cases.length === 0) throw new TypeError('lax.selectN: at least one case is needed');
  const w = avalOf(which);
  const c0 = avalOf(cases[0]);
  if (cases.some((c) => avalOf(c).dtype !== c0.dtype || shapeStr(shapeOf(c)) !== shapeStr(c0.shape))) throw new TypeError(`lax.selectN: cases must have one shape and dtype, got ${cases.map((c) => `${avalOf(c).dtype}${shapeStr(shapeOf(c))}`).join(', ')}`);
  if (w.shape.length !== 0 && shapeStr(w.shape) !== shapeStr(c0.shape)) throw new TypeError(`lax.selectN: which must be a scalar or have the cases' shape ${shapeStr(c0.shape)}, got ${shapeStr(w.shape)}`);
  if (w.dtype === 'bool' && cases.length > 2) throw new TypeError(`lax.selectN: a bool which selects between at most 2 cases, got ${cases.length}`);
  if (w.dtype !== 'bool' && w.dtype !== 'int32') throw new TypeError(`lax.selectN: which must be bool or int32, got ${w.dtype}`);
  const pred = w.shape.length === 0 ? core.broadcastInDim(which, c0.shape, []) : which;
  if (w.dtype === 'bool') return cases.length === 1 ? cases[0] : core.select(pred, cases[1], cases[0]);
  let out = cases[cases.length - 1];
  for (let i = cases.length - 2; i >= 0; i--) out = core.select(core.eq(pred, core.scalarLike(i, pred)), cases[i], out);
  return out;
}

/** Splits x along `axis` into pieces of the given sizes, which must add up to its length (jax.lax.split). */
export function split(x: NdArray, sizes: readonly number[], axis = 0): NdArray[] {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'lax.split');
  if (sizes.some((n) => !Number.isInteger(n) || n < 0) || sizes.reduce((t, n) => t + n, 0) !== s[a]) throw new TypeError(`lax.split: sizes [${sizes}] must be non-negative and sum to ${s[a]}, the length of axis ${a} of ${shapeStr(s)}`);
  if (sizes.length === 0) return [];
  // np.split's split points: the running totals of all sizes but the last.
  return npSplit(x, sizes.slice(0, -1).map((_, i) => sizes.slice(0, i + 1).reduce((t, n) => t + n, 0)), a);
}

/**
 * Writes `update` at `index` along `axis` (jax.lax.dynamic_update_index_in_dim): an update of
 * rank one less than x gets that axis back.
 */
export function dynamicUpdateIndexInDim(x: NdArray, update: NdArray, index: number | NdArray, axis: number): NdArray {
  const a = normAxis(axis, shapeOf(x).length, 'lax.dynamicUpdateIndexInDim');
  const u = shapeOf(update).length === shapeOf(x).length - 1 ? core.reshape(update, [...shapeOf(update).slice(0, a), 1, ...shapeOf(update).slice(a)]) : update;
  return dynamicUpdateSliceInDim(x, u, index, a);
}

/** Options of approxMaxK / approxMinK: accepted as JAX's; the result is exact here. */
export interface ApproxTopKOptions {
  readonly reductionDimension?: number;
  readonly recallTarget?: number;
  readonly reductionInputSizeOverride?: number;
  readonly aggregateToTopk?: boolean;
}

/** [values, indices] of the k largest along `reductionDimension` (default -1), largest first (jax.lax.approx_max_k; exact). */
export function approxMaxK(operand: NdArray, k: number, opts: ApproxTopKOptions = {}): [NdArray, NdArray] {
  return topAlong('approxMaxK', operand, k, opts, false);
}

/** [values, indices] of the k smallest along `reductionDimension` (default -1), smallest first (jax.lax.approx_min_k; exact). */
export function approxMinK(operand: NdArray, k: number, opts: ApproxTopKOptions = {}): [NdArray, NdArray] {
  return topAlong('approxMinK', operand, k, opts, true);
}

function topAlong(op: string, operand: NdArray, k: number, opts: ApproxTopKOptions, smallest: boolean): [NdArray, NdArray] {
  checkDType(op, operand, 'numeric');
  const s = shapeOf(operand);
  const a = normAxis(opts.reductionDimension ?? -1, s.length, `lax.${op}`);
  if (!Number.isInteger(k) || k < 0 || k > s[a]) throw new TypeError(`lax.${op}: k must be in [0, ${s[a]}] for axis ${a} of ${shapeStr(s)}, got ${k}`);
  const last = moveaxis(operand, a, -1);
  const [v, i] = topK(smallest ? npNeg(last) : last, k);
  return [moveaxis(smallest ? npNeg(v) : v, -1, a), moveaxis(i, -1, a)];
}

/** Broadcasts shapes by NumPy's rule (jax.lax.broadcast_shapes); incompatible shapes are a TypeError. */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    s.forEach((d, i) => {
      const j = rank - s.length + i;
      if (d !== 1 && out[j] !== 1 && out[j] !== d) throw new TypeError(`lax.broadcastShapes: incompatible shapes for broadcasting: ${shapes.map(shapeStr).join(', ')}`);
      if (d !== 1) out[j] = d;
    });
  }
  return out;
}

/** The identity on a tree of arrays (jax.lax.optimization_barrier: here only an ordering hint). */
export function optimizationBarrier<T>(operand: T): T {
  return operand;
}
