/** jax.scipy.stats.vonmises: the von Mises distribution on the circle with concentration `kappa` (SciPy's loc and scale too). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { i0e } from '../special-bessel.js';
import { type Operand, asFloat } from '../util.js';
import { logScale, standardize } from './standardize.js';

/**
 * log density: kappa (cos z - 1) - log(2 pi i0e(kappa)) - log(scale) (JAX's form, no overflow for
 * large kappa), with cos z - 1 as -2 sin^2(z / 2) (no cancellation near 0); NaN for kappa <= 0.
 */
export function logpdf(x: Operand, kappa: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  const k = asFloat(kappa);
  const z = standardize(x, loc, scale);
  const value = np.sub(np.sub(np.mul(np.mul(k, -2), np.square(np.sin(np.mul(z, 0.5)))), np.log(np.mul(i0e(k), 2 * Math.PI))), logScale(scale));
  return np.where(np.greater(k, 0), value, NaN);
}

/** density. */
export function pdf(x: Operand, kappa: Operand, loc: Operand = 0, scale: Operand = 1): NdArray {
  return np.exp(logpdf(x, kappa, loc, scale));
}
