/**
 * MAE's masking options against test/fixtures/ssl_mae_masking_session19.json
 * (tools/ssl_mae_masking_session19.py: a PyTorch 1.13 transcription of the seed's `PatchMasking`
 * with `block_size > 1` and of `MultiBlockMasking`, on tools/mae_seed_fixture.py's tiny MAE: 8x8
 * grey images, patch 2, width 4, depth 2).
 *
 * - block masking: from the seed's own draws (centres, excess / deficit noise, final noise),
 *   `blockMaskingNoise` gives the seed's noise and mask on 9 grids / block sizes / ratios (cases
 *   that overshoot, undershoot, and where the batch's shared stopping block matters);
 * - 3 SGD steps (lr 0.05, momentum 0.9) of MAE with `blockSize: 2` (its noise from the seed's
 *   draws) and with `masking: 'multiBlock'` (the seed's masks replayed as `mask`), jitted and eager:
 *   losses and watched parameters within 1e-5 relative (float32; the multi-block encoder attends
 *   over all patches with the masked ones as padding, the seed's over the gathered ones);
 * - drawn from our key (torch's stream is not replayed): block masks mask exactly floor(L r)
 *   patches each, clustered (far more masked neighbours than random masking); multi-block masks
 *   are the same over the batch and keep a subset of one 3x3 context block; a step traces once.
 */
import * as tf from '@tensorflow/tfjs-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { contextAndTargets } from '../../lib/ssl/methods/multi-block-mask.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type Arr, checkReplay, tensorOf } from './seed-steps.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Draws {
  centersY: Arr;
  centersX: Arr;
  excessNoise: Arr;
  deficitNoise: Arr;
  noise: Arr;
}
interface BlockCase {
  gh: number;
  gw: number;
  blockSize: number;
  maskRatio: number;
  batch: number;
  draws: Draws;
  noise: Arr;
  mask: Arr;
  info: { excess: boolean; deficit: boolean; sharedStopDiffers: boolean };
}
interface Run<S> {
  steps: (S & { mask: Arr; loss: number })[];
  after: Record<string, number[]>;
}
interface Fixture {
  config: { img: number; patch: number; channels: number; dim: number; depth: number; heads: number; decoderDim: number; decoderDepth: number; decoderHeads: number; maskRatio: number; lr: number; momentum: number; blockSize: number; imageSeed: number };
  params: { name: string; shape: number[]; seed: number; offset: number; scale: number }[];
  block_masks: BlockCase[];
  block_run: Run<{ draws: Draws; noise: Arr }>;
  multiblock_run: Run<object>;
}
const fx = loadFixture<Fixture>('ssl_mae_masking_session19.json');
const cfg = fx.config;
const g = cfg.img / cfg.patch;
const { check, worst } = relErrChecker(1e-5);
const { check: checkUpdate, worst: worstUpdate } = relErrChecker(2e-3);

/** The generators' closed form: offset + scale sin(0.37 (i + 1) + 1.3 seed), as float32. */
function det(shape: number[], seed: number, offset = 0, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(0.37 * (i + 1) + 1.3 * seed)), shape);
}

/** A parameter's start (the closed form) by its state-dict name. */
function startOf(name: string): tf.Tensor {
  const p = fx.params.find((q) => q.name === name)!;
  return det(p.shape, p.seed, p.offset, p.scale);
}

const drawsOf = (d: Draws): ssl.masking.BlockMaskingDraws => ({
  centersY: tf.tensor(d.centersY.data, d.centersY.shape, 'int32'),
  centersX: tf.tensor(d.centersX.data, d.centersX.shape, 'int32'),
  excessNoise: tensorOf(d.excessNoise),
  deficitNoise: tensorOf(d.deficitNoise),
  noise: tensorOf(d.noise),
});

