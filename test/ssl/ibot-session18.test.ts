/**
 * iBOT (`ssl.methods.ibot`) against test/fixtures/ssl_ibot_session18.json
 * (tools/ssl_ibot_session18.py: the seed's `methods/ibot.py` with `DINOv1Loss`'s centre, the
 * Sinkhorn-Knopp patch teacher and the EMA wrappers transcribed in PyTorch 1.13, float32) on a ViT
 * of width 4 on 8x8 grey images, 2 global views: the seed's student state dict loaded with
 * `fromTorch` (the teacher its warm copy), the seed's masks replayed from the batch, three SGD
 * steps (lr 0.05, momentum 0.9, weight decay 1e-4) with the teacher temperature warming up
 * (0.04, 0.055, 0.07), through `ssl.trainStep`, jitted (one trace) and eagerly: every loss and its
 * parts, the centre each step used, a few parameters after each step, the first two steps'
 * gradients (eager run) and the state dict after the three steps within 1e-4 (relative to each entry's largest
 * value). Also: one step sharded over an axis (vmap with axisName) = one process on the whole
 * batch, the seed's defaults and layout, one-line errors, the toTorch/fromTorch round trip, no
 * tensor leaks.
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
import { type IbotFixture, type IbotStep, checkVitGrads, initialDict } from './masked-vit-steps.js';
import { checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { checkKeyedLoss } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Step = IbotStep;
type Fixture = IbotFixture;
const fixture = loadFixture<Fixture>('ssl_ibot_session18.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);
const WRAPPERS = ['backbone', 'cls_head', 'patch_head'];

/** The fixture's tiny iBOT. */
const makeMethod = (extra: Partial<ssl.methods.IbotConfig> = {}) =>
  ssl.methods.ibot({
    encoder: nn.vit('ibot_s18', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 1, numHeads: 2 }),
    projector: ssl.head([8, 8, 4], { activation: 'gelu', batchNorm: false }),
    numClsPrototypes: 6,
    numPatchPrototypes: 5,
    warmupTeacherTemperature: cfg.warmupTeacherTemperature,
    teacherTemperature: cfg.teacherTemperature,
    warmupTeacherSteps: cfg.warmupTeacherSteps,
    emaStart: cfg.ema,
    ...extra,
  });

const startDict = () => initialDict(fixture.initial_student, WRAPPERS, cfg.ema);
const batchOf = (s: Step) => ({ globalViews: s.globalViews.map(tensorOf), masks: s.masks.map(tensorOf) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
const replayed = makeMethod();

const Seed = suite("ssl.methods.ibot: the seed's steps (PyTorch transcription)");
/** Before each step: the centre it uses; in the eager run, the gradients where the seed wrote them. */
async function beforeStep(v: { params: any; state: any }, batch: ReturnType<typeof batchOf>, s: number, label: string, useJit: boolean): Promise<void> {
  const ref = fixture.steps[s];
  await check('center used', v.state.center, ref.center.data, label, 1);
  if (!useJit && ref.grads) await checkVitGrads(check, replayed, v, batch, ref.grads, label);
}
Seed("3 SGD steps from the seed's state dict, the seed's masks, the teacher temperature warming up: losses, centres, parameters and state as the seed's; jit = eager", () =>
  checkReplay(fixtureReplay(fixture, batchOf, { label: 'ibot', method: replayed, initialDict: startDict, opt: opt(), check, metrics: ['loss', 'clsLoss', 'patchLoss', 'teacherTemperature'], beforeStep })),
);
Seed.run();

const Parts = suite('ssl.methods.ibot: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('ibot'));
  const d = ssl.methods.byName('ibot').defaults;
  assert.equal(
    [d.encoder, d.projector.dims, d.projector.activation, d.projector.batchNorm, d.numClsPrototypes, d.numPatchPrototypes, d.maskRatio, d.patchLossWeight, d.studentTemperature, d.warmupTeacherTemperature, d.teacherTemperature, d.warmupTeacherSteps, d.centerMomentum, d.sinkhornIterations, d.emaStart, d.emaEnd],
    ['vit_small_patch16_224', [2048, 2048, 256], 'gelu', false, 65536, 8192, 0.3, 1, 0.1, 0.04, 0.07, 30, 0.9, 3, 0.996, 1],
  );
});
/** A state without its centre. */
const withoutCenter = <S extends object>(state: S): S => Object.fromEntries(Object.entries(state).filter(([k]) => k !== 'center')) as S;
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.ibot({ studentTemperature: 0 })), 'ibot config: at .studentTemperature expected a finite number > 0, got 0');
  assert.is(errorOf(() => ssl.methods.ibot({ centerMomentum: 2 })), 'ibot config: at .centerMomentum expected a number in [0, 1], got 2');
  assert.match(errorOf(() => ssl.methods.ibot({ encoder: 'resnet18' })), /^ibot: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const views = { globalViews: [tf.ones([2, 8, 8, 1]), tf.ones([2, 8, 8, 1])] };
  assert.is(errorOf(() => method.loss(v.params, v.state, { ...views, masks: [tf.ones([2, 16])] })), 'ibot: masks must be a list of 2 arrays [2,16] (one per global view), got 1 entries');
  assert.is(errorOf(() => method.loss(v.params, v.state, views)), 'ibot: the loss needs a key (for the patch masks) or the batch its masks');
  assert.is(errorOf(() => method.loss(v.params, withoutCenter(v.state), views)), "ibot: the state has no 'center' (it holds encoder, cls_head, patch_head, step, teacher); pass the state from method.init or fromTorch, as the previous step returned it");
  tf.dispose(tensorsIn([v, views]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks; local views train the CLS loss", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      for (const k of ['mask_token', 'backbone.teacher.pos_embed', 'cls_head.student.6.weight', 'patch_head.teacher.4.bias', 'patch_head.ema_coefficient']) assert.ok(dict[k], k);
      assert.not.ok(dict.center, 'the centre is not in the state dict (the seed keeps it outside its buffers)');
    },
    batch: () => ({ globalViews: [random.uniform(random.key(4), [3, 8, 8, 1]), random.uniform(random.key(5), [3, 8, 8, 1])], localViews: [random.uniform(random.key(7), [3, 4, 4, 1])] }),
    embedded: (b) => b.globalViews[0] as tf.Tensor,
  }),
);
Parts.run();

const Axis = suite('ssl.methods.ibot sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (the centre and the patch Sinkhorn over every member)', () =>
  // Two steps: the second uses the centre of the first (the whole batch's under the axis).
  checkShardedMatchesOne({ method: makeMethod, initialDict: startDict, batchOf: (s) => batchOf(fixture.steps[s]), opt, steps: 2 }),
);
Axis.after(() => {
  console.log('ibot worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
