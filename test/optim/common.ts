/** Shared by the optim suites: the torch fixture, and builders of the optimisers it covers. */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as assert from 'uvu/assert';
import { jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as tree from '../../lib/tree/index.js';

type Nested = number | Nested[];
export interface ParamsJson {
  w: Nested;
  b: Nested;
  c: Nested;
}
export interface Case {
  hyper: Record<string, number | boolean | string>;
  params_after_each_step: ParamsJson[];
}
export interface Fixture {
  optimizers: { params0: ParamsJson; grads: ParamsJson[]; cases: Record<string, Case> };
  swav_lr_schedule: {
    hyper: { base_lr: number; final_lr: number; start_warmup: number; warmup_epochs: number; epochs: number; iters_per_epoch: number };
    lr_per_iteration: number[];
  };
}

export const fixture: Fixture = JSON.parse(readFileSync(new URL('../fixtures/optimizers.json', import.meta.url), 'utf8'));

/** The fixture's parameter layout as tensors. */
export type Params = { w: tf.Tensor; b: tf.Tensor; c: tf.Tensor };
export const toTensors = (p: ParamsJson): Params => ({ w: np.array(p.w as number[]), b: np.array(p.b as number[]), c: np.array(p.c as number[]) });

const n = (h: Case['hyper'], k: string) => h[k] as number;

/** Our optimiser for each fixture case, from its `hyper`. */
export const fromFixture: Record<string, (h: Case['hyper']) => optim.GradientTransformation> = {
  sgd: (h) => optim.sgd({ learningRate: n(h, 'lr') }),
  sgd_momentum_wd: (h) => optim.sgd({ learningRate: n(h, 'lr'), momentum: n(h, 'momentum'), weightDecay: n(h, 'weight_decay') }),
  sgd_nesterov: (h) => optim.sgd({ learningRate: n(h, 'lr'), momentum: n(h, 'momentum'), nesterov: h.nesterov as boolean }),
  adam: (h) => optim.adam({ learningRate: n(h, 'lr'), b1: n(h, 'b1'), b2: n(h, 'b2'), eps: n(h, 'eps') }),
  adamw: (h) => optim.adamw({ learningRate: n(h, 'lr'), b1: n(h, 'b1'), b2: n(h, 'b2'), eps: n(h, 'eps'), weightDecay: n(h, 'weight_decay') }),
  larc_sgd: (h) =>
    optim.lars({
      learningRate: n(h, 'lr'),
      momentum: n(h, 'momentum'),
      weightDecay: n(h, 'weight_decay'),
      trustCoefficient: n(h, 'trust_coefficient'),
      eps: n(h, 'eps'),
      clip: h.clip as boolean,
    }),
};

/** The swav schedule of the fixture, built from its hyperparameters. */
export function swavSchedule(linspace: 'float32' | 'float64' = 'float32'): optim.Schedule {
  const h = fixture.swav_lr_schedule.hyper;
  return optim.warmupCosine({
    start: h.start_warmup,
    base: h.base_lr,
    final: h.final_lr,
    warmupSteps: h.warmup_epochs * h.iters_per_epoch,
    totalSteps: h.epochs * h.iters_per_epoch,
    linspace,
  });
}

const flat = (x: Nested): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x]);

/** Max |actual - expected| over the fixture's three leaves (expected in float64, as stored). */
export async function maxErrVsJson(actual: Params, expected: ParamsJson): Promise<number> {
  let worst = 0;
  for (const k of ['w', 'b', 'c'] as const) {
    const x = await actual[k].data();
    const y = flat(expected[k]);
    if (x.length !== y.length) throw new Error(`maxErrVsJson: ${k} has ${x.length} vs ${y.length} elements`);
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(x[j] - y[j]));
  }
  return worst;
}

/** Max |a - b| over all leaves of two trees of tensors of the same structure. */
export async function maxAbsDiff(a: unknown, b: unknown): Promise<number> {
  const la = tree.leaves<tf.Tensor>(a);
  const lb = tree.leaves<tf.Tensor>(b);
  if (la.length !== lb.length) throw new Error(`maxAbsDiff: ${la.length} vs ${lb.length} leaves`);
  let worst = 0;
  for (let i = 0; i < la.length; i++) {
    const x = await la[i].data();
    const y = await lb[i].data();
    if (x.length !== y.length) throw new Error(`maxAbsDiff: leaf ${i} has ${x.length} vs ${y.length} elements`);
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs(Number(x[j]) - Number(y[j])));
  }
  return worst;
}

/** Frees every tensor of a tree. */
export const disposeTree = (t: unknown) => tree.leaves(t).forEach((l) => l instanceof tf.Tensor && l.dispose());

/** Every leaf's values, concatenated in leaf order (for comparing small trees). */
export const leafValuesFlat = async (t: unknown) => (await Promise.all(tree.leaves<tf.Tensor>(t).map(async (x) => Array.from(await x.data(), Number)))).flat();

/** The two-leaf parameters of the wrapper suites (applyIfFinite, multiSteps). */
export type SmallParams = { w: tf.Tensor; b: tf.Tensor };
export const smallParams0 = (): SmallParams => ({ w: np.array([1, -2, 0.5]), b: np.array([0.25]) });

/** Runs each test of `test` inside its own tfjs scope, so tensors it leaves are freed. */
export function scopedTests(test: { before: { each(f: () => void): void }; after: { each(f: () => void): void } }): void {
  test.before.each(() => tf.engine().startScope());
  test.after.each(() => tf.engine().endScope());
}

/** A reference trajectory: the parameters after each step from `params0` under `grads`. */
export interface TrajectoryFixture {
  params0: ParamsJson;
  grads: ParamsJson[];
  cases: Record<string, { params_after_each_step: ParamsJson[] }>;
}

/**
 * One test per case and mode (eager, jit): the optimiser `build(name)` stepped through the
 * fixture's gradients, its parameters after each step within `tol` of the reference, and no
 * tensor left behind.
 */
export function trajectoryTests(
  test: (name: string, fn: () => Promise<void>) => void,
  fixture: TrajectoryFixture,
  build: (name: string) => optim.GradientTransformation,
  tol: number,
): void {
  for (const [name, c] of Object.entries(fixture.cases)) {
    for (const jitted of [false, true]) {
      test(`${name}${jitted ? ' (jit)' : ''}: parameters after each of ${c.params_after_each_step.length} steps within ${tol}`, async () => {
        const before = tf.memory().numTensors;
        const opt = build(name);
        const body = (g: Params, s: unknown, p: Params) => {
          const [u, ns] = opt.update(g, s, p);
          return [optim.applyUpdates(p, u), ns] as const;
        };
        const step = jitted ? jit(body) : (g: Params, s: unknown, p: Params) => scope(() => body(g, s, p));
        let params = toTensors(fixture.params0);
        let state = scope(() => opt.init(params));
        for (const [k, gj] of fixture.grads.entries()) {
          const g = toTensors(gj);
          const [p, s] = step(g, state, params);
          disposeTree([g, params, state]);
          [params, state] = [p, s];
          const err = await maxErrVsJson(params, c.params_after_each_step[k]);
          assert.ok(err <= tol, `${name} step ${k + 1}: max error ${err} > ${tol}`);
        }
        disposeTree([params, state]);
        if (jitted) (step as ReturnType<typeof jit>).clearCache();
        assert.is(tf.memory().numTensors, before, 'no tensor leaks');
      });
    }
  }
}
