/**
 * Picking whole rows of an array (a gather along its first axis with indices known when
 * the kernel is generated) on the tfjs wasm backend's heap: one memory.copy per row.
 * tfjs wasm's Gather and Slice copy element by element (2-3 ms for the nine 8192-float
 * taps of a convolution filter, rebuilt for every input gradient).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, runHeapKernel } from './wasm-heap.js';

export interface GatherRowsAttrs {
  /** Row indices along the first axis, in output order (repeats allowed). */
  readonly rows: readonly number[];
}

/**
 * x[rows[0]], x[rows[1]], ... stacked: [rows.length, ...x.shape.slice(1)] (float32, wasm
 * backend with heap kernels: see heapKernelsAvailable).
 *
 * ```ts
 * gatherRowsWasm(taps, { rows: [8, 6, 2, 0] }); // [9, co, ci] -> [4, co, ci]
 * ```
 */
export function gatherRowsWasm(x: tf.Tensor, attrs: GatherRowsAttrs): tf.Tensor {
  return runHeapKernel(gatherRows, [x], attrs);
}

const gatherRows: HeapKernel<GatherRowsAttrs> = {
  name: 'TfjaxGatherRows',
  outShape([x], { rows }) {
    if (!x!.length || rows.some((r) => !Number.isInteger(r) || r < 0 || r >= x![0]!)) throw new Error(`gatherRowsWasm: rows [${rows}] of an input [${x}]`);
    return [rows.length, ...x!.slice(1)];
  },
  initial: () => null,
  generate([x], { rows }) {
    const bytes = x!.slice(1).reduce((a, d) => a * d, 1) * 4;
    const f = new FunctionBuilder(['i32', 'i32'], []);
    if (bytes > 0) rows.forEach((r, k) => f.localGet(1).i32Const(k * bytes).i32Add().localGet(0).i32Const(r * bytes).i32Add().i32Const(bytes).memoryCopy());
    return f;
  },
};
