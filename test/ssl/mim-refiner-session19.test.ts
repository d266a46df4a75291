/**
 * MIM-Refiner (`ssl.methods.mimRefiner`) against test/fixtures/ssl_mim_refiner_session19.json
 * (tools/ssl_mim_refiner_session19.py: the seed's `methods/mim_refiner.py` over the session-18
 * transcription of its iBOT, PyTorch 1.13, float32) on a ViT of width 4, depth 2 on 8x8 grey
 * images, 2 global views, the student's first block frozen: the seed's state dict loaded with
 * `fromTorch`, the seed's masks replayed, three SGD steps (lr 0.05, momentum 0.9, weight decay 1e-4)
 * with the teacher temperature warming up, through `ssl.trainStep`, jitted (one trace) and eagerly:
 * every loss and its parts, the centre each step used, a few parameters after each step (the frozen
 * block's, student and teacher), the first two steps' gradients (eager run; none into the frozen
 * block) and the state dict after the three steps within 1e-4 (relative to each entry's largest
 * value). Also: `init` from a pretrained encoder (a state dict or variables) gives the student and the
 * teacher its weights and iBOT's heads, the frozen blocks bitwise unchanged by an optimiser with weight
 * decay, one step sharded over an axis = one process, the seed's defaults and layout, one-line errors,
 * the toTorch/fromTorch round trip, no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type IbotFixture, type IbotStep, checkVitGrads, initialDict } from './masked-vit-steps.js';
import { checkKeyedLoss } from './round-trip.js';
import { checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Step = IbotStep;
type Fixture = IbotFixture<{ freezeLowerBlocks: number }>;
const fixture = loadFixture<Fixture>('ssl_mim_refiner_session19.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);
const WRAPPERS = ['backbone', 'cls_head', 'patch_head'];
const TRAINED = 'backbone.student.blocks.1.attn.qkv.weight';

const vit = () => nn.vit('mimrefiner_s19', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 2 });
/** The fixture's tiny iBOT settings. */
const IBOT = {
  projector: ssl.head([8, 8, 4], { activation: 'gelu', batchNorm: false }),
  numClsPrototypes: 6,
  numPatchPrototypes: 5,
  warmupTeacherTemperature: cfg.warmupTeacherTemperature,
  teacherTemperature: cfg.teacherTemperature,
  warmupTeacherSteps: cfg.warmupTeacherSteps,
  emaStart: cfg.ema,
};
const makeMethod = (extra: Partial<ssl.methods.MimRefinerConfig> = {}) => ssl.methods.mimRefiner({ encoder: vit(), ...IBOT, freezeLowerBlocks: cfg.freezeLowerBlocks, ...extra });

/** The pretrained encoder's state dict in timm's names: the fixture's initial student backbone (fresh tensors). */
const pretrainedDict = () =>
  Object.fromEntries(
    Object.entries(fixture.initial_student)
      .filter(([k]) => k.startsWith('backbone.student.'))
      .map(([k, v]) => [k.slice('backbone.student.'.length), tensorOf(v)]),
  );
const startDict = () => initialDict(fixture.initial_student, WRAPPERS, cfg.ema);
const batchOf = (s: Step) => ({ globalViews: s.globalViews.map(tensorOf), masks: s.masks.map(tensorOf) });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
const replayed = makeMethod();

const Seed = suite("ssl.methods.mimRefiner: the seed's steps (PyTorch transcription)");
/** Before each step: the centre it uses; in the eager run, the gradients where the seed wrote them, none into the frozen block. */
async function beforeStep(v: { params: any; state: any }, batch: ReturnType<typeof batchOf>, s: number, label: string, useJit: boolean): Promise<void> {
  const ref = fixture.steps[s];
  await check('center used', v.state.center, ref.center.data, label, 1);
  // The frozen block exactly as the seed started it (bitwise: the fixture's float32 values).
  const d = replayed.toTorch(v.params, v.state);
  for (const [k, x] of Object.entries(d)) if (k.startsWith('backbone.student.blocks.0.')) assert.equal(Array.from(await x.data()), fixture.initial_student[k].data.map(Math.fround), `${label}: ${k} frozen`);
  tf.dispose(Object.values(d));
  if (useJit || !ref.grads) return;
  await checkVitGrads(check, replayed, v, batch, ref.grads, label);
  const { loss, grads, aux } = ssl.lossAndGrad(replayed, v.params, v.state, batch);
  const g = replayed.toTorch(grads, v.state);
  await check('grad trained block', g[TRAINED], ref.grads[TRAINED].data, label);
  for (const [k, x] of Object.entries(g)) if (k.startsWith('backbone.student.blocks.0.')) assert.ok(Array.from(await x.data()).every((e) => e === 0), `${label}: no gradient into the frozen ${k}`);
  tf.dispose(Object.values(g));
  disposeExcept({ loss, grads, aux }, v.params, v.state);
}
Seed("3 SGD steps from the seed's state dict, the first block frozen, the seed's masks: losses, centres, parameters and state as the seed's; jit = eager", () =>
  checkReplay(fixtureReplay(fixture, batchOf, { label: 'mimRefiner', method: replayed, initialDict: startDict, opt: opt(), check, metrics: ['loss', 'clsLoss', 'patchLoss', 'teacherTemperature'], beforeStep })),
);
Seed.run();

