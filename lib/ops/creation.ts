/** Making arrays: from JS data, filled, ranges, identity. */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, type Shape, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, isArray, isTracer, shapeOf } from '../core/trace.js';
import { stack } from './shape.js';

type Nested = number | boolean | Nested[];

/**
 * The dtype of an array made from a JS scalar or typed array without a dtype: an Int32Array's
 * int32, a boolean's bool, float32 otherwise. (Nested lists: {@link checkHostNest}.)
 */
function inferredDType(data: number | boolean | Float32Array | Int32Array | Uint8Array): DType {
  if (data instanceof Int32Array) return 'int32';
  return typeof data === 'boolean' ? 'bool' : 'float32';
}

/** Nested JS lists whose entries may also be arrays (tensors or tracers), as jnp.array([x, y]) takes. */
export type ArrayNest = NdArray | number | boolean | readonly ArrayNest[];
type HostData = Nested | Float32Array | Int32Array | Uint8Array;

/**
 * An array from nested JS data or a typed array: float32 for numbers, bool for booleans,
 * int32 for an Int32Array, unless `dtype` says otherwise. As jnp.array, an array argument gives
 * a copy, and lists holding arrays (traced or not) stack them, the JS numbers among them weakly
 * typed: `np.array([x, y])` is `np.stack([x, y])`.
 * @example np.array([[1, 2], [3, 4]]); np.array([true, false]) // bool; np.array([1, 2], 'int32')
 */
export function array(data: HostData, dtype?: DType, shape?: number[]): tf.Tensor;
export function array(data: ArrayNest, dtype?: DType): NdArray;
export function array(data: HostData | ArrayNest, dtype?: DType, shape?: number[]): NdArray {
  if (isArray(data)) return dtype === undefined || avalOf(data).dtype === dtype ? copy(data) : lax.cast(data, dtype);
  if (holdsArray(data)) return stackNest(data, dtype ?? nestDType(data));
  const inferred = Array.isArray(data) ? checkHostNest(data as Nested) : inferredDType(data as Exclude<HostData, Nested[]>);
  return tf.tensor(data as any, shape, dtype ?? inferred);
}

/**
 * Checks nested JS lists as NumPy and JAX do, and gives their dtype: bool when every entry is a
 * boolean, else float32 (jnp.array([True, 2]) is a number array; tfjs took the first entry's
 * type). They must be rectangular (tfjs takes the shape from the first entries and would make a
 * [2, 2] array of three values from [[1, 2], [3]]) and hold only numbers and booleans (tfjs read
 * null as 0).
 */
function checkHostNest(data: Nested): DType {
  // A typed array inside the lists is a list of numbers, as tfjs reads it.
  type List = ArrayLike<Nested>;
  const isList = (v: unknown): v is List => Array.isArray(v) || ArrayBuffer.isView(v);
  const what = (v: Nested | List) => (isList(v) ? `a list of length ${v.length}` : `a ${typeof v}`);
  const path: number[] = [];
  let allBool = true;
  let leaves = 0;
  const visit = (v: Nested | List, model: Nested | List): void => {
    if (!isList(v) && typeof v !== 'number' && typeof v !== 'boolean') {
      const kind = v === null ? 'null' : typeof v;
      throw new Error(`np.array: entry [${path.join(', ')}] is ${kind === 'null' || kind === 'undefined' ? kind : `a ${kind}`}; entries must be numbers or booleans`);
    }
    if (isList(v) !== isList(model) || (isList(v) && v.length !== (model as List).length)) {
      const entry = `entry [${path.join(', ')}]`;
      const first = `entry [${path.map(() => 0).join(', ')}]`;
      if (isList(v) && isList(model)) throw new Error(`np.array: ragged nested list: ${entry} has length ${v.length}, ${first} length ${model.length}`);
      throw new Error(`np.array: ragged nested list: ${entry} is ${what(v)}, ${first} ${what(model)}`);
    }
    if (!isList(v)) {
      allBool &&= typeof v === 'boolean';
      leaves++;
      return;
    }
    // Every entry is compared with the first one at its depth, reached through entries [0, 0, ...].
    const sub = (model as List)[0];
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      visit(v[i], sub);
      path.pop();
    }
  };
  visit(data, data);
  return allBool && leaves > 0 ? 'bool' : 'float32';
}

/** Whether nested lists hold an array (tensor or tracer) somewhere. */
function holdsArray(data: unknown): data is ArrayNest {
  return Array.isArray(data) ? data.some(holdsArray) : isArray(data);
}

/** jax.numpy's promotion over a nest's leaves: the arrays' dtypes with the JS numbers weakly typed (booleans join as bool). */
function nestDType(data: ArrayNest): DType {
  const leaves: (NdArray | number)[] = [];
  const walk = (d: ArrayNest): void => {
    if (Array.isArray(d)) (d as readonly ArrayNest[]).forEach(walk);
    else if (typeof d !== 'boolean') leaves.push(d as NdArray | number);
  };
  walk(data);
  return resultDType(leaves);
}

