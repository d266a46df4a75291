/** NumPy's broadcasting of shapes: align on the right, each dim equal or 1. */
import { type Shape, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, shapeOf } from '../core/trace.js';

/**
 * The shape that `shapes` broadcast to (numpy's broadcast_shapes); an error naming `op`
 * and the shapes when they do not.
 * @example np.broadcastShapes([3, 1], [4]) // [3, 4]
 */
export function broadcastShapes(...shapes: readonly Shape[]): number[] {
  return broadcastShapesFor('broadcastShapes', shapes);
}

/** broadcastShapes whose error names the calling op. */
export function broadcastShapesFor(op: string, shapes: readonly Shape[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, k) => {
    const ds = shapes.map((s) => s[s.length - rank + k] ?? 1).filter((d) => d !== 1);
    if (ds.some((d) => d !== ds[0])) throw new Error(`${op}: shapes ${shapes.map(shapeStr).join(' and ')} cannot be broadcast together`);
    return ds.length ? ds[0] : 1;
  });
}

/**
 * The arrays broadcast to their common shape (numpy's broadcast_arrays).
 * @example const [a, b] = np.broadcastArrays(col, row) // both [n, m]
 */
export function broadcastArrays(...xs: readonly NdArray[]): NdArray[] {
  const shape = broadcastShapesFor('broadcastArrays', xs.map(shapeOf));
  return xs.map((x) => lax.broadcastTo(x, shape));
}
