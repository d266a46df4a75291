/**
 * `ssl.methods.mae` against test/fixtures/mae_seed.json (tools/mae_seed_fixture.py: a PyTorch
 * 1.13 float32 transcription of stable-pretraining's MAE, its MaskedEncoder, MAEDecoder,
 * PatchMasking and MAELoss, on a tiny ViT). Both sides start from the same closed-form
 * parameters and mask with the same noise; three SGD steps (lr 0.05, momentum 0.9) through one
 * jitted `ssl.trainStep`: every loss and the watched parameters after within 1e-5 relative
 * error (float32 over three steps: the decoder's token order differs from the seed's, so its
 * softmax sums round differently; measured worst: 9e-8 for the losses and 2e-7 for the
 * parameters on cpu, 1.8e-7 and 4.4e-7 on wasm), the state dict's names and shapes are the
 * seed's, the decoder's fixed position embedding and the no-mask features match. Also: the
 * seed's defaults, registry, one trace over steps, and one-line errors.
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
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';

await useTestBackend();

interface Fixture {
  config: { img: number; patch: number; channels: number; dim: number; depth: number; heads: number; decoderDim: number; decoderDepth: number; decoderHeads: number; maskRatio: number; batch: number; lr: number; momentum: number };
  params: { name: string; shape: number[]; seed: number; offset: number; scale: number }[];
  state_dict: Record<string, number[]>;
  steps: { noise: number[]; loss: number }[];
  after: Record<string, number[]>;
  decoder_pos_embed: number[];
  features_mean_patches: number[];
  features_cls: number[];
}
const fx = loadFixture<Fixture>('mae_seed.json');
const cfg = fx.config;
const { check, worst } = relErrChecker(1e-5);

/** The fixture's closed form: offset + scale sin(0.37 (i + 1) + 1.3 seed), as float32. */
function det(shape: number[], seed: number, offset = 0, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(0.37 * (i + 1) + 1.3 * seed)), shape);
}

function tinyMae(embedding: 'meanPatches' | 'cls' = 'meanPatches') {
  const encoder = nn.vit('vit_mae_test', { imgSize: cfg.img, patchSize: cfg.patch, inChannels: cfg.channels, embedDim: cfg.dim, depth: cfg.depth, numHeads: cfg.heads });
  return ssl.methods.mae({ encoder, decoderEmbedDim: cfg.decoderDim, decoderDepth: cfg.decoderDepth, decoderNumHeads: cfg.decoderHeads, maskRatio: cfg.maskRatio, embedding });
}

/** The seed's state dict at the fixture's start (the shared patch embedding under both names, the fixed pos_embed buffer). */
function startDict(method: ReturnType<typeof tinyMae>): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = {};
  for (const p of fx.params) dict[p.name] = det(p.shape, p.seed, p.offset, p.scale);
  for (const k of ['weight', 'bias']) dict[`encoder.patch_embed.proj.${k}`] = dict[`encoder.vit.patch_embed.proj.${k}`];
  const fresh = method.init(random.key(0));
  dict['decoder.transformer.pos_embed'] = method.toTorch(fresh.params, fresh.state)['decoder.transformer.pos_embed'];
  return dict;
}

const images = (step: number) => det([cfg.batch, cfg.img, cfg.img, cfg.channels], 100 + step, 0.5, 0.5);
const noiseOf = (step: number) => tf.tensor(fx.steps[step].noise, [cfg.batch, (cfg.img / cfg.patch) ** 2]);

test('three SGD steps of MAE match the seed (losses and parameters), traced once', async () => {
  const method = tinyMae();
  let { params, state } = method.fromTorch(startDict(method));
  const opt = optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum });
  let optState = opt.init(params);
  const step = jit(ssl.trainStep(method, opt));
  for (let s = 0; s < fx.steps.length; s++) {
    const r = step(params, state, optState, { images: images(s), noise: noiseOf(s) }, random.key(s));
    ({ params, state, optState } = r);
    await check('loss', r.metrics.loss, fx.steps[s].loss, `step ${s}`);
  }
  assert.is(step.cacheSize(), 1, 'one trace over the steps');
  const dict = method.toTorch(params, state);
  for (const [name, expected] of Object.entries(fx.after)) await check('parameters after 3 steps', dict[name], expected, name);
  console.log('mae vs seed, worst relative errors:', Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(2)}`).join(', '));
});

test("the state dict has the seed's names and shapes; the decoder's sincos buffer and the no-mask features match", async () => {
  const method = tinyMae();
  const { params, state } = method.fromTorch(startDict(method));
  const dict = method.toTorch(params, state);
  assert.equal(Object.keys(dict).sort(), Object.keys(fx.state_dict).sort());
  for (const [k, shape] of Object.entries(fx.state_dict)) assert.equal(dict[k].shape, shape, k);
  await check('pos_embed buffer', dict['decoder.transformer.pos_embed'], fx.decoder_pos_embed, 'sincos', 1);
  await check('features', method.embed(params, state, images(0)), fx.features_mean_patches, 'meanPatches');
  await check('features', tinyMae('cls').embed(params, state, images(0)), fx.features_cls, 'cls');
});

test("defaults are the seed's MAE; registered; a key draws the masking", async () => {
  const d = ssl.methods.mae.defaults;
  assert.is(d.encoder, 'vit_small_patch16_224', "the seed's vit_base_patch16_224 is not an nn encoder name");
  assert.equal([d.decoderEmbedDim, d.decoderDepth, d.decoderNumHeads, d.maskRatio, d.normPixLoss, d.lossType], [512, 8, 16, 0.75, true, 'mse']);
  assert.is(ssl.methods.byName('mae'), ssl.methods.mae);
  const method = tinyMae();
  const { params, state } = method.init(random.key(1));
  const lossOf = (k: number) => method.loss(params, state, { images: images(0) }, { key: random.key(k) })[0].dataSync()[0];
  assert.is(lossOf(3), lossOf(3), 'same key, same loss');
  assert.not.equal(lossOf(3), lossOf(4), 'another key, another mask');
});

test('one-line errors: non-ViT encoder, bad ratio, wrong image size, no key', () => {
  assert.match(errorOf(() => ssl.methods.mae({ encoder: 'resnet18' })), /^mae: the encoder must be a ViT/);
  assert.match(errorOf(() => ssl.methods.mae({ maskRatio: 1 })), /^mae config: at \.maskRatio expected a number in \[0, 1\), got 1$/);
  assert.match(errorOf(() => ssl.methods.mae({ decoderEmbedDim: 30, decoderNumHeads: 3 })), /multiple of 4/);
  const method = tinyMae();
  const { params, state } = method.init(random.key(1));
  assert.match(errorOf(() => method.loss(params, state, { images: np.zeros([2, 4, 4, 3]) }, { key: random.key(0) })), /^mae: expected 8x8 images \(16 patches/);
  assert.match(errorOf(() => method.loss(params, state, { images: images(0) })), /^mae: the loss needs a key/);
  assert.match(errorOf(() => method.loss(params, state, { images: images(0), noise: np.zeros([2, 15]) })), /^mae: noise must be \[2, 16\]/);
  const low = ssl.methods.mae({ encoder: method.config.encoder, maskRatio: 0.05, decoderEmbedDim: 8, decoderNumHeads: 2, decoderDepth: 1 });
  const v = low.init(random.key(0));
  assert.match(errorOf(() => low.loss(v.params, v.state, { images: images(0) }, { key: random.key(0) })), /masks no patch of 16/);
});

test.run();
