/** jax.scipy.stats.multivariate_normal: the normal distribution of vectors, by `mean` and covariance `cov`. */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * log density of x [..., d] under mean [..., d] and cov [..., d, d], batch dims broadcast
 * (Cholesky: log det = 2 sum log diag L, Mahalanobis |L^-1 (x - mean)|^2). A scalar mean is a
 * univariate normal with variance cov; a scalar cov is cov times the identity (as JAX).
 */
export function logpdf(x: Operand, mean: Operand, cov: Operand): NdArray {
  const [v, mu, sigma] = [asFloat(x), asFloat(mean), asFloat(cov)];
  const dev = np.sub(v, mu);
  if (np.shape(mu).length === 0) return np.mul(np.add(np.div(np.square(dev), sigma), np.add(np.log(sigma), LOG_2PI)), -0.5);
  const d = np.shape(mu)[np.shape(mu).length - 1]!;
  if (np.shape(sigma).length === 0) return np.mul(np.add(np.div(np.sum(np.square(dev), -1), sigma), np.mul(np.add(np.log(sigma), LOG_2PI), d)), -0.5);
  if (np.shape(sigma).length < 2) throw new Error(`multivariateNormal.logpdf: cov must be a scalar or [..., d, d], got shape [${np.shape(sigma).join(', ')}]`);
  const l = np.linalg.cholesky(sigma);
  const batch = np.broadcastShapes(np.shape(dev).slice(0, -1), np.shape(l).slice(0, -2));
  const z = np.linalg.solve(np.broadcastTo(l, [...batch, d, d]), np.broadcastTo(np.expandDims(dev, -1), [...batch, d, 1]));
  const maha = np.sum(np.square(z), [-2, -1]);
  const logDet = np.mul(np.sum(np.log(np.diagonal(l, 0, -2, -1)), -1), 2);
  return np.mul(np.add(np.add(maha, logDet), d * LOG_2PI), -0.5);
}

/** density. */
export function pdf(x: Operand, mean: Operand, cov: Operand): NdArray {
  return np.exp(logpdf(x, mean, cov));
}
