/**
 * Barlow Twins: `barlowTwins(zi, zj, { lambda = 5e-3 })` -> scalar.
 *
 * Source: stable-pretraining `losses/joint_embedding.py` `BarlowTwinsLoss` (one process):
 * ```
 * zn = (z - mean_b z) / (std_unbiased_b z + 1e-5)          (each view standardised over the batch)
 * c  = zn_i^T zn_j / N                                      [D, D] cross-correlation
 * loss = sum((diag c - 1)^2) + lambda * sum(offdiag(c)^2)
 * ```
 * This is the seed's batch-norm-of-embeddings convention (no affine, unbiased std plus 1e-5 outside the root).
 * Needs N >= 2. Where a feature is constant over the batch its std is 0 and its gradient is taken as 0
 * (the seed's is NaN there; the value is the same).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { diagonal, offDiagonalMask, pairOfViews } from './checks.js';

export interface BarlowTwinsOptions {
  /** Weight of the off-diagonal (redundancy reduction) term; the seed's default 5e-3. */
  readonly lambda?: number;
}

/** `sqrt(v)` with gradient 0 (not infinity) where `v` is 0. */
function safeSqrt(v: NdArray): NdArray {
  const positive = np.greater(v, 0);
  return np.where(positive, np.sqrt(np.where(positive, v, 1)), 0);
}

/** Each column standardised over the batch: `(z - mean) / (std_unbiased + 1e-5)`. */
function standardise(z: NdArray, n: number): NdArray {
  const zc = np.sub(z, np.mean(z, 0, true));
  const std = safeSqrt(np.div(np.sum(np.square(zc), 0, true), n - 1));
  return np.div(zc, np.add(std, 1e-5));
}

/**
 * Barlow Twins' redundancy-reduction loss of two views [N, D] (N >= 2).
 * @example const loss = barlowTwins(z1, z2, { lambda: 5e-3 });
 */
export function barlowTwins(zi: NdArray, zj: NdArray, { lambda = 5e-3 }: BarlowTwinsOptions = {}): NdArray {
  const [n, d] = pairOfViews(zi, zj, 'barlowTwins');
  if (n < 2) throw new Error(`barlowTwins: needs a batch of at least 2 embeddings (the unbiased std), got [${n}, ${d}]`);
  const c = np.div(np.matmul(np.transpose(standardise(zi, n)), standardise(zj, n)), n);
  const onDiagonal = np.sum(np.square(np.sub(diagonal(c), 1)));
  const offDiagonal = np.sum(np.mul(np.square(c), offDiagonalMask(d)));
  return np.add(onDiagonal, np.mul(lambda, offDiagonal));
}
