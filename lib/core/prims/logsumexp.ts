/**
 * reduce_logsumexp: log(sum(exp(x))) over axes (removed from the shape), as one primitive so
 * that the lowering can run it as one fused kernel (log-domain Sinkhorn's row and column
 * normalisers: lib/ssl/swav/sinkhorn.ts). Computed with the max shift: finite wherever the
 * result is; an all -inf slice and an empty one give -inf, a +inf gives +inf, a NaN NaN.
 * Derivative: softmax weights exp(x - out), 0 for a slice whose result is not finite.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../aval.js';
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives, primitive } from '../primitive.js';
import { type NdArray, shapeOf } from '../trace.js';
import { transposeKernel } from './kernels.js';
import { shiftAxes } from './reductions.js';
import { heapKernelsAvailable } from '../../backend/wasm-heap.js';
import { logSumExpWasm } from '../../backend/wasm-logsumexp.js';

type AxesP = { axes: number[] };

const reduced = (shape: readonly number[], axes: readonly number[]) => shape.filter((_, i) => !axes.includes(i));

/** exp(x - out) broadcast back over the reduced axes; 0 where out is not finite (an all -inf slice). */
function weights(x: NdArray, out: NdArray, axes: readonly number[]): NdArray {
  const shape = shapeOf(x);
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const finite = lax.unary('is_finite', out);
  const shift = lax.broadcastInDim(lax.select(finite, out, lax.scalarLike(0, out)), shape, kept);
  const w = lax.exp(lax.sub(x, shift));
  return lax.select(lax.broadcastInDim(finite, shape, kept), w, lax.zerosLike(w));
}

/**
 * tfjs kernels: the max shift (0 where not finite), the sum of exponentials, its log plus the
 * shift, and NaN where the slice has one (WGSL leaves exp(NaN) open: SwiftShader gives inf).
 */
function composite(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const m = tf.max(x, [...axes], true);
  const shift = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
  const s = primitive('reduce_sum').impl([tf.exp(tf.sub(x, shift))], { axes });
  // The log primitive's kernel: tfjs's webgpu Log gets log(0) and log(NaN) wrong.
  const out = tf.add(primitive('log').impl([s], {}), tf.reshape(shift, s.shape));
  // A float mask (a bool cast keeps i32 storage on webgpu, which its transposing reductions mistype).
  const nan = tf.greater(tf.max(tf.where(tf.isNaN(x), tf.onesLike(x), tf.zerosLike(x)), [...axes]), 0);
  return tf.where(nan, tf.fill(out.shape, NaN), out);
}

/**
 * Our wasm kernel (lib/backend/wasm-logsumexp.ts) on x seen as [A, R, C] (R the reduced
 * elements; a transpose first when the axes are not one block), padded with -inf (which adds
 * nothing) to the multiples of 4 lanes it takes.
 */
function fused(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const sorted = [...axes].sort((a, b) => a - b);
  const oneBlock = sorted[sorted.length - 1]! - sorted[0]! === sorted.length - 1;
  const v = oneBlock ? x : transposeKernel(x, [...reduced(x.shape.map((_, i) => i), axes), ...sorted]);
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
  return tf.reshape(y, reduced(x.shape, axes));
}

// ---- The backend choice for reduce_logsumexp (the one place): our fused wasm kernel where
// heap kernels run, the composition of tfjs kernels elsewhere (cpu, webgpu, a browser's main thread).
function logSumExpKernel(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  const outShape = reduced(x.shape, axes);
  if (sizeOf(outShape) === 0) return tf.zeros(outShape);
  if (x.size === 0) return tf.fill(outShape, -Infinity);
  if (axes.length === 0) return tf.clone(x);
  return x.dtype === 'float32' && heapKernelsAvailable() ? fused(x, axes) : composite(x, axes);
}

const reduceLogSumExp: PrimitiveDef<AxesP> = {
  abstractEval([a], { axes }) {
    if (a.dtype !== 'float32') throw new Error(`reduce_logsumexp: expected a float32 array, got ${a.dtype}[${a.shape.join(',')}]`);
    for (const ax of axes) if (ax < 0 || ax >= a.shape.length) throw new Error(`reduce_logsumexp: axis ${ax} out of range for shape [${a.shape.join(',')}]`);
    return { shape: reduced(a.shape, axes), dtype: a.dtype };
  },
  impl: ([x], { axes }) => logSumExpKernel(x!, axes),
  jvp: ([t], [x], out, { axes }) => lax.reduceSum(lax.mul(t!, weights(x!, out, axes)), axes),
  vjp: (ct, [x], out, { axes }) => {
    const shape = shapeOf(x!);
    return [lax.mul(lax.broadcastInDim(ct, shape, shape.map((_, i) => i).filter((i) => !axes.includes(i))), weights(x!, out, axes))];
  },
  batch: ([x], [d], { axes }) => [lax.reduceLogSumExp(x!, shiftAxes(axes, d!)), d! - axes.filter((a) => a < d!).length],
};

definePrimitives({ reduce_logsumexp: reduceLogSumExp });
