/**
 * Evaluating the run's encoder, for any method: kNN (and the linear probe) on the method's
 * evaluation embeddings (`method.embed`), and the collapse signals (RankMe, embedding std,
 * and LiDAR where the sample is labelled) on a fixed held-out sample. Which sets are used when: {@link evalSetsOf}.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit } from '../core/index.js';
import type { ImageDataset } from '../data/types.js';
import type { Method } from '../ssl/method.js';
import type { TrainConfig } from './config.js';
import { type RunData, sample } from './data.js';
import { embedDataset, evaluateEncoder } from './eval/index.js';
import { lidar } from './eval/lidar.js';
import { embeddingStd, rankMe } from './eval/rankme.js';

export interface EvalSummary {
  readonly knn: Record<number, number>;
  readonly linearProbe?: number;
  readonly trainImages: number;
  readonly testImages: number;
}

/** Collapse signals of the embeddings of the monitor sample. */
export interface CollapseSignals {
  readonly rankMe: number;
  readonly embeddingStd: number;
  /** LiDAR with the sample's classes (its labelled images; absent with fewer than 2 classes). */
  readonly lidar?: number;
  /** The embedding width D (RankMe is at most min(samples, D); healthy std is about 1/sqrt(D)). */
  readonly dim: number;
}

/** Images of the held-out sample watched for collapse. */
export const MONITOR_IMAGES = 256;

/** The datasets of a run's evaluations: at the end, during training, and the collapse monitor's sample. */
export interface EvalSets {
  readonly final: { train: ImageDataset; test: ImageDataset } | null;
  readonly during: { train: ImageDataset; test: ImageDataset } | null;
  readonly monitor: ImageDataset;
}

/** The evaluation sets of a configuration (fixed samples, the same on every resume). */
export function evalSetsOf(c: TrainConfig, data: RunData): EvalSets {
  const e = c.eval;
  if (!data.evalTrain || !data.evalTest) return { final: null, during: null, monitor: sample(data.train, MONITOR_IMAGES, 3) };
  return {
    final: { train: sample(data.evalTrain, e.trainSubset, 1), test: sample(data.evalTest, e.testSubset, 2) },
    during: {
      train: sample(data.evalTrain, Math.min(e.duringTrainSubset, e.trainSubset ?? Infinity), 1),
      test: sample(data.evalTest, Math.min(e.duringTestSubset, e.testSubset ?? Infinity), 2),
    },
    monitor: sample(data.evalTest, MONITOR_IMAGES, 3),
  };
}

/** The method's evaluation embeddings as a function of the variables (jitted once per method). */
export function embedder(method: Method) {
  const f = jit((params: unknown, state: unknown, x: NdArray) => method.embed(params, state, x));
  return (params: unknown, state: unknown) => (x: tf.Tensor4D) => f(params, state, x) as tf.Tensor2D;
}

export type Embedder = ReturnType<typeof embedder>;

/** kNN (and optionally the linear probe) of the encoder with the given variables. */
export async function evaluateVariables(
  embed: Embedder,
  params: unknown,
  state: unknown,
  sets: { train: ImageDataset; test: ImageDataset },
  opts: { ks: readonly number[]; linearProbe: boolean },
): Promise<EvalSummary> {
  const r = await evaluateEncoder({ apply: embed(params, state), train: sets.train, test: sets.test, ks: opts.ks, linearProbe: opts.linearProbe, batchSize: 500 });
  return { knn: r.knn, linearProbe: r.linearProbe, trainImages: sets.train.n, testImages: sets.test.n };
}

/** RankMe, embedding std and (for labelled images) LiDAR of the embeddings of `images`. */
export async function collapseSignals(embed: Embedder, params: unknown, state: unknown, images: ImageDataset): Promise<CollapseSignals> {
  const z = await embedDataset(embed(params, state), images, { batchSize: 500 });
  const [n, d] = z.shape;
  const values = await z.data();
  z.dispose();
  // Non-finite embeddings (e.g. NaN BatchNorm statistics) have no spectrum.
  if (!values.every(Number.isFinite)) return { rankMe: NaN, embeddingStd: NaN, dim: d };
  const signals = { rankMe: rankMe(values, n, d), embeddingStd: embeddingStd(values, n, d), dim: d };
  const discriminability = lidarOfLabelled(values, images.labels, n, d);
  return discriminability === null ? signals : { ...signals, lidar: discriminability };
}

/** LiDAR of the rows with a label (>= 0), or null with fewer than two classes among them. */
function lidarOfLabelled(z: ArrayLike<number>, labels: Int32Array, n: number, d: number): number | null {
  const rows = Array.from({ length: n }, (_, r) => r).filter((r) => labels[r]! >= 0);
  if (new Set(rows.map((r) => labels[r]!)).size < 2) return null;
  const picked = new Float64Array(rows.length * d);
  rows.forEach((r, i) => {
    for (let j = 0; j < d; j++) picked[i * d + j] = z[r * d + j]!;
  });
  return lidar(picked, rows.map((r) => labels[r]!), rows.length, d);
}

/**
 * A warning when the signals say the embeddings have collapsed (every image on about one
 * point or one line), else null. Only complete collapse is flagged: a young encoder's
 * embeddings can be low-rank without anything being wrong.
 */
export function collapseWarning(s: CollapseSignals, method: string): string | null {
  if (Number.isNaN(s.rankMe)) return `the ${method} evaluation embeddings are not finite (NaN or Inf BatchNorm statistics?); try a lower learning rate (--optimizer.lr)`;
  if (s.rankMe > 1.05 && s.embeddingStd * Math.sqrt(s.dim) > 0.01) return null;
  return (
    `the ${method} embeddings look collapsed (RankMe ${s.rankMe.toFixed(2)} of ${s.dim} dimensions, normalised std ${s.embeddingStd.toExponential(2)} vs ${(1 / Math.sqrt(s.dim)).toFixed(3)} for spread embeddings); ` +
    'try a lower learning rate (--optimizer.lr), a longer warmup (--optimizer.warmup-steps) or a larger batch'
  );
}
