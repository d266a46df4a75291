/**
 * iGPT (`ssl.methods.igpt`) against test/fixtures/ssl_igpt_session18.json
 * (tools/ssl_igpt_session18.py: the seed's `methods/igpt.py`, next-patch regression with a causal
 * ViT, transcribed in PyTorch 1.13, float32) on a ViT of width 4 and depth 2 on 8x8 grey images:
 * the seed's state dict loaded with `fromTorch`, three SGD steps (lr 0.05, momentum 0.9, weight
 * decay 1e-4) through `ssl.trainStep`, jitted and eagerly: every loss, a few parameters after each
 * step, the first step's gradients, the state dict and the (non-causal) evaluation embedding after
 * the three steps within 1e-4 (relative to each entry's largest value). Also: the seed's defaults
 * and layout, one-line errors, the toTorch/fromTorch round trip, no tensor leaks. The loss does not
 * couple samples (a mean over them), so there is no sharded check.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type Arr, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkRoundTrip } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Step {
  images: Arr;
  loss: number;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface Fixture {
  config: { lr: number; momentum: number; weightDecay: number };
  initial: Record<string, Arr>;
  steps: Step[];
  state_after: Record<string, Arr>;
  embedding: Arr;
}
const fixture = loadFixture<Fixture>('ssl_igpt_session18.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

const makeMethod = () => ssl.methods.igpt({ encoder: nn.vit('igpt_s18', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 2 }) });
const startDict = () => Object.fromEntries(Object.entries(fixture.initial).map(([k, v]) => [k, tensorOf(v)]));
const batchOf = (s: Step) => ({ images: tensorOf(s.images) });

const Seed = suite("ssl.methods.igpt: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict: losses, parameters, state and embedding as the seed's; jit = eager", () =>
  checkReplay(
    fixtureReplay(fixture, batchOf, {
      label: 'igpt',
      method: makeMethod(),
      initialDict: startDict,
      opt: optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay }),
      check,
      metrics: ['loss'],
      embedding: { images: () => tensorOf(fixture.steps[0].images), expected: fixture.embedding.data },
    }),
  ),
);
Seed("the first step's gradients (position embedding, class token, head) as the seed's", async () => {
  const method = makeMethod();
  const dict = startDict();
  const v = method.fromTorch(dict);
  const batch = batchOf(fixture.steps[0]);
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('loss', loss, fixture.steps[0].loss, 'igpt lossAndGrad');
  const g = method.toTorch(grads, v.state);
  for (const [k, want] of Object.entries(fixture.steps[0].grads!)) await check(`grad ${k}`, g[k], want.data, 'igpt lossAndGrad');
  tf.dispose([...Object.values(dict), ...Object.values(g), ...tensorsIn([v, batch, loss, grads, aux])]);
});
Seed.run();

const Parts = suite('ssl.methods.igpt: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('igpt'));
  assert.is(ssl.methods.byName('igpt').defaults.encoder, 'vit_small_patch16_224');
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.match(errorOf(() => ssl.methods.igpt({ maskRatio: 0.5 } as never)), /^igpt config: at \.maskRatio unknown key/);
  assert.match(errorOf(() => ssl.methods.igpt({ encoder: 'resnet18' })), /^igpt: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const one = tf.ones([2, 2, 2, 1]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: one })), 'igpt: the images must hold at least 2 patches (one to predict from, one to predict), got 1');
  tf.dispose(tensorsIn([v, one]));
});
Parts("toTorch / fromTorch round trip in the seed's layout, without leaks", async () => {
  const before = tf.memory().numTensors;
  const method = makeMethod();
  const v = scope(() => method.init(random.key(2)));
  await checkRoundTrip(method, v, (dict) => assert.equal(Object.keys(dict).sort(), Object.keys(fixture.initial).sort()));
  const images = scope(() => random.uniform(random.key(3), [3, 8, 8, 1]));
  const [loss, aux] = scope(() => method.loss(v.params, v.state, { images }));
  const e = scope(() => method.embed(v.params, v.state, images));
  assert.equal(e.shape, [3, 4]);
  assert.ok(Number.isFinite((await loss.data())[0]));
  tf.dispose(tensorsIn([v, images, loss, aux, e]));
  assert.is(tf.memory().numTensors, before);
});
Parts.after(() => {
  console.log('igpt worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
