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

/** Below this mean the entropy is summed over k = 0 .. ENTROPY_TERMS - 1; at and above, its asymptotic series (5e-8 relative at 30). */
const ENTROPY_SUM_BELOW = 30;
const ENTROPY_TERMS = 100;
/** log k! for k < ENTROPY_TERMS, summed on the host in float64 (float32 lgamma is 5e-7 off at k = 0, 1: that bias would swamp tiny mu's entropy). */
const LOG_FACTORIALS = Array.from({ length: ENTROPY_TERMS }, (_, k) => k).map((k) => {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
});

/**
 * The entropy -sum_k pmf(k) log pmf(k) of Poisson(mu) (loc shifts, so does not change it): the
 * sum for mu < 30, 0.5 log(2 pi e mu) - 1/(12 mu) - 1/(24 mu^2) - 19/(360 mu^3) above; 0 at mu = 0,
 * NaN for mu < 0 (SciPy's).
 */
export function entropy(mu: Operand, loc: Operand = 0): NdArray {
  const m = np.add(asFloat(mu), np.mul(asFloat(loc), 0));
  const small = np.less(m, ENTROPY_SUM_BELOW);
  const ms = np.expandDims(np.where(small, np.maximum(m, 0), 1), -1);
  const k = np.toFloat(np.arange(ENTROPY_TERMS));
  const logp = np.sub(np.sub(xlogy(k, ms), np.array(LOG_FACTORIALS)), ms);
  const terms = np.where(np.equal(logp, -Infinity), 0, np.mul(np.exp(logp), logp));
  const summed = np.neg(np.sum(terms, -1));
  const ml = np.where(small, ENTROPY_SUM_BELOW, m);
  const series = np.sub(np.mul(0.5, np.log(np.mul(2 * Math.PI * Math.E, ml))), np.div(np.add(1 / 12, np.div(np.add(1 / 24, np.div(19 / 360, ml)), ml)), ml));
  return np.where(np.less(m, 0), NaN, np.where(small, summed, series));
}
