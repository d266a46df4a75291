/**
 * The SSL library as its users drive it, through the public entry (lib/node.ts) only:
 * - variants composed from the blocks (SwAV's swapped prediction with codes from a BYOL-style EMA
 *   teacher; SimCLR with a queue of negatives) trained by `jit(ssl.trainStep(...))`: one trace,
 *   a flat tensor count, finite losses;
 * - a hand-written loop: checkpoint save and resume mid-run equal to the uninterrupted run;
 *   gradient accumulation with `lossAndGrad` / `applyStep` under `jit` and a learning rate changed
 *   between steps through `optim.injectHyperparams` (one trace each);
 * - `method.embed` called eagerly frees its temporaries (it leaked the encoder's intermediates);
 * - `negativeCosine` follows torch 1.13's `cosine_similarity` (each norm clamped at 1e-8, not
 *   their product) on tiny and zero rows;
 * - `swavLoss` / `swappedPrediction` take a temperature array (a schedule's value under `jit`);
 * - the distributed Sinkhorn of docs/swav.md as written there.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, checkpoint, grad, jit, nn, np, optim, psum, pmax, random, ssl, swav, tf, tree, vmap } from '../../lib/node.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const ENC = { encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] } } as const;
type Vars = { params: any; state: any; optState: any };

/** A two-view batch and a step key, all derived from `i` (the caller frees them). */
function batchAt(i: number, n = 6): { batch: { view1: NdArray; view2: NdArray }; key: NdArray } {
  const k = random.key(100 + i);
  const [a, b, c] = random.split(k, 3);
  const batch = { view1: random.uniform(a, [n, 8, 8, 1]), view2: random.uniform(b, [n, 8, 8, 1]) };
  tf.dispose([k, a, b] as tf.Tensor[]);
  return { batch, key: c };
}

/** Runs steps [from, to) of `jit(trainStep)` from `v` (or a fresh init), freeing what each step replaces. */
async function train(method: ssl.Method, opt: optim.GradientTransformation<any>, from: number, to: number, v?: Vars) {
  const step = jit(ssl.trainStep(method, opt));
  if (!v) {
    const k = random.key(0);
    const { params, state } = method.init(k);
    k.dispose();
    v = { params, state, optState: opt.init(params) };
  }
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let i = from; i < to; i++) {
    const { batch, key } = batchAt(i);
    const r: ssl.StepResult<any, any, any> = step(v.params, v.state, v.optState, batch, key);
    tf.dispose([v, batch, key] as any);
    v = { params: r.params, state: r.state, optState: r.optState };
    losses.push((await r.metrics.loss.data())[0]);
    tf.dispose(r.metrics as any);
    tensors.push(tf.memory().numTensors);
  }
  return { v, losses, tensors, traces: step.cacheSize() };
}

const { strictPartial, positiveInt } = ssl.codecs;

/** SwAV's swapped prediction whose codes come from an EMA teacher (Sinkhorn with 5 iterations). */
const swavEma = ssl.defineMethod({
  name: 'swavEma',
  codec: strictPartial({ numPrototypes: positiveInt }, 'a swavEma configuration'),
  defaults: { numPrototypes: 8 },
  build(c) {
    const encoder = nn.encoder(ENC.encoder, ENC.encoderOptions);
    const stages = { encoder, projector: ssl.mlpHead(encoder.embeddingDim, ssl.head([16, 8])), prototypes: swav.prototypes({ dim: 8, count: c.numPrototypes }) };
    const net = ssl.network({ name: 'swavEma', stages, teacher: { stages: ['encoder', 'projector', 'prototypes'], ema: { emaStart: 0.9, emaEnd: 1, emaSteps: 10 } } });
    return {
      ...net.parts,
      loss(params, state, batch, { key } = {}) {
        const views = ssl.twoViews(batch, 'swavEma');
        const { outputs, state: s } = ssl.encodeViews(net.chain(), params, state, views, { train: true, key });
        const { outputs: t, teacher } = net.teacherForward(state, views);
        const codes = t.prototypes.map((x) => swav.sinkhorn(x, { iterations: 5 }));
        return [swav.swavLoss(outputs.prototypes, codes, { temperature: 0.1 }), { state: net.next(state, s, { teacher }), metrics: {} }];
      },
    };
  },
});

