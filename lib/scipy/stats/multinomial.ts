/** jax.scipy.stats.multinomial: counts `x` [..., K] of `n` draws among K categories of probabilities `p` [..., K]. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { xlogy } from '../special-entropy.js';
import { type Operand, asFloat } from '../util.js';

/**
 * log P(x) = gammaln(n + 1) + sum_k (x_k log p_k - gammaln(x_k + 1)) over the last axis, -inf
 * where the counts do not sum to n (JAX requires integer x and n; here any whole-valued numbers).
 */
export function logpmf(x: Operand, n: Operand, p: Operand): NdArray {
  const [counts, draws, probs] = [asFloat(x), asFloat(n), asFloat(p)];
  if (counts.shape.length === 0) throw new Error('multinomial.logpmf: x must have a last axis of categories, got a scalar');
  const terms = np.sum(np.sub(xlogy(counts, probs), lgamma(np.add(counts, 1))), -1);
  const value = np.add(lgamma(np.add(draws, 1)), terms);
  return np.where(np.equal(np.sum(counts, -1), draws), value, -Infinity);
}

/** P(x). */
export function pmf(x: Operand, n: Operand, p: Operand): NdArray {
  return np.exp(logpmf(x, n, p));
}
