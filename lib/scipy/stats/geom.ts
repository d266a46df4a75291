/** jax.scipy.stats.geom: the number of trials up to the first success of probability `p` (support 1, 2, ...), shifted by `loc`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { xlog1py } from '../special-entropy.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { isInteger } from './standardize.js';

/** log P(K = k) = (k - 1) log(1 - p) + log(p) for whole k >= 1, -inf elsewhere. */
export function logpmf(k: Operand, p: Operand, loc: Operand = 0): NdArray {
  const q = asFloat(p);
  const j = np.sub(asFloat(k), asFloat(loc));
  const inside = np.logicalAnd(np.greaterEqual(j, 1), isInteger(j));
  return logInside(inside, np.add(xlog1py(np.sub(np.maximum(j, 1), 1), np.neg(q)), np.log(q)));
}

/** P(K = k). */
export function pmf(k: Operand, p: Operand, loc: Operand = 0): NdArray {
  return np.exp(logpmf(k, p, loc));
}

/** P(K <= k) = 1 - (1 - p)^floor(k), 0 below 1. */
export function cdf(k: Operand, p: Operand, loc: Operand = 0): NdArray {
  const j = np.floor(np.sub(asFloat(k), asFloat(loc)));
  return np.where(np.less(j, 1), 0, np.neg(np.expm1(np.mul(np.maximum(j, 1), np.log1p(np.neg(asFloat(p)))))));
}
