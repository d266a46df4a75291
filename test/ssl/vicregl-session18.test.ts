/**
 * VICRegL (`ssl.methods.vicregl`) against test/fixtures/ssl_vicregl_session18.json
 * (tools/ssl_vicregl_session18.py: the seed's `methods/vicregl.py` transcribed in PyTorch 1.13,
 * float32) on a tiny timm-style ViT (8x8 RGB, patch 2: 16 patches, width 8, depth 2) with 12-wide
 * projectors and alpha 0.7: the starting weights drawn on both sides from JAX's uniform (Threefry,
 * bit-exact), loaded with `fromTorch`, 3 steps of SGD (lr 0.05, momentum 0.9, weight decay 1e-4)
 * through `ssl.trainStep`, jitted (one trace) and eagerly: every loss and its global and local
 * terms, and the whole state dict after, within 1e-4. Also: the local matching (ties, gradient),
 * `forwardFeatures` of the `nn` encoders, a ConvNet encoder, one step under vmap over 2 shards with
 * axisName = one process, the defaults, one-line errors, the state-dict round trip and no leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type Arr, type Replay, checkReplay, tensorOf } from './seed-steps.js';
import { checkShardedMatchesOne } from './sharded-step.js';
import { checkRoundTrip } from './round-trip.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

interface Fixture {
  config: { batch: number; img: number; channels: number; projectorDim: number; alpha: number; lr: number; momentum: number; weightDecay: number };
  params: { name: string; shape: number[]; seed: number; lo: number; hi: number }[];
  buffers: Record<string, Arr>;
  state_dict: Record<string, number[]>;
  steps: { viewSeeds: number[]; loss: number; lossGlobal: number; lossLocal: number }[];
  nearest_step1: number[];
  min_margin: number;
  after: Record<string, number[]>;
}
const fx = loadFixture<Fixture>('ssl_vicregl_session18.json');
const cfg = fx.config;
const { check, worst } = relErrChecker(1e-4);

const vitEncoder = () => nn.vit('vicregl_session18_vit', { imgSize: 8, patchSize: 2, inChannels: 3, embedDim: 8, depth: 2, numHeads: 2 });
const projector = ssl.head([cfg.projectorDim, cfg.projectorDim, cfg.projectorDim], { lastBias: false });
const methodOf = (encoder: nn.Layer = vitEncoder()) => ssl.methods.vicregl({ encoder, projector, localProjector: projector, alpha: cfg.alpha });
const opt = () => optim.sgd({ learningRate: cfg.lr, momentum: cfg.momentum, weightDecay: cfg.weightDecay });
/** JAX's `random.uniform(key(seed), shape, minval, maxval)` (the generator's `uniform32`). */
function uniform(seed: number, shape: number[], minval = 0, maxval = 1): tf.Tensor {
  const key = random.key(seed);
  const u = random.uniform(key, shape, { minval, maxval }) as tf.Tensor;
  tf.dispose(key as tf.Tensor);
  return u;
}

/** The generator's starting state dict: every parameter JAX's uniform of its seed and bounds, the BatchNorm buffers as written. */
function initialDict(): Record<string, tf.Tensor> {
  const dict: Record<string, tf.Tensor> = Object.fromEntries(fx.params.map((p) => [p.name, uniform(p.seed, p.shape, p.lo, p.hi)]));
  for (const [k, v] of Object.entries(fx.buffers)) dict[k] = tensorOf(v);
  return dict;
}
const viewsOf = (s: number) => ({ view1: uniform(fx.steps[s].viewSeeds[0], [cfg.batch, cfg.img, cfg.img, cfg.channels]), view2: uniform(fx.steps[s].viewSeeds[1], [cfg.batch, cfg.img, cfg.img, cfg.channels]) });

/**
 * A bias feeding a BatchNorm has a gradient of round-off only (mathematically zero): its floor is its
 * weight's scale; so is the floor of that BatchNorm's running mean, which carries the bias.
 */
function floorOf(k: string): number | undefined {
  const bn = /^(.*)\.(\d+)\.running_mean$/.exec(k);
  const wk = k.endsWith('.bias') ? k.replace(/bias$/, 'weight') : bn ? `${bn[1]}.${Number(bn[2]) - 1}.weight` : undefined;
  const w = wk === undefined ? undefined : fx.after[wk];
  return w === undefined ? undefined : Math.max(...w.map(Math.abs));
}

/** The fixture's 3 SGD steps from the generator's start: every loss and term, the whole state dict after (names and shapes too). */
const replay = (): Replay<ReturnType<typeof viewsOf>> => ({
  label: 'vicregl',
  method: methodOf(),
  initialDict,
  opt: opt(),
  check,
  steps: fx.steps,
  metrics: ['loss', 'lossGlobal', 'lossLocal'],
  batchOf: viewsOf,
  stateAfter: fx.after,
  floorOf,
  layout: fx.state_dict,
});

