/** Making arrays: from JS data, filled, ranges, identity. */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, type Shape, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, isArray, isTracer, shapeOf } from '../core/trace.js';
import { stack } from './shape.js';

type Nested = number | boolean | Nested[];

/** The first scalar of nested JS data (undefined for an empty list). */
function firstLeaf(data: Nested): number | boolean | undefined {
  let v: Nested | undefined = data;
  while (Array.isArray(v)) v = v[0];
  return v;
}

/**
 * The dtype of an array made from `data` without a dtype: an Int32Array's int32, JS booleans'
 * bool (as jnp.array([True, False])), float32 otherwise. JS numbers are float32 even when they
 * hold integers (jnp.array([1, 2]) would be int32): JS cannot tell 1 from 1.0, and an int32
 * array could not be differentiated.
 */
function inferredDType(data: Nested | Float32Array | Int32Array | Uint8Array): DType {
  if (data instanceof Int32Array) return 'int32';
  if (ArrayBuffer.isView(data)) return 'float32';
  return typeof firstLeaf(data) === 'boolean' ? 'bool' : 'float32';
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
  return tf.tensor(data as any, shape, dtype ?? inferredDType(data as HostData));
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

export function zeros(shape: Shape, dtype: DType = 'float32'): tf.Tensor {
  return tf.zeros([...shape], dtype);
}

export function ones(shape: Shape, dtype: DType = 'float32'): tf.Tensor {
  return tf.ones([...shape], dtype);
}

/** `value` everywhere; a bool array holds its truth (tfjs cpu's fill stored 5 in a bool tensor). */
export function full(shape: Shape, value: number, dtype: DType = 'float32'): tf.Tensor {
  return tf.fill([...shape], dtype === 'bool' ? Number(value !== 0) : value, dtype);
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
