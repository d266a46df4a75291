/**
 * optax optimisers and transformations that tfjax lacked (adafactor / scaleByFactoredRms, adan,
 * nadamw, signSgd, signum, optimisticGradientDescent, rprop, scaleByStddev, clipByBlockRms,
 * scaleByParamBlockNorm/Rms, normalizeByUpdateNorm, partition, namedChain), against reference
 * trajectories (test/fixtures/optax_gaps.json, from tools/optax-fixtures-gaps.py: optax's update
 * equations re-implemented in float64 numpy): parameters after each of 8 steps within 1e-5,
 * eagerly and under jit, no tensor left behind. 1e-5 on parameters of size ~1 is ~100 float32
 * ulps; a wrong default or formula moves them by 1e-3 or more.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { grad, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type TrajectoryFixture, leafValuesFlat, maxAbsDiff, scopedTests, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

type Hyper = Record<string, number | boolean | null>;
const fixture: TrajectoryFixture & { cases: Record<string, { hyper: Hyper }> } = JSON.parse(
  readFileSync(new URL('../fixtures/optax_gaps.json', import.meta.url), 'utf8'),
);

const num = (h: Hyper, k: string) => (h[k] ?? undefined) as number | undefined;
const bool = (h: Hyper, k: string) => (h[k] ?? undefined) as boolean | undefined;

function build(name: string): optim.GradientTransformation {
  const h = fixture.cases[name].hyper;
  const lr = num(h, 'lr') as number;
  switch (name) {
    case 'adafactor':
    case 'adafactor_factored_momentum_wd':
    case 'adafactor_unfactored_plain':
    case 'adafactor_clip_small':
      return optim.adafactor({
        learningRate: num(h, 'lr'),
        minDimSizeToFactor: num(h, 'min_dim_size_to_factor'),
        momentum: num(h, 'momentum'),
        weightDecayRate: num(h, 'weight_decay_rate'),
        factored: bool(h, 'factored'),
        multiplyByParameterScale: bool(h, 'multiply_by_parameter_scale'),
        clippingThreshold: 'clipping_threshold' in h ? (h.clipping_threshold as number | null) : undefined,
        decayRate: num(h, 'decay_rate'),
      });
    case 'adan':
    case 'adan_wd':
      return optim.adan({ learningRate: lr, b1: num(h, 'b1'), b2: num(h, 'b2'), b3: num(h, 'b3'), eps: num(h, 'eps'), weightDecay: num(h, 'weight_decay') });
    case 'sign_sgd':
      return optim.signSgd({ learningRate: lr });
    case 'signum':
      return optim.signum({ learningRate: lr, beta: num(h, 'beta') });
    case 'optimistic_gradient_descent':
    case 'optimistic_gradient_descent_ab':
      return optim.optimisticGradientDescent({ learningRate: lr, alpha: num(h, 'alpha'), beta: num(h, 'beta') });
    case 'rprop':
    case 'rprop_bounds':
      return optim.rprop({ learningRate: lr, etaMinus: num(h, 'eta_minus'), etaPlus: num(h, 'eta_plus'), minStepSize: num(h, 'min_step_size'), maxStepSize: num(h, 'max_step_size') });
    case 'nadamw':
    case 'nadamw_wd':
      return optim.nadamw({ learningRate: lr, b1: num(h, 'b1'), weightDecay: num(h, 'weight_decay') });
    case 'stddev_sgd':
    case 'stddev_bias_correction_eps_out':
      return optim.chain(
        optim.scaleByStddev({ decay: num(h, 'decay'), eps: num(h, 'eps'), initialScale: num(h, 'initial_scale'), epsInSqrt: bool(h, 'eps_in_sqrt'), biasCorrection: bool(h, 'bias_correction') }),
        optim.scaleByLearningRate(lr),
      );
    case 'clip_by_block_rms_sgd':
      return optim.chain(optim.clipByBlockRms(num(h, 'threshold') as number), optim.sgd({ learningRate: lr }));
    case 'param_block_norm_sgd':
      return optim.chain(optim.scaleByParamBlockNorm(), optim.sgd({ learningRate: lr }));
    case 'normalize_by_update_norm_sgd':
      return optim.chain(optim.normalizeByUpdateNorm(num(h, 'scale_factor')), optim.sgd({ learningRate: lr }));
    case 'partition_sgd_adam':
      return optim.partition(
        { sgd: optim.sgd({ learningRate: num(h, 'lr_sgd') as number }), adam: optim.adam({ learningRate: num(h, 'lr_adam') as number }) },
        { w: 'sgd', b: 'adam', c: 'adam' },
      );
  }
  throw new Error(`no builder for fixture case ${name}`);
}

const test = suite(`optim: optax's adafactor, adan, nadamw, sign/signum, optimistic GD, rprop and transforms [${backend}]`);
scopedTests(test);

test('the fixture has the cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).length, 20);
  for (const name of Object.keys(fixture.cases)) build(name);
});

trajectoryTests(test, fixture, build, TOL);

test('scaleByFactoredRms: factored slots drop the largest / second-largest axis (ties by position), small leaves are not factored', () => {
  const t = optim.scaleByFactoredRms({ minDimSizeToFactor: 2 });
  const s = t.init({ a: np.zeros([2, 5, 3]), b: np.zeros([4, 4]), c: np.zeros([1, 7]), d: np.zeros([6]) });
  const shapes = (x: unknown) => Object.values(x as Record<string, tf.Tensor>).map((l) => l.shape);
  assert.equal(shapes(s.vRow), [[2, 3], [4], [1], [1]]); // removes the largest axis (d0)
  assert.equal(shapes(s.vCol), [[2, 5], [4], [1], [1]]); // removes the second largest (d1)
  assert.equal(shapes(s.v), [[1], [1], [1, 7], [6]]);
  assert.is(s.count.dtype, 'int32');
});

test('scaleByFactoredRms on a rank-3 leaf, under jit: the first step normalises g by its factored RMS', async () => {
  // Step 1 has decay 1 - 1^-0.8 = 0, so row = mean(g², d0), col = mean(g², d1) (eps negligible).
  const g = np.reshape(np.arange(1, 25, 1, 'float32'), [2, 4, 3]) as tf.Tensor;
  const t = optim.scaleByFactoredRms({ minDimSizeToFactor: 3 }); // d1 = 2 (size 3), d0 = 1 (size 4)
  const f = jit((u: { g: tf.Tensor }, s: optim.FactoredRmsState) => t.update(u, s, u));
  const [out, s1] = f({ g }, t.init({ g }));
  const gv = Array.from(g.dataSync());
  const at = (i: number, j: number, k: number) => gv[i * 12 + j * 3 + k];
  const expected: number[] = [];
  for (let i = 0; i < 2; i++) {
    const row = [0, 1, 2].map((k) => [0, 1, 2, 3].reduce((a, j) => a + at(i, j, k) ** 2, 0) / 4);
    const col = [0, 1, 2, 3].map((j) => [0, 1, 2].reduce((a, k) => a + at(i, j, k) ** 2, 0) / 3);
    const rowMean = row.reduce((a, b) => a + b) / 3;
    for (let j = 0; j < 4; j++) for (let k = 0; k < 3; k++) expected.push(at(i, j, k) / Math.sqrt(row[k] / rowMean) / Math.sqrt(col[j]));
  }
  const got = await leafValuesFlat(out);
  got.forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-5 * Math.abs(expected[i]) + 1e-6, `element ${i}: ${x} vs ${expected[i]}`));
  assert.is(s1.count.dtype, 'int32');
  assert.is((await s1.count.data())[0], 1);
  f.clearCache();
});

test('partition: a function of the parameters as labels; unknown labels and duplicate names are one-line errors', async () => {
  const params = { enc: { w: np.array([1, 2]) }, head: { w: np.array([3]) } };
  const grads = { enc: { w: np.array([1, 1]) }, head: { w: np.array([1]) } };
  const opt = optim.multiTransform({ train: optim.sgd({ learningRate: 0.5 }), frozen: optim.setToZero() }, () => ({ enc: 'frozen', head: 'train' }));
  const [u] = opt.update(grads, opt.init(params), params);
  assert.equal(await leafValuesFlat(u), [0, 0, -0.5]);
  assert.throws(() => optim.partition({ a: optim.identity() }, { enc: 'a', head: 'b' }).init(params), /partition: some parameters have no transformation: labels \["b"\]/);
  assert.throws(() => optim.namedChain(['x', optim.identity()], ['x', optim.identity()]), /namedChain: names must be unique/);
});

test('namedChain keys its state by name and equals chain', async () => {
  const params = { w: np.array([1, -2, 3]) };
  const grads = { w: np.array([0.5, 0.25, -1]) };
  const named = optim.namedChain(['adam', optim.scaleByAdam()], ['lr', optim.scaleByLearningRate(0.1)]);
  const plain = optim.chain(optim.scaleByAdam(), optim.scaleByLearningRate(0.1));
  const s = named.init(params);
  assert.equal(Object.keys(s), ['adam', 'lr']);
  const [un, sn] = named.update(grads, s, params);
  const [up] = plain.update(grads, plain.init(params), params);
  assert.is(await maxAbsDiff(un, up), 0);
  assert.is(((sn.adam as optim.AdamState).count.dataSync())[0], 1);
  assert.is(optim.trace, optim.traceMomentum, "optax's name for the momentum trace");
});

test('safeNorm / safeRootMeanSquares: the bound below, gradient 0 (not NaN) at 0', async () => {
  assert.ok(Math.abs(optim.safeNorm(np.array([3, 4]), 1).dataSync()[0] - 5) < 1e-6);
  assert.ok(Math.abs(optim.safeNorm(np.zeros([3]), 0.1).dataSync()[0] - 0.1) < 1e-7);
  assert.ok(Math.abs(optim.safeRootMeanSquares(np.array([3, 4]), 1).dataSync()[0] - Math.sqrt(12.5)) < 1e-5);
  const g = grad((x: tf.Tensor) => optim.safeNorm(x, 1e-3))(np.zeros([2])) as tf.Tensor;
  assert.equal(Array.from(g.dataSync()), [0, 0]);
  const g2 = grad((x: tf.Tensor) => optim.safeRootMeanSquares(x, 1e-3))(np.array([3, 4])) as tf.Tensor;
  const r = Math.sqrt(12.5);
  assert.ok(Math.abs(g2.dataSync()[0] - 3 / (2 * r)) < 1e-5 && Math.abs(g2.dataSync()[1] - 4 / (2 * r)) < 1e-5);
});

test('the step count saturates at int32 max instead of wrapping (optax safe_increment)', async () => {
  const t = optim.scaleBySchedule(optim.constant(1));
  const [, s] = t.update({ w: np.zeros([1]) }, { count: np.array(2147483647, 'int32') });
  assert.is(s.count.dtype, 'int32');
  assert.is((await s.count.data())[0], 2147483647);
  const [, s2] = t.update({ w: np.zeros([1]) }, { count: np.array(41, 'int32') });
  assert.is((await s2.count.data())[0], 42);
});

test('warmupConstant: linear from init to peak, then peak (optax warmup_constant_schedule); jit with an int32 step', async () => {
  const s = optim.warmupConstant({ init: 0.1, peak: 1, warmupSteps: 10 });
  assert.equal([0, 5, 10, 50].map((t) => Math.round(s.at(t) * 1e9) / 1e9), [0.1, 0.55, 1, 1]);
  const f = jit((t: tf.Tensor) => s(t));
  assert.ok(Math.abs((await f(np.array(4, 'int32')).data())[0] - 0.46) < 1e-6);
  f.clearCache();
  assert.is(optim.warmupConstant({ init: 0.3, peak: 1, warmupSteps: 0 }).at(7), 0.3, "optax's linear_schedule with 0 steps holds init");
});

test('bad options give a one-line error naming the option', () => {
  assert.throws(() => optim.clipByBlockRms(0), /clipByBlockRms: threshold must be > 0, got 0/);
  const t = optim.scaleByParamBlockRms();
  assert.throws(() => t.update({ w: np.zeros([1]) }, t.init({})), /scaleByParamBlockRms: update needs the current parameters/);
  const f = optim.scaleByFactoredRms();
  assert.throws(() => f.update({ w: np.zeros([1]) }, f.init({ w: np.zeros([1]) })), /scaleByFactoredRms: update needs the current parameters/);
});

test.run();
