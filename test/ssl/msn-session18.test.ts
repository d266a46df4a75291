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
import { jit, scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, maxAbs, relErrChecker } from './fixtures.js';
import { initialDict, oneStep } from './masked-vit-steps.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

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

/** The gradients of the mask token and the position embedding at (params, state) on a batch, against the seed's. */
async function checkGrads<P extends Record<string, any>, S>(method: ssl.Method<P, S, ReturnType<typeof batchOf>>, params: P, state: S, batch: ReturnType<typeof batchOf>, ref: Record<string, Arr>, label: string): Promise<void> {
  const { loss, grads, aux } = ssl.lossAndGrad(method, params, state, batch);
  await check('grad mask_token', grads.mask_token, ref.mask_token.data, label);
  await check('grad pos_embed', grads.encoder.pos_embed, ref['backbone.student.pos_embed'].data, label);
  disposeExcept({ loss, grads, aux }, params, state);
}

/** Trains the fixture's three steps (jitted or eager), checking each; returns the state dict after. */
async function run(useJit: boolean): Promise<Record<string, tf.Tensor>> {
  const method = makeMethod();
  const dict = startDict();
  let { params, state } = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const o = opt();
  let optState = o.init(params);
  const raw = ssl.trainStep(method, o);
  const step = useJit ? jit(raw) : raw;
  const counts: number[] = [];
  for (let s = 0; s < fixture.steps.length; s++) {
    const ref = fixture.steps[s];
    const label = `msn ${useJit ? 'jit' : 'eager'} step ${s + 1}`;
    const batch = batchOf(ref);
    if (!useJit && ref.grads) await checkGrads(method, params, state, batch, ref.grads, label);
    const r = step(params, state, optState, batch);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    for (const m of ['loss', 'crossEntropy', 'meMax'] as const) await check(m, r.metrics[m], ref[m], label);
    const now = method.toTorch(params, state);
    for (const [k, v] of Object.entries(ref.after)) await check(`after step: ${k}`, now[k], v.data, label);
    tf.dispose([...Object.values(now), ...tensorsIn([batch, r.metrics])]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat across steps: ${counts.join(', ')}`);
  if (useJit) assert.is((step as ReturnType<typeof jit>).cacheSize(), 1, 'one trace for every step');
  const after = method.toTorch(params, state);
  assert.equal(Object.keys(after).sort(), Object.keys(fixture.state_after).sort());
  for (const [k, v] of Object.entries(fixture.state_after)) await check(`state after: ${k}`, after[k], v.data, `msn ${useJit ? 'jit' : 'eager'} after 3 steps`);
  tf.dispose(tensorsIn([params, state, optState]));
  return after;
}

const Seed = suite("ssl.methods.msn: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict, the seed's masks: losses, parameters and state as the seed's; jit = eager", async () => {
  const jitted = await run(true);
  const before = tf.memory().numTensors;
  const eager = await run(false);
  for (const k of Object.keys(jitted)) await check('jit vs eager', jitted[k], Array.from(await eager[k].data()), k);
  tf.dispose(Object.values(eager));
  assert.is(tf.memory().numTensors, before, 'the eager run leaves no tensor behind');
  tf.dispose(Object.values(jitted));
});
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
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", async () => {
  const method = makeMethod();
  const start = tf.memory().numTensors;
  const v = scope(() => method.init(random.key(3)));
  const dict = method.toTorch(v.params, v.state);
  for (const k of ['mask_token', 'backbone.teacher.pos_embed', 'projector.student.6.weight', 'projector.teacher.4.bias', 'projector.ema_coefficient']) assert.ok(dict[k], k);
  assert.not.ok(dict['projector.student.6.bias'], 'prototypes without bias');
  const back = method.fromTorch(dict);
  const again = method.toTorch(back.params, back.state);
  assert.equal(Object.keys(again).sort(), Object.keys(dict).sort());
  for (const k of Object.keys(dict)) assert.equal(Array.from(await again[k].data()), Array.from(await dict[k].data()), k);
  const b = scope(() => ({ view1: random.uniform(random.key(4), [3, 8, 8, 1]), view2: random.uniform(random.key(5), [3, 8, 8, 1]) }));
  const key = random.key(6);
  const [loss, aux] = scope(() => method.loss(v.params, v.state, b, { key }));
  assert.ok(Number.isFinite((await (loss as tf.Tensor).data())[0]));
  const e = method.embed(v.params, v.state, b.view1);
  assert.equal(e.shape, [3, 4]);
  tf.dispose([...Object.values(dict), ...Object.values(again), ...tensorsIn([v, back, b, loss, aux, e, key])]);
  assert.is(tf.memory().numTensors, start, 'init, toTorch, fromTorch, loss and embed leave no tensor behind');
});
Parts.run();

const Axis = suite('ssl.methods.msn sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (Sinkhorn and the mean prediction over every member)', async () => {
  const stepOf = (sharded: boolean) => {
    const dict = startDict();
    const batch = batchOf(fixture.steps[0]);
    const after = oneStep(makeMethod(), dict, batch, opt(), sharded);
    tf.dispose([...Object.values(dict), ...tensorsIn(batch)]);
    return after;
  };
  const one = stepOf(false);
  const two = stepOf(true);
  for (const k of Object.keys(one)) {
    const want = Array.from(await one[k].data());
    allClose(Array.from(await two[k].data()), want, { rtol: 0, atol: 1e-5 * Math.max(1e-6, maxAbs(want)) }, k);
  }
  tf.dispose([...Object.values(one), ...Object.values(two)]);
});
Axis.after(() => {
  console.log('msn worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
