/** jax.numpy's polynomial arithmetic on coefficient arrays (highest power first): polyadd, polysub, polymul, polyder, polyint, polyfit. */
import * as tf from '@tensorflow/tfjs-core';
import { shapeStr } from '../core/aval.js';
import * as lax from '../core/lax.js';
import { resultDType } from '../core/promotion.js';
import { type NdArray, avalOf, shapeOf } from '../core/trace.js';
import { abs, add, div, greaterEqual, mul, neg, sqrt, sum, toFloat } from './math.js';
import { lstsq } from './linalg-more.js';
import { trimZeros } from './manipulation.js';
import { vander } from './more-math.js';
import { convolve } from './signal.js';
import { reshape, sliceAxis } from './shape.js';

/** A polynomial's coefficients: a 1-D array or a JS list (float32). */
export type Coefficients = NdArray | readonly number[];

/** p as a 1-D array (a JS list as float32; a 0-d array as one coefficient). */
function coefficients(p: Coefficients, op: string): NdArray {
  const a = Array.isArray(p) ? tf.tensor1d([...(p as readonly number[])], 'float32') : (p as NdArray);
  const s = shapeOf(a);
  if (s.length > 1) throw new Error(`${op}: coefficients must be 1-D, got ${shapeStr(s)}`);
  return s.length === 0 ? reshape(a, [1]) : a;
}

/** Two coefficient arrays in their common dtype (not broadcast: their lengths may differ). */
function together(a1: Coefficients, a2: Coefficients, op: string): [NdArray, NdArray] {
  const [p, q] = [coefficients(a1, op), coefficients(a2, op)];
  const dtype = resultDType([p, q]);
  return [lax.cast(p, dtype), lax.cast(q, dtype)];
}

/** The sum of two polynomials: the shorter one padded with leading zeros (numpy's polyadd). */
export function polyadd(a1: Coefficients, a2: Coefficients): NdArray {
  const [p, q] = together(a1, a2, 'polyadd');
  const [n, m] = [shapeOf(p)[0], shapeOf(q)[0]];
  const n0 = Math.max(n, m);
  return add(lax.pad(p, [n0 - n], [0], undefined, 0), lax.pad(q, [n0 - m], [0], undefined, 0));
}

/** a1 - a2 as polynomials (numpy's polysub). */
export function polysub(a1: Coefficients, a2: Coefficients): NdArray {
  return polyadd(a1, neg(coefficients(a2, 'polysub')));
}

/** The product of two polynomials, a full convolution (numpy's polymul); `trimLeadingZeros` (jax.numpy's, eager only) drops leading zeros first. */
export function polymul(a1: Coefficients, a2: Coefficients, trimLeadingZeros = false): NdArray {
  let [p, q] = together(a1, a2, 'polymul');
  if (trimLeadingZeros) [p, q] = [trimZeros(p, 'f'), trimZeros(q, 'f')];
  const nonEmpty = (v: NdArray) => (shapeOf(v)[0] === 0 ? lax.full([1], 0, avalOf(v).dtype) : v);
  return convolve(nonEmpty(p), nonEmpty(q));
}

/** The m-th derivative of a polynomial (numpy's polyder): m fewer coefficients (none left for m >= its length). */
export function polyder(p: Coefficients, m = 1): NdArray {
  if (!Number.isInteger(m) || m < 0) throw new Error(`polyder: m must be a non-negative integer, got ${m}`);
  const c = coefficients(p, 'polyder');
  const n = shapeOf(c)[0];
  if (m === 0) return c;
  const len = Math.max(n - m, 0);
  // The coefficient of x^j (j = len - 1 - i) gains (j + m)! / j!.
  const factors = Array.from({ length: len }, (_, i) => {
    const j = len - 1 - i;
    let f = 1;
    for (let k = j + 1; k <= j + m; k++) f *= k;
    return f;
  });
  return mul(sliceAxis(c, 0, 0, len), lax.cast(tf.tensor1d(factors, 'float32'), avalOf(c).dtype === 'float32' ? 'float32' : 'int32'));
}

/**
 * The m-th antiderivative of a polynomial (numpy's polyint), float32: m more coefficients,
 * the integration constants `k` (one number for all, or m of them, the first for the first
 * integration; default 0) as the last ones, as NumPy.
 */
export function polyint(p: Coefficients, m = 1, k: number | readonly number[] = 0): NdArray {
  if (!Number.isInteger(m) || m < 0) throw new Error(`polyint: m must be a non-negative integer, got ${m}`);
  const c = toFloat(coefficients(p, 'polyint'));
  if (m === 0) return c;
  const ks = typeof k === 'number' ? new Array<number>(m).fill(k) : [...k];
  if (ks.length !== m) throw new Error(`polyint: k must be a number or ${m} numbers, got ${ks.length}`);
  const n = shapeOf(c)[0];
  // Position i (of n + m) holds the coefficient of x^(n + m - 1 - i), divided by the product of max(1, power - r) over the m integrations.
  const divisors = Array.from({ length: n + m }, (_, i) => {
    const col = n + m - 1 - i;
    let f = 1;
    for (let r = 0; r < m; r++) f *= Math.max(1, col - r);
    return f;
  });
  return div(lax.concatenate([c, tf.tensor1d(ks, 'float32')], 0), tf.tensor1d(divisors, 'float32'));
}

