/**
 * The methods added in session 16: DirectCLR, spectral contrastive learning (`spectralCl`) and
 * LeJEPA, against test/fixtures/ssl_methods_session16.json (tools/ssl_methods_session16.py: the
 * seed's `methods/lejepa.py` forward and the papers' code for the other two, transcribed in
 * PyTorch 1.13, float32) on a Linear 6->8, BatchNorm1d, ReLU backbone, loaded with `fromTorch`
 * and trained 3 steps with plain SGD (lr 0.1) through `ssl.trainStep`, jitted (one trace) and
 * eagerly: every loss (LeJEPA: also its invariance and SIGReg parts, SIGReg's directions drawn
 * from the step's key) and the state dict after within 1e-4 (relative to each entry's largest
 * value); jit and eager agree as closely. LeJEPA runs 2 global and 2 local views. Also: the
 * registry and defaults, LeJEPA's need of a key, and one step sharded over an axis (vmap with
 * axisName) equal to one process on the whole batch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, vmap } from '../../lib/core/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';
import { type Arr, type SeedCase, biasFloor, runSeedCase, seedBackbone, seedStepsSuite, tensorOf } from './seed-steps.js';
import { tensorsIn } from './tiny-swav.js';

await useTestBackend();

type Case = SeedCase<{ views: Arr[]; loss: number; invariance?: number; sigreg?: number }>;
const fixture = loadFixture<{ lr: number; directclr: Case; spectralCl: Case; lejepa: Case }>('ssl_methods_session16.json');
const { check } = relErrChecker(1e-4);
const tensor = tensorOf;

const backbone = () => seedBackbone('session16_backbone');

/** The fixture's tiny methods (the seed's structures at widths 8, 6 and 4). */
const METHODS = {
  directclr: () => ssl.methods.directclr({ encoder: backbone(), dim: 6, temperature: 0.1 }),
  spectralCl: () => ssl.methods.spectralCl({ encoder: backbone(), projector: ssl.head([8, 4], { lastNorm: 'batchNorm' }), mu: 1 }),
  lejepa: () => ssl.methods.lejepa({ encoder: backbone(), projectorInput: 6, projector: ssl.head([8, 4]), numSlices: 5, lamb: 0.5 }),
} as const;
type Name = keyof typeof METHODS;

/** Step `s`'s batch: LeJEPA's 2 global + 2 local views, else two views. */
function batchOf(name: Name, views: tf.Tensor[]): ssl.ViewsBatch {
  return name === 'lejepa' ? { globalViews: views.slice(0, 2), localViews: views.slice(2) } : { view1: views[0], view2: views[1] };
}

/** Step `s`'s key (LeJEPA's SIGReg directions come from `split(key)[1]`, as the generator draws them). */
const keyOf = (s: number) => random.key(100 + s);

const floorOf = biasFloor;

/** Trains the case from its initial state (jitted or eager), checking each step; the state dict after. */
function runCase(name: Name, useJit: boolean): Promise<Record<string, tf.Tensor>> {
  const c = fixture[name];
  return runSeedCase({
    name,
    method: METHODS[name](),
    seedCase: c,
    dict: Object.fromEntries(Object.entries(c.initial_state).map(([k, v]) => [k, tensor(v)])),
    lr: fixture.lr,
    useJit,
    check,
    batchOf: (views) => batchOf(name, views),
    keyOf,
    checkStep: async (r, ref, label) => {
      if (ref.invariance !== undefined) await check('invariance', r.metrics.invariance, ref.invariance, label);
      if (ref.sigreg !== undefined) await check('sigreg', r.metrics.sigreg, ref.sigreg, label);
    },
    floorOf,
  });
}

seedStepsSuite("ssl.methods session 16: the seed's steps (PyTorch transcription), jit and eager", Object.keys(METHODS), (name, useJit) => runCase(name as Name, useJit), check, (name, k) => floorOf(k, fixture[name as Name].state_after));

