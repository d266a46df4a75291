/**
 * The queue of MoCo v2 and NNCLR (a memory, ../memory.ts) as those methods use it:
 * - `queueOrder`: `'readFirst'` (default; MoCo's and NNCLR's papers: the loss reads the queue
 *   of earlier batches, then the batch enters it) or `'appendFirst'` (stable-pretraining's
 *   `MoCov2` / `NNCLR`: `queue.append(batch)` returns the queue the loss reads, so it holds
 *   the current batch: a MoCo key is also its own negative, an NNCLR projection its own
 *   nearest neighbour);
 * - the queue is a FIFO of rows (`pushRows`), newest row first, as the seed's;
 * - `queueTorch(length, dim)`: the queue in the seed's state dict (`queue.out`, `queue.pointer`,
 *   `queue.filled`, `queue.initialized`, its `UnsortedQueue` buffers).
 */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { oneOf } from '../codecs.js';
import { type MemoryState, initMemory, memoryFromTorch, memoryToTorch, pushMemory, readMemory } from '../memory.js';
import type { ExtraTorch, NetState } from './network.js';

export type QueueOrder = 'readFirst' | 'appendFirst';

export const queueOrderCodec = oneOf(['readFirst', 'appendFirst'] as const);

/**
 * The queue after the seed's `UnsortedQueue.append(batch)`: a FIFO of rows, so the batch enters
 * newest row first (row 0 is the batch's last row) and, when the queue overflows, the oldest rows
 * (not the oldest batch's last rows) drop out, whatever the queue length; of a batch longer than the
 * queue its last rows stay.
 */
export function pushRows(queue: MemoryState, batch: NdArray): MemoryState {
  const size = queue.embeddings.shape[0];
  const b = batch.shape[0];
  const kept = b > size ? np.sliceAxis(batch, 0, b - size, b) : batch;
  return pushMemory(queue, np.flip(kept, 0));
}

/** What the loss reads (`rows`, `valid`, `filled`) and the queue after the step (`next`), in either order. */
export function queueForLoss(queue: MemoryState, batch: NdArray, order: QueueOrder): { rows: NdArray; valid: NdArray; filled: NdArray; next: MemoryState } {
  const next = pushRows(queue, batch);
  const read = order === 'appendFirst' ? next : queue;
  return { ...readMemory(read), filled: read.filled, next };
}

/** The queue (`state.queue`, `length` rows of width `dim`) as the seed's `queue.*` state-dict entries. */
export function queueTorch(length: number, dim: number): ExtraTorch {
  return {
    write: (state: NetState, out) => memoryToTorch(state.queue as MemoryState, 'queue.', out),
    read: (r) => {
      const queue = memoryFromTorch(r, 'queue.', length, dim);
      return queue === null ? {} : { queue };
    },
  };
}

/** A fresh queue of `length` rows of width `dim`, as extra state. */
export const freshQueue = (length: number, dim: number) => (): Record<string, unknown> => ({ queue: initMemory(length, dim) });
