/**
 * PIRL (`ssl.methods.pirl`) against test/fixtures/ssl_pirl_session18.json (tools/ssl_pirl_session18.py:
 * the seed's `methods/pirl.py` transcribed in PyTorch 1.13, float32) on 5x5 one-channel images (a
 * 2 x 2 jigsaw, so its resize to 4x4 and back runs), a Flatten-Linear 25->8-BatchNorm-ReLU backbone,
 * projections 4 wide, a queue of 6 rows: the seed's state dict loaded with `fromTorch`, 3 steps of
 * SGD (lr 0.05, momentum 0.9, weight decay 1e-4) through `ssl.trainStep`, jitted (one trace) and
 * eagerly, the seed's permutations replayed from the batch: every loss and its two terms, and the
 * state dict (queue included) after every step within 1e-4, in the seed's queue order and in ours.
 * Also: the jigsaw alone on other shapes, one step under vmap over 2 shards with axisName = the seed
 * under DDP on 2 ranks (SyncBN, a queue per rank), the defaults, one-line errors, the state-dict
 * round trip, the evaluation embedding, and no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type Arr, type Replay, biasFloor, checkReplay, tensorOf } from './seed-steps.js';
import { shardBatch } from './sharded-step.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type State = Record<string, Arr>;
interface Run {
  steps: { loss: number; jigsawLoss: number; imageLoss: number; state?: State }[];
  state_after: State;
  embedding: Arr;
}
interface Fixture {
  config: { temperature: number; lambdaPirl: number; jigsawGrid: number; projectorDim: number; queueLength: number };
  opt: { lr: number; momentum: number; weightDecay: number };
  initial_state: State;
  batches: { view1: Arr; permutations: Arr }[];
  appendFirst: Run;
  readFirst: Run;
  ddp: { loss: number; state_after: State; memberQueues: Arr[] };
  jigsaw: { grid: number; images: Arr; permutations: Arr; out: Arr }[];
}
const fx = loadFixture<Fixture>('ssl_pirl_session18.json');
const { check, worst } = relErrChecker(1e-4);
type Order = 'appendFirst' | 'readFirst';

/** The generator's backbone: NHWC -> NCHW, flatten, `fc` Linear 25->8, `bn` BatchNorm1d(8), ReLU. */
function backbone() {
  const body = nn.composite('pirl_session18_backbone', { fc: nn.linear({ in: 25, out: 8 }), bn: nn.batchNorm({ features: 8 }) }, (call, x) => {
    const flat = np.reshape(np.transpose(x, [0, 3, 1, 2]), [np.shape(x)[0], 25]);
    return np.relu(call('bn', call('fc', flat)));
  });
  return { ...body, embeddingDim: 8 };
}

const methodOf = (queueOrder: Order) => ssl.methods.pirl({ encoder: backbone(), ...fx.config, queueOrder });
const opt = () => optim.sgd({ learningRate: fx.opt.lr, momentum: fx.opt.momentum, weightDecay: fx.opt.weightDecay });
const initialDict = () => Object.fromEntries(Object.entries(fx.initial_state).map(([k, v]) => [k, tensorOf(v)]));
const intsOf = (a: Arr) => tf.tidy(() => tf.cast(tensorOf(a), 'int32'));
const batchOf = (s: number) => ({ view1: tensorOf(fx.batches[s].view1), permutations: intsOf(fx.batches[s].permutations) });

/**
 * The queue's rows oldest first from a seed's circular buffer `out` [size, dim]: from `pointer` on once
 * it wrapped (`filled`), else its first `pointer` rows. tfjax writes the same rows oldest first from row
 * 0 (lib/ssl/memory.ts), the seed's buffer rotated: either loads into the other as the same FIFO.
 */
function queueRows(out: number[], pointer: number, filled: boolean, dim: number): number[] {
  const size = out.length / dim;
  const order = filled ? Array.from({ length: size }, (_, i) => (pointer + i) % size) : Array.from({ length: pointer }, (_, i) => i);
  return order.flatMap((r) => out.slice(r * dim, (r + 1) * dim));
}