/** The nest as one array of `dtype`, its lists stacked along new leading axes; a ragged nest is an error. */
function stackNest(data: ArrayNest, dtype: DType): NdArray {
  if (isArray(data)) return lax.cast(data, dtype);
  if (!Array.isArray(data)) return lax.full([], Number(data), dtype);
  if (data.length === 0) throw new Error('np.array: an empty list among arrays has no shape to stack with them');
  const items = (data as readonly ArrayNest[]).map((d) => stackNest(d, dtype));
  const first = shapeStr(shapeOf(items[0]));
  const bad = items.findIndex((x) => shapeStr(shapeOf(x)) !== first);
  if (bad >= 0) throw new Error(`np.array: ragged nested list: entry ${bad} has shape ${shapeStr(shapeOf(items[bad]))}, entry 0 ${first}`);
  return stack(items);
}

/**
 * x as an array (jnp.asarray): an array stays itself (cast when `dtype` differs), JS data
 * becomes one as {@link array} makes it.
 * @example np.asarray(x) === x; np.asarray([1, 2], 'int32')
 */
export function asarray(x: HostData | ArrayNest, dtype?: DType): NdArray {
  if (isArray(x)) return dtype === undefined || avalOf(x).dtype === dtype ? x : lax.cast(x, dtype);
  return array(x as ArrayNest, dtype);
}

/**
 * A copy of x that the caller owns (numpy's `copy`): a new tensor eagerly (free it with
 * `dispose()` independently of x), x itself under a transformation (tracers are immutable).
 * Typed on `NdArray`, unlike `tf.Tensor.clone`, whose `this` type does not accept a tracer.
 * @example const y = np.copy(x); x.dispose(); await y.data();
 */
export function copy(x: NdArray): NdArray {
  return isTracer(x) ? x : x.clone();
}

/** A creation function's shape as a list: an integer n is [n] (jnp.zeros(3)); a bad one is an error naming `op`. */
export function shapeArg(shape: number | Shape, op: string): number[] {
  const dims = typeof shape === 'number' ? [shape] : [...shape];
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`${op}: shape must be non-negative integers, got [${dims.join(', ')}]`);
  return dims;
}

/** Zeros of `shape` (a list, or an integer for one axis, as jnp.zeros). */
export function zeros(shape: number | Shape, dtype: DType = 'float32'): tf.Tensor {
  return tf.zeros(shapeArg(shape, 'np.zeros'), dtype);
}

/** Ones of `shape` (a list, or an integer for one axis, as jnp.ones). */
export function ones(shape: number | Shape, dtype: DType = 'float32'): tf.Tensor {
  return tf.ones(shapeArg(shape, 'np.ones'), dtype);
}

/** `value` everywhere; a bool array holds its truth (tfjs cpu's fill stored 5 in a bool tensor). `shape` as {@link zeros}'. */
export function full(shape: number | Shape, value: number, dtype: DType = 'float32'): tf.Tensor {
  return tf.fill(shapeArg(shape, 'np.full'), dtype === 'bool' ? Number(value !== 0) : value, dtype);
}

/** Zeros of x's shape, in x's dtype unless `dtype` is given (works on tracers too). */
export function zerosLike(x: NdArray, dtype?: DType): NdArray {
  return fullLike(x, 0, dtype);
}

/** Ones of x's shape, in x's dtype unless `dtype` is given (works on tracers too). */
export function onesLike(x: NdArray, dtype?: DType): NdArray {
  return fullLike(x, 1, dtype);
}

/**
 * `value` everywhere in x's shape, in x's dtype unless `dtype` is given (numpy's full_like:
 * an int32 x truncates 2.7 to 2, a bool x holds the value's truth); works on tracers too.
 */
export function fullLike(x: NdArray, value: number, dtype: DType = avalOf(x).dtype): NdArray {
  return lax.full(avalOf(x).shape, value, dtype);
}

/** The n x n identity matrix (numpy's identity). */
export function identity(n: number, dtype: DType = 'float32'): tf.Tensor {
  return eye(n, n, 0, dtype);
}

/**
 * [start, stop) with the given step (`arange(n)` is [0, n)). The dtype, unless given, is
 * jax.numpy's: int32 when start, stop and step are all integers, float32 otherwise.
 * @example np.arange(0.5, 3) // float32 [0.5, 1.5, 2.5]
 */
export function arange(start: number, stop?: number, step = 1, dtype?: 'float32' | 'int32'): tf.Tensor {
  const [from, to] = stop === undefined ? [0, start] : [start, stop];
  for (const [name, v] of [['start', from], ['stop', to], ['step', step]] as const)
    if (!Number.isFinite(v)) throw new Error(`arange: ${name} must be a finite number, got ${v}`);
  if (step === 0) throw new Error('arange: step must not be zero');
  // NumPy's length and values (start + i * step); tf.range would walk down from 3 to 1 with step 1.
  const n = Math.max(0, Math.ceil((to - from) / step));
  const values = Array.from({ length: n }, (_, i) => from + i * step);
  return tf.tensor1d(values, dtype ?? ([from, to, step].every(Number.isInteger) ? 'int32' : 'float32'));
}

/** An [n, m] array with ones on the k-th diagonal (k > 0 above the main one), zeros elsewhere (numpy's eye). */
export function eye(n: number, m = n, k = 0, dtype: DType = 'float32'): tf.Tensor {
  if (!Number.isInteger(n) || !Number.isInteger(m) || !Number.isInteger(k) || n < 0 || m < 0) throw new Error(`eye: need non-negative integer sizes and an integer k, got n=${n}, m=${m}, k=${k}`);
  const data = new Array<number>(n * m).fill(0);
  for (let i = Math.max(0, -k); i < n && i + k < m; i++) data[i * m + i + k] = 1;
  return tf.tensor(data, [n, m], dtype);
}
