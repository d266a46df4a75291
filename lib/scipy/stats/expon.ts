/** jax.scipy.stats.expon: the exponential distribution on [loc, inf) with `scale` = 1 / rate. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, logInside } from '../util.js';
import { logScale, probability, standardize, unstandardize } from './standardize.js';

/** log density: -z - log(scale) for z >= 0, -inf below. */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = standardize(x, loc, scale);
  return logInside(np.greaterEqual(z, 0), np.sub(np.neg(z), logScale(scale)));
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** P(X <= x) = -expm1(-z) (0 below loc). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.neg(np.expm1(np.neg(np.maximum(standardize(x, loc, scale), 0))));
}

/** log P(X <= x) = log(1 - exp(-z)): log(-expm1(-z)) up to log 2, log1p(-exp(-z)) beyond (-inf below loc). */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = np.maximum(standardize(x, loc, scale), 0);
  const near = np.less(z, Math.LN2);
  return np.where(near, np.log(np.neg(np.expm1(np.neg(z)))), np.log1p(np.neg(np.exp(np.neg(z)))));
}

/** P(X > x) = exp(-z) (1 below loc). */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logsf(x, loc, scale));
}

/** log P(X > x) = -z (0 below loc). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.neg(np.maximum(standardize(x, loc, scale), 0));
}

/** The quantile function -log(1 - q), moved and scaled; NaN for q outside [0, 1] (JAX, SciPy). */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(np.neg(np.log1p(np.neg(probability(q)))), loc, scale);
}
