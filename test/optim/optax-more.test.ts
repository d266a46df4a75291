/**
 * optax's optimisers and transformations added in optax-optimizers.ts and its neighbours, against
 * reference trajectories (test/fixtures/optax_more.json, from tools/optax-fixtures-more.py: optax's
 * formulas re-implemented in float64 numpy): parameters after each of 8 steps within 1e-5, eagerly
 * and under jit, with no tensor left behind. 1e-5 absolute on parameters of size ~1 is about 100
 * float32 ulps: room for the float32 rounding of 8 steps, far below any formula error (a wrong bias
 * correction or default moves them by 1e-3 or more). Plus the behaviours a trajectory does not show.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type TrajectoryFixture, disposeTree, leafValuesFlat, maxAbsDiff, scopedTests, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

type Hyper = Record<string, number | boolean>;
const fixture: TrajectoryFixture & { cases: Record<string, { hyper: Hyper }> } = JSON.parse(
  readFileSync(new URL('../fixtures/optax_more.json', import.meta.url), 'utf8'),
);

const num = (h: Hyper, k: string) => h[k] as number | undefined;
function build(name: string): optim.GradientTransformation {
  const h = fixture.cases[name].hyper;
  const lr = h.lr as number;
  const [b1, b2, eps] = [num(h, 'b1'), num(h, 'b2'), num(h, 'eps')];
  switch (name) {
    case 'amsgrad':
    case 'amsgrad_paper':
      return optim.amsgrad({ learningRate: lr, b1, b2, eps, epsRoot: num(h, 'eps_root'), biasCorrectionMu: h.bias_correction_mu as boolean | undefined, biasCorrectionNu: h.bias_correction_nu as boolean | undefined });
    case 'adabelief':
    case 'adabelief_nesterov_wd':
      return optim.adabelief({ learningRate: lr, b1, b2, eps, weightDecay: num(h, 'weight_decay'), nesterov: h.nesterov as boolean | undefined });
    case 'yogi':
    case 'yogi_betas':
      return optim.yogi({ learningRate: lr, b1, b2, eps });
    case 'adadelta':
    case 'adadelta_wd':
      return optim.adadelta({ learningRate: lr, rho: num(h, 'rho'), eps, weightDecay: num(h, 'weight_decay') });
    case 'novograd':
    case 'novograd_wd':
      return optim.novograd({ learningRate: lr, b1, b2, eps, weightDecay: num(h, 'weight_decay') });
    case 'fromage':
      return optim.fromage({ learningRate: lr });
    case 'sm3':
    case 'sm3_momentum':
      return optim.sm3({ learningRate: lr, momentum: num(h, 'momentum') });
    case 'centralize_sgd':
      return optim.chain(optim.centralize(), optim.sgd({ learningRate: lr }));
    case 'agc_sgd_momentum':
      return optim.chain(optim.adaptiveGradClip(h.clipping as number, h.eps as number), optim.sgd({ learningRate: lr, momentum: h.momentum as number }));
    case 'apply_every_sgd':
      return optim.chain(optim.sgd({ learningRate: lr }), optim.applyEvery(h.k as number));
    case 'sgd_nonnegative':
      return optim.chain(optim.sgd({ learningRate: lr }), optim.keepParamsNonnegative());
  }
  throw new Error(`no builder for fixture case ${name}`);
}

const test = suite(`optim: optax's amsgrad, adabelief, yogi, adadelta, novograd, fromage, sm3 and transforms [${backend}]`);
scopedTests(test);

test('the fixture has the cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).length, 17);
  for (const name of Object.keys(fixture.cases)) build(name);
});

trajectoryTests(test, fixture, build, TOL);

test('fromage with a schedule learning rate follows the constant one (the schedule branch)', async () => {
  const params = { w: np.array([[1, -2], [0.5, 3]]), b: np.array([0.1, -0.2]) };
  const grads = { w: np.array([[0.3, 0.1], [-0.2, 0.4]]), b: np.array([1, 2]) };
  const run = (opt: optim.GradientTransformation) => {
    let [p, s] = [params, opt.init(params)];
    for (let i = 0; i < 3; i++) {
      const [u, ns] = opt.update(grads, s, p);
      [p, s] = [optim.applyUpdates(p, u), ns];
    }
    return p;
  };
  const a = run(optim.fromage({ learningRate: 0.05 }));
  const b = run(optim.fromage({ learningRate: optim.constant(0.05) }));
  assert.ok((await maxAbsDiff(a, b)) < 1e-6);
});

test('zeroNans zeroes NaNs and records per leaf whether there were any; eager = jit', async () => {
  const t = optim.zeroNans();
  const u = { a: np.array([1, NaN, 3]), b: np.array([2]) };
  const s0 = t.init(u);
  assert.equal(await leafValuesFlat(s0), [0, 0]);
  const [out, s] = t.update(u, s0);
  assert.equal(await leafValuesFlat(out), [1, 0, 3, 2]);
  assert.equal(await leafValuesFlat(s), [1, 0]);
  const f = jit((x: typeof u, st: typeof s0) => t.update(x, st));
  const [jo, js] = f(u, s0);
  assert.equal(await leafValuesFlat(jo), [1, 0, 3, 2]);
  assert.equal(await leafValuesFlat(js), [1, 0]);
  f.clearCache();
});

test('unitwiseNorm takes the units optax takes, by rank', async () => {
  const v = (x: tf.Tensor) => Array.from(x.dataSync()).map((y) => Math.round(y * 1e4) / 1e4);
  assert.equal(v(optim.unitwiseNorm(np.array([3, 4]) as tf.Tensor) as tf.Tensor), [5, 5]);
  assert.equal(v(optim.unitwiseNorm(np.array([[3], [4]]) as tf.Tensor) as tf.Tensor), [5, 5], 'one dimension of size > 1: the whole array');
  assert.equal(v(optim.unitwiseNorm(np.array([[3, 0], [4, 1]]) as tf.Tensor) as tf.Tensor), [5, 1, 5, 1], 'rank 2: over axis 0');
  assert.equal(v(optim.unitwiseNorm(np.array([[3, 0], [4, 1]]) as tf.Tensor, 1) as tf.Tensor), [3, 3, 4.1231, 4.1231], 'an explicit axis');
  assert.equal(np.shape(optim.unitwiseNorm(np.ones([2, 2, 2, 3]))), [2, 2, 2, 3]);
  assert.throws(() => optim.unitwiseNorm(np.ones([2, 2, 2, 2, 2, 2])), /pass axis/);
});

test('addNoise: same key, same noise; the noise std is sqrt(eta / t^gamma); eager = jit; no leak', async () => {
  const before = tf.memory().numTensors;
  const params = { w: np.zeros([200, 50]) };
  const opt = optim.addNoise({ eta: 0.5, gamma: 0.55, key: 7 });
  const body = (g: typeof params, s: optim.AddNoiseState) => opt.update(g, s);
  const s0 = opt.init(params);
  const [u1, s1] = scope(() => body(params, s0));
  const r2 = scope(() => body(params, s1));
  const r3 = scope(() => body(params, r2[1]));
  const u3 = r3[0];
  const stdOf = (x: tf.Tensor) => Math.sqrt(np.mean(np.square(x)).dataSync()[0] as number);
  const std1 = scope(() => stdOf(u1.w as tf.Tensor));
  const std3 = scope(() => stdOf(u3.w as tf.Tensor));
  // 10000 samples: the sample std is within ~1% (3 sigma ~ 2.1%) of the true one.
  assert.ok(Math.abs(std1 / Math.sqrt(0.5) - 1) < 0.03, `step 1 std ${std1}`);
  assert.ok(Math.abs(std3 / Math.sqrt(0.5 / 3 ** 0.55) - 1) < 0.03, `step 3 std ${std3}`);
  const f = jit(body);
  const [j1, js1] = f(params, s0);
  assert.is(await maxAbsDiff(j1, u1), 0, 'jit gives the same noise');
  const rAgain = scope(() => body(params, opt.init(params)));
  const again = rAgain[0];
  assert.is(await maxAbsDiff(again, u1), 0, 'same key, same noise');
  const key8 = random.key(8);
  const other = optim.addNoise({ eta: 0.5, key: key8 });
  const rOther = scope(() => other.update(params, other.init(params)));
  const u1b = rOther[0];
  assert.ok((await maxAbsDiff(u1b, u1)) > 0.1, 'another key, other noise');
  disposeTree([params, s0, u1, s1, r2, r3, j1, js1, rAgain, rOther, key8]);
  f.clearCache();
  assert.is(tf.memory().numTensors, before);
});

test('noisySgd with eta 0 is sgd', async () => {
  const params = { w: np.array([1, 2]) };
  const g = { w: np.array([0.5, -1]) };
  const opt = optim.noisySgd({ learningRate: 0.1, eta: 0 });
  const [u] = opt.update(g, opt.init(params), params);
  assert.ok((await maxAbsDiff(u, { w: np.array([-0.05, 0.1]) })) < 1e-7);
});

test('scaleByAmsgrad takes scalar arrays as hyperparameters (what injectHyperparams passes)', async () => {
  const params = { w: np.array([1, 2]) };
  const g = { w: np.array([0.5, -1]) };
  const a = optim.scaleByAmsgrad({ b1: 0.8, b2: 0.9 });
  const b = optim.scaleByAmsgrad({ b1: np.array(0.8), b2: np.array(0.9) });
  const [ua] = a.update(g, a.init(params));
  const [ub] = b.update(g, b.init(params));
  assert.ok((await maxAbsDiff(ua, ub)) < 1e-6);
});

test('bad options give a one-line error naming the option', () => {
  assert.throws(() => optim.applyEvery(0), /applyEvery: k must be a positive integer, got 0/);
  assert.throws(() => optim.adaptiveGradClip(0), /adaptiveGradClip: clipping must be > 0, got 0/);
  assert.throws(() => optim.scaleByYogi({ initialAccumulatorValue: 0 }), /scaleByYogi: initialAccumulatorValue must be > 0, got 0/);
  assert.throws(() => optim.addNoise({ eta: -1 }), /addNoise: eta must be >= 0, got -1/);
  assert.throws(() => optim.fromage({ learningRate: 0.1, minNorm: -1 }), /fromage: minNorm must be >= 0/);
  const sm3 = optim.scaleBySm3();
  assert.throws(() => sm3.init({ s: np.array(1) }), /scaleBySm3: every leaf needs rank >= 1/);
  const nn = optim.keepParamsNonnegative();
  assert.throws(() => nn.update({ w: np.zeros([1]) }, nn.init({})), /keepParamsNonnegative: update needs the current parameters/);
});

test.run();
