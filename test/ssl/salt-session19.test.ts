/**
 * SALT (`ssl.methods.salt`) against test/fixtures/ssl_salt_session19.json
 * (tools/ssl_salt_session19.py: the seed's `methods/salt.py`, its `multi_block_mask`, `EvalOnly`
 * teacher and `MaskedEncoder`s transcribed in PyTorch 1.13, float32) on ViTs of width 4, depth 2 on
 * 8x8 grey images (a 4x4 grid), predictor width 4, 1 block, 4 targets: the seed's state dict
 * (teacher and student with different weights) loaded with `fromTorch`, the seed's masks replayed
 * from their indices, three SGD steps (lr 0.05, momentum 0.9, weight decay 1e-4) through
 * `ssl.trainStep`, jitted and eagerly: every loss, a few entries after each step (the frozen
 * teacher's among them), the first step's gradients, the state dict and the student's embedding
 * after the three within 1e-4 (relative to each entry's largest value). Also: one step sharded over
 * an axis = one process; drawn masks follow the seed's multi-block rules (one trace); the teacher
 * is never updated and gets no gradient; `saltFromCheckpoint` from an MAE; the seed's defaults and
 * layout, one-line errors, the toTorch/fromTorch round trip, no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { contextAndTargets, multiBlockMask } from '../../lib/ssl/methods/multi-block-mask.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type MimFixture, type MimStep, checkFirstGradients, mimOpt } from './mim-steps.js';
import { checkKeyedLoss } from './round-trip.js';
import { type Arr, checkReplay, fixtureReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Fixture = Omit<MimFixture, 'config'> & {
  initial: Record<string, Arr>;
  config: MimFixture['config'] & { predictorDim: number; predictorDepth: number; predictorHeads: number; numTargets: number };
};
const fixture = loadFixture<Fixture>('ssl_salt_session19.json');
const cfg = fixture.config;
const { check, worst } = relErrChecker(1e-4);

const tinyVit = () => nn.vit('salt_s19', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 4, depth: 2, numHeads: 2 });
const makeMethod = () =>
  ssl.methods.salt({ encoder: tinyVit(), predictorEmbedDim: cfg.predictorDim, predictorDepth: cfg.predictorDepth, predictorNumHeads: cfg.predictorHeads, numTargets: cfg.numTargets });
const method = makeMethod();
const opt = () => mimOpt({ ...fixture, steps: [] });

/** The seed's initial state dict: the fixture's entries and each patch embedding's second name (the seed's MaskedEncoder registers it twice). */
function startDict(): Record<string, tf.Tensor> {
  const dict = Object.fromEntries(Object.entries(fixture.initial).map(([k, v]) => [k, tensorOf(v)]));
  for (const p of ['student.', 'teacher.backbone.']) for (const k of ['weight', 'bias']) dict[`${p}patch_embed.proj.${k}`] = tensorOf(fixture.initial[`${p}vit.patch_embed.proj.${k}`]);
  return dict;
}

/** Where a row of 0/1 values is 1. */
const onesOf = (row: number[]) => row.flatMap((v, i) => (v ? [i] : []));
/** A step's context and targets (the fixture's masks [2, L]) as the seed's index arrays [B, K], one row per image. */
function indicesOf(s: MimStep): { context: number[]; target: number[] } {
  const l = s.masks.shape[1];
  return { context: onesOf(s.masks.data.slice(0, l)), target: onesOf(s.masks.data.slice(l)) };
}
function batchOf(s: MimStep) {
  const images = tensorOf(s.images);
  const rows = (idx: number[]) => tf.tensor2d(Array.from({ length: images.shape[0] }, () => idx), undefined, 'int32');
  const { context, target } = indicesOf(s);
  return { images, contextIdx: rows(context), targetIdx: rows(target) };
}

