/**
 * Arrays as plain data that crosses `postMessage` (structured clone or transfer): a
 * {@link HostArray} is `{ shape, dtype, data }` with a typed array. Trees of them mirror
 * trees of tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tree from '../tree/index.js';

export { readFloats } from '../backend/read-floats.js';

export type HostDType = 'float32' | 'int32' | 'bool';

/** An array's values on the host: row-major `data` of `shape`. */
export interface HostArray {
  readonly shape: readonly number[];
  readonly dtype: HostDType;
  readonly data: Float32Array | Int32Array | Uint8Array;
}

export function isHostArray(x: unknown): x is HostArray {
  if (x === null || typeof x !== 'object') return false;
  const h = x as Partial<HostArray>;
  return Array.isArray(h.shape) && typeof h.dtype === 'string' && ArrayBuffer.isView(h.data);
}

const isTensor = (x: unknown): x is tf.Tensor => x instanceof tf.Tensor;
/** An array leaf of a tree that crosses to workers: a tensor or a host array. */
export const isLeafLike = (x: unknown) => isTensor(x) || isHostArray(x);

/** The host copy of a tensor. */
export function toHostArray(t: tf.Tensor): HostArray {
  const dtype = t.dtype as HostDType;
  if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool') throw new Error(`parallel: cannot send a ${t.dtype} array between workers`);
  const values = t.dataSync();
  // A copy: some backends (cpu) hand out their own storage, which must not be transferred.
  const data = dtype === 'bool' ? Uint8Array.from(values as ArrayLike<number>) : (values as Float32Array | Int32Array).slice();
  return { shape: [...t.shape], dtype, data };
}

/** A new tensor with a host array's values. */
export function fromHostArray(h: HostArray): tf.Tensor {
  return tf.tensor(h.data, [...h.shape], h.dtype);
}

/** Maps the tensor leaves of a tree to host arrays (host arrays pass through). */
export function toHost<T = unknown>(t: unknown): T {
  const [leaves, def] = tree.flatten(t, isLeafLike);
  return tree.unflatten<T>(def, leaves.map((l) => (isTensor(l) ? toHostArray(l) : l)));
}

/** Maps the host-array leaves of a tree to new tensors (the caller owns them). */
export function fromHost<T = unknown>(t: unknown): T {
  const [leaves, def] = tree.flatten(t, isLeafLike);
  return tree.unflatten<T>(def, leaves.map((l) => (isHostArray(l) ? fromHostArray(l) : l)));
}

/** The typed arrays' buffers in a host tree, for a transfer list (each buffer once). */
export function transferables(t: unknown): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const l of tree.leaves(t, isLeafLike)) {
    if (isHostArray(l) && l.data.buffer instanceof ArrayBuffer && l.data.byteOffset === 0 && l.data.byteLength === l.data.buffer.byteLength) out.add(l.data.buffer);
  }
  return [...out];
}

/** Size of axis 0 of a host array or tensor leaf. */
function leadingDim(l: unknown, path: string): number {
  const shape = isTensor(l) ? l.shape : isHostArray(l) ? l.shape : null;
  if (!shape || shape.length === 0) throw new Error(`parallel: cannot shard the batch: ${path || 'the batch'} is not an array with a batch axis`);
  return shape[0];
}

/**
 * Splits every leaf (tensor or host array) of a batch tree along axis 0 into `n` equal
 * contiguous shards; shard i goes to rank i. The batch size must be divisible by n.
 */
export function shardBatch(batch: unknown, n: number): unknown[] {
  const [leaves, def] = tree.flatten(batch, isLeafLike);
  const paths = tree.paths(tree.unflatten(def, leaves.map((_, i) => i)));
  const shards: unknown[][] = Array.from({ length: n }, () => []);
  leaves.forEach((l, i) => {
    const b = leadingDim(l, paths[i]);
    if (b % n !== 0) throw new Error(`parallel: the batch size ${b}${paths[i] ? ` (at ${paths[i]})` : ''} is not divisible by the ${n} workers`);
    const h = isTensor(l) ? toHostArray(l) : (l as HostArray);
    const per = b / n;
    const row = h.shape.slice(1).reduce((a, d) => a * d, 1);
    for (let r = 0; r < n; r++) {
      // slice() copies, so each shard owns its buffer and can be transferred.
      shards[r].push({ shape: [per, ...h.shape.slice(1)], dtype: h.dtype, data: h.data.slice(r * per * row, (r + 1) * per * row) } satisfies HostArray);
    }
  });
  return shards.map((s) => tree.unflatten(def, s));
}
