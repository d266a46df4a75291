/** jax.scipy.stats.binom: successes in `n` trials of probability `p`, shifted by `loc`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { betaincPair } from '../special-betainc.js';
import { xlog1py, xlogy } from '../special-entropy.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { isInteger } from './standardize.js';

/** log P(K = k) = log C(n, k) + k log p + (n - k) log(1 - p) for whole 0 <= k <= n, -inf elsewhere. */
export function logpmf(k: Operand, n: Operand, p: Operand, loc: Operand = 0): NdArray {
  const [trials, q] = [asFloat(n), asFloat(p)];
  const j = np.sub(asFloat(k), asFloat(loc));
  const inside = np.logicalAnd(np.logicalAnd(np.greaterEqual(j, 0), np.lessEqual(j, trials)), isInteger(j));
  const safe = np.where(inside, j, 0);
  const rest = np.sub(trials, safe);
  const logComb = np.sub(np.sub(lgamma(np.add(trials, 1)), lgamma(np.add(safe, 1))), lgamma(np.add(rest, 1)));
  return logInside(inside, np.add(np.add(logComb, xlogy(safe, q)), xlog1py(rest, np.neg(q))));
}

/** P(K = k). */
export function pmf(k: Operand, n: Operand, p: Operand, loc: Operand = 0): NdArray {
  return np.exp(logpmf(k, n, p, loc));
}

/** [P(K <= k), P(K > k)]: I_{1-p}(n - j, j + 1) and its complement for j = floor(k - loc) in [0, n); 0 / 1 outside. */
function tails(k: Operand, n: Operand, p: Operand, loc: Operand): [NdArray, NdArray] {
  const [trials, q] = [asFloat(n), asFloat(p)];
  const j = np.floor(np.sub(asFloat(k), asFloat(loc)));
  const inside = np.logicalAnd(np.greaterEqual(j, 0), np.less(j, trials));
  const safe = np.where(inside, j, 0);
  const [lower, upper] = betaincPair(np.where(inside, np.sub(trials, safe), 1), np.add(safe, 1), np.sub(1, q), q);
  const below = np.less(j, 0);
  return [np.where(inside, lower, np.where(below, 0, 1)), np.where(inside, upper, np.where(below, 1, 0))];
}

/** P(K <= k) (SciPy's bdtr; k need not be whole). */
export function cdf(k: Operand, n: Operand, p: Operand, loc: Operand = 0): NdArray {
  return tails(k, n, p, loc)[0];
}

/** P(K > k), accurate where small. */
export function sf(k: Operand, n: Operand, p: Operand, loc: Operand = 0): NdArray {
  return tails(k, n, p, loc)[1];
}
