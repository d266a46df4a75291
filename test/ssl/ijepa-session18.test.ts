/**
 * I-JEPA (`ssl.methods.ijepa`) against test/fixtures/ssl_ijepa_session18.json
 * (tools/ssl_ijepa_session18.py: a PyTorch 1.13 transcription of the seed's `methods/ijepa.py` and
 * its `MaskedEncoder`, `FlexibleTransformer` predictor, `IJEPAMasking` and `TeacherStudentWrapper`
 * on a tiny ViT: 16x16 grey images, patch 4, width 16, 2 blocks, 2 heads; predictor width 8, 1
 * block). Both sides start from the same closed-formula weights (student and teacher differ); the
 * seed's masks are replayed from its indices. Three steps of SGD (lr 0.05, momentum 0.9, weight
 * decay 1e-4) with the teacher's EMA (cosine 0.9 -> 1 over 3 steps) through `ssl.trainStep`,
 * jitted and eagerly: losses, then every state-dict entry after (whole, or its first values, its
 * dot product with a fixed vector and its sum of squares) and the student's pooled features within
 * 1e-4 relative. Also: drawn masks (the seed's multi-block rules, one trace), the defaults and
 * configuration errors, the state-dict round trip, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { multiBlockMasks } from '../../lib/ssl/methods/ijepa-masks.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type Replay, checkReplay } from './seed-steps.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Summary {
  shape: number[];
  data?: number[];
  head?: number[];
  dot?: number;
  sq?: number;
}
interface Fixture {
  config: { img: number; patch: number; channels: number; dim: number; depth: number; heads: number; predictorDim: number; predictorDepth: number; batch: number; lr: number; momentum: number; weightDecay: number; ema: [number, number, number] };
  params: { name: string; shape: number[]; seed: number; offset: number; scale: number }[];
  state_dict: Record<string, number[]>;
  steps: { contextIdx: number[][]; targetIdx: number[][]; loss: number }[];
  after: Record<string, Summary>;
  embedding: number[];
}

const fx = loadFixture<Fixture>('ssl_ijepa_session18.json');
const cfg = fx.config;
const TOL = 1e-4;
const { check, worst } = relErrChecker(TOL);

/** The generator's closed formula: offset + scale sin(0.37 (i + 1) + 1.3 seed) over the flat index, in float32. */
function det(shape: number[], seed: number, offset = 0, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, (_, i) => offset + scale * Math.sin(0.37 * (i + 1) + 1.3 * seed)), shape);
}

function tinyIjepa() {
  const encoder = nn.vit('vit_ijepa_test', { imgSize: cfg.img, patchSize: cfg.patch, inChannels: cfg.channels, embedDim: cfg.dim, depth: cfg.depth, numHeads: cfg.heads });
  const [emaStart, emaEnd, emaSteps] = cfg.ema;
  return ssl.methods.ijepa({ encoder, predictorEmbedDim: cfg.predictorDim, predictorDepth: cfg.predictorDepth, numTargets: 2, emaStart, emaEnd, emaSteps });
}

/** The seed's starting state dict: the formula's parameters, the duplicated patch embedding, and the buffers. */
function startDict(method: ReturnType<typeof tinyIjepa>): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = {};
  for (const p of fx.params) dict[p.name] = det(p.shape, p.seed, p.offset, p.scale);
  for (const who of ['student', 'teacher']) for (const k of ['weight', 'bias']) dict[`encoder.${who}.patch_embed.proj.${k}`] = dict[`encoder.${who}.vit.patch_embed.proj.${k}`];
  const key = random.key(0);
  const fresh = method.init(key);
  const made = method.toTorch(fresh.params, fresh.state);
  for (const [k, v] of Object.entries(made)) if (dict[k] === undefined) dict[k] = v;
  tf.dispose([key, ...Object.values(made).filter((v) => !Object.values(dict).includes(v)), ...tensorsIn(fresh)]);
  return dict;
}

const images = (step: number) => det([cfg.batch, cfg.img, cfg.img, cfg.channels], 100 + step, 0.5, 0.5);
const COT = (n: number) => Float64Array.from({ length: n }, (_, i) => Math.cos(0.37 * i + 0.1));

