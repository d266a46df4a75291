/**
 * `injectHyperparams` with a factory that reads an injected option as a JS number: eagerly the
 * array compared as a number was NaN, so `sgd`'s `momentum > 0` silently built plain SGD and
 * adam's `b1` gave NaN steps. `init` now refuses it in one line naming the option (untyped
 * callers: the types already ask for `staticArgs`), and `staticArgs` still gives torch's numbers.
 * A NaN number option is refused when the optimiser is made (the factory sees an array, past its checks).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: injectHyperparams reads [${backend}]`);

const params = { w: np.array([1, -2]) };
// An untyped factory, as a JS caller or an `any` one writes it.
type Loose = (o: Record<string, unknown>) => optim.GradientTransformation;
const sgd = optim.sgd as unknown as Loose;
const adam = optim.adam as unknown as Loose;

test('a number-only option injected as an array is refused at init, naming it', () => {
  const one = (e: Error) => !e.message.includes('\n') && (e.message.match(/injectHyperparams:/g) ?? []).length === 1;
  const m = optim.injectHyperparams(sgd)({ learningRate: 0.1, momentum: 0.9 });
  assert.throws(() => m.init(params), (e: Error) => one(e) && /injected options \[momentum\].*staticArgs: \['momentum'\]/.test(e.message));
  const a = optim.injectHyperparams(adam)({ learningRate: 0.1, b1: 0.5 });
  assert.throws(() => a.init(params), (e: Error) => one(e) && /injected options \[b1\]/.test(e.message));
});

test('with staticArgs the momentum is torch SGD\'s (lr 0.1, momentum 0.9, gradients 1 then 0)', async () => {
  const m = optim.injectHyperparams(sgd, { staticArgs: ['momentum'] })({ learningRate: 0.1, momentum: 0.9 });
  let s = m.init(params);
  const got: number[] = [];
  for (const g of [1, 0, 1]) {
    const [u, s2] = m.update({ w: np.array([g, g]) }, s, params);
    s = s2;
    got.push((await u.w.data())[0]);
  }
  // buf = g, then 0.9 buf + g: 1, 0.9, 1.81; the step -lr buf.
  [-0.1, -0.09, -0.181].forEach((v, i) => assert.ok(Math.abs(got[i] - v) < 1e-7, `step ${i}: ${got[i]} vs ${v}`));
});

test('injected options the factory only computes with still work (learningRate, weightDecay)', async () => {
  const m = optim.injectHyperparams(optim.adamw)({ learningRate: 0.1, weightDecay: 0.5 });
  const s = m.init(params);
  const [u] = m.update({ w: np.array([1, 1]) }, s, params);
  // adam's first step is lr * sign(g) (eps aside); decay adds lr * wd * p.
  const w = await u.w.data();
  assert.ok(Math.abs(w[0] - -(0.1 + 0.1 * 0.5 * 1)) < 1e-6 && Math.abs(w[1] - -(0.1 + 0.1 * 0.5 * -2)) < 1e-6, String(w));
});

test('a NaN injected number is refused when the optimiser is made, naming the option', () => {
  assert.throws(() => optim.injectHyperparams(optim.adamw)({ learningRate: NaN }), (e: Error) => e.message === "injectHyperparams: option 'learningRate' is NaN");
});

test.run();