test("block masking from the seed's draws: its noise and mask (overshoot, undershoot, the batch's shared stop)", async () => {
  const seen = { excess: false, deficit: false, sharedStopDiffers: false };
  for (const c of fx.block_masks) {
    const label = `${c.gh}x${c.gw} block ${c.blockSize} ratio ${c.maskRatio} batch ${c.batch}`;
    const noise = ssl.masking.blockMaskingNoise(drawsOf(c.draws), c.gh, c.gw, c.blockSize, c.maskRatio) as tf.Tensor;
    await check('block noise', noise, c.noise.data, label, 1);
    const m = ssl.masking.randomMaskingFromNoise(noise, c.maskRatio);
    assert.equal(Array.from(await (m.mask as tf.Tensor).data()), c.mask.data, `${label}: mask`);
    for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] ||= c.info[k];
    // The seed draws floor(M / b^2) + 5 centres per sample.
    assert.is(ssl.masking.numBlocksDrawn(Math.floor(c.gh * c.gw * c.maskRatio), c.blockSize), c.draws.centersY.shape[1], `${label}: blocks drawn`);
  }
  assert.equal(seen, { excess: true, deficit: true, sharedStopDiffers: true }, 'the cases reach every branch');
});

function tinyMae(extra: Partial<ssl.methods.MaeConfig> = {}) {
  const encoder = nn.vit('vit_mae_masking_test', { imgSize: cfg.img, patchSize: cfg.patch, inChannels: cfg.channels, embedDim: cfg.dim, depth: cfg.depth, numHeads: cfg.heads });
  return ssl.methods.mae({ encoder, decoderEmbedDim: cfg.decoderDim, decoderDepth: cfg.decoderDepth, decoderNumHeads: cfg.decoderHeads, maskRatio: cfg.maskRatio, ...extra });
}

/** The seed's state dict at the fixture's start (the shared patch embedding under both names, the fixed pos_embed buffer). */
function startDict(method: ReturnType<typeof tinyMae>): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = {};
  for (const p of fx.params) dict[p.name] = det(p.shape, p.seed, p.offset, p.scale);
  for (const k of ['weight', 'bias']) dict[`encoder.patch_embed.proj.${k}`] = dict[`encoder.vit.patch_embed.proj.${k}`];
  const key = random.key(0);
  const fresh = method.init(key);
  const t = method.toTorch(fresh.params, fresh.state);
  dict['decoder.transformer.pos_embed'] = tf.clone(t['decoder.transformer.pos_embed']);
  tf.dispose([key, ...Object.values(t), ...tensorsIn(fresh)]);
  return dict;
}

const images = (s: number, n: number) => det([n, cfg.img, cfg.img, cfg.channels], cfg.imageSeed + s, 0.5, 0.5);
const replayOf = <S>(label: string, method: ReturnType<typeof tinyMae>, run: Run<S>, batchOf: (s: number) => ssl.methods.MaeBatch) =>
  checkReplay({
    label,
    method,
    initialDict: () => startDict(method),
    opt: optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum }),
    check,
    steps: run.steps,
    metrics: ['loss'],
    batchOf,
    stateAfter: run.after,
    checkDict: async (dict, want, what, label) => {
      for (const [k, v] of Object.entries(want as Record<string, number[]>)) {
        await check(what + k, dict[k], v, label);
        // The encoder's updates are ~1e-4 of its values: their size within float32 subtraction's error (ulp / update).
        const start = startOf(k);
        const moved = tf.sub(dict[k], start);
        await checkUpdate(`update ${k}`, moved, v.map((x, i) => x - (start.dataSync()[i] as number)), label);
        tf.dispose([start, moved]);
      }
    },
  });

test("3 SGD steps of MAE with blockSize 2 (noise from the seed's draws) match the seed; jit = eager", async () => {
  const run = fx.block_run;
  await replayOf('mae blockSize 2', tinyMae({ blockSize: cfg.blockSize }), run, (s) => {
    const st = run.steps[s];
    const noise = tf.tidy(() => ssl.masking.blockMaskingNoise(drawsOf(st.draws), g, g, cfg.blockSize, cfg.maskRatio) as tf.Tensor);
    return { images: images(s, st.mask.shape[0]), noise };
  });
});

