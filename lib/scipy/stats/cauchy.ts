/** jax.scipy.stats.cauchy: the Cauchy distribution with `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import type { Operand } from '../util.js';
import { logScale, probability, standardize, unstandardize } from './standardize.js';

/** log density: -log(pi scale) - log(1 + z^2). */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = standardize(x, loc, scale);
  return np.sub(np.sub(np.neg(np.log1p(np.mul(z, z))), logScale(scale)), Math.log(Math.PI));
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** P(X <= x) = 1/2 + atan(z) / pi; in the lower tail as atan(-1/z) / pi, which keeps its digits. */
function standardCdf(z: NdArray): NdArray {
  const far = np.less(z, -1);
  const tail = np.div(np.arctan(np.div(-1, np.where(far, z, -2))), Math.PI);
  return np.where(far, tail, np.add(0.5, np.div(np.arctan(z), Math.PI)));
}

/** P(X <= x). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return standardCdf(standardize(x, loc, scale));
}

/** log of the standard CDF at z: log1p(-sf) above 0, where the CDF is near 1. */
function logStandardCdf(z: NdArray): NdArray {
  const upper = np.greater(z, 0);
  return np.where(upper, np.log1p(np.neg(standardCdf(np.neg(np.where(upper, z, 0))))), np.log(standardCdf(z)));
}

/** log P(X <= x). */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logStandardCdf(standardize(x, loc, scale));
}

/** P(X > x). */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return standardCdf(np.neg(standardize(x, loc, scale)));
}

/** log P(X > x). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logStandardCdf(np.neg(standardize(x, loc, scale)));
}

/** The standard quantile tan(pi (q - 1/2)) as -1 / tan(pi q) below 1/2 and 1 / tan(pi (1 - q)) above, so small q keep their digits. */
function standardPpf(p: NdArray): NdArray {
  const low = np.lessEqual(p, 0.5);
  return np.div(np.where(low, -1, 1), np.tan(np.mul(np.where(low, p, np.sub(1, p)), Math.PI)));
}

/** The quantile function, moved and scaled; NaN for q outside [0, 1] (SciPy; JAX's tan formula gives numbers there). */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(standardPpf(probability(q)), loc, scale);
}

/** The inverse survival function (ppf(1 - q) = -ppf(q)), moved and scaled; NaN for q outside [0, 1]. */
export function isf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(np.neg(standardPpf(probability(q))), loc, scale);
}
