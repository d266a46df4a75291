/** jax.scipy.stats.pareto: the Pareto distribution with shape `b`, `loc` and `scale` (support z >= 1). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { standardize, unstandardize } from './standardize.js';

/** log density: log(b / scale) - (b + 1) log z for z >= 1, -inf below. */
export function logpdf(x: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const p = asFloat(b);
  const z = standardize(x, loc, scale);
  const value = np.sub(np.log(np.div(p, asFloat(scale))), np.mul(np.add(p, 1), np.log(np.maximum(z, 1))));
  return logInside(np.greaterEqual(z, 1), value);
}

/** density. */
export function pdf(x: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, b, loc, scale));
}

/** log P(X > x) = -b log z for z >= 1, 0 below. */
export function logsf(x: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = standardize(x, loc, scale);
  return np.where(np.less(z, 1), 0, np.mul(np.neg(asFloat(b)), np.log(np.maximum(z, 1))));
}

/** P(X > x) = z^-b. */
export function sf(x: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logsf(x, b, loc, scale));
}

/** P(X <= x) = 1 - z^-b, as -expm1(logsf). */
export function cdf(x: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.neg(np.expm1(logsf(x, b, loc, scale)));
}

/** log P(X <= x) = log1p(-z^-b). */
export function logcdf(x: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.log1p(np.neg(sf(x, b, loc, scale)));
}

/** The quantile loc + scale (1 - q)^(-1 / b); NaN outside [0, 1]. */
export function ppf(q: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const p = asFloat(q);
  const value = unstandardize(np.power(np.sub(1, p), np.div(-1, asFloat(b))), loc, scale);
  return np.where(np.logicalOr(np.less(p, 0), np.greater(p, 1)), NaN, value);
}
