/** Shape rules shared by the samplers (not exported from `random`). */
import type * as tf from '@tensorflow/tfjs-core';
import { type NdArray, type Shape, canReadBack, isTracer, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';

/** A sampler's parameter (a number or an array), or only the shape it has (`{ shape }`). */
type Param = number | { readonly shape: Shape };

const shapeOfParam = (p: Param): Shape => (typeof p === 'number' ? [] : p.shape);

/**
 * The sample shape of `random.<op>`: `shape` when given, which the parameters' shapes must
 * broadcast to exactly (jax.random raises otherwise, rather than silently growing the
 * sample); else the broadcast of the parameters' shapes.
 */
export function sampleShape(op: string, shape: Shape | undefined, ...params: Param[]): number[] {
  const shapes = params.map(shapeOfParam);
  if (shape === undefined) return np.broadcastShapes(...shapes);
  if (!Array.isArray(shape)) throw new Error(`random.${op}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  const fits = shapes.every((s) => s.length <= shape.length && s.every((d, i) => d === 1 || d === shape[shape.length - s.length + i]));
  if (!fits) throw new Error(`random.${op}: parameter shapes ${shapes.map(shapeStr).join(', ')} must broadcast to the shape argument ${shapeStr(shape)}`);
  return [...shape];
}

/**
 * The integer a 0-d array holds, where JAX takes a 0-d array as a count (permutation, choice):
 * the result's length is the value, so it must be concrete (not traced).
 */
export function concreteCount(x: NdArray, op: string): number {
  if (isTracer(x) || !canReadBack()) throw new Error(`random.${op}: a 0-d array must be concrete (its value is the result length); pass a number under jit or vmap`);
  const v = (x as tf.Tensor).dataSync()[0];
  if (!Number.isInteger(v) || v < 0) throw new Error(`random.${op}: a 0-d array must hold a non-negative integer, got ${v}`);
  return v;
}

/** Throws unless shape is a list of non-negative integers; returns a copy. */
export function checkShape(shape: Shape, op: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`random.${op}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  return [...shape];
}

/** The two halves of a draw of shape [...keyDims, 2, ...shape] (JAX's `u1, u2 = uniform(key, (2, *shape))`). */
export function pairHalves(x: NdArray, shape: Shape): [NdArray, NdArray] {
  const lead = x.shape.length - shape.length - 1;
  const half = (i: number) => np.squeeze(np.sliceAxis(x, lead, i, i + 1), lead);
  return [half(0), half(1)];
}
