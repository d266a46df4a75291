/** Reductions: sum, max, min over axes (removed from the shape), and argmax. */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr, isFloat, shapeStr } from '../aval.js';
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, avalOf, shapeOf } from '../trace.js';
import { argmaxKernel, reduceKernel } from './kernels.js';

type AxesP = { axes: number[] };

function reducedAval(op: string, a: Aval, axes: readonly number[]): Aval {
  for (const ax of axes) if (ax < 0 || ax >= a.shape.length) throw new Error(`${op}: axis ${ax} out of range for shape ${shapeStr(a.shape)}`);
  return { shape: a.shape.filter((_, i) => !axes.includes(i)), dtype: a.dtype };
}

/** Broadcasts a reduced value back over the reduced axes of `shape`. */
function unreduce(v: NdArray, shape: readonly number[], axes: readonly number[]): NdArray {
  const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return lax.broadcastInDim(v, shape, kept);
}

/** Axes of an unbatched op seen from a value whose batch dim is at `d`. */
export function shiftAxes(axes: readonly number[], d: number): number[] {
  return axes.map((a) => (a >= d ? a + 1 : a));
}

function batchReduce(f: (x: NdArray, axes: number[]) => NdArray) {
  return ([x]: NdArray[], [d]: (number | null)[], { axes }: AxesP): [NdArray, number] => {
    const bd = d!;
    return [f(x, shiftAxes(axes, bd)), bd - axes.filter((a) => a < bd).length];
  };
}

/**
 * tfjs's wasm Sum reduces innermost axes only and transposes the input first otherwise,
 * which is slow on big arrays (BatchNorm's statistics over [N, H, W] of an NHWC
 * activation). A float32 sum over one contiguous block of axes followed by kept axes is
 * a product with a row of ones there: [A, R, C] -> ones[1, R] @ x = [A, 1, C].
 */
function sumKernel(x: tf.Tensor, axes: readonly number[]): tf.Tensor {
  if (tf.getBackend() === 'wasm' && x.dtype === 'float32' && axes.length > 0) {
    const sorted = [...axes].sort((a, b) => a - b);
    const [first, last] = [sorted[0], sorted[sorted.length - 1]];
    if (last - first === sorted.length - 1 && last < x.rank - 1) {
      const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
      const s = x.shape;
      const [a, r, c] = [size(s.slice(0, first)), size(s.slice(first, last + 1)), size(s.slice(last + 1))];
      const y = a === 1 ? tf.matMul(tf.ones([1, r]), tf.reshape(x, [r, c])) : tf.matMul(tf.ones([1, 1, r]), tf.reshape(x, [a, r, c]));
      return tf.reshape(y, s.filter((_, i) => i < first || i > last));
    }
  }
  return reduceKernel(tf.sum, x, axes);
}

const reduceSum: PrimitiveDef<AxesP> = {
  abstractEval: ([a], { axes }) => reducedAval('reduce_sum', a, axes),
  impl: ([x], { axes }) => sumKernel(x, axes),
  jvp: ([t], _p, _o, { axes }) => lax.reduceSum(t, axes),
  vjp: (ct, [x], _o, { axes }) => [unreduce(ct, shapeOf(x), axes)],
  batch: batchReduce(lax.reduceSum),
};

/** max/min: the derivative is shared equally among tied extrema, as in JAX. */
function extremum(op: 'reduce_max' | 'reduce_min', kernel: typeof tf.max, f: typeof lax.reduceMax): PrimitiveDef<AxesP> {
  const share = (x: NdArray, out: NdArray, axes: number[]) => {
    const hit = lax.cast(lax.eq(x, unreduce(out, shapeOf(x), axes)), 'float32');
    return lax.div(hit, unreduce(lax.reduceSum(hit, axes), shapeOf(x), axes));
  };
  return {
    abstractEval: ([a], { axes }) => reducedAval(op, a, axes),
    impl: ([x], { axes }) => reduceKernel(kernel, x, axes),
    jvp: ([t], [x], out, { axes }) => lax.reduceSum(lax.mul(t, share(x, out, axes)), axes),
    vjp: (ct, [x], out, { axes }) => [isFloat(avalOf(x).dtype) ? lax.mul(unreduce(ct, shapeOf(x), axes), share(x, out, axes)) : null],
    batch: batchReduce(f),
  };
}

const argmax: PrimitiveDef<{ axis: number }> = {
  abstractEval([a], { axis }) {
    if (axis < 0 || axis >= a.shape.length) throw new Error(`argmax: axis ${axis} out of range for ${avalStr(a)}`);
    return { shape: a.shape.filter((_, i) => i !== axis), dtype: 'int32' };
  },
  impl: ([x], { axis }) => argmaxKernel(x, axis),
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([x], [d], { axis }) => [lax.argmax(x, axis >= d! ? axis + 1 : axis), axis < d! ? d! - 1 : d!],
  nonDifferentiable: true,
};

definePrimitives({
  reduce_sum: reduceSum,
  reduce_max: extremum('reduce_max', tf.max, lax.reduceMax),
  reduce_min: extremum('reduce_min', tf.min, lax.reduceMin),
  argmax,
});
