/**
 * Evaluation of a frozen encoder: weighted kNN (k = 20 and 200, as lightly reports) and
 * an optional linear probe on its embeddings, and the two baselines SwAV features are
 * compared against: kNN on raw pixels and kNN with the same encoder at random init.
 *
 * @example
 * const enc = nn.encoder('convnet_small');
 * const apply = (x) => enc.apply(params, state, x, { train: false })[0];
 * const r = await evaluateEncoder({ apply, train, test });      // { knn: { 20: 0.87, 200: 0.85 } }
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Dataset, type EmbedFn, embedDataset, rawPixelFeatures } from './embed.js';
import { knnAccuracies } from './knn.js';
import { type LinearProbeOptions, linearProbe } from './linear-probe.js';

export { type Dataset, type EmbedFn, type EmbedOptions, embedDataset, rawPixelFeatures } from './embed.js';
export { type Features, type KnnAccuraciesOptions, type KnnOptions, knnAccuracies, knnAccuracy } from './knn.js';
export { type LinearProbeOptions, type LinearProbeResult, linearProbe } from './linear-probe.js';
export { embeddingStd, rankMe, singularValues } from './rankme.js';
export { type LidarOptions, lidar } from './lidar.js';

/** Linear-probe settings (everything but the features and labels). */
export type ProbeSettings = Omit<LinearProbeOptions, 'trainFeatures' | 'trainLabels' | 'testFeatures' | 'testLabels' | 'numClasses'>;

export interface EvaluateOptions {
  /** The encoder in eval mode: images NHWC in [0, 1] -> embeddings [B, D]. */
  readonly apply: EmbedFn;
  /** The labelled memory bank (e.g. Fashion-MNIST's train split). */
  readonly train: Dataset;
  /** The labelled queries (e.g. the test split). */
  readonly test: Dataset;
  /** kNN neighbour counts (default [20, 200]). */
  readonly ks?: readonly number[];
  /** kNN vote temperature (default 0.07). */
  readonly temperature?: number;
  /** Also train a linear probe (default false); an object sets its options. */
  readonly linearProbe?: boolean | ProbeSettings;
  /** Images per forward pass when embedding (default 512). */
  readonly batchSize?: number;
  /** Called while embedding: which split, images done, total. */
  readonly onProgress?: (split: 'train' | 'test', done: number, total: number) => void;
}

export interface EvaluateResult {
  /** Top-1 kNN accuracy in [0, 1] per k. */
  readonly knn: Record<number, number>;
  /** Linear-probe top-1 test accuracy in [0, 1], when asked for. */
  readonly linearProbe?: number;
  /** Linear-probe top-1 train accuracy, when asked for. */
  readonly linearProbeTrain?: number;
  /** Seconds spent embedding, in kNN, and in the probe. */
  readonly seconds: { readonly embed: number; readonly knn: number; readonly linearProbe?: number };
}

function numClassesOf(train: Dataset, test: Dataset): number {
  let max = Math.max(train.classNames.length, test.classNames.length) - 1;
  for (const ls of [train.labels, test.labels]) {
    for (let i = 0; i < ls.length; i++) {
      if (ls[i]! < 0) throw new Error('evaluate: every image must be labelled (found label -1); kNN and the linear probe need labels');
      if (ls[i]! > max) max = ls[i]!;
    }
  }
  return max + 1;
}

const now = () => performance.now() / 1000;

/** Evaluates a frozen encoder by kNN (and optionally a linear probe) on its embeddings. */
export async function evaluateEncoder(opts: EvaluateOptions): Promise<EvaluateResult> {
  const { train, test } = opts;
  const numClasses = numClassesOf(train, test);
  const t0 = now();
  const trainF = await embedDataset(opts.apply, train, { batchSize: opts.batchSize, onProgress: (d, t) => opts.onProgress?.('train', d, t) });
  let testF: tf.Tensor2D | undefined;
  try {
    testF = await embedDataset(opts.apply, test, { batchSize: opts.batchSize, onProgress: (d, t) => opts.onProgress?.('test', d, t) });
    const t1 = now();
    const knn = await knnAccuracies({
      trainFeatures: trainF,
      trainLabels: train.labels,
      testFeatures: testF,
      testLabels: test.labels,
      ks: opts.ks ?? [20, 200],
      temperature: opts.temperature,
      numClasses,
    });
    const t2 = now();
    if (!opts.linearProbe) return { knn, seconds: { embed: t1 - t0, knn: t2 - t1 } };
    const settings = opts.linearProbe === true ? {} : opts.linearProbe;
    const probe = await linearProbe({ ...settings, trainFeatures: trainF, trainLabels: train.labels, testFeatures: testF, testLabels: test.labels, numClasses });
    return {
      knn,
      linearProbe: probe.accuracy,
      linearProbeTrain: probe.trainAccuracy,
      seconds: { embed: t1 - t0, knn: t2 - t1, linearProbe: now() - t2 },
    };
  } finally {
    tf.dispose([trainF, ...(testF ? [testF] : [])]);
  }
}

export interface BaselineOptions {
  readonly train: Dataset;
  readonly test: Dataset;
  /** The encoder at random initialisation, in eval mode; omitted: that baseline is skipped. */
  readonly randomEncoderApply?: EmbedFn;
  /** kNN neighbour counts (default [20, 200]). */
  readonly ks?: readonly number[];
  readonly temperature?: number;
  /** Images per forward pass of the random encoder (default 512). */
  readonly batchSize?: number;
}

export interface BaselineResult {
  /** kNN top-1 accuracy on the raw pixels (flattened, in [0, 1]) per k. */
  readonly rawPixelsKnn: Record<number, number>;
  /** kNN top-1 accuracy on the random encoder's embeddings per k, when it was given. */
  readonly randomEncoderKnn?: Record<number, number>;
}

/** The baselines a learned encoder must beat: kNN on raw pixels and on a random encoder. */
export async function baselines(opts: BaselineOptions): Promise<BaselineResult> {
  const { train, test } = opts;
  const numClasses = numClassesOf(train, test);
  const ks = opts.ks ?? [20, 200];
  const trainF = rawPixelFeatures(train);
  const testF = rawPixelFeatures(test);
  let rawPixelsKnn: Record<number, number>;
  try {
    rawPixelsKnn = await knnAccuracies({ trainFeatures: trainF, trainLabels: train.labels, testFeatures: testF, testLabels: test.labels, ks, temperature: opts.temperature, numClasses });
  } finally {
    tf.dispose([trainF, testF]);
  }
  if (!opts.randomEncoderApply) return { rawPixelsKnn };
  const r = await evaluateEncoder({ apply: opts.randomEncoderApply, train, test, ks, temperature: opts.temperature, batchSize: opts.batchSize });
  return { rawPixelsKnn, randomEncoderKnn: r.knn };
}
