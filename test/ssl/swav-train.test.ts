/**
 * `swav.trainStep`: one trace under jit, equal to the eager step, no leaked tensor;
 * frozen prototypes; the queue as explicit state; and the variants that compose from
 * the pieces (hard assignments, a projector without BatchNorm, the paper's pairing with
 * a queue), each training a few steps; and the user-written training loop of docs/swav.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as swav from '../../lib/ssl/swav/index.js';
import { allCloseAsync } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { disposeExcept, randomViews, tensorsIn, tinyConfig } from './tiny-swav.js';

await useTestBackend();

const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
const sgd = () => optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });

interface Run {
  params: swav.SwavParams;
  modelState: swav.SwavState;
  optState: any;
}

/** Runs `n` steps of `step` on fixed batches, disposing what each step replaces; returns losses and tensor counts. */
async function train(step: swav.SwavTrainStep, start: Run, batches: swav.SwavInput[], n: number, key?: NdArray) {
  let run = start;
  const losses: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = step(run.params, run.modelState, run.optState, batches[i % batches.length], key);
    disposeExcept([run.params, run.modelState, run.optState], r);
    run = { params: r.params, modelState: r.modelState, optState: r.optState };
    losses.push((await read(r.metrics.loss))[0]);
    tf.dispose(tensorsIn(r.metrics));
    counts.push(tf.memory().numTensors);
  }
  return { run, losses, counts };
}

function start(config: swav.SwavConfig, opt: optim.GradientTransformation, seed = 0): Run {
  const { params, state } = swav.init(random.key(seed), config);
  return { params, modelState: state, optState: opt.init(params) };
}

/** A copy of a run's trees (so two runs can start from the same values). */
const copyRun = (r: Run): Run => ({ params: clone(r.params), modelState: clone(r.modelState), optState: clone(r.optState) });
function clone<T>(x: T): T {
  if (x instanceof tf.Tensor) return tf.clone(x) as T;
  if (Array.isArray(x)) return x.map(clone) as T;
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, clone(v)])) as T;
  return x;
}

// ---------------------------------------------------------------------------------------------
const Step = suite('swav trainStep: jit, purity, memory');

Step('jit traces once, matches the eager step, and leaks no tensor (numTensors flat after warm-up)', async () => {
  const config = swav.swavConfig(tinyConfig());
  const opt = sgd();
  const [a, b] = randomViews(10, 2, 8, 8);
  const [c, d] = randomViews(11, 2, 8, 8);
  const batches = [{ view1: a, view2: b }, { view1: c, view2: d }];
  const eagerStart = start(config, opt);
  const jitStart = copyRun(eagerStart);
  const step = jit(swav.trainStep(config, opt));
  const j = await train(step, jitStart, batches, 6);
  assert.is(step.cacheSize(), 1, 'one trace for every step');
  assert.ok(j.counts.slice(2).every((n) => n === j.counts[1]), `tensor counts ${j.counts}`);
  const e = await train(swav.trainStep(config, opt), eagerStart, batches, 6);
  assert.ok(e.counts.slice(2).every((n) => n === e.counts[1]), `eager tensor counts ${e.counts}`);
  for (let i = 0; i < 6; i++) assert.ok(Math.abs(j.losses[i] - e.losses[i]) < 1e-4 * Math.abs(e.losses[i]), `step ${i}: ${j.losses[i]} vs ${e.losses[i]}`);
  await allCloseAsync(j.run.params.prototypes.weight as tf.Tensor, e.run.params.prototypes.weight as tf.Tensor, { rtol: 1e-4, atol: 1e-5 });
  await allCloseAsync(j.run.modelState.projector[1].mean as tf.Tensor, e.run.modelState.projector[1].mean as tf.Tensor, { rtol: 1e-4, atol: 1e-5 });
  assert.equal(await read(j.run.modelState.step), [6]);
  tf.dispose([...tensorsIn([j.run, e.run]), a, b, c, d]);
  step.clearCache();
});

Step('the prototypes written back are the renormalised ones the forward used, then updated', async () => {
  const config = swav.swavConfig(tinyConfig());
  const opt = optim.sgd({ learningRate: 0 }); // no update: the parameters after the step are the written-back ones
  const s = start(config, opt, 5);
  const [a, b] = randomViews(12, 2, 4, 8);
  const r = swav.trainStep(config, opt)(s.params, s.modelState, s.optState, { view1: a, view2: b });
  const expected = scope(() => swav.normalizePrototypes(s.params.prototypes.weight)) as tf.Tensor;
  await allCloseAsync(r.params.prototypes.weight as tf.Tensor, expected, { rtol: 1e-6, atol: 1e-7 });
  tf.dispose([...tensorsIn([s, r, expected]), a, b]);
});

Step.run();

// ---------------------------------------------------------------------------------------------
const Freeze = suite('swav trainStep: freezePrototypesSteps');

