/**
 * Adam's variants against reference trajectories (test/fixtures/optimizers_adam_variants.json,
 * from tools/torch-fixtures-adam-variants.py): PyTorch 1.13's Adamax, NAdam and RAdam (whose
 * rectification switches on within the eight steps), and optax's Lion from its definition;
 * the parameters after each step within 1e-5, eagerly and under jit.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
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
  return optim.lion({ learningRate: lr, b1, b2, weightDecay: h.weight_decay as number });
}

const test = suite(`optim: Adamax, NAdam, RAdam (torch) and Lion (optax) [${backend}]`);

test('the fixture has the eight cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).sort(), ['adamax', 'adamax_betas_eps_wd', 'lion', 'lion_betas_no_decay', 'nadam', 'nadam_momentum_decay_wd', 'radam', 'radam_rectified_wd']);
});

trajectoryTests(test, fixture, (name) => build(name, fixture.cases[name].hyper), TOL);

test.run();
