/**
 * More of jax.numpy's maths, composed from np's functions so every transformation applies:
 * hypot, angle conversions, sinc, heaviside, fix, rint, logaddexp2, ptp, cross, kron,
 * vander, interp and unwrap. Float results are float32 (NumPy's float64 functions give
 * float32 here, as jax.numpy without x64).
 */
import { isFloat, normAxis, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import {
  type ArrayOrNumber,
  type Axis,
  abs,
  add,
  clip,
  div,
  equal,
  greater,
  greaterEqual,
  less,
  logicalAnd,
  logicalOr,
  max,
  min,
  mul,
  promote,
  round,
  sin,
  sqrt,
  sub,
  toFloat,
  where,
} from './math.js';
import { isinf, isnan, logaddexp, remainder, trunc } from './elementwise-math.js';
import { cumprod, cumsum } from './reductions.js';
import { diff, flip, moveaxis } from './manipulation.js';
import { concatenate, reshape, sliceAxis, stack, take } from './shape.js';
import { argsort, searchsorted } from './sorting.js';

/**
 * sqrt(x^2 + y^2) without overflow or underflow: the larger magnitude times
 * sqrt(1 + (smaller / larger)^2); inf if either is infinite (even with a NaN), as numpy.hypot.
 * @example np.hypot(np.array([3, 5]), 4) // [5, 6.4031243]
 */
export function hypot(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'hypot', 'float32');
  const [ax, ay] = [abs(a), abs(b)];
  // One comparison picks both, so at ties each operand gets its own derivative.
  const xLarger = greaterEqual(ax, ay);
  const [big, small] = [where(xLarger, ax, ay), where(xLarger, ay, ax)];
  const zero = equal(big, 0);
  const ratio = div(small, where(zero, 1, big));
  const h = where(zero, 0, mul(big, sqrt(add(1, mul(ratio, ratio)))));
  return where(logicalOr(isinf(a), isinf(b)), Infinity, h);
}

/**
 * Degrees to radians: x * pi / 180 (float32).
 * @example np.deg2rad(np.array([180, 90])) // [3.1415927, 1.5707964]
 */
export const deg2rad = (x: NdArray): NdArray => mul(toFloat(x), Math.PI / 180);

/**
 * Radians to degrees: x * 180 / pi (float32).
 * @example np.rad2deg(np.array([Math.PI])) // [180]
 */
export const rad2deg = (x: NdArray): NdArray => mul(toFloat(x), 180 / Math.PI);

/**
 * numpy.radians, the same as {@link deg2rad}.
 * @example np.radians(np.array([360])) // [6.2831855]
 */
export const radians = deg2rad;

/**
 * numpy.degrees, the same as {@link rad2deg}.
 * @example np.degrees(np.array([1])) // [57.29578]
 */
export const degrees = rad2deg;

/** Below this |pi x|, sinc is its Taylor series 1 - z^2/6 + z^4/120 (truncation error < z^6/5040 = 2e-10). */
const SINC_SERIES_BELOW = 0.1;

/**
 * The normalized sinc, sin(pi x) / (pi x), with sinc(0) = 1 (numpy.sinc). Near 0 it is
 * its Taylor series, so its derivatives there are finite and right (0, then -pi^2 / 3),
 * as JAX's.
 * @example np.sinc(np.array([0, 0.5, 1])) // [1, 0.63661975, 0]
 */
export function sinc(x: NdArray): NdArray {
  const z = mul(toFloat(x), Math.PI);
  const near = less(abs(z), SINC_SERIES_BELOW);
  // Each branch only sees inputs it is good for (no 0 / 0 to poison a derivative).
  const z2 = ((s) => mul(s, s))(where(near, z, 0));
  const series = add(1, mul(z2, add(-1 / 6, mul(z2, 1 / 120))));
  const far = where(near, 1, z);
  return where(near, series, div(sin(far), far));
}

/**
 * The Heaviside step: 0 for x < 0, h0 at x = 0, 1 for x > 0, NaN for NaN (numpy.heaviside;
 * float32, as jax.numpy's).
 * @example np.heaviside(np.array([-1, 0, 2]), 0.5) // [0, 0.5, 1]
 */
export function heaviside(x: ArrayOrNumber, h0: ArrayOrNumber): NdArray {
  const [a, h] = promote([x, h0], 'heaviside', 'float32');
  return where(isnan(a), a, where(less(a, 0), 0, where(greater(a, 0), 1, h)));
}

/**
 * Rounds towards zero (numpy.fix); int32 and bool arrays are returned as they are.
 * @example np.fix(np.array([-2.5, 2.5])) // [-2, 2]
 */
export const fix = (x: NdArray): NdArray => trunc(x);

/**
 * Rounds to the nearest integer, halves to even (numpy.rint); always float32, as jax.numpy's
 * (int32 and bool inputs are converted).
 * @example np.rint(np.array([0.5, 1.5, 2.5, -0.5])) // [0, 2, 2, -0]
 */
export function rint(x: NdArray): NdArray {
  const f = toFloat(x);
  const r = round(f);
  // -0.5 rounds to -0, as NumPy's (f * 0 is a zero with f's sign).
  return where(equal(r, 0), mul(f, 0), r);
}