Freeze('no prototype update (and no momentum for them) while step < freezePrototypesSteps; then they move', async () => {
  const config = swav.swavConfig(tinyConfig({ freezePrototypesSteps: 2 }));
  const opt = sgd();
  const s = start(config, opt, 1);
  const w0 = scope(() => swav.normalizePrototypes(s.params.prototypes.weight)) as tf.Tensor;
  const head0 = tf.clone(s.params.projector[0].w as tf.Tensor);
  const [a, b] = randomViews(13, 2, 8, 8);
  const step = jit(swav.trainStep(config, opt));
  let run = s;
  const snapshots: tf.Tensor[] = [];
  const momenta: tf.Tensor[] = [];
  for (let i = 0; i < 3; i++) {
    const r = step(run.params, run.modelState, run.optState, { view1: a, view2: b });
    disposeExcept([run.params, run.modelState, run.optState], r);
    tf.dispose(tensorsIn(r.metrics));
    run = { params: r.params, modelState: r.modelState, optState: r.optState };
    snapshots.push(tf.clone(run.params.prototypes.weight as tf.Tensor));
    momenta.push(tf.clone((run.optState as any)[1].trace.prototypes.weight as tf.Tensor));
  }
  await allCloseAsync(snapshots[0], w0, { rtol: 1e-6, atol: 1e-7 }); // step 0: frozen (renormalised only)
  await allCloseAsync(snapshots[1], w0, { rtol: 1e-6, atol: 1e-6 }); // step 1: frozen
  assert.equal(await read(momenta[1]), new Array(96).fill(0), 'no momentum built up for the prototypes');
  const moved = (await read(snapshots[2])).some((v, i) => Math.abs(v - (w0.dataSync()[i] as number)) > 1e-4);
  assert.ok(moved, 'step 2: the prototypes are updated');
  const headMoved = (await read(run.params.projector[0].w)).some((v, i) => Math.abs(v - head0.dataSync()[i]) > 1e-5);
  assert.ok(headMoved, 'the rest trains from the start');
  assert.is(step.cacheSize(), 1);
  tf.dispose([...tensorsIn(run), ...snapshots, ...momenta, w0, head0, a, b]);
  step.clearCache();
});

Freeze.run();

// ---------------------------------------------------------------------------------------------
const Queue = suite('swav queue: explicit state, filled from queueStartStep, used once full');

Queue('fills from the start step, is used once full, and its codes are Sinkhorn over [queue; batch]', async () => {
  const config = swav.swavConfig(tinyConfig({ queueLength: 16, queueStartStep: 1 }));
  const opt = sgd();
  const s = start(config, opt, 2);
  assert.equal((s.modelState.queue!.embeddings as tf.Tensor).shape, [2, 16, 8]);
  const views = randomViews(14, 8, 8, 8);
  const batches = [0, 2, 4, 6].map((i) => ({ view1: views[i], view2: views[i + 1] }));
  const step = jit(swav.trainStep(config, opt));
  let run = s;
  const filled: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = step(run.params, run.modelState, run.optState, batches[i]);
    disposeExcept([run.params, run.modelState, run.optState], r);
    tf.dispose(tensorsIn(r.metrics));
    run = { params: r.params, modelState: r.modelState, optState: r.optState };
    filled.push((await read(run.modelState.queue!.filled))[0]);
  }
  assert.equal(filled, [0, 8, 16, 16], 'nothing at step 0 (< queueStartStep), then 8 per step up to 16');
  assert.is(step.cacheSize(), 1, 'one trace although the queue starts being used');
  // The newest embeddings are in front: the projections of the last batch's view 0 (computed
  // with the parameters before that step) are not what we can recompute now, so check the
  // layout with a fresh apply instead: push puts the batch first and shifts the rest.
  const q = run.modelState.queue!;
  const [out, after] = scope(() => swav.apply(run.params, run.modelState, batches[0], { train: true, config }));
  const z0 = scope(() => np.sliceAxis(out.projection!, 0, 0, 8)) as tf.Tensor;
  await allCloseAsync(scope(() => np.squeeze(np.sliceAxis(np.sliceAxis(after.queue!.embeddings, 0, 0, 1), 1, 0, 8), 0)) as tf.Tensor, z0, { rtol: 1e-6, atol: 1e-7 });
  await allCloseAsync(
    scope(() => np.sliceAxis(after.queue!.embeddings, 1, 8, 16)) as tf.Tensor,
    scope(() => np.sliceAxis(q.embeddings, 1, 0, 8)) as tf.Tensor,
    { rtol: 0, atol: 0 },
  );
  // The full queue is used: view 0's codes are the last rows of Sinkhorn over [queue_0 @ W.T; scores_0].
  const expected = scope(() => {
    const w = swav.normalizePrototypes(run.params.prototypes.weight);
    const queued = np.matmul(np.squeeze(np.sliceAxis(q.embeddings, 0, 0, 1), 0), np.transpose(w));
    return np.sliceAxis(swav.sinkhorn(np.concatenate([queued, out.scores![0]], 0)), 0, 16, 24);
  }) as tf.Tensor;
  await allCloseAsync(out.codes![0] as tf.Tensor, expected, { rtol: 1e-4, atol: 1e-6 });
  const plain = scope(() => swav.sinkhorn(out.scores![0])) as tf.Tensor;
  const diff = (await read(plain)).reduce((m, v, i) => Math.max(m, Math.abs(v - (expected.dataSync()[i] as number))), 0);
  assert.ok(diff > 1e-3, 'the queue changes the codes');
  // Views that are not assignment views (none here) and the second view use their own queue row.
  tf.dispose([...tensorsIn([run, out, after, expected, plain, z0]), ...views]);
  step.clearCache();
});