test("3 SGD steps of MAE with masking 'multiBlock' (the seed's masks as `mask`) match the seed; jit = eager", async () => {
  const run = fx.multiblock_run;
  await replayOf('mae multiBlock', tinyMae({ masking: 'multiBlock' }), run, (s) => ({ images: images(s, run.steps[s].mask.shape[0]), mask: tensorOf(run.steps[s].mask) }));
  const fmt = (w: Record<string, number>) => Object.entries(w).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', ');
  console.log(`mae masking vs seed, worst relative errors: ${fmt(worst)}; of the parameters' updates: ${fmt(worstUpdate)}`);
});

/** The mean number of masked 4-neighbours of a masked patch, over masks [B, gh * gw]. */
function maskedNeighbours(mask: number[], b: number, gh: number, gw: number): number {
  let [pairs, masked] = [0, 0];
  for (let i = 0; i < b; i++)
    for (let y = 0; y < gh; y++)
      for (let x = 0; x < gw; x++) {
        const at = (yy: number, xx: number) => (yy >= 0 && yy < gh && xx >= 0 && xx < gw ? mask[i * gh * gw + yy * gw + xx] : 0);
        if (!at(y, x)) continue;
        masked++;
        pairs += at(y - 1, x) + at(y + 1, x) + at(y, x - 1) + at(y, x + 1);
      }
  return pairs / masked;
}

test('block masks drawn from a key: exactly floor(L r) masked per sample, in blocks', async () => {
  const [b, gh, gw, ratio] = [16, 14, 12, 0.5];
  const m = Math.floor(gh * gw * ratio);
  const random1 = Array.from(await (ssl.masking.randomMasking(random.key(5), b, gh * gw, ratio).mask as tf.Tensor).data());
  const baseline = maskedNeighbours(random1, b, gh, gw);
  for (const size of [2, 3, 4]) {
    const mask = Array.from(await (ssl.masking.blockMasking(random.key(size), b, gh, gw, size, ratio).mask as tf.Tensor).data());
    for (let i = 0; i < b; i++) assert.is(mask.slice(i * gh * gw, (i + 1) * gh * gw).reduce((a, v) => a + v, 0), m, `block ${size}, sample ${i}: masked count`);
    // Random masking at r = 0.5 gives ~1.85 (edges fewer); blocks of side 2 ~2.5, larger ones more.
    const nb = maskedNeighbours(mask, b, gh, gw);
    assert.ok(nb > baseline + 0.4, `block ${size}: ${nb.toFixed(2)} masked neighbours per masked patch vs random ${baseline.toFixed(2)}`);
  }
  const d = ssl.masking.blockMaskingDraws(random.key(1), b, gh, gw, 3, ratio);
  assert.equal(d.centersY.shape, [b, ssl.masking.numBlocksDrawn(m, 3)]);
  const [cy, cx] = [Array.from(await (d.centersY as tf.Tensor).data()), Array.from(await (d.centersX as tf.Tensor).data())];
  assert.ok(cy.every((v) => v >= 0 && v < gh) && cx.every((v) => v >= 0 && v < gw) && Math.max(...cy) === gh - 1 && Math.max(...cx) === gw - 1, 'centres cover each axis of the grid');
});

