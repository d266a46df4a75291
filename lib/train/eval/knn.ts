/**
 * Weighted k-nearest-neighbour classification on frozen embeddings, as lightly's
 * `knn_predict` (after Wu et al.'s InstDisc) computes it:
 *
 * 1. L2-normalise every feature vector, so a dot product is a cosine similarity;
 * 2. for each test vector, take its `k` most similar training vectors;
 * 3. each neighbour votes for its label with weight `exp(similarity / temperature)`;
 * 4. the class with the largest summed vote is the prediction (ties: the lowest class index).
 *
 * The test set is processed `chunk` rows at a time, and each chunk against at most
 * `trainChunk` training vectors at a time (the per-block top-k candidates are merged), so
 * the full `[nTest, nTrain]` similarity matrix is never materialised: with the defaults a
 * 10k x 60k evaluation holds at most 1024 x 16384 similarities (64 MiB) at once.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NdArray } from '../../core/index.js';

/** Features as a concrete `[n, D]` tensor (any float dtype). */
export type Features = tf.Tensor2D | NdArray;

export interface KnnBaseOptions {
  /** Training (memory bank) features `[nTrain, D]`. */
  readonly trainFeatures: Features;
  /** One label per training row, in `[0, numClasses)`. */
  readonly trainLabels: Int32Array;
  /** Test (query) features `[nTest, D]`. */
  readonly testFeatures: Features;
  /** One label per test row. */
  readonly testLabels: Int32Array;
  /** Vote weight `exp(sim / temperature)`; default 0.07 (InstDisc's; lightly's benchmarks use 0.1). */
  readonly temperature?: number;
  /** Number of classes (labels are in `[0, numClasses)`). */
  readonly numClasses: number;
  /** Test rows per chunk (default 1024). */
  readonly chunk?: number;
  /** Training rows per similarity block (default: so that a block holds at most 16M similarities). */
  readonly trainChunk?: number;
}

export interface KnnOptions extends KnnBaseOptions {
  /** Neighbours that vote (e.g. 20 or 200). */
  readonly k: number;
}

export interface KnnAccuraciesOptions extends KnnBaseOptions {
  /** Several k at once; the top-max(k) neighbours are found once (default [20, 200]). */
  readonly ks?: readonly number[];
}

const MAX_BLOCK_ELEMENTS = 16 * 1024 * 1024;
const MAX_VOTE_ELEMENTS = 32 * 1024 * 1024;

function asTensor2d(x: Features, what: string): tf.Tensor2D {
  if (!(x instanceof tf.Tensor)) throw new Error(`knn: ${what} must be a concrete tensor (not a tracer)`);
  if (x.rank !== 2) throw new Error(`knn: ${what} must have rank 2 [n, D], got shape [${x.shape.join(', ')}]`);
  return x as tf.Tensor2D;
}

function checkPositiveInt(x: number, what: string): void {
  if (!Number.isInteger(x) || x < 1) throw new Error(`knn: ${what} must be a positive integer, got ${x}`);
}

function checkLabels(labels: Int32Array, n: number, numClasses: number, what: string): void {
  if (labels.length !== n) throw new Error(`knn: ${what} has ${labels.length} entries for ${n} feature rows`);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= numClasses) throw new Error(`knn: ${what}[${i}] = ${l} is not a class in [0, ${numClasses})`);
  }
}

/** `x / max(||x||, 1e-12)` row-wise, as `torch.nn.functional.normalize`. */
function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const xf = x.dtype === 'float32' ? x : tf.cast(x, 'float32');
    const norm = tf.sqrt(tf.sum(tf.square(xf), 1, true));
    return tf.div(xf, tf.maximum(norm, 1e-12));
  });
}

/** A block of the normalised training set, transposed: `[D, rows]`, rows starting at `offset`. */
interface TrainBlock {
  readonly t: tf.Tensor2D;
  readonly offset: number;
}

/**
 * The normalised training set cut into blocks of at most `trainChunk` rows, each transposed
 * to `[D, rows]` once, up front: the per-chunk product is then a plain matmul (on wasm a
 * transposed operand is ~15x slower) and no strided column slice runs per chunk (slicing
 * columns of a `[D, 60000]` tensor costs more than the matmul it feeds).
 */
function trainBlocks(trainN: tf.Tensor2D, trainChunk: number): TrainBlock[] {
  const n = trainN.shape[0];
  const blocks: TrainBlock[] = [];
  for (let b0 = 0; b0 < n; b0 += trainChunk) {
    const bl = Math.min(trainChunk, n - b0);
    blocks.push({ t: tf.tidy(() => tf.transpose(b0 === 0 && bl === n ? trainN : tf.slice(trainN, [b0, 0], [bl, -1])) as tf.Tensor2D), offset: b0 });
  }
  return blocks;
}

/**
 * The `kmax` most similar training rows for each query row: `[c, kmax]` similarities
 * (descending) and training indices. With several blocks, each block's top-k are the
 * candidates, and the top-k of the candidates are the answer (exact: a row's global top-k
 * are among its blocks' top-k).
 */
