/**
 * The batches of a run's steps: a batch built ahead (while data-parallel workers run the
 * previous step) is the batch built on time, bit for bit; a stale one is freed; nothing leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ImageDataset } from '../../lib/data/index.js';
import * as random from '../../lib/random/index.js';
import { StepBatches, type StepBatch, disposeStepBatch } from '../../lib/train/step-batches.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();
const T = suite('train: step batches');

const n = 24;
const train: ImageDataset = {
  name: 'synthetic',
  images: Uint8Array.from({ length: n * 8 * 8 }, (_, i) => (i * 37) % 251),
  labels: Int32Array.from({ length: n }, (_, i) => i % 3),
  n,
  height: 8,
  width: 8,
  channels: 1,
  classNames: ['a', 'b', 'c'],
  skipped: [],
};
const augment = { nmbCrops: [2, 2], sizeCrops: [8, 4], minScale: [0.4, 0.2], maxScale: [1, 0.4] };

async function contents(b: StepBatch): Promise<number[][]> {
  return Promise.all([...b.views.globalViews, ...b.views.localViews, b.key].map(async (t) => Array.from(await (t as tf.Tensor).data())));
}

T('a prefetched batch is the batch built on time; a stale prefetch is freed; no leaks', async () => {
  const key = random.key(3);
  const before = tf.memory().numTensors;
  const opts = { train, batchSize: 8, seed: 5, augment, globalViews: 2, key };
  const onTime = new StepBatches(opts);
  const ahead = new StepBatches(opts);
  for (const step of [0, 1, 4]) {
    const a = onTime.take(step);
    ahead.prefetch(step);
    const marker = tf.scalar(0);
    const b = ahead.take(step);
    // take() handed over the batch built by prefetch(), not one built now.
    assert.ok([...b.views.globalViews, ...b.views.localViews, b.key].every((t) => t.id < marker.id), `step ${step}: the prefetched batch is used`);
    marker.dispose();
    assert.is(b.step, step);
    assert.is(a.views.globalViews.length, 2);
    assert.is(a.views.localViews.length, 2);
    assert.equal(await contents(b), await contents(a), `step ${step}`);
    disposeStepBatch(a);
    disposeStepBatch(b);
  }
  // Different steps have different views.
  const s0 = onTime.take(0);
  const s1 = onTime.take(1);
  assert.not.equal((await contents(s0))[0], (await contents(s1))[0]);
  disposeStepBatch(s0);
  disposeStepBatch(s1);
  // A prefetch for another step than the one taken is dropped, and so is one never taken.
  ahead.prefetch(6);
  disposeStepBatch(ahead.take(7));
  ahead.prefetch(8);
  ahead.dispose();
  const jitCacheAllowance = tf.memory().numTensors - before;
  // The jitted augmentation may keep constants in its cache; a second round must not add any.
  for (const step of [9, 10]) {
    ahead.prefetch(step);
    disposeStepBatch(ahead.take(step));
  }
  ahead.prefetch(11);
  ahead.dispose();
  assert.is(tf.memory().numTensors - before, jitCacheAllowance, 'no tensor leaks across steps');
  key.dispose();
});

T('the NaN test hook spoils exactly the views of its step', async () => {
  const key = random.key(0);
  const batches = new StepBatches({ train, batchSize: 4, seed: 0, augment, globalViews: 2, key, nanAtStep: 2 });
  for (const step of [0, 1, 2]) {
    const b = batches.take(step);
    const nan = (await contents(b)).slice(0, 4).every((v) => v.every(Number.isNaN));
    assert.is(nan, step === 1, `step ${step}`);
    disposeStepBatch(b);
  }
  key.dispose();
});

T.run();
