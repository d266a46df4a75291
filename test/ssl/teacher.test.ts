/**
 * The EMA teacher: the seed's cosine coefficient schedule (test/fixtures/ssl_losses.json), the
 * update over parameters AND BatchNorm running statistics of a real network, integer leaves
 * kept, no gradient through the update, one trace for a traced coefficient, and the errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, scope } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture } from './fixtures.js';

await useTestBackend();

interface EmaCase {
  base: number;
  final: number;
  epoch: number;
  total: number;
  value: number;
}
const cases = loadFixture<{ ema_coefficient_cosine: EmaCase[] }>('ssl_losses.json').ema_coefficient_cosine;

const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
/** Frees every tensor of the given trees. */
const free = (...trees: unknown[]) => tf.dispose(tree.leaves<tf.Tensor>(trees));

// ---------------------------------------------------------------------------------------------
const Schedule = suite('ssl teacher: the cosine EMA coefficient schedule');

Schedule('matches the seed at every epoch: float64 exactly, float32 arrays within 1e-7, under jit one trace', async () => {
  assert.ok(cases.length >= 10);
  for (const c of cases) {
    const schedule = ssl.emaCoefficientSchedule({ base: c.base, final: c.final, totalSteps: c.total });
    allClose(schedule.at(c.epoch), c.value, { rtol: 1e-15, atol: 0 }, `epoch ${c.epoch} float64`);
    const t = np.array(c.epoch, 'int32');
    const v = scope(() => schedule(t));
    allClose(await read(v), [c.value], { rtol: 0, atol: 1e-7 }, `epoch ${c.epoch} float32`);
    free(t, v);
  }
  // One schedule, the step traced: one trace for every step.
  const schedule = ssl.emaCoefficientSchedule({ base: cases[0].base, final: cases[0].final, totalSteps: cases[0].total });
  const step = jit((t: NdArray) => schedule(t));
  for (const c of cases) {
    const t = np.array(c.epoch, 'int32');
    const v = step(t) as tf.Tensor;
    allClose(await read(v), [c.value], { rtol: 0, atol: 1e-7 }, `epoch ${c.epoch} under jit`);
    free(t, v);
  }
  assert.is(step.cacheSize(), 1);
});

Schedule('errors', () => {
  assert.is(errorOf(() => ssl.emaCoefficientSchedule({ base: 1.2, totalSteps: 10 })), 'emaCoefficientSchedule: base must be in [0, 1], got 1.2');
  assert.is(errorOf(() => ssl.emaCoefficientSchedule({ totalSteps: 0 })), 'emaCoefficientSchedule: totalSteps must be an integer >= 1, got 0');
});

Schedule.run();

// ---------------------------------------------------------------------------------------------
const Ema = suite('ssl teacher: ema over parameters and BatchNorm statistics');

/** A small network with BatchNorm: its variables after one training-mode forward (statistics moved). */
const net = nn.sequential({ fc: nn.linear({ in: 5, out: 4 }), bn: nn.batchNorm({ features: 4 }), act: nn.relu() });
function trained(seed: number): { params: unknown; state: unknown } {
  return scope(() => {
    const v = net.init(random.key(seed));
    const x = random.normal(random.key(seed + 100), [6, 5]);
    const [, state] = net.apply(v.params, v.state, x, { train: true });
    return { params: v.params, state };
  });
}
const leavesOf = async (t: unknown) => Promise.all(tree.leaves<NdArray>(t).map(read));

Ema('m * teacher + (1 - m) * student on every parameter and running statistic; integer leaves stay the teacher\'s', async () => {
  const before = tf.memory().numTensors;
  const teacher = { ...trained(1), step: np.array(7, 'int32') };
  const student = { ...trained(2), step: np.array(3, 'int32') };
  const next = scope(() => ssl.ema(teacher, student, 0.9));
  const [t, s, n] = await Promise.all([teacher, student, next].map(leavesOf));
  assert.equal(tree.paths(next), tree.paths(teacher));
  const paths = tree.paths(next);
  assert.ok(paths.includes('.state.bn.mean') && paths.includes('.state.bn.var'), 'the BatchNorm statistics are in the tree');
  paths.forEach((p, i) => {
    const expected = p === '.step' ? t[i] : t[i].map((x, j) => 0.9 * x + 0.1 * s[i][j]);
    allClose(n[i], expected, { rtol: 1e-6, atol: 1e-7 }, p);
  });
  assert.is((tree.leaves<tf.Tensor>(next)[paths.indexOf('.step')]).dtype, 'int32');
  free(teacher, student, next);
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
});

Ema('initTeacher copies the student (new tensors); the update passes no gradient to either side', async () => {
  const student = trained(3);
  const before = tf.memory().numTensors;
  const teacher = ssl.initTeacher(student);
  assert.is(tf.memory().numTensors - before, tree.leaves(student).length, 'one new tensor per leaf, nothing else');
  assert.equal(await leavesOf(teacher), await leavesOf(student));
  tree.leaves(teacher).forEach((x, i) => assert.ok(x !== tree.leaves(student)[i], 'a copy, not the same tensor'));
  const sumOf = (t: unknown) => tree.leaves<NdArray>(t).reduce<NdArray>((a, x) => np.add(a, np.sum(x)), np.zeros([]));
  const g = grad((t: unknown, s: unknown) => sumOf(ssl.ema(t, s, 0.5)), { argnums: [0, 1] })(teacher, student) as unknown[];
  for (const x of tree.leaves<NdArray>(g)) assert.ok((await read(x)).every((v) => v === 0), 'zero gradient');
  free(student, teacher, g);
});

Ema('under jit the coefficient may be traced: one trace, the eager values', async () => {
  const teacher = trained(4);
  const student = trained(5);
  const step = jit((t: unknown, s: unknown, m: NdArray) => ssl.ema(t, s, m));
  for (const m of [0.99, 0.5]) {
    const mArr = np.array(m);
    const [a, b] = [step(teacher, student, mArr), scope(() => ssl.ema(teacher, student, m))];
    const [la, lb] = await Promise.all([a, b].map(leavesOf));
    la.forEach((x, i) => allClose(x, lb[i], { rtol: 1e-6, atol: 1e-7 }));
    free(mArr, a, b);
  }
  assert.is(step.cacheSize(), 1);
  free(teacher, student);
});

Ema('errors name the mismatch', () => {
  const a = { w: tf.zeros([2, 3]), b: tf.zeros([3]) };
  assert.is(errorOf(() => ssl.ema(a, { w: a.w } as typeof a, 0.9)), 'ssl.ema: the teacher and the student differ at the root: an object with keys [b, w] vs an object with keys [w]');
  assert.is(errorOf(() => ssl.ema(a, { w: tf.zeros([3, 2]), b: a.b }, 0.9)), 'ssl.ema: at .w the teacher is [2,3] but the student [3,2]');
  assert.is(errorOf(() => ssl.ema(a, a, 1.5)), 'ssl.ema: the coefficient m must be in [0, 1], got 1.5');
  free(a);
});

Ema.run();
