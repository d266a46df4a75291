/**
 * NEPA (`ssl.methods.nepa`) against test/fixtures/ssl_nepa_session19.json
 * (tools/ssl_nepa_session19.py: the seed's `methods/nepa.py` with its TransformerBlock options, RoPE,
 * QK-Norm, SwiGLU and LayerScale, transcribed in PyTorch 1.13, float32) on a model of width 4, depth 2
 * (one head of 4) on 8x8 grey images, patch 2: the seed's state dict loaded with `fromTorch`, three SGD
 * steps (lr 0.05, momentum 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted (one trace) and
 * eagerly: every loss, a few parameters after each step, the first step's gradients, the state dict
 * and the evaluation embedding (`get_classifier_features`) after the three within 1e-4 (relative to
 * each entry's largest value); the same for one step of the `plain` variant (no RoPE, QK-Norm or
 * SwiGLU: a learned pos_embed, in the targets too). Also: one step sharded over an axis = one
 * process, the seed's defaults, init and layout, one-line errors, the toTorch/fromTorch round trip,
 * no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { checkKeyedLoss } from './round-trip.js';
import { type Arr, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Step {
  images: Arr;
  loss: number;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface Case {
  initial: Record<string, Arr>;
  steps: Step[];
  state_after: Record<string, Arr>;
  embedding: Arr;
}
type Fixture = Case & { config: { lr: number; momentum: number; weightDecay: number }; plain: Case };
const fixture = loadFixture<Fixture>('ssl_nepa_session19.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

const TINY = { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 1 };
const PLAIN = { useRope: false, useQkNorm: false, useSwiglu: false };
const makeMethod = (plain = false) => ssl.methods.nepa({ ...TINY, ...(plain ? PLAIN : {}) });
const caseOf = (plain: boolean): Case => (plain ? fixture.plain : fixture);
const startDict = (plain = false) => () => Object.fromEntries(Object.entries(caseOf(plain).initial).map(([k, v]) => [k, tensorOf(v)]));
const batchOf = (s: Step) => ({ images: tensorOf(s.images) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });

/** The first step's loss and gradients (in the seed's layout, through `toTorch` of the gradient tree). */
async function checkFirstGradients(plain: boolean): Promise<void> {
  const method = makeMethod(plain);
  const ref = caseOf(plain).steps[0];
  const dict = startDict(plain)();
  const v = method.fromTorch(dict);
  const batch = batchOf(ref);
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  const label = `nepa${plain ? ' plain' : ''} lossAndGrad`;
  await check('loss', loss, ref.loss, label);
  const g = method.toTorch(grads, v.state);
  for (const [k, want] of Object.entries(ref.grads!)) await check(`grad ${k}`, g[k], want.data, label);
  tf.dispose([...Object.values(dict), ...Object.values(g), ...tensorsIn([v, batch, loss, grads, aux])]);
}

const Seed = suite("ssl.methods.nepa: the seed's steps (PyTorch transcription)");
for (const plain of [false, true]) {
  const c = caseOf(plain);
  const name = plain ? 'plain (no RoPE, QK-Norm, SwiGLU)' : 'RoPE, QK-Norm, SwiGLU, LayerScale';
  Seed(`${name}: ${c.steps.length} SGD step(s) from the seed's state dict: losses, parameters, state and embedding as the seed's; jit = eager`, () =>
    checkReplay(
      fixtureReplay(c, batchOf, {
        label: plain ? 'nepa plain' : 'nepa',
        method: makeMethod(plain),
        initialDict: startDict(plain),
        opt: opt(),
        check,
        metrics: ['loss'],
        embedding: { images: () => tensorOf(c.steps[0].images), expected: c.embedding.data },
      }),
    ),
  );
  Seed(`${name}: the first step's gradients as the seed's`, () => checkFirstGradients(plain));
}
Seed.run();

const Axis = suite('ssl.methods.nepa sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (the loss is a mean over samples)', () =>
  checkShardedMatchesOne({ method: () => makeMethod(), initialDict: startDict(), batchOf: (s) => batchOf(fixture.steps[s]), opt }),
);
Axis.run();

