/** Turning pytrees of user arguments into flat arrays for the interpreters, and back. */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import type { DType } from './aval.js';
import { weakDType } from './promotion.js';
import { type NdArray, isArray } from './trace.js';

/** Flattens a tree whose leaves are arrays or JS numbers (made scalars of `numberDType`, float32 by default); errors name the path. */
export function flattenArrays(x: unknown, what: string, numberDType: (v: number) => DType = () => 'float32'): [NdArray[], tree.TreeDef] {
  const [leaves, def] = tree.flatten(x);
  const ps = tree.paths(x);
  return [
    leaves.map((l, i) => {
      if (isArray(l)) return l;
      if (typeof l === 'number') return tf.scalar(l, numberDType(l));
      throw new Error(`${what} at ${ps[i]}: expected an array or a number, got ${l === null ? 'null' : typeof l}`);
    }),
    def,
  ];
}

/**
 * A JS scalar returned by a traced function as an array of the dtype JAX gives a Python
 * scalar there: bool for a boolean, int32 for an integral number (a weak int), else float32.
 */
export function weakScalar(v: number | boolean): tf.Tensor {
  return typeof v === 'boolean' ? tf.scalar(v, 'bool') : tf.scalar(v, weakDType(v));
}
