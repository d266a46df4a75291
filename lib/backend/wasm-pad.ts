/**
 * Zero padding of the spatial axes of an NHWC array on the tfjs wasm backend's heap: each
 * input row (w*c contiguous floats) is one memory.copy, and only the padding is zeroed.
 * tfjs wasm's PadV2 moves the same bytes 3-4x slower; our convolutions pad their input
 * on every call.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';

export interface PadAttrs {
  /** [top, bottom] and [left, right], each >= 0. */
  readonly rows: readonly [number, number];
  readonly cols: readonly [number, number];
}

/** Whether {@link padWasm} can run: wasm backend, float32. */
export function padWasmApplies(x: tf.Tensor): boolean {
  return x.dtype === 'float32' && heapKernelsAvailable();
}

/**
 * x [n, h, w, c] zero-padded to [n, top + h + bottom, left + w + right, c].
 *
 * ```ts
 * padWasm(x, { rows: [1, 0], cols: [1, 0] }); // [256, 28, 28, 32] -> [256, 29, 29, 32]
 * ```
 */
export function padWasm(x: tf.Tensor4D, attrs: PadAttrs): tf.Tensor4D {
  return runHeapKernel(pad, [x], attrs) as tf.Tensor4D;
}

const pad: HeapKernel<PadAttrs> = {
  name: 'TfjaxPad',
  outShape([x], { rows, cols }) {
    if (x!.length !== 4 || [...rows, ...cols].some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`padWasm: input [${x}] with padding rows [${rows}], cols [${cols}] (NHWC, paddings >= 0)`);
    const [n, h, w, c] = x!;
    return [n!, h! + rows[0] + rows[1], w! + cols[0] + cols[1], c!];
  },
  initial: () => null,
  generate([x], { rows, cols }) {
    const [n, h, w, c] = x as [number, number, number, number];
    const [ho, wo] = [h + rows[0] + rows[1], w + cols[0] + cols[1]];
    const f = new FunctionBuilder(['i32', 'i32'], []);
    const [src, dst, left] = [0, 1, f.local('i32')];
    const rowLeft = f.local('i32');
    const zero = (at: () => void, bytes: number) => {
      if (bytes === 0) return;
      at();
      f.i32Const(0).i32Const(bytes).memoryFill();
    };
    if (n * ho * wo * c === 0) return f;
    // Only the padding is zeroed: each image's top and bottom rows, then each row's two ends.
    f.localGet(dst).localSet(left).i32Const(n).localSet(rowLeft);
    f.loop();
    zero(() => f.localGet(left), rows[0] * wo * c * 4);
    zero(() => f.localGet(left).i32Const((rows[0] + h) * wo * c * 4).i32Add(), rows[1] * wo * c * 4);
    f.addTo(left, ho * wo * c * 4);
    f.countDown(rowLeft, 0);
    f.end();
    if (h === 0) return f;
    f.localGet(dst).i32Const((rows[0] * wo + cols[0]) * c * 4).i32Add().localSet(left);
    f.i32Const(n * h).localSet(rowLeft);
    f.loop();
    zero(() => f.localGet(left).i32Const(cols[0] * c * 4).i32Sub(), cols[0] * c * 4);
    zero(() => f.localGet(left).i32Const(w * c * 4).i32Add(), cols[1] * c * 4);
    f.localGet(left).localGet(src).i32Const(w * c * 4).memoryCopy();
    f.addTo(src, w * c * 4);
    // The next input row: one output row on, or past the bottom padding and the next image's top.
    f.localGet(rowLeft).i32Const(1).i32Sub().localTee(rowLeft);
    f.addTo(left, wo * c * 4);
    f.i32Const(h).i32RemU().i32Eqz();
    f.if();
    f.addTo(left, (rows[0] + rows[1]) * wo * c * 4);
    f.end();
    f.localGet(rowLeft).brIf(0);
    f.end();
    return f;
  },
};
