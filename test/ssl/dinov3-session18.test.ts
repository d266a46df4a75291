/**
 * DINOv3 (`ssl.methods.dinov3`) against test/fixtures/ssl_dinov3_session18.json
 * (tools/ssl_dinov3_session18.py: the seed's `methods/dinov3.py` transcribed in PyTorch 1.13,
 * float32: DINOv2 with 2 register tokens and KoLeo at 0.1) on a ViT of width 4 on 8x8 grey images,
 * 2 global views (masked) and 1 local view: the seed's student state dict loaded with `fromTorch`
 * (the teacher its warm copy), the seed's masks replayed from the batch, three SGD steps (lr 0.05,
 * momentum 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted and eagerly: every loss and its
 * parts, the registers and a few parameters after each step, the first step's gradients and the
 * state dict after the three steps within 1e-4 (relative to each entry's largest value). Also: one
 * step sharded over an axis = one process (KoLeo off: its neighbours are each member's), the seed's
 * defaults and layout, one-line errors, the toTorch/fromTorch round trip, no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { initialDict } from './masked-vit-steps.js';
import { type Arr, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { checkKeyedLoss } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Step {
  globalViews: Arr[];
  localViews: Arr[];
  masks: Arr[];
  loss: number;
  clsLoss: number;
  patchLoss: number;
  koleo: number;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface Fixture {
  config: { registers: number; lr: number; momentum: number; weightDecay: number; ema: number; koleoWeight: number };
  initial_student: Record<string, Arr>;
  steps: Step[];
  state_after: Record<string, Arr>;
}
const fixture = loadFixture<Fixture>('ssl_dinov3_session18.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

/** The fixture's tiny DINOv3 (KoLeo at the fixture's weight unless given). */
const makeMethod = (koleoWeight = cfg.koleoWeight) =>
  ssl.methods.dinov3({
    encoder: 'vit_tiny_patch16_224',
    encoderOptions: { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 1, numHeads: 2 },
    numRegisters: cfg.registers,
    projector: ssl.head([8, 8, 4], { activation: 'gelu', batchNorm: false }),
    numClsPrototypes: 6,
    numPatchPrototypes: 5,
    emaStart: cfg.ema,
    koleoWeight,
  });

const startDict = () => initialDict(fixture.initial_student, ['backbone', 'cls_head', 'patch_head'], cfg.ema);
const batchOf = (s: Step) => ({ globalViews: s.globalViews.map(tensorOf), localViews: s.localViews.map(tensorOf), masks: s.masks.map(tensorOf) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });

const Seed = suite("ssl.methods.dinov3: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict, the seed's masks: losses, registers, parameters and state as the seed's; jit = eager", () =>
  checkReplay(fixtureReplay(fixture, batchOf, { label: 'dinov3', method: makeMethod(), initialDict: startDict, opt: opt(), check, metrics: ['loss', 'clsLoss', 'patchLoss', 'koleo'] })),
);
Seed("the first step's gradients (mask token, position embedding, registers) as the seed's", async () => {
  const ref = fixture.steps[0].grads!;
  const method = makeMethod();
  const dict = startDict();
  const v = method.fromTorch(dict);
  const batch = batchOf(fixture.steps[0]);
  const { loss, grads } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('loss', loss, fixture.steps[0].loss, 'lossAndGrad');
  await check('grad mask_token', grads.mask_token, ref.mask_token.data, 'lossAndGrad');
  await check('grad pos_embed', grads.encoder.pos_embed, ref['backbone.student.pos_embed'].data, 'lossAndGrad');
  await check('grad register_tokens', grads.encoder.register_tokens, ref['backbone.student.register_tokens'].data, 'lossAndGrad');
  tf.dispose([...Object.values(dict), ...tensorsIn([v, batch, loss, grads])]);
});
Seed.run();

const Parts = suite('ssl.methods.dinov3: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults (DINOv2's plus 4 registers and KoLeo 0.1)", () => {
  assert.ok(ssl.methods.names().includes('dinov3'));
  const d = ssl.methods.byName('dinov3').defaults;
  assert.equal(
    [d.encoder, d.projector.dims, d.numClsPrototypes, d.numPatchPrototypes, d.maskRatio, d.patchLossWeight, d.studentTemperature, d.teacherTemperature, d.emaStart, d.emaEnd, d.koleoWeight, d.numRegisters],
    ['vit_small_patch16_224', [2048, 2048, 256], 65536, 8192, 0.3, 1, 0.1, 0.07, 0.996, 1, 0.1, 4],
  );
});
Parts('configuration errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.dinov3({ numRegisters: 1.5 })), 'dinov3 config: at .numRegisters expected an integer >= 0, got 1.5');
  assert.is(errorOf(() => ssl.methods.dinov3({ encoder: nn.vit('v', { imgSize: 8, patchSize: 2, embedDim: 4, depth: 1, numHeads: 2 }) })), "dinov3 config: at .numRegisters expected the encoder's register count 0, got 4");
  assert.match(errorOf(() => ssl.methods.dinov3({ encoder: 'resnet18' })), /^dinov3: the encoder must be a ViT/);
});
Parts('a ViT layer made with the registers is accepted; its tokens are [N, 1 + R + L, D]', () => {
  const enc = nn.vit('v', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 1, numHeads: 2, numRegisters: 3 });
  assert.is(ssl.methods.dinov3({ encoder: enc, numRegisters: 3 }).config.numRegisters, 3);
  const v = enc.init(random.key(0));
  const x = tf.ones([2, 8, 8, 1]);
  const [h] = enc.forwardFeatures!(v.params, v.state, x);
  assert.equal(h.shape, [2, 1 + 3 + 16, 4]);
  tf.dispose(tensorsIn([v, x, h]));
});
Parts('a ViT with registers given to a method that reads patches from index 1 is a one-line error', () => {
  const withRegisters = () => nn.vit('vit_registers', { imgSize: 8, patchSize: 4, inChannels: 1, embedDim: 8, depth: 1, numHeads: 2, numRegisters: 2 });
  for (const name of ['mae', 'simmim', 'data2vec', 'maskfeat', 'cmae', 'igpt', 'ijepa'] as const) {
    assert.is(errorOf(() => ssl.methods.byName(name)({ encoder: withRegisters() })), `${name}: the ViT has 2 register tokens, which ${name} does not use (they are DINOv3's): build it with numRegisters 0`);
  }
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      for (const k of ['mask_token', 'backbone.student.register_tokens', 'backbone.teacher.register_tokens', 'cls_head.student.6.weight', 'patch_head.ema_coefficient']) assert.ok(dict[k], k);
      assert.equal(dict['backbone.student.register_tokens'].shape, [1, cfg.registers, 4]);
    },
    batch: () => ({ globalViews: [random.uniform(random.key(4), [3, 8, 8, 1]), random.uniform(random.key(5), [3, 8, 8, 1])] }),
    embedded: (b) => b.globalViews[0] as tf.Tensor,
  }),
);
Parts.run();

const Axis = suite('ssl.methods.dinov3 sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (both Sinkhorn teachers over every member)', () =>
  // KoLeo off: its neighbours are each member's (the seed's, per rank).
  checkShardedMatchesOne({ method: () => makeMethod(0), initialDict: startDict, batchOf: (s) => batchOf(fixture.steps[s]), opt }),
);
Axis.after(() => {
  console.log('dinov3 worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