const Parts = suite('ssl.methods.nepa: registry, defaults, init, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('nepa'));
  const d = ssl.methods.byName('nepa').defaults;
  assert.equal(
    [d.imgSize, d.patchSize, d.inChannels, d.embedDim, d.depth, d.numHeads, d.mlpRatio, d.useRope, d.useQkNorm, d.useSwiglu, d.layerScaleInit, d.dropRate, d.attnDropRate, d.dropPathRate],
    [224, 14, 3, 768, 12, 12, 4, true, true, true, 1e-5, 0, 0, 0],
  );
});
Parts("init as the seed's: LayerScale at layerScaleInit, zero patch bias, xavier-uniform patch weights; the seed's names and shapes", async () => {
  const method = makeMethod();
  const v = method.init(random.key(5));
  const dict = method.toTorch(v.params, v.state);
  assert.equal(Object.keys(dict).sort(), Object.keys(fixture.initial).sort());
  for (const [k, a] of Object.entries(fixture.initial)) assert.equal(dict[k].shape, a.shape, k);
  assert.ok((await dict['blocks.1.ls2'].data()).every((x) => Math.abs(x - 1e-5) < 1e-12), 'ls2 = 1e-5');
  assert.ok((await dict['patch_embed.proj.bias'].data()).every((x) => x === 0), 'zero patch bias');
  const bound = Math.sqrt(6 / (1 * 2 * 2 + 4)); // xavier over [D, C p p]: fan_in 4, fan_out 4
  const w = await dict['patch_embed.proj.weight'].data();
  assert.ok(w.every((x) => Math.abs(x) <= bound) && Math.max(...w.map(Math.abs)) > bound / 2, 'xavier-uniform patch weights');
  const plain = makeMethod(true);
  const vp = plain.init(random.key(5));
  const dp = plain.toTorch(vp.params, vp.state);
  assert.equal(Object.keys(dp).sort(), Object.keys(fixture.plain.initial).sort());
  tf.dispose([...Object.values(dict), ...Object.values(dp), ...tensorsIn([v, vp])]);
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.nepa({ layerScaleInit: NaN })), 'nepa config: at .layerScaleInit expected a finite number, got NaN');
  assert.is(errorOf(() => ssl.methods.nepa({ depth: 0 })), 'nepa config: at .depth expected a positive integer, got 0');
  assert.match(errorOf(() => ssl.methods.nepa({ encoder: 'vit_tiny_patch16_224' } as never)), /^nepa config: at \.encoder unknown key/);
  assert.is(errorOf(() => ssl.methods.nepa({ embedDim: 12, numHeads: 2 })), "nepa config: with useRope the head width embedDim / numHeads must be a multiple of 4 (the seed's 2-D RoPE), got 6");
  assert.is(errorOf(() => ssl.methods.nepa({ embedDim: 10, numHeads: 4 })), 'nepa config: embedDim 10 is not divisible by numHeads 4');
  assert.is(errorOf(() => ssl.methods.nepa({ imgSize: 8, patchSize: 8 })), 'nepa config: imgSize 8 / patchSize 8 gives 1 patch(es); NEPA needs at least 2 (one to predict from, one to predict)');
  const method = makeMethod();
  const v = method.init(random.key(0));
  const wrong = tf.ones([2, 12, 12, 1]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: wrong })), "nepa: expected images [N, 8, 8, 1] (imgSize 8, inChannels 1; the seed's patch embedding takes that size only), got [2,12,12,1]");
  assert.match(errorOf(() => method.loss(v.params, v.state, { view: wrong } as never)), /^nepa: unknown input key\(s\) view/);
  tf.dispose(tensorsIn([v, wrong]));
});
for (const plain of [false, true])
  Parts(`${plain ? 'plain: ' : ''}toTorch / fromTorch round trip in the seed's layout, loss and embedding without leaks`, () =>
    checkKeyedLoss({
      method: makeMethod(plain),
      layout: (dict) => assert.equal(Object.keys(dict).sort(), Object.keys(caseOf(plain).initial).sort()),
      batch: () => ({ images: random.uniform(random.key(4), [3, 8, 8, 1]) }),
      embedded: (b) => b.images as tf.Tensor,
    }),
  );
Parts("the seed's dropouts and stochastic depth: dropPathRate 1 at depth 2 skips the last block; dropRate needs the key, jit = eager, evaluation untouched", async () => {
  const images = random.uniform(random.key(8), [3, 8, 8, 1]);
  const deep = ssl.methods.nepa({ ...TINY, dropPathRate: 1 });
  const v = deep.init(random.key(6));
  const dict = deep.toTorch(v.params, v.state);
  const shallow = ssl.methods.nepa({ ...TINY, depth: 1 });
  const v1 = shallow.fromTorch(Object.fromEntries(Object.entries(dict).filter(([k]) => !k.startsWith('blocks.1.'))));
  const [skipped] = deep.loss(v.params, v.state, { images }, { key: random.key(1) });
  const [oneBlock] = shallow.loss(v1.params, v1.state, { images });
  assert.ok(Math.abs((await skipped.data())[0] - (await oneBlock.data())[0]) < 1e-6, 'block 1 (rate 1) skipped, block 0 (rate 0) whole');
  const dropping = ssl.methods.nepa({ ...TINY, dropRate: 0.5, attnDropRate: 0.5 });
  assert.is(errorOf(() => dropping.loss(v.params, v.state, { images })), "nepa: training with dropRate, attnDropRate or dropPathRate needs the step's PRNG key");
  const lossOf = (p: unknown, key: tf.Tensor) => dropping.loss(p as never, v.state, { images }, { key })[0];
  const eager = (await lossOf(v.params, random.key(2)).data())[0];
  const jitted = (await jit(lossOf)(v.params, random.key(2)).data())[0];
  const plain = (await makeMethod().loss(v.params, v.state, { images })[0].data())[0];
  assert.ok(Math.abs(eager - jitted) < 1e-6 && Number.isFinite(eager), `jit ${jitted} = eager ${eager}`);
  assert.ok(Math.abs(eager - plain) > 1e-4, 'dropout changes the loss');
  assert.equal(await dropping.embed(v.params, v.state, images).data(), await makeMethod().embed(v.params, v.state, images).data());
  assert.is(errorOf(() => ssl.methods.nepa({ dropPathRate: 1.5 })), 'nepa config: at .dropPathRate expected a number in [0, 1], got 1.5');
  tf.dispose([images as tf.Tensor, skipped as tf.Tensor, oneBlock as tf.Tensor, ...Object.values(dict), ...tensorsIn([v, v1])]);
});
Parts.after(() => {
  console.log('nepa worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
