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
  globalViews: Arr[];
  masks: Arr[];
  loss: number;
  clsLoss: number;
  patchLoss: number;
  teacherTemperature: number;
  center: Arr;
  grads?: Record<string, Arr>;
  after: Record<string, Arr>;
}
interface Fixture {
  config: { lr: number; momentum: number; weightDecay: number; ema: number; warmupTeacherTemperature: number; teacherTemperature: number; warmupTeacherSteps: number };
  initial_student: Record<string, Arr>;
  steps: Step[];
  state_after: Record<string, Arr>;
}
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
    const label = `ibot ${useJit ? 'jit' : 'eager'} step ${s + 1}`;
    await check('center used', state.center, ref.center.data, label, 1);
    const batch = batchOf(ref);
    if (!useJit && ref.grads) await checkGrads(method, params, state, batch, ref.grads, label);
    const r = step(params, state, optState, batch);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    for (const m of ['loss', 'clsLoss', 'patchLoss', 'teacherTemperature'] as const) await check(m, r.metrics[m], ref[m], label);
    const now = method.toTorch(params, state);
    for (const [k, v] of Object.entries(ref.after)) await check(`after step: ${k}`, now[k], v.data, label);
    tf.dispose([...Object.values(now), ...tensorsIn([batch, r.metrics])]);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(counts.every((c) => c === counts[0]), `tensor count flat across steps: ${counts.join(', ')}`);
  if (useJit) assert.is((step as ReturnType<typeof jit>).cacheSize(), 1, 'one trace for every step');
  const after = method.toTorch(params, state);
  assert.equal(Object.keys(after).sort(), Object.keys(fixture.state_after).sort());
  for (const [k, v] of Object.entries(fixture.state_after)) await check(`state after: ${k}`, after[k], v.data, `ibot ${useJit ? 'jit' : 'eager'} after 3 steps`);
  tf.dispose(tensorsIn([params, state, optState]));
  return after;
}

const Seed = suite("ssl.methods.ibot: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict, the seed's masks, the teacher temperature warming up: losses, centres, parameters and state as the seed's; jit = eager", async () => {
  const jitted = await run(true);
  const before = tf.memory().numTensors;
  const eager = await run(false);
  for (const k of Object.keys(jitted)) await check('jit vs eager', jitted[k], Array.from(await eager[k].data()), k);
  tf.dispose(Object.values(eager));
  assert.is(tf.memory().numTensors, before, 'the eager run leaves no tensor behind');
  tf.dispose(Object.values(jitted));
});
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
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks; local views train the CLS loss", async () => {
  const method = makeMethod();
  const start = tf.memory().numTensors;
  const v = scope(() => method.init(random.key(3)));
  const dict = method.toTorch(v.params, v.state);
  for (const k of ['mask_token', 'backbone.teacher.pos_embed', 'cls_head.student.6.weight', 'patch_head.teacher.4.bias', 'patch_head.ema_coefficient']) assert.ok(dict[k], k);
  assert.not.ok(dict.center, 'the centre is not in the state dict (the seed keeps it outside its buffers)');
  const back = method.fromTorch(dict);
  const again = method.toTorch(back.params, back.state);
  assert.equal(Object.keys(again).sort(), Object.keys(dict).sort());
  for (const k of Object.keys(dict)) assert.equal(Array.from(await again[k].data()), Array.from(await dict[k].data()), k);
  const extra = tf.zeros([1]);
  assert.match(errorOf(() => method.fromTorch({ ...dict, extra })), /entries not used by the model: extra/);
  const b = scope(() => ({ globalViews: [random.uniform(random.key(4), [3, 8, 8, 1]), random.uniform(random.key(5), [3, 8, 8, 1])], localViews: [random.uniform(random.key(7), [3, 4, 4, 1])] }));
  const key = random.key(6);
  const [loss, aux] = scope(() => method.loss(v.params, v.state, b, { key }));
  assert.ok(Number.isFinite((await (loss as tf.Tensor).data())[0]));
  const e = method.embed(v.params, v.state, b.globalViews[0]);
  assert.equal(e.shape, [3, 4]);
  tf.dispose([...Object.values(dict), ...Object.values(again), ...tensorsIn([v, back, b, loss, aux, e, key, extra])]);
  assert.is(tf.memory().numTensors, start, 'init, toTorch, fromTorch, loss and embed leave no tensor behind');
});
Parts.run();

const Axis = suite('ssl.methods.ibot sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch (the centre and the patch Sinkhorn over every member)', async () => {
  const steps = async (sharded: boolean) => {
    // Two steps: the second uses the centre of the first (the whole batch's under the axis).
    const method = makeMethod();
    let dict = startDict();
    for (const s of [0, 1]) {
      const batch = batchOf(fixture.steps[s]);
      const after = oneStep(method, dict, batch, opt(), sharded);
      tf.dispose([...Object.values(dict), ...tensorsIn(batch)]);
      dict = after;
    }
    return dict;
  };
  const one = await steps(false);
  const two = await steps(true);
  for (const k of Object.keys(one)) {
    const want = Array.from(await one[k].data());
    allClose(Array.from(await two[k].data()), want, { rtol: 0, atol: 1e-5 * Math.max(1e-6, maxAbs(want)) }, k);
  }
  tf.dispose([...Object.values(one), ...Object.values(two)]);
});
Axis.after(() => {
  console.log('ibot worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
