/**
 * RMSprop (plain, centered, with momentum and L2) and Adagrad (plain, with lr_decay, a starting
 * accumulator and L2) against PyTorch's trajectories (test/fixtures/optimizers_torch_more.json,
 * from tools/torch-fixtures-optim.py): the parameters after each of five steps within 1e-5,
 * eagerly and under jit. The gradients hold a zero entry and the parameters a zero.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type ParamsJson, disposeTree, toTensors, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

interface MoreFixture {
  params0: ParamsJson;
  grads: ParamsJson[];
  cases: Record<string, { hyper: Record<string, number | boolean>; params_after_each_step: ParamsJson[] }>;
}
const fixture: MoreFixture = JSON.parse(readFileSync(new URL('../fixtures/optimizers_torch_more.json', import.meta.url), 'utf8'));

type Hyper = MoreFixture['cases'][string]['hyper'];
const num = (h: Hyper, k: string) => h[k] as number | undefined;
const rmsprop = (h: Hyper) =>
  optim.rmsprop({ learningRate: num(h, 'lr')!, alpha: num(h, 'alpha'), eps: num(h, 'eps'), weightDecay: num(h, 'weight_decay'), momentum: num(h, 'momentum'), centered: h.centered as boolean | undefined });
const adagrad = (h: Hyper) =>
  optim.adagrad({ learningRate: num(h, 'lr')!, lrDecay: num(h, 'lr_decay'), weightDecay: num(h, 'weight_decay'), initialAccumulatorValue: num(h, 'initial_accumulator_value'), eps: num(h, 'eps') });
const build = (name: string, h: Hyper) => (name.startsWith('rmsprop') ? rmsprop(h) : adagrad(h));

const test = suite(`optim: torch RMSprop and Adagrad [${backend}]`);

test('the fixture has the five cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).sort(), ['adagrad', 'adagrad_decay_init_wd', 'rmsprop', 'rmsprop_centered', 'rmsprop_momentum_centered_wd']);
});

trajectoryTests(test, fixture, (name) => build(name, fixture.cases[name].hyper), TOL);

test('the state layout follows the options: no mu without centered, no momentum buffer without momentum', () => {
  const p = toTensors(fixture.params0);
  const plain = optim.rmsprop({ learningRate: 0.1 }).init(p) as unknown[];
  const full = optim.rmsprop({ learningRate: 0.1, momentum: 0.9, centered: true }).init(p) as unknown[];
  assert.equal(Object.keys(plain[1] as object), ['nu']);
  assert.equal(Object.keys(full[1] as object).sort(), ['mu', 'nu']);
  assert.equal(Object.keys(plain[2] as object), []);
  assert.equal(Object.keys(full[2] as object), ['trace']);
  assert.throws(() => optim.adagrad({ learningRate: 0.1, lrDecay: -1 }), /adagrad: lrDecay must be >= 0, got -1/);
  assert.throws(() => optim.scaleByRms({ decay: 1.5 }), /scaleByRms: decay must be in \[0, 1\], got 1.5/);
  disposeTree([p, plain, full]);
});

test.run();