/** A state entry against the fixture's summary (whole, or head + dot with cot + sum of squares), within TOL of its scale. */
async function checkEntry(k: string, actual: tf.Tensor, s: Summary, what: string, label: string): Promise<void> {
  assert.equal(actual.shape, s.shape, `${label}: ${k} shape`);
  if (s.data) return check(`${what}${k}`, actual, s.data, label, 1e-6);
  const a = Array.from(await actual.data());
  const sq = a.reduce((t, x) => t + x * x, 0);
  const rms = Math.sqrt(s.sq! / a.length);
  const headErr = Math.max(...s.head!.map((e, i) => Math.abs(a[i] - e))) / Math.max(rms, ...s.head!.map(Math.abs));
  assert.ok(headErr < TOL, `${label}: ${k} first values relative error ${headErr.toExponential(3)}`);
  const cot = COT(a.length);
  const dot = a.reduce((t, x, i) => t + x * cot[i], 0);
  const dotErr = Math.abs(dot - s.dot!) / Math.sqrt(s.sq! * cot.reduce((t, c) => t + c * c, 0));
  assert.ok(dotErr < TOL, `${label}: ${k} dot relative error ${dotErr.toExponential(3)}`);
  assert.ok(Math.abs(sq - s.sq!) / s.sq! < 2 * TOL, `${label}: ${k} sum of squares ${sq} vs ${s.sq}`);
  worst[`after (summaries)`] = Math.max(worst['after (summaries)'] ?? 0, headErr, dotErr);
}

/** Each state entry against the fixture's (whole or summarised). */
async function checkEntries(dict: Record<string, tf.Tensor>, want: Record<string, Summary>, what: string, label: string): Promise<void> {
  for (const [k, s] of Object.entries(want)) await checkEntry(k, dict[k], s, what, label);
}

const batchOf = (s: number) => ({ images: images(s), contextIdx: tf.tensor2d(fx.steps[s].contextIdx, undefined, 'int32'), targetIdx: tf.tensor2d(fx.steps[s].targetIdx, undefined, 'int32') });

/** The fixture's 3 steps from the seed's start: losses, the state dict after (names and shapes too) and the features. */
function replay(): Replay<ReturnType<typeof batchOf>, Summary> {
  const method = tinyIjepa();
  return {
    label: 'ijepa',
    method,
    initialDict: () => startDict(method),
    opt: optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay }),
    check,
    steps: fx.steps,
    metrics: ['loss'],
    batchOf,
    afterStep: async (r, s, label) => assert.is(r.metrics.numTargets.dataSync()[0], fx.steps[s].targetIdx[0].length, `${label}: numTargets`),
    // The replayed indices change length with each draw (the seed's), so each new length is a trace.
    traces: new Set(fx.steps.map((s) => `${s.contextIdx[0].length},${s.targetIdx[0].length}`)).size,
    stateAfter: fx.after,
    checkDict: checkEntries,
    floorOf: () => 1e-6,
    layout: fx.state_dict,
    embedding: { images: () => images(0), expected: fx.embedding },
  };
}

const Seed = suite("ssl.methods.ijepa: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's weights and masks: losses, state after and features as the seed's; jit = eager; no leaks", async () => {
  await checkReplay(replay());
  const whole = Math.max(...Object.entries(worst).filter(([k]) => /^state after: [ep]/.test(k)).map(([, v]) => v));
  const rest = Object.entries(worst).filter(([k]) => !/^state after: [ep]/.test(k));
  console.log('  ijepa worst relative errors:', [...rest, ['state after (whole entries)', whole] as const].map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', '));
});
Seed.run();

const Parts = suite('ssl.methods.ijepa: masks, defaults, errors, state dicts');

