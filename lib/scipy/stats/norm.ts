/** jax.scipy.stats.norm: the normal distribution with `loc` (mean) and `scale` (standard deviation). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { logNdtr, ndtr, ndtri } from '../special-ndtr.js';
import { type Operand, asFloat } from '../util.js';
import { logScale, standardize, unstandardize } from './standardize.js';

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** log density: -z^2 / 2 - log(scale) - log(2 pi) / 2. */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = standardize(x, loc, scale);
  return np.sub(np.sub(np.mul(np.mul(z, z), -0.5), logScale(scale)), HALF_LOG_2PI);
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** P(X <= x) (special.ndtr). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return ndtr(standardize(x, loc, scale));
}

/** log P(X <= x) (special.logNdtr: accurate far in the lower tail). */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logNdtr(standardize(x, loc, scale));
}

/** P(X > x) = ndtr(-z), accurate in the upper tail. */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return ndtr(np.neg(standardize(x, loc, scale)));
}

/** log P(X > x). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logNdtr(np.neg(standardize(x, loc, scale)));
}

/** The quantile function (inverse of cdf). */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(ndtri(asFloat(q)), loc, scale);
}

/** The inverse survival function, -ndtri(q) scaled (accurate for small q). */
export function isf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(np.neg(ndtri(asFloat(q))), loc, scale);
}
