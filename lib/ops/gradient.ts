/**
 * numpy's gradient: second-order central differences inside, one-sided differences at the
 * ends, with uniform (a number) or coordinate (a 1-D array) spacing per axis.
 */
import { normAxes, shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { type NdArray, isArray, shapeOf } from '../core/trace.js';
import { type ArrayOrNumber, add, div, mul, neg, sub, toFloat } from './math.js';
import { concatenate, sliceAxis } from './shape.js';

/** gradient's options: jax.numpy's keyword arguments. */
export interface GradientOptions {
  /** The axis or axes to differentiate along (default: every axis). */
  readonly axis?: number | readonly number[] | null;
  /** 1 (default; jax.numpy's only) or 2: the order of the one-sided differences at the ends (NumPy). */
  readonly edgeOrder?: 1 | 2;
}

/** One axis's spacing: the step between samples (a number or 0-d array), or their coordinates along the axis. */
type Spacing = { readonly step: ArrayOrNumber } | { readonly coords: NdArray };

/**
 * The numerical gradient of sampled values f (numpy's and jax.numpy's gradient): after f
 * come the spacings (none: 1; one: for every axis; or one per axis, each a number or an
 * array of coordinates along that axis), then optionally `{ axis, edgeOrder }`. Returns one
 * array for one axis, else one per axis. Results are float32.
 * @example np.gradient(np.array([1, 2, 4, 7, 11])) // [1, 1.5, 2.5, 3.5, 4]
 * @example const [gy, gx] = np.gradient(f, 0.5, xs) as NdArray[]
 */
export function gradient(f: NdArray, ...rest: (ArrayOrNumber | GradientOptions)[]): NdArray | NdArray[] {
  const last = rest.at(-1);
  const hasOptions = last !== undefined && typeof last !== 'number' && !isArray(last);
  const opts = (hasOptions ? last : {}) as GradientOptions;
  const spacing = (hasOptions ? rest.slice(0, -1) : rest) as ArrayOrNumber[];
  const x = toFloat(f);
  const s = shapeOf(x);
  const { axis = null, edgeOrder = 1 } = opts;
  if (edgeOrder !== 1 && edgeOrder !== 2) throw new Error(`gradient: edgeOrder must be 1 or 2, got ${String(edgeOrder)}`);
  const axes = axis === null ? [...s.keys()] : normAxes(typeof axis === 'number' ? [axis] : axis, s.length, 'gradient');
  if (axes.length === 0) return [];
  for (const a of axes)
    if (s[a] < edgeOrder + 1) throw new Error(`gradient: axis ${a} of shape ${shapeStr(s)} needs at least ${edgeOrder + 1} samples for edgeOrder ${edgeOrder}`);
  if (spacing.length > 1 && spacing.length !== axes.length) throw new Error(`gradient: ${spacing.length} spacings given for ${axes.length} axes (give none, one, or one per axis)`);
  const grads = axes.map((a, i) => alongAxis(x, a, toSpacing(spacing.length === 0 ? 1 : spacing[spacing.length === 1 ? 0 : i], s, a), edgeOrder));
  return grads.length === 1 ? grads[0] : grads;
}

function toSpacing(h: ArrayOrNumber, s: readonly number[], axis: number): Spacing {
  if (typeof h === 'number' || shapeOf(h).length === 0) return { step: typeof h === 'number' ? h : toFloat(h) };
  const hs = shapeOf(h);
  if (hs.length !== 1 || hs[0] !== s[axis]) throw new Error(`gradient: spacing ${shapeStr(hs)} for axis ${axis} must be a scalar or 1-D of length ${s[axis]}`);
  return { coords: lax.reshape(toFloat(h), s.map((d, i) => (i === axis ? d : 1))) };
}

/** a * p + b * q + c * r. */
const combine = (a: ArrayOrNumber, p: NdArray, b: ArrayOrNumber, q: NdArray, c: ArrayOrNumber, r: NdArray) => add(add(mul(a, p), mul(b, q)), mul(c, r));

/** The derivative along one axis: NumPy's stencils (uniform spacing keeps its simpler formulas, as NumPy). */
function alongAxis(x: NdArray, axis: number, h: Spacing, edgeOrder: 1 | 2): NdArray {
  const n = shapeOf(x)[axis];
  const f = (start: number, stop: number) => sliceAxis(x, axis, start, stop);
  let inner: NdArray;
  let first: NdArray;
  let last: NdArray;
  if ('step' in h) {
    const d = h.step;
    inner = div(sub(f(2, n), f(0, n - 2)), mul(2, d));
    first = edgeOrder === 1 ? div(sub(f(1, 2), f(0, 1)), d) : div(combine(-1.5, f(0, 1), 2, f(1, 2), -0.5, f(2, 3)), d);
    last = edgeOrder === 1 ? div(sub(f(n - 1, n), f(n - 2, n - 1)), d) : div(combine(0.5, f(n - 3, n - 2), -2, f(n - 2, n - 1), 1.5, f(n - 1, n)), d);
  } else {
    const c = (start: number, stop: number) => sliceAxis(h.coords, axis, start, stop);
    const dx = sub(c(1, n), c(0, n - 1)); // n - 1 steps
    const step = (start: number, stop: number) => sliceAxis(dx, axis, start, stop);
    const [dx1, dx2] = [step(0, n - 2), step(1, n - 1)];
    const sum12 = add(dx1, dx2);
    inner = combine(div(neg(dx2), mul(dx1, sum12)), f(0, n - 2), div(sub(dx2, dx1), mul(dx1, dx2)), f(1, n - 1), div(dx1, mul(dx2, sum12)), f(2, n));
    if (edgeOrder === 1) {
      first = div(sub(f(1, 2), f(0, 1)), step(0, 1));
      last = div(sub(f(n - 1, n), f(n - 2, n - 1)), step(n - 2, n - 1));
    } else {
      const [a1, a2] = [step(0, 1), step(1, 2)];
      const s1 = add(a1, a2);
      first = combine(div(neg(add(mul(2, a1), a2)), mul(a1, s1)), f(0, 1), div(s1, mul(a1, a2)), f(1, 2), div(neg(a1), mul(a2, s1)), f(2, 3));
      const [b1, b2] = [step(n - 3, n - 2), step(n - 2, n - 1)];
      const s2 = add(b1, b2);
      last = combine(div(b2, mul(b1, s2)), f(n - 3, n - 2), div(neg(s2), mul(b1, b2)), f(n - 2, n - 1), div(add(mul(2, b2), b1), mul(b2, s2)), f(n - 1, n));
    }
  }
  return concatenate([first, inner, last], axis);
}
