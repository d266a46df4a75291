/** reduce_logsumexp on wasm: our fused kernel (max shift, SIMD exp, compensated sum: lib/backend/wasm-logsumexp.ts). */
import * as tf from '@tensorflow/tfjs-core';
import { heapKernelsAvailable } from '../../backend/wasm-heap.js';
import { logSumExpWasm } from '../../backend/wasm-logsumexp.js';
import { sizeOf } from '../aval.js';
import { type LogSumExpParts, logSumExpComposite, reducedShape } from './logsumexp.js';
import { transposeKernel } from './tfjs-kernels.js';

/**
 * x seen as [A, R, C] (R the reduced elements; a transpose first when the axes are not one
 * block), padded with -inf (which adds nothing) to the multiples of 4 lanes the kernel takes.
 */
function fused(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const sorted = [...axes].sort((a, b) => a - b);
  const oneBlock = sorted[sorted.length - 1]! - sorted[0]! === sorted.length - 1;
  const v = oneBlock ? x : transposeKernel(x, [...reducedShape(x.shape.map((_, i) => i), axes), ...sorted]);
  const r = sizeOf(sorted.map((i) => x.shape[i]!));
  const c = oneBlock ? sizeOf(x.shape.slice(sorted[sorted.length - 1]! + 1)) : 1;
  const a = x.size / (r * c);
  let y: tf.Tensor;
  if (c === 1) {
    const r4 = Math.ceil(r / 4) * 4;
    const m = r4 === r ? tf.reshape(v, [a, r]) : tf.pad(tf.reshape(v, [a, r]), [[0, 0], [0, r4 - r]], -Infinity);
    y = logSumExpWasm(m, { groups: a, rows: r4, cols: 1 });
  } else {
    const c4 = Math.ceil(c / 4) * 4;
    const m = c4 === c ? v : tf.pad(tf.reshape(v, [a, r, c]), [[0, 0], [0, 0], [0, c4 - c]], -Infinity);
    y = logSumExpWasm(m, { groups: a, rows: r, cols: c4 });
    if (c4 !== c) y = tf.slice(y, [0, 0], [a, c]);
  }
  return tf.reshape(y, reducedShape(x.shape, axes));
}

/** The fused kernel where heap kernels run on float32; the composition elsewhere (a browser's main thread). */
export function logSumExpWasmKernel(x: tf.Tensor, axes: readonly number[], parts: LogSumExpParts): tf.Tensor {
  return x.dtype === 'float32' && heapKernelsAvailable() ? fused(x, axes) : logSumExpComposite(x, axes, parts);
}