/** SimCLR's InfoNCE whose negatives are the other view and a queue of past second views. */
const simclrQueue = ssl.defineMethod({
  name: 'simclrQueue',
  codec: strictPartial({ queueLength: positiveInt }, 'a simclrQueue configuration'),
  defaults: { queueLength: 9 },
  build(c) {
    const encoder = nn.encoder(ENC.encoder, ENC.encoderOptions);
    const stages = { encoder, projector: ssl.mlpHead(encoder.embeddingDim, ssl.head([16, 8])) };
    const net = ssl.network({ name: 'simclrQueue', stages, extraState: () => ({ queue: ssl.initMemory(c.queueLength, 8) }) });
    return {
      ...net.parts,
      loss(params, state, batch, { key } = {}) {
        const { outputs, state: s } = ssl.encodeViews(net.chain(), params, state, ssl.twoViews(batch, 'simclrQueue'), { train: true, key });
        const [z1, z2] = outputs.projector;
        const n = z1.shape[0];
        const { rows, valid } = ssl.readMemory(state.queue);
        const mask = np.broadcastTo(np.logicalNot(np.concatenate([np.ones([n], 'bool'), valid], 0)), [n, n + c.queueLength]);
        const loss = ssl.infoNce(z1, np.concatenate([z2, rows], 0), np.arange(n), { temperature: 0.2, mask });
        return [loss, { state: net.next(state, s, { queue: ssl.pushMemory(state.queue, z2) }), metrics: { filled: state.queue.filled } }];
      },
    };
  },
});

// ---------------------------------------------------------------------------------------------
const Variants = suite('user scripts: variants composed from the blocks, trained under jit');

Variants('SwAV codes from an EMA teacher: one trace, flat tensor count, finite losses, the teacher moves', async () => {
  const method = swavEma();
  const k = random.key(0);
  const before = method.init(k);
  k.dispose();
  const r = await train(method, optim.sgd({ learningRate: 0.05, momentum: 0.9 }), 0, 4);
  assert.is(r.traces, 1);
  assert.ok(r.losses.every(Number.isFinite), `losses ${r.losses}`);
  assert.equal(new Set(r.tensors.slice(1)).size, 1, `tensor count per step ${r.tensors}`);
  const moved = np.max(np.abs(np.sub(r.v.state.teacher.params.prototypes.weight, before.state.teacher.params.prototypes.weight)));
  assert.ok((await moved.data())[0] > 0, 'the teacher follows the student');
  tf.dispose([r.v, before, moved] as any);
});

Variants('SimCLR with a queue of negatives: the queue fills, one trace, flat tensor count', async () => {
  const r = await train(simclrQueue(), optim.adam({ learningRate: 1e-3 }), 0, 4);
  assert.is(r.traces, 1);
  assert.ok(r.losses.every(Number.isFinite), `losses ${r.losses}`);
  assert.equal(new Set(r.tensors.slice(1)).size, 1, `tensor count per step ${r.tensors}`);
  assert.is((await r.v.state.queue.filled.data())[0], 9);
  tf.dispose(r.v as any);
});

// ---------------------------------------------------------------------------------------------
const Loops = suite('user scripts: a hand-written training loop');