const Seed = suite("vicregl: the seed's steps (PyTorch transcription)");
Seed('the fixture keeps a margin between the best and second-best match (a float32 rounding flips no match)', () => {
  assert.ok(fx.min_margin > 1e-4, `min margin ${fx.min_margin}`);
});
Seed("3 SGD steps from the seed's weights: losses, global and local terms, state dict after as the seed's; jit = eager", () => checkReplay(replay()));
Seed('step 1 matches each patch of view 1 to the seed\'s patch of view 2', async () => {
  const method = methodOf();
  const dict = initialDict();
  const v = method.fromTorch(dict);
  const enc = vitEncoder();
  const b = viewsOf(0);
  // The method's local branch by hand: patch tokens through projector_local (one batch per view), then the matching.
  const local = (x: NdArray): NdArray => {
    const [f] = enc.forwardFeatures!(v.params.encoder, v.state.encoder, x);
    const patches = np.reshape(np.sliceAxis(f, 1, 1, 17), [-1, 8]);
    const [z] = ssl.mlpHead(8, projector).apply(v.params.projectorLocal, v.state.projectorLocal, patches, { train: true });
    return np.reshape(z, [cfg.batch, 16, -1]);
  };
  const zl1 = local(b.view1);
  const zl2 = local(b.view2);
  const aligned = ssl.nearestLocations(zl1, zl2);
  const expected = np.takeAlongAxis(zl2, np.expandDims(tf.tensor(fx.nearest_step1, [cfg.batch, 16], 'int32'), -1), 1);
  assert.equal(Array.from(await (aligned as tf.Tensor).data()), Array.from(await (expected as tf.Tensor).data()));
  tf.dispose([...Object.values(dict), ...tensorsIn([v, b, zl1, zl2, aligned, expected])]);
});
Seed.run();

const Local = suite('vicregLocal and nearestLocations');
Local('ties go to the first location (torch.argmax, jnp.argmax); the gradient reaches only the matched rows of zl2', async () => {
  const zl1 = tf.tensor([[[1, 0], [0, 1]]]);
  const zl2 = tf.tensor([[[0, 2], [3, 0], [1, 0], [-1, 0]]]); // rows 1 and 2 tie for zl1's row 0 (cosine 1)
  const aligned = ssl.nearestLocations(zl1, zl2);
  assert.equal(Array.from(await (aligned as tf.Tensor).data()), [3, 0, 0, 2]);
  const g = grad((z: NdArray) => np.sum(np.mul(ssl.nearestLocations(zl1, z), tf.tensor([[[1, 2], [3, 4]]]))))(zl2);
  assert.equal(Array.from(await (g as tf.Tensor).data()), [3, 4, 1, 2, 0, 0, 0, 0]);
  tf.dispose([zl1, zl2, aligned, g]);
});
Local('vicregLocal is vicreg on the matched rows; shapes are checked in one line', async () => {
  const [k1, k2] = random.split(random.key(3));
  const zl1 = random.normal(k1, [3, 4, 5]);
  const zl2 = random.normal(k2, [3, 6, 5]);
  const aligned = ssl.nearestLocations(zl1, zl2);
  const want = ssl.vicreg(np.reshape(zl1, [12, 5]), np.reshape(aligned, [12, 5]));
  const got = ssl.vicregLocal(zl1, zl2);
  allClose([(await (got as tf.Tensor).data())[0]], [(await (want as tf.Tensor).data())[0]], { rtol: 1e-6, atol: 0 });
  assert.is(errorOf(() => ssl.vicregLocal(np.reshape(zl1, [12, 5]), zl2)), 'vicregLocal: zl1 must be [batch, locations, dim], got [12,5]');
  assert.is(errorOf(() => ssl.vicregLocal(zl1, np.ones([3, 6, 4]))), 'vicregLocal: zl1 and zl2 must agree in batch and dim, got [3,4,5] and [3,6,4]');
  tf.dispose(tensorsIn([k1, k2, zl1, zl2, aligned, want, got]));
});
Local.run();

