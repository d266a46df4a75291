/** jax.scipy.stats.poisson: the Poisson distribution with mean `mu`, shifted by `loc`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { xlogy } from '../special-entropy.js';
import { gammaincc } from '../special-gammainc.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { isInteger } from './standardize.js';

/** log P(K = k) = k log(mu) - gammaln(k + 1) - mu for whole k >= 0, -inf elsewhere (fractional k too, as SciPy). */
export function logpmf(k: Operand, mu: Operand, loc: Operand = 0): NdArray {
  const m = asFloat(mu);
  const j = np.sub(asFloat(k), asFloat(loc));
  const safe = np.maximum(j, 0);
  const value = np.sub(np.sub(xlogy(safe, m), lgamma(np.add(safe, 1))), m);
  return logInside(np.logicalAnd(np.greaterEqual(j, 0), isInteger(j)), value);
}

/** P(K = k). */
export function pmf(k: Operand, mu: Operand, loc: Operand = 0): NdArray {
  return np.exp(logpmf(k, mu, loc));
}

/** P(K <= k) = gammaincc(floor(k) + 1, mu), 0 below 0. */
export function cdf(k: Operand, mu: Operand, loc: Operand = 0): NdArray {
  const j = np.floor(np.sub(asFloat(k), asFloat(loc)));
  return np.where(np.less(j, 0), 0, gammaincc(np.add(np.maximum(j, 0), 1), mu));
}
