/**
 * PyTorch's lr schedulers as schedules (stepLR ... chainedScheduler), torch's ReduceLROnPlateau
 * (reduceLROnPlateau) and optax.contrib's reduce_on_plateau (reduceOnPlateau), against
 * test/fixtures/optim_session14.json (tools/optim_session14.py: torch 1.13's schedulers stepped
 * once per optimiser step, in float64; optax's plateau logic transcribed in float64 numpy).
 *
 * Tolerances: the float64 path (`at`) within 1e-12 relative: our closed forms against torch's
 * recursive products, which differ from them by ~1e-14 (the generator reports it). The float32
 * array path (eager, and under jit with the steps traced) within 2e-6 of the case's largest lr:
 * a few float32 ulps of the values the formulas add up.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type TrajectoryFixture, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: torch schedulers and plateau reducers [${backend}]`);

/** optax's plateau state after each update, one list per field (best null: +inf). */
interface OptaxPlateauStates {
  scale: number[];
  best: (number | null)[];
  plateau: number[];
  cooldown: number[];
  count: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/optim_session14.json', import.meta.url), 'utf8')) as {
  steps: number;
  cosine_recursive_vs_closed_max_rel: number;
  schedulers: Record<string, number[]>;
  metric: number[];
  torch_plateau: Record<string, { options: Record<string, number | string>; metric: number[]; lrs: number[] }>;
  optax_plateau: Record<string, { options: Record<string, number>; states: OptaxPlateauStates }>;
  params0: TrajectoryFixture['params0'];
  grads: TrajectoryFixture['grads'];
  optimizers: Record<string, { hyper: Record<string, number | boolean>; params_after_each_step: TrajectoryFixture['params0'][] }>;
};
const N = fixture.steps;
const lr = 0.1; // the generator's optimiser lr

const SCHEDULES: Record<string, () => optim.Schedule> = {
  step_lr: () => optim.stepLR({ learningRate: lr, stepSize: 7, gamma: 0.5 }),
  multistep_lr: () => optim.multiStepLR({ learningRate: lr, milestones: [10, 30, 30, 75], gamma: 0.3 }),
  exponential_lr: () => optim.exponentialLR({ learningRate: lr, gamma: 0.97 }),
  cosine_annealing_lr: () => optim.cosineAnnealingLR({ learningRate: lr, tMax: 25, etaMin: 0.001 }),
  cosine_annealing_lr_zero_min: () => optim.cosineAnnealingLR({ learningRate: lr, tMax: 40 }),
  warm_restarts: () => optim.cosineAnnealingWarmRestarts({ learningRate: lr, t0: 10, etaMin: 0.002 }),
  warm_restarts_mult: () => optim.cosineAnnealingWarmRestarts({ learningRate: lr, t0: 5, tMult: 2, etaMin: 0.01 }),
  warm_restarts_mult3: () => optim.cosineAnnealingWarmRestarts({ learningRate: lr, t0: 3, tMult: 3 }),
  onecycle_cos: () => optim.oneCycleLR({ maxLr: 0.5, totalSteps: N }),
  onecycle_linear: () => optim.oneCycleLR({ maxLr: 2, totalSteps: N, annealStrategy: 'linear', pctStart: 0.25, divFactor: 10, finalDivFactor: 100 }),
  onecycle_three_phase: () => optim.oneCycleLR({ maxLr: 1, totalSteps: N, threePhase: true, pctStart: 0.2 }),
  onecycle_three_phase_linear: () => optim.oneCycleLR({ maxLr: 0.3, totalSteps: N, threePhase: true, annealStrategy: 'linear' }),
  linear_lr: () => optim.linearLR({ learningRate: lr, startFactor: 0.25, endFactor: 0.9, totalIters: 30 }),
  linear_lr_default: () => optim.linearLR({ learningRate: lr }),
  constant_lr: () => optim.constantLR({ learningRate: lr, factor: 0.2, totalIters: 13 }),
  polynomial_lr: () => optim.polynomialLR({ learningRate: lr, totalIters: 50, power: 2 }),
  polynomial_lr_half: () => optim.polynomialLR({ learningRate: lr, totalIters: 60, power: 0.5 }),
  cyclic_triangular: () => optim.cyclicLR({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 9 }),
  cyclic_triangular2: () => optim.cyclicLR({ baseLr: 0.001, maxLr: 0.05, stepSizeUp: 6, stepSizeDown: 14, mode: 'triangular2' }),
  cyclic_exp_range: () => optim.cyclicLR({ baseLr: 0.02, maxLr: 0.2, stepSizeUp: 10, mode: 'exp_range', gamma: 0.99 }),
  lambda_lr: () => optim.lambdaLR({ learningRate: lr, lrLambda: (e) => (e % 2 === 0 ? 1 / (1 + 0.05 * e) : 0.5 ** (e / 30)), totalSteps: N }),
  multiplicative_lr: () => optim.multiplicativeLR({ learningRate: lr, lrLambda: (e) => (e % 3 ? 0.99 : 0.9), totalSteps: N }),
  sequential_warmup_cosine: () =>
    optim.sequentialLR([optim.linearLR({ learningRate: lr, startFactor: 0.1, totalIters: 10 }), optim.cosineAnnealingLR({ learningRate: lr, tMax: 60, etaMin: 1e-4 })], [10]),
  sequential_three: () =>
    optim.sequentialLR(
      [optim.constantLR({ learningRate: lr, factor: 0.5, totalIters: 5 }), optim.exponentialLR({ learningRate: lr, gamma: 0.95 }), optim.stepLR({ learningRate: lr, stepSize: 10, gamma: 0.5 })],
      [20, 50],
    ),
  chained_constant_exponential: () => optim.chainedScheduler([optim.constantLR({ learningRate: lr, factor: 0.1, totalIters: 4 }), optim.exponentialLR({ learningRate: lr, gamma: 0.98 })]),
  chained_linear_step_poly: () =>
    optim.chainedScheduler([
      optim.linearLR({ learningRate: lr, startFactor: 0.5, totalIters: 8 }),
      optim.stepLR({ learningRate: lr, stepSize: 15, gamma: 0.7 }),
      optim.polynomialLR({ learningRate: lr, totalIters: 100, power: 1.5 }),
    ]),
};

