/**
 * The webgpu backend's lowering: where it runs a primitive differently from the default
 * (tfjs.ts).
 *
 * webgpu's Transpose shader reads its input raw, so for data stored as i32 (int32, bool, and
 * tf.cast's float32 views of them, which share the i32 buffer) it is invalid and the output
 * is left unpermuted or garbage; Sum/Max/Min over leading axes and ArgMax over a non-last
 * axis transpose internally and fail the same way. Those kernels get float32 data here
 * (see `gpuFloat`), which loses nothing webgpu keeps: its int32 kernels compute in f32, so
 * integers beyond 2^24 are not exact there anyway.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Lowering } from './kernel.js';
import { elementwiseAtLowRank } from './low-rank.js';
import { logSumExpComposite, logSumExpKernel } from './logsumexp.js';
import { log1pSeries, sumKernel } from './tfjs.js';
import { argmaxKernel, argsortKernel, transposeKernel } from './tfjs-kernels.js';

/**
 * Whether x's data is stored as float32 (tf.cast to float32 of int32/bool data is a view of
 * the i32 buffer). tfjs says so only in its backend's private `tensorMap` (a tensor's dtype
 * is the view's), so it is read here, the one place that knows it is talking to webgpu.
 */
function storedAsFloat(x: tf.Tensor): boolean {
  const map = (tf.backend() as unknown as { tensorMap?: { get(id: object): { dtype?: string } | undefined } }).tensorMap;
  return (map?.get(x.dataId)?.dtype ?? x.dtype) === 'float32';
}

/** x's values as a float32 tensor stored as float32 (an elementwise kernel converts the i32 storage). */
const gpuFloat = (x: tf.Tensor): tf.Tensor => tf.add(tf.cast(x, 'float32'), tf.scalar(0));

/** x itself, or its values in float32 storage where x is stored as i32. */
const floatStorage = (x: tf.Tensor): tf.Tensor => (storedAsFloat(x) ? x : gpuFloat(x));

/** Runs a transposing kernel on float32 storage, returning x's dtype. */
function viaGpuFloat(x: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  if (storedAsFloat(x)) return f(x);
  const y = f(gpuFloat(x));
  return x.dtype === 'bool' ? tf.notEqual(y, tf.scalar(0)) : x.dtype === 'int32' ? tf.cast(y, 'int32') : y;
}

/** log; tfjs's webgpu Log gives -88.03 for log(0) and 89.13 for log(NaN) under SwiftShader (WGSL leaves them open): -inf and NaN here. */
function logWebgpu(x: tf.Tensor): tf.Tensor {
  return tf.where(tf.equal(x, tf.scalar(0)), tf.fill(x.shape, -Infinity), tf.where(tf.isNaN(x), x, tf.log(x)));
}

const reduce = (kernel: (x: tf.Tensor, axes: number[]) => tf.Tensor) => ([x]: tf.Tensor[], { axes }: { axes: number[] }) => viaGpuFloat(x, (v) => kernel(v, axes));

const gpuSum = (x: tf.Tensor, axes: number[]) => sumKernel(x, axes, (v, a) => viaGpuFloat(v, (u) => tf.sum(u, a)));

const ownLowering: Lowering = {
  log: ([x]) => logWebgpu(x),
  log1p: ([x]) => log1pSeries(x, logWebgpu),
  transpose: ([x], { perm }) => transposeKernel(x, perm, (v, p) => viaGpuFloat(v, (u) => tf.transpose(u, p))),
  reduce_sum: ([x], { axes }) => gpuSum(x, axes),
  reduce_logsumexp: ([x], { axes }) => logSumExpKernel(x, axes, (v, a) => logSumExpComposite(v, a, { sum: gpuSum, log: logWebgpu })),
  reduce_max: reduce(tf.max),
  reduce_min: reduce(tf.min),
  argmax: ([x], { axis }) => argmaxKernel(x, axis, floatStorage),
  argsort: ([x], { descending }) => argsortKernel(x, descending, floatStorage, false),
};

export const webgpuLowering: Lowering = { ...ownLowering, ...elementwiseAtLowRank(ownLowering) };
