/** jax.scipy.stats.logistic: the logistic distribution with `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { expit, logit } from '../special-entropy.js';
import { type Operand, asFloat } from '../util.js';
import { logScale, standardize, unstandardize } from './standardize.js';

/** log(1 + exp(v)), stably. */
const softplus = (v: NdArray) => np.add(np.maximum(v, 0), np.log1p(np.exp(np.neg(np.abs(v)))));

/** log density: -|z| - 2 log(1 + exp(-|z|)) - log(scale). */
export function logpdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const a = np.abs(standardize(x, loc, scale));
  return np.sub(np.sub(np.neg(a), np.mul(np.log1p(np.exp(np.neg(a))), 2)), logScale(scale));
}

/** density. */
export function pdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, loc, scale));
}

/** expit(z). */
export function cdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return expit(standardize(x, loc, scale));
}

/** -log(1 + exp(-z)). */
export function logcdf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.neg(softplus(np.neg(standardize(x, loc, scale))));
}

/** expit(-z). */
export function sf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return expit(np.neg(standardize(x, loc, scale)));
}

/** -log(1 + exp(z)). */
export function logsf(x: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.neg(softplus(standardize(x, loc, scale)));
}

/** logit(q), moved and scaled. */
export function ppf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(logit(asFloat(q)), loc, scale);
}

/** -logit(q), moved and scaled. */
export function isf(q: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return unstandardize(np.neg(logit(asFloat(q))), loc, scale);
}
