/**
 * The SSL toolkit as users drive it (session 13), through the public entry (lib/node.ts) only:
 * - variants composed from the blocks and run by `jit(ssl.trainStep(...))` in a loop of the user's
 *   own data, against test/fixtures/ssl_user_scripts_session13.json (tools/ssl-user-scripts-session13.py,
 *   PyTorch 1.13, stable-pretraining's formulas): a DINO-like student / teacher on 2 global + 2
 *   local views with the user's own teacher momentum schedule in `afterUpdate` and `DINOv1Loss`'s
 *   centring; SimCLR with a custom projector and a temperature schedule read from `state.step`.
 *   One trace each, a flat tensor count;
 * - MoCo v2 with its queue (adamw): the full state (params, BatchNorm statistics, teacher, queue,
 *   optimiser state) saved by `checkpoint` mid-run and resumed gives the uninterrupted run exactly;
 * - mistakes give one line naming what was wrong: a state missing an entry (step, a stage's state,
 *   the teacher, the queue, the centre: it was "Cannot read properties of undefined"), views of
 *   different batch sizes (it was an error from ntXent or concatenate), float InfoNCE targets
 *   (it was "eq: operands must have the same dtype").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, checkpoint, jit, nn, np, optim, random, ssl, tf, tree } from '../../lib/node.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';

await useTestBackend();

const fixture = loadFixture<Record<string, any>>('ssl_user_scripts_session13.json');
const { check } = relErrChecker(1e-4);
type Vars = { params: any; state: any; optState: any };

/** The fixture's backbone: `0` Linear 6->8, `1` BatchNorm1d(8), ReLU. */
const mlpBackbone = () => nn.sequential([nn.linear({ in: 6, out: 8 }), nn.batchNorm({ features: 8 }), nn.relu()]);

/** The fixture's float entries as a state dict; a teacher stage's entries as `student.` and `teacher.` (the seed's warm start). */
function dictOf(entries: Record<string, number[] | number[][]>, teacherStages: readonly string[] = []): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(entries)) {
    const [stage, ...rest] = k.split('.');
    if (!teacherStages.includes(stage!)) out[k] = tf.tensor(v);
    else for (const who of ['student', 'teacher']) out[[stage, who, ...rest].join('.')] = tf.tensor(v);
  }
  return out;
}

/** Params, state and optimiser state of `method` loaded from `dict` (freed). */
function loaded(method: ssl.Method, dict: Record<string, tf.Tensor>, opt: optim.GradientTransformation<any>): Vars {
  const { params, state } = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  return { params, state, optState: opt.init(params) };
}

// ---------------------------------------------------------------------------------------------
const Seed = suite('user-composed variants under jit against the seed (PyTorch)');

/** A DINO-like variant: the teacher's momentum `1 - 0.2 * 0.5^step` is the user's own, in `afterUpdate`. */
function dinoLike(): ssl.Method {
  const stages = {
    encoder: mlpBackbone(),
    projector: nn.sequential([nn.linear({ in: 8, out: 8 }), nn.gelu(), nn.linear({ in: 8, out: 4 }), nn.l2Normalize()]),
    prototypes: nn.linear({ in: 4, out: 5, bias: false }),
  };
  const names = Object.keys(stages);
  const net = ssl.network({ name: 'dinoLike', stages, teacher: { stages: names, ema: { emaStart: 0.8, emaEnd: 1, emaSteps: null } }, extraState: () => ({ center: np.zeros([1, 5]) }) });
  const pick = (t: Record<string, unknown>) => Object.fromEntries(names.map((n) => [n, t[n]]));
  return {
    name: 'dinoLike',
    config: {},
    ...net.parts,
    loss(params, state, batch, { key } = {}) {
      const { views, numGlobal } = ssl.viewsOf(batch, 'dinoLike')!;
      const [global, local] = [views.slice(0, numGlobal), views.slice(numGlobal)];
      const { outputs: t, teacher } = net.teacherForward(state, global, 'concat');
      const g = ssl.encodeViews(net.chain(), params, state, global, { train: true, key, batching: 'concat' });
      const l = ssl.encodeViews(net.chain(), params, g.state, local, { train: true, key, batching: 'concat', firstView: numGlobal });
      const teacherLogits = np.stack(t.prototypes, 0);
      const targets = ssl.teacherProbs(teacherLogits, state.center, 0.05);
      const loss = ssl.dino(np.stack([...g.outputs.prototypes, ...l.outputs.prototypes], 0), targets, { studentTemperature: 0.1 });
      // DINOv1Loss: no centre before the first batch, then the first batch centre copied, then momentum 0.9.
      const center = ssl.updateCenter(state.center, teacherLogits, np.where(np.greater(state.step, 0), 0.9, 0));
      return [loss, { state: net.next(state, l.state, { teacher, center }), metrics: {} }];
    },
    afterUpdate(after, before) {
      const m = np.sub(1, np.mul(0.2, np.power(0.5, np.cast(before.state.step, 'float32'))));
      const teacher = ssl.ema(after.state.teacher, { params: pick(after.params), state: pick(after.state) }, m);
      return { ...after, state: { ...after.state, teacher } };
    },
  };
}

