/**
 * jax.eval_shape and jax.ShapeDtypeStruct: f's output shapes and dtypes, traced to the IR on
 * abstract inputs (as jit traces) without running any kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { type Aval, type DType, type Shape, isDType } from './aval.js';
import { weakScalar } from './args.js';
import { traceClosed } from './jit/staging.js';
import { weakDType } from './promotion.js';
import { type NdArray, avalOf, isArray } from './trace.js';

/** An array's shape and dtype without its data (jax.ShapeDtypeStruct): a leaf of pytrees. */
export class ShapeDtypeStruct implements Aval {
  readonly shape: Shape;
  constructor(
    shape: Shape,
    readonly dtype: DType,
  ) {
    if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`shapeDtypeStruct: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!isDType(dtype)) throw new Error(`shapeDtypeStruct: dtype must be 'float32', 'int32' or 'bool', got ${JSON.stringify(dtype)}`);
    this.shape = Object.freeze([...shape]);
  }
  toString(): string {
    return `ShapeDtypeStruct(shape=[${this.shape.join(', ')}], dtype=${this.dtype})`;
  }
}

/**
 * A stand-in for an array of `shape` and `dtype` (default float32), for evalShape and
 * linearTranspose (jax.ShapeDtypeStruct).
 * @example evalShape(f, shapeDtypeStruct([8, 3]), params)
 */
export function shapeDtypeStruct(shape: Shape, dtype: DType = 'float32'): ShapeDtypeStruct {
  return new ShapeDtypeStruct(shape, dtype);
}

/** A ShapeDtypeStruct, or a plain `{ shape, dtype }` object holding just those two. */
export function isShapeDtype(x: unknown): x is Aval {
  if (x instanceof ShapeDtypeStruct) return true;
  if (!tree.isPlainObject(x)) return false;
  const keys = Object.keys(x).sort();
  return keys.length === 2 && keys[0] === 'dtype' && keys[1] === 'shape' && Array.isArray(x.shape) && isDType(x.dtype);
}

/**
 * The abstract values of a tree of arrays, JS scalars (their weak dtypes, as under jit) and
 * shape descriptors, with the tree's structure; `what` names the function in errors.
 */
export function abstractArgs(args: unknown, what: string): [Aval[], tree.TreeDef] {
  const [leaves, def] = tree.flatten(args, isShapeDtype);
  const ps = tree.paths(args);
  const avals = leaves.map((l, i): Aval => {
    if (isShapeDtype(l)) return new ShapeDtypeStruct(l.shape, l.dtype);
    if (isArray(l)) return avalOf(l);
    if (typeof l === 'number') return { shape: [], dtype: weakDType(l) };
    if (typeof l === 'boolean') return { shape: [], dtype: 'bool' };
    throw new Error(`${what}: the argument at ${ps[i]} must be an array, a number, a boolean or a shapeDtypeStruct, got ${l === null ? 'null' : typeof l}`);
  });
  return [avals, def];
}

/**
 * The shapes and dtypes of f's outputs (a pytree of ShapeDtypeStruct, f's output structure)
 * for arguments given as arrays or shape descriptors (`shapeDtypeStruct(shape, dtype)` or
 * plain `{ shape, dtype }`), as jax.eval_shape: f is traced to the IR on abstract inputs, so
 * no kernel runs and nothing is allocated for its results.
 * @example evalShape((x, w) => np.matmul(x, w), shapeDtypeStruct([8, 3]), np.ones([3, 4])) // ShapeDtypeStruct([8, 4], float32)
 */
export function evalShape(f: (...args: any[]) => unknown, ...args: unknown[]): any {
  const [avals, inDef] = abstractArgs(args, 'evalShape');
  let outDef: tree.TreeDef | undefined;
  let outAvals: Aval[] = [];
  tf.tidy(() => {
    const { jaxpr } = traceClosed((...ls) => {
      const out = f(...tree.unflatten<unknown[]>(inDef, ls));
      const [leaves, def] = tree.flatten(out);
      outDef = def;
      const ps = tree.paths(out);
      return leaves.map((l, i): NdArray => {
        if (isArray(l)) return l;
        if (typeof l === 'number' || typeof l === 'boolean') return weakScalar(l);
        throw new Error(`evalShape: the function returned ${l === null ? 'null' : typeof l} at ${ps[i]}; it must return arrays, numbers or booleans`);
      });
    }, avals, 'evalShape');
    outAvals = jaxpr.outvars.map((v) => v.aval);
  });
  return tree.unflatten(outDef!, outAvals.map((a) => new ShapeDtypeStruct(a.shape, a.dtype)));
}
