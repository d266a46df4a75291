/**
 * Frozen embeddings of a dataset: the encoder runs in eval mode, batch by batch, and
 * only the `[n, D]` result survives (every batch's temporaries are freed with `tf.tidy`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../../core/index.js';
import { gatherImages } from '../../data/batches.js';
import { type ImageDataset, imageSize } from '../../data/types.js';

/** The dataset type evaluation reads: compact uint8 NHWC images and int32 labels. */
export type Dataset = ImageDataset;

/**
 * An encoder as a function of a batch of images (NHWC, values in `[0, 1]`) to embeddings
 * `[B, D]`, in eval mode, e.g. `(x) => enc.apply(params, state, x, { train: false })[0]`.
 */
export type EmbedFn = (x: tf.Tensor4D) => tf.Tensor2D | NdArray;

export interface EmbedOptions {
  /** Images per forward pass (default 512). */
  readonly batchSize?: number;
  /** Embed only these images, in this order (default: all, `0..n-1`). */
  readonly indices?: ArrayLike<number>;
  /** Called after every batch with the number of images embedded so far and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

function checkBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`embedDataset: batchSize must be a positive integer, got ${batchSize}`);
}

/**
 * Runs `apply` over the images of `ds` (or `indices`) in batches of `batchSize` and returns
 * the embeddings `[n, D]` (float32) as one tensor, which the caller disposes. Images are
 * gathered with `gatherImages` (bytes / 255, NHWC). Nothing else survives: each batch's
 * input, output and intermediates are freed before the next batch runs. Between batches
 * the event loop gets a turn, so a progress bar or a signal handler can run.
 */
export async function embedDataset(apply: EmbedFn, ds: Dataset, opts: EmbedOptions = {}): Promise<tf.Tensor2D> {
  const batchSize = opts.batchSize ?? 512;
  checkBatchSize(batchSize);
  const total = opts.indices ? opts.indices.length : ds.n;
  const index = (i: number) => (opts.indices ? opts.indices[i]! : i);
  const pieces: tf.Tensor2D[] = [];
  try {
    for (let start = 0; start < total; start += batchSize) {
      const end = Math.min(total, start + batchSize);
      const idx = new Int32Array(end - start);
      for (let i = start; i < end; i++) idx[i - start] = index(i);
      const pixels = gatherImages(ds, idx);
      const piece = tf.tidy(() => {
        const x = tf.tensor4d(pixels, [idx.length, ds.height, ds.width, ds.channels]);
        const y = apply(x);
        if (!(y instanceof tf.Tensor)) throw new Error('embedDataset: the embedding function must return a concrete tensor (call it outside jit/grad tracing)');
        if (y.rank !== 2 || y.shape[0] !== idx.length) {
          throw new Error(`embedDataset: the embedding function returned shape [${y.shape.join(', ')}] for a batch of ${idx.length} images; expected [${idx.length}, D]`);
        }
        return (y.dtype === 'float32' ? y : tf.cast(y, 'float32')) as tf.Tensor2D;
      });
      pieces.push(piece);
      opts.onProgress?.(end, total);
      await new Promise<void>((r) => setImmediate(r));
    }
    if (pieces.length === 0) return tf.zeros([0, 0]) as tf.Tensor2D;
    if (pieces.length === 1) return pieces.pop()!;
    return tf.concat2d(pieces, 0);
  } finally {
    tf.dispose(pieces);
  }
}

/**
 * The raw pixels of `ds` as features: `[n, height * width * channels]` float32 in `[0, 1]`
 * (the "kNN on raw pixels" baseline). The caller disposes the tensor.
 */
export function rawPixelFeatures(ds: Dataset, indices?: ArrayLike<number>): tf.Tensor2D {
  const idx = indices ?? Int32Array.from({ length: ds.n }, (_, i) => i);
  return tf.tensor2d(gatherImages(ds, idx), [idx.length, imageSize(ds)]);
}
