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
import type { MaeBatch } from '../ssl/methods/index.js';
import type { ViewsBatch } from '../ssl/views.js';
import type { ViewForm } from './config-schema.js';
import { stepIndices } from './data.js';

/** The batch form of a training step: views (`{ view1 }` for PIRL, `{ images }` for I-JEPA), or MAE's `{ images, noise }`. */
export type StepInput = ViewsBatch | MaeBatch;


/** One step's inputs; the caller disposes it (`disposeStepBatch`). */
export interface StepBatch {
  readonly step: number;
  /** How {@link stepInput} hands the views to the method. */
  readonly form: ViewForm;
  readonly views: { readonly globalViews: readonly tf.Tensor[]; readonly localViews: readonly tf.Tensor[] };
  /** The step's key (after the augmentation's share is split off). */
  readonly key: tf.Tensor;
  /** With `maskPatches`: MAE's masking noise [batch, patches], `random.uniform(key, ...)`. */
  readonly noise?: tf.Tensor;
}

/**
 * The method's batch of a step: `{ globalViews, localViews }`, the first view as `{ view1 }` or
 * `{ images }` (its {@link ViewForm}), or, with masking noise (MAE), `{ images, noise }`. The noise is what the method itself draws from the
 * step's key, so one process trains alike either way; in the batch it is split with the images
 * over data-parallel workers (whose step has no key) and they train the model of one process.
 */
export function stepInput(b: StepBatch): StepInput {
  const first = b.views.globalViews[0]!;
  if (b.noise) return { images: first, noise: b.noise };
  return b.form === 'view1' ? { view1: first } : b.form === 'images' ? { images: first } : b.views;
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
  /** MAE: patches per image, for the masking noise of each step (see {@link stepInput}). */
  readonly maskPatches?: number | null;
  /** How the method takes the views (default 'views'). */
  readonly form?: ViewForm;
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
    const patches = this.o.maskPatches;
    const noise = patches ? { noise: random.uniform(trainKey!, [B, patches]) as tf.Tensor } : {};
    return { step, form: this.o.form ?? 'views', views: { globalViews: views.slice(0, n), localViews: views.slice(n) }, key: trainKey!, ...noise };
  }
}

/** Frees a batch's tensors. */
export function disposeStepBatch(b: StepBatch): void {
  tf.dispose([...b.views.globalViews, ...b.views.localViews, b.key, ...(b.noise ? [b.noise] : [])]);
}