test('every fixture case has a schedule, and every schedule a case; torch recursion vs closed form is ~1e-14', () => {
  assert.equal(Object.keys(fixture.schedulers).sort(), Object.keys(SCHEDULES).sort());
  assert.ok(fixture.cosine_recursive_vs_closed_max_rel < 1e-12, String(fixture.cosine_recursive_vs_closed_max_rel));
});

for (const [name, want] of Object.entries(fixture.schedulers)) {
  test(`${name}: ${N} steps of torch's lr, float64 path and float32 arrays (eager, jit)`, async () => {
    const s = SCHEDULES[name]();
    want.forEach((w, t) => assert.ok(Math.abs(s.at(t) - w) <= 1e-12 * Math.abs(w) + 1e-300, `${name} at ${t}: ${s.at(t)} vs torch ${w}`));
    const peak = Math.max(...want.map(Math.abs));
    const steps = np.arange(0, N, 1, 'int32');
    const jitted = jit((t: NdArray) => s(t));
    for (const [mode, out] of [['eager', s(steps)], ['jit', jitted(steps)]] as const) {
      const got = await out.data();
      want.forEach((w, t) => assert.ok(Math.abs(got[t] - w) <= 2e-6 * peak, `${name} (${mode}) at ${t}: ${got[t]} vs torch ${w}`));
      out.dispose();
    }
    jitted.clearCache();
    steps.dispose();
  });
}

test('a torch scheduler drives sgd under jit: the parameter moves by -lr_t · g at each step', async () => {
  const schedule = optim.oneCycleLR({ maxLr: 0.5, totalSteps: N });
  const opt = optim.sgd({ learningRate: schedule });
  const step = jit((p: NdArray, s: optim.StateOf<typeof opt>) => {
    const [u, next] = opt.update(np.onesLike(p), s, p);
    return [optim.applyUpdates(p, u), next] as const;
  });
  let p: NdArray = np.zeros([]);
  let state = opt.init(p);
  for (let t = 0; t < 12; t++) [p, state] = step(p, state);
  const want = -fixture.schedulers.onecycle_cos.slice(0, 12).reduce((a, b) => a + b, 0);
  const got = (await p.data())[0];
  assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want), `${got} vs ${want}`);
  step.clearCache();
});

