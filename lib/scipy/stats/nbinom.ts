/** jax.scipy.stats.nbinom: failures before the `n`-th success of probability `p`, shifted by `loc`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { xlog1py, xlogy } from '../special-entropy.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { isInteger } from './standardize.js';

/** log P(K = k) = gammaln(k + n) - gammaln(n) - gammaln(k + 1) + n log p + k log(1 - p) for whole k >= 0, -inf elsewhere. */
export function logpmf(k: Operand, n: Operand, p: Operand, loc: Operand = 0): NdArray {
  const [r, q] = [asFloat(n), asFloat(p)];
  const j = np.sub(asFloat(k), asFloat(loc));
  const inside = np.logicalAnd(np.greaterEqual(j, 0), isInteger(j));
  const safe = np.where(inside, j, 0);
  const comb = np.sub(np.sub(lgamma(np.add(safe, r)), lgamma(r)), lgamma(np.add(safe, 1)));
  return logInside(inside, np.add(comb, np.add(xlogy(r, q), xlog1py(safe, np.neg(q)))));
}

/** P(K = k). */
export function pmf(k: Operand, n: Operand, p: Operand, loc: Operand = 0): NdArray {
  return np.exp(logpmf(k, n, p, loc));
}
