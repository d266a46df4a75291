/**
 * mgrid and ogrid, jax.numpy's index-tricks grids, as functions of slice-like specs: Python's
 * `jnp.mgrid[0:5, 0:1:3j]` is `np.mgrid([0, 5], [0, 1, { num: 3 }])` here. A spec is
 * [start, stop], [start, stop, step] (arange's samples), [start, stop, { num }] (linspace's
 * `num` samples, the stop included: Python's complex step `3j`), or an `np.slice(start, stop,
 * step)` (a null start is 0). One spec gives its 1-D array; several give the grid. The
 * arrays' dtypes promote together (int32 when every spec is integral, else float32).
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../core/trace.js';
import { linspace, meshgrid } from './construct.js';
import { arange } from './creation.js';
import type { Slice } from './indexing.js';
import { cast } from './math.js';
import { resultDType } from '../core/promotion.js';
import { stack } from './shape.js';

/** A linspace-style count: `{ num: 5 }` is Python's complex step `5j` (five samples, the stop included). */
export interface GridCount {
  readonly num: number;
}

/** One axis of a grid: [start, stop], [start, stop, step], [start, stop, { num }], or an np.slice. */
export type GridSpec = readonly [number | null, number, (number | GridCount)?] | Slice;

/** The 1-D coordinates of one spec (JAX's _make_1d_grid_from_slice). */
function axisOf(spec: GridSpec, op: string): tf.Tensor {
  const [start, stop, step] = Array.isArray(spec) ? (spec as readonly [number | null, number, (number | GridCount)?]) : [(spec as Slice).start, (spec as Slice).stop, (spec as Slice).step];
  if (typeof stop !== 'number') throw new Error(`${op}: each spec needs a stop, as [start, stop], [start, stop, step] or [start, stop, { num }]; got ${JSON.stringify(spec)}`);
  const from = start ?? 0;
  if (typeof step === 'object' && step !== null) {
    if (!Number.isInteger(step.num) || step.num < 0) throw new Error(`${op}: { num } must be a non-negative integer, got ${step.num}`);
    return linspace(from, stop, step.num);
  }
  return arange(from, stop, step ?? 1);
}

/** The 1-D axes of the specs, promoted to one dtype. */
function axes(specs: readonly GridSpec[], op: string): NdArray[] {
  if (specs.length === 0) throw new Error(`${op}: give at least one spec, as ${op}([0, 5]) or ${op}([0, 5], [0, 1, { num: 3 }])`);
  const xs = specs.map((s) => axisOf(s, op));
  const dtype = resultDType(xs);
  return xs.map((x) => cast(x, dtype));
}

/**
 * A dense grid (jax.numpy's mgrid): for several specs, the coordinates stacked, shape
 * [specs, n1, n2, ...] ('ij' indexing); for one spec, its 1-D array.
 * @example np.mgrid([0, 2], [0, 3]) // int32 [2, 2, 3]: [[[0,0,0],[1,1,1]], [[0,1,2],[0,1,2]]]
 * @example np.mgrid([0, 1, { num: 5 }]) // float32 [0, 0.25, 0.5, 0.75, 1]
 */
export function mgrid(...specs: GridSpec[]): NdArray {
  const xs = axes(specs, 'mgrid');
  return specs.length === 1 ? xs[0]! : stack(meshgrid(xs, { indexing: 'ij' }), 0);
}

/**
 * An open grid (jax.numpy's ogrid): one array per spec, each of length n_i on its own axis
 * and 1 on the others (they broadcast to the grid); for one spec, its 1-D array.
 * @example const [i, j] = np.ogrid([0, 3], [0, 2]) as np.NdArray[]; // shapes [3, 1] and [1, 2]
 */
export function ogrid(...specs: GridSpec[]): NdArray | NdArray[] {
  const xs = axes(specs, 'ogrid');
  return specs.length === 1 ? xs[0]! : meshgrid(xs, { indexing: 'ij', sparse: true });
}
