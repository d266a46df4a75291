/**
 * optax leftovers (session 15): schedules called with a JS number step (optax's schedules take a
 * Python int as well as an array); lamb refuses `nesterov` (optax's lamb has none; it was
 * accepted and ignored); optax.contrib's `madgrad` / `scale_by_madgrad`, `acprop` /
 * `scale_by_acprop`, `momo`, `momo_adam`, `dadapt_adamw`, `sophia` / `scale_by_sophia` /
 * `hutchinson_estimator_diag_hessian`; `optax.inject_stateful_hyperparams` (and stateful schedules
 * in `inject_hyperparams`), `optax.tree_map_params`, `optax.microbatch`. Trajectories against test/fixtures/optax_leftovers15.json
 * (tools/optax-leftovers15.py: optax's equations in float64 numpy), parameters after each of 8
 * steps within 1e-5.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import * as tree from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type TrajectoryFixture, leafValuesFlat, scopedTests, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

type Hyper = Record<string, number | boolean | number[]>;
const fixture: TrajectoryFixture & { cases: Record<string, { hyper: Hyper }>; values: number[] } = JSON.parse(
  readFileSync(new URL('../fixtures/optax_leftovers15.json', import.meta.url), 'utf8'),
);

/** `opt` given `extra(count)` at every update (its own int32 count from 0). */
function feeding(opt: optim.GradientTransformation, extra: (count: NdArray) => optim.ExtraArgs): optim.GradientTransformation<{ count: NdArray; inner: unknown }> {
  return {
    init: (params) => ({ count: np.zeros([], 'int32'), inner: opt.init(params) }),
    update(updates, state, params) {
      const [u, inner] = opt.update(updates, state.inner, params, extra(state.count));
      return [u, { count: np.add(state.count, 1), inner }];
    },
  };
}

/** The fixture's loss value at each step, for momo. */
const withValues = (opt: optim.GradientTransformation) => feeding(opt, (count) => ({ value: np.take(np.array(fixture.values), count) }));
/** The fixture's Sophia objective, sum(x^4) / 12 over every leaf (Hessian diagonal x^2). */
const quartic = (p: unknown) => optim.treeUtils.treeSum(optim.tree.div(optim.tree.mul(optim.tree.mul(p, p), optim.tree.mul(p, p)), optim.tree.fullLike(p, 12)));
const withObjective = (opt: optim.GradientTransformation) => feeding(opt, () => ({ objFn: quartic }));

function build(name: string): optim.GradientTransformation {
  const h = fixture.cases[name].hyper;
  const n = (k: string) => h[k] as number | undefined;
  const lin = h.lr_linear as [number, number, number] | undefined;
  const learningRate = lin ? optim.linear({ init: lin[0], end: lin[1], steps: lin[2] }) : (n('lr') as number);
  if (name.startsWith('madgrad')) return optim.madgrad({ learningRate, momentum: n('momentum'), weightDecay: n('wd'), eps: n('eps') });
  if (name.startsWith('acprop')) return optim.acprop({ learningRate, b1: n('b1'), b2: n('b2'), eps: n('eps'), epsRoot: n('eps_root'), weightDecay: n('wd') });
  if (name.startsWith('momo_adam'))
    return withValues(optim.momoAdam({ learningRate, b1: n('b1'), b2: n('b2'), eps: n('eps'), lowerBound: n('lower_bound'), weightDecay: n('wd'), adaptLowerBound: h.adapt as boolean | undefined }));
  if (name.startsWith('momo'))
    return withValues(optim.momo({ learningRate, beta: n('beta'), lowerBound: n('lower_bound'), weightDecay: n('wd'), adaptLowerBound: h.adapt as boolean | undefined }));
  if (name.startsWith('dadapt')) {
    const betas = h.b1 === undefined ? undefined : ([n('b1'), n('b2')] as [number, number]);
    return optim.dadaptAdamw({ learningRate, betas, eps: n('eps'), estimLr0: n('estim_lr0'), weightDecay: n('wd') });
  }
  return withObjective(
    optim.sophia({ learningRate, b1: n('b1'), b2: n('b2'), eps: n('eps'), weightDecay: n('wd'), gamma: n('gamma'), clipThreshold: n('clip'), updateInterval: n('interval') }),
  );
}

const test = suite(`optim: optax leftovers, session 15 [${backend}]`);
scopedTests(test);

const scalar = async (x: NdArray) => (await x.data())[0];

