/**
 * CLIP's symmetric InfoNCE: `clipLoss(featsI, featsJ, { temperature = 0.07, axisName? })` -> scalar.
 *
 * Source: stable-pretraining `losses/multimodal.py` `CLIPLoss`:
 * ```
 * loss_i = infoNce(featsI, featsJ, arange(N), T)     (row r of one modality against every row of the other)
 * loss_j = infoNce(featsJ, featsI, arange(N), T)
 * loss   = (loss_i + loss_j) / 2
 * ```
 * `temperature` divides the cosine logits, as the seed's `logit_scale` argument does (an array is
 * allowed: a learned temperature, e.g. `np.exp(logT)`). With `axisName` (the batch sharded over a
 * named axis) the candidates are every member's and each anchor's positive sits in its own
 * member's block, as the seed's `all_gather` under DDP (see `infoNce`).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { pairOfViews } from './checks.js';
import { infoNce } from './info-nce.js';

export interface ClipLossOptions {
  /** Divides the cosine logits (the seed's default 0.07; its `logit_scale` when given). */
  readonly temperature?: number | NdArray;
  /** The batch is sharded over this named axis: candidates from every member. */
  readonly axisName?: string;
}

/**
 * The mean of the two directions' InfoNCE over N paired rows (image-text, or two views).
 * @example const loss = clipLoss(imageFeats, textFeats, { temperature: 0.07 });
 */
export function clipLoss(featsI: NdArray, featsJ: NdArray, { temperature = 0.07, axisName }: ClipLossOptions = {}): NdArray {
  const [n] = pairOfViews(featsI, featsJ, 'clipLoss', ['featsI', 'featsJ']);
  const targets = np.arange(n, undefined, undefined, 'int32');
  const oneWay = (anchors: NdArray, candidates: NdArray) => infoNce(anchors, candidates, targets, { temperature, axisName });
  return np.mul(0.5, np.add(oneWay(featsI, featsJ), oneWay(featsJ, featsI)));
}
