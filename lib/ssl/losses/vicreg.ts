/**
 * VICReg: `vicreg(zi, zj, opts?)` and its variance-covariance part `vcReg(z, opts?)` -> scalar.
 * Defaults are the seed's: simCoeff 25, stdCoeff 25, covCoeff 1, epsilon 1e-4.
 *
 * Source: stable-pretraining `losses/joint_embedding.py` `VICRegLoss` and `losses/utils.py` `VCRegLoss`:
 * ```
 * vcReg(z):  zc = z - mean_b z;  std = sqrt(var_unbiased(zc) + epsilon)
 *            stdCoeff * mean(relu(1 - std)) / 2  +  covCoeff * sum(offdiag(zc^T zc / (N - 1))^2) / D
 * vicreg:    simCoeff * mean((z_i - z_j)^2) + vcReg(z_i) + vcReg(z_j)
 * ```
 * Needs N >= 2 (the unbiased variance).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { matrix, offDiagonalMask, pairOfViews } from './checks.js';

export interface VcRegOptions {
  /** Weight of the variance (hinge on the std) term; default 25. */
  readonly stdCoeff?: number;
  /** Weight of the covariance term; default 1. */
  readonly covCoeff?: number;
  /** Added to the variance under the square root; default 1e-4. */
  readonly epsilon?: number;
}

export interface VicRegOptions extends VcRegOptions {
  /** Weight of the invariance (MSE) term; default 25. */
  readonly simCoeff?: number;
}

/**
 * The variance-covariance regulariser of one batch of embeddings [N, D] (N >= 2).
 * @example const reg = vcReg(z, { stdCoeff: 25, covCoeff: 1 });
 */
export function vcReg(z: NdArray, { stdCoeff = 25, covCoeff = 1, epsilon = 1e-4 }: VcRegOptions = {}): NdArray {
  const [n, d] = matrix(z, 'vcReg', 'z');
  if (n < 2) throw new Error(`vcReg: needs a batch of at least 2 embeddings (the unbiased variance), got [${n}, ${d}]`);
  const zc = np.sub(z, np.mean(z, 0, true));
  const std = np.sqrt(np.add(np.div(np.sum(np.square(zc), 0), n - 1), epsilon));
  const stdLoss = np.div(np.mean(np.relu(np.sub(1, std))), 2);
  const cov = np.div(np.matmul(np.transpose(zc), zc), n - 1);
  const covLoss = np.div(np.sum(np.mul(np.square(cov), offDiagonalMask(d))), d);
  return np.add(np.mul(stdCoeff, stdLoss), np.mul(covCoeff, covLoss));
}

/**
 * VICReg's loss of two views [N, D]: invariance + variance-covariance of each view.
 * @example const loss = vicreg(z1, z2);
 */
export function vicreg(zi: NdArray, zj: NdArray, { simCoeff = 25, ...vc }: VicRegOptions = {}): NdArray {
  pairOfViews(zi, zj, 'vicreg');
  const invariance = np.mean(np.square(np.sub(zi, zj)));
  return np.add(np.add(np.mul(simCoeff, invariance), vcReg(zi, vc)), vcReg(zj, vc));
}
