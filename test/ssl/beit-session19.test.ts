/**
 * BEiT (`ssl.methods.beit`) against test/fixtures/ssl_beit_session19.json
 * (tools/ssl_beit_session19.py: the seed's `methods/beit.py` with its placeholder tokenizer
 * transcribed in PyTorch 1.13, float32) on a ViT of width 4, depth 2 on 8x8 grey images (16
 * patches, 6 masked), vocabulary 8: the seed's state dict loaded with `fromTorch`, the seed's masks
 * replayed from the batch, the seed's placeholder projection given to `patchKmeansTokenizer`, three
 * SGD steps (lr 0.05, momentum 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted (one trace)
 * and eagerly: every loss, a few parameters after each step, the first step's gradients, the state
 * dict and the evaluation embedding after the three steps within 1e-4 (relative to each entry's
 * largest value); the placeholder's tokens equal to the seed's. Also: any tokenizer function gives
 * the targets, one step sharded over an axis = one process, the seed's defaults and layout,
 * one-line errors, masks drawn from a key, the toTorch/fromTorch round trip, no tensor leaks.
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
import { type MimFixture, type MimRun, checkFirstGradients, checkMimSteps, mimBatch, mimOpt } from './mim-steps.js';
import { checkKeyedLoss } from './round-trip.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Fixture = MimFixture & { config: { vocabSize: number; maskRatio: number }; projection: Arr; initial: Record<string, Arr>; nothing_masked_loss: number };
const fixture = loadFixture<Fixture>('ssl_beit_session19.json');
const { check, worst } = relErrChecker(1e-4);
const V = fixture.config.vocabSize;

const projection = tensorOf(fixture.projection);
/** The seed's placeholder with the seed's projection (torch.randn from a generator seeded 0). */
const seedTokenizer = ssl.methods.patchKmeansTokenizer({ vocabSize: V, patchSize: 2, inChannels: 1, projection });
const vit = () => nn.vit('beit_s19', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 2 });
const makeMethod = (extra: Partial<ssl.methods.BeitConfig> = {}) => ssl.methods.beit({ encoder: vit(), vocabSize: V, maskRatio: fixture.config.maskRatio, tokenizer: seedTokenizer, ...extra });
const initialDict = () => Object.fromEntries(Object.entries(fixture.initial).map(([k, v]) => [k, tensorOf(v)]));
const run: MimRun = { label: 'beit', method: makeMethod(), initialDict, fixture, check };

const Seed = suite("ssl.methods.beit: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict, the seed's masks and tokenizer: losses, parameters, state and embedding as the seed's; jit = eager", () => checkMimSteps(run));
Seed("the first step's gradients (mask token, position embedding, head) as the seed's", () => checkFirstGradients(run));
Seed("the placeholder tokenizer with the seed's projection gives the seed's tokens (int32, exactly)", async () => {
  for (const [s, step] of fixture.steps.entries()) {
    const images = tensorOf(step.images);
    const tokens = seedTokenizer(images) as tf.Tensor;
    assert.is(tokens.dtype, 'int32');
    assert.equal(tokens.shape, [4, 16]);
    assert.equal(Array.from(await tokens.data()), (step.tokens as Arr).data, `step ${s + 1}`);
    tf.dispose([images, tokens]);
  }
});
Seed("any tokenizer function gives the targets: the seed's tokens handed back by a constant tokenizer give the seed's first loss", async () => {
  const ref = fixture.steps[0];
  const constant = tf.tensor((ref.tokens as Arr).data, [4, 16], 'int32');
  let calls = 0;
  const method = makeMethod({
    tokenizer: (images) => {
      calls++;
      assert.equal(images.shape, [4, 8, 8, 1], 'the tokenizer sees the batch images');
      return constant;
    },
  });
  const dict = initialDict();
  const v = method.fromTorch(dict);
  const batch = mimBatch(ref);
  const [loss, aux] = scope(() => method.loss(v.params, v.state, batch));
  await check('loss', loss, ref.loss, 'beit constant tokenizer');
  assert.is(calls, 1);
  // Other tokens, another loss: the tokens are the targets.
  const shifted = tf.tensor((ref.tokens as Arr).data.map((t) => (t + 1) % V), [4, 16], 'int32');
  const [other, aux2] = scope(() => makeMethod({ tokenizer: () => shifted }).loss(v.params, v.state, batch));
  assert.ok(Math.abs((await (other as tf.Tensor).data())[0] - ref.loss) > 1e-3);
  tf.dispose([constant, shifted, ...tensorsIn([loss, other]), ...Object.values(dict), ...tensorsIn([v, batch, aux, aux2])]);
});
Seed("a batch with nothing masked has loss NaN, as the seed's cross-entropy over no rows", async () => {
  assert.ok(Number.isNaN(fixture.nothing_masked_loss));
  const v = scope(() => run.method.init(random.key(3)));
  const images = tensorOf(fixture.steps[0].images);
  const masks = tf.zeros([4, 16]);
  const [loss, aux] = scope(() => run.method.loss(v.params, v.state, { images, masks }));
  assert.ok(Number.isNaN((await (loss as tf.Tensor).data())[0]));
  tf.dispose(tensorsIn([v, images, masks, loss, aux]));
});
Seed.run();

