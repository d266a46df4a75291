/** jax.scipy.stats.gumbel_l: the left-skewed Gumbel distribution (gumbel_r mirrored about loc) with `loc` and `scale`; NaN for scale <= 0. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';
import { logDensity, logLower, logUpper, lower, quantile, upper, validScale } from './gumbel.js';
import { standardize, unstandardize } from './standardize.js';

/** The mirrored standard point u = (loc - x) / scale: X <= x exactly when U >= u. */
const mirrored = (x: Operand, loc: Operand, scale: Operand) => np.neg(standardize(x, loc, scale));

/** log density: z - exp(z) - log(scale), z = (x - loc) / scale. */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logDensity(mirrored(x, loc, scale), scale);
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** P(X <= x) = -expm1(-exp(z)), accurate in the lower tail. */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return upper(mirrored(x, loc, scale), scale);
}

/** log P(X <= x). */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logUpper(mirrored(x, loc, scale), scale);
}

/** P(X > x) = exp(-exp(z)). */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return lower(mirrored(x, loc, scale), scale);
}

/** log P(X > x) = -exp(z). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logLower(mirrored(x, loc, scale), scale);
}

/** The quantile function loc + scale log(-log1p(-q)) for 0 < q < 1 (small q keep their digits); NaN elsewhere (JAX: at 0 and 1 too). */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return validScale(scale, unstandardize(np.neg(quantile(asFloat(q), (p) => np.log1p(np.neg(p)))), loc, scale));
}
