/** jax.scipy.stats.bernoulli: one trial with success probability `p`, shifted by `loc`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { xlog1py, xlogy } from '../special-entropy.js';
import { type Operand, asFloat, logInside } from '../util.js';

/** log P(K = k): log(p) at 1, log(1 - p) at 0, -inf elsewhere. */
export function logpmf(k: Operand, p: Operand, loc: Operand = 0): NdArray {
  const q = asFloat(p);
  const j = np.sub(asFloat(k), asFloat(loc));
  const zeroOrOne = np.logicalOr(np.equal(j, 0), np.equal(j, 1));
  const safe = np.where(zeroOrOne, j, 0);
  return logInside(zeroOrOne, np.add(xlogy(safe, q), xlog1py(np.sub(1, safe), np.neg(q))));
}

/** P(K = k). */
export function pmf(k: Operand, p: Operand, loc: Operand = 0): NdArray {
  return np.exp(logpmf(k, p, loc));
}

/** P(K <= k): 0 below 0, 1 - p on [0, 1), 1 from 1 on. */
export function cdf(k: Operand, p: Operand, loc: Operand = 0): NdArray {
  const j = np.sub(asFloat(k), asFloat(loc));
  return np.where(np.less(j, 0), 0, np.where(np.less(j, 1), np.sub(1, asFloat(p)), 1));
}

/** The quantile function (jax.scipy.stats.bernoulli.ppf, no loc): 0 for q <= 1 - p, else 1; NaN for q or p outside [0, 1] or NaN. */
export function ppf(q: Operand, p: Operand): NdArray {
  const [u, r] = [asFloat(q), asFloat(p)];
  const inUnit = (v: NdArray) => np.logicalAnd(np.greaterEqual(v, 0), np.lessEqual(v, 1));
  return np.where(np.logicalAnd(inUnit(u), inUnit(r)), np.where(np.lessEqual(u, np.sub(1, r)), 0, 1), NaN);
}