/** One of each kind of schedule: optax's, the torch schedulers, joins, piecewise, plain functions. */
function everySchedule(): [string, optim.Schedule][] {
  return [
    ['constant', optim.constant(0.3)],
    ['linear', optim.linear({ init: 1, end: 0.1, steps: 10, begin: 2 })],
    ['polynomial', optim.polynomial({ init: 1, end: 0.01, steps: 10, power: 2 })],
    ['cosineDecay', optim.cosineDecay({ init: 1, decaySteps: 10, end: 0.1 })],
    ['exponentialDecay', optim.exponentialDecay({ init: 1, transitionSteps: 3, decayRate: 0.5, staircase: true })],
    ['piecewiseConstant', optim.piecewiseConstant(1, [[3, 0.5], [6, 0.1]])],
    ['piecewiseInterpolate', optim.piecewiseInterpolate('cosine', 1, [[3, 0.5], [6, 0.1]])],
    ['joinSchedules', optim.joinSchedules([optim.constant(1), optim.linear({ init: 1, end: 0, steps: 5 })], [3])],
    ['warmupCosineDecay', optim.warmupCosineDecay({ init: 0, peak: 1, warmupSteps: 3, decaySteps: 10 })],
    ['warmupConstant', optim.warmupConstant({ init: 0, peak: 1, warmupSteps: 4 })],
    ['warmupExponentialDecay', optim.warmupExponentialDecay({ init: 0, peak: 1, warmupSteps: 2, transitionSteps: 2, decayRate: 0.5 })],
    ['cosineOnecycle', optim.cosineOnecycle({ transitionSteps: 10, peak: 1 })],
    ['linearOnecycle', optim.linearOnecycle({ transitionSteps: 10, peak: 1 })],
    ['sgdr', optim.sgdr([{ init: 0, peak: 1, warmupSteps: 2, decaySteps: 5 }, { init: 0, peak: 0.5, warmupSteps: 1, decaySteps: 4 }])],
    ['linspace', optim.linspace(0, 1, 5)],
    ['stepLR', optim.stepLR({ learningRate: 0.1, stepSize: 3 })],
    ['multiStepLR', optim.multiStepLR({ learningRate: 0.1, milestones: [2, 5] })],
    ['exponentialLR', optim.exponentialLR({ learningRate: 0.1, gamma: 0.9 })],
    ['cosineAnnealingLR', optim.cosineAnnealingLR({ learningRate: 0.1, tMax: 8 })],
    ['cosineAnnealingWarmRestarts', optim.cosineAnnealingWarmRestarts({ learningRate: 0.1, t0: 3, tMult: 2 })],
    ['oneCycleLR', optim.oneCycleLR({ maxLr: 0.1, totalSteps: 10 })],
    ['cyclicLR', optim.cyclicLR({ baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 })],
    ['lambdaLR', optim.lambdaLR({ learningRate: 0.1, lrLambda: (t) => 1 / (t + 1), totalSteps: 10 })],
    ['multiplicativeLR', optim.multiplicativeLR({ learningRate: 0.1, lrLambda: () => 0.9, totalSteps: 10 })],
    ['sequentialLR', optim.sequentialLR([optim.constantLR({ learningRate: 0.1 }), optim.exponentialLR({ learningRate: 0.1, gamma: 0.5 })], [3])],
    ['chainedScheduler', optim.chainedScheduler([optim.stepLR({ learningRate: 0.1, stepSize: 2 }), optim.exponentialLR({ learningRate: 0.1, gamma: 0.9 })])],
    ['fromFunction', optim.fromFunction((s) => np.div(1, np.add(s, 1)))],
    ['toSchedule(function)', optim.toSchedule((s: NdArray) => np.sqrt(np.add(s, 1)))],
  ];
}

test('every schedule takes a JS number step (optax: a Python int), eagerly and under jit: the value at the int32 array step', async () => {
  const f = jit((k: NdArray, s: optim.Schedule) => np.add(np.mul(k, 0), s(7)), { staticArgnums: [1] });
  for (const [name, s] of everySchedule()) {
    for (const t of [0, 4, 7, 9]) {
      const want = await scalar(s(np.array(t, 'int32')));
      const got = s(t);
      assert.equal(got.shape, [], `${name}(${t}) shape`);
      assert.is(got.dtype, 'float32', `${name}(${t}) dtype`);
      assert.is(await scalar(got), want, `${name}(${t})`);
      assert.ok(Math.abs(s.at(t) - want) <= 1e-6 * Math.max(1, Math.abs(want)), `${name}.at(${t}) = ${s.at(t)} vs ${want}`);
    }
    assert.is(await scalar(f(np.array(0), s)), await scalar(s(np.array(7, 'int32'))), `${name}(7) under jit`);
    f.clearCache();
  }
});

