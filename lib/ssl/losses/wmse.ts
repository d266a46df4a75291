/**
 * W-MSE: `wmse(z1 [N, D], z2 [N, D], { eps = 1e-3 })` -> scalar.
 *
 * Source: stable-pretraining `methods/wmse.py` (`WMSE.forward` and `_eigen_whiten`): the two views
 * are whitened together (one set of statistics for both), then compared on the unit sphere:
 * ```
 * z   = [z1; z2] - mean                               [2N, D]
 * cov = z^T z / max(2N - 1, 1), symmetrised;  cov = V diag(w) V^T   (eigh)
 * zw  = z V diag(1 / sqrt(max(w, eps))) V^T           (ZCA whitening)
 * loss = mean((zw1 / |zw1| - zw2 / |zw2|)^2)          (F.normalize, eps 1e-12; F.mse_loss: mean over N D)
 * ```
 * The gradient flows through the eigendecomposition (`np.linalg.eigh`'s): repeated eigenvalues of
 * the covariance (e.g. D > 2N - 1, a rank-deficient batch) make it NaN, as torch's `eigh` backward.
 */
import type { NdArray } from '../../core/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';

export interface WmseOptions {
  /** Floor of the covariance's eigenvalues before the inverse square root; the seed's default 1e-3. */
  readonly eps?: number;
}

/** ZCA whitening of the rows of `z` [M, D] with the floored eigenvalues of their covariance. */
function whiten(z: NdArray, eps: number): NdArray {
  const m = np.shape(z)[0];
  const zc = np.sub(z, np.mean(z, 0, true));
  const cov = np.div(np.matmul(np.transpose(zc), zc), Math.max(m - 1, 1));
  const [w, v] = np.linalg.eigh(np.mul(0.5, np.add(cov, np.transpose(cov))));
  const invSqrt = np.matmul(np.mul(v, np.rsqrt(np.maximum(w, eps))), np.transpose(v));
  return np.matmul(zc, invSqrt);
}

/**
 * The MSE of the jointly whitened, L2-normalised views.
 * @example const loss = wmse(z1, z2, { eps: 1e-3 });
 */
export function wmse(z1: NdArray, z2: NdArray, { eps = 1e-3 }: WmseOptions = {}): NdArray {
  const [n] = pairOfViews(z1, z2, 'wmse', ['z1', 'z2']);
  if (!(eps > 0 && Number.isFinite(eps))) throw new Error(`wmse: eps must be a finite number > 0, got ${eps}`);
  const zw = F.l2Normalize(whiten(np.concatenate([z1, z2], 0), eps), -1);
  const [w1, w2] = np.split(zw, [n], 0);
  return np.mean(np.square(np.sub(w1, w2)));
}
