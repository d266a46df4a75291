/**
 * jax.lax.gather and the jax.lax.scatter family with XLA's dimension numbers, on the core's
 * 1-D gather and np's index updates: every result (or update) element's operand position is
 * computed as one flat int32 index (start of its window, clamped or checked, plus its offset
 * in the window), so they are differentiable, batchable and jittable as those are.
 */
import { avalStr, type DType } from '../core/aval.js';
import * as core from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { at } from './index-update.js';
import { add, greaterEqual, lessEqual, logicalAnd, maximum, minimum, mul, where } from './math.js';
import { iota } from './lax-structural.js';
import { broadcastTo, outOfBoundFill } from './shape.js';

/** jax.lax.GatherDimensionNumbers (index_vector_dim is the indices' last dim unless given, as JAX). */
export interface GatherDimensionNumbers {
  readonly offsetDims: readonly number[];
  readonly collapsedSliceDims: readonly number[];
  readonly startIndexMap: readonly number[];
  readonly operandBatchingDims?: readonly number[];
  readonly startIndicesBatchingDims?: readonly number[];
  readonly indexVectorDim?: number;
}

/** jax.lax.ScatterDimensionNumbers. */
export interface ScatterDimensionNumbers {
  readonly updateWindowDims: readonly number[];
  readonly insertedWindowDims: readonly number[];
  readonly scatterDimsToOperandDims: readonly number[];
  readonly operandBatchingDims?: readonly number[];
  readonly scatterIndicesBatchingDims?: readonly number[];
  readonly indexVectorDim?: number;
}

/** jax.lax.GatherScatterMode's names. */
export type GatherScatterMode = 'clip' | 'fill' | 'drop' | 'promise_in_bounds';

export interface GatherOptions {
  /** Out-of-bound windows: 'fill' (default, as JAX's None: FILL_OR_DROP) reads fillValue, 'clip' and 'promise_in_bounds' clamp the start. */
  readonly mode?: GatherScatterMode | null;
  /** Default NaN for float32, the smallest int32, true for bool (JAX's). */
  readonly fillValue?: number | null;
  readonly uniqueIndices?: boolean;
  readonly indicesAreSorted?: boolean;
}

export interface ScatterOptions {
  /** Out-of-bound windows: dropped ('fill', 'drop', 'promise_in_bounds'; the default) or their start clamped ('clip'). */
  readonly mode?: GatherScatterMode | null;
  readonly uniqueIndices?: boolean;
  readonly indicesAreSorted?: boolean;
}

/** Where every element of a result (gather) or updates (scatter) array sits in the flattened operand. */
interface Windows {
  /** int32 flat operand positions, the result's shape. */
  readonly flat: NdArray;
  /** bool, the result's shape (size-1 window dims): the window lies inside the operand. */
  readonly valid: NdArray;
}

