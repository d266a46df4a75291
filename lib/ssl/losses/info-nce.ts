/**
 * InfoNCE: `infoNce(anchors, candidates, targets, { temperature = 0.07, mask? })` -> scalar.
 *
 * Source: stable-pretraining `losses/joint_embedding.py`, `InfoNCELoss._compute`:
 * ```
 * a = normalize(anchors), c = normalize(candidates)        (L2, rows; torch's F.normalize)
 * logits = a c^T / temperature,  logits[mask] = -inf
 * loss = mean_i -log_softmax(logits_i)[targets_i]
 * ```
 * MoCo: `candidates = [keys; queue]`, `targets = arange(N)`. CLIP: `candidates` the other modality,
 * `targets = arange(N)`. NT-Xent (./ntxent.ts) is this with the anchors as their own candidates.
 */
import { type NdArray, shapeStr } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { matrix, positiveTemperature } from './checks.js';

export interface InfoNceOptions {
  /** Softmax temperature (the seed's default 0.07); an array is allowed (a learned CLIP scale). */
  readonly temperature?: number | NdArray;
  /** bool [N, M]: true drops the anchor-candidate pair (its logit becomes -inf), as the seed's `mask`. */
  readonly mask?: NdArray;
}

/**
 * Mean cross-entropy of cosine logits `a c^T / T` against the index of each anchor's positive.
 * `anchors` [N, D], `candidates` [M, D], `targets` int32 [N] in [0, M).
 * @example const l = infoNce(q, np.concatenate([k, queue], 0), np.arange(n), { temperature: 0.2 });
 */
export function infoNce(anchors: NdArray, candidates: NdArray, targets: NdArray, opts: InfoNceOptions = {}): NdArray {
  const [n, d] = matrix(anchors, 'infoNce', 'anchors');
  const [m, dc] = matrix(candidates, 'infoNce', 'candidates');
  if (d !== dc) throw new Error(`infoNce: anchors [${n}, ${d}] and candidates [${m}, ${dc}] must have one width`);
  const ts = shapeOf(targets);
  if (ts.length !== 1 || ts[0] !== n) throw new Error(`infoNce: targets must be [${n}] (one index per anchor), got ${shapeStr(ts)}`);
  if (opts.mask !== undefined && shapeStr(shapeOf(opts.mask)) !== shapeStr([n, m]))
    throw new Error(`infoNce: mask must be [${n}, ${m}] (anchors x candidates), got ${shapeStr(shapeOf(opts.mask))}`);
  const temperature = positiveTemperature(opts.temperature ?? 0.07, 'infoNce');
  const scores = np.div(np.matmul(F.l2Normalize(anchors, -1), np.transpose(F.l2Normalize(candidates, -1))), temperature);
  const logits = opts.mask === undefined ? scores : np.where(opts.mask, -Infinity, scores);
  // Pick each row's target by selection, not by multiplying with a one-hot: a masked logit is -inf
  // and 0 * -inf would be NaN (the seed's cross_entropy gathers, which never touches it).
  const picked = np.where(np.cast(np.oneHot(targets, m), 'bool'), np.logSoftmax(logits, -1), 0);
  return np.neg(np.mean(np.sum(picked, -1)));
}
