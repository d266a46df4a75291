/** jax.scipy.stats.wrapcauchy: the wrapped Cauchy distribution on [0, 2 pi] with shape 0 < c < 1. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat, logInside } from '../util.js';

/**
 * log density log(1 - c^2) - log(2 pi) - log(1 + c^2 - 2 c cos x) on [0, 2 pi] (-inf outside);
 * NaN unless 0 < c < 1 (JAX's).
 */
export function logpdf(x: Operand, c: Operand): NdArray {
  const [xf, cf] = [asFloat(x), asFloat(c)];
  const value = np.sub(np.sub(np.log1p(np.neg(np.square(cf))), Math.log(2 * Math.PI)), np.log(np.sub(np.add(1, np.square(cf)), np.mul(np.mul(cf, 2), np.cos(xf)))));
  const inside = logInside(np.logicalAnd(np.greaterEqual(xf, 0), np.lessEqual(xf, 2 * Math.PI)), value);
  return np.where(np.logicalAnd(np.greater(cf, 0), np.less(cf, 1)), inside, NaN);
}

/** density. */
export function pdf(x: Operand, c: Operand): NdArray {
  return np.exp(logpdf(x, c));
}
