/** Reductions: sum, max, min over axes (removed from the shape), and argmax. */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr, isFloat, shapeStr, sizeOf } from '../aval.js';
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, avalOf, shapeOf } from '../trace.js';
import { argmaxKernel, reduceKernel, transposeKernel } from './kernels.js';
import { SUM_BLOCK, elementwiseWasm, elementwiseWasmApplies } from '../../backend/wasm-elementwise.js';
import { heapKernelsAvailable } from '../../backend/wasm-heap.js';

type AxesP = { axes: number[] };

function reducedAval(op: string, a: Aval, axes: readonly number[]): Aval {
  for (const ax of axes) if (ax < 0 || ax >= a.shape.length) throw new Error(`${op}: axis ${ax} out of range for shape ${shapeStr(a.shape)}`);
  if (op !== 'reduce_sum') axes.forEach((ax) => noEmptyExtremum(op, a, ax));
  return { shape: a.shape.filter((_, i) => !axes.includes(i)), dtype: a.dtype };
}

/** The maximum or minimum over an empty axis does not exist (NumPy raises, as here). */
function noEmptyExtremum(op: string, a: Aval, axis: number): void {
  if (a.shape[axis] === 0) throw new Error(`${op}: axis ${axis} of ${avalStr(a)} is empty, and an empty array has no ${op === 'reduce_min' ? 'minimum' : 'maximum'}`);
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
 * tfjs's wasm Max reduces innermost axes only and transposes its input first otherwise,
 * which is slow on big arrays (Sinkhorn's per-prototype max over the batch: 5-10x the time
 * of the arithmetic). A float32 maximum over one contiguous block of axes followed by kept
 * axes holding a multiple of 4 elements is our wasm loop instead ([A, R, C] -> [A, C],
 * lib/backend/wasm-elementwise.ts), which also keeps NaN (XNNPACK's pools, used here
 * before, turned a NaN into -Infinity). Returns null where this does not apply.
 */
function blockMax(x: tf.Tensor, axes: readonly number[]): tf.Tensor | null {
  if (x.dtype !== 'float32' || axes.length === 0) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const [first, last] = [sorted[0], sorted[sorted.length - 1]];
  if (last - first !== sorted.length - 1 || last === x.rank - 1) return null;
  const s = x.shape;
  const [a, r, c] = [sizeOf(s.slice(0, first)), sizeOf(s.slice(first, last + 1)), sizeOf(s.slice(last + 1))];
  if (r <= 1 || a * r * c === 0 || !elementwiseWasmApplies([a, r, c])) return null;
  const y = elementwiseWasm([x], { shape: [a, r, c], inputs: ['full'], ops: [], reduce: { op: 'max', groups: a } });
  return tf.reshape(y, s.filter((_, i) => i < first || i > last));
}

/**
 * Every float32 sum on wasm is our blocked, compensated reduction (lib/backend/wasm-elementwise.ts).
 * tfjs's wasm Sum is not used: it adds sequentially (np.sum(np.ones([2**25])) stopped at 2**24,
 * 1e5 values near 1000 were off by 4e-4) and transposes first unless the axes are innermost.
 * x is viewed as [A, R, C] (R the reduced elements; a transpose first when the axes are not one
 * block), the kept C padded with zeros to a multiple of 4 lanes; an innermost reduction (C = 1)
 * sums [A, R/4, 4] (R padded to a multiple of 4) and then its 4 lanes. Null where our kernels
 * cannot run (other backends, a browser's main thread: there tfjs's Sum remains), and for
 * innermost sums of at most SUM_BLOCK terms, which tfjs's Sum adds as our loop adds one block.
 */
function sumWasm(x: tf.Tensor, axes: readonly number[]): tf.Tensor | null {
  if (x.dtype !== 'float32' || !heapKernelsAvailable()) return null;
  const sorted = [...axes].sort((a, b) => a - b);
  const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const oneBlock = sorted[sorted.length - 1]! - sorted[0]! === sorted.length - 1;
  const [r, c] = [sizeOf(sorted.map((i) => x.shape[i]!)), oneBlock ? sizeOf(x.shape.slice(sorted[sorted.length - 1]! + 1)) : 1];
  const lanes = c === 1;
  if (lanes && r <= SUM_BLOCK) return null;
  const v = oneBlock ? x : transposeKernel(x, [...kept, ...sorted]);
  const a = x.size / (r * c);
  const [rows, width] = lanes ? [Math.ceil(r / 4), 4] : [r, Math.ceil(c / 4) * 4];
  let m = tf.reshape(v, lanes ? [a, r] : [a, r, c]);
  if (lanes && rows * 4 !== r) m = tf.pad(m, [[0, 0], [0, rows * 4 - r]]);
  if (!lanes && width !== c) m = tf.pad(m, [[0, 0], [0, 0], [0, width - c]]);
  const y = elementwiseWasm([m], { shape: [a, rows, width], inputs: ['full'], ops: [], reduce: { op: 'sum', groups: a } });
  // The 4 lanes' totals by tfjs's Sum (sequential, but over 4 terms).
  const z = lanes ? tf.sum(y, 1) : width !== c ? tf.slice(y, [0, 0], [a, c]) : y;
  return tf.reshape(z, x.shape.filter((_, i) => !axes.includes(i)));
}

const reduceSum: PrimitiveDef<AxesP> = {
  abstractEval: ([a], { axes }) => reducedAval('reduce_sum', a, axes),
  // An empty sum is 0; tfjs's wasm Sum leaves its output unwritten then (uninitialised heap).
  impl: ([x], { axes }) => (x.size === 0 ? tf.zeros(x.shape.filter((_, i) => !axes.includes(i)), x.dtype) : sumWasm(x, axes) ?? reduceKernel(tf.sum, x, axes)),
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
    impl: ([x], { axes }) => (op === 'reduce_max' ? blockMax(x, axes) : null) ?? reduceKernel(kernel, x, axes),
    jvp: ([t], [x], out, { axes }) => lax.reduceSum(lax.mul(t, share(x, out, axes)), axes),
    vjp: (ct, [x], out, { axes }) => [isFloat(avalOf(x).dtype) ? lax.mul(unreduce(ct, shapeOf(x), axes), share(x, out, axes)) : null],
    batch: batchReduce(f),
  };
}

const argmax: PrimitiveDef<{ axis: number }> = {
  abstractEval([a], { axis }) {
    if (axis < 0 || axis >= a.shape.length) throw new Error(`argmax: axis ${axis} out of range for ${avalStr(a)}`);
    noEmptyExtremum('argmax', a, axis);
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
