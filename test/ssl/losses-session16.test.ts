/**
 * The losses added in session 16: `directClr`, `spectralContrastive` and LeJEPA's (`eppsPulley`,
 * `slicedEppsPulley`, `sigreg`, `lejepa`), against test/fixtures/ssl_methods_session16.json
 * (tools/ssl_methods_session16.py: the seed's `methods/lejepa.py` formulas and the papers' code for
 * DirectCLR and the spectral loss, transcribed in PyTorch 1.13, float32): values and input
 * gradients within 1e-4 relative (norm-wise). SIGReg's directions are JAX's `random.normal` of
 * the key (the generator computes them with tools/jax_threefry_reference.py). Also: with
 * `axisName` under vmap over 2 shards, the members' mean loss (and their gradients) equals one
 * process on the whole batch; bad input is a one-line error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, valueAndGrad, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture, relErrChecker } from './fixtures.js';

await useTestBackend();

interface Arr {
  data: number[];
  shape: number[];
}
interface GradCase {
  inputs: Arr[];
  value: number;
  grads: Arr[];
  [k: string]: unknown;
}
const L = loadFixture<{ losses: Record<string, any> }>('ssl_methods_session16.json').losses;
const { check } = relErrChecker(1e-4);
const tensor = (a: Arr) => tf.tensor(a.data, a.shape);

/** Checks `f`'s value and input gradients against a fixture case. */
async function checkCase(label: string, c: GradCase, f: (...xs: NdArray[]) => NdArray): Promise<void> {
  const xs = c.inputs.map(tensor);
  const argnums = xs.map((_, i) => i);
  const [value, grads] = valueAndGrad((...a: NdArray[]) => f(...a), { argnums })(...xs) as [NdArray, NdArray[]];
  await check('value', value, c.value, label);
  for (let i = 0; i < grads.length; i++) await check(`grad ${i}`, grads[i], c.grads[i].data, label);
  tf.dispose([...xs, value, ...grads] as tf.Tensor[]);
}

const Seed = suite("session 16 losses: the seed's formulas (PyTorch transcription)");
Seed('directClr: symmetric InfoNCE of the first dim features (dim < D and dim = D); value and gradients', async () => {
  for (const name of ['directclr', 'directclrFull']) {
    const c = L[name] as GradCase & { dim: number; temperature: number };
    await checkCase(name, c, (h1, h2) => ssl.directClr(h1, h2, { dim: c.dim, temperature: c.temperature }));
  }
});
Seed('spectralContrastive: rows inside and outside the ball, mu 1 and 2; value and gradients', async () => {
  for (const name of ['spectral', 'spectralMu2']) {
    const c = L[name] as GradCase & { mu: number };
    await checkCase(name, c, (z1, z2) => ssl.spectralContrastive(z1, z2, { mu: c.mu }));
  }
});
Seed('eppsPulley: per-slice statistic, default grid and tMax 2 with 9 points', async () => {
  const x = tensor(L.eppsPulley.x);
  const y = ssl.eppsPulley(x);
  await check('eppsPulley', y, L.eppsPulley.value.data, 'default grid');
  const g = L.eppsPulleyGrid;
  const x2 = tensor(g.x);
  const y2 = ssl.eppsPulley(x2, { tMax: g.tMax, nPoints: g.nPoints });
  await check('eppsPulley', y2, g.value.data, 'tMax 2, 9 points');
  tf.dispose([x, y, x2, y2] as tf.Tensor[]);
});
Seed('slicedEppsPulley: given directions (normalised inside); value and gradient', async () => {
  const c = L.sliced as GradCase & { directions: Arr };
  const a = tensor(c.directions);
  await checkCase('sliced', c, (x) => ssl.slicedEppsPulley(x, a));
  a.dispose();
});
Seed("sigreg and lejepa: directions random.normal(key, [D, numSlices]); lejepa's parts, value and gradients", async () => {
  const s = L.sigreg;
  const key = tf.tensor(s.key, [2], 'int32');
  const x = tensor(s.x);
  const v = ssl.sigreg(x, key, { numSlices: s.numSlices });
  await check('sigreg', v, s.value, 'sigreg');
  const c = L.lejepa as GradCase & { numSlices: number; lamb: number; numGlobal: number; invariance: number; sigreg: number };
  await checkCase('lejepa', c, (...views) => ssl.lejepa(views, c.numGlobal, key, { lamb: c.lamb, numSlices: c.numSlices }).loss);
  const views = c.inputs.map(tensor);
  const r = ssl.lejepa(views, c.numGlobal, key, { lamb: c.lamb, numSlices: c.numSlices });
  await check('invariance', r.invariance, c.invariance, 'lejepa');
  await check('sigreg', r.sigreg, c.sigreg, 'lejepa');
  tf.dispose([key, x, v, ...views, r.loss, r.invariance, r.sigreg] as tf.Tensor[]);
});
Seed.run();

