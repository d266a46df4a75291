/**
 * NT-Xent (SimCLR): `ntXent(zi, zj, { temperature = 0.5 })` -> scalar.
 *
 * Source: stable-pretraining `losses/joint_embedding.py`, `NTXEntLoss.forward` (one process):
 * ```
 * a = [z_i; z_j]                                   (2N rows, L2-normalised inside infoNce)
 * logits = a a^T / T with each row's own entry -inf
 * target of row r = (r + N) mod 2N                 (the other view of the same sample)
 * loss = mean cross-entropy = infoNce(a, a, targets, mask = I)
 * ```
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';
import { infoNce } from './info-nce.js';

export interface NtXentOptions {
  /** Softmax temperature; the seed's default 0.5. */
  readonly temperature?: number | NdArray;
}

/**
 * SimCLR's loss over N positive pairs (`zi[r]`, `zj[r]`), every other of the 2N embeddings a negative.
 * @example const loss = ntXent(z1, z2, { temperature: 0.1 });
 */
export function ntXent(zi: NdArray, zj: NdArray, { temperature = 0.5 }: NtXentOptions = {}): NdArray {
  const [n] = pairOfViews(zi, zj, 'ntXent');
  const anchors = np.concatenate([zi, zj], 0);
  const targets = np.array(Int32Array.from({ length: 2 * n }, (_, r) => (r + n) % (2 * n)), 'int32');
  const self = np.cast(np.eye(2 * n), 'bool');
  return infoNce(anchors, anchors, targets, { temperature, mask: self });
}
