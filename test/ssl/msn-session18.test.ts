/**
 * MSN (`ssl.methods.msn`) against test/fixtures/ssl_msn_session18.json
 * (tools/ssl_msn_session18.py: the seed's `methods/msn.py` with its Sinkhorn-Knopp teacher,
 * mean-entropy term and EMA wrappers transcribed in PyTorch 1.13, float32) on a ViT of width 4 on
 * 8x8 grey images, 10 of 16 patches masked: the seed's student state dict loaded with `fromTorch`
 * (the teacher its warm copy), the seed's masks replayed from the batch, three SGD steps (lr 0.05,
 * momentum 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted (one trace) and eagerly: every
 * loss and its parts, a few parameters after each step, the first two steps' gradients (eager run)
 * and the state dict after the three steps within 1e-4 (relative to each entry's largest value).
 * Also: the loss `ssl.msn` alone, one step sharded over an axis (vmap with axisName) = one
 * process on the whole batch, the seed's defaults and layout, one-line errors, the
 * toTorch/fromTorch round trip, no tensor leaks.
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
import { checkVitGrads, initialDict } from './masked-vit-steps.js';
import { type Arr, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { checkKeyedLoss } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Step {
  view1: Arr;
  view2: Arr;
  mask: Arr;
  loss: number;
  crossEntropy: number;
  meMax: number;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface Fixture {
  config: { lr: number; momentum: number; weightDecay: number; ema: number; numPrototypes: number; maskRatio: number; studentTemperature: number; teacherTemperature: number; meMaxWeight: number };
  initial_student: Record<string, Arr>;
  steps: Step[];
  state_after: Record<string, Arr>;
}
const fixture = loadFixture<Fixture>('ssl_msn_session18.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

/** The fixture's tiny MSN. */
const makeMethod = () =>
  ssl.methods.msn({
    encoder: nn.vit('msn_s18', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 1, numHeads: 2 }),
    projector: ssl.head([8, 8, 4], { activation: 'gelu', batchNorm: false }),
    numPrototypes: cfg.numPrototypes,
    maskRatio: cfg.maskRatio,
    studentTemperature: cfg.studentTemperature,
    teacherTemperature: cfg.teacherTemperature,
    meMaxWeight: cfg.meMaxWeight,
    emaStart: cfg.ema,
  });

const startDict = () => initialDict(fixture.initial_student, ['backbone', 'projector'], cfg.ema);
const batchOf = (s: Step) => ({ view1: tensorOf(s.view1), view2: tensorOf(s.view2), masks: [tensorOf(s.mask)] });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
const replayed = makeMethod();

const Seed = suite("ssl.methods.msn: the seed's steps (PyTorch transcription)");
/** Before each step of the eager run: the gradients where the seed wrote them. */
async function beforeStep(v: { params: any; state: any }, batch: ReturnType<typeof batchOf>, s: number, label: string, useJit: boolean): Promise<void> {
  const ref = fixture.steps[s];
  if (!useJit && ref.grads) await checkVitGrads(check, replayed, v, batch, ref.grads, label);
}
Seed("3 SGD steps from the seed's state dict, the seed's masks: losses, parameters and state as the seed's; jit = eager", () =>
  checkReplay(fixtureReplay(fixture, batchOf, { label: 'msn', method: replayed, initialDict: startDict, opt: opt(), check, metrics: ['loss', 'crossEntropy', 'meMax'], beforeStep })),
);
Seed.run();

const Parts = suite('ssl.methods.msn: loss, registry, defaults, layout, errors');
Parts('ssl.msn: the cross-entropy plus meMaxWeight * sum pbar log pbar (closed form on 2 rows)', async () => {
  const s = tf.tensor([[0.2, -0.1, 0], [0, 0.3, -0.2]]);
  const t = tf.tensor([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]]);
  const soft = (row: number[]) => row.map((x) => Math.exp(x / 0.1)).map((e, _, es) => e / es.reduce((a, b) => a + b));
  const rows = [[0.2, -0.1, 0], [0, 0.3, -0.2]].map(soft);
  const tt = [[0.5, 0.25, 0.25], [0.2, 0.6, 0.2]];
  const ce = -rows.reduce((acc, p, i) => acc + p.reduce((a, pk, k) => a + tt[i][k] * Math.log(pk), 0), 0) / 2;
  const pbar = [0, 1, 2].map((k) => (rows[0][k] + rows[1][k]) / 2);
  const me = pbar.reduce((a, p) => a + p * Math.log(p), 0);
  const r = ssl.msn(s, t, { meMaxWeight: 0.5 });
  await check('msn loss', r.loss, ce + 0.5 * me, 'closed form');
  await check('msn meMax', r.meMax, me, 'closed form');
  assert.is(errorOf(() => ssl.msn(s, tf.zeros([2, 4]))), 'msn: studentLogits [2,3] and teacherProbs [2,4] must have one shape [N, K]');
  tf.dispose(tensorsIn([s, t, r]));
});
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('msn'));
  const d = ssl.methods.byName('msn').defaults;
  assert.equal(
    [d.encoder, d.projector.dims, d.projector.activation, d.projector.batchNorm, d.numPrototypes, d.maskRatio, d.studentTemperature, d.teacherTemperature, d.meMaxWeight, d.sinkhornIterations, d.emaStart, d.emaEnd],
    ['vit_small_patch16_224', [2048, 2048, 256], 'gelu', false, 1024, 0.6, 0.1, 0.025, 1, 3, 0.996, 1],
  );
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.msn({ teacherTemperature: -1 })), 'msn config: at .teacherTemperature expected a finite number > 0, got -1');
  assert.match(errorOf(() => ssl.methods.msn({ encoder: 'resnet18' })), /^msn: the encoder must be a ViT/);
  const method = makeMethod();
  const v = method.init(random.key(0));
  const [a, b] = [tf.ones([2, 8, 8, 1]), tf.ones([2, 8, 8, 1])];
  assert.is(errorOf(() => method.loss(v.params, v.state, { view1: a, view2: b, masks: [tf.ones([2, 15])] })), 'msn: masks[0] must be [2,16] (one value per patch), got [2,15]');
  assert.is(errorOf(() => method.loss(v.params, v.state, { view1: a, view2: b })), 'msn: the loss needs a key (for the patch masks) or the batch its masks');
  assert.is(errorOf(() => method.loss(v.params, v.state, { globalViews: [a, b], localViews: [a] }, { key: random.key(1) })), "msn: the batch must hold two views ({ view1, view2 } or { globalViews: [view1, view2] }: view1 the student's, masked), got 2 global and 1 local view(s)");
  tf.dispose(tensorsIn([v, a, b]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      for (const k of ['mask_token', 'backbone.teacher.pos_embed', 'projector.student.6.weight', 'projector.teacher.4.bias', 'projector.ema_coefficient']) assert.ok(dict[k], k);
      assert.not.ok(dict['projector.student.6.bias'], 'prototypes without bias');
    },
    batch: () => ({ view1: random.uniform(random.key(4), [3, 8, 8, 1]), view2: random.uniform(random.key(5), [3, 8, 8, 1]) }),
    embedded: (b) => b.view1 as tf.Tensor,
  }),
);
Parts.run();

const Axis = suite('ssl.methods.msn sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (Sinkhorn and the mean prediction over every member)', () =>
  checkShardedMatchesOne({ method: makeMethod, initialDict: startDict, batchOf: (s) => batchOf(fixture.steps[s]), opt }),
);
Axis.after(() => {
  console.log('msn worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
