/** jax.scipy.stats.t: Student's t distribution with `df` degrees of freedom, `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { lgamma } from '../../ops/lax-elementwise.js';
import { betaincPair } from '../special-betainc.js';
import { STIRLING_FROM, stirlerr } from '../special-gamma.js';
import { type Operand, asFloat } from '../util.js';
import { logScale, standardize } from './standardize.js';

/**
 * lgamma(h + 1/2) - lgamma(h); for h >= 8 in Stirling's form h log1p(1 / (2h)) + log(h) / 2 - 1/2
 * + stirlerr(h + 1/2) - stirlerr(h), since the two log Gammas nearly cancel (df = 1000: 4e-4 off).
 */
function logGammaHalfStep(h: NdArray): NdArray {
  const hs = np.maximum(h, STIRLING_FROM);
  const stirling = np.add(np.sub(np.add(np.mul(hs, np.log1p(np.div(0.5, hs))), np.mul(np.log(hs), 0.5)), 0.5), np.sub(stirlerr(np.add(hs, 0.5)), stirlerr(hs)));
  return np.where(np.less(h, STIRLING_FROM), np.sub(lgamma(np.add(h, 0.5)), lgamma(h)), stirling);
}

/** log density: lgamma((df + 1) / 2) - lgamma(df / 2) - log(df pi) / 2 - log(scale) - (df + 1) / 2 log(1 + z^2 / df). */
export function logpdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const nu = asFloat(df);
  const z = standardize(x, loc, scale);
  const half = np.mul(np.add(nu, 1), 0.5);
  const normaliser = np.sub(logGammaHalfStep(np.mul(nu, 0.5)), np.mul(np.log(np.mul(nu, Math.PI)), 0.5));
  return np.sub(np.sub(normaliser, logScale(scale)), np.mul(half, np.log1p(np.div(np.mul(z, z), nu))));
}

/** density. */
export function pdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, df, loc, scale));
}

/** [P(T <= x), P(T > x)]: half of I_{df / (df + z^2)}(df / 2, 1 / 2) is the tail beyond |z|, with both of its arguments exact. */
function tails(x: Operand, df: Operand, loc: Operand, scale: Operand): [NdArray, NdArray] {
  const nu = asFloat(df);
  const z = standardize(x, loc, scale);
  const z2 = np.mul(z, z);
  const total = np.add(nu, z2);
  const big = np.isinf(z2);
  const [w, wc] = [np.where(big, 0, np.div(nu, total)), np.where(big, 1, np.div(z2, total))];
  const [tail, body] = betaincPair(np.mul(nu, 0.5), 0.5, w, wc);
  // The far side of 0 holds 1 - tail / 2 = 1/2 + body / 2, body = 1 - tail exact where small.
  const [far, near] = [np.mul(tail, 0.5), np.add(0.5, np.mul(body, 0.5))];
  const negative = np.less(z, 0);
  return [np.where(negative, far, near), np.where(negative, near, far)];
}

/** P(T <= x) (SciPy's stdtr). */
export function cdf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return tails(x, df, loc, scale)[0];
}

/** P(T > x). */
export function sf(x: Operand, df: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return tails(x, df, loc, scale)[1];
}

