/** Reductions: sum, max, min over axes (removed from the shape), argmax, and argsort (the order of the last axis). */
import { type Aval, avalStr, isFloat, shapeStr } from '../aval.js';
import * as lax from '../lax.js';
import type { AxesParams as AxesP, PrimParams } from '../prim-params.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { type NdArray, avalOf, shapeOf } from '../trace.js';

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

const reduceSum: PrimitiveDef<AxesP> = {
  abstractEval: ([a], { axes }) => reducedAval('reduce_sum', a, axes),
  jvp: ([t], _p, _o, { axes }) => lax.reduceSum(t, axes),
  vjp: (ct, [x], _o, { axes }) => [unreduce(ct, shapeOf(x), axes)],
  batch: batchReduce(lax.reduceSum),
};

/** max/min: the derivative is shared equally among tied extrema, as in JAX. */
function extremum(op: 'reduce_max' | 'reduce_min', f: typeof lax.reduceMax): PrimitiveDef<AxesP> {
  const share = (x: NdArray, out: NdArray, axes: number[]) => {
    const hit = lax.cast(lax.eq(x, unreduce(out, shapeOf(x), axes)), 'float32');
    return lax.div(hit, unreduce(lax.reduceSum(hit, axes), shapeOf(x), axes));
  };
  return {
    abstractEval: ([a], { axes }) => reducedAval(op, a, axes),
    jvp: ([t], [x], out, { axes }) => lax.reduceSum(lax.mul(t, share(x, out, axes)), axes),
    vjp: (ct, [x], out, { axes }) => [isFloat(avalOf(x).dtype) ? lax.mul(unreduce(ct, shapeOf(x), axes), share(x, out, axes)) : null],
    batch: batchReduce(f),
  };
}

const argmax: PrimitiveDef<PrimParams['argmax']> = {
  abstractEval([a], { axis }) {
    if (axis < 0 || axis >= a.shape.length) throw new Error(`argmax: axis ${axis} out of range for ${avalStr(a)}`);
    noEmptyExtremum('argmax', a, axis);
    return { shape: a.shape.filter((_, i) => i !== axis), dtype: 'int32' };
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([x], [d], { axis }) => [lax.argmax(x, axis >= d! ? axis + 1 : axis), axis < d! ? d! - 1 : d!],
  nonDifferentiable: true,
};

/** The stable sorting order of the last axis: an int32 permutation per row (no derivative). */
const argsort: PrimitiveDef<PrimParams['argsort']> = {
  abstractEval([a]) {
    if (a.shape.length === 0) throw new Error(`argsort: expected an array of rank >= 1 (it sorts the last axis), got ${avalStr(a)}`);
    return { shape: [...a.shape], dtype: 'int32' };
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  // With the batch dim in front, the last axis is still the one sorted.
  batch: ([x], [d], { descending }) => [lax.argsort(lax.moveAxis(x, d!, 0), descending), 0],
  nonDifferentiable: true,
};

definePrimitives({
  argsort,
  reduce_sum: reduceSum,
  reduce_max: extremum('reduce_max', lax.reduceMax),
  reduce_min: extremum('reduce_min', lax.reduceMin),
  argmax,
});
