/**
 * jax.numpy's dtype predicates for complex numbers, and np.iterable. tfjax's arrays are all
 * real (bool, int32, float32), so isreal is true everywhere, iscomplex false everywhere,
 * isrealobj true and iscomplexobj false, as jax.numpy gives for real dtypes.
 */
import * as lax from '../core/lax.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';

const shapeOfValue = (x: NdArray | number | boolean) => (isArray(x) ? [...shapeOf(x)] : []);

/** Whether each element has no imaginary part (numpy's isreal): a bool array of x's shape, all true here. */
export const isreal = (x: NdArray | number | boolean): NdArray => lax.full(shapeOfValue(x), 1, 'bool');

/** Whether each element has a nonzero imaginary part (numpy's iscomplex): a bool array of x's shape, all false here. */
export const iscomplex = (x: NdArray | number | boolean): NdArray => lax.full(shapeOfValue(x), 0, 'bool');

/** Whether x's dtype is not complex (numpy's isrealobj): a JS boolean, true for every tfjax array and number. */
export const isrealobj = (_x: unknown): boolean => true;

/** Whether x's dtype is complex (numpy's iscomplexobj): a JS boolean, false for every tfjax array and number. */
export const iscomplexobj = (_x: unknown): boolean => false;

/**
 * Whether x can be iterated (numpy's iterable, which jax.numpy re-exports): an array of rank >= 1
 * (a 0-d array cannot, as in NumPy), a string, or any JS iterable (Array, Map, Set, ...).
 * @example np.iterable(np.array([1, 2])) // true; np.iterable(np.array(3)) // false; np.iterable(3) // false
 */
export function iterable(x: unknown): boolean {
  if (isArray(x)) return shapeOf(x).length > 0;
  return typeof x === 'string' || (typeof x === 'object' && x !== null && typeof (x as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function');
}