test('the tabulated lambda schedules hold their last value after totalSteps on arrays; at() calls the function', async () => {
  const s = optim.lambdaLR({ learningRate: 2, lrLambda: (t) => t + 1, totalSteps: 4 });
  assert.equal(Array.from(await s(np.array([0, 3, 9], 'int32')).data()), [2, 8, 8]);
  assert.is(s.at(9), 20);
});

test('bad options give one-line errors naming the scheduler and the option', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => optim.stepLR({ learningRate: 0.1, stepSize: 0 }), /^stepLR: stepSize must be an integer >= 1, got 0$/],
    [() => optim.exponentialLR({ learningRate: NaN, gamma: 0.9 }), /^exponentialLR: learningRate must be a finite number, got NaN$/],
    [() => optim.constantLR({ learningRate: 0.1, factor: 1.5 }), /^constantLR: factor must be in \[0, 1\] \(as torch\), got 1.5$/],
    [() => optim.linearLR({ learningRate: 0.1, startFactor: -0.1 }), /^linearLR: startFactor must be in \[0, 1\]/],
    [() => optim.cosineAnnealingLR({ learningRate: 0.1, tMax: 2.5 }), /^cosineAnnealingLR: tMax must be an integer >= 1, got 2.5$/],
    [() => optim.cosineAnnealingWarmRestarts({ learningRate: 0.1, t0: 5, tMult: 0 }), /^cosineAnnealingWarmRestarts: tMult must be an integer >= 1, got 0$/],
    [() => optim.oneCycleLR({ maxLr: 1, totalSteps: 10, pctStart: 1.2 }), /^oneCycleLR: pctStart must be in \[0, 1\]/],
    [() => optim.oneCycleLR({ maxLr: 1, totalSteps: 10, pctStart: 0.1 }), /^oneCycleLR: pctStart · totalSteps must not be 1/],
    [() => optim.oneCycleLR({ maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as 'cos' }), /^oneCycleLR: annealStrategy must be 'cos' or 'linear', got exp$/],
    [() => optim.cyclicLR({ baseLr: 0.1, maxLr: 1, mode: 'sine' as 'triangular' }), /^cyclicLR: mode must be/],
    [() => optim.cyclicLR({ baseLr: 0.1, maxLr: 1, stepSizeUp: 0 }), /^cyclicLR: stepSizeUp must be > 0/],
    [() => optim.lambdaLR({ learningRate: 0.1, lrLambda: 3 as unknown as (t: number) => number, totalSteps: 5 }), /^lambdaLR: lrLambda must be a function of the step, got number$/],
    [() => optim.multiplicativeLR({ learningRate: 0.1, lrLambda: () => 1, totalSteps: 0 }), /^multiplicativeLR: totalSteps must be an integer >= 1, got 0$/],
    [() => optim.sequentialLR([optim.stepLR({ learningRate: 0.1, stepSize: 2 })], [3]), /^sequentialLR: 1 scheduler\(s\) need 0 milestone\(s\), got 1$/],
    [() => optim.chainedScheduler([optim.cosineAnnealingLR({ learningRate: 0.1, tMax: 5 })]), /^chainedScheduler: scheduler 0 is not one of the multiplicative torch schedulers/],
    [() => optim.chainedScheduler([optim.stepLR({ learningRate: 0.1, stepSize: 2 }), optim.exponentialLR({ learningRate: 0.2, gamma: 0.9 })]), /^chainedScheduler: every scheduler must have the same learningRate/],
  ];
  for (const [f, re] of cases) assert.throws(f, re);
});

