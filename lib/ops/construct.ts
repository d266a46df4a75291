/**
 * Arrays built from a description: evenly spaced values (linspace, logspace, geomspace,
 * computed on the host in float64 as numpy does, then stored in the requested dtype),
 * coordinate grids (meshgrid, indices) and fromfunction.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';

export interface SpaceOptions {
  /** Whether `stop` is the last sample (default true). */
  readonly endpoint?: boolean;
  readonly dtype?: DType;
}

function checkNum(num: number, op: string): void {
  if (!Number.isInteger(num) || num < 0) throw new Error(`${op}: num must be a non-negative integer, got ${num}`);
}

/** The float64 samples start + i * step of numpy's linspace (the last exactly `stop` with the endpoint). */
function linspaceValues(start: number, stop: number, num: number, endpoint: boolean): number[] {
  const div = endpoint ? num - 1 : num;
  const step = div > 0 ? (stop - start) / div : 0;
  const out = Array.from({ length: num }, (_, i) => start + i * step);
  if (endpoint && num > 1) out[num - 1] = stop;
  return out;
}

/** The options of linspace, logspace and geomspace, or NumPy's positional `endpoint` alone. */
const spaceOptions = <T extends SpaceOptions>(opts: boolean | T): T => (typeof opts === 'boolean' ? ({ endpoint: opts } as T) : opts);

/**
 * `num` evenly spaced samples from `start` to `stop` (numpy's linspace, default 50 samples);
 * an int32 `dtype` floors them (NumPy 2 and jax.numpy: -6.67 becomes -7). With `retstep`,
 * [samples, the spacing as a float32 0-d array] (as jax.numpy, whatever the dtype; NaN for
 * fewer than two samples with the endpoint, as NumPy).
 * The fourth argument is the options, or `endpoint` alone (NumPy's positional order; logspace takes `base` fifth).
 * @example np.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]; np.linspace(0, 1, 4, false) // [0, 0.25, 0.5, 0.75]
 * @example const [xs, step] = np.linspace(0, 1, 5, { retstep: true }); // step: float32 0.25, shape []
 */
export function linspace(start: number, stop: number, num?: number, opts?: boolean | (SpaceOptions & { readonly retstep?: false })): tf.Tensor;
export function linspace(start: number, stop: number, num: number, opts: SpaceOptions & { readonly retstep: true }): [tf.Tensor, tf.Tensor];
export function linspace(start: number, stop: number, num = 50, opts: boolean | (SpaceOptions & { readonly retstep?: boolean }) = {}): tf.Tensor | [tf.Tensor, tf.Tensor] {
  const { endpoint = true, dtype = 'float32', retstep = false } = spaceOptions(opts);
  checkNum(num, 'linspace');
  const values = linspaceValues(start, stop, num, endpoint);
  const out = tf.tensor1d(dtype === 'int32' ? values.map(Math.floor) : values, dtype);
  if (!retstep) return out;
  const div = endpoint ? num - 1 : num;
  return [out, tf.scalar(div > 0 ? (stop - start) / div : NaN, 'float32')];
}

/** base ** linspace(start, stop): samples evenly spaced on a log scale (numpy's logspace). */
export function logspace(start: number, stop: number, num = 50, opts: boolean | (SpaceOptions & { readonly base?: number }) = {}, baseArg?: number): tf.Tensor {
  const { endpoint = true, dtype = 'float32', base = baseArg ?? 10 } = spaceOptions(opts);
  checkNum(num, 'logspace');
  return tf.tensor1d(linspaceValues(start, stop, num, endpoint).map((e) => base ** e), dtype);
}

/**
 * A geometric progression from `start` to `stop` (numpy's geomspace; both non-zero and of
 * the same sign; the endpoints are exact).
 * @example np.geomspace(1, 1000, 4) // [1, 10, 100, 1000]
 */
export function geomspace(start: number, stop: number, num = 50, opts: boolean | SpaceOptions = {}): tf.Tensor {
  const { endpoint = true, dtype = 'float32' } = spaceOptions(opts);
  checkNum(num, 'geomspace');
  if (start === 0 || stop === 0 || Math.sign(start) !== Math.sign(stop)) throw new Error(`geomspace: start (${start}) and stop (${stop}) must be non-zero and of one sign`);
  const sign = Math.sign(start);
  const out = linspaceValues(Math.log10(Math.abs(start)), Math.log10(Math.abs(stop)), num, endpoint).map((e) => sign * 10 ** e);
  if (num > 0) out[0] = start;
  if (num > 1 && endpoint) out[num - 1] = stop;
  return tf.tensor1d(out, dtype);
}

