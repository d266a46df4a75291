/** jax.scipy.stats.beta: the beta distribution with shapes `a`, `b` on [loc, loc + scale]. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { xlog1py, xlogy } from '../special-entropy.js';
import { betaincPair } from '../special-betainc.js';
import { betaln } from '../special-gamma.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { logScale, standardize } from './standardize.js';

/**
 * log density: (a - 1) log z + (b - 1) log(1 - z) - betaln(a, b) - log(scale) on [0, 1] (inf at
 * an end where a or b < 1), -inf outside; NaN wherever a <= 0, b <= 0 or scale <= 0 (JAX, SciPy).
 */
export function logpdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const [p, q, s] = [asFloat(a), asFloat(b), asFloat(scale)];
  const z = standardize(x, loc, s);
  const inside = np.logicalAnd(np.greaterEqual(z, 0), np.lessEqual(z, 1));
  const zc = np.clip(z, 0, 1);
  const value = np.sub(np.sub(np.add(xlogy(np.sub(p, 1), zc), xlog1py(np.sub(q, 1), np.neg(zc))), betaln(p, q)), logScale(s));
  const invalid = np.logicalOr(np.logicalOr(np.lessEqual(p, 0), np.lessEqual(q, 0)), np.lessEqual(s, 0));
  return np.where(invalid, NaN, logInside(inside, value));
}

/** density. */
export function pdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, a, b, loc, scale));
}

/** [P(X <= x), P(X > x)]: the incomplete beta function at z clipped to [0, 1], with its complement. */
function tails(x: Operand, a: Operand, b: Operand, loc: Operand, scale: Operand): [NdArray, NdArray] {
  const z = np.clip(standardize(x, loc, scale), 0, 1);
  return betaincPair(a, b, z, np.sub(1, z));
}

/** P(X <= x) = betainc(a, b, z). */
export function cdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return tails(x, a, b, loc, scale)[0];
}

/** log P(X <= x), as log(cdf) (JAX): -inf where the cdf is below float32's range. */
export function logcdf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.log(cdf(x, a, b, loc, scale));
}

/** P(X > x) = betainc(b, a, 1 - z), accurate where small. */
export function sf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return tails(x, a, b, loc, scale)[1];
}

/** log P(X > x). */
export function logsf(x: Operand, a: Operand, b: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.log(sf(x, a, b, loc, scale));
}
