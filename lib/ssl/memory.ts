/**
 * A queue / memory bank of past embeddings as explicit state (MoCo's negatives, NNCLR's support set,
 * SwAV's queue), with fixed shapes so a step under `jit` is one trace whatever the fill level:
 * - `initMemory(size, dim, banks?)` -> `{ embeddings: [size, dim] (or [banks, size, dim]), filled: int32 [] }`;
 * - `pushMemory(memory, batch [B, dim] (or [banks, B, dim]), active?)` -> the memory with the batch in
 *   front and the oldest rows dropped (FIFO), `filled = min(filled + B, size)`; unchanged where `active`
 *   (bool []) is false; stores the batch without gradient;
 * - `readMemory(memory)` -> `{ rows, valid }`: every row and a bool [size] mask of those that hold an embedding;
 * - `memoryFull(memory)` -> bool [];
 * - `nearestNeighbour(query [N, D], support [M, D], valid?)` -> [N, D]: each query's most cosine-similar
 *   support row (NNCLR), without gradient.
 *
 * Layout: newest first (row 0 is the last batch's first row), the layout of facebookresearch/swav's
 * queue. stable-pretraining's `OrderedQueue` holds the same rows and lists them oldest first; every
 * loss that reads a memory (InfoNCE's negatives, Sinkhorn over [queue; batch], a nearest neighbour)
 * is unchanged by the order of its rows. As in the seed, a batch larger than the memory keeps its last
 * `size` rows. Banks (SwAV: one per assignment view) share one fill count.
 *
 * State dicts: `memoryToTorch(memory, prefix, out)` / `memoryFromTorch(reader, prefix, size, dim)` write
 * and read the seed's `UnsortedQueue` buffers (`out` [size, dim], a circular buffer written at
 * `pointer`; `filled` once it wrapped; `initialized`), as the seed's MoCov2 and NNCLR keep them
 * under `queue.`. The rows come back newest first; written out, they are oldest first from row 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, shapeStr } from '../core/index.js';
import * as F from '../nn/functional.js';
import * as np from '../ops/index.js';
import type { TorchDict, TorchReader } from '../nn/layer.js';

export interface MemoryState {
  /** [size, dim], or [banks, size, dim]: newest first; zeros where never filled. */
  readonly embeddings: NdArray;
  /** int32 []: how many rows hold embeddings (at most `size`). */
  readonly filled: NdArray;
}

