/**
 * The SSL losses with `axisName` (the batch sharded over a named axis), under
 * `vmap(f, { axisName })` over 2 and 4 shards of one batch, against one process on the whole
 * batch: the mean over the members of their losses is the whole batch's loss, and each
 * member's gradient (JAX's transposes: allGather's is a reduce-scatter, psum's a psum) is the
 * number of members times the whole loss's gradient on its rows, so the members' mean
 * gradient of shared parameters is the whole batch's. DINO's centre is the whole batch's on
 * every member. Without the axis the shards' losses differ (the test can fail).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const AXIS = 'shards';
const N = 8;
const D = 5;

/** A loss of two views [rows, D], with or without the axis. */
type PairLoss = (zi: NdArray, zj: NdArray, axisName?: string) => NdArray;

const losses: Record<string, PairLoss> = {
  ntXent: (zi, zj, axisName) => ssl.ntXent(zi, zj, { temperature: 0.3, axisName }),
  infoNce: (zi, zj, axisName) => {
    // CLIP-style with a mask: zi against zj, each anchor's pair as target, its neighbour r xor 1
    // (in the same shard: a mask covers the member's own candidates) masked.
    const n = zi.shape[0];
    const mask = np.cast(np.array(Array.from({ length: n }, (_, r) => Array.from({ length: n }, (_, c) => (c === (r ^ 1) ? 1 : 0)))), 'bool');
    return ssl.infoNce(zi, zj, np.arange(n), { temperature: 0.2, mask, axisName });
  },
  vicreg: (zi, zj, axisName) => ssl.vicreg(zi, zj, { axisName }),
  vcReg: (zi, _zj, axisName) => ssl.vcReg(zi, { axisName }),
  barlowTwins: (zi, zj, axisName) => ssl.barlowTwins(zi, zj, { lambda: 0.05, axisName }),
  dino: (zi, zj, axisName) => {
    // Two student views against two teacher views, with a batch centre that crosses the shards.
    const logits = np.stack([zi, zj], 0);
    const center = ssl.batchCenter(np.stack([zj, zi], 0), axisName);
    return np.add(ssl.dino(logits, ssl.teacherProbs(np.stack([zj, zi], 0), center, 0.5), { studentTemperature: 0.3 }), np.sum(np.square(center)));
  },
};

const zi = tf.randomNormal([N, D], 0, 1, 'float32', 1);
const zj = tf.add(tf.mul(zi, 0.5), tf.randomNormal([N, D], 0, 1, 'float32', 2));

const values = (t: NdArray) => Array.from((t as tf.Tensor).dataSync());
const shard = (x: tf.Tensor, w: number) => tf.reshape(x, [w, N / w, D]);
const whole = (x: NdArray) => tf.reshape(x as tf.Tensor, [N, D]);

const Losses = suite('SSL losses with axisName: shards under vmap = one process on the whole batch');

for (const [name, loss] of Object.entries(losses)) {
  for (const w of [2, 4]) {
    Losses(`${name} over ${w} shards: mean loss and gradients (x ${w}) are the whole batch's`, () => {
      const before = tf.memory().numTensors;
      tf.tidy(() => {
        const want = loss(zi, zj);
        const [gi, gj] = grad((a: NdArray, b: NdArray) => loss(a, b), { argnums: [0, 1] })(zi, zj) as NdArray[];
        const member = (a: NdArray, b: NdArray) => {
          const l = loss(a, b, AXIS);
          const [da, db] = grad((x: NdArray, y: NdArray) => loss(x, y, AXIS), { argnums: [0, 1] })(a, b) as NdArray[];
          return { l, da, db };
        };
        const got = vmap(member, { axisName: AXIS })(shard(zi, w), shard(zj, w));
        allClose(values(np.mean(got.l)), values(want), { rtol: 1e-5, atol: 1e-6 }, `${name}: mean of the members' losses`);
        const scale = (g: NdArray) => Math.max(...values(g).map(Math.abs));
        allClose(values(np.div(whole(got.da), w)), values(gi), { rtol: 0, atol: 1e-5 * scale(gi) }, `${name}: gradient of z_i`);
        allClose(values(np.div(whole(got.db), w)), values(gj), { rtol: 0, atol: 1e-5 * scale(gj) }, `${name}: gradient of z_j`);
        // Without the axis each shard's loss is its own batch's: not the whole batch's.
        const alone = vmap((a: NdArray, b: NdArray) => loss(a, b))(shard(zi, w), shard(zj, w));
        assert.ok(Math.abs(values(np.mean(alone))[0] - values(want)[0]) > 1e-3, `${name}: the shards alone differ`);
      });
      assert.is(tf.memory().numTensors, before, 'no tensor leaks');
    });
  }
}

Losses("DINO's centre update with axisName: every member holds the whole batch's", () => {
  tf.tidy(() => {
    const logits = tf.randomNormal([2, N, D], 0, 1, 'float32', 3);
    const center = tf.randomNormal([1, D], 0, 1, 'float32', 4);
    const want = ssl.updateCenter(center, logits, 0.9);
    // Shard the batch axis: [views, 2 shards, N / 2, D], mapped over axis 1.
    const got = vmap((l: NdArray) => ssl.updateCenter(center, l, 0.9, AXIS), { axisName: AXIS, inAxes: 1, outAxes: null })(tf.reshape(logits, [2, 2, N / 2, D]));
    allClose(values(got), values(want), { rtol: 1e-6, atol: 1e-7 }, 'centre');
  });
});

Losses.run();
