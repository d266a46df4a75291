/**
 * nn.losses (optax's losses, per example) against PyTorch's functional losses and float64
 * formulas (test/fixtures/losses.json, from tools/torch-fixtures-losses.py), eagerly and under
 * jit; their gradients against finite differences; and the stable forms at extreme logits.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, nn, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose } from '../helpers/assert.js';

await useTestBackend();
const L = nn.losses;

interface Case {
  inputs: { shape: number[]; data: number[] }[];
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/losses.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };

const CALLS: Record<string, (...xs: NdArray[]) => NdArray> = {
  squared_error: (p, t) => L.squaredError(p, t),
  l2_loss: (p, t) => L.l2Loss(p, t),
  huber_loss: (p, t) => L.huberLoss(p, t),
  huber_loss_delta: (p, t) => L.huberLoss(p, t, 2.5),
  log_cosh: (p, t) => L.logCosh(p, t),
  softmax_cross_entropy: (x, y) => L.softmaxCrossEntropy(x, y),
  softmax_cross_entropy_int: (x, y) => L.softmaxCrossEntropyWithIntegerLabels(x, np.cast(y, 'int32')),
  sigmoid_bce: (x, y) => L.sigmoidBinaryCrossEntropy(x, y),
  focal: (x, y) => L.sigmoidFocalLoss(x, y),
  focal_alpha_gamma: (x, y) => L.sigmoidFocalLoss(x, y, { alpha: 0.25, gamma: 1.5 }),
  hinge: (p, t) => L.hingeLoss(p, t),
  kl_divergence: (logq, p) => L.klDivergence(logq, p),
  cosine_similarity: (p, t) => L.cosineSimilarity(p, t),
  cosine_distance: (p, t) => L.cosineDistance(p, t),
  smooth_labels: (y) => L.smoothLabels(y, 0.1),
};

const Losses = suite('nn.losses: PyTorch and float64 references');

Losses('every fixture case has a call, and every call a case', () => {
  assert.equal(Object.keys(fixture.cases).sort(), Object.keys(CALLS).sort());
});

for (const [name, c] of Object.entries(fixture.cases)) {
  Losses(name, () => {
    tf.tidy(() => {
      const xs = c.inputs.map((i) => tf.tensor(i.data, i.shape, 'float32'));
      for (const [mode, f] of [['eager', CALLS[name]], ['jit', jit(CALLS[name])]] as const) {
        const out = f(...xs) as tf.Tensor;
        assert.equal([...out.shape], c.shape, `${name} (${mode}): shape`);
        allClose(out.dataSync(), c.data, { rtol: 2e-5, atol: 2e-6 }, `${name} (${mode})`);
      }
    });
  });
}

/** Central finite difference of sum(f(x)) along a random direction against grad. */
function checkDirectional(name: string, f: (x: NdArray) => NdArray, x: tf.Tensor): void {
  const u = tf.randomUniform(x.shape, -1, 1, 'float32', 7);
  const g = grad((v: NdArray) => np.sum(f(v)))(x) as tf.Tensor;
  const h = 1e-2;
  const s = (e: number) => (np.sum(f(tf.add(x, tf.mul(u, e)))) as tf.Tensor).dataSync()[0];
  const fd = (s(h) - s(-h)) / (2 * h);
  const viaGrad = tf.sum(tf.mul(g, u)).dataSync()[0];
  assert.ok(Math.abs(fd - viaGrad) <= 2e-3 * Math.max(1, Math.abs(fd)), `${name}: grad . u = ${viaGrad}, finite difference ${fd}`);
}

Losses('gradients match finite differences', () => {
  tf.tidy(() => {
    const c = fixture.cases;
    const arr = (name: string, k: number) => tf.tensor(c[name].inputs[k].data, c[name].inputs[k].shape, 'float32');
    checkDirectional('huber', (p) => L.huberLoss(p, arr('huber_loss', 1)), arr('huber_loss', 0));
    checkDirectional('log_cosh', (p) => L.logCosh(p, arr('log_cosh', 1)), arr('log_cosh', 0));
    checkDirectional('softmax CE', (x) => L.softmaxCrossEntropy(x, arr('softmax_cross_entropy', 1)), arr('softmax_cross_entropy', 0));
    checkDirectional('integer CE', (x) => L.softmaxCrossEntropyWithIntegerLabels(x, np.cast(arr('softmax_cross_entropy_int', 1), 'int32')), arr('softmax_cross_entropy_int', 0));
    checkDirectional('sigmoid BCE', (x) => L.sigmoidBinaryCrossEntropy(x, arr('sigmoid_bce', 1)), arr('sigmoid_bce', 0));
    checkDirectional('focal', (x) => L.sigmoidFocalLoss(x, arr('focal', 1)), arr('focal', 0));
    checkDirectional('kl', (q) => L.klDivergence(q, arr('kl_divergence', 1)), arr('kl_divergence', 0));
    checkDirectional('cosine', (p) => L.cosineSimilarity(p, arr('cosine_similarity', 1)), arr('cosine_similarity', 0));
  });
});

Losses('stable at extreme logits; KL takes 0 log 0 as 0 with a finite gradient', () => {
  tf.tidy(() => {
    const big = tf.tensor1d([-200, 200, 0]);
    allClose((L.sigmoidBinaryCrossEntropy(big, tf.tensor1d([1, 0, 1])) as tf.Tensor).dataSync(), [200, 200, Math.LN2], { rtol: 1e-6 });
    allClose((L.logCosh(tf.tensor1d([100]), 0) as tf.Tensor).dataSync(), [100 - Math.LN2], { rtol: 1e-6 });
    allClose((L.softmaxCrossEntropyWithIntegerLabels(tf.tensor2d([[1000, 0]]), tf.tensor1d([1], 'int32')) as tf.Tensor).dataSync(), [1000], { rtol: 1e-6 });
    const p = tf.tensor2d([[0, 1]]);
    const g = grad((q: NdArray) => np.sum(L.klDivergence(q, p)))(tf.tensor2d([[-1, -0.5]])) as tf.Tensor;
    assert.equal([...g.dataSync()], [-0, -1]);
  });
});

Losses.run();
