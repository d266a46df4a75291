/**
 * MaskFeat (`ssl.methods.maskfeat`) against test/fixtures/ssl_maskfeat_session18.json
 * (tools/ssl_maskfeat_session18.py: the seed's `methods/maskfeat.py` transcribed in PyTorch 1.13,
 * float32) on a ViT of width 4, depth 2 on 8x8 images of 2 channels (16 patches, 6 masked, 9 HOG
 * bins): the HOG targets of a batch; the seed's state dict loaded with `fromTorch`, the seed's masks
 * replayed from the batch, three SGD steps (lr 0.05, momentum 0.9, weight decay 1e-4) through
 * `ssl.trainStep`, jitted (one trace) and eagerly: every loss, a few parameters after each step, the
 * first step's gradients, the state dict and the evaluation embedding after the three within 1e-4
 * (relative to each entry's largest value). Also: the seed's defaults and layout, one-line errors,
 * masks drawn from a key, the toTorch/fromTorch round trip, no tensor leaks. (MaskFeat's loss
 * couples no samples: no axis test.)
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
import { type MimFixture, type MimRun, checkFirstGradients, checkMimSteps } from './mim-steps.js';
import { checkKeyedLoss } from './round-trip.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

const fixture = loadFixture<MimFixture & { initial: Record<string, Arr>; hog: Arr }>('ssl_maskfeat_session18.json');
const { check, worst } = relErrChecker(1e-4);

const makeMethod = (maskRatio = 0.4) => ssl.methods.maskfeat({ encoder: nn.vit('maskfeat_s18', { imgSize: 8, patchSize: 2, inChannels: 2, embedDim: 4, depth: 2, numHeads: 2 }), maskRatio });
const run: MimRun = {
  label: 'maskfeat',
  method: makeMethod(),
  initialDict: () => Object.fromEntries(Object.entries(fixture.initial).map(([k, v]) => [k, tensorOf(v)])),
  fixture,
  check,
};

const Seed = suite("ssl.methods.maskfeat: the seed's HOG and steps (PyTorch transcription)");
Seed("hogPerPatch of the first batch is the seed's _hog_per_patch (channel-major, standardised per patch)", async () => {
  const images = tensorOf(fixture.steps[0].images);
  const hog = scope(() => ssl.methods.hogPerPatch(images, 2, 9)) as tf.Tensor;
  assert.equal(hog.shape, fixture.hog.shape);
  await check('hog', hog, fixture.hog.data, 'hogPerPatch');
  tf.dispose([images, hog]);
});
Seed("3 SGD steps from the seed's state dict, the seed's masks: losses, parameters, state and embedding as the seed's; jit = eager", () => checkMimSteps(run));
Seed("the first step's gradients (mask token, position embedding, head) as the seed's", () => checkFirstGradients(run));
Seed.run();

const Parts = suite('ssl.methods.maskfeat: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('maskfeat'));
  const d = ssl.methods.byName('maskfeat').defaults;
  assert.equal([d.encoder, d.maskRatio, d.nHogBins], ['vit_small_patch16_224', 0.4, 9]);
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.maskfeat({ maskRatio: 1.5 })), 'maskfeat config: at .maskRatio expected a number in [0, 1], got 1.5');
  assert.match(errorOf(() => ssl.methods.maskfeat({ nHogBins: 0 })), /^maskfeat config: at \.nHogBins expected /);
  assert.match(errorOf(() => ssl.methods.maskfeat({ encoder: 'resnet18' })), /^maskfeat: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const images = tf.ones([2, 8, 8, 2]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images, masks: tf.ones([2, 15]) })), 'maskfeat: masks must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images })), 'maskfeat: the loss needs a key (for the patch masks) or the batch its masks');
  assert.is(errorOf(() => ssl.methods.hogPerPatch(tf.ones([1, 6, 8, 1]), 4)), 'hogPerPatch: the image size 6x8 must be a multiple of the patch size 4');
  tf.dispose(tensorsIn([v, images]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      assert.equal(Object.keys(dict).sort(), Object.keys(fixture.initial).sort());
      for (const k of Object.keys(dict)) assert.equal(dict[k].shape, fixture.initial[k].shape, k);
    },
    batch: () => ({ images: random.uniform(random.key(4), [3, 8, 8, 2]) }),
    embedded: (b) => b.images as tf.Tensor,
  }),
);
Parts.after(() => {
  console.log('maskfeat worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
