/**
 * The Gumbel distributions' standard forms in u = (x - loc) / scale for gumbel_r and
 * u = (loc - x) / scale for gumbel_l (the mirror image): log density -u - exp(-u), P(U <= u) =
 * exp(-exp(-u)); NaN for scale <= 0 (JAX, SciPy).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';
import { logScale } from './standardize.js';

/** `value` where scale > 0, NaN elsewhere. */
export function validScale(scale: Operand, value: NdArray): NdArray {
  return np.where(np.greater(asFloat(scale), 0), value, NaN);
}

/** -u - exp(-u) - log(scale), the log density at the standard point u. */
export function logDensity(u: NdArray, scale: Operand): NdArray {
  return validScale(scale, np.sub(np.sub(np.neg(u), np.exp(np.neg(u))), logScale(scale)));
}

/** log P(U <= u) = -exp(-u). */
export function logLower(u: NdArray, scale: Operand): NdArray {
  return validScale(scale, np.neg(np.exp(np.neg(u))));
}

/** P(U <= u) = exp(-exp(-u)). */
export function lower(u: NdArray, scale: Operand): NdArray {
  return validScale(scale, np.exp(np.neg(np.exp(np.neg(u)))));
}

/** P(U > u) = -expm1(-exp(-u)), accurate where small. */
export function upper(u: NdArray, scale: Operand): NdArray {
  return validScale(scale, np.neg(np.expm1(np.neg(np.exp(np.neg(u))))));
}

/** log P(U > u) = log(-expm1(-exp(-u))). */
export function logUpper(u: NdArray, scale: Operand): NdArray {
  return np.log(upper(u, scale));
}

/**
 * -log(-logOf(q)) for 0 < q < 1, NaN elsewhere (JAX: also at 0 and 1, where SciPy gives ∓inf):
 * gumbel_r's standard quantile with logOf = log, gumbel_l's (negated) with log(1 - q) as log1p(-q).
 */
export function quantile(q: NdArray, logOf: (q: NdArray) => NdArray): NdArray {
  const inside = np.logicalAnd(np.greater(q, 0), np.less(q, 1));
  return np.where(inside, np.neg(np.log(np.neg(logOf(np.where(inside, q, 0.5))))), NaN);
}
