/**
 * The linear probe: a linear classifier (`logits = x W + b`) trained on frozen features
 * with our own optimiser (SGD with Nesterov momentum, cosine-decayed learning rate, L2
 * weight decay on `W` only) and a jitted `valueAndGrad` step.
 *
 * Features are standardised with the training set's per-dimension mean and standard
 * deviation (the same transform is applied to the test set), the weights start at zero and
 * the batches come from the seeded shuffle of `lib/data`, so the result is a pure function
 * of the inputs and `seed` on a given backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { jit, type NdArray, scope, valueAndGrad } from '../../core/index.js';
import { epochPermutation } from '../../data/batches.js';
import * as np from '../../ops/index.js';
import { applyUpdates } from '../../optim/apply.js';
import { sgd } from '../../optim/optimizers.js';
import { cosineDecay } from '../../optim/schedules.js';
import * as tree from '../../tree/index.js';
import type { Features } from './knn.js';

export interface LinearProbeOptions {
  readonly trainFeatures: Features;
  readonly trainLabels: Int32Array;
  readonly testFeatures: Features;
  readonly testLabels: Int32Array;
  readonly numClasses: number;
  /** Passes over the training set (default 20). */
  readonly epochs?: number;
  /** Examples per step (default 256; the last partial batch of an epoch is dropped). */
  readonly batchSize?: number;
  /** Peak learning rate, decayed to 0 by a half cosine over the run (default 0.1). */
  readonly learningRate?: number;
  /** Nesterov momentum (default 0.9). */
  readonly momentum?: number;
  /** L2 weight decay on W (not b), torch's SGD convention (default 1e-4). */
  readonly weightDecay?: number;
  /** Shuffling seed (default 0). */
  readonly seed?: number;
}

export interface LinearProbeResult {
  /** Top-1 accuracy on the test features, in `[0, 1]`. */
  readonly accuracy: number;
  /** Top-1 accuracy on the training features after training, in `[0, 1]`. */
  readonly trainAccuracy: number;
  /** Mean cross-entropy over the last epoch's steps. */
  readonly finalLoss: number;
}

interface ProbeParams {
  readonly w: NdArray;
  readonly b: NdArray;
}

function asTensor2d(x: Features, what: string): tf.Tensor2D {
  if (!(x instanceof tf.Tensor)) throw new Error(`linearProbe: ${what} must be a concrete tensor (not a tracer)`);
  if (x.rank !== 2) throw new Error(`linearProbe: ${what} must have rank 2 [n, D], got shape [${x.shape.join(', ')}]`);
  return x as tf.Tensor2D;
}

function checkLabels(labels: Int32Array, n: number, numClasses: number, what: string): void {
  if (labels.length !== n) throw new Error(`linearProbe: ${what} has ${labels.length} entries for ${n} feature rows`);
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= numClasses) throw new Error(`linearProbe: ${what}[${i}] = ${l} is not a class in [0, ${numClasses})`);
  }
}

async function accuracyOf(params: ProbeParams, x: tf.Tensor2D, labels: Int32Array): Promise<number> {
  if (x.shape[0] === 0) return NaN;
  const n = x.shape[0];
  let correct = 0;
  const chunk = 8192;
  for (let s = 0; s < n; s += chunk) {
    const c = Math.min(chunk, n - s);
    const hits = tf.tidy(() => {
      const logits = tf.add(tf.matMul(tf.slice(x, [s, 0], [c, -1]), params.w as tf.Tensor), params.b as tf.Tensor);
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(labels.subarray(s, s + c), 'int32')), 'int32'));
    });
    correct += (await hits.data())[0]!;
    hits.dispose();
  }
  return correct / n;
}

/**
 * Trains a linear classifier on `trainFeatures` (frozen; standardised) and reports its
 * test and train top-1 accuracy. The input tensors are not disposed; nothing else survives.
 */
