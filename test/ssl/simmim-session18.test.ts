/**
 * SimMIM (`ssl.methods.simmim`) against test/fixtures/ssl_simmim_session18.json
 * (tools/ssl_simmim_session18.py: the seed's `methods/simmim.py` transcribed in PyTorch 1.13,
 * float32) on a ViT of width 4, depth 2 on 8x8 grey images (16 patches, 10 masked): the seed's
 * state dict loaded with `fromTorch`, the seed's masks replayed from the batch, three SGD steps
 * (lr 0.05, momentum 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted (one trace) and
 * eagerly: every loss, a few parameters after each step, the first step's gradients, the state
 * dict and the evaluation embedding after the three steps within 1e-4 (relative to each entry's
 * largest value). Also: the seed's defaults and layout, one-line errors, masks drawn from a key,
 * the toTorch/fromTorch round trip, no tensor leaks. (SimMIM's loss couples no samples: no axis test.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type MimFixture, type MimRun, checkFirstGradients, checkMimSteps, checkNothingMasked } from './mim-steps.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { checkKeyedLoss } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

const fixture = loadFixture<MimFixture & { initial: Record<string, Arr> }>('ssl_simmim_session18.json');
const { check, worst } = relErrChecker(1e-4);

const makeMethod = (maskRatio = 0.6) => ssl.methods.simmim({ encoder: nn.vit('simmim_s18', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 2 }), maskRatio });
const run: MimRun = {
  label: 'simmim',
  method: makeMethod(),
  initialDict: () => Object.fromEntries(Object.entries(fixture.initial).map(([k, v]) => [k, tensorOf(v)])),
  fixture,
  check,
};

const Seed = suite("ssl.methods.simmim: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict, the seed's masks: losses, parameters, state and embedding as the seed's; jit = eager", () => checkMimSteps(run));
Seed("the first step's gradients (mask token, position embedding, decoder) as the seed's", () => checkFirstGradients(run));
Seed.run();

const Parts = suite('ssl.methods.simmim: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('simmim'));
  const d = ssl.methods.byName('simmim').defaults;
  assert.equal([d.encoder, d.maskRatio], ['vit_small_patch16_224', 0.6]);
  // Python's round: half to even.
  assert.equal([[16, 0.6], [10, 0.25], [14, 0.25], [196, 0.6]].map(([l, r]) => ssl.masking.numMaskedRounded(l, r)), [10, 2, 4, 118]);
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.simmim({ maskRatio: 1.5 })), 'simmim config: at .maskRatio expected a number in [0, 1], got 1.5');
  assert.match(errorOf(() => ssl.methods.simmim({ encoder: 'resnet18' })), /^simmim: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const images = tf.ones([2, 8, 8, 1]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images, masks: tf.ones([2, 15]) })), 'simmim: masks must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images })), 'simmim: the loss needs a key (for the patch masks) or the batch its masks');
  assert.match(errorOf(() => method.loss(v.params, v.state, { images, noise: images } as never)), /^simmim: unknown input key\(s\) noise; expected \{ images, masks\? \}/);
  assert.is(errorOf(() => makeMethod(0.01).loss(v.params, v.state, { images }, { key: random.key(1) })), 'simmim: maskRatio 0.01 masks no patch of 16 (round(16 * 0.01) = 0), and the loss is over masked patches');
  tf.dispose(tensorsIn([v, images]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      assert.equal(Object.keys(dict).sort(), Object.keys(fixture.initial).sort());
      for (const k of Object.keys(dict)) assert.equal(dict[k].shape, fixture.initial[k].shape, k);
    },
    batch: () => ({ images: random.uniform(random.key(4), [3, 8, 8, 1]) }),
    embedded: (b) => b.images as tf.Tensor,
  }),
);
Parts('a key draws round(L r) masked patches per image', async () => {
  const key = random.key(6);
  const counts = scope(() => tf.sum(ssl.masking.masksFromNoise(random.uniform(key, [3, 16]), ssl.masking.numMaskedRounded(16, 0.6)) as tf.Tensor, 1));
  assert.equal(Array.from(await counts.data()), [10, 10, 10], 'round(16 * 0.6) = 10 masked patches per image');
  tf.dispose([key, counts]);
});
Parts("a batch with nothing masked has loss 0, as the seed's sum / max(sum(mask), 1) (not NaN)", () => checkNothingMasked(makeMethod()));
Parts.after(() => {
  console.log('simmim worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
