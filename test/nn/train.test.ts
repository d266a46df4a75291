/**
 * Trains convnet_small + a linear head with plain SGD on a synthetic two-class task
 * (28x28 images of a vertical or a horizontal Gaussian bar at a random place, plus
 * noise), batch 16, one jitted `valueAndGrad` step per batch.
 *
 * On wasm: 150 steps on fresh batches; the loss falls from ln 2 to near 0 and a
 * held-out batch is classified in eval mode (running BatchNorm statistics). The cpu
 * backend is ~10x slower on convolutions, so there the suite fits one fixed batch
 * for 12 steps instead. TFJAX_TRAIN_STEPS overrides the step count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, valueAndGrad } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as tree from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const T = suite(`nn training [${backend}]`);

const BATCH = 16;

/** A batch of bars: label 0 = vertical, 1 = horizontal; everything from the key. */
function bars(key: tf.Tensor, n = BATCH): { x: tf.Tensor; y: tf.Tensor } {
  return tf.tidy(() => {
    const [k1, k2, k3, k4] = random.split(key, 4);
    const y = random.randint(k1, [n], 0, 2) as tf.Tensor;
    const lab = tf.reshape(tf.cast(y, 'float32'), [n, 1, 1]);
    const cx = tf.reshape(tf.add(8, tf.mul(random.uniform(k2, [n]) as tf.Tensor, 12)), [n, 1, 1]);
    const cy = tf.reshape(tf.add(8, tf.mul(random.uniform(k3, [n]) as tf.Tensor, 12)), [n, 1, 1]);
    const sx = tf.add(2, tf.mul(lab, 23)); // spread along x: 2 (vertical bar) or 25 (horizontal)
    const sy = tf.sub(25, tf.mul(lab, 23));
    const g = tf.range(0, 28, 1, 'float32');
    const dx = tf.div(tf.square(tf.sub(tf.reshape(g, [1, 1, 28]), cx)), sx);
    const dy = tf.div(tf.square(tf.sub(tf.reshape(g, [1, 28, 1]), cy)), sy);
    const img = tf.exp(tf.neg(tf.add(dx, dy)));
    const noise = tf.mul(random.normal(k4, [n, 28, 28]) as tf.Tensor, 0.3);
    return { x: tf.reshape(tf.add(img, noise), [n, 28, 28, 1]), y };
  });
}

T('convnet_small learns with SGD; loss falls and tf.memory().numTensors stays flat', () => {
  const fresh = backend !== 'cpu';
  const steps = Number(process.env.TFJAX_TRAIN_STEPS) || (fresh ? 150 : 12);
  const lr = 0.1;
  const encoder = nn.encoder('convnet_small');
  const head = nn.linear({ in: encoder.embeddingDim, out: 2 });
  const [ke, kh, kdata] = random.split(random.key(0), 3) as tf.Tensor[];
  const ve = encoder.init(ke);
  let params: any = { encoder: ve.params, head: head.init(kh).params };
  let state: any = ve.state;

  const loss = (p: any, s: any, x: tf.Tensor, y: tf.Tensor) => {
    const [features, s2] = encoder.apply(p.encoder, s, x, { train: true });
    const [logits] = head.apply(p.head, {}, features);
    return [np.crossEntropy(logits, y), s2];
  };
  // plain SGD, inline: p <- p - lr * g
  const step = jit((p: any, s: any, x: tf.Tensor, y: tf.Tensor) => {
    const [[l, s2], g] = valueAndGrad(loss, { hasAux: true })(p, s, x, y);
    return { loss: l, params: tree.map((w: tf.Tensor, gw: tf.Tensor) => np.sub(w, np.mul(gw, lr)), p, g), state: s2 };
  });

  const fixed = fresh ? null : bars(kdata);
  const losses: number[] = [];
  const counts: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const batchKey = random.foldIn(kdata, i) as tf.Tensor;
    const { x, y } = fixed ?? bars(batchKey);
    batchKey.dispose();
    const out: any = step(params, state, x, y);
    if (!fixed) tf.dispose([x, y]);
    tf.dispose(tree.leaves([params, state]) as tf.Tensor[]);
    params = out.params;
    state = out.state;
    losses.push(out.loss.dataSync()[0]);
    out.loss.dispose();
    counts.push(tf.memory().numTensors);
  }
  const ms = (performance.now() - t0) / steps;
  assert.is(step.cacheSize(), 1);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const k = fresh ? 10 : 3;
  const first = mean(losses.slice(0, k));
  const last = mean(losses.slice(-k));
  console.log(`  ${steps} steps (${fresh ? 'fresh batches' : 'one fixed batch'}), ${ms.toFixed(0)} ms/step: loss ${first.toFixed(3)} (first ${k}) -> ${last.toFixed(3)} (last ${k}); numTensors ${counts[1]} -> ${counts[counts.length - 1]}`);
  assert.ok(losses.every(Number.isFinite));
  allFlat(counts.slice(1));
  // The loss before any update (the head's logits start near 0); the next few steps of SGD at
  // lr 0.1 on fresh batches of 16 swing with each batch's label balance.
  assert.ok(Math.abs(losses[0] - Math.LN2) < 0.1, `starts near ln 2: ${losses[0]}`);
  if (fresh) {
    assert.ok(last < 0.2, `loss falls below 0.2: ${last}`);
    // held-out data, eval mode (running statistics)
    const test = bars(random.key(99), 64);
    const [features] = encoder.apply(params.encoder, state, test.x);
    const pred = np.argmax(head.apply(params.head, {}, features)[0], -1) as tf.Tensor;
    const acc = mean(Array.from(tf.equal(pred, test.y).dataSync()));
    console.log(`  held-out accuracy (eval mode): ${(acc * 100).toFixed(1)}%`);
    assert.ok(acc > 0.9, `accuracy ${acc}`);
  } else {
    assert.ok(last < 0.8 * first, `loss falls on the fixed batch: ${first} -> ${last}`);
  }
});

function allFlat(counts: number[]) {
  assert.ok(counts.every((c) => c === counts[0]), `numTensors not flat: ${counts.join(' ')}`);
}

T.run();