interface WindowSpec {
  readonly operandShape: readonly number[];
  /** int32 indices, the index vector last. */
  readonly starts: NdArray;
  readonly startMap: readonly number[];
  /** The window's size along each operand dim (1 along the collapsed / inserted ones). */
  readonly sizes: readonly number[];
  /** Operand dims without a result axis. */
  readonly collapsed: readonly number[];
  /** The result axes of the other operand dims, in order. */
  readonly windowAxes: readonly number[];
  readonly clip: boolean;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The indices with their index vector moved last (a trailing 1 when indexVectorDim is their rank), checked int32. */
function indexVectorLast(op: string, indices: NdArray, indexVectorDim: number | undefined): NdArray {
  if (avalOf(indices).dtype !== 'int32') throw new TypeError(`lax.${op}: indices must be int32, got ${avalStr(avalOf(indices))}`);
  const rank = shapeOf(indices).length;
  const v = indexVectorDim ?? rank - 1;
  if (!Number.isInteger(v) || v < 0 || v > rank) throw new Error(`lax.${op}: indexVectorDim ${v} is out of range for indices ${avalStr(avalOf(indices))}`);
  if (v === rank) return core.expandDims(indices, rank);
  return v === rank - 1 ? indices : core.transpose(indices, [...range(rank).filter((d) => d !== v), v]);
}

/** Positions and validity of every window element (see {@link Windows}). */
function windowsOf(s: WindowSpec): Windows {
  const batchShape = shapeOf(s.starts).slice(0, -1);
  const rank = batchShape.length + s.windowAxes.length;
  const batchAxes = range(rank).filter((a) => !s.windowAxes.includes(a));
  const asResult = (x: NdArray) => core.broadcastInDim(x, range(rank).map((a) => (batchAxes.includes(a) ? batchShape[batchAxes.indexOf(a)] : 1)), batchAxes);
  const strides = s.operandShape.map((_, d) => s.operandShape.slice(d + 1).reduce((a, b) => a * b, 1));
  let flat: NdArray = core.scalar(0, 'int32');
  let valid: NdArray = core.scalar(1, 'bool');
  const open = s.operandShape.map((_, d) => d).filter((d) => !s.collapsed.includes(d));
  s.operandShape.forEach((n, d) => {
    const k = s.startMap.indexOf(d);
    let start: NdArray = core.scalar(0, 'int32');
    if (k >= 0) {
      const raw = asResult(core.reshape(core.slice(s.starts, [...batchShape.map(() => 0), k], [...batchShape, k + 1]), batchShape));
      const upper = n - s.sizes[d];
      valid = logicalAnd(valid, logicalAnd(greaterEqual(raw, 0), lessEqual(raw, upper)));
      start = minimum(maximum(raw, 0), upper);
    }
    const j = open.indexOf(d);
    const offset = j < 0 ? core.scalar(0, 'int32') : core.broadcastInDim(iota('int32', s.sizes[d]), range(rank).map((a) => (a === s.windowAxes[j] ? s.sizes[d] : 1)), [s.windowAxes[j]]);
    flat = add(flat, mul(add(start, offset), strides[d]));
  });
  return { flat, valid: s.clip ? core.scalar(1, 'bool') : valid };
}

/** Throws unless `dims` are distinct dims below `rank`. */
function checkDims(op: string, what: string, dims: readonly number[], rank: number): void {
  if (dims.some((d) => !Number.isInteger(d) || d < 0 || d >= rank) || new Set(dims).size !== dims.length) throw new Error(`lax.${op}: ${what} [${dims.join(', ')}] must be distinct dims below ${rank}`);
}

/** Batching dims (operand_batching_dims) are not supported: a one-line error if any are given. */
function refuseBatching(op: string, a: readonly number[] | undefined, b: readonly number[] | undefined): void {
  if ((a?.length ?? 0) > 0 || (b?.length ?? 0) > 0) throw new Error(`lax.${op}: operand batching dims are not supported (vmap the call instead)`);
}

function isClip(op: string, mode: GatherScatterMode | null | undefined): boolean {
  const m = mode ?? 'fill';
  if (!['clip', 'fill', 'drop', 'promise_in_bounds'].includes(m)) throw new Error(`lax.${op}: mode must be 'clip', 'fill', 'drop' or 'promise_in_bounds', got '${String(m)}'`);
  return m === 'clip' || (op === 'gather' && m === 'promise_in_bounds');
}

/**
 * jax.lax.gather: slices of `sliceSizes` at the start positions `startIndices` gives (int32,
 * the index vector along the last dim, naming operand dims `startIndexMap`). The result has
 * the indices' batch dims with the slice dims at `offsetDims` (those in `collapsedSliceDims`,
 * of size 1, dropped). Out-of-bound windows read `fillValue` (mode 'fill', JAX's default) or
 * are moved inside ('clip', 'promise_in_bounds'). Differentiable in the operand.
 * @example lax.gather(x, idx, { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] }, [1, 3]) // x[idx[:, 0]] for x [n, 3]
 */
export function gather(operand: NdArray, startIndices: NdArray, dimensionNumbers: GatherDimensionNumbers, sliceSizes: readonly number[], options: GatherOptions = {}): NdArray {
  const { offsetDims, collapsedSliceDims, startIndexMap } = dimensionNumbers;
  refuseBatching('gather', dimensionNumbers.operandBatchingDims, dimensionNumbers.startIndicesBatchingDims);
  const oshape = shapeOf(operand);
  const starts = indexVectorLast('gather', startIndices, dimensionNumbers.indexVectorDim);
  const bad = (why: string) => new Error(`lax.gather: ${why} (operand ${avalStr(avalOf(operand))}, indices ${avalStr(avalOf(startIndices))})`);
  if (sliceSizes.length !== oshape.length) throw bad(`sliceSizes needs ${oshape.length} entries, got ${sliceSizes.length}`);
  if (sliceSizes.some((n, d) => !Number.isInteger(n) || n < 0 || n > oshape[d])) throw bad(`sliceSizes [${sliceSizes.join(', ')}] must lie within the operand's shape`);
  checkDims('gather', 'collapsedSliceDims', collapsedSliceDims, oshape.length);
  checkDims('gather', 'startIndexMap', startIndexMap, oshape.length);
  if (collapsedSliceDims.some((d) => sliceSizes[d] > 1)) throw bad('collapsedSliceDims must have slice size 0 or 1');
  if (startIndexMap.length !== shapeOf(starts).at(-1)) throw bad(`startIndexMap has ${startIndexMap.length} entries, the index vector ${shapeOf(starts).at(-1)}`);
  const rank = shapeOf(starts).length - 1 + offsetDims.length;
  checkDims('gather', 'offsetDims', offsetDims, rank);
  if (offsetDims.some((d, i) => i > 0 && d < offsetDims[i - 1])) throw bad('offsetDims must be sorted');
  if (offsetDims.length !== oshape.length - collapsedSliceDims.length) throw bad(`offsetDims needs ${oshape.length - collapsedSliceDims.length} entries (operand rank minus collapsed dims), got ${offsetDims.length}`);
  const clip = isClip('gather', options.mode);
  const { flat, valid } = windowsOf({ operandShape: oshape, starts, startMap: startIndexMap, sizes: sliceSizes, collapsed: collapsedSliceDims, windowAxes: offsetDims, clip });
  const out = core.gather(core.reshape(operand, [oshape.reduce((a, b) => a * b, 1)]), broadcastTo(flat, resultShape(shapeOf(starts).slice(0, -1), offsetDims, sliceSizes, collapsedSliceDims)), 0);
  if (clip) return out;
  const dtype: DType = avalOf(operand).dtype;
  const fill = core.full(shapeOf(out), options.fillValue ?? outOfBoundFill(dtype), dtype);
  return where(broadcastTo(valid, shapeOf(out)), out, fill);
}

/** The gather result's shape: batch dims, the uncollapsed slice sizes at offsetDims. */
function resultShape(batch: readonly number[], offsetDims: readonly number[], sizes: readonly number[], collapsed: readonly number[]): number[] {
  const window = sizes.filter((_, d) => !collapsed.includes(d));
  const out: number[] = [];
  let b = 0;
  for (let a = 0; a < batch.length + offsetDims.length; a++) out.push(offsetDims.includes(a) ? window[offsetDims.indexOf(a)] : batch[b++]);
  return out;
}

type Combine = 'set' | 'add' | 'subtract' | 'multiply' | 'min' | 'max' | ((x: NdArray) => NdArray);

/** The scatter family: operand with `updates` combined in at the windows the indices give. */
function scatterWith(kind: Combine, op: string, operand: NdArray, indices: NdArray, updates: NdArray, dn: ScatterDimensionNumbers, options: ScatterOptions): NdArray {
  refuseBatching(op, dn.operandBatchingDims, dn.scatterIndicesBatchingDims);
  const oshape = shapeOf(operand);
  const ushape = shapeOf(updates);
  const starts = indexVectorLast(op, indices, dn.indexVectorDim);
  const bad = (why: string) => new Error(`lax.${op}: ${why} (operand ${avalStr(avalOf(operand))}, indices ${avalStr(avalOf(indices))}, updates ${avalStr(avalOf(updates))})`);
  if (avalOf(updates).dtype !== avalOf(operand).dtype) throw new TypeError(`lax.${op}: updates must have the operand's dtype, got ${avalStr(avalOf(updates))} for operand ${avalStr(avalOf(operand))}`);
  checkDims(op, 'insertedWindowDims', dn.insertedWindowDims, oshape.length);
  checkDims(op, 'scatterDimsToOperandDims', dn.scatterDimsToOperandDims, oshape.length);
  checkDims(op, 'updateWindowDims', dn.updateWindowDims, ushape.length);
  if (dn.scatterDimsToOperandDims.length !== shapeOf(starts).at(-1)) throw bad(`scatterDimsToOperandDims has ${dn.scatterDimsToOperandDims.length} entries, the index vector ${shapeOf(starts).at(-1)}`);
  if (dn.updateWindowDims.length + dn.insertedWindowDims.length !== oshape.length) throw bad('updateWindowDims and insertedWindowDims must together count the operand dims');
  const open = range(oshape.length).filter((d) => !dn.insertedWindowDims.includes(d));
  const sizes = oshape.map((_, d) => (open.includes(d) ? ushape[dn.updateWindowDims[open.indexOf(d)]] : 1));
  if (sizes.some((n, d) => n > oshape[d])) throw bad('the update windows are larger than the operand');
  const batch = ushape.filter((_, a) => !dn.updateWindowDims.includes(a));
  const batchIdx = shapeOf(starts).slice(0, -1);
  if (batch.length !== batchIdx.length || batch.some((n, i) => n !== batchIdx[i])) throw bad(`the updates' scatter dims [${batch.join(', ')}] must equal the indices' batch dims [${batchIdx.join(', ')}]`);
  const clip = isClip(op, options.mode);
  const { flat, valid } = windowsOf({ operandShape: oshape, starts, startMap: dn.scatterDimsToOperandDims, sizes, collapsed: dn.insertedWindowDims, windowAxes: dn.updateWindowDims, clip });
  const total = oshape.reduce((a, b) => a * b, 1);
  // Dropped windows point one past the end, which the update's 'drop' mode skips.
  const positions = core.reshape(broadcastTo(where(valid, flat, total), ushape), [ushape.reduce((a, b) => a * b, 1)]);
  const ref = at(core.reshape(operand, [total]), positions);
  const values = core.reshape(updates, shapeOf(positions));
  const opts = { mode: 'drop' as const, uniqueIndices: options.uniqueIndices };
  const out = typeof kind === 'function' ? ref.apply(kind, opts) : ref[kind](values, opts);
  return core.reshape(out, oshape);
}

const scatterOp = (kind: Combine, op: string) => (operand: NdArray, scatterIndices: NdArray, updates: NdArray, dimensionNumbers: ScatterDimensionNumbers, options: ScatterOptions = {}): NdArray =>
  scatterWith(kind, op, operand, scatterIndices, updates, dimensionNumbers, options);

/**
 * jax.lax.scatter: operand with the windows at `scatterIndices` overwritten by `updates` (where
 * windows overlap one update wins). Updates' dims at `updateWindowDims` are the window, the
 * others follow the indices' batch dims; `insertedWindowDims` are operand dims of size 1 in
 * the window. Out-of-bound windows are dropped (default) or clamped ('clip'). Differentiable.
 * @example lax.scatter(x, idx, u, { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] }) // x.at[idx[:, 0]].set(u)
 */
export const scatter = scatterOp('set', 'scatter');
/** jax.lax.scatter_add: as {@link scatter}, the updates added (repeated windows each add). */
export const scatterAdd = scatterOp('add', 'scatterAdd');
/** jax.lax.scatter_sub: as {@link scatter}, the updates subtracted. */
export const scatterSub = scatterOp('subtract', 'scatterSub');
/** jax.lax.scatter_mul: as {@link scatter}, the operand multiplied by the updates. */
export const scatterMul = scatterOp('multiply', 'scatterMul');
/** jax.lax.scatter_min: as {@link scatter}, the elementwise minimum with the updates. */
export const scatterMin = scatterOp('min', 'scatterMin');
/** jax.lax.scatter_max: as {@link scatter}, the elementwise maximum with the updates. */
export const scatterMax = scatterOp('max', 'scatterMax');

/** Options of {@link scatterApply}: the scatter options and the update window's shape (JAX's update_shape). */
export interface ScatterApplyOptions extends ScatterOptions {
  readonly updateShape?: readonly number[];
}

/**
 * jax.lax.scatter_apply: operand with `func` applied (elementwise) at the windows the indices
 * give, once per position however often it is indexed; `updateShape` is the shape updates
 * would have (default [], point windows).
 * @example lax.scatterApply(x, np.array([[1]], 'int32'), np.exp, { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] }, { updateShape: [1] })
 */
export function scatterApply(operand: NdArray, scatterIndices: NdArray, func: (x: NdArray) => NdArray, dimensionNumbers: ScatterDimensionNumbers, options: ScatterApplyOptions = {}): NdArray {
  const placeholder = core.full(options.updateShape ?? [], 0, avalOf(operand).dtype);
  return scatterWith(func, 'scatterApply', operand, scatterIndices, placeholder, dimensionNumbers, options);
}