export interface PolyfitOptions {
  /** Relative cut-off for small singular values (default len(x) * float32 eps, as JAX). */
  readonly rcond?: number;
  /** Weights of the sample points (multiplying the residuals, as NumPy). */
  readonly w?: NdArray;
}

/**
 * The least-squares polynomial of degree `deg` through (x, y) (numpy's polyfit), coefficients
 * highest power first; y [n] or [n, k] (k fits, coefficients [deg + 1, k]). The Vandermonde
 * columns are scaled to unit norm before np.linalg.lstsq, as NumPy and JAX.
 * @example np.polyfit(x, y, 2) // [a, b, c] of a x^2 + b x + c
 */
export function polyfit(x: NdArray, y: NdArray, deg: number, { rcond, w }: PolyfitOptions = {}): NdArray {
  const [sx, sy] = [shapeOf(x), shapeOf(y)];
  if (!Number.isInteger(deg) || deg < 0) throw new Error(`polyfit: deg must be a non-negative integer, got ${deg}`);
  if (sx.length !== 1 || sx[0] === 0) throw new Error(`polyfit: x must be non-empty and 1-D, got ${shapeStr(sx)}`);
  if ((sy.length !== 1 && sy.length !== 2) || sy[0] !== sx[0]) throw new Error(`polyfit: y must be [${sx[0]}] or [${sx[0]}, k], got ${shapeStr(sy)}`);
  let lhs = vander(toFloat(x), deg + 1);
  let rhs = toFloat(y);
  if (w) {
    if (shapeStr(shapeOf(w)) !== shapeStr(sx)) throw new Error(`polyfit: w must have x's shape ${shapeStr(sx)}, got ${shapeStr(shapeOf(w))}`);
    lhs = mul(lhs, reshape(w, [sx[0], 1]));
    rhs = mul(rhs, sy.length === 1 ? w : reshape(w, [sx[0], 1]));
  }
  const scale = sqrt(sum(mul(lhs, lhs), 0));
  const [c] = lstsq(div(lhs, reshape(scale, [1, deg + 1])), rhs, rcond ?? sx[0] * 2 ** -23);
  return div(c, sy.length === 1 ? scale : reshape(scale, [deg + 1, 1]));
}


/**
 * Polynomial long division (jax.numpy's polydiv): [quotient, remainder], float32. As in JAX the
 * remainder keeps u's length (leading zeros; NumPy trims them); `trimLeadingZeros` (eager)
 * drops its leading entries below sqrt(eps) in magnitude.
 * @example np.polydiv([1, -3, 2], [1, -1]) // [[1, -2], [0, 0, 0]]
 */
export function polydiv(u: Coefficients, v: Coefficients, trimLeadingZeros = false): [NdArray, NdArray] {
  const [p, q] = [toFloat(coefficients(u, 'polydiv')), toFloat(coefficients(v, 'polydiv'))];
  const [m, n] = [shapeOf(p)[0] - 1, shapeOf(q)[0] - 1];
  if (n < 0) throw new Error('polydiv: the divisor has no coefficients');
  const scale = div(1, sliceAxis(q, 0, 0, 1));
  const quotient: NdArray[] = [];
  let r = p;
  for (let k = 0; k <= m - n; k++) {
    const d = mul(scale, sliceAxis(r, 0, k, k + 1));
    quotient.push(d);
    // r[k : k + n + 1] -= d * v
    r = add(r, lax.pad(neg(mul(d, q)), [k], [m - n - k]));
  }
  const qOut = quotient.length === 0 ? lax.full([1], 0, 'float32') : lax.concatenate(quotient, 0);
  return [qOut, trimLeadingZeros ? trimLeadingSmall(r, Math.sqrt(2 ** -23)) : r];
}

/** r without its leading entries of magnitude below tol (JAX's trim_zeros_tol, eager: the values are read). */
function trimLeadingSmall(r: NdArray, tol: number): NdArray {
  const fromFirstLarge = trimZeros(lax.cast(greaterEqual(abs(r), tol), 'int32'), 'f');
  return sliceAxis(r, 0, shapeOf(r)[0] - shapeOf(fromFirstLarge)[0], null);
}

/**
 * The coefficients (highest power first, float32) of the monic polynomial whose roots are
 * the 1-D `zeros` (numpy's poly; 2-D input, whose eigenvalues NumPy takes, is not supported).
 * @example np.poly([1, 2]) // [1, -3, 2]
 */
export function poly(zeros: Coefficients): NdArray {
  const z = toFloat(coefficients(zeros, 'poly'));
  let a: NdArray = lax.full([1], 1, 'float32');
  for (let k = 0; k < shapeOf(z)[0]; k++) a = convolve(a, lax.concatenate([lax.full([1], 1, 'float32'), neg(sliceAxis(z, 0, k, k + 1))], 0));
  return a;
}