Loops('checkpoint save and resume mid-run gives the uninterrupted run exactly (SwAV with queue and frozen prototypes; BYOL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-ssl-resume-'));
  try {
    const make = {
      swav: () => ssl.methods.swav({ ...ENC, projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 6, queueLength: 12, freezePrototypesSteps: 1 }),
      byol: () => ssl.methods.byol({ ...ENC, projector: { dims: [16, 8] }, predictor: { dims: [16, 8] }, emaSteps: 10 }),
    };
    for (const [name, m] of Object.entries(make)) {
      const opt = optim.sgd({ learningRate: 0.05, momentum: 0.9 });
      const full = await train(m(), opt, 0, 4);
      const half = await train(m(), opt, 0, 2);
      const file = join(dir, `${name}.safetensors`);
      await checkpoint.save(file, half.v);
      const loaded = await checkpoint.load(file, { like: half.v });
      tf.dispose(half.v as any);
      const rest = await train(m(), opt, 2, 4, loaded as Vars);
      assert.equal([...half.losses, ...rest.losses], full.losses, `${name}: losses`);
      const a = tree.leaves(full.v) as tf.Tensor[];
      const b = tree.leaves(rest.v) as tf.Tensor[];
      assert.is(a.length, b.length);
      a.forEach((x, i) => assert.equal(Array.from(b[i].dataSync()), Array.from(x.dataSync()), `${name}: leaf ${i}`));
      tf.dispose([full.v, rest.v] as any);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

Loops('gradient accumulation (lossAndGrad, mean, applyStep, both jitted) with a learning rate changed per step: p - lr * mean grad, one trace each', async () => {
  const method = ssl.methods.simclr({ ...ENC, projector: { dims: [16, 8] } });
  const opt = optim.injectHyperparams(optim.sgd)({ learningRate: 0.1 });
  const lossAndGrad = jit((p: any, s: any, b: any, k: NdArray) => ssl.lossAndGrad(method, p, s, b, { key: k }));
  const apply = jit((p: any, s: any, o: any, g: any, aux: any) => ssl.applyStep(method, opt, { params: p, state: s, optState: o }, g, aux));
  const k0 = random.key(0);
  let { params, state } = method.init(k0);
  let optState = opt.init(params);
  k0.dispose();
  for (let i = 0; i < 3; i++) {
    const micro = [0, 1].map((m) => batchAt(10 * i + m, 4));
    const results = micro.map(({ batch, key }) => lossAndGrad(params, state, batch, key));
    const mean = tree.map<any>((a: NdArray, b: NdArray) => np.div(np.add(a, b), 2), results[0].grads, results[1].grads);
    const lr = 0.1 / (i + 1);
    const old = optState;
    optState = { ...old, hyperparams: { ...old.hyperparams, learningRate: np.array(lr) } };
    const next = apply(params, results[1].aux.state, optState, mean, results[1].aux);
    const expected = np.sub(params.projector[3].w, np.mul(lr, mean.projector[3].w));
    allClose(await next.params.projector[3].w.data(), await expected.data(), { rtol: 1e-6, atol: 1e-7 }, `step ${i}`);
    tf.dispose([params, state, old, optState, results, micro, mean, expected] as any);
    ({ params, state, optState } = next);
  }
  assert.is(lossAndGrad.cacheSize(), 1);
  assert.is(apply.cacheSize(), 1);
  tf.dispose([params, state, optState] as any);
});

Loops('method.embed called eagerly frees its temporaries (network methods and SwAV)', () => {
  const images = random.uniform(random.key(5), [2, 8, 8, 1]);
  const methods: ssl.Method[] = [
    ssl.methods.byol({ ...ENC, projector: { dims: [16, 8] }, predictor: { dims: [16, 8] } }),
    ssl.methods.simclr({ ...ENC, projector: { dims: [16, 8] } }),
    ssl.methods.swav({ ...ENC, projector: { hiddenDim: 16, outDim: 8 }, numPrototypes: 6 }),
  ];
  for (const m of methods) {
    const k = random.key(1);
    const { params, state } = m.init(k);
    const before = tf.memory().numTensors;
    const e = m.embed(params, state, images);
    assert.equal(e.shape, [2, 8]);
    e.dispose();
    assert.is(tf.memory().numTensors, before, `${m.name}.embed left tensors behind`);
    tf.dispose([k, params, state] as any);
  }
  images.dispose();
});

// ---------------------------------------------------------------------------------------------
const Losses = suite('user scripts: loss edge cases against the seed');

Losses('negativeCosine clamps each norm at 1e-8 as torch 1.13 (tiny rows: cosine 1; zero row: gradient y / (|y| eps) / B)', async () => {
  // torch.nn.functional.cosine_similarity(torch.tensor([[1e-5, 0.], [3., 4.]]), same) = [1, 1].
  const tiny = np.array([[1e-5, 0], [3, 4]]);
  allClose(await ssl.negativeCosine(tiny, tiny).data(), [-1], { rtol: 1e-6 });
  // d/dx of -mean(cos(x, y)) at x[0] = 0, y[0] = [3, 4], B = 2: -(y / |y|) / 1e-8 / 2 = [-3e7, -4e7].
  const g = grad((x: NdArray) => ssl.negativeCosine(x, np.array([[3, 4], [1, 2]])))(np.array([[0, 0], [1, 2]]));
  allClose(Array.from((await g.data()) as Float32Array).slice(0, 2), [-3e7, -4e7], { rtol: 1e-5 });
});

Losses('swavLoss takes a temperature array (a schedule under jit): equal to the number, one trace for every value', async () => {
  const [s1, s2] = [random.normal(random.key(1), [5, 7]), random.normal(random.key(2), [5, 7])];
  const q = [s1, s2].map((s) => swav.sinkhorn(s));
  const f = jit((t: NdArray) => swav.swavLoss([s1, s2], q, { temperature: t }));
  for (const t of [0.1, 0.25]) {
    const expected = await swav.swavLoss([s1, s2], q, { temperature: t }).data();
    allClose(await f(np.array(t)).data(), expected, { rtol: 1e-6 }, `temperature ${t}`);
  }
  assert.is(f.cacheSize(), 1);
  assert.throws(() => swav.swappedPrediction(s1, q[0], 0), /swappedPrediction: temperature must be a finite number > 0, got 0/);
});

Losses('docs/swav.md: the distributed Sinkhorn with psum / pmax over a named axis equals one process', async () => {
  const scores = random.uniform(random.key(3), [8, 5], { minval: -1, maxval: 1 });
  const one = swav.sinkhorn(scores, { epsilon: 0.05, iterations: 3 });
  const sharded = vmap((s: NdArray) => swav.sinkhorn(s, { epsilon: 0.05, iterations: 3, allReduceSum: (x) => psum(x, 'batch'), allReduceMax: (x) => pmax(x, 'batch') }), { axisName: 'batch' });
  allClose(await np.reshape(sharded(np.reshape(scores, [2, 4, 5])), [8, 5]).data(), await one.data(), { atol: 2e-6 });
});

Variants.run();
Loops.run();
Losses.run();
