/** jax.scipy.stats.truncnorm: the normal distribution truncated to [a, b] (in standard units), with `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { logNdtr, ndtr } from '../special-ndtr.js';
import { type Operand, asFloat } from '../util.js';
import * as norm from './norm.js';
import { standardize } from './standardize.js';

/** log(e^x - e^y) for x >= y. */
function logDiff(x: NdArray, y: NdArray): NdArray {
  return np.add(x, np.log1p(np.neg(np.exp(np.sub(y, x)))));
}

/**
 * log of the standard normal's mass in [a, b] (JAX's _log_gauss_mass, after SciPy): in the
 * left tail as a difference of log_ndtr's, the right tail mirrored onto it, and across 0 as
 * log1p(-ndtr(a) - ndtr(-b)).
 */
function logGaussMass(a: NdArray, b: NdArray): NdArray {
  const right = np.greater(a, 0);
  const central = np.logicalAnd(np.greater(b, 0), np.logicalNot(right));
  const [lo, hi] = [np.where(right, np.neg(b), a), np.where(right, np.neg(a), b)];
  const tail = logDiff(logNdtr(hi), logNdtr(lo));
  return np.where(central, np.log1p(np.sub(np.neg(ndtr(a)), ndtr(np.neg(b)))), tail);
}

/** log density: norm.logpdf - log mass of [a, b] inside, -inf outside; NaN unless a < b. */
export function logpdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const [lo, hi] = np.broadcastArrays(asFloat(a), asFloat(b));
  const z = standardize(x, loc, scale);
  const value = np.sub(norm.logpdf(x, loc, scale), logGaussMass(lo, hi));
  const outside = np.logicalOr(np.less(z, lo), np.greater(z, hi));
  return np.where(np.greaterEqual(lo, hi), NaN, np.where(outside, -Infinity, value));
}

/** density. */
export function pdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, a, b, loc, scale));
}

/** log P(X <= x): mass of [a, z] over mass of [a, b]; log1p(-sf) where that is above -0.1 (JAX's select, after SciPy). */
export function logcdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const [z, lo, hi] = np.broadcastArrays(standardize(x, loc, scale), asFloat(a), asFloat(b));
  const total = logGaussMass(lo, hi);
  const zc = np.clip(z, lo, hi);
  const below = np.sub(logGaussMass(lo, zc), total);
  const above = np.sub(logGaussMass(zc, hi), total);
  const value = np.where(np.greater(below, -0.1), np.log1p(np.neg(np.exp(above))), below);
  const edged = np.where(np.greaterEqual(z, hi), 0, np.where(np.lessEqual(z, lo), -Infinity, value));
  return np.where(np.greaterEqual(lo, hi), NaN, edged);
}

/** P(X <= x). */
export function cdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logcdf(x, a, b, loc, scale));
}

/** log P(X > x): logcdf of the mirror image -x on [-b, -a]. */
export function logsf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logcdf(np.neg(asFloat(x)), np.neg(asFloat(b)), np.neg(asFloat(a)), np.neg(asFloat(loc)), scale);
}

/** P(X > x). */
export function sf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logsf(x, a, b, loc, scale));
}
