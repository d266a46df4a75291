/**
 * Mini-batches as index arrays, a pure function of `(n, batchSize, seed, epoch, dropLast)`:
 * the same arguments give the same batches in every process, so a run can be resumed
 * mid-training by replaying the epoch number alone.
 */

import { DataError } from './errors.js';
import { epochSeed, permutation } from './prng.js';
import { imageSize, type ImageDataset } from './types.js';

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Images per batch, a positive integer. */
  readonly batchSize: number;
  /** Run seed, an integer (taken mod 2^32). */
  readonly seed: number;
  /** Epoch number, an integer in `[0, 2^32)`; each epoch gets its own shuffle. */
  readonly epoch: number;
  /** Drop the final batch when it has fewer than `batchSize` indices. Default `false`. */
  readonly dropLast?: boolean;
  /** Shuffle (default `true`); `false` yields `0..n-1` in order, e.g. for evaluation. */
  readonly shuffle?: boolean;
}

function checkInt(what: string, x: number, lo: number, hi: number): void {
  if (!Number.isInteger(x) || x < lo || x > hi) {
    throw new DataError('batches', `batches: ${what} must be an integer in [${lo}, ${hi}], got ${x}`);
  }
}

/** The permutation of `0..n-1` that {@link batches} uses for `(seed, epoch)`. */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  checkInt('n', n, 0, 2 ** 31 - 1);
  checkInt('seed', seed, -(2 ** 31), 2 ** 32 - 1);
  checkInt('epoch', epoch, 0, 2 ** 32 - 1);
  return permutation(n, epochSeed(seed, epoch));
}

/** How many batches {@link batches} yields for `n` items. */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * Yields the batches of one epoch as fresh `Int32Array`s of dataset indices. Every index in
 * `0..n-1` appears exactly once per epoch, except the `n % batchSize` dropped with `dropLast`.
 * `dataset` is a dataset or just its size `n`.
 */
export function* batches(dataset: Pick<ImageDataset, 'n'> | number, options: BatchOptions): Generator<Int32Array, void, undefined> {
  const n = typeof dataset === 'number' ? dataset : dataset.n;
  const { batchSize, seed, epoch, dropLast = false, shuffle = true } = options;
  checkInt('batchSize', batchSize, 1, 2 ** 31 - 1);
  let order: Int32Array;
  if (shuffle) {
    order = epochPermutation(n, seed, epoch);
  } else {
    checkInt('n', n, 0, 2 ** 31 - 1);
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
  }
  const count = numBatches(n, batchSize, dropLast);
  for (let b = 0; b < count; b++) yield order.slice(b * batchSize, Math.min(n, (b + 1) * batchSize));
}

const INV255 = (() => {
  const t = new Float32Array(256);
  for (let v = 0; v < 256; v++) t[v] = v / 255;
  return t;
})();

function checkIndex(ds: Pick<ImageDataset, 'name' | 'n'>, fn: string, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= ds.n) {
    throw new DataError(ds.name, `${fn}: index ${i} is out of range for dataset ${ds.name} (n=${ds.n})`);
  }
}

/**
 * The images at `indices` as one NHWC `Float32Array` of shape
 * `[indices.length, height, width, channels]`, scaled from bytes to `[0, 1]` (`v / 255`).
 * Writes into `out` when given (it must have exactly that length).
 */
export function gatherImages(dataset: ImageDataset, indices: ArrayLike<number>, out?: Float32Array): Float32Array {
  const size = imageSize(dataset);
  const len = indices.length * size;
  if (out !== undefined && out.length !== len) {
    throw new DataError(dataset.name, `gatherImages: out has length ${out.length}, expected ${indices.length} x ${size} = ${len} for dataset ${dataset.name}`);
  }
  const dst = out ?? new Float32Array(len);
  const src = dataset.images;
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    checkIndex(dataset, 'gatherImages', i);
    const s = i * size;
    const d = b * size;
    for (let k = 0; k < size; k++) dst[d + k] = INV255[src[s + k]!]!;
  }
  return dst;
}

/** The labels at `indices` (-1 for unlabelled images). */
export function gatherLabels(dataset: ImageDataset, indices: ArrayLike<number>): Int32Array {
  const out = new Int32Array(indices.length);
  for (let b = 0; b < indices.length; b++) {
    const i = indices[b]!;
    checkIndex(dataset, 'gatherLabels', i);
    out[b] = dataset.labels[i]!;
  }
  return out;
}
