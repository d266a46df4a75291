/** Turning pytrees of user arguments into flat arrays for the interpreters, and back. */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';
import { type DType, isFloat } from './aval.js';
import * as lax from './lax.js';
import { avalStr } from './aval.js';
import { weakDType } from './promotion.js';
import { type NdArray, avalOf, isArray } from './trace.js';

/**
 * Flattens a tree whose leaves are arrays, JS numbers (made scalars of `numberDType`, float32 by
 * default) or booleans (bool scalars, as JAX takes a Python bool); errors name the path.
 */
export function flattenArrays(x: unknown, what: string, numberDType: (v: number) => DType = () => 'float32'): [NdArray[], tree.TreeDef] {
  const [leaves, def] = tree.flatten(x);
  const ps = tree.paths(x);
  return [
    leaves.map((l, i) => {
      if (isArray(l)) return l;
      if (typeof l === 'number') return tf.scalar(l, numberDType(l));
      if (typeof l === 'boolean') return tf.scalar(l, 'bool');
      throw new Error(`${what} at ${ps[i]}: expected an array, a number or a boolean, got ${l === null ? 'null' : typeof l}`);
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

/**
 * A function's aux output (JAX's has_aux) with its JS numbers and booleans made arrays of
 * their weak dtype, as JAX returns aux after tracing it: `[loss, 3]` gives aux int32 3.
 */
export function auxArrays(aux: unknown): unknown {
  return tree.map((l: unknown) => (typeof l === 'number' || typeof l === 'boolean' ? weakScalar(l) : l), aux);
}

type Fn = (...args: any[]) => any;

/** JAX's has_aux as a trailing argument of vjp and linearize: `{ hasAux: boolean }` and nothing else. */
export interface HasAuxOption {
  /** f returns [out, aux]: aux is returned as well, not differentiated. */
  readonly hasAux: boolean;
}

/** Whether a trailing argument is `{ hasAux: boolean }`, the options rather than a primal. */
export const isHasAuxOption = (x: unknown): x is HasAuxOption =>
  tree.isPlainObject(x) && Object.keys(x).length === 1 && typeof (x as Record<string, unknown>).hasAux === 'boolean';

/** f for a transformation with hasAux (`what`): it must return the pair `[out, aux]` (named `pair` in the error); aux's JS scalars become arrays. */
export function splitAux(f: Fn, what: string, pair = '[out, aux]'): Fn {
  return (...args: unknown[]) => {
    const r = f(...args) as unknown;
    if (!Array.isArray(r) || r.length !== 2) throw new Error(`${what} with hasAux: the function must return ${pair}`);
    return [r[0], auxArrays(r[1])];
  };
}

/** jit's tracers of JS integers passed as arguments (weak ints: JS cannot tell `1.0` from `1`). */
const weakIntTracers = new WeakSet<object>();

/** Marks `x`, the tracer of a JS integer argument of a jitted function, as a weak int. */
export function markWeakInt(x: NdArray): void {
  weakIntTracers.add(x);
}

/** Which leaves of a jitted function's arguments are JS integers (traced as weak ints, int32). */
export const weakIntLeaves = (args: unknown): boolean[] => tree.leaves(args).map((l) => typeof l === 'number' && weakDType(l) === 'int32');

/**
 * The args with each leaf at `argnums` that is a jit tracer of a JS integer made float32: JS has no `1.0`,
 * so `jit(grad(f))(1)` differentiates at 1 as `grad(f)(1)` does (JAX's `jit(grad(f))(1.0)`).
 */
export function floatWeakInts(args: readonly unknown[], argnums: readonly number[]): unknown[] {
  const weak = (l: unknown): l is NdArray => isArray(l) && weakIntTracers.has(l);
  // An argument without one is passed as it is (not rebuilt).
  return args.map((a, i) => (argnums.includes(i) && tree.leaves(a).some(weak) ? tree.map((l: unknown) => (weak(l) ? lax.cast(l, 'float32') : l), a) : a));
}

/** f as a function of flat leaves of the args at `argnums` (other args fixed); records the output structure. */
export function flatOver(f: Fn, args: unknown[], argnums: readonly number[], what: string, scalarOf: (l: number | boolean) => NdArray | null = (l) => (typeof l === 'number' ? lax.scalar(l) : null)) {
  const [leaves, inDef] = flattenArrays(argnums.map((i) => args[i]), what);
  let outDef: tree.TreeDef | undefined;
  let outTree: unknown;
  const flat = (...ls: NdArray[]): NdArray[] => {
    const diff = tree.unflatten<unknown[]>(inDef, ls);
    const full = [...args];
    argnums.forEach((a, k) => (full[a] = diff[k]));
    outTree = f(...full);
    const [outLeaves, def] = tree.flatten(outTree);
    outDef = def;
    const ps = tree.paths(outTree);
    return outLeaves.map((l, i) => {
      if (isArray(l)) return l;
      const s = typeof l === 'number' || typeof l === 'boolean' ? scalarOf(l) : null;
      if (s) return s;
      throw new Error(`${what}: the function returned ${typeof l} at ${ps[i]}; it must return arrays`);
    });
  };
  return { leaves, inDef, flat, outDef: () => outDef!, outTree: () => outTree };
}

/** The argument positions to differentiate; a negative one counts from the end, as in JAX. */
export function normArgnums(argnums: number | readonly number[] | undefined, n: number, what: string, allowRepeats = false): number[] {
  const list = argnums === undefined ? [0] : typeof argnums === 'number' ? [argnums] : [...argnums];
  // As JAX's operator.index on argnums: a fraction (or a nested list) is a TypeError, not a position out of range.
  if (!list.every(Number.isInteger)) throw new TypeError(`${what}: argnums must be an integer or a list of integers, got ${JSON.stringify(argnums)}`);
  for (const a of list) if (a < -n || a >= n) throw new Error(`${what}: argnums ${a} is out of range for ${n} argument(s)`);
  const norm = list.map((a) => (a < 0 ? a + n : a));
  // JAX's argnums_partial fails on a repeated argument (grad(f, argnums=(0, 0)) raises).
  const repeated = norm.find((a, i) => norm.indexOf(a) !== i);
  if (repeated !== undefined && !allowRepeats) throw new Error(`${what}: argnums [${list}] name argument ${repeated} more than once`);
  return norm;
}

/**
 * Derivatives are taken with respect to float32 inputs only: JAX raises for integer and
 * bool ones too, where returning zeros would hide a forgotten cast. Names the first such leaf.
 */
export function assertDifferentiable(args: readonly unknown[], argnums: readonly number[], what: string): void {
  for (const a of argnums) {
    const ps = tree.paths(args[a]);
    tree.leaves(args[a]).forEach((l, i) => {
      // A JS boolean is a bool scalar (JAX refuses grad(f)(True)); a JS number is differentiated as float32.
      const dtype = typeof l === 'boolean' ? 'bool' : isArray(l) ? avalOf(l).dtype : 'float32';
      if (isFloat(dtype)) return;
      const at = ps[i] === '.' ? '' : ` (at ${ps[i]})`;
      throw new Error(
        `${what}: argnums includes argument ${a}${at}, whose dtype is ${dtype}; only float32 inputs can be differentiated: cast it with np.cast(x, 'float32'), or leave it out of argnums`,
      );
    });
  }
}

/** A short description of a value for errors: an array's type, or the JS type. */
export function describe(x: unknown): string {
  return isArray(x) ? `an array ${avalStr(avalOf(x))}` : x === null ? 'null' : typeof x;
}

/** A flattened argument path `[i].x` as `argument i (.x)` for errors. */
export function argPath(p: string): string {
  const m = /^\[(\d+)\](.*)$/.exec(p);
  return m ? `argument ${m[1]}${m[2] ? ` (${m[2]})` : ''}` : p;
}

/** JAX's `holomorphic` option: tfjax has no complex dtypes, so `true` is JAX's TypeError for real inputs. */
export interface HolomorphicOption {
  /** JAX's `holomorphic`: only `false` (the default) is possible; tfjax has no complex dtypes. */
  readonly holomorphic?: boolean;
}

/** Refuses `holomorphic: true` as JAX does for real inputs ("requires inputs with complex dtype"). */
export function assertNotHolomorphic(opts: HolomorphicOption, what: string): void {
  if (opts.holomorphic) throw new TypeError(`${what}: holomorphic=true needs complex inputs, and tfjax has no complex dtypes (JAX raises the same TypeError for float32 inputs)`);
}