// ---- torch.optim.lr_scheduler.ReduceLROnPlateau
for (const [name, c] of Object.entries(fixture.torch_plateau)) {
  test(`reduceLROnPlateau ${name}: torch's lr after each of ${c.metric.length} steps`, () => {
    const o = c.options;
    const p = optim.reduceLROnPlateau({
      mode: o.mode as 'min' | 'max' | undefined,
      factor: o.factor as number | undefined,
      patience: o.patience as number | undefined,
      threshold: o.threshold as number | undefined,
      thresholdMode: o.threshold_mode as 'rel' | 'abs' | undefined,
      cooldown: o.cooldown as number | undefined,
      minLr: o.min_lr as number | undefined,
      eps: o.eps as number | undefined,
    });
    let s = p.init(0.1);
    c.metric.forEach((m, i) => {
      s = p.step(s, m);
      assert.ok(Math.abs(s.lr - c.lrs[i]) <= 1e-15 * c.lrs[i], `${name} step ${i}: ${s.lr} vs torch ${c.lrs[i]}`);
    });
    assert.is(s.lastEpoch, c.metric.length);
  });
}

test('reduceLROnPlateau reads a one-element array, and rejects bad options in one line', () => {
  const p = optim.reduceLROnPlateau({ patience: 0, factor: 0.5 });
  const s = p.step(p.step(p.init(1), np.array([2])), np.array(3));
  assert.is(s.lr, 0.5);
  assert.throws(() => p.step(s, np.array([1, 2])), /^reduceLROnPlateau: the metric must be a number or a one-element array, got shape \[2\]$/);
  assert.throws(() => optim.reduceLROnPlateau({ factor: 1 }), /^reduceLROnPlateau: factor must be < 1, got 1$/);
  assert.throws(() => optim.reduceLROnPlateau({ mode: 'up' as 'min' }), /^reduceLROnPlateau: mode must be 'min' or 'max', got up$/);
  assert.throws(() => optim.reduceLROnPlateau({ thresholdMode: 'pct' as 'rel' }), /^reduceLROnPlateau: thresholdMode must be 'rel' or 'abs', got pct$/);
  assert.throws(() => optim.reduceLROnPlateau({ patience: -1 }), /^reduceLROnPlateau: patience must be an integer >= 0, got -1$/);
});

// ---- optax.contrib.reduce_on_plateau
for (const [name, c] of Object.entries(fixture.optax_plateau)) {
  test(`reduceOnPlateau ${name}: optax's state after each update, under jit, inside a chain`, async () => {
    const o = c.options;
    const opt = optim.chain(
      optim.sgd({ learningRate: 1 }),
      optim.reduceOnPlateau({ factor: o.factor, patience: o.patience, rtol: o.rtol, atol: o.atol, cooldown: o.cooldown, accumulationSize: o.accumulation_size, minScale: o.min_scale }),
    );
    const step = jit((g: NdArray, s: optim.StateOf<typeof opt>, value: NdArray) => opt.update(g, s, undefined, { value }));
    let state = opt.init(np.zeros([2]));
    for (const [i, v] of fixture.metric.entries()) {
      const [u, next] = step(np.array([1, -2]), state, np.array(v));
      state = next;
      const w = { scale: c.states.scale[i], best: c.states.best[i], plateau: c.states.plateau[i], cooldown: c.states.cooldown[i], count: c.states.count[i] };
      const plateau = (state as unknown as [unknown, optim.ReduceOnPlateauState])[1];
      const [scale, best, count, cool, n] = await Promise.all([plateau.scale, plateau.bestValue, plateau.plateauCount, plateau.cooldownCount, plateau.count].map(async (a) => (await a.data())[0]));
      const at = `${name} update ${i}`;
      assert.ok(Math.abs(scale - w.scale) <= 1e-6 * w.scale, `${at}: scale ${scale} vs ${w.scale}`);
      assert.ok(w.best === null ? best === Infinity : Math.abs(best - w.best) <= 1e-6 * Math.abs(w.best), `${at}: best ${best} vs ${w.best}`);
      assert.equal([count, cool, n], [w.plateau, w.cooldown, w.count], at);
      const got = Array.from(await u.data());
      [-1, 2].forEach((g, j) => assert.ok(Math.abs(got[j] - g * w.scale) <= 1e-6 * w.scale * Math.abs(g), `${at}: update ${got[j]} vs ${g * w.scale}`));
    }
    step.clearCache();
  });
}

