/**
 * Adam's variants against reference trajectories (test/fixtures/optimizers_adam_variants.json,
 * from tools/torch-fixtures-adam-variants.py): PyTorch 1.13's Adamax, NAdam and RAdam (whose
 * rectification switches on within the eight steps), and optax's LAMB and Lion from their definitions;
 * the parameters after each step within 1e-5, eagerly and under jit.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type ParamsJson, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

interface Fixture {
  params0: ParamsJson;
  grads: ParamsJson[];
  cases: Record<string, { hyper: Record<string, number | number[]>; params_after_each_step: ParamsJson[] }>;
}
const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/optimizers_adam_variants.json', import.meta.url), 'utf8'));

type Hyper = Fixture['cases'][string]['hyper'];
function build(name: string, h: Hyper): optim.GradientTransformation {
  const lr = h.lr as number;
  const [b1, b2] = (h.betas as number[] | undefined) ?? [h.b1 as number | undefined, h.b2 as number | undefined];
  const common = { learningRate: lr, b1, b2, eps: h.eps as number | undefined, weightDecay: h.weight_decay as number | undefined };
  if (name.startsWith('adamax')) return optim.adamax(common);
  if (name.startsWith('nadam')) return optim.nadam({ ...common, momentumDecay: h.momentum_decay as number | undefined });
  if (name.startsWith('radam')) return optim.radam(common);
  if (name.startsWith('lamb')) return optim.lamb(common);
  return optim.lion({ learningRate: lr, b1, b2, weightDecay: h.weight_decay as number });
}

const test = suite(`optim: Adamax, NAdam, RAdam (torch) and Lion (optax) [${backend}]`);

test('the fixture has the ten cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).sort(), ['adamax', 'adamax_betas_eps_wd', 'lamb', 'lamb_betas_wd', 'lion', 'lion_betas_no_decay', 'nadam', 'nadam_momentum_decay_wd', 'radam', 'radam_rectified_wd']);
});

trajectoryTests(test, fixture, (name) => build(name, fixture.cases[name].hyper), TOL);

test('scaleByTrustRatio leaves a leaf unchanged where its parameter or update norm is 0', () => {
  const t = optim.scaleByTrustRatio();
  const params = { a: np.zeros([2]), b: np.array([3, 4]) };
  const [u] = t.update({ a: np.array([1, 1]), b: np.array([0.6, 0.8]) }, t.init(params), params);
  const [z] = t.update({ a: np.array([1, 1]), b: np.zeros([2]) }, t.init(params), params);
  assert.equal([...(u.a as tf.Tensor).dataSync()], [1, 1], 'zero parameter norm');
  assert.equal([...(u.b as tf.Tensor).dataSync()].map((v) => Math.round(v * 1e5) / 1e5), [3, 4], 'ratio |p| / |u| = 5');
  assert.equal([...(z.b as tf.Tensor).dataSync()], [0, 0], 'zero update norm');
});

test.run();
