/**
 * The SSL library as users compose it (regressions from driving docs/ssl.md and docs/swav.md):
 * - Barlow Twins under an axis with `batchStatistics: 'perMember'` is the seed's data-parallel
 *   loss (stable-pretraining: each rank standardises its rows with its own statistics, then
 *   `all_reduce(c)`), checked under `vmap(f, { axisName })` over 2 shards against that formula
 *   computed directly in float64; the default `'global'` stays the whole batch's (SyncBN);
 * - `swav.initQueue` with a bad argument names itself and the argument (it named initMemory).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, np, ssl, swav, vmap } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const AXIS = 'shards';
const values = (t: NdArray) => Array.from((t as tf.Tensor).dataSync());

/** Rows [n][d] standardised per column: `(z - mean) / (std_unbiased + 1e-5)`, in float64. */
function standardised(z: number[][]): number[][] {
  const n = z.length;
  const d = z[0]!.length;
  const cols = Array.from({ length: d }, (_, k) => {
    const mean = z.reduce((s, r) => s + r[k]!, 0) / n;
    const std = Math.sqrt(z.reduce((s, r) => s + (r[k]! - mean) ** 2, 0) / (n - 1));
    return { mean, std };
  });
  return z.map((r) => r.map((x, k) => (x - cols[k]!.mean) / (cols[k]!.std + 1e-5)));
}

/** The seed's loss over `w` ranks: each shard standardised alone, `c = sum_r zn_i^T zn_j / N`. */
function seedBarlow(zi: number[][], zj: number[][], w: number, lambda: number): number {
  const n = zi.length;
  const d = zi[0]!.length;
  const per = n / w;
  const c = Array.from({ length: d }, () => new Array<number>(d).fill(0));
  for (let r = 0; r < w; r++) {
    const a = standardised(zi.slice(r * per, (r + 1) * per));
    const b = standardised(zj.slice(r * per, (r + 1) * per));
    for (let row = 0; row < per; row++) for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) c[p]![q]! += (a[row]![p]! * b[row]![q]!) / n;
  }
  let loss = 0;
  for (let p = 0; p < d; p++) for (let q = 0; q < d; q++) loss += p === q ? (c[p]![q]! - 1) ** 2 : lambda * c[p]![q]! ** 2;
  return loss;
}

const Barlow = suite("barlowTwins batchStatistics: 'perMember' under an axis = the seed's per-rank loss");

const N = 8;
const D = 4;
const LAMBDA = 0.05;
const rows = (seed: number) => (tf.randomNormal([N, D], 0, 1, 'float32', seed).arraySync() as number[][]);
const zi = rows(1).map((r, i) => r.map((x, k) => x + (i < N / 2 ? 2 * k : 0))); // shard 0 shifted: per-shard and global stats differ
const zj = rows(2).map((r, i) => r.map((x, k) => 0.5 * zi[i]![k]! + x));

Barlow('2 shards: every member gets the seed loss; its gradient is 2 x the seed gradient of its rows', () => {
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const want = seedBarlow(zi, zj, 2, LAMBDA);
    const member = (a: NdArray, b: NdArray) => ssl.barlowTwins(a, b, { lambda: LAMBDA, axisName: AXIS, batchStatistics: 'perMember' });
    const both = (a: NdArray, b: NdArray) => ({ l: member(a, b), g: grad(member, { argnums: [0, 1] })(a, b) as NdArray[] });
    const shard = (z: number[][]) => np.reshape(np.array(z), [2, N / 2, D]);
    const got = vmap(both, { axisName: AXIS })(shard(zi), shard(zj));
    allClose(values(got.l), [want, want], { rtol: 1e-5, atol: 1e-6 }, 'each member: the seed loss');
    // Finite differences of the float64 seed loss along one random direction of z_i and z_j.
    const dir = rows(3);
    const h = 1e-4;
    const moved = (s: number) => seedBarlow(zi.map((r, i) => r.map((x, k) => x + s * dir[i]![k]!)), zj.map((r, i) => r.map((x, k) => x - s * dir[i]![k]!)), 2, LAMBDA);
    const wantSlope = (moved(h) - moved(-h)) / (2 * h);
    const [gi, gj] = (got.g as NdArray[]).map((g) => values(g));
    const flat = dir.flat();
    const slope = flat.reduce((s, v, i) => s + v * (gi![i]! - gj![i]!), 0) / 2;
    allClose([slope], [wantSlope], { rtol: 1e-3, atol: 1e-4 }, 'directional derivative (member gradients / 2)');
    // The default is the whole batch's statistics: a different loss on these shards.
    const global = vmap((a: NdArray, b: NdArray) => ssl.barlowTwins(a, b, { lambda: LAMBDA, axisName: AXIS }), { axisName: AXIS })(shard(zi), shard(zj));
    const whole = values(ssl.barlowTwins(np.array(zi), np.array(zj), { lambda: LAMBDA }))[0]!;
    allClose(values(global), [whole, whole], { rtol: 1e-5, atol: 1e-6 }, "'global': one process on the whole batch");
    assert.ok(Math.abs(whole - want) > 1e-2, `the two conventions differ on these shards (${whole} vs ${want})`);
    // Without an axis the option changes nothing.
    allClose(values(ssl.barlowTwins(np.array(zi), np.array(zj), { lambda: LAMBDA, batchStatistics: 'perMember' })), [whole], { rtol: 1e-6, atol: 1e-7 }, 'no axis');
  });
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
});

Barlow("'perMember' with one row per member, or an unknown batchStatistics: one-line errors", () => {
  const one = np.reshape(np.array(zi.slice(0, 2)), [2, 1, D]);
  assert.throws(
    () => vmap((a: NdArray) => ssl.barlowTwins(a, a, { axisName: AXIS, batchStatistics: 'perMember' }), { axisName: AXIS })(one),
    (e: Error) => /barlowTwins: needs each member's rows with batchStatistics 'perMember' of at least 2 embeddings/.test(e.message),
  );
  assert.throws(
    () => ssl.barlowTwins(np.array(zi), np.array(zj), { batchStatistics: 'local' as never }),
    (e: Error) => /barlowTwins: batchStatistics must be 'global' or 'perMember', got "local"/.test(e.message),
  );
});

Barlow("the method's config takes batchStatistics (io-ts checked)", () => {
  const m = ssl.methods.barlowTwins({ encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4] }, projector: ssl.head([8, 8]), batchStatistics: 'perMember' });
  assert.is(m.config.batchStatistics, 'perMember');
  assert.throws(() => ssl.methods.barlowTwins({ batchStatistics: 'perRank' as never }), (e: Error) => /batchStatistics/.test(e.message) && !e.message.includes('\n'));
});

Barlow.run();

const Errors = suite('errors name the function the user called');

Errors('swav.initQueue with a missing argument names initQueue and the argument', () => {
  assert.throws(
    () => swav.initQueue(4, 3, undefined as unknown as number),
    (e: Error) => /^swav\.initQueue\(views, length, dim\): dim must be an integer >= 1, got undefined$/.test(e.message),
  );
  assert.throws(() => swav.initQueue(0, 3, 2), (e: Error) => /swav\.initQueue\(views, length, dim\): views must be an integer >= 1, got 0/.test(e.message));
});

Errors.run();