test('reduceOnPlateau with patience 0 cuts at every evaluation, improving or not (optax HEAD: the plateau count 0 equals patience)', async () => {
  const t = optim.reduceOnPlateau({ patience: 0, factor: 0.5 });
  let s = t.init(np.ones([1]));
  const scales: number[] = [];
  for (const value of [5, 4, 3]) {
    s = t.update(np.ones([1]), s, undefined, { value })[1];
    scales.push((await s.scale.data())[0]);
  }
  assert.equal(scales, [0.5, 0.25, 0.125]);
});

test('reduceOnPlateau needs the loss as { value }, and rejects bad options in one line', () => {
  const t = optim.reduceOnPlateau();
  assert.throws(() => t.update(np.ones([2]), t.init(np.ones([2]))), /^reduceOnPlateau: update needs the loss value: call update\(grads, state, params, \{ value: loss \}\)$/);
  assert.throws(() => optim.reduceOnPlateau({ factor: 1 }), /^reduceOnPlateau: factor must be in \(0, 1\), got 1$/);
  assert.throws(() => optim.reduceOnPlateau({ rtol: 0, atol: 0 }), /^reduceOnPlateau: at least one of rtol and atol must be > 0$/);
  assert.throws(() => optim.reduceOnPlateau({ rtol: 2 }), /^reduceOnPlateau: rtol must be <= 1, got 2$/);
  assert.throws(() => optim.reduceOnPlateau({ accumulationSize: 0 }), /^reduceOnPlateau: accumulationSize must be an integer >= 1, got 0$/);
});

// ---- optax.contrib's ADOPT and AdEMAMix: parameters after each of 8 steps within 1e-5 of optax's equations in float64.
const OPTIMIZERS: Record<string, () => optim.GradientTransformation> = {
  adopt: () => optim.adopt({ learningRate: 0.01 }),
  adopt_nesterov_noclip: () => optim.adopt({ learningRate: 0.02, b1: 0.8, b2: 0.99, eps: 1e-4, nesterov: true, useClipping: false }),
  ademamix: () => optim.ademamix({ learningRate: 0.01 }),
  ademamix_wd: () => optim.ademamix({ learningRate: 0.005, b1: 0.8, b2: 0.95, b3: 0.99, alpha: 2, eps: 1e-6, epsRoot: 1e-8, weightDecay: 0.1 }),
};
test('every optimiser case has a builder', () => assert.equal(Object.keys(fixture.optimizers).sort(), Object.keys(OPTIMIZERS).sort()));
trajectoryTests(test, { params0: fixture.params0, grads: fixture.grads, cases: fixture.optimizers }, (name) => OPTIMIZERS[name](), 1e-5);

test('adopt: the first update is zero (nu starts at g²); ademamix takes b3 and alpha as schedules', async () => {
  const t = optim.scaleByAdopt();
  const [u, s] = t.update(np.array([1, -2]), t.init(np.zeros([2])));
  assert.equal(Array.from(await u.data()), [0, 0]);
  assert.equal(Array.from(await (s.nu as NdArray).data()), [1, 4]);
  const fixed = optim.scaleByAdemamix({ b3: 0.5, alpha: 2 });
  const scheduled = optim.scaleByAdemamix({ b3: optim.constant(0.5), alpha: optim.linear({ init: 2, end: 0, steps: 10 }) });
  const g = np.array([0.5, -1]);
  const [a] = fixed.update(g, fixed.init(g));
  const [b] = scheduled.update(g, scheduled.init(g));
  assert.equal(Array.from(await a.data()), Array.from(await b.data()));
  assert.throws(() => optim.scaleByAdopt({ b1: 1.5 }), /^scaleByAdopt: b1 must be in \[0, 1\], got 1.5$/);
  assert.throws(() => optim.scaleByAdemamix({ b3: -1 }), /^scaleByAdemamix: b3 must be in \[0, 1\], got -1$/);
});

test.run();