/** SimCLR whose temperature follows the user's cosine schedule of `state.step` (0.5 -> 0.1 over 4 steps). */
function simclrScheduled(): ssl.Method {
  const net = ssl.network({ name: 'simclrScheduled', stages: { encoder: mlpBackbone(), projector: nn.linear({ in: 8, out: 4 }) } });
  const temperature = optim.cosineDecay({ init: 0.5, end: 0.1, decaySteps: 4 });
  return {
    name: 'simclrScheduled',
    config: {},
    ...net.parts,
    loss(params, state, batch, { key } = {}) {
      const { outputs, state: s } = ssl.encodeViews(net.chain(), params, state, ssl.twoViews(batch, 'simclrScheduled'), { train: true, key });
      const t = temperature(state.step);
      return [ssl.ntXent(outputs.projector[0], outputs.projector[1], { temperature: t }), { state: net.next(state, s), metrics: { temperature: t } }];
    },
  };
}

/** Runs the fixture's steps through `jit(trainStep)`, checking each with `checkStep`; returns traces and tensor counts. */
async function runSteps(method: ssl.Method, v: Vars, opt: optim.GradientTransformation<any>, steps: any[], batchOf: (s: any) => Record<string, unknown>, checkStep: (v: Vars, r: ssl.StepResult<any, any, any>, s: any, i: number) => Promise<void>) {
  const step = jit(ssl.trainStep(method, opt));
  const counts: number[] = [];
  for (const [i, s] of steps.entries()) {
    const batch = batchOf(s);
    const r = step(v.params, v.state, v.optState, batch as never, undefined);
    tf.dispose([v, batch] as never);
    v = { params: r.params, state: r.state, optState: r.optState };
    await checkStep(v, r, s, i);
    tf.dispose(r.metrics as never);
    counts.push(tf.memory().numTensors);
  }
  tf.dispose(v as never);
  return { traces: step.cacheSize(), counts };
}

Seed('DINO-like: 2 global + 2 local views, own teacher momentum, centring: losses, centre, student and teacher match the seed', async () => {
  const c = fixture.dino;
  const method = dinoLike();
  const opt = optim.sgd({ learningRate: 0.1 });
  const v = loaded(method, dictOf(c.initial, ['backbone', 'projector', 'prototypes']), opt);
  const r = await runSteps(method, v, opt, c.steps, (s) => ({ globalViews: s.global.map((x: number[][]) => tf.tensor(x)), localViews: s.local.map((x: number[][]) => tf.tensor(x)) }), async (after, res, s, i) => {
    await check('loss', res.metrics.loss, s.loss, `step ${i}`);
    await check('center', after.state.center, s.center, `step ${i}`);
    const dict = method.toTorch(after.params, after.state);
    for (const [k, e] of Object.entries(s.teacher)) await check('teacher', dict[k.replace('.', '.teacher.')], e, `step ${i}: teacher ${k}`);
    for (const [k, e] of Object.entries(s.student)) await check('student', dict[k.replace('.', '.student.')], e, `step ${i}: student ${k}`);
    tf.dispose(Object.values(dict));
  });
  assert.is(r.traces, 1);
  assert.equal(new Set(r.counts).size, 1, `tensor count per step ${r.counts}`);
});

