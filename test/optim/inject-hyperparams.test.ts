/**
 * injectHyperparams (optax.inject_hyperparams): the wrapped optimiser steps exactly as the plain
 * one, with constants and with schedules; its hyperparameters sit in the state, can be changed
 * between steps under one jit trace, and keep optax's convention (after a step, the value used).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { disposeTree, maxAbsDiff, scopedTests } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: injectHyperparams [${backend}]`);
scopedTests(test);

type P = { w: tf.Tensor; b: tf.Tensor };
const params0 = (): P => ({ w: np.array([[1, -2], [0.5, 3]]) as tf.Tensor, b: np.array([0.1, -0.2]) as tf.Tensor });
const gradAt = (k: number): P => ({ w: np.array([[0.3, 0.1 * k], [-0.2, 0.4]]) as tf.Tensor, b: np.array([1, 2 - k]) as tf.Tensor });

/** Parameters after `steps` steps (eagerly or under one jit), and the final state. */
function run(opt: optim.GradientTransformation, steps: number, jitted = false, edit?: (s: any, k: number) => any): [P, any] {
  const body = (g: P, s: unknown, p: P) => {
    const [u, ns] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), ns] as const;
  };
  const step = jitted ? jit(body) : (g: P, s: unknown, p: P) => scope(() => body(g, s, p));
  let p = params0();
  let s = opt.init(p);
  for (let k = 0; k < steps; k++) {
    if (edit) s = edit(s, k);
    const g = gradAt(k);
    const [np_, ns] = step(g, s, p);
    disposeTree([g, p, s]);
    [p, s] = [np_ as P, ns];
  }
  if (jitted) (step as ReturnType<typeof jit>).clearCache();
  return [p, s];
}

const injectedAdam = optim.injectHyperparams((o: optim.AdamWithL2Options) => optim.adam(o));
const injectedAdamB1 = optim.injectHyperparams((o: optim.AdamWithL2Options) => optim.adam(o), { staticArgs: ['b1'] });

test('constant hyperparameters: the same steps as the plain optimiser, eager and jit, no leak', async () => {
  for (const jitted of [false, true]) {
    const before = tf.memory().numTensors;
    const [a, sa] = run(optim.adam({ learningRate: 0.1, b1: 0.8 }), 5, jitted);
    const [b, sb] = run(injectedAdamB1({ learningRate: 0.1, b1: 0.8 }), 5, jitted);
    assert.ok((await maxAbsDiff(a, b)) < 1e-7, `jit ${jitted}`);
    assert.equal(Object.keys(sb.hyperparams), ['learningRate'], 'b1 is static: a number option of adam (it cannot take an array)');
    assert.is(sb.count.dataSync()[0], 5);
    disposeTree([a, sa, b, sb]);
    assert.is(tf.memory().numTensors, before, `no leak, jit ${jitted}`);
  }
});

test('a schedule: evaluated at state.count before each step; the state keeps the value the step used', async () => {
  const schedule = optim.exponentialDecay({ init: 0.1, transitionSteps: 1, decayRate: 0.5 });
  const [a] = run(optim.adam({ learningRate: schedule }), 4);
  const [b, sb] = run(injectedAdam({ learningRate: schedule }), 4);
  const [c, sc] = run(injectedAdam({ learningRate: schedule }), 4, true);
  assert.ok((await maxAbsDiff(a, b)) < 1e-7);
  assert.ok((await maxAbsDiff(a, c)) < 1e-7);
  assert.ok(Math.abs(sb.hyperparams.learningRate.dataSync()[0] - 0.1 * 0.5 ** 3) < 1e-8, 'after 4 steps: the value at step 3');
  assert.ok(Math.abs(sc.hyperparams.learningRate.dataSync()[0] - 0.1 * 0.5 ** 3) < 1e-8);
  const s0 = injectedAdam({ learningRate: schedule }).init(params0());
  assert.ok(Math.abs(s0.hyperparams.learningRate.dataSync()[0] - 0.1) < 1e-8, 'init: the value at step 0');
});