/** meshgrid's options: 'xy' (default) or 'ij' `indexing`, and `sparse` outputs. */
export interface MeshgridOptions { readonly indexing?: 'xy' | 'ij'; readonly sparse?: boolean }

/** meshgrid's vectors (a list, or the arrays themselves as NumPy's *xi) and its options (last, if any). */
function meshgridArgs(args: readonly (NdArray | readonly NdArray[] | MeshgridOptions | undefined)[]): [readonly NdArray[], MeshgridOptions] {
  if (Array.isArray(args[0])) return [args[0] as readonly NdArray[], (args[1] ?? {}) as MeshgridOptions];
  const last = args[args.length - 1];
  const hasOptions = args.length > 0 && (last === undefined || !isArray(last));
  const xs = hasOptions ? args.slice(0, -1) : args;
  const bad = xs.findIndex((x) => !isArray(x));
  if (bad >= 0) throw new Error(`meshgrid: argument ${bad} is not an array (pass the vectors as arrays, then the options)`);
  return [xs as NdArray[], (hasOptions ? last ?? {} : {}) as MeshgridOptions];
}

/**
 * Coordinate arrays from 1-D coordinate vectors (numpy's meshgrid): with 'xy' indexing
 * (the default) the first two output axes are swapped, so for x [m] and y [n] the outputs
 * are [n, m]; with 'ij' they are [m, n].
 * With `sparse`, each output keeps length 1 on the other axes (broadcasting gives the grid).
 * The vectors come as one list or as separate arguments (NumPy's `meshgrid(x, y)`), the options last.
 * @example const [X, Y] = np.meshgrid([x, y], { indexing: 'ij' }); const [A, B] = np.meshgrid(x, y)
 */
export function meshgrid(xs: readonly NdArray[], options?: MeshgridOptions): NdArray[];
export function meshgrid(...args: (NdArray | MeshgridOptions)[]): NdArray[];
export function meshgrid(...args: (NdArray | readonly NdArray[] | MeshgridOptions | undefined)[]): NdArray[] {
  const [xs, { indexing = 'xy', sparse = false }] = meshgridArgs(args);
  for (const x of xs) if (shapeOf(x).length !== 1) throw new Error(`meshgrid: coordinate vectors must be 1-D, got ${shapeStr(shapeOf(x))}`);
  const n = xs.length;
  const lens = xs.map((x) => shapeOf(x)[0]);
  const swap = indexing === 'xy' && n >= 2;
  const pos = (i: number) => (swap && i < 2 ? 1 - i : i);
  const shape = lens.map((_, i) => lens[pos(i)]);
  return xs.map((x, i) => lax.broadcastInDim(x, sparse ? shape.map((d, j) => (j === pos(i) ? d : 1)) : shape, [pos(i)]));
}

/**
 * The index grid of an array of shape `dims`: int32 [dims.length, ...dims] where out[i]
 * holds each element's i-th coordinate (numpy's indices).
 */
export function indices(dims: readonly number[], dtype: DType = 'int32'): tf.Tensor {
  if (dims.length === 0) return tf.zeros([0], dtype);
  return tf.tidy(() => {
    const grids = dims.map((d, i) => tf.broadcastTo(tf.reshape(tf.range(0, d, 1, dtype === 'bool' ? 'int32' : dtype), dims.map((e, j) => (j === i ? e : 1))), [...dims]));
    return tf.cast(tf.stack(grids, 0), dtype);
  });
}

/**
 * fn called with one coordinate array per axis of `shape` (numpy's fromfunction).
 * @example np.fromfunction((i, j) => np.add(i, j), [2, 3]) // [[0, 1, 2], [1, 2, 3]]
 */
export function fromfunction<T>(fn: (...coords: tf.Tensor[]) => T, shape: readonly number[], dtype: DType = 'float32'): T {
  const grid = indices(shape, dtype);
  const coords = tf.unstack(grid, 0);
  grid.dispose();
  return fn(...coords);
}
