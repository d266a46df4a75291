/** scipy.stats.f: Fisher's F distribution with `dfn` and `dfd` degrees of freedom, `loc` and `scale`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { betaincPair } from '../special-betainc.js';
import { xlogy } from '../special-entropy.js';
import { betaln } from '../special-gamma.js';
import { type Operand, asFloat, logInside } from '../util.js';
import { logScale, standardize } from './standardize.js';

/**
 * log density: (d1 / 2) log(d1 / d2) + (d1 / 2 - 1) log z - ((d1 + d2) / 2) log1p(d1 z / d2)
 * - betaln(d1 / 2, d2 / 2) - log(scale) for z >= 0 (at 0: inf for d1 < 2, log(1/scale) for d1 = 2), -inf below.
 */
export function logpdf(x: Operand, dfn: Operand, dfd: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const [d1, d2] = [asFloat(dfn), asFloat(dfd)];
  const z = standardize(x, loc, scale);
  const zp = np.maximum(z, 0);
  const h1 = np.mul(d1, 0.5);
  const shape = np.sub(np.add(np.mul(h1, np.log(np.div(d1, d2))), xlogy(np.sub(h1, 1), zp)), np.mul(np.add(h1, np.mul(d2, 0.5)), np.log1p(np.div(np.mul(d1, zp), d2))));
  return logInside(np.greaterEqual(z, 0), np.sub(np.sub(shape, betaln(h1, np.mul(d2, 0.5))), logScale(scale)));
}

/** density. */
export function pdf(x: Operand, dfn: Operand, dfd: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, dfn, dfd, loc, scale));
}

/** [P(X <= x), P(X > x)] = I_w(d1 / 2, d2 / 2) and its complement, w = d1 z / (d2 + d1 z), 1 - w = d2 / (d2 + d1 z). */
function tails(x: Operand, dfn: Operand, dfd: Operand, loc: Operand, scale: Operand): [NdArray, NdArray] {
  const [d1, d2] = [asFloat(dfn), asFloat(dfd)];
  const u = np.mul(d1, np.maximum(standardize(x, loc, scale), 0));
  const total = np.add(d2, u);
  const big = np.isinf(u);
  return betaincPair(np.mul(d1, 0.5), np.mul(d2, 0.5), np.where(big, 1, np.div(u, total)), np.where(big, 0, np.div(d2, total)));
}

/** P(X <= x) (SciPy's fdtr). */
export function cdf(x: Operand, dfn: Operand, dfd: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return tails(x, dfn, dfd, loc, scale)[0];
}

/** P(X > x), accurate where small. */
export function sf(x: Operand, dfn: Operand, dfd: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return tails(x, dfn, dfd, loc, scale)[1];
}