test('a schedule with a number step inside an injected optimiser (optax: lr schedules read by user code)', async () => {
  const s = optim.warmupCosineDecay({ init: 0, peak: 1, warmupSteps: 2, decaySteps: 6 });
  const opt = optim.injectHyperparams((o: optim.AdamOptimizerOptions) => optim.sgd(o))({ learningRate: s });
  const p = np.array([1, 2]);
  let state = opt.init(p);
  for (let i = 0; i < 3; i++) {
    [, state] = opt.update(np.ones([2]), state, p);
    assert.is(await scalar(state.hyperparams.learningRate), await scalar(s(i)), `step ${i}`);
  }
});

test('lamb: nesterov is not an option (optax.lamb has none): an error, not silently ignored', () => {
  const bad = { learningRate: 0.1, nesterov: true } as unknown as optim.LambOptions;
  assert.throws(() => optim.lamb(bad), /lamb: nesterov is not an option/);
  optim.lamb({ learningRate: 0.1, b1: 0.8 });
});

test('the fixture has the madgrad, acprop, momo, momoAdam, dadaptAdamw and sophia cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).length, 12);
  for (const name of Object.keys(fixture.cases)) build(name);
});

trajectoryTests(test, fixture, build, TOL);

test("state fields are optax's (camelCase)", () => {
  const p = { a: np.ones([2]), b: np.ones([]) };
  const keys = (s: unknown) => Object.keys(s as object).sort();
  assert.equal(keys(optim.scaleByMadgrad({ learningRate: 0.1 }).init(p)), ['count', 'gradSumSq', 's', 'x0']);
  assert.equal(keys(optim.scaleByAcprop().init(p)), ['count', 'mu', 'nu']);
  assert.equal(keys(optim.momo().init(p)), ['barf', 'count', 'expAvg', 'gamma', 'lb']);
  assert.equal(keys(optim.momoAdam().init(p)), ['barf', 'count', 'expAvg', 'expAvgSq', 'gamma', 'lb']);
  assert.equal(keys(optim.dadaptAdamw().init(p)), ['count', 'estimLr', 'expAvg', 'expAvgSq', 'gradSum', 'numeratorWeighted']);
  assert.equal(keys(optim.scaleBySophia().init(p)), ['count', 'hessianFnState', 'mu', 'nu']);
  assert.equal(keys(optim.hutchinsonEstimatorDiagHessian().init(p)), ['key']);
});