Parts("drawn masks follow the seed's multi-block rules: shared disjoint targets, a context outside them of max(1, floor(n r)) patches", async () => {
  const o = { numTargets: 4, targetScale: [0.15, 0.2] as const, targetAspectRatio: [0.75, 1.5] as const, contextScale: [0.85, 1] as const };
  for (let seed = 0; seed < 4; seed++) {
    const key = random.key(seed);
    const m = multiBlockMasks(key, 3, 14, 14, o);
    const [t, c] = [(await (m.target as tf.Tensor).array()) as number[][], (await (m.context as tf.Tensor).array()) as number[][]];
    for (let b = 0; b < 3; b++) {
      assert.equal(t[b], t[0], 'targets shared by the batch');
      assert.ok(c[b].every((v, i) => !(v && t[b][i])), 'context outside the targets');
      const nAvail = t[b].filter((v) => !v).length;
      const nCtx = c[b].filter((v) => v).length;
      assert.ok(nCtx >= Math.max(1, Math.floor(nAvail * 0.85)) && nCtx <= nAvail, `context ${nCtx} of ${nAvail}`);
    }
    const nT = t[0].filter((v) => v).length;
    // Each of the 4 blocks is at most round(sqrt(196 * 0.2 * 1.5)) x round(sqrt(196 * 0.2 / 0.75)) = 8 x 7 patches.
    assert.ok(nT > 0 && nT <= 4 * 56, `targets ${nT}`);
    tf.dispose(tensorsIn([key, m]));
  }
});

Parts('training from drawn masks: one trace for every step, a finite loss, the metrics', async () => {
  const method = tinyIjepa();
  let { params, state } = method.init(random.key(1));
  const opt = optim.sgd({ learningRate: 0.05 });
  let optState = opt.init(params);
  const step = jit(ssl.trainStep(method, opt));
  for (let s = 0; s < 2; s++) {
    const [x, key] = [images(s), random.key(10 + s)];
    const r = step(params, state, optState, { images: x }, key);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    assert.ok(Number.isFinite((await r.metrics.loss.data())[0]));
    const [nc, nt] = [(await r.metrics.numContext.data())[0], (await r.metrics.numTargets.data())[0]];
    assert.ok(nt >= 1 && nc >= 1 && nc + nt <= 16, `context ${nc}, targets ${nt}`);
    tf.dispose([x, key, ...tensorsIn(r.metrics)]);
  }
  assert.is(step.cacheSize(), 1);
  step.clearCache();
  tf.dispose(tensorsIn([params, state, optState]));
});

Parts("the unused class token stays as it was (the seed's optimiser skips it: no gradient); the teacher still moves", async () => {
  const method = tinyIjepa();
  const key = random.key(5);
  const v = method.init(key);
  const opt = optim.sgd({ learningRate: 0.5, momentum: 0.9, weightDecay: 0.1 });
  const o = opt.init(v.params);
  const x = images(0);
  const batch = { images: x, contextIdx: tf.tensor2d(fx.steps[0].contextIdx, undefined, 'int32'), targetIdx: tf.tensor2d(fx.steps[0].targetIdx, undefined, 'int32') };
  const r = ssl.trainStep(method, opt)(v.params, v.state, o, batch);
  const [d0, d1] = [method.toTorch(v.params, v.state), method.toTorch(r.params, r.state)];
  for (const who of ['student', 'teacher']) assert.equal(Array.from(await d1[`encoder.${who}.vit.cls_token`].data()), Array.from(await d0[`encoder.${who}.vit.cls_token`].data()), `${who} cls_token`);
  const moved = (k: string) => Array.from(d1[k].dataSync()).some((y, i) => y !== d0[k].dataSync()[i]);
  assert.ok(moved('encoder.teacher.vit.pos_embed') && moved('encoder.student.vit.blocks.0.attn.qkv.weight'), 'the rest trains');
  tf.dispose([key, ...Object.values(d0), ...Object.values(d1), ...tensorsIn([v, o, r, batch])]);
});

