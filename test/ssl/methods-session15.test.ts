/**
 * The methods added in session 15 from stable-pretraining (the seed): MoCo v3, TiCo and W-MSE,
 * against test/fixtures/ssl_methods_session15.json (tools/ssl_methods_session15.py: the seed's
 * `methods/mocov3.py`, `methods/tico.py`, `methods/wmse.py` forwards transcribed in PyTorch
 * 1.13, float32) on a Linear 6->8, BatchNorm1d, ReLU backbone, loaded with `fromTorch` and
 * trained 3 steps with plain SGD (lr 0.1; MoCo v3 0.01, where float32 and float64 part by 2e-4 at 0.1) through `ssl.trainStep`, jitted and eagerly:
 * every loss, TiCo's running covariance `C`, and the state dict after (MoCo v3: the EMA teacher
 * with the seed's cosine coefficient 0.9 -> 1 and its `ema_coefficient` buffer) within 1e-4
 * (relative to each entry's largest value); jit and eager agree as closely. Also: the registry,
 * the seed's defaults, TiCo's `C` in the state dict, and one step sharded over an axis.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vmap } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, maxAbs, relErrChecker } from './fixtures.js';
import { type Arr, type SeedCase, runSeedCase, seedBackbone, seedStepsSuite, tensorOf } from './seed-steps.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Case = SeedCase<{ views: Arr[]; loss: number; C?: Arr }>;
const fixture = loadFixture<{ lr: number; mocoV3: Case; tico: Case; wmse: Case }>('ssl_methods_session15.json');
const { check } = relErrChecker(1e-4);
const tensor = tensorOf;

const backbone = () => seedBackbone('session15_backbone');

/** The fixture's tiny methods (the seed's head structures at widths 8 and 4). */
const METHODS = {
  mocoV3: () =>
    ssl.methods.mocoV3({
      encoder: backbone(),
      projector: ssl.head([8, 4], { bias: false, lastBias: false, lastNorm: 'batchNormNoAffine' }),
      predictor: ssl.head([8, 4], { bias: false, lastBias: false }),
      temperature: 0.2,
      emaStart: 0.9,
      emaEnd: 1,
      emaSteps: 3,
    }),
  tico: () => ssl.methods.tico({ encoder: backbone(), projector: ssl.head([8, 8, 4], { bias: false }), beta: 0.9, rho: 20 }),
  wmse: () => ssl.methods.wmse({ encoder: backbone(), projector: ssl.head([8, 4]), eps: 1e-3 }),
} as const;
type Name = keyof typeof METHODS;

/** The fixture's state dict as tensors; every `*.student.*` entry also as `*.teacher.*` (the seed's warm start). */
function stateDict(entries: Record<string, Arr>): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [k, v] of Object.entries(entries)) {
    out[k] = tensor(v);
    if (k.includes('.student.')) out[k.replace('.student.', '.teacher.')] = tensor(v);
  }
  return out;
}

/**
 * Quantities that are mathematically zero hold float32 round-off on both sides, measured against
 * their layer's scale: a bias whose gradient is zero against its weight, and the running mean of
 * features with batch mean zero (MoCo v3's predictor after the projector's affine-free BatchNorm)
 * against the running std.
 */
function floorOf(k: string, entries: Record<string, Arr>): number | undefined {
  if (k.endsWith('.bias')) {
    const w = entries[k.replace(/bias$/, 'weight')];
    return w === undefined ? undefined : maxAbs(w.data);
  }
  const v = k.endsWith('.running_mean') ? entries[k.replace(/running_mean$/, 'running_var')] : undefined;
  return v === undefined ? undefined : Math.sqrt(maxAbs(v.data));
}

/** Trains the case from its initial state (jitted or eager), checking each step; the state dict after. */
function runCase(name: Name, useJit: boolean): Promise<Record<string, tf.Tensor>> {
  const c = fixture[name];
  return runSeedCase({
    name,
    method: METHODS[name](),
    seedCase: c,
    dict: stateDict(c.initial_state),
    lr: (c.config.lr as number | undefined) ?? fixture.lr,
    useJit,
    check,
    batchOf: ([view1, view2]) => ({ view1, view2 }),
    checkStep: async (r, ref, label) => {
      if (ref.C) await check('C', r.state.covariance, ref.C.data, label);
    },
    floorOf,
  });
}

seedStepsSuite("ssl.methods session 15: the seed's steps (PyTorch transcription), jit and eager", Object.keys(METHODS), (name, useJit) => runCase(name as Name, useJit), check, (name, k) => floorOf(k, fixture[name as Name].state_after));