/** Checks a state dict against the fixture's (a bias before a BatchNorm at its weight's scale; the queue as its rows in order). */
async function checkState(dict: Record<string, tf.Tensor>, want: State, what: string, label: string): Promise<void> {
  for (const [k, v] of Object.entries(want)) {
    assert.ok(dict[k], `${label}: state entry ${k}`);
    if (!k.startsWith('queue.')) await check(`${what}${k}`, dict[k], v.data, label, biasFloor(k, want));
  }
  if (!want['queue.out']) return;
  const [out, pointer, filled] = await Promise.all(['queue.out', 'queue.pointer', 'queue.filled'].map(async (k) => Array.from(await dict[k].data())));
  const mine = queueRows(out, pointer[0], filled[0] !== 0, fx.config.projectorDim);
  const theirs = queueRows(want['queue.out'].data, want['queue.pointer'].data[0], want['queue.filled'].data[0] !== 0, fx.config.projectorDim);
  assert.is(mine.length, theirs.length, `${label}: rows in the queue`);
  const rows = tf.tensor(mine);
  await check(`${what}queue rows`, rows, theirs, label);
  rows.dispose();
}

/** The fixture's run in a queue order: 3 SGD steps from the seed's state dict, the state dict after each as the seed's. */
function replay(order: Order): Replay<ReturnType<typeof batchOf>, Arr> {
  const run = fx[order];
  return {
    label: `pirl ${order}`,
    method: methodOf(order),
    initialDict,
    opt: opt(),
    check,
    steps: run.steps,
    metrics: ['loss', 'jigsawLoss', 'imageLoss'],
    batchOf,
    stateAfterStep: (s) => run.steps[s].state,
    stateAfter: run.state_after,
    checkDict: checkState,
    floorOf: (k) => biasFloor(k, fx.initial_state),
    embedding: { images: () => tensorOf(fx.batches[0].view1), expected: run.embedding.data },
  };
}