const Seed = suite("ssl.methods.salt: the seed's steps (PyTorch transcription)");
Seed("3 SGD steps from the seed's state dict and masks: losses, parameters (the frozen teacher's too), state and embedding as the seed's; jit = eager", () =>
  checkReplay({
    ...fixtureReplay(fixture, batchOf, {
      label: 'salt',
      method,
      initialDict: startDict,
      opt: opt(),
      check,
      metrics: ['loss'],
      embedding: { images: () => tensorOf(fixture.steps[0].images), expected: fixture.embedding.data },
      // The replayed indices change length with each draw (the seed's), so each new pair of lengths is a trace.
      traces: new Set(fixture.steps.map((s) => JSON.stringify(Object.values(indicesOf(s)).map((i) => i.length)))).size,
      afterStep: async (r, s, label) => {
        const { context, target } = indicesOf(fixture.steps[s]);
        assert.equal([(await r.metrics.numContext.data())[0], (await r.metrics.numTargets.data())[0]], [context.length, target.length], `${label}: numContext, numTargets`);
      },
    }),
  }),
);
Seed("the first step's gradients (predictor, mask token, the student's class token, positions and a block) as the seed's", () =>
  checkFirstGradients({ label: 'salt', method, initialDict: startDict, fixture, check }, batchOf),
);
Seed.run();

const Axis = suite('ssl.methods.salt sharded over an axis');
Axis('one step under vmap over 2 shards with axisName = one process on the whole batch', () =>
  checkShardedMatchesOne({ method: makeMethod, initialDict: startDict, batchOf: (s) => batchOf(fixture.steps[s]), opt, steps: 2 }),
);
Axis.run();

const Frozen = suite('ssl.methods.salt: the frozen teacher');
Frozen('the teacher is state: no gradient reaches it, a step with a large learning rate and weight decay leaves it bitwise as it was, the student moves', async () => {
  const dict = startDict();
  const v = method.fromTorch(dict);
  assert.equal(Object.keys(v.params).sort(), ['encoder', 'predictor'], 'what the optimiser sees');
  const o = optim.sgd({ learningRate: 0.5, momentum: 0.9, weightDecay: 0.1 });
  const batch = batchOf(fixture.steps[0]);
  const r = ssl.trainStep(method, o)(v.params, v.state, o.init(v.params), batch);
  const after = method.toTorch(r.params, r.state);
  const teacher = Object.keys(dict).filter((k) => k.startsWith('teacher.'));
  assert.is(teacher.length, 32);
  for (const k of teacher) assert.equal(Array.from(await after[k].data()), Array.from(await dict[k].data()), k);
  const moved = (k: string) => Array.from(after[k].dataSync()).some((y, i) => y !== dict[k].dataSync()[i]);
  assert.ok(['student.vit.cls_token', 'student.vit.blocks.1.mlp.fc2.weight', 'predictor.mask_token'].every(moved), 'the student and the predictor train');
  tf.dispose([...Object.values(dict), ...Object.values(after), ...tensorsIn([v, batch, r])]);
});
Frozen.run();

const Masks = suite("ssl.methods.salt: the seed's multi-block masks");

/** Every (h, w) the seed's `_sample_block_size` can give on a g x g grid (u scanned finely, in float64). */
function reachableSizes(g: number, scale: readonly [number, number], ratio: readonly [number, number]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < 20000; i++) {
    const u = i / 20000;
    const n = Math.floor(g * g * (scale[0] + u * (scale[1] - scale[0])));
    const ar = ratio[0] + u * (ratio[1] - ratio[0]);
    const round = (x: number) => (Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x));
    out.add(`${Math.min(round(Math.sqrt(n * ar)), g - 1)}x${Math.min(round(Math.sqrt(n / ar)), g - 1)}`);
  }
  return out;
}

/** The bounding box of a 0/1 mask over a g x g grid, and whether the mask fills it. */
function box(m: number[], g: number): { h: number; w: number; filled: boolean; count: number } {
  const at = onesOf(m);
  if (!at.length) return { h: 0, w: 0, filled: true, count: 0 };
  const rows = at.map((i) => Math.floor(i / g));
  const cols = at.map((i) => i % g);
  const h = Math.max(...rows) - Math.min(...rows) + 1;
  const w = Math.max(...cols) - Math.min(...cols) + 1;
  return { h, w, filled: h * w === at.length, count: at.length };
}

