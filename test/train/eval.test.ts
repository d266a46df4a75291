/**
 * Evaluation: weighted kNN against an independent float64 brute force (small random data,
 * one and several similarity blocks), a hand-made case where the exp(sim / T) weighting
 * decides, the linear probe on separable data (and its determinism), embedding in batches
 * without leaking tensors, and the baselines.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { splitmix32 } from '../../lib/data/prng.js';
import type { ImageDataset } from '../../lib/data/types.js';
import { baselines, embedDataset, evaluateEncoder, knnAccuracies, knnAccuracy, linearProbe, rawPixelFeatures } from '../../lib/train/eval/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();

/** Uniform floats in [-1, 1) from a seed. */
function uniform(seed: number, n: number): Float32Array {
  const next = splitmix32(seed);
  return Float32Array.from({ length: n }, () => next() / 2 ** 31 - 1);
}

function labelsOf(seed: number, n: number, c: number): Int32Array {
  const next = splitmix32(seed);
  return Int32Array.from({ length: n }, () => next() % c);
}

/** lightly's knn_predict in float64 with plain loops: the reference. */
function bruteKnn(train: Float32Array, trainLabels: Int32Array, test: Float32Array, testLabels: Int32Array, d: number, k: number, t: number, c: number): number {
  const norm = (x: Float32Array, i: number) => {
    let s = 0;
    for (let j = 0; j < d; j++) s += x[i * d + j]! ** 2;
    return Math.max(Math.sqrt(s), 1e-12);
  };
  const nTr = trainLabels.length;
  const trNorm = Array.from({ length: nTr }, (_, i) => norm(train, i));
  let correct = 0;
  for (let q = 0; q < testLabels.length; q++) {
    const qn = norm(test, q);
    const sims: [number, number][] = [];
    for (let i = 0; i < nTr; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += test[q * d + j]! * train[i * d + j]!;
      sims.push([s / (qn * trNorm[i]!), i]);
    }
    sims.sort((a, b) => b[0] - a[0]);
    const votes = new Float64Array(c);
    for (let r = 0; r < k; r++) votes[trainLabels[sims[r]![1]]!]! += Math.exp(sims[r]![0] / t);
    let best = 0;
    for (let j = 1; j < c; j++) if (votes[j]! > votes[best]!) best = j;
    if (best === testLabels[q]) correct++;
  }
  return correct / testLabels.length;
}

const K = suite(`eval: kNN [${backend}]`);

K('matches a float64 brute force on random data, in one block and in several', async () => {
  const [nTr, nTe, d, c] = [300, 70, 12, 4];
  const tr = uniform(1, nTr * d);
  const te = uniform(2, nTe * d);
  const trL = labelsOf(3, nTr, c);
  const teL = labelsOf(4, nTe, c);
  // Make the labels learnable: shift each row along its class's direction.
  for (let i = 0; i < nTr; i++) tr[i * d + trL[i]!]! += 1;
  for (let i = 0; i < nTe; i++) te[i * d + teL[i]!]! += 1;
  const trainFeatures = tf.tensor2d(tr, [nTr, d]);
  const testFeatures = tf.tensor2d(te, [nTe, d]);
  const before = tf.memory().numTensors;
  const ks = [1, 5, 20, 50];
  for (const temperature of [0.07, 0.5, 0.005]) {
    const expected = Object.fromEntries(ks.map((k) => [k, bruteKnn(tr, trL, te, teL, d, k, temperature, c)]));
    const whole = await knnAccuracies({ trainFeatures, trainLabels: trL, testFeatures, testLabels: teL, ks, temperature, numClasses: c });
    const blocked = await knnAccuracies({ trainFeatures, trainLabels: trL, testFeatures, testLabels: teL, ks, temperature, numClasses: c, chunk: 16, trainChunk: 64 });
    assert.equal(whole, expected, `T=${temperature}, one block`);
    assert.equal(blocked, expected, `T=${temperature}, 16-row chunks x 64-row blocks`);
    assert.ok(expected[20]! > 0.5, 'the data is learnable, so the comparison means something');
  }
  assert.is(await knnAccuracy({ trainFeatures, trainLabels: trL, testFeatures, testLabels: teL, k: 5, numClasses: c }), bruteKnn(tr, trL, te, teL, d, 5, 0.07, c));
  assert.is(tf.memory().numTensors, before, 'no tensor survives');
  tf.dispose([trainFeatures, testFeatures]);
});

