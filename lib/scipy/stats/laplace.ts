/** jax.scipy.stats.laplace: the Laplace (double exponential) distribution with `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';
import { logScale, standardize, unstandardize } from './standardize.js';

/** log density: -|z| - log(2 scale). */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.sub(np.sub(np.neg(np.abs(standardize(x, loc, scale))), logScale(scale)), Math.LN2);
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** The standard CDF at z: exp(z) / 2 below 0, 1 - exp(-z) / 2 above. */
function standardCdf(z: NdArray): NdArray {
  const half = np.mul(np.exp(np.neg(np.abs(z))), 0.5);
  return np.where(np.less(z, 0), half, np.sub(1, half));
}

/** P(X <= x). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return standardCdf(standardize(x, loc, scale));
}

/** P(X > x). */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return standardCdf(np.neg(standardize(x, loc, scale)));
}

/** log P(X <= x): z - log 2 below 0, log1p(-exp(-z) / 2) above. */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = standardize(x, loc, scale);
  return np.where(np.less(z, 0), np.sub(z, Math.LN2), np.log1p(np.mul(np.exp(np.neg(np.abs(z))), -0.5)));
}

/** log P(X > x). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return logcdf(np.neg(asFloat(x)), np.neg(asFloat(loc)), scale);
}

/** The quantile function: log(2q) below 1/2, -log(2 - 2q) above. */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const p = asFloat(q);
  const z = np.where(np.lessEqual(p, 0.5), np.log(np.mul(p, 2)), np.neg(np.log(np.mul(np.sub(1, p), 2))));
  return unstandardize(z, loc, scale);
}
