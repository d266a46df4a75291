/**
 * InfoNCE: `infoNce(anchors, candidates, targets, { temperature = 0.07, mask?, axisName? })` -> scalar.
 *
 * Source: stable-pretraining `losses/joint_embedding.py`, `InfoNCELoss._compute`:
 * ```
 * a = normalize(anchors), c = normalize(candidates)        (L2, rows; torch's F.normalize)
 * logits = a c^T / temperature,  logits[mask] = -inf
 * loss = mean_i -log_softmax(logits_i)[targets_i]
 * ```
 * MoCo: `candidates = [keys; queue]`, `targets = arange(N)`. CLIP: `candidates` the other modality,
 * `targets = arange(N)`. NT-Xent (./ntxent.ts) is this with the anchors as their own candidates.
 *
 * With `axisName` (the batch sharded over a named axis), as the seed's `NTXEntLoss` / `CLIPLoss`
 * under DDP: the anchors stay local, the candidates are every member's, concatenated in member
 * order (`allGather`, tiled; its gradient is a reduce-scatter), and `targets` and `mask`, given
 * for this member's own candidates, are moved to its block (`targets + index * M`; other
 * members' candidates are never masked). The mean over the members of their losses is then
 * the loss of one process whose candidates are all of them.
 *
 * Targets outside [0, M) are an error, as PyTorch's cross_entropy raises ("Target 7 is out of
 * bounds"), where they can be read: not under jit, vmap or grad (the targets are traced, and
 * an out-of-range target then picks no logit, so its anchor adds 0), nor on webgpu.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type NdArray, allGather, axisIndex, axisSize, canReadBack, isTracer, shapeStr } from '../../core/index.js';
import { shape as shapeOf } from '../../ops/index.js';
import * as F from '../../nn/functional.js';
import * as np from '../../ops/index.js';
import { matrix, positiveTemperature } from './checks.js';

export interface InfoNceOptions {
  /** Softmax temperature (the seed's default 0.07); an array is allowed (a learned CLIP scale). */
  readonly temperature?: number | NdArray;
  /** bool [N, M]: true drops the anchor-candidate pair (its logit becomes -inf), as the seed's `mask`. */
  readonly mask?: NdArray;
  /** The batch is sharded over this named axis: candidates from every member (see the module notes). */
  readonly axisName?: string;
}

/** Candidates, targets and mask over every member of `axisName`, from this member's own. */
function gathered(candidates: NdArray, targets: NdArray, mask: NdArray | undefined, axisName: string): [NdArray, NdArray, NdArray | undefined] {
  const m = shapeOf(candidates)[0];
  const index = axisIndex(axisName);
  const all = allGather(candidates, axisName, { tiled: true });
  const moved = np.add(targets, np.mul(index, m));
  if (mask === undefined) return [all, moved, undefined];
  const blocks = Array.from({ length: axisSize(axisName, 'infoNce') }, (_, j) => np.logicalAnd(mask, np.equal(index, j)));
  return [all, moved, np.concatenate(blocks, 1)];
}

/** Raises on the first target outside [0, m) where the targets can be read on the host (see the module notes). */
function checkTargets(targets: NdArray, m: number): void {
  if (isTracer(targets) || !canReadBack()) return;
  const values = (targets as tf.Tensor).dataSync();
  const i = values.findIndex((v) => v < 0 || v >= m);
  if (i >= 0) throw new Error(`infoNce: targets[${i}] = ${values[i]} is out of range for ${m} candidates (must be in [0, ${m}))`);
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
  if (!targets.dtype.startsWith('int')) throw new Error(`infoNce: targets must be integer indices (int32), got ${targets.dtype}`);
  checkTargets(targets, m);
  if (opts.mask !== undefined && shapeStr(shapeOf(opts.mask)) !== shapeStr([n, m]))
    throw new Error(`infoNce: mask must be [${n}, ${m}] (anchors x candidates), got ${shapeStr(shapeOf(opts.mask))}`);
  const temperature = positiveTemperature(opts.temperature ?? 0.07, 'infoNce');
  const [all, goal, mask] = opts.axisName === undefined ? [candidates, targets, opts.mask] : gathered(candidates, targets, opts.mask, opts.axisName);
  const scores = np.div(np.matmul(F.l2Normalize(anchors, -1), np.transpose(F.l2Normalize(all, -1))), temperature);
  const logits = mask === undefined ? scores : np.where(mask, -Infinity, scores);
  // Pick each row's target by selection, not by multiplying with a one-hot: a masked logit is -inf
  // and 0 * -inf would be NaN (the seed's cross_entropy gathers, which never touches it).
  const picked = np.where(np.cast(np.oneHot(goal, shapeOf(all)[0]), 'bool'), np.logSoftmax(logits, -1), 0);
  return np.neg(np.mean(np.sum(picked, -1)));
}
