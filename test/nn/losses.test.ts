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

Losses('integer labels out of range give NaN (JAX\'s fill), never a logit of another row; negative labels count from the end', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const lse0 = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    const cases: [number[], number[]][] = [
      [[3, 0], [NaN, Math.log(3)]], // label 3 of 3 classes: not row 1's first logit
      [[-1, 0], [lse0 - 3, Math.log(3)]],
      [[-3, 2], [lse0 - 1, Math.log(3)]],
      [[-4, 100], [NaN, NaN]], // beyond the flattened array: no gather error either
    ];
    for (const [labels, want] of cases) {
      const y = tf.tensor1d(labels, 'int32');
      for (const [mode, f] of [['eager', L.softmaxCrossEntropyWithIntegerLabels], ['jit', jit(L.softmaxCrossEntropyWithIntegerLabels)]] as const) {
        const got = [...(f(x, y) as tf.Tensor).dataSync()];
        want.forEach((w, i) => {
          if (Number.isNaN(w)) assert.ok(Number.isNaN(got[i]), `labels ${labels} (${mode}): entry ${i} = ${got[i]}, expected NaN`);
          else allClose([got[i]], [w], { rtol: 1e-6 }, `labels ${labels} (${mode}): entry ${i}`);
        });
      }
    }
    // along axis 0: the classes are the rows
    const byColumn = L.softmaxCrossEntropyWithIntegerLabels(tf.transpose(x), tf.tensor1d([2, 3], 'int32'), 0) as tf.Tensor;
    const col = [...byColumn.dataSync()];
    allClose([col[0]], [lse0 - 3], { rtol: 1e-6 });
    assert.ok(Number.isNaN(col[1]), `axis 0, label 3: ${col[1]}`);
  });
});

Losses('cosineSimilarity with epsilon: a finite gradient at a zero vector (optax clips the norm)', () => {
  tf.tidy(() => {
    const zero = tf.tensor2d([[0, 0]]);
    const t = tf.tensor2d([[1, 0]]);
    // |p| < epsilon: the similarity is p . t / (epsilon |t|), so its gradient is t / (epsilon |t|)
    const gp = grad((p: NdArray) => np.sum(L.cosineSimilarity(p, t, 1e-6)))(zero) as tf.Tensor;
    allClose(gp.dataSync(), [1e6, 0], { rtol: 1e-5 }, 'd/dp');
    const gt = grad((q: NdArray) => np.sum(L.cosineDistance(t, q, 1e-6)))(zero) as tf.Tensor;
    allClose(gt.dataSync(), [-1e6, 0], { rtol: 1e-5 }, 'd/dt of the distance');
    allClose((L.cosineSimilarity(zero, t, 1e-6) as tf.Tensor).dataSync(), [0]);
  });
});

/** The focal loss in float64: cross-entropy times (1 - p_t)^gamma, 1 - p_t = y sigmoid(-x) + (1 - y) sigmoid(x). */
function focal64(x: number, y: number, gamma: number): number {
  const logSig = (z: number) => Math.min(z, 0) - Math.log1p(Math.exp(-Math.abs(z)));
  const ce = -y * logSig(x) - (1 - y) * logSig(-x);
  return ce * (y * Math.exp(logSig(-x)) + (1 - y) * Math.exp(logSig(x))) ** gamma;
}

Losses('sigmoidFocalLoss: float64 values and finite gradients at saturated logits, gamma below 1 included', () => {
  tf.tidy(() => {
    const xs = [30, -30, 17, -17, 2, -3, 0.5];
    const ys = [1, 0, 1, 0, 0.3, 0.8, 1];
    for (const gamma of [0, 0.5, 2]) {
      const x = tf.tensor1d(xs);
      const y = tf.tensor1d(ys);
      const got = (L.sigmoidFocalLoss(x, y, { gamma }) as tf.Tensor).dataSync();
      allClose(got, xs.map((v, i) => focal64(v, ys[i], gamma)), { rtol: 1e-4, atol: 0 }, `gamma ${gamma}: values`);
      const g = [...(grad((v: NdArray) => np.sum(L.sigmoidFocalLoss(v, y, { gamma })))(x) as tf.Tensor).dataSync()];
      // central differences of the float64 loss (at |x| = 30 the loss is ~e^-30 (1 + gamma), still a double)
      const fd = xs.map((v, i) => (focal64(v + 1e-4, ys[i], gamma) - focal64(v - 1e-4, ys[i], gamma)) / 2e-4);
      g.forEach((gi, i) => assert.ok(Math.abs(gi - fd[i]) <= 1e-3 * Math.abs(fd[i]) + 1e-6, `gamma ${gamma}: d/dx at x = ${xs[i]}, y = ${ys[i]}: ${gi}, float64 ${fd[i]}`));
    }
    const huge = tf.tensor1d([1e4, -1e4, 1e4, -1e4]);
    const g = (grad((v: NdArray) => np.sum(L.sigmoidFocalLoss(v, tf.tensor1d([1, 0, 0, 1]), { gamma: 0.5 })))(huge) as tf.Tensor).dataSync();
    allClose(g, [0, 0, 1, -1], { atol: 1e-6 }, 'gamma 0.5 at |x| = 1e4');
  });
});

Losses('logCosh: float64 values for small errors (no cancellation against log 2)', () => {
  tf.tidy(() => {
    const es = [1e-4, -1e-3, 1e-2, 0.1, 1, -3, 20];
    const got = (L.logCosh(tf.tensor1d(es)) as tf.Tensor).dataSync();
    allClose(got, es.map((e) => Math.log(Math.cosh(e))), { rtol: 1e-3, atol: 0 });
  });
});

Losses.run();