test('hutchinsonEstimatorDiagHessian: r * (H r) with r the Rademacher signs of the split key, for a non-diagonal H', async () => {
  const a = np.array([[2, 1, 0], [1, 3, -1], [0, -1, 1]]);
  const f = (x: unknown) => np.mul(0.5, np.vdot(x as NdArray, np.matmul(a, x as NdArray)));
  const h = optim.hutchinsonEstimatorDiagHessian(random.key(3));
  const x = np.array([0.5, -1, 2]);
  const state = h.init(x);
  const [est, next] = h.update(x, state, x, { objFn: f });
  const [k, sub] = random.split(random.key(3));
  const r = np.cast(random.rademacher(random.split(sub, 1)[0], [3]), 'float32');
  assert.equal(await leafValuesFlat(est), await leafValuesFlat(np.mul(r, np.matmul(a, r))));
  assert.equal(await leafValuesFlat(next.key), await leafValuesFlat(k));
  assert.throws(() => h.update(x, state, x), /update needs the objective: call update\(grads, state, params, \{ objFn/);
});

test('momo, momoAdam: the loss value is required; bad options are errors', () => {
  const p = np.ones([2]);
  const m = optim.momo();
  assert.throws(() => m.update(p, m.init(p), p), /momo: update needs the loss value/);
  assert.throws(() => optim.momo({ beta: 1 }), /momo: beta must be in \[0, 1\)/);
  assert.throws(() => optim.dadaptAdamw({ estimLr0: 0 }), /estimLr0 must be > 0/);
  assert.throws(() => optim.scaleBySophia({ updateInterval: 0 }), /updateInterval must be an integer >= 1, got 0/);
  const mg = optim.scaleByMadgrad({ learningRate: 0.1 });
  assert.throws(() => mg.update(p, mg.init(p)), /scaleByMadgrad/);
});

test('sophia: the Hessian estimate is refreshed only every updateInterval steps (from step 0)', async () => {
  const opt = optim.scaleBySophia({ updateInterval: 2, b2: 0.5 });
  const p = np.array([1, 2]);
  let state = opt.init(p);
  const nus: number[][] = [];
  for (let i = 0; i < 4; i++) {
    [, state] = opt.update(np.ones([2]), state, p, { objFn: quartic });
    nus.push(await leafValuesFlat(state.nu));
  }
  // h = x^2 = [1, 4]: nu = 0.5 h at step 0, kept at 1, 0.75 h at step 2, kept at 3.
  assert.equal(nus, [[0.5, 2], [0.5, 2], [0.75, 3], [0.75, 3]]);
  tf.dispose(state as never);
});

test('injectStatefulHyperparams: a plain schedule is wrapped (state {count}); values as injectHyperparams', async () => {
  const lr = optim.exponentialDecay({ init: 0.1, transitionSteps: 1, decayRate: 0.5 });
  const factory = (o: optim.AdamOptimizerOptions) => optim.sgd(o);
  const stateful = optim.injectStatefulHyperparams(factory)({ learningRate: lr });
  const plain = optim.injectHyperparams(factory)({ learningRate: lr });
  const p = np.array([1, -1]);
  let [s1, s2] = [stateful.init(p), plain.init(p)];
  assert.equal(Object.keys(s1).sort(), ['count', 'hyperparams', 'hyperparamsStates', 'innerState']);
  for (let i = 0; i < 3; i++) {
    const [u1, n1] = stateful.update(np.ones([2]), s1, p);
    const [u2, n2] = plain.update(np.ones([2]), s2, p);
    assert.equal(await leafValuesFlat(u1), await leafValuesFlat(u2), `step ${i} updates`);
    [s1, s2] = [n1, n2];
    assert.is(await scalar((s1.hyperparamsStates.learningRate as { count: NdArray }).count), i + 1);
  }
});

test('injectStatefulHyperparams / injectHyperparams: a stateful schedule sees update\'s extra arguments (optax StatefulSchedule)', async () => {
  // lr = 0.1 · the loss value of the previous update (1 at first).
  const lossScaled: optim.StatefulSchedule<{ scale: NdArray }> = Object.assign((s: { scale: NdArray }) => np.mul(0.1, s.scale), {
    init: () => ({ scale: np.array(1) }),
    update: (_s: { scale: NdArray }, extra?: optim.ExtraArgs) => ({ scale: np.array(extra?.value as number) }),
  });
  for (const inject of [optim.injectStatefulHyperparams, optim.injectHyperparams]) {
    const opt = inject((o: optim.AdamOptimizerOptions) => optim.sgd(o))({ learningRate: lossScaled as unknown as optim.ScheduleLike });
    const p = np.array([2]);
    let state = opt.init(p) as optim.InjectStatefulHyperparamsState;
    const got: number[] = [];
    for (const value of [3, 0.5, 2]) {
      const [u, next] = opt.update(np.ones([1]), state, p, { value });
      got.push(await scalar(u as NdArray));
      state = next as optim.InjectStatefulHyperparamsState;
    }
    [-0.1, -0.3, -0.05].forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-7, `step ${i}: ${got[i]} vs ${w}`));
    assert.ok('hyperparamsStates' in state);
  }
});

test('treeMapParams: f over every parameter copy in the state (optax docstring: specs in, non-params to null)', async () => {
  const params = { w: np.ones([2, 2]), b: np.zeros([2]) };
  const specs = { w: 'row', b: 'none' };
  for (const opt of [optim.adam({ learningRate: 0.1 }), optim.chain(optim.sgd({ learningRate: 0.1, momentum: 0.9 }), optim.scaleByMadgrad({ learningRate: 0.1 }))]) {
    const state = opt.init(params);
    const mapped = optim.treeMapParams(opt, (_: NdArray, spec: string) => spec, state, specs, { transformNonParams: () => null });
    const flat = tree.leaves(mapped);
    assert.ok(flat.length > 0 && flat.every((x) => x === 'row' || x === 'none'), JSON.stringify(mapped));
  }
  const opt = optim.adam({ learningRate: 0.1 });
  const [, state] = opt.update({ w: np.ones([2, 2]), b: np.ones([2]) }, opt.init(params), params);
  const doubled = optim.treeMapParams(opt.init, (x: NdArray) => np.mul(x, 2), state) as typeof state;
  const at = (s: unknown, k: string) => optim.treeUtils.treeGet(s, k) as { w: NdArray; b: NdArray };
  assert.equal(await leafValuesFlat(at(doubled, 'mu')), (await leafValuesFlat(at(state, 'mu'))).map((v) => 2 * v));
  assert.is(optim.treeUtils.treeGet(doubled, 'count'), optim.treeUtils.treeGet(state, 'count'), 'non-params kept');
  assert.is(optim.tree.mapParams, optim.treeMapParams);
  assert.throws(() => optim.treeMapParams(null as never, (x: NdArray) => x, state), /treeMapParams: initable must be an optimiser or its init function, got null/);
});

