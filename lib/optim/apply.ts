/** Applying updates to parameters, and optax's incremental / periodic parameter updates. */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, type NdArray, isTracer } from '../core/index.js';
import * as np from '../ops/index.js';
import * as tree from '../tree/index.js';

/**
 * `params + updates`, leaf by leaf (the updates already carry the sign: optimisers
 * return `-lr * direction`). The trees must have the same structure. Each result keeps its
 * parameter's dtype (optax's `apply_updates`: an int32 parameter stays int32), and an update of
 * another shape is refused rather than broadcast. A `null`
 * parameter stays `null` (optax's `None`), whatever its update.
 * @example params = applyUpdates(params, updates);
 */
export function applyUpdates<P>(params: P, updates: P): P {
  return tree.mapWithPath<P>((path: string, p: NdArray | null, u: NdArray) => {
    if (p === null) return null;
    // `p + u` would broadcast silently (an update tree of another model, a parameter changing shape).
    const [ps, us] = [shapeOf(p), shapeOf(u)];
    if (ps && us && (ps.length !== us.length || ps.some((d, i) => d !== us[i]))) {
      throw new Error(`applyUpdates: at ${path || '(root)'} the update has shape [${us.join(',')}], the parameter [${ps.join(',')}]`);
    }
    const y = np.add(p, u);
    return (p instanceof tf.Tensor || isTracer(p)) && y.dtype !== p.dtype ? np.cast(y, p.dtype as DType) : y;
  }, params, updates, { isLeaf: isNull });
}

const isNull = (x: unknown): boolean => x === null;
const shapeOf = (x: unknown): readonly number[] | null => (x instanceof tf.Tensor || isTracer(x) ? (x as NdArray).shape : null);

/**
 * optax's `incremental_update`: `stepSize * new + (1 - stepSize) * old`, leaf by leaf (a
 * Polyak average of target-network parameters; `stepSize` may be a scalar array). A `null` in
 * `newTensors` stays `null` (optax's `None`).
 * @example target = incrementalUpdate(online, target, 0.005);
 */
export function incrementalUpdate<T>(newTensors: T, oldTensors: T, stepSize: number | NdArray): T {
  const rest = typeof stepSize === 'number' ? 1 - stepSize : np.sub(1, stepSize);
  return tree.map<T>((n: NdArray | null, o: NdArray) => (n === null ? null : np.add(np.mul(n, stepSize), np.mul(o, rest))), newTensors, oldTensors, { isLeaf: isNull });
}

/**
 * optax's `periodic_update`: `newTensors` when `steps` is a multiple of `updatePeriod`, else
 * `oldTensors` (a target network refreshed every `updatePeriod` steps). `steps` may be an
 * int32 scalar array (e.g. from an optimiser state, inside `jit`).
 * @example target = periodicUpdate(online, target, step, 100);
 */
export function periodicUpdate<T>(newTensors: T, oldTensors: T, steps: number | NdArray, updatePeriod: number): T {
  if (!Number.isInteger(updatePeriod) || updatePeriod < 1) throw new Error(`periodicUpdate: updatePeriod must be an integer >= 1, got ${updatePeriod}`);
  if (typeof steps === 'number') return steps % updatePeriod === 0 ? newTensors : oldTensors;
  const now = np.equal(np.remainder(steps, updatePeriod), 0);
  return tree.map<T>((n: NdArray, o: NdArray) => np.where(now, n, o), newTensors, oldTensors);
}
