/**
 * Integer number theory: gcd and lcm (jax.numpy's, NumPy's signs: results are non-negative).
 * Euclid's algorithm runs a fixed number of steps in one `lax.foriLoop`, enough for any
 * int32 pair, so both trace under jit and vmap like any elementwise function.
 */
import { type NdArray, avalOf } from '../core/trace.js';
import { lax as control } from '../core/control/index.js';
import { type ArrayOrNumber, abs, equal, mul, promote, where } from './math.js';
import { floorDivide, remainder } from './elementwise-math.js';

/**
 * Euclid's steps that bring any pair of int32 magnitudes to (gcd, 0): the worst case is a
 * pair of consecutive Fibonacci numbers, and F(47) > 2^31 already, so 46 steps suffice.
 */
const EUCLID_STEPS = 46;

/** The two operands as int32 magnitudes, broadcast to one rank; only int32 arrays and integer numbers are taken. */
function magnitudes(a: ArrayOrNumber, b: ArrayOrNumber, op: string): [NdArray, NdArray] {
  for (const [name, v] of [['a', a], ['b', b]] as const) {
    if (typeof v === 'number' ? !Number.isInteger(v) : avalOf(v).dtype !== 'int32')
      throw new Error(`${op}: ${name} must be an int32 array or an integer, got ${typeof v === 'number' ? v : avalOf(v).dtype}`);
  }
  const [x, y] = promote([a, b], op, 'int32');
  return [abs(x), abs(y)];
}

/** gcd of non-negative int32 arrays: (a, b) -> (b, a mod b) while b != 0, as a fixed-length loop. */
function euclid(x: NdArray, y: NdArray): NdArray {
  // Both broadcast to the result's shape first, so the loop's carry keeps one shape.
  const [a0, b0] = [where(1, x, y), where(1, y, x)];
  const [g] = control.foriLoop(0, EUCLID_STEPS, (_i: NdArray, [a, b]: [NdArray, NdArray]): [NdArray, NdArray] => {
    const done = equal(b, 0);
    return [where(done, a, b), where(done, 0, remainder(a, b))];
  }, [a0, b0] as [NdArray, NdArray]);
  return g;
}

/**
 * Greatest common divisor of int32 values, elementwise with broadcasting; non-negative
 * whatever the signs, and gcd(0, 0) = 0 (numpy.gcd).
 * @example np.gcd(np.array([12, -18, 0], 'int32'), 8) // [4, 2, 8]
 */
export function gcd(a: ArrayOrNumber, b: ArrayOrNumber): NdArray {
  return euclid(...magnitudes(a, b, 'gcd'));
}

/**
 * Least common multiple of int32 values, elementwise with broadcasting; non-negative, and
 * 0 when either is 0 (numpy.lcm; like NumPy, a product beyond int32 wraps around).
 * @example np.lcm(np.array([4, -6, 0], 'int32'), 6) // [12, 6, 0]
 */
export function lcm(a: ArrayOrNumber, b: ArrayOrNumber): NdArray {
  const [x, y] = magnitudes(a, b, 'lcm');
  const g = euclid(x, y);
  const zero = equal(g, 0);
  return where(zero, 0, mul(floorDivide(x, where(zero, 1, g)), y));
}