Seed('SimCLR with a custom projector and a temperature schedule of state.step: losses and parameters match the seed', async () => {
  const c = fixture.simclr;
  const method = simclrScheduled();
  const opt = optim.sgd({ learningRate: 0.1 });
  const v = loaded(method, dictOf(c.initial), opt);
  const r = await runSteps(method, v, opt, c.steps, (s) => ({ view1: tf.tensor(s.view1), view2: tf.tensor(s.view2) }), async (after, res, s, i) => {
    assert.ok(Math.abs((await res.metrics.temperature.data())[0]! - s.temperature) < 1e-6, `step ${i}: temperature`);
    await check('loss', res.metrics.loss, s.loss, `step ${i}`);
    const dict = method.toTorch(after.params, after.state);
    await check('params', dict['projector.weight']!, s['projector.weight'], `step ${i}: projector.weight`);
    await check('running stats', dict['backbone.1.running_mean']!, s['backbone.1.running_mean'], `step ${i}: running_mean`);
    tf.dispose(Object.values(dict));
  });
  assert.is(r.traces, 1);
  assert.equal(new Set(r.counts).size, 1, `tensor count per step ${r.counts}`);
});

// ---------------------------------------------------------------------------------------------
const Resume = suite('MoCo v2 with a queue: the full state through a checkpoint');

const ENC = { encoder: 'convnet_small', encoderOptions: { inChannels: 1, widths: [4, 8] } } as const;

/** A keyed image batch of 4 per view (the caller frees it). */
function images(i: number): { batch: { view1: NdArray; view2: NdArray }; key: NdArray } {
  const [a, b, key] = random.split(random.key(50 + i), 3);
  const batch = { view1: random.uniform(a, [4, 8, 8, 1]), view2: random.uniform(b, [4, 8, 8, 1]) };
  tf.dispose([a, b] as tf.Tensor[]);
  return { batch, key };
}

async function mocoRun(from: number, to: number, v?: Vars) {
  const method = ssl.methods.mocoV2({ ...ENC, projector: { dims: [16, 8] }, queueLength: 6, emaStart: 0.9, emaEnd: 1, emaSteps: 5 });
  const opt = optim.adamw({ learningRate: 1e-3, weightDecay: 0.05 });
  if (!v) {
    const k = random.key(0);
    const { params, state } = method.init(k);
    k.dispose();
    v = { params, state, optState: opt.init(params) };
  }
  const step = jit(ssl.trainStep(method, opt));
  const losses: number[] = [];
  for (let i = from; i < to; i++) {
    const { batch, key } = images(i);
    const r: ssl.StepResult<any, any, any> = step(v.params, v.state, v.optState, batch, key);
    tf.dispose([v, batch, key] as never);
    v = { params: r.params, state: r.state, optState: r.optState };
    losses.push((await r.metrics.loss.data())[0]!);
    tf.dispose(r.metrics as never);
  }
  return { v, losses };
}

