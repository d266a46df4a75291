/** jax.scipy.stats.gamma: the gamma distribution with shape `a`, `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { xlogy } from '../special-entropy.js';
import { gammainc, gammaincc } from '../special-gammainc.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { logScale, standardize } from './standardize.js';

/** log density: (a - 1) log z - z - gammaln(a) - log(scale) for z >= 0 (inf at 0 for a < 1), -inf below. */
export function logpdf(x: Operand, a: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const shape = asFloat(a);
  const z = standardize(x, loc, scale);
  const inside = np.maximum(z, 0);
  const value = np.sub(np.sub(np.sub(xlogy(np.sub(shape, 1), inside), inside), lgamma(shape)), logScale(scale));
  return logInside(np.greaterEqual(z, 0), value);
}

/** density. */
export function pdf(x: Operand, a: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, a, loc, scale));
}

/** P(X <= x) = gammainc(a, z). */
export function cdf(x: Operand, a: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gammainc(a, np.maximum(standardize(x, loc, scale), 0));
}

/** log P(X <= x). */
export function logcdf(x: Operand, a: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.log(cdf(x, a, loc, scale));
}

/** P(X > x) = gammaincc(a, z). */
export function sf(x: Operand, a: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gammaincc(a, np.maximum(standardize(x, loc, scale), 0));
}

/** log P(X > x). */
export function logsf(x: Operand, a: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.log(sf(x, a, loc, scale));
}