test("multiBlock masks drawn from a key: shared by the batch, the kept patches inside one 3x3 context block; a step traces once", async () => {
  const method = tinyMae({ masking: 'multiBlock' });
  const { params, state } = method.init(random.key(1));
  for (let k = 0; k < 6; k++) {
    const mask = np.sub(1, contextAndTargets(random.key(k), 3, g, g, method.config).context) as tf.Tensor;
    const rows = (await mask.array()) as number[][];
    assert.equal(rows[1], rows[0], 'the same mask for the batch');
    assert.equal(rows[2], rows[0], 'the same mask for the batch');
    const kept = rows[0].flatMap((v, i) => (v ? [] : [i]));
    const ys = kept.map((i) => Math.floor(i / g));
    const xs = kept.map((i) => i % g);
    // 4x4 grid, context scale [0.85, 1], aspect 1: a 3x3 context block (min(round(sqrt(13..16)), 3)); targets cut it.
    if (kept.length) assert.ok(Math.max(...ys) - Math.min(...ys) < 3 && Math.max(...xs) - Math.min(...xs) < 3, `key ${k}: kept ${kept} within a 3x3 block`);
    assert.ok(kept.length <= 9, `key ${k}: at most 9 kept, got ${kept.length}`);
  }
  const lossOf = (m: typeof method, k: number, replay: Omit<ssl.methods.MaeBatch, 'images'> = {}) => {
    const v = m === method ? { params, state } : m.init(random.key(1));
    return m.loss(v.params, v.state, { images: images(0, 2), ...replay }, { key: random.key(k) })[0].dataSync()[0];
  };
  // The loss's key draws exactly these masks: its loss is the loss with them replayed.
  const blocks = tinyMae({ blockSize: 2 });
  for (const k of [3, 4]) {
    assert.is(lossOf(method, k), lossOf(method, k, { mask: np.sub(1, contextAndTargets(random.key(k), 2, g, g, method.config).context) }), `key ${k}: multiBlock's mask`);
    const noise = ssl.masking.blockMaskingNoise(ssl.masking.blockMaskingDraws(random.key(k), 2, g, g, 2, cfg.maskRatio), g, g, 2, cfg.maskRatio);
    assert.is(lossOf(blocks, k), lossOf(blocks, k, { noise }), `key ${k}: blockSize 2's noise`);
  }
  const opt = optim.sgd({ learningRate: 0.01 });
  for (const m of [method, tinyMae({ blockSize: 2 })]) {
    const step = jit(ssl.trainStep(m, opt));
    let v = m.init(random.key(2));
    let optState = opt.init(v.params);
    for (let s = 0; s < 3; s++) {
      const r = step(v.params, v.state, optState, { images: images(s, 2) }, random.key(10 + s));
      assert.ok(Number.isFinite(r.metrics.loss.dataSync()[0]), 'finite loss');
      v = { params: r.params, state: r.state };
      optState = r.optState;
    }
    assert.is(step.cacheSize(), 1, `${m.config.masking} blockSize ${m.config.blockSize}: one trace over steps with masks drawn from the key`);
  }
});

test("defaults are the seed's (PatchMasking block_size 1, MultiBlockMasking's options); one-line errors", () => {
  const d = ssl.methods.mae.defaults;
  assert.equal([d.masking, d.blockSize, d.numTargets, d.contextScale, d.targetScale, d.contextAspectRatio, d.targetAspectRatio], ['patch', 1, 4, [0.85, 1], [0.15, 0.2], [1, 1], [0.75, 1.5]]);
  assert.match(errorOf(() => ssl.methods.mae({ blockSize: 0 })), /^mae config: at \.blockSize expected/);
  assert.match(errorOf(() => ssl.methods.mae({ masking: 'multiBlock', blockSize: 2 })), /^mae config: at \.blockSize expected 1 with masking 'multiBlock'/);
  assert.match(errorOf(() => ssl.methods.mae({ masking: 'multiBlock', targetScale: [0.3, 0.2] })), /^mae config: at \.targetScale expected \[min, max\] with 0 < min <= max <= 1, got \[0\.3, 0\.2\]$/);
  const method = tinyMae({ masking: 'multiBlock' });
  const { params, state } = method.init(random.key(1));
  assert.match(errorOf(() => method.loss(params, state, { images: images(0, 2), noise: np.zeros([2, 16]) }, { key: random.key(0) })), /^mae: masking 'multiBlock' replays the batch's mask, not noise/);
  assert.match(errorOf(() => method.loss(params, state, { images: images(0, 2), mask: np.zeros([2, 15]) })), /^mae: mask must be \[2, 16\]/);
  assert.match(errorOf(() => method.loss(params, state, { images: images(0, 2), mask: np.zeros([2, 16]), noise: np.zeros([2, 16]) })), /^mae: give the batch its noise or its mask, not both$/);
  assert.match(errorOf(() => method.loss(params, state, { images: images(0, 2) })), /^mae: the loss needs a key/);
});

test.run();
