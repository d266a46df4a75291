/** jax.scipy.stats.uniform: the uniform distribution on [loc, loc + scale]. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { logScale, standardize, unstandardize } from './standardize.js';

/** log density: -log(scale) on [loc, loc + scale], -inf elsewhere. */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const z = standardize(x, loc, scale);
  return logInside(np.logicalAnd(np.greaterEqual(z, 0), np.lessEqual(z, 1)), np.add(np.mul(z, 0), np.neg(logScale(scale))));
}

/** density: 1 / scale on [loc, loc + scale], 0 elsewhere. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** P(X <= x) = clip(z, 0, 1). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.clip(standardize(x, loc, scale), 0, 1);
}

/** The quantile function loc + q scale; NaN outside [0, 1]. */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const p = asFloat(q);
  return np.where(np.logicalAnd(np.greaterEqual(p, 0), np.lessEqual(p, 1)), unstandardize(p, loc, scale), NaN);
}