test('microbatch: optax docstring (concat + sum); rows a, a + n, ... per microbatch; mean / runningMean / numRealMicrobatches', async () => {
  const f = optim.microbatch((x: NdArray) => [np.add(x, 1), np.sum(np.mul(3, x))], 0, 2, [optim.AccumulationType.CONCAT, optim.AccumulationType.SUM]);
  const [ys, total] = f(np.array([1, 2, 3, 4], 'int32')) as [NdArray, NdArray];
  assert.equal(Array.from(await ys.data()), [2, 3, 4, 5]);
  assert.is(await scalar(total), 30);
  const collect: optim.Accumulator = { init: () => [], update: (c, v) => [...(c as NdArray[]), v], finalize: (c) => c };
  const parts = optim.microbatch((x: NdArray) => x, 0, 2, collect)(np.arange(6)) as unknown as NdArray[];
  assert.equal(await Promise.all(parts.map(async (x) => Array.from(await x.data()))), [[0, 3], [1, 4], [2, 5]]);
  // Microbatch sums of [1..6] in 3 microbatches of 2: 5, 7, 9.
  const x = np.array([1, 2, 3, 4, 5, 6]);
  const run = (acc: optim.AccumulationTypeName, numRealMicrobatches?: number) => scalar(optim.microbatch((b: NdArray) => np.sum(b), 0, 2, acc, { numRealMicrobatches })(x) as NdArray);
  assert.equal([await run('sum'), await run('mean'), await run('runningMean')], [21, 7, 7]);
  assert.equal([await run('sum', 2), await run('mean', 2), await run('runningMean', 2)], [12, 4, 6]);
  assert.is(optim.microbatch(np.sum, 0, null), np.sum);
});

test('microbatch: of a gradient (sum) equals the full-batch gradient; inAxes and unbatched arguments', async () => {
  const loss = (w: NdArray, xb: NdArray, yb: NdArray) => np.sum(np.square(np.sub(np.matmul(xb, w), yb)));
  const xb = np.reshape(np.div(np.arange(24), 10), [8, 3]);
  const yb = np.array([1, 0, 2, 1, 0, 1, 2, 3]);
  const w = np.array([0.5, -1, 0.25]);
  const full = grad(loss)(w, xb, yb);
  const micro = optim.microbatch(grad(loss), [1, 2], 4)(w, xb, yb);
  const a = await leafValuesFlat(full);
  (await leafValuesFlat(micro)).forEach((v, i) => assert.ok(Math.abs(v - a[i]) <= 1e-5 * Math.max(1, Math.abs(a[i])), `${v} vs ${a[i]}`));
  // The batch on axis 1 of the first argument, axis 0 of the second.
  const g = optim.microbatch((xt: NdArray, y: NdArray) => np.sum(np.mul(np.sum(xt, 0), y)), [0, 1], 2, 'sum', { inAxes: [1, 0] });
  assert.ok(Math.abs((await scalar(g(np.transpose(xb), yb) as NdArray)) - (await scalar(np.sum(np.mul(np.sum(xb, 1), yb))))) < 1e-5);
  assert.throws(() => optim.microbatch(np.sum, 0, 3)(np.ones([8])), /batch size 8 must be divisible by microbatchSize 3/);
  assert.throws(() => optim.microbatch((p: NdArray, q: NdArray) => np.add(p, q), [0, 1], 2)(np.ones([4]), np.ones([6])), /equal-size batch axes, got \[4, 6\]/);
  assert.throws(() => optim.microbatch(np.sum, 0, 2, 'mean')(np.ones([4], 'int32')), /mean accumulator needs floating-point outputs, got int32/);
});

test.run();
