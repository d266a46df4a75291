/**
 * NT-Xent (SimCLR): `ntXent(zi, zj, { temperature = 0.5, axisName? })` -> scalar.
 *
 * Source: stable-pretraining `losses/joint_embedding.py`, `NTXEntLoss.forward`:
 * ```
 * a = [z_i; z_j]                                   (2N local rows, L2-normalised inside infoNce)
 * c = allGather(a)                                 (2N W rows; c = a in one process, W = 1)
 * logits = a c^T / T with each row's own entry -inf
 * target of row r = index 2N + (r + N) mod 2N      (the other view of the same sample; index: the member's)
 * loss = mean cross-entropy over the local rows
 * ```
 * With `axisName` (the batch sharded over a named axis: `vmap(f, { axisName })`, `pmap`)
 * the anchors stay local and the candidates are every member's (`allGather`, whose
 * gradient is a reduce-scatter), as the seed's loss under DDP: the mean over the members
 * of their losses is the loss of one process on the whole batch, and so are its gradients.
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';
import { infoNce } from './info-nce.js';

export interface NtXentOptions {
  /** Softmax temperature; the seed's default 0.5. */
  readonly temperature?: number | NdArray;
  /** The batch is sharded over this named axis: negatives from every member (see the module notes). */
  readonly axisName?: string;
}

/**
 * SimCLR's loss over N positive pairs (`zi[r]`, `zj[r]`), every other of the 2N embeddings
 * (of the whole batch, with `axisName`) a negative.
 * @example const loss = ntXent(z1, z2, { temperature: 0.1 });
 */
export function ntXent(zi: NdArray, zj: NdArray, { temperature = 0.5, axisName }: NtXentOptions = {}): NdArray {
  const [n] = pairOfViews(zi, zj, 'ntXent');
  const anchors = np.concatenate([zi, zj], 0);
  const targets = np.array(Int32Array.from({ length: 2 * n }, (_, r) => (r + n) % (2 * n)), 'int32');
  const self = np.cast(np.eye(2 * n), 'bool');
  return infoNce(anchors, anchors, targets, { temperature, mask: self, axisName });
}
