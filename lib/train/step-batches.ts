/**
 * The batch of each training step: the step's images (`stepIndices`), its key
 * (`foldIn(runKey, step)`, split into the augmentation's and the step's) and its augmented
 * views. A batch is a pure function of (configuration, run key, step), so one may be built
 * ahead: with data-parallel workers the loop builds step s + 1's views on this thread while
 * the workers run step s (their step copies its inputs when it starts), instead of leaving
 * both cores idle while the views are made. Results do not change: the same views are built,
 * only earlier.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit } from '../core/index.js';
import { type MultiCropConfig, multiCrop } from '../data/augment/index.js';
import { gatherImages } from '../data/index.js';
import type { ImageDataset } from '../data/types.js';
import * as random from '../random/index.js';
import { stepIndices } from './data.js';

/** One step's inputs; the caller disposes it (`disposeStepBatch`). */
export interface StepBatch {
  readonly step: number;
  readonly views: { readonly globalViews: readonly tf.Tensor[]; readonly localViews: readonly tf.Tensor[] };
  /** The step's key (after the augmentation's share is split off). */
  readonly key: tf.Tensor;
}

export interface StepBatchesOptions {
  readonly train: ImageDataset;
  readonly batchSize: number;
  readonly seed: number;
  readonly augment: MultiCropConfig;
  /** Views that are global crops (the first `nmbCrops[0]`). */
  readonly globalViews: number;
  /** The run's base key (not owned). */
  readonly key: tf.Tensor;
  /** A test hook: the views of this (1-based) step are multiplied by NaN. */
  readonly nanAtStep?: number | null;
}

/** Builds the batches of a run's steps, at most one ahead of the step being run. */
export class StepBatches {
  private readonly augment: (key: NdArray, x: NdArray) => NdArray[];
  private readonly permCache = { epoch: -1, perm: new Int32Array(0) };
  private readonly pixels: Float32Array;
  private ahead: StepBatch | null = null;

  constructor(private readonly o: StepBatchesOptions) {
    const cfg = o.augment;
    this.augment = jit((key: NdArray, x: NdArray) => multiCrop(key, x, cfg)) as (key: NdArray, x: NdArray) => NdArray[];
    const t = o.train;
    this.pixels = new Float32Array(o.batchSize * t.height * t.width * t.channels);
  }

  /** The batch of `step` (built now unless {@link prefetch} built it); the caller owns it. */
  take(step: number): StepBatch {
    const b = this.ahead;
    this.ahead = null;
    if (b && b.step === step) return b;
    if (b) disposeStepBatch(b);
    return this.build(step);
  }

  /** Builds the batch of `step` now, for a later {@link take}. */
  prefetch(step: number): void {
    if (this.ahead?.step === step) return;
    if (this.ahead) disposeStepBatch(this.ahead);
    this.ahead = this.build(step);
  }

  /** Frees a prefetched batch that was not taken. */
  dispose(): void {
    if (this.ahead) disposeStepBatch(this.ahead);
    this.ahead = null;
  }

  private build(step: number): StepBatch {
    const { train, batchSize: B } = this.o;
    const idx = stepIndices(train.n, B, this.o.seed, step, this.permCache);
    gatherImages(train, idx, this.pixels);
    const stepKey = random.foldIn(this.o.key, step) as tf.Tensor;
    const [augKey, trainKey] = random.split(stepKey) as tf.Tensor[];
    const x = tf.tensor4d(this.pixels, [B, train.height, train.width, train.channels]);
    let views = this.augment(augKey!, x) as tf.Tensor[];
    if (this.o.nanAtStep === step + 1) {
      const bad = views.map((v) => tf.mul(v, NaN));
      tf.dispose(views);
      views = bad;
    }
    tf.dispose([x, stepKey, augKey!]);
    const n = this.o.globalViews;
    return { step, views: { globalViews: views.slice(0, n), localViews: views.slice(n) }, key: trainKey! };
  }
}

/** Frees a batch's tensors. */
export function disposeStepBatch(b: StepBatch): void {
  tf.dispose([...b.views.globalViews, ...b.views.localViews, b.key]);
}
