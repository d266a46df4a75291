/**
 * KoLeo (Kozachenko-Leonenko) spreading regulariser: `koleo(z [N, D], { eps = 1e-8 })` -> scalar.
 *
 * Source: stable-pretraining `methods/dinov3.py` `_koleo_loss` (DINOv3's `koleo_weight` term, 0.1
 * there, on the student's CLS embeddings):
 * ```
 * zn = z / max(|z|, 1e-12)                              (F.normalize, each row)
 * s_i = max_{j != i} <zn_i, zn_j>                       (the nearest neighbour's cosine)
 * d_i = sqrt(max(2 - 2 s_i, eps))                       (its Euclidean distance on the sphere)
 * loss = -mean_i log(max(d_i, eps))
 * ```
 * The gradient flows through each row's nearest neighbour only (torch's `max(dim)`). Needs N >= 2.
 */
import type { NdArray } from '../../core/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { matrix } from './checks.js';

export interface KoleoOptions {
  /** Floor of the squared distance and of the distance before the log; the seed's default 1e-8. */
  readonly eps?: number;
}

/**
 * Minus the mean log distance of each embedding to its nearest neighbour (on the unit sphere).
 * @example const loss = np.add(dinoLoss, np.mul(0.1, koleo(studentCls)));
 */
export function koleo(z: NdArray, { eps = 1e-8 }: KoleoOptions = {}): NdArray {
  const [n, d] = matrix(z, 'koleo', 'z');
  if (n < 2) throw new Error(`koleo: needs at least 2 embeddings (a nearest neighbour), got [${n}, ${d}]`);
  if (!(eps > 0 && Number.isFinite(eps))) throw new Error(`koleo: eps must be a finite number > 0, got ${eps}`);
  const zn = F.l2Normalize(z, -1);
  const sim = np.where(np.cast(np.eye(n), 'bool'), -1, np.matmul(zn, np.transpose(zn)));
  const distance = np.sqrt(np.maximum(np.sub(2, np.mul(2, np.max(sim, -1))), eps));
  return np.neg(np.mean(np.log(np.maximum(distance, eps))));
}