Resume('save after 2 of 5 steps, load, continue: the same losses and every leaf (queue, teacher, Adam moments) bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjax-moco-resume-'));
  try {
    const full = await mocoRun(0, 5);
    const half = await mocoRun(0, 2);
    const file = join(dir, 'moco.safetensors');
    await checkpoint.save(file, half.v);
    const back = (await checkpoint.load(file, { like: half.v })) as Vars;
    assert.is((await half.v.state.queue.filled.data())[0], 6, 'the queue is full at the save');
    tf.dispose(half.v as never);
    const rest = await mocoRun(2, 5, back);
    assert.equal([...half.losses, ...rest.losses], full.losses);
    const [a, b] = [tree.leaves(full.v) as tf.Tensor[], tree.leaves(rest.v) as tf.Tensor[]];
    assert.is(a.length, b.length);
    a.forEach((x, i) => assert.equal(Array.from(b[i]!.dataSync()), Array.from(x.dataSync()), `leaf ${i}`));
    tf.dispose([full.v, rest.v] as never);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
const Mistakes = suite('mistakes give one line naming what was wrong');

const oneLine = (f: () => unknown, pattern: RegExp) => {
  const message = errorOf(f);
  assert.ok(!message.includes('\n'), `one line: ${message}`);
  assert.match(message, pattern);
};

Mistakes('a state missing an entry names the method and the entry (step, a stage, the teacher, the queue, the centre)', () => {
  const two = { view1: tf.zeros([4, 8, 8, 1]), view2: tf.zeros([4, 8, 8, 1]) };
  const cases: [ssl.Method, string, RegExp][] = [
    [ssl.methods.simclr({ ...ENC, projector: { dims: [16, 8] } }), 'step', /^simclr: the state has no 'step' \(it holds encoder, projector\)/],
    [ssl.methods.vicreg({ ...ENC, projector: { dims: [16, 8] } }), 'projector', /^vicreg: the state has no 'projector' \(it holds encoder, step\)/],
    [ssl.methods.byol({ ...ENC, projector: { dims: [16, 8] }, predictor: { dims: [16, 8] } }), 'teacher', /^byol: the state has no 'teacher'/],
    [ssl.methods.mocoV2({ ...ENC, projector: { dims: [16, 8] }, queueLength: 4 }), 'queue', /^mocoV2: the state has no 'queue'/],
    [ssl.methods.nnclr({ ...ENC, projector: { dims: [16, 8] }, predictor: { dims: [16, 8] }, queueLength: 4 }), 'queue', /^nnclr: the state has no 'queue'/],
    [ssl.methods.dino({ ...ENC, projector: { dims: [16, 8] }, numPrototypes: 6 }), 'center', /^dino: the state has no 'center'/],
  ];
  for (const [method, drop, pattern] of cases) {
    const k = random.key(0);
    const { params, state } = method.init(k);
    const { [drop]: dropped, ...partial } = state as Record<string, unknown>;
    const opt = optim.sgd({ learningRate: 0.1 });
    const optState = opt.init(params);
    const before = tf.memory().numTensors;
    oneLine(() => ssl.trainStep(method, opt)(params, partial, optState, two, k), pattern);
    assert.is(tf.memory().numTensors, before, `${method.name}: the failed step frees what it made`);
    tf.dispose([k, params, state, optState, dropped] as never);
  }
  tf.dispose(Object.values(two));
});

Mistakes('encodeViews with no state for a stage names the stage', () => {
  const chain = { encoder: nn.linear({ in: 3, out: 2 }), projector: nn.sequential([nn.linear({ in: 2, out: 2 })]) };
  const k = random.key(0);
  const { params } = nn.sequential([chain.encoder]).init(k);
  const x = tf.zeros([2, 3]);
  oneLine(() => ssl.encodeViews(chain, { encoder: params[0], projector: [params[0]] }, { encoder: {} }, [x]), /^encodeViews: no state for stage 'projector' \(state holds encoder\)$/);
  tf.dispose([k, x, params] as never);
});

Mistakes('views of different batch sizes name the views (two views, multi-crop)', () => {
  const x4 = tf.zeros([4, 8, 8, 1]);
  const x5 = tf.zeros([5, 8, 8, 1]);
  const x3 = tf.zeros([3, 6, 6, 1]);
  const simclr = ssl.methods.simclr({ ...ENC, projector: { dims: [16, 8] } });
  const dino = ssl.methods.dino({ ...ENC, projector: { dims: [16, 8] }, numPrototypes: 6 });
  for (const [method, batch, pattern] of [
    [simclr, { view1: x4, view2: x5 }, /^simclr: every view must hold the same number of images; view2 is \[5,8,8,1\] but view1 \[4,8,8,1\]$/],
    [dino, { globalViews: [x4, x5] }, /^dino: every view must hold the same number of images; globalViews\[1\] is \[5,8,8,1\] but globalViews\[0\] \[4,8,8,1\]$/],
    [dino, { globalViews: [x4, x4], localViews: [x3] }, /^dino: every view must hold the same number of images; localViews\[0\] is \[3,6,6,1\] but globalViews\[0\] \[4,8,8,1\]$/],
  ] as const) {
    const k = random.key(0);
    const { params, state } = method.init(k);
    oneLine(() => method.loss(params, state, batch as never), pattern);
    tf.dispose([k, params, state] as never);
  }
  tf.dispose([x4, x5, x3]);
});

Mistakes('infoNce with float targets says they must be integer indices', () => {
  const a = tf.ones([3, 2]);
  const t = tf.tensor([0, 1, 2]);
  oneLine(() => ssl.infoNce(a, a, t), /^infoNce: targets must be integer indices \(int32\), got float32$/);
  tf.dispose([a, t]);
});

Seed.run();
Resume.run();
Mistakes.run();
