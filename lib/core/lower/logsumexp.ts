/** reduce_logsumexp's kernels on tfjs kernels (every backend), and the cases every kernel shares. */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../aval.js';

/** The shape left after reducing `axes`. */
export const reducedShape = (shape: readonly number[], axes: readonly number[]): number[] => shape.filter((_, i) => !axes.includes(i));

/** The backend's own kernels the composition runs (its sum and its log, where tfjs's are wrong). */
export interface LogSumExpParts {
  readonly sum: (x: tf.Tensor, axes: number[]) => tf.Tensor;
  readonly log: (x: tf.Tensor) => tf.Tensor;
}

/**
 * The max shift (0 where not finite), the sum of exponentials, its log plus the shift, and
 * NaN where the slice has one (WGSL leaves exp(NaN) open: SwiftShader gives inf).
 */
export function logSumExpComposite(x: tf.Tensor, axes: readonly number[], { sum, log }: LogSumExpParts): tf.Tensor {
  const m = tf.max(x, [...axes], true);
  const shift = tf.where(tf.isFinite(m), m, tf.zerosLike(m));
  const s = sum(tf.exp(tf.sub(x, shift)), [...axes]);
  const out = tf.add(log(s), tf.reshape(shift, s.shape));
  // A float mask (a bool cast keeps i32 storage on webgpu, which its transposing reductions mistype).
  const nan = tf.greater(tf.max(tf.where(tf.isNaN(x), tf.onesLike(x), tf.zerosLike(x)), [...axes]), 0);
  return tf.where(nan, tf.fill(out.shape, NaN), out);
}

/** The cases no kernel needs to see (an empty result or slice, no axes); `run` takes the others. */
export function logSumExpKernel(x: tf.Tensor, axes: readonly number[], run: (x: tf.Tensor, axes: readonly number[]) => tf.Tensor): tf.Tensor {
  const outShape = reducedShape(x.shape, axes);
  if (sizeOf(outShape) === 0) return tf.zeros(outShape);
  if (x.size === 0) return tf.fill(outShape, -Infinity);
  if (axes.length === 0) return tf.clone(x);
  return run(x, axes);
}
