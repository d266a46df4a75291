/** Polynomials and integration of samples: polyval and trapezoid. */
import { normAxis, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
import { type ArrayOrNumber, add, div, mul, sum } from './math.js';
import { diff, unstack } from './manipulation.js';
import { sliceAxis } from './shape.js';

/**
 * The polynomial with coefficients p (highest power first) at x, by Horner's rule
 * (numpy's polyval).
 * @example np.polyval(np.array([3, 0, 1]), x) // 3x^2 + 1
 */
export function polyval(p: NdArray | readonly number[], x: NdArray): NdArray {
  if (!isNumberList(p) && shapeOf(p).length !== 1) throw new Error(`polyval: coefficients must be 1-D, got ${shapeStr(shapeOf(p))}`);
  const cs: readonly ArrayOrNumber[] = isNumberList(p) ? p : unstack(p, 0);
  // From zeros, as numpy (so an infinite x gives NaN there too).
  return cs.reduce<NdArray>((acc, c) => add(mul(acc, x), c), lax.zerosLike(x));
}

function isNumberList(p: NdArray | readonly number[]): p is readonly number[] {
  return Array.isArray(p);
}

/** trapezoid's options: the sample points `x`, or the spacing `dx` (default 1), and the `axis` (default -1). */
export interface TrapezoidOptions { readonly x?: NdArray; readonly dx?: number; readonly axis?: number }

/**
 * The integral of samples y along `axis` by the trapezoidal rule, at sample points x (an
 * array along that axis) or with spacing dx (numpy's trapezoid). The second argument is
 * `{ x, dx, axis }`, or x (or null) followed by dx and axis, NumPy's positional order.
 * @example np.trapezoid(y, { dx: 0.5 }); np.trapezoid(y, x); np.trapezoid(y, null, 0.5, 0)
 */
export function trapezoid(y: NdArray, xOrOptions: NdArray | null | TrapezoidOptions = {}, dxArg?: number, axisArg?: number): NdArray {
  const positional = xOrOptions === null || isArray(xOrOptions);
  const { x, dx = 1, axis = -1 } = positional ? { x: xOrOptions ?? undefined, dx: dxArg, axis: axisArg } : xOrOptions;
  const s = shapeOf(y);
  const a = normAxis(axis, s.length, 'trapezoid');
  const n = s[a];
  const mid = div(add(sliceAxis(y, a, 1, n), sliceAxis(y, a, 0, Math.max(n - 1, 0))), 2);
  if (!x) return mul(sum(mid, a), dx);
  const sx = shapeOf(x);
  const d = sx.length === 1 ? diff(x) : diff(x, 1, a);
  const steps = sx.length === 1 ? lax.reshape(d, s.map((_, i) => (i === a ? n - 1 : 1))) : d;
  return sum(mul(mid, steps), a);
}