const Enc = suite('nn encoders: forwardFeatures (the features before pooling)');
Enc('convnet_small and resnet18: apply is the mean of the NHWC map; vit: apply is the class token', async () => {
  const x = random.uniform(random.key(5), [2, 8, 8, 3]);
  for (const enc of [nn.encoder('convnet_small', { inChannels: 3, widths: [4, 6] }), nn.encoder('resnet18', { lowResolution: true }), vitEncoder()]) {
    const v = enc.init(random.key(1));
    const [y, s1] = enc.apply(v.params, v.state, x, { train: true });
    const [f, s2] = enc.forwardFeatures!(v.params, v.state, x, { train: true });
    const pooled = f.shape.length === 4 ? np.mean(f, [1, 2]) : np.squeeze(np.sliceAxis(f, 1, 0, 1), 1);
    assert.equal(f.shape.length === 4 ? f.shape.slice(0, 3) : f.shape, enc.name === 'convnet_small' ? [2, 4, 4] : enc.name === 'resnet18' ? [2, 1, 1] : [2, 17, 8], enc.name);
    assert.equal(Array.from(await (pooled as tf.Tensor).data()), Array.from(await (y as tf.Tensor).data()), enc.name);
    const st1 = tensorsIn(s1);
    const st2 = tensorsIn(s2);
    for (let i = 0; i < st1.length; i++) assert.equal(Array.from(await st1[i].data()), Array.from(await st2[i].data()), `${enc.name}: state`);
    tf.dispose(tensorsIn([v, y, s1, f, s2, pooled]));
  }
  x.dispose();
});
Enc.run();

const Parts = suite('vicregl: ConvNet encoder, axis, defaults, errors, state dict');
Parts('a ConvNet encoder: its H W cells are the locations; one jitted step runs and moves every parameter', async () => {
  const method = methodOf(nn.encoder('convnet_small', { inChannels: 3, widths: [4, 6] }));
  const v = method.init(random.key(2));
  const o = opt();
  const optState = o.init(v.params);
  const batch = viewsOf(0);
  const r = jit(ssl.trainStep(method, o))(v.params, v.state, optState, batch);
  for (const m of ['loss', 'lossGlobal', 'lossLocal']) assert.ok(Number.isFinite((await (r.metrics[m] as tf.Tensor).data())[0]), m);
  const moved = tensorsIn(r.params).map((t, i) => np.max(np.abs(np.sub(t, tensorsIn(v.params)[i]))).dataSync()[0]);
  assert.ok(moved.every((d) => d > 0), `every parameter moved: ${moved.join(', ')}`);
  const e = method.embed(r.params, r.state, batch.view1);
  assert.equal(e.shape, [cfg.batch, 6]);
  tf.dispose(tensorsIn([v, optState, batch, r, e]));
});

Parts('one step under vmap over 2 shards with axisName = one process on the whole batch (state dict within 1e-5)', () =>
  checkShardedMatchesOne({ method: () => methodOf(), initialDict, batchOf: viewsOf, opt, floorOf }),
);
Parts("the seed's defaults; one-line configuration errors", () => {
  assert.ok(ssl.methods.names().includes('vicregl'));
  const d = ssl.methods.byName('vicregl').defaults;
  assert.equal([d.encoder, d.projector.dims, d.projector.lastBias, d.projector.batchNorm, d.localProjector.dims, d.simCoeff, d.stdCoeff, d.covCoeff, d.alpha], ['vit_small_patch16_224', [2048, 2048, 2048], false, true, [2048, 2048, 2048], 25, 25, 1, 0.75]);
  assert.is(errorOf(() => ssl.methods.vicregl({ alpha: 1.5 })), 'vicregl config: at .alpha expected a number in [0, 1], got 1.5');
  const flatOnly = nn.sequential([nn.linear({ in: 4, out: 3 })]);
  assert.is(
    errorOf(() => ssl.methods.vicregl({ encoder: flatOnly, embedDim: 3 })),
    'vicregl config: at .encoder expected an encoder with forwardFeatures (its features before pooling: any nn ConvNet or ViT, or nn.globalPooled(trunk)), got a layer without it',
  );
  const m = methodOf();
  const v = m.init(random.key(0));
  assert.match(errorOf(() => m.loss(v.params, v.state, { view1: tf.zeros([2, 8, 8, 3]) } as never)), /^vicregl: /);
  tf.dispose(tensorsIn(v));
});
Parts('toTorch then fromTorch gives the same variables (state dict round trip)', async () => {
  const m = methodOf();
  const v = m.init(random.key(4));
  await checkRoundTrip(m, v);
  tf.dispose(tensorsIn(v));
});
Parts.run();

process.on('exit', () => console.log('vicregl worst relative errors:', Object.entries(worst).filter(([k]) => !k.startsWith('state after: ')).map(([k, e]) => `${k} ${e.toExponential(1)}`).join(', '), '; state after', Math.max(0, ...Object.entries(worst).filter(([k]) => k.startsWith('state after: ')).map(([, e]) => e)).toExponential(1)));
