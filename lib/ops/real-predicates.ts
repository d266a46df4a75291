/**
 * jax.numpy's dtype predicates for complex numbers, and np.iterable. tfjax's arrays are all
 * real (bool, int32, float32), so isreal is true everywhere, iscomplex false everywhere,
 * isrealobj true and iscomplexobj false, as jax.numpy gives for real dtypes; real and conj
 * are x, imag zeros and angle atan2(0, x).
 */
import * as lax from '../core/lax.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
import { fullLike } from './creation.js';
import { arctan2 } from './elementwise-math.js';
import { toFloat } from './math.js';
import { rad2deg } from './more-math.js';

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

/** x as an array: a JS number in its weak dtype, a boolean as bool. */
const asArray = (x: NdArray | number | boolean): NdArray =>
  isArray(x) ? x : lax.scalar(Number(x), typeof x === 'boolean' ? 'bool' : resultDType([x]));

/** The real part (numpy's real): x itself, as jax.numpy gives for a real dtype. */
export const real = (x: NdArray | number | boolean): NdArray => asArray(x);

/** The imaginary part (numpy's imag): zeros of x's shape and dtype, as jax.numpy gives for a real dtype. */
export const imag = (x: NdArray | number | boolean): NdArray => fullLike(asArray(x), 0);

/** The complex conjugate (numpy's conj / conjugate): x itself for a real dtype. */
export const conj = (x: NdArray | number | boolean): NdArray => asArray(x);
export { conj as conjugate };

/**
 * The argument of each element (numpy's angle) for real x: atan2(0, x), so 0 where x >= +0, pi
 * where x < 0 or x is -0, NaN at NaN; float32 (int32 and bool are cast), in degrees with `deg`.
 * Its derivative is 0, as jax.numpy's.
 * @example np.angle(np.array([2, -1])) // [0, 3.1415927]
 */
export function angle(x: NdArray | number | boolean, deg = false): NdArray {
  const f = toFloat(asArray(x));
  const rad = arctan2(fullLike(f, 0), f);
  return deg ? rad2deg(rad) : rad;
}