Masks("blocks are rectangles of the seed's sizes: one size per kind (scale, aspect ratio), at most side - 1; SALT's context is its block minus the targets", async () => {
  const g = 14;
  const o = { numTargets: 4, contextScale: [0.85, 1] as const, contextAspectRatio: [1, 1] as const, targetScale: [0.15, 0.2] as const, targetAspectRatio: [0.75, 1.5] as const };
  const targetSizes = reachableSizes(g, o.targetScale, o.targetAspectRatio);
  const seen = new Set<string>();
  const start = tf.memory().numTensors;
  for (let seed = 0; seed < 12; seed++) {
    const key = random.key(seed);
    const drawn = scope(() => multiBlockMask(key, g, g, [{ scale: o.contextScale, aspectRatio: o.contextAspectRatio }, ...Array.from({ length: 4 }, () => ({ scale: o.targetScale, aspectRatio: o.targetAspectRatio }))])) as tf.Tensor;
    const blocks = (await drawn.array()) as number[][];
    const shapes = blocks.map((b) => box(b, g));
    assert.ok(shapes.every((s) => s.filled && s.count > 0), 'each block a filled rectangle');
    // floor(196 s) in [166, 195]: sqrt rounds to 13 or 14, clamped to 13.
    assert.equal([shapes[0].h, shapes[0].w], [13, 13], 'the context block');
    const t = shapes.slice(1).map((s) => `${s.h}x${s.w}`);
    assert.ok(t.every((s) => s === t[0]), `the targets share one size: ${t.join(', ')}`);
    assert.ok(targetSizes.has(t[0]), `target size ${t[0]} is one the seed draws (${[...targetSizes].join(', ')})`);
    seen.add(t[0]);
    // The same key through SALT's masks: the union of the targets, the context block less them, shared by the batch.
    const m = scope(() => contextAndTargets(key, 3, g, g, o));
    const [ctx, tgt] = [(await (m.context as tf.Tensor).array()) as number[][], (await (m.target as tf.Tensor).array()) as number[][]];
    const union = blocks[0].map((_, i) => Math.max(...blocks.slice(1).map((b) => b[i])));
    assert.equal(tgt, [union, union, union]);
    assert.equal(ctx[2], blocks[0].map((c, i) => c * (1 - union[i])));
    tf.dispose(tensorsIn([key, drawn, m]));
  }
  assert.ok(seen.size >= 3, `the target size varies with the key: ${[...seen].join(', ')}`);
  assert.is(tf.memory().numTensors, start, 'no tensor left behind');
});

Masks('training from drawn masks: one trace for every step, a finite loss, the metrics', async () => {
  const m = makeMethod();
  let { params, state } = m.init(random.key(1));
  const o = optim.sgd({ learningRate: 0.05 });
  let optState = o.init(params);
  const step = jit(ssl.trainStep(m, o));
  for (let s = 0; s < 3; s++) {
    const [x, key] = [tensorOf(fixture.steps[s].images), random.key(10 + s)];
    const r = step(params, state, optState, { images: x }, key);
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    assert.ok(Number.isFinite((await r.metrics.loss.data())[0]));
    const [nc, nt] = [(await r.metrics.numContext.data())[0], (await r.metrics.numTargets.data())[0]];
    // A 4x4 grid: the context block is 3x3, target blocks 1x1 to 2x2.
    assert.ok(nt >= 1 && nc + nt <= 16 && nc <= 9, `context ${nc}, targets ${nt}`);
    tf.dispose([x, key, ...tensorsIn(r.metrics)]);
  }
  assert.is(step.cacheSize(), 1);
  step.clearCache();
  tf.dispose(tensorsIn([params, state, optState]));
});
Masks.run();