/** `n` if it is an integer >= 1, else a one-line error naming `who` and `what`. */
export function positiveInt(n: number, what: string, who = 'initMemory'): number {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${who}: ${what} must be an integer >= 1, got ${n}`);
  return n;
}

/**
 * An empty memory of `size` rows of width `dim`; with `banks`, that many memories sharing one fill count.
 * @example let queue = initMemory(4096, 128);
 */
export function initMemory(size: number, dim: number, banks?: number): MemoryState {
  const shape = [positiveInt(size, 'size'), positiveInt(dim, 'dim')];
  return { embeddings: tf.zeros(banks === undefined ? shape : [positiveInt(banks, 'banks'), ...shape]), filled: tf.scalar(0, 'int32') };
}

/** The memory's row count (its second-to-last axis). */
function sizeOf(m: MemoryState): number {
  const s = m.embeddings.shape;
  return s[s.length - 2];
}

/**
 * The memory after pushing `batch` ([B, dim], or [banks, B, dim]) in front; when `active` (bool []) is
 * false the memory is returned unchanged (e.g. before a queue's start step, decided inside `jit`).
 * @example queue = pushMemory(queue, keys);
 */
export function pushMemory(m: MemoryState, batch: NdArray, active?: NdArray): MemoryState {
  const ms = m.embeddings.shape;
  const bs = batch.shape;
  const axis = ms.length - 2;
  if (bs.length !== ms.length || bs.some((d, i) => i !== axis && d !== ms[i]))
    throw new Error(`pushMemory: the memory holds ${shapeStr(ms)} so the batch must be [${ms.map((d, i) => (i === axis ? 'B' : d)).join(',')}], got ${shapeStr(bs)}`);
  const size = ms[axis];
  const b = bs[axis];
  const fresh = np.stopGradient(batch);
  const pushed = b >= size ? np.sliceAxis(fresh, axis, b - size, b) : np.concatenate([fresh, np.sliceAxis(m.embeddings, axis, 0, size - b)], axis);
  const filled = np.minimum(np.add(m.filled, b), size);
  if (active === undefined) return { embeddings: pushed, filled };
  return { embeddings: np.where(active, pushed, m.embeddings), filled: np.where(active, filled, m.filled) };
}

/**
 * Every row of the memory and which of them hold an embedding (bool [size]: the first `filled`).
 * @example const { rows, valid } = readMemory(queue);
 */
export function readMemory(m: MemoryState): { rows: NdArray; valid: NdArray } {
  return { rows: m.embeddings, valid: np.less(np.arange(sizeOf(m)), m.filled) };
}

/** Whether every row holds an embedding: bool []. */
export function memoryFull(m: MemoryState): NdArray {
  return np.greaterEqual(m.filled, sizeOf(m));
}

/**
 * For each query row, the support row of highest cosine similarity among the `valid` ones (all when
 * omitted), as the seed's NNCLR `_nearest_neighbour`; no gradient. With no valid row it returns row 0:
 * guard on the memory's `filled` (the seed falls back to the other view below 2 rows).
 * @example const { rows, valid } = readMemory(support); const nn1 = nearestNeighbour(z1, rows, valid);
 */
export function nearestNeighbour(query: NdArray, support: NdArray, valid?: NdArray): NdArray {
  const qs = query.shape;
  const ss = support.shape;
  if (qs.length !== 2 || ss.length !== 2 || qs[1] !== ss[1]) throw new Error(`nearestNeighbour: query [N, D] and support [M, D] must be matrices of one width, got ${shapeStr(qs)} and ${shapeStr(ss)}`);
  if (valid !== undefined && shapeStr(valid.shape) !== shapeStr([ss[0]])) throw new Error(`nearestNeighbour: valid must be [${ss[0]}] (one flag per support row), got ${shapeStr(valid.shape)}`);
  const s = np.stopGradient(support);
  const similarity = np.matmul(F.l2Normalize(np.stopGradient(query), -1), np.transpose(F.l2Normalize(s, -1)));
  const candidates = valid === undefined ? similarity : np.where(valid, similarity, -Infinity);
  return np.take(s, np.argmax(candidates, -1), 0);
}

/**
 * Writes a (single-bank) memory as the seed's `UnsortedQueue` entries `prefix + out|pointer|filled|initialized`:
 * the rows oldest first from row 0, `pointer` where the next row goes, `filled` once every row is in use.
 * @example memoryToTorch(state.queue, 'queue.', out);
 */
export function memoryToTorch(m: MemoryState, prefix: string, out: TorchDict): void {
  const s = m.embeddings.shape;
  if (s.length !== 2) throw new Error(`memoryToTorch: a queue is one bank [size, dim], got ${shapeStr(s)}`);
  const size = s[0];
  const filled = (m.filled as tf.Tensor).dataSync()[0];
  // Row j (oldest first) is our row filled - 1 - j (newest first); rows past `filled` are zeros.
  const order = Array.from({ length: size }, (_, j) => (j < filled ? filled - 1 - j : j));
  const keep = tf.tensor(Array.from({ length: size }, (_, j) => (j < filled ? 1 : 0)), [size, 1]);
  out[`${prefix}out`] = tf.tidy(() => tf.mul(tf.gather(m.embeddings as tf.Tensor, order), keep));
  keep.dispose();
  out[`${prefix}pointer`] = tf.scalar(filled % size, 'int32');
  out[`${prefix}filled`] = tf.scalar(filled >= size, 'bool');
  out[`${prefix}initialized`] = tf.scalar(true, 'bool');
}

/** The integer value of a scalar entry (int or bool), or an error naming it. */
function scalarEntry(r: TorchReader, name: string): number {
  const t = r.dict[name];
  if (t.size !== 1) throw new Error(`loadTorchStateDict: '${name}' must be a scalar, got ${shapeStr(t.shape)}`);
  r.skip(name);
  return t.dataSync()[0];
}

/**
 * Reads the seed's `UnsortedQueue` entries under `prefix` into a memory of `size` rows of width `dim`
 * (newest first), or null when the dict has none (a fresh memory then).
 * @example const queue = memoryFromTorch(reader, 'queue.', 65536, 128) ?? initMemory(65536, 128);
 */
export function memoryFromTorch(r: TorchReader, prefix: string, size: number, dim: number): MemoryState | null {
  if (!r.has(`${prefix}out`)) return null;
  const rows = r.get(`${prefix}out`, [size, dim]);
  const pointer = r.has(`${prefix}pointer`) ? scalarEntry(r, `${prefix}pointer`) : 0;
  const wrapped = r.has(`${prefix}filled`) ? scalarEntry(r, `${prefix}filled`) !== 0 : false;
  r.skip(`${prefix}initialized`);
  if (!(Number.isInteger(pointer) && pointer >= 0 && pointer < size)) throw new Error(`loadTorchStateDict: '${prefix}pointer' must be in [0, ${size}), got ${pointer}`);
  const filled = wrapped ? size : pointer;
  // Our row i (newest first) is their row pointer - 1 - i (mod size); rows past `filled` are zeros.
  const order = Array.from({ length: size }, (_, i) => (i < filled ? (((pointer - 1 - i) % size) + size) % size : i));
  const keep = tf.tensor(Array.from({ length: size }, (_, i) => (i < filled ? 1 : 0)), [size, 1]);
  const embeddings = tf.tidy(() => tf.mul(tf.gather(rows, order), keep));
  keep.dispose();
  return { embeddings, filled: tf.scalar(filled, 'int32') };
}