test('changing a hyperparameter in the state between steps takes effect under the same jit trace', async () => {
  const opt = injectedAdam({ learningRate: 0.1 });
  let traces = 0;
  const body = (g: P, s: optim.InjectHyperparamsState, p: P) => {
    traces++;
    const [u, ns] = opt.update(g, s, p);
    return [optim.applyUpdates(p, u), ns] as const;
  };
  const step = jit(body);
  const p = params0();
  const s = opt.init(p);
  const g = gradAt(0);
  const [p1, s1] = step(g, s, p);
  const frozen = { ...s1, hyperparams: { ...s1.hyperparams, learningRate: np.array(0) } };
  const [p2] = step(g, frozen, p1);
  assert.is(await maxAbsDiff(p1, p2), 0, 'learning rate 0: no move');
  const doubled = { ...s1, hyperparams: { ...s1.hyperparams, learningRate: np.array(0.2) } };
  const [p3] = step(g, doubled, p1);
  // With the same Adam state, twice the learning rate moves twice as far as 0.1 would.
  const [p3ref] = jit(body)(g, s1, p1);
  const d1 = np.sub(p3ref.w, p1.w);
  const d2 = np.sub(p3.w, p1.w);
  assert.ok((await maxAbsDiff(np.mul(d1, 2), d2)) < 1e-6);
  assert.is(traces, 2, 'one trace for the three calls of `step` (the second is the reference jit)');
  step.clearCache();
});

test('array-taking options can be injected: b1 and b2 of amsgrad, as a schedule and as a constant', async () => {
  const b1 = optim.linear({ init: 0.9, end: 0.5, steps: 4 });
  const injected = optim.injectHyperparams((o: optim.AmsgradOptimizerOptions) => optim.amsgrad(o));
  // The reference: the same schedule, step by step, as constants.
  let p = params0();
  let states: unknown[] = [];
  const ref: P[] = [];
  for (let k = 0; k < 4; k++) {
    const opt = optim.amsgrad({ learningRate: 0.1, b1: b1.at(k), b2: 0.99 });
    const s = k === 0 ? opt.init(p) : states[0];
    const [u, ns] = opt.update(gradAt(k), s, p);
    p = optim.applyUpdates(p, u);
    states = [ns];
    ref.push(p);
  }
  for (const jitted of [false, true]) {
    const [q, s] = run(injected({ learningRate: 0.1, b1, b2: 0.99 }), 4, jitted);
    assert.ok((await maxAbsDiff(q, ref[3])) < 2e-6, `jit ${jitted}`);
    assert.equal(Object.keys(s.hyperparams).sort(), ['b1', 'b2', 'learningRate']);
  }
});

test('staticArgs, booleans and non-numbers are passed through, not injected', async () => {
  const injected = optim.injectHyperparams((o: optim.AdabeliefOptimizerOptions) => optim.adabelief(o), { staticArgs: ['eps', 'weightDecay'] });
  const opt = injected({ learningRate: 0.1, b1: 0.8, eps: 1e-8, nesterov: true, weightDecayMask: { w: true, b: false }, weightDecay: 0.1 });
  const s = opt.init(params0()) as optim.InjectHyperparamsState;
  assert.equal(Object.keys(s.hyperparams).sort(), ['b1', 'learningRate']);
  // A number option of adam given without staticArgs is a type error (it would reach adam as an array).
  // @ts-expect-error b1 of adam is a number option, not injectable
  injectedAdam({ learningRate: 0.1, b1: 0.8 });
});

test('bad arguments give a one-line error', () => {
  assert.throws(() => optim.injectHyperparams(3 as never), /injectHyperparams: factory must be a function, got number/);
  assert.throws(() => injectedAdam(null as never), /injectHyperparams: options must be an object, got null/);
});

test('a factory that branches on an injected number (sgd: momentum > 0) names the option and staticArgs, at init and under jit', () => {
  // Forced past the types (sgd's momentum is a number option): a JS user's mistake. Eagerly the
  // array read as a number was NaN (plain SGD, silently); init now traces one update to refuse it.
  const opt = optim.injectHyperparams((o: optim.SgdOptions) => optim.sgd(o))({ learningRate: 0.1, momentum: 0.9 } as never);
  const p = params0();
  const names = (e: Error) => /^injectHyperparams: the factory reads one of the injected options \[momentum\] as a JS number.*staticArgs: \['momentum'\]/.test(e.message) && !e.message.includes('\n');
  assert.throws(() => opt.init(p), names);
  assert.throws(() => jit((q: typeof p) => opt.init(q))(p), names);
  disposeTree(p);
});

test.run();
