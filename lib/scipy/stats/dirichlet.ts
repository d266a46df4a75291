/** jax.scipy.stats.dirichlet: the Dirichlet distribution on the simplex, with concentrations `alpha`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { xlogy } from '../special-entropy.js';
import { type Operand, asFloat, logInside } from '../util.js';

/**
 * log density of x [K, ...] (components along the first axis, as JAX and SciPy; K - 1
 * components get the last one as 1 - their sum) under alpha [K]: sum (alpha - 1) log x -
 * sum gammaln(alpha) + gammaln(sum alpha); -inf off the simplex (an entry <= 0, or sum off 1 by 1e-6 or more, JAX's test).
 */
export function logpdf(x: Operand, alpha: Operand): NdArray {
  const [v0, a] = [asFloat(x), asFloat(alpha)];
  if (np.shape(a).length !== 1) throw new Error(`dirichlet.logpdf: alpha must be 1-D, got shape [${np.shape(a).join(', ')}]`);
  const k = np.shape(a)[0]!;
  const rows = np.shape(v0).length === 0 ? -1 : np.shape(v0)[0]!;
  if (rows !== k && rows !== k - 1) throw new Error(`dirichlet.logpdf: x's first axis must have ${k} or ${k - 1} entries (alpha's length), got shape [${np.shape(v0).join(', ')}]`);
  const v = rows === k ? v0 : np.concatenate([v0, np.sub(1, np.sum(v0, 0, true))], 0);
  const column = np.reshape(a, [k, ...new Array<number>(np.shape(v).length - 1).fill(1)]);
  const normaliser = np.sub(np.sum(lgamma(a)), lgamma(np.sum(a)));
  const value = np.sub(np.sum(xlogy(np.sub(column, 1), v), 0), normaliser);
  const simplex = np.logicalAnd(np.all(np.greater(v, 0), 0), np.less(np.abs(np.sub(np.sum(v, 0), 1)), 1e-6));
  return logInside(simplex, value);
}

/** density. */
export function pdf(x: Operand, alpha: Operand): NdArray {
  return np.exp(logpdf(x, alpha));
}