K('hand-made: one very close neighbour outvotes two far ones at T = 0.07, not at T = 100', async () => {
  // Train directions (2-D): class 0 at angle 0; class 1 at +-60 degrees (cosine 0.5 to the query).
  const a = Math.PI / 3;
  const trainFeatures = tf.tensor2d([[1, 0], [Math.cos(a), Math.sin(a)], [Math.cos(a), -Math.sin(a)], [-1, 0]]);
  const trainLabels = Int32Array.from([0, 1, 1, 2]);
  const testFeatures = tf.tensor2d([[5, 0], [0, -3]]); // scale does not matter: cosine similarity
  const testLabels = Int32Array.from([0, 1]);
  // Query 0: exp(1/0.07) = 1.6e6 for class 0 vs 2 exp(0.5/0.07) = 2.5e3 for class 1 -> 0 (right).
  // Query 1 (pointing down): nearest is [cos a, -sin a] (class 1, sim 0.87), then class 0/2 (sim 0) -> 1.
  const sharp = await knnAccuracies({ trainFeatures, trainLabels, testFeatures, testLabels, ks: [1, 3], numClasses: 3 });
  assert.equal(sharp, { 1: 1, 3: 1 });
  // With a flat weighting, k = 3 is a plain majority: query 0 goes to class 1 (wrong).
  const flat = await knnAccuracies({ trainFeatures, trainLabels, testFeatures, testLabels, ks: [3], numClasses: 3, temperature: 100 });
  assert.equal(flat, { 3: 0.5 });
  tf.dispose([trainFeatures, testFeatures]);
});

K('clear errors for bad input', async () => {
  const f = tf.tensor2d([[1, 0], [0, 1]]);
  const base = { trainFeatures: f, testFeatures: f, trainLabels: Int32Array.from([0, 1]), testLabels: Int32Array.from([0, 1]), numClasses: 2 };
  const rejects = async (p: Promise<unknown>, re: RegExp) => {
    try {
      await p;
    } catch (e) {
      assert.match((e as Error).message, re);
      return;
    }
    assert.unreachable(`expected an error matching ${re}`);
  };
  await rejects(knnAccuracy({ ...base, k: 3 }), /k = 3 exceeds the 2 training rows/);
  await rejects(knnAccuracy({ ...base, k: 1, trainLabels: Int32Array.from([0, 2]) }), /trainLabels\[1\] = 2 is not a class in \[0, 2\)/);
  await rejects(knnAccuracy({ ...base, k: 1, testLabels: Int32Array.from([0]) }), /testLabels has 1 entries for 2 feature rows/);
  await rejects(knnAccuracy({ ...base, k: 1, temperature: 0 }), /temperature must be > 0/);
  f.dispose();
});

K.run();

/** A tiny labelled uint8 dataset: class = which half of the image is bright, plus noise. */
function tinyDataset(n: number, seed: number, hw = 6): ImageDataset {
  const next = splitmix32(seed);
  const images = new Uint8Array(n * hw * hw);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = next() % 2;
    labels[i] = y;
    for (let r = 0; r < hw; r++) {
      for (let col = 0; col < hw; col++) {
        const bright = (y === 0 ? r < hw / 2 : col < hw / 2) ? 150 : 20;
        images[i * hw * hw + r * hw + col] = bright + (next() % 100);
      }
    }
  }
  return { name: 'tiny', images, labels, n, height: hw, width: hw, channels: 1, classNames: ['rows', 'cols'], skipped: [] };
}

const E = suite(`eval: embedding, probe, evaluateEncoder [${backend}]`);

