/**
 * Collapse monitoring: prototype usage of hand-made codes, the monitor's window, and the
 * warning (and its advice) for a collapsed stream but not for a healthy one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { splitmix32 } from '../../lib/data/prng.js';
import { CollapseMonitor, collapseWarning, expectedFractionUsed, prototypeUsage } from '../../lib/train/collapse.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const U = suite(`collapse [${backend}]`);

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

/** Scores [B, K] from a seed: noise in [0, 1), plus `boost` on column `hot(i)` of row i. */
function scores(seed: number, b: number, k: number, hot: (i: number) => number, boost = 2): Float32Array {
  const next = splitmix32(seed);
  const s = Float32Array.from({ length: b * k }, () => next() / 2 ** 32);
  for (let i = 0; i < b; i++) s[i * k + hot(i)]! += boost;
  return s;
}

U('prototypeUsage: one prototype vs all of them, from rows, a flat array, a tensor or counts', () => {
  const K = 8;
  const collapsed = Array.from({ length: 16 }, () => Array.from({ length: K }, (_, j) => (j === 3 ? 1 : 0)));
  const u0 = prototypeUsage(collapsed);
  close(u0.entropy, 0);
  close(u0.maxEntropy, Math.log(K));
  close(u0.fractionUsed, 1 / K);
  close(u0.meanCodeEntropy, 0);
  assert.is(u0.samples, 16);

  const cycling = Array.from({ length: 16 }, (_, i) => Array.from({ length: K }, (_, j) => (j === i % K ? 1 : 0)));
  const u1 = prototypeUsage(cycling);
  close(u1.entropy, Math.log(K));
  close(u1.fractionUsed, 1);
  close(u1.meanCodeEntropy, Math.log(K));
  assert.equal(Array.from(u1.counts), new Array(K).fill(2));

  const flat = prototypeUsage(Float32Array.from(cycling.flat()), K);
  close(flat.entropy, Math.log(K), 1e-6);
  const t = tf.tensor2d(cycling);
  const fromTensor = prototypeUsage(t);
  t.dispose();
  close(fromTensor.entropy, Math.log(K), 1e-6);
  const fromCounts = prototypeUsage({ counts: [4, 0, 0, 4] });
  close(fromCounts.entropy, Math.log(2));
  close(fromCounts.fractionUsed, 0.5);
  assert.ok(Number.isNaN(fromCounts.meanCodeEntropy));

  // Scores (not distributions) are softmaxed for the mean code; uniform scores -> ln K.
  close(prototypeUsage([[0, 0, 0, 0], [5, 5, 5, 5]]).meanCodeEntropy, Math.log(4));
  assert.throws(() => prototypeUsage(new Float32Array(10), 3), /numPrototypes dividing its length \(10\)/);
});

U('the monitor flags a collapsed stream, with the loss stuck at ln K, and says what to try', () => {
  const K = 32;
  const mon = new CollapseMonitor({ numPrototypes: K, window: 10 });
  for (let step = 0; step < 25; step++) {
    mon.observe(scores(step, 64, K, () => 5)); // every sample on prototype 5
    mon.observeLoss(Math.log(K) + (step % 2 ? 1e-3 : -1e-3));
  }
  const r = mon.report();
  assert.is(r.steps, 10);
  assert.is(r.samples, 640);
  close(r.entropy, 0);
  close(r.fractionUsed, 1 / K);
  assert.ok(r.lossNearLnK);
  const w = collapseWarning(r, K);
  assert.ok(w);
  for (const needle of ['SwAV may be collapsing', 'stuck at ln K = 3.466', 'only 1 of 32 prototypes', 'usage entropy is 0.000 nats', 'epsilon', 'sinkhornIterations', 'freezePrototypesSteps', 'learning rate', 'queueLength', 'larger batch', 'augmentations']) {
    assert.ok(w!.includes(needle), `warning lacks '${needle}':\n${w}`);
  }
});

U('a uniform stream with a falling loss gives no warning; a stuck loss alone does', () => {
  const K = 32;
  const mon = new CollapseMonitor({ numPrototypes: K, window: 10 });
  for (let step = 0; step < 12; step++) {
    mon.observe(scores(100 + step, 64, K, (i) => (i * 7 + step) % K));
    mon.observeLoss(3.4 - 0.1 * step);
  }
  const r = mon.report();
  assert.ok(r.entropyRatio > 0.95, `entropy ratio ${r.entropyRatio}`);
  close(r.fractionUsed, 1);
  assert.not.ok(r.lossNearLnK);
  assert.is(collapseWarning(r, K), null);

  // Usage fine but the loss flat at ln K for a full window: warn about the loss only.
  const stuck = new CollapseMonitor({ numPrototypes: K, window: 5 });
  for (let step = 0; step < 5; step++) {
    stuck.observe(scores(200 + step, 64, K, (i) => i % K));
    stuck.observeLoss(tf.scalar(Math.log(K)));
  }
  const w = collapseWarning(stuck.report(), K);
  assert.ok(w && w.includes('stuck at ln K') && !w.includes('prototypes (') && !w.includes('usage entropy'), String(w));
  // ...but not before the window is full.
  const early = new CollapseMonitor({ numPrototypes: K, window: 50 });
  early.observeLoss(Math.log(K));
  assert.not.ok(early.report().lossNearLnK);
});

U('small windows (fewer samples than prototypes) raise no false alarm', () => {
  const K = 3000;
  const mon = new CollapseMonitor({ numPrototypes: K });
  const next = splitmix32(9);
  mon.observe(scores(7, 16, K, () => next() % K));
  const r = mon.report();
  close(r.expectedFractionUsed, expectedFractionUsed(K, 16));
  assert.ok(r.fractionUsed <= 16 / K);
  assert.is(collapseWarning(r, K), null);
  // Half the samples on one prototype, the rest spread: usage entropy still above half.
  const half = new CollapseMonitor({ numPrototypes: 64 });
  half.observe(scores(8, 256, 64, (i) => (i % 2 ? 0 : i % 64)));
  assert.is(collapseWarning(half.report(), 64), null);
  // A handful of prototypes out of many: warned.
  const few = new CollapseMonitor({ numPrototypes: 300 });
  for (let s = 0; s < 4; s++) few.observe(scores(30 + s, 256, 300, (i) => i % 4));
  const w = collapseWarning(few.report(), 300);
  assert.ok(w && w.includes('only 4 of 300 prototypes'), String(w));
});

U.run();