const Parts = suite('ssl.methods session 15: registry, defaults, state dicts');
Parts('mocoV3, tico and wmse are registered and take the seed defaults', () => {
  for (const n of ['mocoV3', 'tico', 'wmse']) assert.ok(ssl.methods.names().includes(n), n);
  const m3 = ssl.methods.byName('mocoV3').defaults;
  assert.equal([m3.projector.dims, m3.projector.lastNorm, m3.predictor.dims, m3.temperature, m3.emaStart, m3.emaEnd], [[4096, 4096, 256], 'batchNormNoAffine', [4096, 256], 0.2, 0.99, 1]);
  const t = ssl.methods.byName('tico').defaults;
  assert.equal([t.projector.dims, t.projector.bias, t.projector.lastBias, t.beta, t.rho], [[2048, 2048, 256], false, true, 0.9, 20]);
  const w = ssl.methods.byName('wmse').defaults;
  assert.equal([w.projector.dims, w.eps], [[1024, 64], 1e-3]);
  assert.is(errorOf(() => ssl.methods.mocoV3({ encoder: backbone(), projector: ssl.head([8, 4]), predictor: ssl.head([8, 6]) })), 'mocoV3 config: at .predictor.dims expected the output width 4 of the projector, got 6');
  assert.is(errorOf(() => ssl.methods.tico({ beta: 2 })), 'tico config: at .beta expected a number in [0, 1], got 2');
});

Parts("tico: the running covariance is the seed's `C` buffer (a dict without it starts at zeros); a missing state entry is one line", async () => {
  const method = METHODS.tico();
  const v = method.init(random.key(2));
  const dict = method.toTorch(v.params, v.state);
  assert.equal(dict.C.shape, [4, 4]);
  dict.C.dispose();
  dict.C = tf.fill([4, 4], 0.5);
  const back = method.fromTorch(dict);
  assert.equal(Array.from(await (back.state.covariance as tf.Tensor).data()), new Array(16).fill(0.5));
  const { C: _dropped, ...without } = dict;
  const fresh = method.fromTorch(without);
  assert.equal(Array.from(await (fresh.state.covariance as tf.Tensor).data()), new Array(16).fill(0));
  const wrong = tf.zeros([3, 3]);
  assert.match(errorOf(() => method.fromTorch({ ...dict, C: wrong })), /'C' has shape \[3,3\], expected \[4,4\]/);
  const { covariance: _c, ...rest } = v.state;
  const batch = { view1: tf.ones([4, 6]), view2: tf.ones([4, 6]) };
  assert.match(errorOf(() => method.loss(v.params, rest as never, batch)), /^tico: the state has no 'covariance'/);
  tf.dispose([wrong, ...Object.values(dict), ...tensorsIn([v, back, fresh, batch])]);
});
Parts.run();

const Axis = suite('mocoV3, tico and wmse sharded over an axis: the members train the whole batch');
const AXIS = 'batch';

/** One step of `method` from the case's initial state on its first views: in one process, or under vmap over 2 shards with `axisName`. */
function firstStep(name: Name, sharded: boolean) {
  const c = fixture[name];
  const method = METHODS[name]();
  const dict = stateDict(c.initial_state);
  const v = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const opt = optim.sgd({ learningRate: (c.config.lr as number | undefined) ?? fixture.lr });
  const optState = opt.init(v.params);
  const [view1, view2] = c.steps[0].views.map(tensor);
  const step = ssl.trainStep(method as ssl.Method, opt, sharded ? { axisName: AXIS } : {});
  const shard = (x: tf.Tensor) => tf.reshape(x, [2, x.shape[0] / 2, ...x.shape.slice(1)]);
  const run = sharded
    ? vmap((p: unknown, s: unknown, o: unknown, b: unknown) => step(p, s, o, b as never), { inAxes: [null, null, null, 0], outAxes: null, axisName: AXIS })
    : (p: unknown, s: unknown, o: unknown, b: unknown) => step(p, s, o, b as never);
  const batch = sharded ? { view1: shard(view1), view2: shard(view2) } : { view1, view2 };
  const r = run(v.params, v.state, optState, batch) as ssl.StepResult<any, any, any>;
  const after = method.toTorch(r.params, r.state);
  tf.dispose([...tensorsIn([v, optState, r, batch]), view1, view2]);
  return after;
}

for (const name of Object.keys(METHODS) as Name[]) {
  Axis(`${name}: one step under vmap over 2 shards with axisName = one process on the whole batch (state dict within 1e-5)`, async () => {
    const one = firstStep(name, false);
    const two = firstStep(name, true);
    const maxOf = async (t: tf.Tensor) => Math.max(...Array.from(await t.data()).map(Math.abs));
    for (const k of Object.keys(one)) {
      const want = Array.from(await one[k].data());
      // A running mean that is mathematically zero (see floorOf) against the running std.
      const std = k.endsWith('.running_mean') ? Math.sqrt(await maxOf(one[k.replace(/running_mean$/, 'running_var')])) : 0;
      const scale = Math.max(1e-6, std, ...want.map(Math.abs));
      allClose(Array.from(await two[k].data()), want, { rtol: 0, atol: 1e-5 * scale }, `${name}: ${k}`);
    }
    tf.dispose([...Object.values(one), ...Object.values(two)]);
  });
}
Axis.run();