const Pretrained = suite('ssl.methods.mimRefiner: the pretrained encoder, the frozen blocks');
/** The state dict of `init(key)` of a method. */
const initDict = (method: ssl.Method, seed: number) => {
  const key = random.key(seed);
  const v = method.init(key);
  const d = method.toTorch(v.params, v.state);
  tf.dispose([key, ...tensorsIn(v)]);
  return d;
};
Pretrained("init: the student's and the teacher's encoder are the pretrained one (a state dict or variables), the rest iBOT's from the key; the caller keeps its tensors", async () => {
  const start = tf.memory().numTensors;
  const dict = pretrainedDict();
  const fromDict = initDict(makeMethod({ pretrainedEncoder: dict }), 5);
  for (const [k, x] of Object.entries(dict)) {
    const want = Array.from(await x.data());
    assert.equal(Array.from(await fromDict[`backbone.student.${k}`].data()), want, `student ${k}`);
    assert.equal(Array.from(await fromDict[`backbone.teacher.${k}`].data()), want, `teacher ${k}`);
  }
  // The same weights as variables (e.g. another method's params.encoder / state.encoder).
  const enc = vit().fromTorch(new nn.TorchReader(dict), '');
  const fromVars = initDict(makeMethod({ pretrainedEncoder: enc }), 5);
  const ibotInit = initDict(ssl.methods.ibot({ encoder: vit(), ...IBOT }), 5);
  assert.equal(Object.keys(fromVars).sort(), Object.keys(ibotInit).sort(), "iBOT's state dict");
  for (const k of Object.keys(ibotInit)) {
    const want = k.startsWith('backbone.') && !k.includes('ema_coefficient') ? fromDict[k] : ibotInit[k];
    assert.equal(Array.from(await fromVars[k].data()), Array.from(await want.data()), k);
  }
  const fresh = initDict(makeMethod(), 5);
  assert.not.equal(Array.from(await fresh['backbone.student.pos_embed'].data()), Array.from(await fromDict['backbone.student.pos_embed'].data()), 'without it, a fresh encoder');
  // Still the caller's: usable after the method's copies are gone.
  assert.equal(Array.from(await dict.pos_embed.data()), fixture.initial_student['backbone.student.pos_embed'].data);
  tf.dispose([...Object.values(dict), ...Object.values(fromDict), ...Object.values(fromVars), ...Object.values(ibotInit), ...Object.values(fresh), ...tensorsIn(enc)]);
  assert.is(tf.memory().numTensors, start, 'nothing leaks');
});
Pretrained('the frozen blocks stay bitwise as they were under an optimiser with weight decay and momentum (jitted, 2 steps); the others train; the teacher follows by EMA', async () => {
  const method = makeMethod({ freezeLowerBlocks: 1 });
  const tx = optim.adamw({ learningRate: 0.1, weightDecay: 0.5 });
  const start = method.fromTorch(startDict());
  const before = method.toTorch(start.params, start.state);
  let v = { params: start.params, state: start.state, optState: tx.init(start.params) };
  const step = jit(ssl.trainStep(method, tx));
  for (const s of [0, 1]) {
    const b = batchOf(fixture.steps[s]);
    const r = step(v.params, v.state, v.optState, b);
    disposeExcept(v, r);
    v = r;
    tf.dispose(tensorsIn([b, r.metrics]));
  }
  assert.is(step.cacheSize(), 1, 'one trace');
  step.clearCache();
  const after = method.toTorch(v.params, v.state);
  for (const k of Object.keys(before)) {
    const [x, y] = [Array.from(await before[k].data()), Array.from(await after[k].data())];
    if (k.startsWith('backbone.student.blocks.0.')) assert.equal(y, x, `${k} frozen`);
    else if (k.startsWith('backbone.student.blocks.1.')) assert.not.equal(y, x, `${k} trained`);
    // The teacher's copies: the EMA of equal values, equal within rounding.
    if (k.startsWith('backbone.teacher.blocks.0.')) y.forEach((t, i) => assert.ok(Math.abs(t - x[i]) <= 1e-6 * Math.max(1, Math.abs(x[i])), `${k} teacher`));
  }
  tf.dispose([...Object.values(before), ...Object.values(after), ...tensorsIn(v)]);
});
Pretrained.run();

