/**
 * data2vec (`ssl.methods.data2vec`) against test/fixtures/ssl_data2vec_session18.json
 * (tools/ssl_data2vec_session18.py: the seed's `methods/data2vec.py`, its block hooks and its EMA
 * wrapper transcribed in PyTorch 1.13, float32) on a ViT of width 4, depth 3 on 8x8 grey images
 * (16 patches, 10 masked), targets the average of the teacher's last 2 blocks: the seed's student
 * state dict loaded with `fromTorch` (the teacher its warm copy), the seed's masks replayed from the
 * batch, three SGD steps (lr 0.05, momentum 0.9, weight decay 1e-4) with the teacher's EMA (0.9)
 * through `ssl.trainStep`, jitted (one trace) and eagerly: every loss, a few parameters after each
 * step (the teacher's too), the first step's gradients, the state dict and the teacher's embedding
 * after the three steps within 1e-4 (relative to each entry's largest value). Also: the seed's
 * defaults and layout, one-line errors, the ViT's per-block outputs, the toTorch/fromTorch round
 * trip, no tensor leaks. (data2vec's loss couples no samples: no axis test.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import { layerNorm } from '../../lib/nn/functional.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { initialDict } from './masked-vit-steps.js';
import { type MimFixture, type MimRun, checkFirstGradients, checkMimSteps, checkNothingMasked } from './mim-steps.js';
import type { Arr } from './seed-steps.js';
import { checkKeyedLoss } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Fixture = MimFixture & { initial_student: Record<string, Arr>; config: { ema: number; emaFinal: number; topKBlocks: number } };
const fixture = loadFixture<Fixture>('ssl_data2vec_session18.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

const vit = () => nn.vit('data2vec_s18', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 3, numHeads: 2 });
const makeMethod = (extra: { topKBlocks?: number; maskRatio?: number } = {}) => ssl.methods.data2vec({ encoder: vit(), topKBlocks: cfg.topKBlocks, emaStart: cfg.ema, emaEnd: cfg.emaFinal, ...extra });

const startDict = () => initialDict(fixture.initial_student, ['encoder'], cfg.ema, cfg.emaFinal);
const run: MimRun = { label: 'data2vec', method: makeMethod(), initialDict: startDict, fixture, check };

const Seed = suite("ssl.methods.data2vec: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps with the teacher's EMA from the seed's state dict, the seed's masks: losses, parameters, state and embedding as the seed's; jit = eager", () => checkMimSteps(run));
Seed("the first step's gradients (mask token, position embedding, regressor) as the seed's", () => checkFirstGradients(run));
Seed.run();

const Parts = suite('ssl.methods.data2vec: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('data2vec'));
  const d = ssl.methods.byName('data2vec').defaults;
  assert.equal([d.encoder, d.topKBlocks, d.maskRatio, d.emaStart, d.emaEnd, d.emaSteps], ['vit_small_patch16_224', 6, 0.6, 0.999, 0.9999, null]);
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.data2vec({ topKBlocks: 0 })), 'data2vec config: at .topKBlocks expected a positive integer, got 0');
  assert.match(errorOf(() => ssl.methods.data2vec({ encoder: 'resnet18' })), /^data2vec: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const images = tf.ones([2, 8, 8, 1]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images, masks: tf.ones([2, 15]) })), 'data2vec: masks must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images })), 'data2vec: the loss needs a key (for the patch masks) or the batch its masks');
  assert.match(errorOf(() => method.loss(v.params, { ...v.state, teacher: undefined }, { images }, { key: random.key(1) })), /^data2vec: the state has no 'teacher'/);
  tf.dispose(tensorsIn([v, images]));
});
Parts("the ViT's blockOutputs: each block's output before the final norm; the last one normed is encodeTokens' result", async () => {
  const enc = vit();
  const v = enc.init(random.key(2));
  const { tokens, plain, withBlocks, outs } = scope(() => {
    const t = enc.patchTokens(v.params, v.state, random.uniform(random.key(3), [2, 8, 8, 1]));
    const blocks: NdArray[] = [];
    return { tokens: t, plain: enc.encodeTokens(v.params, v.state, t), withBlocks: enc.encodeTokens(v.params, v.state, t, { blockOutputs: blocks }), outs: blocks };
  });
  assert.is(outs.length, 3);
  for (const o of outs) assert.equal(o.shape, [2, 17, 4]);
  assert.equal(Array.from(await (withBlocks as tf.Tensor).data()), Array.from(await (plain as tf.Tensor).data()), 'the same result with and without blockOutputs');
  const normed = scope(() => layerNorm(outs[2], v.params.norm.weight, v.params.norm.bias, 1e-6));
  allClose(Array.from(await (normed as tf.Tensor).data()), Array.from(await (plain as tf.Tensor).data()), { rtol: 1e-5, atol: 1e-6 }, 'norm(last block) = encodeTokens');
  tf.dispose(tensorsIn([v, tokens, plain, withBlocks, outs, normed]));
});
Parts("toTorch / fromTorch round trip in the seed's layout", () =>
  checkKeyedLoss({
    method: makeMethod(),
    lossMethod: makeMethod({ topKBlocks: 6 }), // more blocks than the ViT's 3: all of them, as the seed
    layout: (dict) => {
      assert.equal(Object.keys(dict).sort(), Object.keys(fixture.state_after).sort());
      for (const k of Object.keys(dict)) assert.equal(dict[k].shape, fixture.state_after[k].shape, k);
    },
    batch: () => ({ images: random.uniform(random.key(4), [3, 8, 8, 1]) }),
    embedded: (b) => b.images as tf.Tensor,
  }),
);
Parts("a batch with nothing masked has loss 0, as the seed's sum / max(sum(mask), 1) (not NaN)", () => checkNothingMasked(makeMethod()));
Parts.after(() => {
  console.log('data2vec worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