const Parts = suite('ssl.methods session 16: registry, defaults, keys');
Parts('directclr, spectralCl and lejepa are registered and take the defaults (seed / papers)', () => {
  for (const n of ['directclr', 'spectralCl', 'lejepa']) assert.ok(ssl.methods.names().includes(n), n);
  const d = ssl.methods.byName('directclr').defaults;
  assert.equal([d.encoder, d.dim, d.temperature], ['resnet50', 360, 0.1]);
  const s = ssl.methods.byName('spectralCl').defaults;
  assert.equal([s.encoder, s.projector.dims, s.projector.lastNorm, s.mu], ['resnet50', [8192, 8192, 8192], 'batchNorm', 1]);
  const l = ssl.methods.byName('lejepa').defaults;
  assert.equal([l.projectorInput, l.projector.dims, l.projector.batchNorm, l.numSlices, l.tMax, l.nPoints, l.lamb], [512, [2048, 2048, 512], true, 1024, 3, 17, 0.02]);
  assert.is(errorOf(() => ssl.methods.directclr({ encoder: backbone(), dim: 9 })), "directclr config: at .dim expected at most the encoder's width 8, got 9");
  assert.is(errorOf(() => ssl.methods.lejepa({ nPoints: 16 })), 'lejepa config: at .nPoints expected an odd integer >= 3, got 16');
});
Parts("lejepa: the seed's projector layout (projector.0, projector.1.{0,1,4}); training without a key is one line", () => {
  const method = METHODS.lejepa();
  const v = method.init(random.key(1));
  const dict = method.toTorch(v.params, v.state);
  for (const k of ['projector.0.weight', 'projector.0.bias', 'projector.1.0.weight', 'projector.1.1.running_var', 'projector.1.4.weight']) assert.ok(dict[k], k);
  const batch = { view1: tf.ones([4, 6]), view2: tf.ones([4, 6]) };
  assert.match(errorOf(() => method.loss(v.params, v.state, batch)), /^lejepa: training needs a PRNG key for SIGReg's random directions/);
  tf.dispose([...Object.values(dict), ...tensorsIn([v, batch])]);
});
Parts.run();

const Axis = suite('directclr, spectralCl and lejepa sharded over an axis: the members train the whole batch');
const AXIS = 'batch';

/** One step of `name` from its initial state on its first views: in one process, or under vmap over 2 shards with `axisName` (one key for all). */
function firstStep(name: Name, sharded: boolean) {
  const c = fixture[name];
  const method = METHODS[name]();
  const dict = Object.fromEntries(Object.entries(c.initial_state).map(([k, v]) => [k, tensor(v)]));
  const v = method.fromTorch(dict);
  tf.dispose(Object.values(dict));
  const opt = optim.sgd({ learningRate: fixture.lr });
  const optState = opt.init(v.params);
  const views = c.steps[0].views.map(tensor);
  const key = keyOf(0);
  const step = ssl.trainStep(method as ssl.Method, opt, sharded ? { axisName: AXIS } : {});
  const shard = (x: tf.Tensor) => tf.reshape(x, [2, x.shape[0] / 2, ...x.shape.slice(1)]);
  const run = sharded
    ? vmap((p: unknown, s: unknown, o: unknown, b: unknown, k: unknown) => step(p, s, o, b as never, k as NdArray), { inAxes: [null, null, null, 0, null], outAxes: null, axisName: AXIS })
    : (p: unknown, s: unknown, o: unknown, b: unknown, k: unknown) => step(p, s, o, b as never, k as NdArray);
  const batch = batchOf(name, sharded ? views.map(shard) : views);
  const r = run(v.params, v.state, optState, batch, key) as ssl.StepResult<any, any, any>;
  const after = method.toTorch(r.params, r.state);
  tf.dispose([...tensorsIn([v, optState, r, batch]), ...views, key]);
  return after;
}

for (const name of Object.keys(METHODS) as Name[]) {
  Axis(`${name}: one step under vmap over 2 shards with axisName = one process on the whole batch (state dict within 1e-5)`, async () => {
    const one = firstStep(name, false);
    const two = firstStep(name, true);
    for (const k of Object.keys(one)) {
      const want = Array.from(await one[k].data());
      const scale = Math.max(1e-6, ...want.map(Math.abs), ...(k.endsWith('.bias') && one[k.replace(/bias$/, 'weight')] ? Array.from(await one[k.replace(/bias$/, 'weight')].data()).map(Math.abs) : []));
      allClose(Array.from(await two[k].data()), want, { rtol: 0, atol: 1e-5 * scale }, `${name}: ${k}`);
    }
    tf.dispose([...Object.values(one), ...Object.values(two)]);
  });
}
Axis.run();