Queue('before it is full the queue is masked out: codes equal plain Sinkhorn on the batch', async () => {
  const config = swav.swavConfig(tinyConfig({ queueLength: 32 }));
  const s = start(config, sgd(), 3);
  const [a, b] = randomViews(15, 2, 8, 8);
  const [out] = scope(() => swav.apply(s.params, s.modelState, { view1: a, view2: b }, { train: true, config }));
  const plain = scope(() => swav.sinkhorn(out.scores![0])) as tf.Tensor;
  await allCloseAsync(out.codes![0] as tf.Tensor, plain, { rtol: 1e-5, atol: 1e-7 });
  tf.dispose([...tensorsIn([s, out, plain]), a, b]);
});

Queue.run();

// ---------------------------------------------------------------------------------------------
const Variants = suite('swav variants: composed from the pieces, each training a few steps');

async function trainsWithoutError(config: swav.SwavConfig, batches: swav.SwavInput[], opts: swav.TrainStepOptions = {}, steps = 4) {
  const opt = sgd();
  const step = jit(swav.trainStep(config, opt, opts));
  const { run, losses } = await train(step, start(config, opt, 9), batches, steps);
  assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
  assert.is(step.cacheSize(), 1);
  tf.dispose(tensorsIn(run));
  step.clearCache();
  return losses;
}

Variants('hard assignments instead of Sinkhorn', async () => {
  const [a, b] = randomViews(16, 2, 8, 8);
  await trainsWithoutError(swav.swavConfig(tinyConfig()), [{ view1: a, view2: b }], { assign: swav.hardAssignments });
  tf.dispose([a, b]);
});

Variants('a projector without BatchNorm', async () => {
  const config = swav.swavConfig(tinyConfig({ projector: { hiddenDim: 32, outDim: 8, batchNorm: false } }));
  const s = swav.init(random.key(0), config);
  assert.is(s.params.projector.length, 4, 'Linear, ReLU, Linear, L2');
  tf.dispose(tensorsIn(s));
  const [a, b] = randomViews(17, 2, 8, 8);
  await trainsWithoutError(config, [{ view1: a, view2: b }]);
  tf.dispose([a, b]);
});

Variants("the paper's pairing with a queue, multi-crop", async () => {
  const config = swav.swavConfig(tinyConfig({ pairing: 'paper', cropsForAssign: [0, 1], queueLength: 16, queueStartStep: 0 }));
  const g = randomViews(18, 2, 8, 16);
  const l = randomViews(19, 2, 8, 8);
  const losses = await trainsWithoutError(config, [{ globalViews: g, localViews: l }], {}, 4);
  assert.is(losses.length, 4);
  tf.dispose([...g, ...l]);
});

Variants('a user-written training loop around trainStep (docs/swav.md)', async () => {
  // --- the docs example, verbatim apart from sizes ---
  const config = swav.swavConfig(tinyConfig());
  const opt = optim.sgd({ learningRate: 0.1, momentum: 0.9, weightDecay: 1e-4 });
  const step = jit(swav.trainStep(config, opt));
  let { params, state: modelState } = swav.init(random.key(0), config);
  let optState = opt.init(params);
  let key: NdArray = random.key(1);
  const history: number[] = [];
  for (let i = 0; i < 3; i++) {
    const [view1, view2] = randomViews(20 + i, 2, 8, 8); // your augmentations here
    const [next, stepKey] = random.split(key);
    const r = step(params, modelState, optState, { view1, view2 }, stepKey);
    tf.dispose([...tensorsIn([params, modelState, optState, key, stepKey]), view1, view2]);
    ({ params, modelState, optState } = r);
    key = next;
    history.push((await (r.metrics.loss as tf.Tensor).data())[0]);
    tf.dispose(tensorsIn(r.metrics));
  }
  // ---
  assert.ok(history.every(Number.isFinite));
  tf.dispose(tensorsIn([params, modelState, optState, key]));
  step.clearCache();
});

Variants.run();
