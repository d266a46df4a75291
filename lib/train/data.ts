/**
 * The data side of a run: loading the training and evaluation sets named by the
 * configuration, the batch of a step (a pure function of seed, step and batch size), and
 * deterministic subsets for evaluation.
 */
import { existsSync } from 'node:fs';
import { DataError, epochPermutation, loadDataset, loadImageFolder, permutation } from '../data/index.js';
import { DATASET_NAMES } from '../data/registry.js';
import { splitRanges, takeRanges } from '../data/split.js';
import { type ImageDataset, imageSize } from '../data/types.js';
import { showValue } from '../util/show-value.js';
import { ConfigError, type TrainConfig } from './config.js';

export interface RunData {
  /** What training draws batches from. */
  readonly train: ImageDataset;
  /** The labelled memory bank of kNN (the train split), or null for unlabelled data. */
  readonly evalTrain: ImageDataset | null;
  /** The labelled queries of kNN (the test split), or null. */
  readonly evalTest: ImageDataset | null;
}

/** A dataset made of the images at `indices` of `ds` (copied, compact). */
export function subset(ds: ImageDataset, indices: ArrayLike<number>, name = ds.name): ImageDataset {
  const size = imageSize(ds);
  const images = new Uint8Array(indices.length * size);
  const labels = new Int32Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i]!;
    images.set(ds.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = ds.labels[j]!;
  }
  return { ...ds, name, images, labels, n: indices.length };
}

/**
 * `n` images of `ds` chosen by a fixed seeded permutation (so class-major datasets give a
 * class-balanced sample), in increasing index order; `ds` itself when `n` is null or >= its size.
 */
export function sample(ds: ImageDataset, n: number | null, seed = 0): ImageDataset {
  if (n === null || n >= ds.n) return ds;
  const idx = permutation(ds.n, seed).slice(0, n).sort();
  return subset(ds, idx);
}

/** The first `limit` images of each class of a class-major dataset (`ds` itself when `limit` is null). */
function firstPerClass(ds: ImageDataset, limit: number | null): ImageDataset {
  if (limit === null) return ds;
  const classCounts = new Array<number>(ds.classNames.length).fill(0);
  for (const l of ds.labels) classCounts[l]!++;
  const picked = takeRanges(ds.images, ds.labels, imageSize(ds), splitRanges(ds.name, classCounts, 0, 'all', limit));
  return { ...ds, ...picked };
}

/**
 * Loads the training set and the evaluation sets of a configuration, and checks `eval.ks`
 * against them (before any step). `dataset.split` and `dataset.limitPerClass` apply to image
 * folders as to the embedded datasets: a labelled folder's fixed test part (every fifth image
 * of a fixed permutation, the kNN queries) is left out of `split: 'train'`.
 */
export async function loadRunData(c: TrainConfig): Promise<RunData> {
  const data = await loadSets(c);
  checkEvalKs(c, data);
  return data;
}

async function loadSets(c: TrainConfig): Promise<RunData> {
  const d = c.dataset;
  if ((DATASET_NAMES as readonly string[]).includes(d.name)) {
    if (d.imageSize !== null) throw new ConfigError(`config: at .dataset.imageSize expected null for ${d.name} (its images have one size; imageSize resizes the images of a folder), got ${JSON.stringify(d.imageSize)}`);
    const limit = d.limitPerClass ?? undefined;
    const train = await loadDataset(d.name, { split: d.split, limitPerClass: limit });
    const evalTrain = d.split === 'train' ? train : await loadDataset(d.name, { split: 'train', limitPerClass: limit });
    const evalTest = await loadDataset(d.name, { split: 'test' });
    return { train, evalTrain, evalTest };
  }
  if (!existsSync(d.name)) throw new DataError(d.name, `dataset ${JSON.stringify(d.name)} is neither a known dataset (${DATASET_NAMES.join(', ')}) nor a folder of images`);
  // A folder of images: labelled (one subfolder per class) or flat.
  const all = await loadImageFolder(d.name, { skipUnreadable: d.skipUnreadable, ...(d.imageSize ? { size: d.imageSize } : {}) });
  if (all.skipped.length) process.stderr.write(`skipped ${all.skipped.length} unreadable file(s) in ${d.name} (first: ${all.skipped[0]!.file}: ${all.skipped[0]!.reason})\n`);
  if (all.n === 0) throw new DataError(d.name, `image folder ${d.name}: no readable images`);
  const labelled = all.classNames.length > 1 && all.labels.every((l) => l >= 0);
  if (!labelled) {
    // No classes and no test part: every image is trained on, whatever the split.
    if (d.limitPerClass !== null)
      throw new ConfigError(`config: at .dataset.limitPerClass expected null for ${d.name}, which has no classes (it needs two or more class subfolders), got ${d.limitPerClass}`);
    return { train: all, evalTrain: null, evalTest: null };
  }
  // A fixed split for evaluation: every fifth image of a fixed permutation is a query.
  const perm = permutation(all.n, 0x5eed);
  const testIdx = perm.filter((_, i) => i % 5 === 0).sort();
  const trainIdx = perm.filter((_, i) => i % 5 !== 0).sort();
  const evalTrain = firstPerClass(subset(all, trainIdx), d.limitPerClass);
  const train = d.split === 'train' ? evalTrain : firstPerClass(all, d.limitPerClass);
  return { train, evalTrain, evalTest: subset(all, testIdx) };
}

/** A ConfigError when a kNN `k` exceeds the smallest memory bank of the run's evaluations. */
function checkEvalKs(c: TrainConfig, data: RunData): void {
  if (data.evalTrain === null) return;
  const during = c.eval.every > 0 && c.eval.duringTrainSubset < data.evalTrain.n;
  const bank = during ? c.eval.duringTrainSubset : data.evalTrain.n;
  if (Math.max(...c.eval.ks) <= bank) return;
  const what = during ? 'the .eval.duringTrainSubset images of the kNN during training' : `the training images of ${c.dataset.name} that kNN can use`;
  throw new ConfigError(`config: at .eval.ks expected values at most ${bank} (${what}), got ${showValue(c.eval.ks)}`);
}

/**
 * The dataset indices of training step `step` (0-based): epoch `floor(step / stepsPerEpoch)`
 * shuffled by `(seed, epoch)`, its `step % stepsPerEpoch`-th full batch. A pure function, so a
 * resumed run sees the same batches; `cache` keeps the current epoch's permutation.
 */
export function stepIndices(n: number, batchSize: number, seed: number, step: number, cache?: { epoch: number; perm: Int32Array }): Int32Array {
  const spe = Math.max(1, Math.floor(n / batchSize));
  const epoch = Math.floor(step / spe);
  let perm: Int32Array;
  if (cache && cache.epoch === epoch) perm = cache.perm;
  else {
    perm = epochPermutation(n, seed, epoch);
    if (cache) {
      cache.epoch = epoch;
      cache.perm = perm;
    }
  }
  const b = step % spe;
  if (n < batchSize) {
    // Fewer images than a batch: repeat the permutation.
    return Int32Array.from({ length: batchSize }, (_, i) => perm[i % n]!);
  }
  return perm.slice(b * batchSize, (b + 1) * batchSize);
}
