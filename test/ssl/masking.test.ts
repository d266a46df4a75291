/**
 * `ssl.masking`: MAE's random patch masking (stable-pretraining's `PatchMasking`, block_size 1)
 * as pure functions. Checked against a plain-JS reference on the noise of the seed's runs in
 * test/fixtures/mae_seed.json (sort the patches by noise, keep the first L - floor(L r)), and
 * for its properties: kept count, `idsRestore` inverts the shuffle, the mask marks exactly
 * the removed patches, keep + restore round-trips, gradients of the gathers, shapes under
 * `jit` and `vmap`, and `patchify`'s channel-major layout.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { masking } from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture } from './fixtures.js';

await useTestBackend();

const rows = (t: np.NdArray) => (t as tf.Tensor).arraySync() as number[][];

/** The reference: per row, patch indices sorted by noise; the first k kept. */
function reference(noise: number[][], ratio: number) {
  return noise.map((row) => {
    const l = row.length;
    const k = l - Math.floor(l * ratio);
    const order = row.map((_, i) => i).sort((a, b) => row[a] - row[b]);
    const restore = new Array<number>(l);
    order.forEach((p, j) => (restore[p] = j));
    return { keep: order.slice(0, k), restore, mask: restore.map((j) => (j >= k ? 1 : 0)) };
  });
}

test("the seed's noise gives its masks: kept = lowest noise, restore = inverse, mask = removed", () => {
  const fx = loadFixture<{ steps: { noise: number[] }[]; config: { batch: number; maskRatio: number } }>('mae_seed.json');
  for (const step of fx.steps) {
    const noise = tf.tensor(step.noise, [fx.config.batch, 16]);
    const m = masking.randomMaskingFromNoise(noise, fx.config.maskRatio);
    const ref = reference(rows(noise), fx.config.maskRatio);
    assert.equal(rows(m.idsKeep), ref.map((r) => r.keep));
    assert.equal(rows(m.idsRestore), ref.map((r) => r.restore));
    assert.equal(rows(m.mask), ref.map((r) => r.mask));
    assert.is(m.idsKeep.dtype, 'int32');
    assert.is(m.mask.dtype, 'float32');
  }
});

