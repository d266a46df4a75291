/**
 * facebookresearch/swav's queue as explicit state: for each assignment view, the
 * embeddings (L2-normalised projections, no gradient) of the last `length` samples.
 * Small batches make poor Sinkhorn problems; scoring the queue against the current
 * prototypes and solving Sinkhorn over queue + batch gives better codes.
 *
 * As in `main_swav.py`: from `startStep` on, every training step pushes the batch's
 * embeddings in front (dropping the oldest); the queue is used once it is full (and from
 * then on). Codes are computed over [queue; batch] and the batch's rows kept. Every
 * decision is an array, so a step under `jit` is one trace whatever the step. The queue is
 * one memory bank (../memory.ts) per assignment view, sharing one fill count.
 */
import { type NdArray, stopGradient } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type MemoryState, initMemory, memoryFull, positiveInt, pushMemory } from '../memory.js';
import { type SinkhornOptions, sinkhorn } from './sinkhorn.js';

/** The queue: one memory bank per assignment view (`embeddings` [views, length, dim], newest first). */
export type QueueState = MemoryState;

/** An empty queue for `views` assignment views of `length` embeddings of width `dim`. */
export function initQueue(views: number, length: number, dim: number): QueueState {
  for (const [what, n] of [['views', views], ['length', length], ['dim', dim]] as const) positiveInt(n, what, 'swav.initQueue(views, length, dim)');
  return initMemory(length, dim, views);
}

/** Whether the queue is full (then it is used): bool []. */
export const queueInUse = memoryFull;

/**
 * Codes of a batch's scores [B, K] with the queue's embeddings [L, D] of this view scored
 * against the (normalised) prototypes `weight` [K, D]: Sinkhorn over [queue; batch] when `inUse`
 * (else over the batch alone), the batch's rows returned. No gradient.
 */
export function codesWithQueue(scores: NdArray, queued: NdArray, weight: NdArray, inUse: NdArray, opts: SinkhornOptions = {}): NdArray {
  const [b] = scores.shape;
  const [l] = queued.shape;
  const queueScores = np.matmul(stopGradient(queued), np.transpose(stopGradient(weight)));
  const all = np.concatenate([queueScores, stopGradient(scores)], 0);
  const use = np.cast(inUse, 'float32');
  const mask = np.concatenate([np.mul(np.ones([l]), use), np.ones([b])], 0);
  const q = sinkhorn(all, { ...opts, mask });
  return np.sliceAxis(q, 0, l, l + b);
}

/**
 * The queue after a training step that saw `batch[i]` ([B, D] per assignment view):
 * when `active` (bool []), the batch goes in front and the oldest rows drop out;
 * otherwise the queue is unchanged.
 */
export function pushQueue(q: QueueState, batch: readonly NdArray[], active: NdArray): QueueState {
  const views = q.embeddings.shape[0];
  if (batch.length !== views) throw new Error(`swav queue: it holds ${views} assignment view(s), got embeddings of ${batch.length}`);
  return pushMemory(q, np.stack(batch, 0), active);
}