const Seed = suite("ssl.methods.pirl: the seed's steps (PyTorch transcription), jit and eager");
for (const order of ['appendFirst', 'readFirst'] as const) {
  Seed(`${order}: 3 SGD steps (momentum, weight decay) from the seed's state dict: losses and state after each step; jit = eager`, () => checkReplay(replay(order)));
}
Seed.after(() => console.log('pirl worst relative errors:', Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')));
Seed.run();

const Jig = suite('ssl.methods.jigsaw: the seed\'s _shuffle_patches');
Jig('tiles moved by the permutations (grids 2 and 3; sides 7 and 5 resized to a multiple of the grid and back)', async () => {
  for (const c of fx.jigsaw) {
    const images = tensorOf(c.images);
    const perms = intsOf(c.permutations);
    const out = ssl.methods.jigsaw(images, perms, c.grid);
    await check('jigsaw', out, c.out.data, `jigsaw ${c.images.shape.join('x')} grid ${c.grid}`);
    tf.dispose([images, perms, ...tensorsIn(out)]);
  }
  const x = tf.zeros([2, 4, 6, 1]);
  assert.is(errorOf(() => ssl.methods.jigsaw(x, tf.zeros([2, 4], 'int32'), 2)), "pirl.jigsaw: the jigsaw takes square images (the seed's), got 4x6");
  tf.dispose(x);
});
Jig.run();

const Axis = suite('ssl.methods.pirl sharded over an axis = the seed under DDP on 2 ranks');
Axis('one step under vmap over 2 shards with axisName: SyncBN, a queue per member, the mean gradient', async () => {
  const method = methodOf('appendFirst');
  const dict = initialDict();
  const v = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const o = opt();
  const optState = o.init(v.params);
  const step = ssl.trainStep(method, o, { axisName: 'batch' });
  const stateAxes = Object.fromEntries(Object.keys(v.state).map((k) => [k, k === 'queue' ? 0 : null]));
  const run = vmap((p: unknown, s: unknown, os: unknown, b: unknown) => step(p as never, s as never, os as never, b as never), {
    inAxes: [null, stateAxes, null, 0],
    outAxes: { params: null, state: stateAxes, optState: null, metrics: null },
    axisName: 'batch',
  });
  const queue = v.state.queue as { embeddings: tf.Tensor; filled: tf.Tensor };
  const memberQueues = { embeddings: tf.stack([queue.embeddings, queue.embeddings]), filled: tf.stack([queue.filled, queue.filled]) };
  const whole = batchOf(0);
  const batch = shardBatch(whole);
  const r = run(v.params, { ...v.state, queue: memberQueues }, optState, batch) as ssl.StepResult<any, any, any>;
  await check('ddp loss', r.metrics.loss, fx.ddp.loss, 'sharded step');
  const after = method.toTorch(r.params, { ...r.state, queue });
  await checkState(after, fx.ddp.state_after, 'state ', 'sharded step');
  const q = r.state.queue as { embeddings: tf.Tensor; filled: tf.Tensor };
  assert.equal(Array.from(await q.filled.data()), [2, 2], "each member's queue holds its 2 rows");
  for (let m = 0; m < 2; m++) {
    const rows = tf.tidy(() => tf.reshape(tf.slice(q.embeddings, [m, 0, 0], [1, 2, -1]), [2, -1]));
    await check('member queue', rows, fx.ddp.memberQueues[m].data, `member ${m}'s queue`);
    rows.dispose();
  }
  tf.dispose([...Object.values(after), ...tensorsIn([v, optState, r, memberQueues, whole, batch])]);
});
Axis.run();

const Parts = suite('ssl.methods.pirl: defaults, errors, state dicts, keys');
Parts("registered, with the seed's defaults", () => {
  assert.ok(ssl.methods.names().includes('pirl'));
  const d = ssl.methods.byName('pirl').defaults;
  assert.equal([d.encoder, d.projectorDim, d.queueLength, d.temperature, d.lambdaPirl, d.jigsawGrid, d.queueOrder], ['vit_small_patch16_224', 128, 16384, 0.07, 0.5, 4, 'readFirst']);
});
Parts('a bad configuration or batch is one line naming what is wrong', () => {
  assert.is(errorOf(() => ssl.methods.pirl({ encoder: backbone(), temperature: 0 })), 'pirl config: at .temperature expected a finite number > 0, got 0');
  assert.is(errorOf(() => ssl.methods.pirl({ encoder: backbone(), lambdaPirl: 1.5 })), 'pirl config: at .lambdaPirl expected a number in [0, 1], got 1.5');
  const method = methodOf('readFirst');
  const v = method.init(random.key(0));
  const images = tf.zeros([4, 5, 5, 1]);
  assert.is(errorOf(() => method.loss(v.params, v.state, { view1: images })), 'pirl: the loss needs a key (for the jigsaw permutations) or the batch its permutations');
  const bad = tf.zeros([4, 3], 'int32');
  assert.is(errorOf(() => method.loss(v.params, v.state, { view1: images, permutations: bad })), 'pirl: permutations must be int32 [4, 4] (a permutation of the 2x2 tiles per image), got int32 [4,3]');
  assert.match(errorOf(() => method.loss(v.params, v.state, { view1: images, crops: images } as never)), /^pirl: unknown input key\(s\) crops; expected/);
  tf.dispose([images, bad, ...tensorsIn(v)]);
});
Parts("toTorch / fromTorch round trip in the seed's layout (backbone.*, proj_image, proj_jigsaw, queue.*); a key draws the permutations", async () => {
  const before = tf.memory().numTensors;
  const method = methodOf('appendFirst');
  const v = tf.tidy(() => method.init(random.key(3)) as never as tf.TensorContainer) as never as ReturnType<typeof method.init>;
  const images = tf.tidy(() => random.uniform(random.key(4), [4, 5, 5, 1]) as tf.Tensor);
  const lossOf = () => tf.tidy(() => {
    const [l, a] = method.loss(v.params, v.state, { view1: images }, { key: random.key(5) });
    return { loss: l as tf.Tensor, state: a.state as never as tf.TensorContainer };
  });
  const { loss, state } = lossOf();
  const { loss: again, state: stateAgain } = lossOf();
  const aux = { state: state as never as typeof v.state };
  assert.is((await loss.data())[0], (await again.data())[0], 'one key, one jigsaw');
  assert.ok(Number.isFinite((await loss.data())[0]));
  const dict = method.toTorch(v.params, aux.state);
  assert.equal(Object.keys(dict).sort(), [...Object.keys(fx.initial_state), 'backbone.bn.num_batches_tracked', 'queue.initialized'].sort());
  const back = method.fromTorch(dict);
  const dict2 = method.toTorch(back.params, back.state);
  for (const k of Object.keys(dict)) assert.equal(Array.from(await dict2[k].data()), Array.from(await dict[k].data()), k);
  tf.dispose([images, loss, again, ...Object.values(dict), ...Object.values(dict2), ...tensorsIn([v, aux, stateAgain, back])]);
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
});
Parts.run();

