/** jax.scipy.stats.chi2: the chi-squared distribution with `df` degrees of freedom (gamma with a = df / 2, scale 2). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';
import * as gamma from './gamma.js';

const shape = (df: Operand) => np.mul(asFloat(df), 0.5);
const doubled = (scale: Operand) => np.mul(asFloat(scale), 2);

/** log density. */
export function logpdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gamma.logpdf(x, shape(df), loc, doubled(scale));
}

/** density. */
export function pdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gamma.pdf(x, shape(df), loc, doubled(scale));
}

/** P(X <= x) = gammainc(df / 2, z / 2). */
export function cdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gamma.cdf(x, shape(df), loc, doubled(scale));
}

/** log P(X <= x). */
export function logcdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gamma.logcdf(x, shape(df), loc, doubled(scale));
}

/** P(X > x). */
export function sf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gamma.sf(x, shape(df), loc, doubled(scale));
}

/** log P(X > x). */
export function logsf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return gamma.logsf(x, shape(df), loc, doubled(scale));
}
