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
 *
 * With `axisName` (the batch sharded over a named axis) every batch statistic is the whole
 * batch's: the means and unbiased stds through `pmean` / `psum` over the members, and
 * `c = psum(zn_i^T zn_j) / N_total` (the seed all-reduces `c` but standardises each rank's
 * rows with that rank's own statistics; the reference facebookresearch/barlowtwins uses a
 * synchronised BatchNorm for it, as here). Every member then gets the loss of one process on
 * the whole batch, and the mean of their gradients is its gradient.
 *
 * `batchStatistics: 'perMember'` is the seed's data-parallel form instead: each member
 * standardises its own rows with its own means and unbiased stds (each member needs >= 2 rows),
 * and only `c = psum(zn_i^T zn_j) / N_total` crosses the members (the seed's `all_reduce(c)`).
 * Without `axisName` the two are the same.
 */
import { type NdArray, axisSize, pmean, psum } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { diagonal, offDiagonalMask, pairOfViews } from './checks.js';

export interface BarlowTwinsOptions {
  /** Weight of the off-diagonal (redundancy reduction) term; the seed's default 5e-3. */
  readonly lambda?: number;
  /** The batch is sharded over this named axis: statistics of the whole batch (see the module notes). */
  readonly axisName?: string;
  /**
   * With `axisName`: `'global'` (default) standardises with the whole batch's statistics (SyncBN);
   * `'perMember'` with each member's own, as the seed's ranks do, and only `c` is summed.
   */
  readonly batchStatistics?: BarlowTwinsStatistics;
}

/** Where Barlow Twins' standardisation takes its batch statistics from under an axis. */
export type BarlowTwinsStatistics = 'global' | 'perMember';

/** Sums over the members of `axisName` (the identity without one). */
const overAll = (x: NdArray, axisName: string | undefined) => (axisName === undefined ? x : psum(x, axisName));

/** `sqrt(v)` with gradient 0 (not infinity) where `v` is 0. */
function safeSqrt(v: NdArray): NdArray {
  const positive = np.greater(v, 0);
  return np.where(positive, np.sqrt(np.where(positive, v, 1)), 0);
}

/** Each column standardised over the (whole) batch of `n` rows: `(z - mean) / (std_unbiased + 1e-5)`. */
function standardise(z: NdArray, n: number, axisName: string | undefined): NdArray {
  const mean = np.mean(z, 0, true);
  const zc = np.sub(z, axisName === undefined ? mean : pmean(mean, axisName));
  const std = safeSqrt(np.div(overAll(np.sum(np.square(zc), 0, true), axisName), n - 1));
  return np.div(zc, np.add(std, 1e-5));
}

/**
 * Barlow Twins' redundancy-reduction loss of two views [N, D] (N >= 2).
 * @example const loss = barlowTwins(z1, z2, { lambda: 5e-3 });
 */
export function barlowTwins(zi: NdArray, zj: NdArray, { lambda = 5e-3, axisName, batchStatistics = 'global' }: BarlowTwinsOptions = {}): NdArray {
  const [local, d] = pairOfViews(zi, zj, 'barlowTwins');
  if (batchStatistics !== 'global' && batchStatistics !== 'perMember') {
    throw new Error(`barlowTwins: batchStatistics must be 'global' or 'perMember', got ${JSON.stringify(batchStatistics)}`);
  }
  const n = axisName === undefined ? local : local * axisSize(axisName, 'barlowTwins');
  const perMember = batchStatistics === 'perMember' && axisName !== undefined;
  const [statRows, statAxis] = perMember ? [local, undefined] : [n, axisName];
  if (statRows < 2) {
    const where = perMember ? `each member's rows with batchStatistics 'perMember'` : 'a batch';
    throw new Error(`barlowTwins: needs ${where} of at least 2 embeddings (the unbiased std), got [${statRows}, ${d}]`);
  }
  const c = np.div(overAll(np.matmul(np.transpose(standardise(zi, statRows, statAxis)), standardise(zj, statRows, statAxis)), axisName), n);
  const onDiagonal = np.sum(np.square(np.sub(diagonal(c), 1)));
  const offDiagonal = np.sum(np.mul(np.square(c), offDiagonalMask(d)));
  return np.add(onDiagonal, np.mul(lambda, offDiagonal));
}