const Axis = suite('session 16 losses with axisName: vmap over 2 shards = one process on the whole batch');
const AXIS = 'shards';
const shard = (x: NdArray) => np.reshape(x, [2, x.shape[0] / 2, ...x.shape.slice(1)]);

/** The members' mean loss and gradients (w.r.t. the sharded inputs, times the member count / mean) against the whole batch's. */
async function checkSharded(label: string, inputs: NdArray[], f: (xs: NdArray[], axisName?: string) => NdArray): Promise<void> {
  const whole = f(inputs);
  const wholeGrads = grad((...xs: NdArray[]) => f(xs), { argnums: inputs.map((_, i) => i) })(...inputs) as NdArray[];
  const member = (...xs: NdArray[]) => f(xs, AXIS);
  const losses = vmap(member, { inAxes: inputs.map(() => 0), axisName: AXIS })(...inputs.map(shard));
  allClose(Array.from(await np.mean(losses).data()), Array.from(await (whole as tf.Tensor).data()), { rtol: 1e-5, atol: 1e-6 }, `${label}: mean of the members' losses`);
  // Each member's gradient is the whole loss's gradient on its rows times the number of members.
  const memberGrads = vmap(grad(member, { argnums: inputs.map((_, i) => i) }), { inAxes: inputs.map(() => 0), axisName: AXIS })(...inputs.map(shard)) as NdArray[];
  for (let i = 0; i < inputs.length; i++) {
    const want = Array.from(await (wholeGrads[i] as tf.Tensor).data()).map((g) => 2 * g);
    const scale = Math.max(...want.map(Math.abs));
    allClose(Array.from(await (memberGrads[i] as tf.Tensor).data()), want, { rtol: 0, atol: 1e-5 * scale }, `${label}: member gradients of input ${i}`);
  }
  tf.dispose([whole, losses, ...wholeGrads, ...memberGrads] as tf.Tensor[]);
}

Axis('directClr, spectralContrastive, lejepa (and without the axis the shards differ)', async () => {
  const h1 = tensor(L.directclr.inputs[0]);
  const h2 = tensor(L.directclr.inputs[1]);
  await checkSharded('directClr', [h1, h2], ([a, b], axisName) => ssl.directClr(a, b, { dim: 3, axisName }));
  const z1 = tensor(L.spectral.inputs[0]);
  const z2 = tensor(L.spectral.inputs[1]);
  await checkSharded('spectralContrastive', [z1, z2], ([a, b], axisName) => ssl.spectralContrastive(a, b, { axisName }));
  const key = random.key(5);
  const views = [0, 1, 2].map((i) => random.normal(random.key(10 + i), [6, 4]));
  await checkSharded('lejepa', views, (vs, axisName) => ssl.lejepa(vs, 2, key, { numSlices: 8, lamb: 0.5, axisName }).loss);
  // Without the axis: each shard's SIGReg is its own half's, so the mean differs.
  const unsynced = vmap((...vs: NdArray[]) => ssl.lejepa(vs, 2, key, { numSlices: 8, lamb: 0.5 }).loss, { inAxes: [0, 0, 0] })(...views.map(shard));
  const whole = ssl.lejepa(views, 2, key, { numSlices: 8, lamb: 0.5 }).loss;
  const gap = Math.abs((await np.mean(unsynced).data())[0] - (await (whole as tf.Tensor).data())[0]);
  assert.ok(gap > 1e-3, `unsynchronised shards differ from the whole batch (gap ${gap})`);
  tf.dispose([h1, h2, z1, z2, key, ...views, unsynced, whole] as tf.Tensor[]);
});
Axis.run();

const Errors = suite('session 16 losses: bad input is one line');
Errors('shapes, dim, mu, nPoints, numGlobal', () => {
  const a = tf.ones([4, 3]);
  const b = tf.ones([4, 2]);
  const key = random.key(0);
  assert.is(errorOf(() => ssl.directClr(a, a, { dim: 4 })), 'directClr: dim must be an integer in [1, 3] (the representations\' width), got 4');
  assert.is(errorOf(() => ssl.directClr(a, b)), 'directClr: h1 and h2 must have one shape, got [4,3] and [4,2]');
  assert.is(errorOf(() => ssl.spectralContrastive(a, a, { mu: 0 })), 'spectralContrastive: mu must be a finite number > 0, got 0');
  assert.is(errorOf(() => ssl.eppsPulley(a, { nPoints: 4 })), 'eppsPulley: nPoints must be an odd integer >= 3, got 4');
  assert.is(errorOf(() => ssl.slicedEppsPulley(a, tf.ones([2, 5]))), 'slicedEppsPulley: directions must be [3, slices] for x of width 3, got [2,5]');
  assert.is(errorOf(() => ssl.lejepa([a, a], 3, key)), 'lejepa: numGlobal must be an integer in [1, 2] (the global views come first), got 3');
  assert.is(errorOf(() => ssl.lejepa([a, b], 1, key)), 'lejepa: every view must be [4, 3] as views[0], got [4,2] at views[1]');
  tf.dispose([a, b, key]);
});
Errors.run();