const Parts = suite('ssl.methods.beit: registry, defaults, placeholder, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('beit'));
  const d = ssl.methods.byName('beit').defaults;
  assert.equal([d.encoder, d.tokenizer, d.vocabSize, d.maskRatio], ['vit_small_patch16_224', null, 8192, 0.4]);
  assert.is(ssl.masking.numMaskedRounded(16, 0.4), 6, 'round(6.4)');
});
Parts('the default placeholder: a fixed projection from key 0, ids in [0, vocab), one per patch; the method builds it from the encoder', async () => {
  const images = random.uniform(random.key(4), [3, 8, 8, 1]);
  const a = ssl.methods.patchKmeansTokenizer({ vocabSize: 5, patchSize: 2, inChannels: 1 });
  const b = ssl.methods.patchKmeansTokenizer({ vocabSize: 5, patchSize: 2, inChannels: 1 });
  const ta = a(images) as tf.Tensor;
  const tb = b(images) as tf.Tensor;
  assert.equal([ta.dtype, ta.shape], ['int32', [3, 16]]);
  const ids = Array.from(await ta.data());
  assert.equal(ids, Array.from(await tb.data()), 'the same projection every time');
  assert.ok(ids.every((t) => t >= 0 && t < 5) && new Set(ids).size > 1, `ids ${ids}`);
  // Without a tokenizer the method uses that placeholder for the encoder's patches and channels.
  const method = ssl.methods.beit({ encoder: vit(), vocabSize: 5 });
  const v = scope(() => method.init(random.key(1)));
  const [loss, aux] = scope(() => method.loss(v.params, v.state, { images }, { key: random.key(2) }));
  assert.ok(Number.isFinite((await (loss as tf.Tensor).data())[0]));
  tf.dispose(tensorsIn([images, ta, tb, v, loss, aux]));
});
Parts('configuration, tokenizer and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.beit({ vocabSize: 0 })), 'beit config: at .vocabSize expected a positive integer, got 0');
  assert.match(errorOf(() => ssl.methods.beit({ tokenizer: 'dalle' as never })), /^beit config: at \.tokenizer expected a tokenizer function \(images \[B, H, W, C\] -> int32 token ids \[B, L\]\)/);
  assert.is(errorOf(() => ssl.methods.beit({ maskRatio: 1.5 })), 'beit config: at .maskRatio expected a number in [0, 1], got 1.5');
  assert.match(errorOf(() => ssl.methods.beit({ encoder: 'resnet18' })), /^beit: the encoder must be a ViT/);
  assert.is(errorOf(() => ssl.methods.patchKmeansTokenizer({ vocabSize: 4, patchSize: 2, inChannels: 1, projection })), 'patchKmeansTokenizer: projection must be [4, 4] (C p p, vocabSize), got [4,8]');
  assert.is(errorOf(() => ssl.methods.patchKmeansTokenizer({ vocabSize: 8, patchSize: 0 })), 'patchKmeansTokenizer: patchSize must be a positive integer, got 0');
  const images = tf.ones([2, 8, 8, 1]);
  assert.is(errorOf(() => ssl.methods.patchKmeansTokenizer({ vocabSize: 8, patchSize: 2 })(images)), 'patchKmeansTokenizer: images must be NHWC [B, H, W, 3], got [2,8,8,1]');
  const method = makeMethod();
  const v = method.init(random.key(0));
  const masks = tf.ones([2, 16]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images, masks: tf.ones([2, 15]) })), 'beit: masks must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images })), 'beit: the loss needs a key (for the patch masks) or the batch its masks');
  const floats = makeMethod({ tokenizer: () => tf.zeros([2, 16]) });
  assert.is(errorOf(() => floats.loss(v.params, v.state, { images, masks })), 'beit: the tokenizer must return int32 token ids [2,16] (one per patch), got float32 [2,16]');
  const short = makeMethod({ tokenizer: () => tf.zeros([2, 4], 'int32') });
  assert.is(errorOf(() => short.loss(v.params, v.state, { images, masks })), 'beit: the tokenizer must return int32 token ids [2,16] (one per patch), got int32 [2,4]');
  assert.is(errorOf(() => makeMethod({ maskRatio: 0.01 }).loss(v.params, v.state, { images }, { key: random.key(1) })), 'beit: maskRatio 0.01 masks no patch of 16 (round(16 * 0.01) = 0), and the loss is over masked patches');
  tf.dispose(tensorsIn([v, images, masks]));
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
Parts.run();

const Axis = suite('ssl.methods.beit sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (each image as many masked patches)', () =>
  checkShardedMatchesOne({ method: () => makeMethod(), initialDict, batchOf: (s) => mimBatch(fixture.steps[s]), opt: () => mimOpt(fixture) }),
);
Axis.after(() => {
  console.log('beit worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
