/** jax.scipy.stats.gennorm: the generalized normal distribution with shape `beta` (SciPy's loc and scale too). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { gammainc } from '../special-gammainc.js';
import { type Operand, asFloat } from '../util.js';
import { logScale, standardize } from './standardize.js';

/** log density: log(beta / 2) - gammaln(1 / beta) - |z|^beta - log(scale). */
export function logpdf(x: Operand, beta: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const p = asFloat(beta);
  const z = standardize(x, loc, scale);
  return np.sub(np.sub(np.sub(np.log(np.mul(p, 0.5)), lgamma(np.div(1, p))), np.power(np.abs(z), p)), logScale(scale));
}

/** density. */
export function pdf(x: Operand, beta: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, beta, loc, scale));
}

/** P(X <= x) = (1 + sign(z) gammainc(1 / beta, |z|^beta)) / 2. */
export function cdf(x: Operand, beta: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const p = asFloat(beta);
  const z = standardize(x, loc, scale);
  return np.mul(np.add(1, np.mul(np.sign(z), gammainc(np.div(1, p), np.power(np.abs(z), p)))), 0.5);
}
