/** np.where's two forms: where(cond, x, y) chooses elementwise; where(cond) is nonzero(cond) (jax.numpy). */
import { type NdArray, isArray } from '../core/trace.js';
import { type ArrayOrNumber, where as choose } from './math.js';
import { type NonzeroOptions, nonzero } from './nonzero.js';

/**
 * Elementwise choice `cond ? x : y` (cond by truth value; all three broadcast, x and y promote
 * together); with cond alone (and optionally jax.numpy's `{ size, fillValue }`), the indices of
 * its nonzero elements, one int32 array per axis, as `np.nonzero(cond)`.
 * @example np.where(np.greater(x, 0), x, 0)
 * @example const [rows, cols] = np.where(mask)
 */
export function where(cond: ArrayOrNumber, x: ArrayOrNumber, y: ArrayOrNumber): NdArray;
export function where(cond: NdArray, options?: NonzeroOptions): NdArray[];
export function where(cond: ArrayOrNumber, x?: ArrayOrNumber | NonzeroOptions, y?: ArrayOrNumber): NdArray | NdArray[] {
  const xIsValue = typeof x === 'number' || isArray(x);
  if (xIsValue && y !== undefined) return choose(cond, x, y);
  if (xIsValue || y !== undefined) throw new Error('where: give cond, x and y, or cond alone (the indices where it is nonzero)');
  if (typeof cond === 'number') throw new Error('where: cond alone must be an array (its nonzero indices are returned)');
  return nonzero(cond, x);
}
