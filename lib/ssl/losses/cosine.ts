/**
 * Cosine losses between two views: `byolLoss(onlinePred, targetProj)` and `negativeCosine(zi, zj)` -> scalar.
 *
 * Sources: stable-pretraining `losses/joint_embedding.py` `BYOLLoss` and `losses/utils.py`
 * `NegativeCosineSimilarity`:
 * ```
 * byolLoss       = mean_b (2 - 2 <p_b / |p_b|, z_b / |z_b|>)        in [0, 4]  (BYOL's normalised MSE)
 * negativeCosine = -mean_b <x_b / max(|x_b|, eps), y_b / max(|y_b|, eps)>    in [-1, 1] (SimSiam; eps 1e-8)
 * ```
 * Neither stops gradients: pass the target side through `stopGradient` (or a teacher) as the method requires.
 */
import type { NdArray } from '../../core/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';

/**
 * BYOL's loss: the mean squared distance of the L2-normalised rows, `2 - 2 cos`.
 * @example const l = np.div(np.add(byolLoss(p1, stopGradient(zt2)), byolLoss(p2, stopGradient(zt1))), 2);
 */
export function byolLoss(onlinePred: NdArray, targetProj: NdArray): NdArray {
  pairOfViews(onlinePred, targetProj, 'byolLoss', ['onlinePred', 'targetProj']);
  const cos = np.sum(np.mul(F.l2Normalize(onlinePred, -1), F.l2Normalize(targetProj, -1)), -1);
  return np.mean(np.sub(2, np.mul(2, cos)));
}

export interface NegativeCosineOptions {
  /**
   * Each row is divided by `max(|x|, eps)`. Default 1e-8: the seed's `NegativeCosineSimilarity`
   * (torch's `CosineSimilarity`). The seed's `SimSiam` method normalises with `F.normalize`
   * instead: eps 1e-12.
   */
  readonly eps?: number;
}

/**
 * SimSiam's loss: minus the mean cosine similarity of matching rows (torch's `CosineSimilarity(dim=1)`
 * since PyTorch 1.12, which the seed's `NegativeCosineSimilarity` uses: eps 1e-8 clamps each norm, not
 * their product, so rows of norm below 1e-4 still have cosine 1 with themselves, and a zero row has
 * gradient `y / (|y| eps)`).
 * @example const l = np.div(np.add(negativeCosine(p1, stopGradient(z2)), negativeCosine(p2, stopGradient(z1))), 2);
 */
export function negativeCosine(zi: NdArray, zj: NdArray, { eps = 1e-8 }: NegativeCosineOptions = {}): NdArray {
  pairOfViews(zi, zj, 'negativeCosine');
  if (!(eps > 0 && Number.isFinite(eps))) throw new Error(`negativeCosine: eps must be a finite number > 0, got ${eps}`);
  return np.neg(np.mean(cosineAlongLast(zi, zj, eps)));
}

/** torch's `F.cosine_similarity(x, y, dim=-1, eps)`: each norm clamped at `eps` (not their product). */
export function cosineAlongLast(x: NdArray, y: NdArray, eps = 1e-8): NdArray {
  return np.sum(np.mul(F.l2Normalize(x, -1, eps), F.l2Normalize(y, -1, eps)), -1);
}