const Stage1 = suite('ssl.methods.saltFromCheckpoint: the teacher from a stage-1 MAE');
Stage1("from the seed's MAE state dict (its encoder.* entries, the decoder's dropped), from the MAE's variables, or from an encoder's own dict; the student fresh", async () => {
  const start = tf.memory().numTensors;
  const mae = ssl.methods.mae({ encoder: tinyVit(), decoderEmbedDim: 4, decoderDepth: 1, decoderNumHeads: 2 });
  const k7 = random.key(7);
  const stage1 = mae.init(k7);
  const maeDict = mae.toTorch(stage1.params, stage1.state);
  const key = random.key(8);
  const fromDict = ssl.methods.saltFromCheckpoint(method, maeDict, key);
  const fromVars = ssl.methods.saltFromCheckpoint(method, stage1, key);
  const own = Object.fromEntries(Object.entries(maeDict).filter(([k]) => k.startsWith('encoder.')).map(([k, v]) => [k.slice('encoder.'.length), v]));
  const fromOwn = ssl.methods.saltFromCheckpoint(method, own, key);
  const fresh = method.init(key);
  const freshDict = method.toTorch(fresh.params, fresh.state);
  for (const v of [fromDict, fromVars, fromOwn]) {
    const d = method.toTorch(v.params, v.state);
    for (const k of Object.keys(d)) {
      const want = k.startsWith('teacher.backbone.') ? maeDict[`encoder.${k.slice('teacher.backbone.'.length)}`] : freshDict[k];
      assert.equal(Array.from(await d[k].data()), Array.from(await want.data()), k);
    }
    tf.dispose(Object.values(d));
  }
  tf.dispose([k7, key, ...Object.values(maeDict), ...Object.values(freshDict), ...tensorsIn([stage1, fromDict, fromVars, fromOwn, fresh])]);
  assert.is(tf.memory().numTensors, start, 'no tensor left behind');
});
Stage1('a checkpoint that does not fit the teacher is a one-line error naming the entry', () => {
  const start = tf.memory().numTensors;
  const [key, k7] = [random.key(9), random.key(7)];
  const wide = ssl.methods.mae({ encoder: nn.vit('salt_s19_wide', { imgSize: 8, patchSize: 2, inChannels: 1, embedDim: 8, depth: 2, numHeads: 2 }), decoderEmbedDim: 4, decoderDepth: 1, decoderNumHeads: 2 });
  const v = wide.init(k7);
  const d = wide.toTorch(v.params, v.state);
  assert.is(errorOf(() => ssl.methods.saltFromCheckpoint(method, d, key)), "salt.fromCheckpoint: 'encoder.vit.patch_embed.proj.weight' has shape [8,1,2,2], expected [4,1,2,2]");
  assert.is(errorOf(() => ssl.methods.saltFromCheckpoint(method, v, key)), "salt.fromCheckpoint: the stage-1 variables do not fit SALT's encoder: 'vit.patch_embed.proj.weight' has shape [8,1,2,2], expected [4,1,2,2]");
  const m = ssl.methods.mae({ encoder: tinyVit(), decoderEmbedDim: 4, decoderDepth: 1, decoderNumHeads: 2 });
  const ok = m.init(k7);
  const extra = { ...m.toTorch(ok.params, ok.state), 'encoder.vit.head.weight': tf.zeros([2, 4]) };
  assert.is(errorOf(() => ssl.methods.saltFromCheckpoint(method, extra, key)), 'salt.fromCheckpoint: entries not used by the teacher: encoder.vit.head.weight');
  assert.is(errorOf(() => ssl.methods.saltFromCheckpoint(method, { params: { decoder: {} }, state: {} }, key)), "salt.fromCheckpoint: stage-1 variables must hold params.encoder and state.encoder (an MAE's), got params with decoder");
  assert.is(errorOf(() => ssl.methods.saltFromCheckpoint(m as never, extra, key)), "salt.fromCheckpoint: expected a method made by ssl.methods.salt, got 'mae'");
  tf.dispose([key, k7, ...Object.values(d), ...Object.values(extra), ...tensorsIn([v, ok])]);
  assert.is(tf.memory().numTensors, start, 'no tensor left behind');
});
Stage1.run();

