/** jax.scipy.special's Box-Cox transforms: boxcox and boxcox1p. */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';
import { type Operand, asFloat } from './util.js';

/** (exp(lmbda * logX) - 1) / lmbda, or logX where lmbda = 0, with expm1 so small lmbda keeps its digits. */
function transform(logX: NdArray, lmbda: Operand): NdArray {
  const l = asFloat(lmbda);
  const zero = np.equal(l, 0);
  const safe = np.where(zero, 1, l);
  return np.where(zero, logX, np.div(np.expm1(np.mul(safe, logX)), safe));
}

/** The Box-Cox transform (x^lmbda - 1) / lmbda, log(x) at lmbda = 0; NaN for x < 0 (JAX, SciPy). */
export function boxcox(x: Operand, lmbda: Operand): NdArray {
  return transform(np.log(asFloat(x)), lmbda);
}

/** The Box-Cox transform of 1 + x, computed from log1p(x); NaN for x < -1. */
export function boxcox1p(x: Operand, lmbda: Operand): NdArray {
  return transform(np.log1p(asFloat(x)), lmbda);
}
