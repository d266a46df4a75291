/**
 * Spectral contrastive loss: `spectralContrastive(z1 [N, D], z2 [N, D], { mu = 1, axisName? })` -> scalar.
 *
 * Source: the seed's `methods/spectral_cl.py` is a placeholder, so this follows the paper's code
 * (HaoChen et al. 2021, jhaochenz96/spectral_contrastive_learning `models/spectral.py`, `D`):
 * rows longer than sqrt(mu) are scaled back onto that sphere, then
 * ```
 * z = |z| < sqrt(mu) ? z : sqrt(mu) z / max(|z|, 1e-12)          (per row; the test has no gradient)
 * part1 = -2 mean(z1 * z2) D                      = -2/N sum_i z1_i . z2_i
 * part2 = sum_{i != j} (z1_i . z2_j)^2 / (N (N - 1))
 * loss  = (part1 + part2) / mu
 * ```
 * With `axisName` (the batch sharded over a named axis): the second view's rows are gathered from
 * every member (`allGather`, tiled; its gradient is a reduce-scatter), so each local row of `z1`
 * meets all N - 1 others; the mean over the members of their losses is the loss of one process
 * on the whole batch. (The paper's code computes each rank's loss on its own batch.)
 */
import { type NdArray, allGather } from '../../core/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';

export interface SpectralContrastiveOptions {
  /** Squared radius of the ball the rows are kept in, and the loss's scale (the paper's default 1). */
  readonly mu?: number;
  /** The batch is sharded over this named axis: the second view's rows from every member (see the module notes). */
  readonly axisName?: string;
}

/** Rows longer than `radius` scaled onto the sphere of that radius; the others as they are. */
function intoBall(z: NdArray, radius: number): NdArray {
  const inside = np.less(np.stopGradient(np.sqrt(np.sum(np.square(z), -1, true))), radius);
  return np.where(inside, z, np.mul(F.l2Normalize(z, -1), radius));
}

/**
 * The spectral contrastive loss of two views' projections.
 * @example const loss = spectralContrastive(z1, z2, { mu: 1 });
 */
export function spectralContrastive(z1: NdArray, z2: NdArray, { mu = 1, axisName }: SpectralContrastiveOptions = {}): NdArray {
  const [n] = pairOfViews(z1, z2, 'spectralContrastive', ['z1', 'z2']);
  if (!(Number.isFinite(mu) && mu > 0)) throw new Error(`spectralContrastive: mu must be a finite number > 0, got ${mu}`);
  const a = intoBall(z1, Math.sqrt(mu));
  const b = intoBall(z2, Math.sqrt(mu));
  const all = axisName === undefined ? b : allGather(b, axisName, { tiled: true });
  const total = np.shape(all)[0];
  if (total < 2) throw new Error(`spectralContrastive: needs a batch of at least 2 pairs (the off-diagonal terms), got ${total}`);
  const positive = np.sum(np.mul(a, b), -1);
  const part1 = np.mul(-2, np.mean(positive));
  // Every pair's squared similarity less the positive pairs' (each local row's own column).
  const squares = np.sub(np.sum(np.square(np.matmul(a, np.transpose(all)))), np.sum(np.square(positive)));
  const part2 = np.div(squares, n * (total - 1));
  return np.div(np.add(part1, part2), mu);
}
