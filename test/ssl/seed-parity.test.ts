/**
 * Where the methods had differed from stable-pretraining (the seed), against
 * test/fixtures/ssl_seed_parity.json (tools/ssl-seed-parity.py, PyTorch 1.13, the seed's
 * formulas re-implemented): tiny methods over a Linear 6->8, BatchNorm1d, ReLU backbone,
 * loaded from the seed's state dicts with `fromTorch`, trained with plain SGD (lr 0.1) through
 * `jit(ssl.trainStep(...))`:
 * - MoCo v2 with `queueOrder: 'appendFirst'` (the seed's queue order), the seed's extra
 *   training-mode teacher forward of view 1, and the queue in the state dict (`queue.*`);
 * - NNCLR with `queueOrder: 'appendFirst'` and its `queue.*`;
 * - SimSiam normalising with `F.normalize` (eps 1e-12) on predictions of norm ~1e-11;
 * - DINO in the seed's layout (`prototypesInProjector`), with the teacher temperature warm-up
 *   and the EMA cosine counted in steps (one step per epoch in the fixture), and the
 *   `ema_coefficient` buffer the seed holds after the last update.
 * Relative errors max|a - e| / max|e| below 1e-4.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, maxAbs, relErrChecker } from './fixtures.js';
import { disposeExcept, tensorsIn } from './tiny-swav.js';

await useTestBackend();

const fixture = loadFixture<Record<string, any>>('ssl_seed_parity.json');
const { check } = relErrChecker(1e-4);

/** The fixture's backbone: `fc` Linear 6->8, `bn` BatchNorm1d(8), ReLU. */
function backbone() {
  const body = nn.composite('seed_parity_backbone', { fc: nn.linear({ in: 6, out: 8 }), bn: nn.batchNorm({ features: 8 }) }, (call, x) => np.relu(call('bn', call('fc', x))));
  return { ...body, embeddingDim: 8 };
}

type Entry = number | number[] | { dtype: 'int32' | 'bool'; value: number };

/** The fixture's state dict as tensors; every `*.student.*` entry also as `*.teacher.*` (the seed's warm start). */
function stateDict(entries: Record<string, Entry>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(entries)) {
    const t = typeof v === 'object' && !Array.isArray(v) ? (v.dtype === 'bool' ? tf.scalar(v.value !== 0, 'bool') : tf.scalar(v.value, 'int32')) : tf.tensor(v);
    out[k] = t;
    if (k.includes('.student.')) out[k.replace('.student.', '.teacher.')] = tf.clone(t);
  }
  return out;
}

/** The queue's used rows, newest first (a FIFO of rows, as the seed's), against the fixture's. */
async function checkQueue(queue: ssl.MemoryState, expected: number[][], label: string): Promise<void> {
  assert.is((await queue.filled.data())[0], expected.length, `${label}: queue fill`);
  const rows = tf.tensor(((await (queue.embeddings as tf.Tensor).array()) as number[][]).slice(0, expected.length));
  await check('queue', rows, expected, label);
  rows.dispose();
}

/** Trains `method` from the case's initial state on its views; checks each loss (and queue), then the state dict. */
async function runCase(name: string, method: ssl.Method<any, any, any>, batchOf: (views: tf.Tensor[]) => object, perStep?: (r: any, ref: any, label: string) => Promise<void>) {
  const c = fixture[name];
  const dict = stateDict(c.initial_state);
  let { params, state } = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const opt = optim.sgd({ learningRate: c.config?.lr ?? fixture.lr });
  let optState = opt.init(params);
  const step = jit(ssl.trainStep(method, opt));
  for (let s = 0; s < c.steps.length; s++) {
    const ref = c.steps[s];
    const label = `${name} step ${s + 1}`;
    const views = (ref.views as number[][][]).map((v) => tf.tensor(v));
    const r = step(params, state, optState, batchOf(views));
    disposeExcept([params, state, optState], r);
    ({ params, state, optState } = r);
    await check('loss', r.metrics.loss, ref.loss, label);
    if (perStep) await perStep(r, ref, label);
    tf.dispose([...views, ...tensorsIn(r.metrics)]);
  }
  const after = method.toTorch(params, state);
  const expected = c.state_after as Record<string, number[]>;
  for (const [k, v] of Object.entries(expected)) {
    assert.ok(after[k], `${name}: state entry ${k}`);
    await check(`after ${k}`, after[k], v, `${name} after ${c.steps.length} steps`, floorOf(k, expected));
  }
  assert.is(step.cacheSize(), 1, `${name}: one trace for every step`);
  return { params, state, optState, after };
}

/**
 * Quantities that are mathematically zero hold float32 round-off on both sides, measured against
 * their layer's scale: a bias whose gradient is zero (NNCLR's projector ends in a BatchNorm before
 * the predictor's Linear without bias and BatchNorm) against its weight, and the running mean of
 * features with batch mean zero (the predictor's first BatchNorm) against the running std.
 */
function floorOf(k: string, entries: Record<string, unknown>): number | undefined {
  if (k.endsWith('.bias')) {
    const w = entries[k.replace(/bias$/, 'weight')];
    return w === undefined ? undefined : maxAbs(w);
  }
  const v = k.endsWith('.running_mean') ? entries[k.replace(/running_mean$/, 'running_var')] : undefined;
  return v === undefined ? undefined : Math.sqrt(maxAbs(v));
}

const twoViews = (v: tf.Tensor[]) => ({ view1: v[0], view2: v[1] });

const Queue = suite("ssl seed parity: the seed's queue order and queue state dict");

