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
import { jit, scope, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, maxAbs, relErrChecker } from './fixtures.js';
import { type Arr, tensorOf } from './seed-steps.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

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

/** The seed's state dict at the start: the student's entries, the teacher their copy (warm init), the EMA buffers. */
function initialDict(): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(fixture.initial_student)) {
    out[k] = tensorOf(v);
    if (k.includes('.student.')) out[k.replace('.student.', '.teacher.')] = tensorOf(v);
  }
  for (const w of ['backbone', 'cls_head', 'patch_head']) {
    out[`${w}.base_ema_coefficient`] = tf.scalar(cfg.ema);
    out[`${w}.final_ema_coefficient`] = tf.scalar(1);
    out[`${w}.ema_coefficient`] = tf.scalar(cfg.ema);
  }
  return out;
}

const batchOf = (s: Step) => ({ globalViews: s.globalViews.map(tensorOf), localViews: s.localViews.map(tensorOf), masks: s.masks.map(tensorOf) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });

/** Trains the fixture's three steps (jitted or eager), checking each; returns the state dict after. */
async function run(useJit: boolean): Promise<Record<string, tf.Tensor>> {
  const method = makeMethod();
  const dict = initialDict();
  let { params, state } = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const o = opt();
  let optState = o.init(params);
  const raw = ssl.trainStep(method, o);
  const step = useJit ? jit(raw) : raw;
  const counts: number[] = [];
  for (let s = 0; s < fixture.steps.length; s++) {
    const ref = fixture.steps[s];
    const label = `dinov2 ${useJit ? 'jit' : 'eager'} step ${s + 1}`;
    const batch = batchOf(ref);
    const r = step(params, state, optState, batch);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    for (const m of ['loss', 'clsLoss', 'patchLoss'] as const) await check(m, r.metrics[m], ref[m], label);
    const now = method.toTorch(params, state);
    for (const [k, v] of Object.entries(ref.after)) await check(`after step: ${k}`, now[k], v.data, label);
    tf.dispose([...Object.values(now), ...tensorsIn([batch, r.metrics])]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat across steps: ${counts.join(', ')}`);
  if (useJit) assert.is((step as ReturnType<typeof jit>).cacheSize(), 1, 'one trace for every step');
  const after = method.toTorch(params, state);
  assert.equal(Object.keys(after).sort(), Object.keys(fixture.state_after).sort());
  for (const [k, v] of Object.entries(fixture.state_after)) await check(`state after: ${k}`, after[k], v.data, `dinov2 ${useJit ? 'jit' : 'eager'} after 3 steps`);
  tf.dispose(tensorsIn([params, state, optState]));
  return after;
}

const Seed = suite("ssl.methods.dinov2: the seed's steps (PyTorch transcription)");
Seed('3 SGD steps from the seed\'s state dict, the seed\'s masks: losses, parameters and state as the seed\'s; jit = eager', async () => {
  const jitted = await run(true);
  const before = tf.memory().numTensors;
  const eager = await run(false);
  for (const k of Object.keys(jitted)) await check('jit vs eager', jitted[k], Array.from(await eager[k].data()), k);
  tf.dispose(Object.values(eager));
  assert.is(tf.memory().numTensors, before, 'the eager run leaves no tensor behind');
  tf.dispose(Object.values(jitted));
});
/** The first step's loss and gradients (mask token, position embedding) from the fixture's start, without KoLeo or with it at 0.1. */
async function firstGradients(withKoleo: boolean): Promise<void> {
  const ref = withKoleo ? fixture.koleo_case : { ...fixture.steps[0], grads: fixture.steps[0].grads! };
  const label = withKoleo ? 'lossAndGrad with KoLeo' : 'lossAndGrad';
  const method = makeMethod(withKoleo ? cfg.koleoWeight : 0);
  const dict = initialDict();
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
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", async () => {
  const method = makeMethod();
  const start = tf.memory().numTensors;
  const v = scope(() => method.init(random.key(3)));
  const dict = method.toTorch(v.params, v.state);
  for (const k of ['mask_token', 'backbone.teacher.pos_embed', 'cls_head.student.6.weight', 'patch_head.teacher.4.bias', 'patch_head.ema_coefficient']) assert.ok(dict[k], k);
  assert.not.ok(dict['cls_head.student.6.bias'], 'prototypes without bias');
  const back = method.fromTorch(dict);
  const again = method.toTorch(back.params, back.state);
  assert.equal(Object.keys(again).sort(), Object.keys(dict).sort());
  for (const k of Object.keys(dict)) assert.equal(Array.from(await again[k].data()), Array.from(await dict[k].data()), k);
  const extra = tf.zeros([1]);
  assert.match(errorOf(() => method.fromTorch({ ...dict, extra })), /entries not used by the model: extra/);
  const b = scope(() => ({ globalViews: [random.uniform(random.key(4), [3, 8, 8, 1]), random.uniform(random.key(5), [3, 8, 8, 1])] }));
  const key = random.key(6);
  const [loss, aux] = scope(() => makeMethod(0.1).loss(v.params, v.state, b, { key }));
  assert.ok(Number.isFinite((await (loss as tf.Tensor).data())[0]));
  const e = method.embed(v.params, v.state, b.globalViews[0]);
  assert.equal(e.shape, [3, 4]);
  tf.dispose([...Object.values(dict), ...Object.values(again), ...tensorsIn([v, back, b, loss, aux, e, key, extra])]);
  assert.is(tf.memory().numTensors, start, 'init, toTorch, fromTorch, loss and embed leave no tensor behind');
});
Parts.run();

const Axis = suite('ssl.methods.dinov2 sharded over an axis');
const AXIS = 'batch';

/** One step from the fixture's start on its first batch (KoLeo off: its neighbours are each member's): one process, or vmap over 2 shards. */
function firstStep(sharded: boolean): Record<string, tf.Tensor> {
  const method = makeMethod();
  const dict = initialDict();
  const v = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const o = opt();
  const optState = o.init(v.params);
  const step = ssl.trainStep(method, o, sharded ? { axisName: AXIS } : {});
  const shard = (x: tf.Tensor) => tf.reshape(x, [2, x.shape[0] / 2, ...x.shape.slice(1)]);
  const full = batchOf(fixture.steps[0]);
  const batch = sharded ? { globalViews: full.globalViews.map(shard), localViews: full.localViews.map(shard), masks: full.masks.map(shard) } : full;
  const run = sharded
    ? vmap((p: unknown, s: unknown, os: unknown, bt: unknown) => step(p as never, s as never, os, bt as never), { inAxes: [null, null, null, 0], outAxes: null, axisName: AXIS })
    : (p: unknown, s: unknown, os: unknown, bt: unknown) => step(p as never, s as never, os, bt as never);
  const r = run(v.params, v.state, optState, batch) as ssl.StepResult<any, any, any>;
  const after = method.toTorch(r.params, r.state);
  tf.dispose(tensorsIn([v, optState, r, full, batch]));
  return after;
}

Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (both Sinkhorn teachers over every member)', async () => {
  const one = firstStep(false);
  const two = firstStep(true);
  for (const k of Object.keys(one)) {
    const want = Array.from(await one[k].data());
    allClose(Array.from(await two[k].data()), want, { rtol: 0, atol: 1e-5 * Math.max(1e-6, maxAbs(want)) }, k);
  }
  tf.dispose([...Object.values(one), ...Object.values(two)]);
});
Axis.after(() => {
  console.log('dinov2 worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