const Parts = suite('ssl.methods.mimRefiner: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults (iBOT's, and no block frozen)", () => {
  assert.ok(ssl.methods.names().includes('mimRefiner'));
  const d = ssl.methods.byName('mimRefiner').defaults;
  const { pretrainedEncoder, freezeLowerBlocks, ...rest } = d;
  assert.equal([pretrainedEncoder, freezeLowerBlocks], [null, 0]);
  assert.equal(rest, ssl.methods.ibot.defaults);
});
Parts('configuration, pretrained-encoder and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => makeMethod({ freezeLowerBlocks: 3 })), "mimRefiner config: at .freezeLowerBlocks expected at most the encoder's 2 blocks, got 3");
  assert.is(errorOf(() => ssl.methods.mimRefiner({ freezeLowerBlocks: -1 })), 'mimRefiner config: at .freezeLowerBlocks expected an integer >= 0, got -1');
  assert.match(errorOf(() => ssl.methods.mimRefiner({ pretrainedEncoder: 'mae.safetensors' as never })), /^mimRefiner config: at \.pretrainedEncoder expected an encoder's variables \{ params, state \} or its state dict \(names -> tensors\)/);
  assert.is(errorOf(() => ssl.methods.mimRefiner({ studentTemperature: 0 })), 'mimRefiner config: at .studentTemperature expected a finite number > 0, got 0');
  assert.match(errorOf(() => ssl.methods.mimRefiner({ encoder: 'resnet18' })), /^mimRefiner: the encoder must be a ViT/);
  const dict = pretrainedDict();
  const wrong = { ...dict, pos_embed: tf.zeros([1, 10, 4]) };
  assert.is(errorOf(() => makeMethod({ pretrainedEncoder: wrong }).init(random.key(0))), "mimRefiner config: at .pretrainedEncoder loadTorchStateDict: 'pos_embed' has shape [1,10,4], expected [1,17,4]");
  const extra = { ...dict, head: tf.zeros([1]) };
  assert.is(errorOf(() => makeMethod({ pretrainedEncoder: extra }).init(random.key(0))), 'mimRefiner config: at .pretrainedEncoder entries not used by the encoder: head');
  const method = makeMethod();
  const v = method.init(random.key(0));
  const views = { globalViews: [tf.ones([2, 8, 8, 1]), tf.ones([2, 8, 8, 1])] };
  assert.is(errorOf(() => method.loss(v.params, v.state, { ...views, masks: [tf.ones([2, 16])] })), 'mimRefiner: masks must be a list of 2 arrays [2,16] (one per global view), got 1 entries');
  assert.is(errorOf(() => method.loss(v.params, v.state, views)), 'mimRefiner: the loss needs a key (for the patch masks) or the batch its masks');
  tf.dispose([...Object.values(dict), wrong.pos_embed, extra.head, ...tensorsIn([v, views])]);
});
Parts("toTorch / fromTorch round trip in iBOT's layout from a pretrained init; a key draws the masks", () => {
  const dict = pretrainedDict();
  const method = makeMethod({ pretrainedEncoder: dict });
  return checkKeyedLoss({
    method,
    layout: (d) => assert.equal(Object.keys(d).sort(), Object.keys(fixture.state_after).sort()),
    batch: () => ({ globalViews: [random.uniform(random.key(4), [3, 8, 8, 1]), random.uniform(random.key(5), [3, 8, 8, 1])] }),
    embedded: (b) => b.globalViews[0] as tf.Tensor,
  }).finally(() => tf.dispose(Object.values(dict)));
});
Parts.run();

const Axis = suite('ssl.methods.mimRefiner sharded over an axis');
Axis('two steps under vmap over 2 shards with axisName = one process on the whole batch (frozen block, centre and patch Sinkhorn over every member)', () =>
  checkShardedMatchesOne({ method: makeMethod, initialDict: startDict, batchOf: (s) => batchOf(fixture.steps[s]), opt, steps: 2 }),
);
Axis.after(() => {
  console.log('mimRefiner worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Axis.run();