/**
 * log2(2^x + 2^y) without overflow; -inf for two -inf (numpy.logaddexp2), as logaddexp of the
 * inputs in natural units.
 * @example np.logaddexp2(np.array([1, 100]), 1) // [2, 100]
 */
export function logaddexp2(x: ArrayOrNumber, y: ArrayOrNumber): NdArray {
  const [a, b] = promote([x, y], 'logaddexp2', 'float32');
  return div(logaddexp(mul(a, Math.LN2), mul(b, Math.LN2)), Math.LN2);
}

/**
 * Peak to peak: max - min over `axis` (all axes by default), in x's dtype (numpy.ptp).
 * @example np.ptp(np.array([[4, 9], [2, 1]]), 1) // [5, 1]
 */
export function ptp(x: NdArray, axis?: Axis, keepdims = false): NdArray {
  if (avalOf(x).dtype === 'bool') throw new Error('ptp: x must be a float32 or int32 array, got bool');
  return sub(max(x, axis, keepdims), min(x, axis, keepdims));
}

/** x's components along `axis` (the axis removed), the third one 0 for 2-vectors. */
function components(x: NdArray, axis: number, which: string): [NdArray, NdArray, ArrayOrNumber] {
  const s = shapeOf(x);
  const a = normAxis(axis, s.length, 'cross');
  const n = s[a];
  if (n !== 2 && n !== 3) throw new Error(`cross: ${which} has ${n} components along axis ${a} of shape ${shapeStr(s)}; it must have 2 or 3`);
  const moved = moveaxis(x, a, -1);
  const at = (i: number) => reshape(sliceAxis(moved, -1, i, i + 1), shapeOf(moved).slice(0, -1));
  return [at(0), at(1), n === 3 ? at(2) : 0];
}

/**
 * The cross product of vectors along `axisa` of a and `axisb` of b (2 or 3 components; a
 * 2-vector has z = 0), the other axes broadcasting; the result's vectors lie along `axisc`.
 * `axis` sets all three. Two 2-vectors give the z component alone, as numpy.cross.
 * @example np.cross(np.array([1, 0, 0]), np.array([0, 1, 0])) // [0, 0, 1]
 */
export function cross(a: NdArray, b: NdArray, axisa = -1, axisb = -1, axisc = -1, axis?: number): NdArray {
  if (axis !== undefined) [axisa, axisb, axisc] = [axis, axis, axis];
  const [a0, a1, a2] = components(a, axisa, 'a');
  const [b0, b1, b2] = components(b, axisb, 'b');
  const z = sub(mul(a0, b1), mul(a1, b0));
  if (typeof a2 === 'number' && typeof b2 === 'number') return z;
  // Each component has the broadcast shape of a's and b's other axes (a number 0 broadcasts away).
  const x = sub(mul(a1, b2), mul(a2, b1));
  const y = sub(mul(a2, b0), mul(a0, b2));
  return stack([x, y, z], normAxis(axisc, shapeOf(z).length + 1, 'cross'));
}

/**
 * The Kronecker product: blocks a[i, j, ...] * b (numpy.kron; the lower-rank operand gets
 * leading 1s); its shape is the elementwise product of the shapes.
 * @example np.kron(np.eye(2), np.ones([2, 2])) // [4, 4] block diagonal
 */