function topNeighbours(q: tf.Tensor2D, blocks: readonly TrainBlock[], kmax: number): { values: tf.Tensor2D; indices: tf.Tensor2D } {
  if (blocks.length === 1) {
    const { values, indices } = tf.topk(tf.matMul(q, blocks[0]!.t), kmax, true);
    return { values: values as tf.Tensor2D, indices: indices as tf.Tensor2D };
  }
  const vals: tf.Tensor2D[] = [];
  const idxs: tf.Tensor2D[] = [];
  for (const { t, offset } of blocks) {
    const { values, indices } = tf.topk(tf.matMul(q, t), Math.min(kmax, t.shape[1]), true);
    vals.push(values as tf.Tensor2D);
    idxs.push(tf.add(indices, tf.scalar(offset, 'int32')) as tf.Tensor2D);
  }
  const candV = tf.concat2d(vals, 1);
  const candI = tf.concat2d(idxs, 1);
  const { values, indices } = tf.topk(candV, kmax, true);
  // Map positions among the candidates back to training indices: gather on the flattened rows.
  const c = candV.shape[0];
  const width = candV.shape[1];
  const rowBase = tf.reshape(tf.mul(tf.range(0, c, 1, 'int32'), tf.scalar(width, 'int32')), [c, 1]);
  const flat = tf.reshape(tf.add(indices, rowBase), [-1]);
  const picked = tf.reshape(tf.gather(tf.reshape(candI, [-1]), flat), [c, kmax]);
  return { values: values as tf.Tensor2D, indices: picked as tf.Tensor2D };
}

/**
 * Top-1 accuracy of the weighted kNN classifier for each `k` in `ks` (a record keyed by
 * k, values in `[0, 1]`), finding the top-max(k) neighbours once. The input tensors are
 * not disposed; nothing else survives.
 */
export async function knnAccuracies(opts: KnnAccuraciesOptions): Promise<Record<number, number>> {
  const train = asTensor2d(opts.trainFeatures, 'trainFeatures');
  const test = asTensor2d(opts.testFeatures, 'testFeatures');
  const ks = [...(opts.ks ?? [20, 200])];
  const temperature = opts.temperature ?? 0.07;
  const { numClasses } = opts;
  const chunk0 = opts.chunk ?? 1024;
  checkPositiveInt(numClasses, 'numClasses');
  checkPositiveInt(chunk0, 'chunk');
  if (!(temperature > 0)) throw new Error(`knn: temperature must be > 0, got ${temperature}`);
  if (ks.length === 0) throw new Error('knn: ks is empty');
  ks.forEach((k) => checkPositiveInt(k, 'k'));
  const [nTrain, d] = train.shape;
  const [nTest, dTest] = test.shape;
  if (d !== dTest) throw new Error(`knn: trainFeatures have width ${d} but testFeatures have width ${dTest}`);
  checkLabels(opts.trainLabels, nTrain, numClasses, 'trainLabels');
  checkLabels(opts.testLabels, nTest, numClasses, 'testLabels');
  const kmax = Math.max(...ks);
  if (kmax > nTrain) throw new Error(`knn: k = ${kmax} exceeds the ${nTrain} training rows`);
  const out: Record<number, number> = {};
  if (nTest === 0) {
    for (const k of ks) out[k] = NaN;
    return out;
  }
  // Bound the [c, kmax, numClasses] vote tensor as well as the similarities.
  const chunk = Math.max(1, Math.min(chunk0, Math.floor(MAX_VOTE_ELEMENTS / (kmax * numClasses))));
  const trainChunk = opts.trainChunk ?? Math.max(kmax, Math.floor(MAX_BLOCK_ELEMENTS / chunk));
  checkPositiveInt(trainChunk, 'trainChunk');
  if (trainChunk < kmax && trainChunk < nTrain) throw new Error(`knn: trainChunk (${trainChunk}) must be at least k (${kmax})`);

  const trainN = l2Normalize(train);
  let blocks: TrainBlock[];
  try {
    blocks = trainBlocks(trainN, trainChunk);
  } finally {
    trainN.dispose();
  }
  const testN = l2Normalize(test);
  const trainLab = tf.tensor1d(opts.trainLabels, 'int32');
  const correct = new Map<number, number>(ks.map((k) => [k, 0]));
  try {
    for (let s = 0; s < nTest; s += chunk) {
      const c = Math.min(chunk, nTest - s);
      const counts = tf.tidy(() => {
        const q = tf.slice(testN, [s, 0], [c, -1]);
        const { values, indices } = topNeighbours(q, blocks, kmax);
        const labels = tf.reshape(tf.gather(trainLab, tf.reshape(indices, [-1])), [c, kmax]);
        // exp(sim / T) scaled per row by exp(-max sim / T): the same argmax, and no overflow
        // for small temperatures (exp(1 / 0.01) is beyond float32).
        const weights = tf.exp(tf.div(tf.sub(values, tf.slice(values, [0, 0], [c, 1])), temperature));
        const truth = tf.tensor1d(opts.testLabels.subarray(s, s + c), 'int32');
        const uniq = [...new Set(ks)];
        return tf.stack(
          uniq.map((k) => {
            const oh = tf.oneHot(tf.slice(labels, [0, 0], [c, k]), numClasses); // [c, k, C]
            const w = tf.reshape(tf.slice(weights, [0, 0], [c, k]), [c, k, 1]);
            const votes = tf.sum(tf.mul(oh, w), 1); // [c, C]
            const pred = tf.argMax(votes, 1);
            return tf.sum(tf.cast(tf.equal(pred, truth), 'int32'));
          }),
        );
      });
      const data = await counts.data();
      counts.dispose();
      [...new Set(ks)].forEach((k, i) => correct.set(k, correct.get(k)! + data[i]!));
    }
  } finally {
    tf.dispose([...blocks.map((b) => b.t), testN, trainLab]);
  }
  for (const k of ks) out[k] = correct.get(k)! / nTest;
  return out;
}

/** Top-1 accuracy (in `[0, 1]`) of the weighted kNN classifier with `k` neighbours. */
export async function knnAccuracy(opts: KnnOptions): Promise<number> {
  const r = await knnAccuracies({ ...opts, ks: [opts.k] });
  return r[opts.k]!;
}