Parts("defaults are the seed's; configuration and batch errors are one line", () => {
  const d = ssl.methods.byName('ijepa').defaults;
  assert.equal([d.predictorEmbedDim, d.predictorDepth, d.predictorNumHeads, d.numTargets, d.targetScale, d.targetAspectRatio, d.contextScale, d.emaStart, d.emaEnd, d.lossType], [384, 6, null, 4, [0.15, 0.2], [0.75, 1.5], [0.85, 1], 0.996, 1, 'smoothL1']);
  assert.is(errorOf(() => ssl.methods.ijepa({ targetScale: [0.2, 0.1] })), 'ijepa config: at .targetScale expected [min, max] with 0 < min <= max < 1, got [0.2, 0.1]');
  assert.is(errorOf(() => ssl.methods.ijepa({ contextScale: [0.5] as never })), 'ijepa config: at .contextScale expected a pair [min, max] of finite numbers, got [0.5]');
  assert.is(errorOf(() => ssl.methods.ijepa({ predictorEmbedDim: 10 })), 'ijepa config: at .predictorEmbedDim expected a multiple of 4 (the 2-D sine-cosine position embedding), got 10');
  assert.match(errorOf(() => ssl.methods.ijepa({ encoder: 'resnet18' })), /^ijepa: the encoder must be a ViT/);
  const method = tinyIjepa();
  const v = method.init(random.key(2));
  const x = images(0);
  assert.match(errorOf(() => method.loss(v.params, v.state, { images: x })), /^ijepa: the loss needs a key/);
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: x, contextIdx: tf.zeros([4, 2], 'int32') } as never)), 'ijepa: give both contextIdx and targetIdx, or neither (the key draws them)');
  tf.dispose([x, ...tensorsIn(v)]);
});

Parts("toTorch / fromTorch round trip in the seed's layout (names and shapes as the seed's module)", async () => {
  const method = tinyIjepa();
  const v = method.init(random.key(3));
  const dict = method.toTorch(v.params, v.state);
  assert.equal(Object.fromEntries(Object.entries(dict).map(([k, t]) => [k, t.shape]).sort()), Object.fromEntries(Object.entries(fx.state_dict).sort()));
  const back = method.fromTorch(dict);
  const again = method.toTorch(back.params, back.state);
  for (const k of Object.keys(dict)) assert.equal(Array.from(await again[k].data()), Array.from(await dict[k].data()), k);
  // The seed's init: each block's attn.proj / mlp.fc2 weights divided by sqrt(2 (i + 1)), the teacher a copy.
  assert.equal(Array.from(await dict['encoder.teacher.vit.blocks.1.mlp.fc2.weight'].data()), Array.from(await dict['encoder.student.vit.blocks.1.mlp.fc2.weight'].data()));
  const extra = { ...dict, 'predictor.extra': tf.zeros([1]) };
  assert.match(errorOf(() => method.fromTorch(extra)), /^ijepa.fromTorch: entries not used by the model: predictor.extra/);
  tf.dispose([...Object.values(extra), ...Object.values(again), ...tensorsIn([v, back])]);
});

Parts.run();

// The MSE loss option: the squared error over the target patches (checked against a direct formula).
const Mse = suite('ssl.methods.ijepa: lossType mse');
Mse("'mse' is the mean squared error of the predictions over target patches and features", async () => {
  const mk = (lossType: 'mse' | 'smoothL1') => ssl.methods.ijepa({ ...tinyIjepa().config, lossType });
  const [a, b] = [mk('mse'), mk('smoothL1')];
  const rows = (r: number[]) => Array.from({ length: cfg.batch }, () => r);
  const v = a.init(random.key(4));
  const batch = { images: images(1), contextIdx: tf.tensor2d(rows([0, 1, 2, 3]), undefined, 'int32'), targetIdx: tf.tensor2d(rows([10, 11, 14, 15]), undefined, 'int32') };
  const [mse] = a.loss(v.params, v.state, batch);
  const [sl1] = b.loss(v.params, v.state, batch);
  // Smooth L1 is 0.5 d^2 where |d| < 1: half the MSE unless some error reaches 1.
  const [m, s] = [(await mse.data())[0], (await sl1.data())[0]];
  assert.ok(s <= m / 2 + 1e-6 && s > 0, `smooth L1 ${s} vs mse ${m}`);
  tf.dispose(tensorsIn([mse, sl1, v, batch]));
});
Mse.run();
