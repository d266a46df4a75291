/** jax.scipy.stats.gumbel_r: the right-skewed Gumbel (extreme value) distribution with `loc` and `scale`; NaN for scale <= 0. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';
import { logDensity, logLower, logUpper, lower, quantile, upper, validScale } from './gumbel.js';
import { standardize, unstandardize } from './standardize.js';

/** log density: -z - exp(-z) - log(scale), z = (x - loc) / scale. */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logDensity(standardize(x, loc, scale), scale);
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** P(X <= x) = exp(-exp(-z)). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return lower(standardize(x, loc, scale), scale);
}

/** log P(X <= x) = -exp(-z). */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logLower(standardize(x, loc, scale), scale);
}

/** P(X > x) = -expm1(-exp(-z)), accurate in the upper tail. */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return upper(standardize(x, loc, scale), scale);
}

/** log P(X > x). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logUpper(standardize(x, loc, scale), scale);
}

/** The quantile function loc - scale log(-log q) for 0 < q < 1; NaN elsewhere (JAX: at 0 and 1 too). */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return validScale(scale, unstandardize(quantile(asFloat(q), np.log), loc, scale));
}
