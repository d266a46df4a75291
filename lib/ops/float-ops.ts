/** Float-specific powers: float_power and ldexp (jax.numpy's, in float32 as JAX without x64). */
import * as lax from '../core/lax.js';
import { avalOf, type NdArray } from '../core/trace.js';
import { floorDivide } from './elementwise-math.js';
import { type ArrayOrNumber, mul, pow, sub, toFloat } from './math.js';

const asFloat = (v: ArrayOrNumber) => (typeof v === 'number' ? v : toFloat(v));

/** x ** y computed in float32 (numpy's float_power; JAX with 64-bit types disabled): int inputs give float results. */
export const floatPower = (x: ArrayOrNumber, y: ArrayOrNumber): NdArray =>
  // Two numbers are computed here: pow of two integral numbers would be an int32 power.
  typeof x === 'number' && typeof y === 'number' ? lax.full([], x ** y, 'float32') : pow(asFloat(x), asFloat(y));

/**
 * x1 * 2 ** x2 for integer x2 (numpy's ldexp), float32. The power is applied in two halves, so
 * a large exponent with a small x1 (ldexp(2 ** -100, 120)) does not overflow on the way.
 * @example np.ldexp(np.array([1, 3]), np.array([3, -1], 'int32')) // [8, 1.5]
 */
export function ldexp(x1: ArrayOrNumber, x2: ArrayOrNumber): NdArray {
  if (typeof x2 === 'number' ? !Number.isInteger(x2) : avalOf(x2).dtype === 'float32') throw new Error('ldexp: the exponent x2 must be an integer (int32 array or integral number)');
  const half = typeof x2 === 'number' ? Math.floor(x2 / 2) : floorDivide(x2, 2);
  const rest = typeof x2 === 'number' && typeof half === 'number' ? x2 - half : sub(x2, half);
  const twoTo = (e: ArrayOrNumber) => (typeof e === 'number' ? 2 ** e : pow(2, toFloat(e)));
  return toFloat(mul(mul(asFloat(x1), twoTo(half)), twoTo(rest)));
}