Queue("mocoV2 queueOrder 'appendFirst': losses, teacher BatchNorm statistics, queue and state dict as the seed's", async () => {
  const method = ssl.methods.mocoV2({
    encoder: backbone(),
    projector: ssl.head([8, 4], { batchNorm: false }),
    queueLength: 6,
    temperature: 0.2,
    emaStart: 0.9,
    emaEnd: 0.9,
    queueOrder: 'appendFirst',
  });
  const { params, state, optState, after } = await runCase('moco', method, twoViews, (r, ref, label) => checkQueue(r.state.queue, ref.queue_newest_first, label));
  // The queue goes out as the seed's UnsortedQueue buffers and comes back the same.
  for (const k of ['queue.out', 'queue.pointer', 'queue.filled', 'queue.initialized']) assert.ok(after[k], `entry ${k}`);
  const back = method.fromTorch(after);
  await checkQueue(back.state.queue, fixture.moco.steps.at(-1).queue_newest_first, 'moco reloaded');
  tf.dispose([...Object.values(after), ...tensorsIn([params, state, optState, back])]);
});

Queue("nnclr queueOrder 'appendFirst': losses, support set and state dict as the seed's", async () => {
  const method = ssl.methods.nnclr({
    encoder: backbone(),
    projector: ssl.head([8, 8, 4], { bias: false, lastBias: false, lastNorm: 'batchNorm' }),
    predictor: ssl.head([8, 4], { bias: false }),
    queueLength: 6,
    temperature: 0.1,
    queueOrder: 'appendFirst',
  });
  const { params, state, optState, after } = await runCase('nnclr', method, twoViews, (r, ref, label) => checkQueue(r.state.queue, ref.queue_newest_first, label));
  tf.dispose([...Object.values(after), ...tensorsIn([params, state, optState])]);
});

Queue('a seed queue that wrapped around loads newest first; an out-of-range pointer is a one-line error', async () => {
  const method = ssl.methods.nnclr({ encoder: backbone(), projector: ssl.head([8, 4]), predictor: ssl.head([8, 4]), queueLength: 3 });
  const fresh = method.init(random.key(0));
  const dict = method.toTorch(fresh.params, fresh.state);
  tf.dispose([dict['queue.out'], dict['queue.pointer'], dict['queue.filled'], ...tensorsIn(fresh)]);
  // Rows written in the order a, b, c, d: d overwrote a at 0, the pointer is 1.
  dict['queue.out'] = tf.tensor([[4, 4, 4, 4], [2, 2, 2, 2], [3, 3, 3, 3]]);
  dict['queue.pointer'] = tf.scalar(1, 'int32');
  dict['queue.filled'] = tf.scalar(true, 'bool');
  const v = method.fromTorch(dict);
  assert.equal(await v.state.queue.embeddings.array(), [[4, 4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2]]);
  assert.is((await v.state.queue.filled.data())[0], 3);
  dict['queue.pointer'].dispose();
  dict['queue.pointer'] = tf.scalar(5, 'int32');
  assert.throws(() => method.fromTorch(dict), /'queue\.pointer' must be in \[0, 3\), got 5/);
  tf.dispose([...Object.values(dict), ...tensorsIn(v)]);
});
Queue.run();

const Methods = suite("ssl seed parity: SimSiam's normalisation, DINO's layout and schedules");

Methods("simsiam normalises as the seed's F.normalize (eps 1e-12): predictions of norm ~1e-11 keep their cosine", async () => {
  const c = fixture.simsiam;
  assert.ok(c.prediction_norm < 1e-8, 'the fixture exercises norms below 1e-8');
  const method = ssl.methods.simsiam({
    encoder: backbone(),
    projector: ssl.head([8, 8, 4], { bias: false, lastBias: false, lastNorm: 'batchNormNoAffine' }),
    predictor: ssl.head([3, 4], { bias: false }),
  });
  const dict = stateDict(c.initial_state);
  const v = method.fromTorch(dict);
  const views = (c.views as number[][][]).map((x) => tf.tensor(x));
  const { loss, grads } = ssl.lossAndGrad(method, v.params, v.state, { view1: views[0], view2: views[1] });
  await check('loss', loss, c.loss, 'simsiam');
  const g = method.toTorch(grads, v.state);
  for (const [k, e] of Object.entries(c.grads as Record<string, unknown>)) await check(`grad ${k}`, g[k], e, 'simsiam');
  tf.dispose([...Object.values(dict), ...Object.values(g), ...views, ...tensorsIn([loss, v, grads])]);
});

Methods("dino prototypesInProjector: the seed's state dict, teacher temperature warm-up and EMA cosine over steps", async () => {
  const c = fixture.dino;
  const method = ssl.methods.dino({
    encoder: backbone(),
    projector: ssl.head([8, 8, 4], { activation: 'gelu', batchNorm: false }),
    numPrototypes: c.config.prototypes,
    studentTemperature: 0.1,
    warmupTeacherTemperature: 0.04,
    teacherTemperature: 0.07,
    warmupTeacherSteps: c.config.warmup,
    centerMomentum: 0.9,
    emaStart: 0.9,
    emaEnd: 1,
    emaSteps: c.config.epochs,
    prototypesInProjector: true,
  });
  const split = (v: tf.Tensor[]) => ({ globalViews: v.slice(0, c.config.n_global), localViews: v.slice(c.config.n_global) });
  const temperature = async (r: any, ref: any, label: string) => check('teacher temperature', r.metrics.teacherTemperature, ref.teacher_temperature, label);
  const { params, state, optState, after } = await runCase('dino', method, split, temperature);
  assert.ok(after['projector.student.6.weight'] && !after['prototypes.student.weight'], "the prototypes are the seed's projector.6");
  tf.dispose([...Object.values(after), ...tensorsIn([params, state, optState])]);
});
Methods.run();