E('embedDataset runs in batches, keeps order, honours indices, and leaks nothing', async () => {
  const ds = tinyDataset(7, 5);
  const before = tf.memory().numTensors;
  const sizes: number[] = [];
  // A toy "encoder": per image [mean, max, first pixel].
  const apply = (x: tf.Tensor4D) => {
    sizes.push(x.shape[0]);
    const flat = tf.reshape(x, [x.shape[0], -1]);
    return tf.concat([tf.mean(flat, 1, true), tf.max(flat, 1, true), tf.slice(flat, [0, 0], [-1, 1])], 1) as tf.Tensor2D;
  };
  const e = await embedDataset(apply, ds, { batchSize: 3 });
  assert.equal(sizes, [3, 3, 1]);
  assert.equal(e.shape, [7, 3]);
  const px = rawPixelFeatures(ds);
  assert.equal(px.shape, [7, 36]);
  const pxv = await px.data();
  assert.ok(pxv.every((v) => v >= 0 && v <= 1));
  const rows = Array.from({ length: 7 }, (_, i) => Array.from(pxv.slice(i * 36, (i + 1) * 36)));
  allClose(await e.array(), rows.map((r) => [r.reduce((a, b) => a + b) / 36, Math.max(...r), r[0]!]), { rtol: 1e-5, atol: 1e-6 });
  const sub = await embedDataset(apply, ds, { batchSize: 512, indices: [6, 0] });
  allClose(await sub.array(), [(await e.array())[6]!, (await e.array())[0]!], { rtol: 1e-6, atol: 1e-7 });
  tf.dispose([e, px, sub]);
  assert.is(tf.memory().numTensors, before);
  // A wrong output shape is an error, and still nothing leaks.
  try {
    await embedDataset((x) => tf.reshape(x, [-1]) as unknown as tf.Tensor2D, ds, { batchSize: 4 });
    assert.unreachable('should throw');
  } catch (err) {
    assert.match((err as Error).message, /returned shape \[144\] for a batch of 4 images; expected \[4, D\]/);
  }
  assert.is(tf.memory().numTensors, before);
});

E('linear probe separates linearly separable data (> 95%), deterministically', async () => {
  // Three Gaussian blobs in 6-D, centres 3 apart, unit noise... well separated but not trivially.
  const d = 6;
  const c = 3;
  const make = (n: number, seed: number) => {
    const next = splitmix32(seed);
    const gauss = () => {
      const u = (next() + 1) / 2 ** 32;
      const v = next() / 2 ** 32;
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    };
    const x = new Float32Array(n * d);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = i % c;
      for (let j = 0; j < d; j++) x[i * d + j] = 0.6 * gauss() + (j === y[i] ? 3 : 0) + 10; // offset: standardisation matters
    }
    return { x: tf.tensor2d(x, [n, d]), y };
  };
  const tr = make(480, 11);
  const te = make(240, 12);
  const before = tf.memory().numTensors;
  const opts = { trainFeatures: tr.x, trainLabels: tr.y, testFeatures: te.x, testLabels: te.y, numClasses: c, epochs: 8, batchSize: 32, seed: 3 };
  const r1 = await linearProbe(opts);
  assert.ok(r1.accuracy > 0.95, `test accuracy ${r1.accuracy}`);
  assert.ok(r1.trainAccuracy > 0.95, `train accuracy ${r1.trainAccuracy}`);
  assert.ok(r1.finalLoss < 0.3, `final loss ${r1.finalLoss}`);
  const r2 = await linearProbe(opts);
  assert.equal(r2, r1, 'same seed, same result');
  assert.is(tf.memory().numTensors, before, 'no tensor survives');
  tf.dispose([tr.x, te.x]);
});

E('evaluateEncoder with the identity encoder equals kNN on raw pixels; baselines agree', async () => {
  const train = tinyDataset(120, 21);
  const test = tinyDataset(40, 22);
  const before = tf.memory().numTensors;
  const identity = (x: tf.Tensor4D) => tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  const r = await evaluateEncoder({ apply: identity, train, test, ks: [5, 20], batchSize: 50, linearProbe: { epochs: 5, batchSize: 16 } });
  const b = await baselines({ train, test, ks: [5, 20], randomEncoderApply: identity });
  assert.equal(b.rawPixelsKnn, r.knn);
  assert.equal(b.randomEncoderKnn, r.knn);
  assert.ok(r.knn[20]! > 0.9, `kNN on an easy task: ${r.knn[20]}`);
  assert.ok(r.linearProbe! > 0.9, `probe on an easy task: ${r.linearProbe}`);
  assert.is(tf.memory().numTensors, before, 'no tensor survives');
});

E.run();