test("kept count is L - floor(L r) (the seed's num_keep); r = 0 keeps every patch in order", () => {
  for (const [l, r, k] of [[16, 0.75, 4], [10, 0.75, 3], [7, 0.5, 4], [196, 0.75, 49], [5, 0.1, 5], [3, 0.9, 1]] as const) {
    assert.is(masking.numKept(l, r), k, `${l} patches at ${r}`);
    const m = masking.randomMasking(random.key(l), 3, l, r);
    assert.equal(m.idsKeep.shape, [3, k]);
    assert.equal(Array.from((np.sum(m.mask, -1) as tf.Tensor).dataSync()), [l - k, l - k, l - k]);
  }
  const none = masking.randomMaskingFromNoise(random.uniform(random.key(0), [2, 5]), 0);
  assert.equal(rows(none.idsKeep), [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
  assert.equal(rows(none.idsRestore), [[0, 1, 2, 3, 4], [0, 1, 2, 3, 4]]);
  assert.equal(rows(none.mask), [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]);
});

test('randomMasking is randomMaskingFromNoise of uniform(key, [N, L])', () => {
  const a = masking.randomMasking(random.key(7), 4, 12, 0.75);
  const b = masking.randomMaskingFromNoise(random.uniform(random.key(7), [4, 12]), 0.75);
  assert.equal(rows(a.idsKeep), rows(b.idsKeep));
  assert.equal(rows(a.idsRestore), rows(b.idsRestore));
});

test('keepTokens then restoreTokens: visible tokens back in place, the mask token elsewhere; gradients', () => {
  const m = masking.randomMasking(random.key(3), 2, 6, 0.5);
  const x = random.normal(random.key(4), [2, 6, 3]);
  const token = np.array([10, 20, 30]);
  const full = masking.restoreTokens(masking.keepTokens(x, m.idsKeep), token, m.idsRestore);
  const mask = np.expandDims(m.mask, -1);
  const expected = np.add(np.mul(x, np.sub(1, mask)), np.mul(token, mask));
  allClose((full as tf.Tensor).dataSync(), (expected as tf.Tensor).dataSync(), { rtol: 0, atol: 0 });
  // d/dx sum(keep(x) * w) puts w at the kept places; d/dtoken sum(restore(...)) counts the masked ones.
  const gx = grad((xx: np.NdArray) => np.sum(masking.keepTokens(xx, m.idsKeep)))(x);
  allClose((gx as tf.Tensor).dataSync(), (np.broadcastTo(np.sub(1, mask), [2, 6, 3]) as tf.Tensor).dataSync(), { rtol: 0, atol: 0 });
  const gt = grad((t: np.NdArray) => np.sum(masking.restoreTokens(masking.keepTokens(x, m.idsKeep), t, m.idsRestore)))(token);
  allClose((gt as tf.Tensor).dataSync(), [6, 6, 6], { rtol: 0, atol: 0 });
});

test('shapes under jit (one trace) and vmap (each slice its own masking)', () => {
  const f = jit((noise: np.NdArray, x: np.NdArray) => {
    const m = masking.randomMaskingFromNoise(noise, 0.75);
    return masking.restoreTokens(masking.keepTokens(x, m.idsKeep), np.zeros([4]), m.idsRestore);
  });
  for (let i = 0; i < 2; i++) assert.equal(f(random.uniform(random.key(i), [3, 16]), random.normal(random.key(9), [3, 16, 4])).shape, [3, 16, 4]);
  assert.is(f.cacheSize(), 1);
  const noise = random.uniform(random.key(5), [2, 3, 8]);
  const batched = vmap((n: np.NdArray) => masking.randomMaskingFromNoise(n, 0.75).idsKeep)(noise);
  assert.equal(batched.shape, [2, 3, 2]);
  const sliced = [0, 1].map((v) => rows(masking.randomMaskingFromNoise(np.take(noise, v, 0), 0.75).idsKeep as tf.Tensor));
  assert.equal(batched.arraySync(), sliced);
});

test('patchify lays each patch out channel-major (the seed patchifies NCHW images by (C, p, p))', () => {
  const [n, h, w, c, p] = [2, 4, 6, 3, 2];
  const img = np.reshape(np.arange(n * h * w * c), [n, h, w, c]);
  const got = masking.patchify(img, p).arraySync() as number[][][];
  assert.equal([got.length, got[0].length, got[0][0].length], [n, (h / p) * (w / p), c * p * p]);
  const at = (b: number, y: number, x: number, ch: number) => ((b * h + y) * w + x) * c + ch;
  for (let b = 0; b < n; b++)
    for (let gy = 0; gy < h / p; gy++)
      for (let gx = 0; gx < w / p; gx++)
        for (let ch = 0; ch < c; ch++)
          for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) assert.is(got[b][gy * (w / p) + gx][(ch * p + i) * p + j], at(b, gy * p + i, gx * p + j, ch));
});

test('one-line errors', () => {
  assert.is(errorOf(() => masking.numKept(16, 1)), 'masking: maskRatio must be in [0, 1), got 1');
  assert.is(errorOf(() => masking.randomMasking(random.key(0), 2, 16, -0.5)), 'masking: maskRatio must be in [0, 1), got -0.5');
  assert.match(errorOf(() => masking.keepTokens(np.zeros([2, 6, 3]), np.zeros([3, 2], 'int32'))), /^keepTokens: tokens \[\.\.\., L, D\] and idsKeep/);
  assert.match(errorOf(() => masking.restoreTokens(np.zeros([2, 7, 3]), np.zeros([3]), np.zeros([2, 6], 'int32'))), /^restoreTokens: kept/);
  assert.match(errorOf(() => masking.patchify(np.zeros([1, 5, 4, 1]), 2)), /^patchify: images must be NHWC/);
});

test.run();
