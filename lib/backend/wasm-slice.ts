/**
 * A slice that is a run of equal rows of contiguous memory (after merging axes taken
 * whole into the axis before them), copied on the tfjs wasm backend's heap: one
 * memory.copy per row. tfjs wasm's Slice first reads its whole input back into a new
 * JavaScript array (a ViT's q, k and v, each a third of a [3, 64, 3, 65, 64] array: 28 ms
 * per slice, 2 s of a 31 s step).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';

export interface SliceRowsAttrs {
  /** Rows copied, `width` floats each, the first `offset` floats into the input, each `stride` floats after the last. */
  readonly rows: number;
  readonly stride: number;
  readonly offset: number;
  readonly width: number;
  /** The result's shape (rows * width elements). */
  readonly shape: readonly number[];
}

/**
 * The rows view of x[start:limit] (unit strides) on float32 `x`, when our kernel runs it:
 * after merging, at most two axes remain (an outer range of rows, an inner range of
 * contiguous floats); else null (and for an empty result, which needs no kernel).
 */
export function sliceRowsViewOf(x: tf.Tensor, start: readonly number[], limit: readonly number[]): SliceRowsAttrs | null {
  if (x.dtype !== 'float32' || !heapKernelsAvailable()) return null;
  const shape = limit.map((l, i) => l - start[i]!);
  if (shape.some((d) => d <= 0)) return null;
  // Merged axes, outermost first, as [size, start, limit]: each axis not taken whole, with the whole ones after it.
  const merged: [number, number, number][] = [];
  let whole = 1;
  for (let i = x.rank - 1; i >= 0; i--) {
    const [d, s, l] = [x.shape[i]!, start[i]!, limit[i]!];
    if (s === 0 && l === d) whole *= d;
    else {
      merged.unshift([d * whole, s * whole, l * whole]);
      whole = 1;
    }
  }
  if (whole > 1 || !merged.length) merged.unshift([whole, 0, whole]);
  return rowsOf(merged, shape);
}

/** Rows of merged axes: those of one element only move the offset; the innermost other must be contiguous unless it is the only one (then rows of one float). */
function rowsOf(merged: readonly [number, number, number][], shape: readonly number[]): SliceRowsAttrs | null {
  const strides = merged.map((_, i) => merged.slice(i + 1).reduce((n, [d]) => n * d, 1));
  const offset = merged.reduce((o, [, s], i) => o + s * strides[i]!, 0);
  const extent = (i: number | undefined) => (i === undefined ? 1 : merged[i]![2] - merged[i]![1]);
  const ranged = merged.map((_, i) => i).filter((i) => extent(i) > 1);
  if (ranged.length > 2) return null;
  let inner = ranged.at(-1);
  let outer = ranged.length === 2 ? ranged[0] : undefined;
  if (inner !== undefined && strides[inner] !== 1) {
    if (outer !== undefined) return null;
    [outer, inner] = [inner, undefined];
  }
  return { rows: extent(outer), stride: outer === undefined ? 0 : strides[outer]!, offset, width: extent(inner), shape };
}

/**
 * The slice a {@link sliceRowsViewOf} view describes (float32, wasm backend with heap kernels).
 *
 * ```ts
 * const view = sliceRowsViewOf(qkv, [1, 0, 0, 0, 0], [2, 64, 3, 65, 64]); // k: one contiguous copy
 * const k = view && sliceRowsWasm(qkv, view);
 * ```
 */
export function sliceRowsWasm(x: tf.Tensor, attrs: SliceRowsAttrs): tf.Tensor {
  return runHeapKernel(sliceRows, [x], attrs);
}

const sliceRows: HeapKernel<SliceRowsAttrs> = {
  name: 'TfjaxSliceRows',
  outShape([x], { rows, stride, offset, width, shape }) {
    const n = x!.reduce((a, d) => a * d, 1);
    const last = offset + (rows - 1) * stride + width;
    if (rows < 1 || width < 1 || last > n || rows * width !== shape.reduce((a, d) => a * d, 1)) throw new Error(`sliceRowsWasm: ${rows} rows of ${width} at ${offset} (stride ${stride}) as [${shape}] do not fit an input [${x}]`);
    return [...shape];
  },
  initial: () => null,
  generate(_shapes, { rows, stride, offset, width }) {
    const f = new FunctionBuilder(['i32', 'i32'], []);
    const [x, y] = [0, 1];
    const left = f.local('i32');
    f.localGet(x).i32Const(offset * 4).i32Add().localSet(x);
    f.i32Const(rows).localSet(left);
    f.loop();
    f.localGet(y).localGet(x).i32Const(width * 4).memoryCopy();
    f.addTo(x, stride * 4);
    f.addTo(y, width * 4);
    f.countDown(left, 0);
    f.end();
    return f;
  },
};
