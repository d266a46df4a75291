/** jax.scipy.stats.betabinom: the beta-binomial distribution of `n` trials with shapes `a`, `b`, shifted by `loc`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { betaln } from '../special-gamma.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { isInteger } from './standardize.js';

/**
 * log P(K = k) = -log1p(n) - betaln(n - k + 1, k + 1) + betaln(k + a, n - k + b) - betaln(a, b)
 * for whole 0 <= k <= n, -inf elsewhere; NaN for n < 0, a <= 0 or b <= 0.
 */
export function logpmf(k: Operand, n: Operand, a: Operand, b: Operand, loc: Operand = 0): NdArray {
  const [trials, p, q] = [asFloat(n), asFloat(a), asFloat(b)];
  const j = np.sub(asFloat(k), asFloat(loc));
  const inside = np.logicalAnd(np.logicalAnd(np.greaterEqual(j, 0), np.lessEqual(j, trials)), isInteger(j));
  const safe = np.where(inside, j, 0);
  const rest = np.sub(trials, safe);
  const comb = np.neg(np.add(np.log1p(trials), betaln(np.add(rest, 1), np.add(safe, 1))));
  const value = logInside(inside, np.add(comb, np.sub(betaln(np.add(safe, p), np.add(rest, q)), betaln(p, q))));
  return np.where(np.logicalOr(np.less(trials, 0), np.logicalOr(np.lessEqual(p, 0), np.lessEqual(q, 0))), NaN, value);
}

/** P(K = k). */
export function pmf(k: Operand, n: Operand, a: Operand, b: Operand, loc: Operand = 0): NdArray {
  return np.exp(logpmf(k, n, a, b, loc));
}