export function kron(a: NdArray, b: NdArray): NdArray {
  const r = Math.max(shapeOf(a).length, shapeOf(b).length);
  const lead = (s: readonly number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const [sa, sb] = [lead(shapeOf(a)), lead(shapeOf(b))];
  const pairs = mul(reshape(a, sa.flatMap((d) => [d, 1])), reshape(b, sb.flatMap((d) => [1, d])));
  return reshape(pairs, sa.map((d, i) => d * sb[i]));
}

/**
 * The Vandermonde matrix of the 1-D x: columns x^(N-1), ..., x, 1 (x^0 first with
 * `increasing`), N = x's length by default (numpy.vander); powers by running products.
 * @example np.vander(np.array([1, 2, 3]), 3) // [[1, 1, 1], [4, 2, 1], [9, 3, 1]]
 */
export function vander(x: NdArray, N?: number, increasing = false): NdArray {
  const s = shapeOf(x);
  if (s.length !== 1) throw new Error(`vander: x must be 1-D, got shape ${shapeStr(s)}`);
  const cols = N ?? s[0];
  if (!Number.isInteger(cols) || cols < 0) throw new Error(`vander: N must be a non-negative integer, got ${cols}`);
  const col = reshape(x, [s[0], 1]);
  const repeated = lax.broadcastTo(col, [s[0], cols]);
  // [1, x, x, ...] -> [1, x, x^2, ...]; the first column x^0 = 1 (where x is NaN too, as NumPy).
  const powers = cols === 0 ? repeated : cumprod(concatenate([where(1, 1, col), sliceAxis(repeated, 1, 1, null)], 1), 1);
  return increasing ? powers : flip(powers, 1);
}

/** The first or last element of a 1-D array, as a scalar. */
const end = (v: NdArray, last: boolean) => {
  const n = shapeOf(v)[0];
  return reshape(last ? sliceAxis(v, 0, n - 1, n) : sliceAxis(v, 0, 0, 1), []);
};

/**
 * Piecewise-linear interpolation of the points (xp, fp) at x (numpy.interp): xp increasing,
 * fp[0] (or `left`) below xp[0] and fp[-1] (or `right`) above xp[-1]; with `period`, x and xp
 * are angles (left and right are then ignored, and xp need not be sorted). NaN x gives NaN.
 * Differentiable in x, xp and fp; traceable (the segment is found with searchsorted).
 * @example np.interp(np.array([0.5, 2.5]), np.array([0, 1, 2]), np.array([0, 10, 20])) // [5, 20]
 */
export function interp(x: NdArray, xp: NdArray, fp: NdArray, left?: number, right?: number, period?: number): NdArray {
  const [sp, sf] = [shapeOf(xp), shapeOf(fp)];
  if (sp.length !== 1 || sf.length !== 1 || sp[0] !== sf[0] || sp[0] === 0)
    throw new Error(`interp: xp and fp must be non-empty 1-D arrays of one length, got shapes ${shapeStr(sp)} and ${shapeStr(sf)}`);
  let [xs, xps, fps] = [toFloat(x), toFloat(xp), toFloat(fp)];
  if (period !== undefined) {
    if (period === 0 || !Number.isFinite(period)) throw new Error(`interp: period must be a finite non-zero number, got ${period}`);
    const p = Math.abs(period);
    [left, right] = [undefined, undefined];
    xs = remainder(xs, p);
    const order = argsort(remainder(xps, p));
    [xps, fps] = [take(remainder(xps, p), order), take(fps, order)];
    // One point wrapped around at each end.
    [xps, fps] = [concatenate([reshape(sub(end(xps, true), p), [1]), xps, reshape(add(end(xps, false), p), [1])]), concatenate([reshape(end(fps, true), [1]), fps, reshape(end(fps, false), [1])])];
  }
  const n = shapeOf(xps)[0];
  const [xFirst, xLast, fFirst, fLast] = [end(xps, false), end(xps, true), end(fps, false), end(fps, true)];
  let f: NdArray;
  if (n === 1) f = where(1, fFirst, xs); // NumPy: fp[0] for every x in range, NaN included
  else {
    const j = clip(searchsorted(xps, xs, 'right'), 1, n - 1); // xp[j - 1] <= x < xp[j]
    const j0 = sub(j, 1);
    const [x0, x1, f0, f1] = [take(xps, j0), take(xps, j), take(fps, j0), take(fps, j)];
    const dx = sub(x1, x0);
    const flat = equal(dx, 0);
    const slope = div(sub(f1, f0), where(flat, 1, dx));
    // NumPy's formula, and its fallbacks where infinite fp make it NaN: from the right end, then equal neighbours.
    const formula = where(flat, f0, add(mul(slope, sub(xs, x0)), f0));
    const fromLeft = where(logicalAnd(isnan(formula), equal(xs, x0)), f0, formula); // x = xp[j] exactly: fp[j] (infinite slope)
    const fromRight = where(isnan(fromLeft), add(mul(slope, sub(xs, x1)), f1), fromLeft);
    f = where(equal(xs, xLast), fLast, where(logicalAnd(isnan(fromRight), equal(f0, f1)), f0, fromRight));
  }
  return where(less(xs, xFirst), left ?? fFirst, where(greater(xs, xLast), right ?? fLast, f));
}

/**
 * Unwraps phase angles p along `axis`: where consecutive values jump by more than
 * `discont` (default period / 2), adds multiples of `period` (default 2 pi) so the jump is
 * at most period / 2 (numpy.unwrap; float32, or int32 for int32 p and an integral period, as
 * jax.numpy and NumPy). Its derivative is the identity.
 * @example np.unwrap(np.array([0, 3, 6.5])) // [0, 3, 0.21681469]
 */
export function unwrap(p: NdArray, discont?: number, axis = -1, period = 2 * Math.PI): NdArray {
  // int32 (or bool) phases with an integral period stay int32, with half a period floored (jax.numpy, NumPy).
  const integral = !isFloat(avalOf(p).dtype) && Number.isInteger(period);
  const f = integral ? lax.cast(p, 'int32') : toFloat(p);
  const a = normAxis(axis, shapeOf(f).length, 'unwrap');
  const n = shapeOf(f)[a];
  if (n < 2) return f;
  const dd = diff(f, 1, a);
  const high = integral ? Math.floor(period / 2) : period / 2;
  const wrapped = sub(remainder(add(dd, high), period), high);
  // A jump of exactly half a period keeps its sign (NumPy's boundary rule).
  const ddmod = where(logicalAnd(equal(wrapped, -high), greater(dd, 0)), high, wrapped);
  const correction = where(less(abs(dd), discont ?? period / 2), 0, sub(ddmod, dd));
  return concatenate([sliceAxis(f, a, 0, 1), add(sliceAxis(f, a, 1, null), cumsum(correction, a))], a);
}
