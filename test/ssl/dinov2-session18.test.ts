/**
 * DINOv2 (`ssl.methods.dinov2`) against test/fixtures/ssl_dinov2_session18.json
 * (tools/ssl_dinov2_session18.py: the seed's `methods/dinov2.py` with its losses, Sinkhorn-Knopp
 * teachers and EMA wrappers transcribed in PyTorch 1.13, float32, plus DINOv3's KoLeo term at 0.1)
 * on a ViT of width 4 on 8x8 grey images, 2 global views (masked) and 1 local view: the seed's
 * student state dict loaded with `fromTorch` (the teacher its warm copy), the seed's masks
 * replayed from the batch, three SGD steps (lr 0.05, momentum 0.9, weight decay 1e-4) through
 * `ssl.trainStep`, jitted (one trace) and eagerly: every loss and its parts, a few parameters
 * after each step, the first step's gradients and the state dict after the three steps within
 * 1e-4 (relative to each entry's largest value). Also: one step sharded over an axis (vmap with
 * axisName) = one process on the whole batch, the seed's defaults and layout, one-line errors,
 * the toTorch/fromTorch round trip, no tensor leaks.
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
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface KoleoCase {
  loss: number;
  clsLoss: number;
  patchLoss: number;
  koleo: number;
  grads: Record<string, Arr>;
}
interface Fixture {
  config: { lr: number; momentum: number; weightDecay: number; ema: number; koleoWeight: number };
  initial_student: Record<string, Arr>;
  koleo_case: KoleoCase;
  steps: Step[];
  state_after: Record<string, Arr>;
}
const fixture = loadFixture<Fixture>('ssl_dinov2_session18.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

/** The fixture's tiny DINOv2 (without KoLeo, the seed's DINOv2, unless given). */
const makeMethod = (koleoWeight = 0) =>
  ssl.methods.dinov2({
    encoder: nn.vit('dinov2_s18', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 1, numHeads: 2 }),
    projector: ssl.head([8, 8, 4], { activation: 'gelu', batchNorm: false }),
    numClsPrototypes: 6,
    numPatchPrototypes: 5,
    maskRatio: 0.3,
    emaStart: cfg.ema,
    koleoWeight,
  });

const startDict = () => initialDict(fixture.initial_student, ['backbone', 'cls_head', 'patch_head'], cfg.ema);
const batchOf = (s: Step) => ({ globalViews: s.globalViews.map(tensorOf), localViews: s.localViews.map(tensorOf), masks: s.masks.map(tensorOf) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });

const Seed = suite("ssl.methods.dinov2: the seed's steps (PyTorch transcription)");
Seed('3 SGD steps from the seed\'s state dict, the seed\'s masks: losses, parameters and state as the seed\'s; jit = eager', () =>
  checkReplay(fixtureReplay(fixture, batchOf, { label: 'dinov2', method: makeMethod(), initialDict: startDict, opt: opt(), check, metrics: ['loss', 'clsLoss', 'patchLoss'] })),
);
/** The first step's loss and gradients (mask token, position embedding) from the fixture's start, without KoLeo or with it at 0.1. */
async function firstGradients(withKoleo: boolean): Promise<void> {
  const ref = withKoleo ? fixture.koleo_case : { ...fixture.steps[0], grads: fixture.steps[0].grads! };
  const label = withKoleo ? 'lossAndGrad with KoLeo' : 'lossAndGrad';
  const method = makeMethod(withKoleo ? cfg.koleoWeight : 0);
  const dict = startDict();
  const v = method.fromTorch(dict);
  const batch = batchOf(fixture.steps[0]);
  const { loss, grads, aux } = ssl.lossAndGrad(method, v.params, v.state, batch);
  await check('loss', loss, ref.loss, label);
  for (const m of ['clsLoss', 'patchLoss'] as const) await check(m, aux.metrics[m], ref[m], label);
  if (withKoleo) await check('koleo', aux.metrics.koleo, fixture.koleo_case.koleo, label);
  await check('grad mask_token', grads.mask_token, ref.grads.mask_token.data, label);
  await check('grad pos_embed', grads.encoder.pos_embed, ref.grads['backbone.student.pos_embed'].data, label);
  tf.dispose([...Object.values(dict), ...tensorsIn([v, batch, loss, grads, aux])]);
}
Seed("the first step's gradients (mask token, position embedding) as the seed's", () => firstGradients(false));
Seed("with KoLeo (0.1, the seed's DINOv3 term on the first global view's student CLS features): loss, parts and gradients as the seed's", () => firstGradients(true));
Seed.run();

const Parts = suite('ssl.methods.dinov2: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('dinov2'));
  const d = ssl.methods.byName('dinov2').defaults;
  assert.equal(
    [d.encoder, d.projector.dims, d.projector.activation, d.numClsPrototypes, d.numPatchPrototypes, d.maskRatio, d.patchLossWeight, d.studentTemperature, d.clsStudentTemperature, d.teacherTemperature, d.emaStart, d.emaEnd, d.koleoWeight],
    ['vit_small_patch16_224', [2048, 2048, 256], 'gelu', 65536, 8192, 0.3, 1, 0.1, 0.1, 0.07, 0.996, 1, 0],
  );
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.dinov2({ maskRatio: 1.5 })), 'dinov2 config: at .maskRatio expected a number in [0, 1], got 1.5');
  assert.match(errorOf(() => ssl.methods.dinov2({ encoder: 'resnet18' })), /^dinov2: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const views = { globalViews: [tf.ones([2, 8, 8, 1]), tf.ones([2, 8, 8, 1])] };
  assert.is(errorOf(() => method.loss(v.params, v.state, { ...views, masks: [tf.ones([2, 15])] })), 'dinov2: masks must be a list of 2 arrays [2,16] (one per global view), got 1 entries');
  assert.is(errorOf(() => method.loss(v.params, v.state, { ...views, masks: [tf.ones([2, 15]), tf.ones([2, 15])] })), 'dinov2: masks[0] must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => method.loss(v.params, v.state, views)), 'dinov2: the loss needs a key (for the patch masks) or the batch its masks');
  assert.is(errorOf(() => ssl.methods.dinov2({ ...makeMethod().config, maskRatio: 0.01 }).loss(v.params, v.state, views, { key: random.key(1) })), 'dinov2: maskRatio 0.01 masks no patch of 16 (round(16 * 0.01) = 0), and the patch loss is over masked patches');
  tf.dispose(tensorsIn([v, views]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    lossMethod: makeMethod(0.1),
    layout: (dict) => {
      for (const k of ['mask_token', 'backbone.teacher.pos_embed', 'cls_head.student.6.weight', 'patch_head.teacher.4.bias', 'patch_head.ema_coefficient']) assert.ok(dict[k], k);
      assert.not.ok(dict['cls_head.student.6.bias'], 'prototypes without bias');
    },
    batch: () => ({ globalViews: [random.uniform(random.key(4), [3, 8, 8, 1]), random.uniform(random.key(5), [3, 8, 8, 1])] }),
    embedded: (b) => b.globalViews[0] as tf.Tensor,
  }),
);
Parts.run();

const Axis = suite('ssl.methods.dinov2 sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (both Sinkhorn teachers over every member)', () =>
  // KoLeo off: its neighbours are each member's.
  checkShardedMatchesOne({ method: () => makeMethod(), initialDict: startDict, batchOf: (s) => batchOf(fixture.steps[s]), opt }),
);
Axis.after(() => {
  console.log('dinov2 worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