export async function linearProbe(opts: LinearProbeOptions): Promise<LinearProbeResult> {
  const trainX0 = asTensor2d(opts.trainFeatures, 'trainFeatures');
  const testX0 = asTensor2d(opts.testFeatures, 'testFeatures');
  const { numClasses } = opts;
  const epochs = opts.epochs ?? 20;
  const lr = opts.learningRate ?? 0.1;
  const momentum = opts.momentum ?? 0.9;
  const weightDecay = opts.weightDecay ?? 1e-4;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(numClasses) || numClasses < 2) throw new Error(`linearProbe: numClasses must be an integer >= 2, got ${numClasses}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`linearProbe: epochs must be a non-negative integer, got ${epochs}`);
  if (!(lr > 0)) throw new Error(`linearProbe: learningRate must be > 0, got ${lr}`);
  const [n, d] = trainX0.shape;
  if (testX0.shape[1] !== d) throw new Error(`linearProbe: trainFeatures have width ${d} but testFeatures have width ${testX0.shape[1]}`);
  if (n === 0) throw new Error('linearProbe: no training features');
  checkLabels(opts.trainLabels, n, numClasses, 'trainLabels');
  checkLabels(opts.testLabels, testX0.shape[0], numClasses, 'testLabels');
  const batchSize = Math.min(opts.batchSize ?? 256, n);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`linearProbe: batchSize must be a positive integer, got ${opts.batchSize}`);
  const stepsPerEpoch = Math.floor(n / batchSize);
  const totalSteps = Math.max(1, stepsPerEpoch * epochs);

  // Standardise with the training statistics.
  const [trainX, testX] = tf.tidy(() => {
    const tr = tf.cast(trainX0, 'float32') as tf.Tensor2D;
    const { mean, variance } = tf.moments(tr, 0, true);
    const scale = tf.div(1, tf.add(tf.sqrt(variance), 1e-6));
    const f = (x: tf.Tensor) => tf.mul(tf.sub(tf.cast(x, 'float32'), mean), scale) as tf.Tensor2D;
    return [f(tr), f(testX0)];
  });
  const trainY = tf.tensor1d(opts.trainLabels, 'int32');

  const opt = sgd({
    learningRate: cosineDecay({ init: lr, decaySteps: totalSteps }),
    momentum,
    nesterov: momentum > 0,
    weightDecay,
    weightDecayMask: { w: true, b: false },
  });
  const loss = (p: ProbeParams, x: NdArray, y: NdArray) => np.crossEntropy(np.add(np.matmul(x, p.w), p.b), y);
  const step = jit((p: ProbeParams, s: unknown, x: NdArray, y: NdArray) => {
    const [l, g] = valueAndGrad(loss)(p, x, y);
    const [u, s2] = opt.update(g, s, p);
    return { params: applyUpdates(p, u), optState: s2, loss: l };
  });

  let params: ProbeParams = { w: tf.zeros([d, numClasses]), b: tf.zeros([numClasses]) };
  // `scope`: `optim` init builds its zeros from temporaries that it does not free itself.
  let optState: unknown = scope(() => opt.init(params));
  let finalLoss = NaN;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = epochPermutation(n, seed, epoch);
      const losses: tf.Tensor[] = [];
      for (let b = 0; b < stepsPerEpoch; b++) {
        const idx = tf.tensor1d(order.subarray(b * batchSize, (b + 1) * batchSize), 'int32');
        const x = tf.gather(trainX, idx);
        const y = tf.gather(trainY, idx);
        const out = step(params, optState, x, y);
        tf.dispose([idx, x, y]);
        const kept = new Set(tree.leaves([out.params, out.optState]));
        tf.dispose(tree.leaves([params, optState]).filter((t): t is tf.Tensor => t instanceof tf.Tensor && !kept.has(t)));
        params = out.params;
        optState = out.optState;
        losses.push(out.loss as tf.Tensor);
      }
      const mean = tf.tidy(() => (losses.length ? tf.mean(tf.stack(losses)) : tf.scalar(NaN)));
      finalLoss = (await mean.data())[0]!;
      tf.dispose([mean, ...losses]);
      if (!Number.isFinite(finalLoss)) throw new Error(`linearProbe: the loss became ${finalLoss} in epoch ${epoch}; lower learningRate (now ${lr})`);
    }
    const accuracy = await accuracyOf(params, testX, opts.testLabels);
    const trainAccuracy = await accuracyOf(params, trainX, opts.trainLabels);
    return { accuracy, trainAccuracy, finalLoss };
  } finally {
    step.clearCache();
    tf.dispose(tree.leaves([params, optState]).filter((t): t is tf.Tensor => t instanceof tf.Tensor));
    tf.dispose([trainX, testX, trainY]);
  }
}