const Parts = suite('ssl.methods.salt: registry, defaults, layout, errors');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('salt'));
  const d = ssl.methods.byName('salt').defaults;
  assert.equal(
    [d.encoder, d.predictorEmbedDim, d.predictorDepth, d.predictorNumHeads, d.numTargets, d.contextScale, d.targetScale, d.contextAspectRatio, d.targetAspectRatio],
    ['vit_tiny_patch16_224', 384, 12, 16, 4, [0.85, 1], [0.15, 0.2], [1, 1], [0.75, 1.5]],
  );
});
Parts('configuration and batch errors are one line naming the field', () => {
  assert.is(errorOf(() => ssl.methods.salt({ targetScale: [0.2, 0.1] })), 'salt config: at .targetScale expected [min, max] with 0 < min <= max <= 1, got [0.2, 0.1]');
  assert.is(errorOf(() => ssl.methods.salt({ contextAspectRatio: [0, 1] })), 'salt config: at .contextAspectRatio expected [min, max] with 0 < min <= max, got [0, 1]');
  assert.is(errorOf(() => ssl.methods.salt({ contextScale: [0.5] as never })), 'salt config: at .contextScale expected a pair [min, max] of finite numbers, got [0.5]');
  assert.is(errorOf(() => ssl.methods.salt({ predictorEmbedDim: 12, predictorNumHeads: 8 })), 'salt config: at .predictorEmbedDim expected a multiple of predictorNumHeads 8, got 12');
  assert.is(errorOf(() => ssl.methods.salt({ numTargets: 0 })), 'salt config: at .numTargets expected a positive integer, got 0');
  assert.match(errorOf(() => ssl.methods.salt({ encoder: 'resnet18' })), /^salt: the encoder must be a ViT/);
  assert.is(errorOf(() => ssl.methods.salt({ encoder: nn.vit('one_patch', { imgSize: 4, patchSize: 4, inChannels: 1, embedDim: 4, depth: 1, numHeads: 2 }), predictorEmbedDim: 4, predictorNumHeads: 2 })), 'salt: the patch grid must be at least 2x2 (blocks span at most side - 1 patches), got 1x1 (imgSize 4, patchSize 4)');
  const v = method.init(random.key(0));
  const x = tf.ones([2, 8, 8, 1]);
  const [idx, rows3, x12, key] = [tf.zeros([2, 3], 'int32'), tf.zeros([3, 2], 'int32'), tf.ones([2, 12, 12, 1]), random.key(1)];
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: x })), 'salt: the loss needs a key (for the multi-block masks) or the batch its contextIdx and targetIdx');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: x, contextIdx: idx } as never)), 'salt: give both contextIdx and targetIdx, or neither (the key draws them)');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: x, contextIdx: idx, targetIdx: rows3 })), 'salt: targetIdx must be [2, K] patch indices (one row per image, K >= 1), got [3,2]');
  assert.is(errorOf(() => method.loss(v.params, v.state, { images: x12 }, { key })), 'salt: expected 8x8 images (4x4 patches: the predictor\'s position embedding is fixed), got [2,12,12,1]');
  assert.match(errorOf(() => method.loss(v.params, { ...v.state, teacher: undefined }, { images: x, contextIdx: idx, targetIdx: idx })), /^salt: the state has no 'teacher'/);
  tf.dispose(tensorsIn([v, x, idx, rows3, x12, key]));
});
Parts("toTorch / fromTorch round trip in the seed's layout; a key draws the masks", () =>
  checkKeyedLoss({
    method: makeMethod(),
    layout: (dict) => {
      assert.equal(Object.keys(dict).sort(), Object.keys(fixture.state_after).sort());
      for (const k of Object.keys(dict)) assert.equal(dict[k].shape, fixture.state_after[k].shape, k);
    },
    batch: () => ({ images: scope(() => random.uniform(random.key(4), [3, 8, 8, 1])) }),
    embedded: (b) => b.images as tf.Tensor,
  }),
);
Parts('init draws the teacher as its own encoder (the seed without teacher_state_dict), not a copy of the student', async () => {
  const v = method.init(random.key(5));
  const d = method.toTorch(v.params, v.state);
  const [s, t] = [Array.from(await d['student.vit.blocks.0.attn.qkv.weight'].data()), Array.from(await d['teacher.backbone.vit.blocks.0.attn.qkv.weight'].data())];
  assert.ok(s.some((x, i) => x !== t[i]));
  tf.dispose([...Object.values(d), ...tensorsIn(v)]);
});
Parts.after(() => {
  console.log('salt worst relative errors:', Object.fromEntries(Object.entries(worst).filter(([k]) => !k.includes(':')).map(([k, e]) => [k, e.toExponential(1)])));
});
Parts.run();
