/**
 * optax parity sweep: schedule-free (scheduleFree / scheduleFreeSgd / scheduleFreeAdamw /
 * scheduleFreeEvalParams), polyakSgd / scaleByPolyak (update's extra `{ value }`), adamaxw,
 * scaleByRms's optax options, optax.tree_utils (`optim.treeUtils`) and optax.projections
 * (`optim.projections`). Trajectories against test/fixtures/optax_sweep.json (tools/optax-sweep.py:
 * optax's update equations in float64 numpy), parameters after each of 8 steps within 1e-5.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { grad, jit, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type ParamsJson, type TrajectoryFixture, leafValuesFlat, maxErrVsJson, scopedTests, toTensors, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;

type Hyper = Record<string, number>;
type Flat = { a: number[]; b: number[][] };
interface ProjectionCase {
  input: Flat;
  simplex: Flat;
  simplex_scale_2_5: Flat;
  l1_sphere_1_5: Flat;
  l1_ball_1_5: Flat;
  l1_norm: number;
}
const fixture: TrajectoryFixture & {
  cases: Record<string, { hyper: Hyper; eval_params?: ParamsJson }>;
  polyak: { weights: ParamsJson; cases: Record<string, { hyper: Hyper; params_after_each_step: ParamsJson[] }> };
  projections: Record<string, ProjectionCase>;
} = JSON.parse(readFileSync(new URL('../fixtures/optax_sweep.json', import.meta.url), 'utf8'));

function build(name: string): optim.GradientTransformation {
  const h = fixture.cases[name].hyper;
  switch (name) {
    case 'schedule_free_sgd':
      return optim.scheduleFreeSgd();
    case 'schedule_free_sgd_warmup_wd':
      return optim.scheduleFreeSgd({ learningRate: h.lr, warmupSteps: h.warmup_steps, b1: h.b1, weightDecay: h.weight_decay });
    case 'schedule_free_adamw':
      return optim.scheduleFreeAdamw();
    case 'schedule_free_adamw_warmup_wd':
      return optim.scheduleFreeAdamw({ learningRate: h.lr, warmupSteps: h.warmup_steps, b1: h.b1, b2: h.b2, weightDecay: h.weight_decay });
    case 'scale_by_rms_optax':
      return optim.chain(optim.scaleByRms({ decay: 0.9, epsInSqrt: true }), optim.scaleByLearningRate(h.lr));
    case 'scale_by_rms_bias_correction_initial_scale':
      return optim.chain(optim.scaleByRms({ decay: h.decay, eps: h.eps, initialScale: h.initial_scale, biasCorrection: true }), optim.scaleByLearningRate(h.lr));
    case 'adamaxw':
      return optim.adamaxw({ learningRate: h.lr });
    case 'adamaxw_wd':
      return optim.adamaxw({ learningRate: h.lr, b1: h.b1, weightDecay: h.weight_decay });
  }
  throw new Error(`no builder for fixture case ${name}`);
}

const test = suite(`optim: optax parity sweep (schedule-free, polyak, adamaxw, tree utils, projections) [${backend}]`);
scopedTests(test);

test('the fixture has the cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).length, 8);
  for (const name of Object.keys(fixture.cases)) build(name);
});

trajectoryTests(test, fixture, build, TOL);

test('scheduleFreeEvalParams after 8 steps matches optax; the state has optax layout (stepCount from 1)', async () => {
  for (const name of ['schedule_free_sgd', 'schedule_free_sgd_warmup_wd', 'schedule_free_adamw', 'schedule_free_adamw_warmup_wd']) {
    const opt = build(name);
    let params = toTensors(fixture.params0);
    let state = opt.init(params) as optim.ScheduleFreeState<unknown>;
    assert.is(state.stepCount.dataSync()[0], 1);
    assert.is(state.stepCount.dtype, 'int32');
    for (const gj of fixture.grads) {
      const [u, s] = opt.update(toTensors(gj), state, params);
      [params, state] = [optim.applyUpdates(params, u), s as optim.ScheduleFreeState<unknown>];
    }
    assert.is(state.stepCount.dataSync()[0], 9);
    const err = await maxErrVsJson(optim.scheduleFreeEvalParams(state, params), fixture.cases[name].eval_params as ParamsJson);
    assert.ok(err <= TOL, `${name}: eval params off by ${err}`);
  }
  assert.throws(() => optim.scheduleFreeEvalParams({} as optim.ScheduleFreeState<unknown>, { w: np.zeros([1]) }), /scheduleFreeEvalParams: the state must be a scheduleFree state/);
  assert.throws(() => optim.scheduleFreeSgd().update({ w: np.zeros([1]) }, optim.scheduleFreeSgd().init({ w: np.zeros([1]) })), /scheduleFree: update needs the current parameters/);
});

test('scheduleFreeSgd on a quadratic: 100 steps take the averaged iterate from loss 5 to 0.00216 (float64 value)', async () => {
  const loss = (p: { w: tf.Tensor }) => np.sum(np.square(np.sub(p.w, np.array([1, -2]))));
  const opt = optim.scheduleFreeSgd({ learningRate: 0.1 });
  let params = { w: np.zeros([2]) };
  let state = opt.init(params) as optim.ScheduleFreeState<unknown>;
  for (let t = 0; t < 100; t++) {
    const [u, s] = opt.update(grad(loss)(params), state, params);
    [params, state] = [optim.applyUpdates(params, u), s as optim.ScheduleFreeState<unknown>];
  }
  const final = loss(optim.scheduleFreeEvalParams(state, params)).dataSync()[0];
  assert.ok(Math.abs(final - 0.0021585825) < 1e-5, `${final}`);
});

// ---- polyak_sgd on the quadratic loss of the fixture.
const polyakLoss = (weights: Record<string, tf.Tensor>) => (p: Record<string, tf.Tensor>) =>
  Object.keys(p)
    .map((k) => np.mul(0.5, np.sum(np.mul(weights[k], np.square(np.sub(p[k], 0.3))))))
    .reduce((a, b) => np.add(a, b));

for (const [name, c] of Object.entries(fixture.polyak.cases)) {
  for (const jitted of [false, true]) {
    test(`polyakSgd ${name}${jitted ? ' (jit)' : ''}: 6 steps on a quadratic within ${TOL} of optax's`, async () => {
      const h = c.hyper;
      const opt = optim.polyakSgd({ maxLearningRate: h.max_lr, scaling: h.scaling, fMin: h.f_min, eps: h.eps });
      const lossFn = polyakLoss(toTensors(fixture.polyak.weights));
      const body = (p: Record<string, tf.Tensor>, s: unknown) => {
        const [value, g] = valueAndGrad(lossFn)(p);
        const [u, ns] = opt.update(g, s, p, { value });
        return [optim.applyUpdates(p, u), ns] as const;
      };
      const step = jitted ? jit(body) : body;
      let params: Record<string, tf.Tensor> = toTensors(fixture.params0);
      let state = opt.init(params);
      for (const expected of c.params_after_each_step) {
        [params, state] = step(params, state);
        const err = await maxErrVsJson(params as ReturnType<typeof toTensors>, expected);
        assert.ok(err <= TOL, `${name}: max error ${err}`);
      }
      if (jitted) (step as ReturnType<typeof jit>).clearCache();
    });
  }
}

test("scaleByPolyak: sps+ clips the gap at 0, zero gradients give zero updates, no value is a one-line error", async () => {
  const g = { w: np.array([3, 4]) };
  const plus = optim.scaleByPolyak({ variant: 'sps+', fMin: 10 });
  assert.equal(await leafValuesFlat(plus.update(g, {}, undefined, { value: 2 })[0]), [0, 0]);
  const sps = optim.scaleByPolyak({ fMin: 10, maxLearningRate: 100 });
  // gap -8, ‖g‖² 25: step -0.32 (optax's 'sps' moves uphill when the value is below fMin).
  const [u] = sps.update(g, {}, undefined, { value: np.array(2) });
  (await leafValuesFlat(u)).forEach((x, i) => assert.ok(Math.abs(x - [-0.96, -1.28][i]) < 1e-6, `${x}`));
  assert.equal(await leafValuesFlat(optim.scaleByPolyak().update({ w: np.zeros([2]) }, {}, undefined, { value: 1 })[0]), [0, 0]);
  assert.throws(() => optim.scaleByPolyak().update(g, {}), /scaleByPolyak: update needs the loss value/);
  assert.throws(() => optim.scaleByPolyak({ variant: 'spz' as 'sps' }), /variant must be 'sps' or 'sps\+'/);
});

test('extra arguments pass through chain, masked, applyIfFinite, multiSteps and injectHyperparams', async () => {
  const g = { w: np.array([3, 4]) };
  const p = { w: np.array([0, 0]) };
  const polyak = optim.scaleByPolyak({ maxLearningRate: 100 });
  const wrapped: optim.GradientTransformation<unknown>[] = [
    optim.chain(optim.identity(), polyak),
    optim.chain(optim.chain(polyak)),
    optim.masked(polyak, { w: true }),
    optim.applyIfFinite(polyak, 2),
    optim.multiSteps(polyak, 1),
    optim.partition({ a: polyak }, { w: 'a' }),
    optim.injectHyperparams((o: { maxLearningRate: optim.Hyper }) => optim.scaleByPolyak(o))({ maxLearningRate: 100 }),
  ];
  for (const [i, t] of wrapped.entries()) {
    const [u] = t.update(g, t.init(p), p, { value: 5 }); // step = 5 / 25
    assert.equal(await leafValuesFlat(u), [0.6000000238418579, 0.800000011920929], `wrapper ${i}`);
  }
});

// ---- optax.tree_utils
test('treeUtils: leafwise arithmetic and reductions (optax.tree_utils)', async () => {
  const tu = optim.treeUtils;
  const x = { a: np.array([1, -2]), b: { c: np.array([[3]]) } };
  const y = { a: np.array([0.5, 4]), b: { c: np.array([[-1]]) } };
  const vals = leafValuesFlat;
  assert.equal(await vals(tu.treeAdd(x, y, y)), [2, 6, 1]);
  assert.equal(await vals(tu.treeSub(x, y)), [0.5, -6, 4]);
  assert.equal(await vals(tu.treeMul(x, y)), [0.5, -8, -3]);
  assert.equal(await vals(tu.treeDiv(x, y)), [2, -0.5, -3]);
  assert.equal(await vals(tu.treeScale(2, x)), [2, -4, 6]);
  assert.equal(await vals(tu.treeScalarMul(np.array(2), x)), [2, -4, 6]);
  assert.equal(await vals(tu.treeAddScale(x, 2, y)), [2, 6, 1]);
  assert.is(tu.treeVdot(x, y).dataSync()[0], 0.5 - 8 - 3);
  assert.is(tu.treeSum(x).dataSync()[0], 2);
  assert.is(tu.treeMax(x).dataSync()[0], 3);
  assert.is(tu.treeMin(x).dataSync()[0], -2);
  assert.is(tu.treeSize(x), 3);
  assert.ok(Math.abs(tu.treeNorm(x).dataSync()[0] - Math.sqrt(14)) < 1e-6);
  assert.is(tu.treeNorm(x, 2, true).dataSync()[0], 14);
  assert.is(tu.treeNorm(x, 1).dataSync()[0], 6);
  assert.is(tu.treeNorm(x, Infinity).dataSync()[0], 3);
  assert.is(tu.treeNorm(x, 'inf', true).dataSync()[0], 9);
  assert.ok(Math.abs(tu.treeL2Norm(x).dataSync()[0] - Math.sqrt(14)) < 1e-6);
  assert.throws(() => tu.treeNorm(x, 3 as 2), /treeNorm: unsupported ord 3/);
  // Empty trees: optax's initial values.
  assert.is(tu.treeSum({}).dataSync()[0], 0);
  assert.is(tu.treeMax({}).dataSync()[0], -Infinity);
  assert.is(tu.treeMin({ e: np.zeros([0]) }).dataSync()[0], Infinity);
  assert.is(tu.treeNorm({}).dataSync()[0], 0);
});

test('treeUtils: zeros/ones/full-like (dtype), where, clip, allclose, moments, bias correction', async () => {
  const tu = optim.treeUtils;
  const x = { a: np.array([1, -2]), i: np.array([1, 2], 'int32') };
  const z = tu.treeZerosLike(x);
  assert.is((z.i as tf.Tensor).dtype, 'int32');
  assert.equal(await leafValuesFlat(z), [0, 0, 0, 0]);
  assert.is((tu.treeOnesLike(x, 'float32').i as tf.Tensor).dtype, 'float32');
  const f = tu.treeFullLike(x, 2.5);
  assert.equal(await leafValuesFlat(f), [2.5, 2.5, 2, 2]); // int leaf: 2.5 as int32, as jnp.full_like
  assert.equal(await leafValuesFlat(tu.treeFullLike({ a: np.zeros([2]) }, np.array(7))), [7, 7]);
  assert.equal(await leafValuesFlat(tu.treeWhere(np.array(false, 'bool'), x, z)), [0, 0, 0, 0]);
  assert.equal(await leafValuesFlat(tu.treeWhere(true, x, z)), [1, -2, 1, 2]);
  assert.equal(await leafValuesFlat(tu.treeClip({ a: np.array([-3, 0.5, 3]) }, -1, 1)), [-1, 0.5, 1]);
  assert.equal(await leafValuesFlat(tu.treeClip({ a: np.array([-3, 0.5, 3]) }, null, 1)), [-3, 0.5, 1]);
  assert.is(tu.treeAllclose({ a: np.array([1, 2]) }, { a: np.array([1, 2 + 1e-6]) }).dataSync()[0], 1);
  assert.is(tu.treeAllclose({ a: np.array([1, 2]), b: np.array([0]) }, { a: np.array([1, 2]), b: np.array([1e-3]) }).dataSync()[0], 0);
  const g = { a: np.array([2, -1]) };
  const m = { a: np.array([1, 1]) };
  assert.equal(await leafValuesFlat(tu.treeUpdateMoment(g, m, 0.5, 2)), [2.5, 1]);
  assert.equal(await leafValuesFlat(tu.treeUpdateMoment(g, m, 0.5, 1)), [1.5, 0]);
  assert.equal(await leafValuesFlat(tu.treeUpdateInfinityMoment(g, { a: np.array([8, 8]) }, 0.5, 0.25)), [4, 4]);
  assert.equal(await leafValuesFlat(tu.treeUpdateInfinityMoment(g, m, 0.5, 0.25)), [2.25, 1.25]);
  assert.equal(await leafValuesFlat(tu.treeBiasCorrection(m, 0.5, 2)), [4 / 3, 4 / 3].map(Math.fround));
});

// ---- optax.projections
const fromFlat = (f: Flat) => ({ a: np.array(f.a), b: np.array(f.b) });

async function near(actual: unknown, expected: Flat, tol: number, what: string): Promise<void> {
  const got = await leafValuesFlat(actual);
  const want = [...expected.a, ...expected.b.flat()];
  assert.is(got.length, want.length, what);
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) <= tol, `${what} [${i}]: ${x} vs ${want[i]}`));
}

for (const [name, c] of Object.entries(fixture.projections)) {
  test(`projections on '${name}': simplex, l1 sphere and l1 ball as optax (the whole tree as one vector)`, async () => {
    const t = fromFlat(c.input);
    await near(optim.projections.projectionSimplex(t), c.simplex, 1e-6, 'simplex');
    await near(optim.projections.projectionSimplex(t, 2.5), c.simplex_scale_2_5, 1e-6, 'simplex scale 2.5');
    await near(optim.projections.projectionL1Sphere(t, 1.5), c.l1_sphere_1_5, 1e-6, 'l1 sphere');
    await near(optim.projections.projectionL1Ball(t, 1.5), c.l1_ball_1_5, 1e-6, 'l1 ball');
    await near(optim.projections.projectionL1Ball(t, c.l1_norm + 1), c.input, 1e-7, 'l1 ball, inside (unchanged, up to float32 rounding)');
    await near(jit((u: typeof t) => optim.projections.projectionSimplex(u))(t), c.simplex, 1e-6, 'simplex under jit');
  });
}

test("projectionSimplex's gradient is optax's custom JVP: supp · w − (supp·w / |supp|) supp", async () => {
  const t = fromFlat(fixture.projections.x.input);
  const w = { a: np.array([1, 2, 3, 4, 5]), b: np.array([[-1, 0.5], [2, -3]]) };
  const f = (u: typeof t) => optim.treeUtils.treeVdot(w, optim.projections.projectionSimplex(u));
  const gr = grad(f)(t);
  const supp = (await leafValuesFlat(optim.projections.projectionSimplex(t))).map((v) => (v > 0 ? 1 : 0));
  const wv = await leafValuesFlat(w);
  const card = supp.reduce((a: number, b) => a + b, 0);
  const sw = supp.reduce((a: number, s, i) => a + s * wv[i], 0);
  const expected = supp.map((s, i) => s * wv[i] - (sw / card) * s);
  (await leafValuesFlat(gr)).forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-5, `[${i}] ${x} vs ${expected[i]}`));
});

test('projections: non-negative, box, hypercube, l-inf / l2 ball and sphere, vector, hyperplane, halfspace', async () => {
  const P = optim.projections;
  const x = { a: np.array([3, -4]), b: np.array([0.5]) };
  assert.equal(await leafValuesFlat(P.projectionNonNegative(x)), [3, 0, 0.5]);
  assert.equal(await leafValuesFlat(P.projectionBox(x, -1, 1)), [1, -1, 0.5]);
  assert.equal(await leafValuesFlat(P.projectionBox(x, { a: np.array([0, -5]), b: 1 }, { a: 2, b: 2 })), [2, -4, 1]);
  assert.equal(await leafValuesFlat(P.projectionHypercube(x, 2)), [2, 0, 0.5]);
  assert.equal(await leafValuesFlat(P.projectionLinfBall(x, 0.75)), [0.75, -0.75, 0.5]);
  // ‖x‖ = sqrt(25.25): the l2 ball of radius 10 leaves x; radius 1 scales it down.
  assert.equal(await leafValuesFlat(P.projectionL2Ball(x, 10)), [3, -4, 0.5]);
  const n = Math.sqrt(25.25);
  (await leafValuesFlat(P.projectionL2Ball(x))).forEach((v, i) => assert.ok(Math.abs(v - [3, -4, 0.5][i] / n) < 1e-6));
  (await leafValuesFlat(P.projectionL2Sphere(x, 2))).forEach((v, i) => assert.ok(Math.abs(v - (2 * [3, -4, 0.5][i]) / n) < 1e-6));
  const a = { a: np.array([1, 1]), b: np.array([0]) };
  assert.equal(await leafValuesFlat(P.projectionVector(x, a)), [-0.5, -0.5, 0]);
  // <a, x> = -1; onto <a, y> = 1: x + (2 / 2) a.
  assert.equal(await leafValuesFlat(P.projectionHyperplane(x, a, 1)), [4, -3, 0.5]);
  assert.equal(await leafValuesFlat(P.projectionHalfspace(x, a, 1)), [3, -4, 0.5]); // already inside
  assert.equal(await leafValuesFlat(P.projectionHalfspace(x, a, -3)), [2, -5, 0.5]);
  assert.throws(() => P.projectionSimplex({}), /projection: the tree has no leaves/);
});

test('adamaxw: optax defaults (weightDecay 1e-4, decoupled) and state layout', () => {
  const s = optim.adamaxw({ learningRate: 0.1 }).init({ w: np.zeros([2]) }) as unknown[];
  assert.is(s.length, 3);
  assert.equal(Object.keys(s[0] as object).sort(), ['count', 'mu', 'nu']);
});

test('scaleByRms: optax options keep a count only with biasCorrection; centered rejects them', () => {
  const p = { w: np.zeros([2]) };
  assert.equal(Object.keys(optim.scaleByRms({ biasCorrection: true }).init(p)).sort(), ['count', 'nu']);
  assert.equal(Object.keys(optim.scaleByRms({ initialScale: 1 }).init(p)), ['nu']);
  assert.equal(optim.scaleByRms({ initialScale: 0.5 }).init(p).nu && (optim.scaleByRms({ initialScale: 0.5 }).init(p).nu as { w: tf.Tensor }).w.dataSync()[0], 0.5);
  assert.throws(() => optim.scaleByRms({ centered: true, biasCorrection: true }), /scaleByRms: centered takes none of/);
});

test('addDecayedWeights / adamw take a weight-decay schedule (optax ScalarOrSchedule): {count} state, step t uses wd(t)', async () => {
  const wd = optim.linear({ init: 1, end: 0, steps: 4 });
  const t = optim.addDecayedWeights(wd);
  const p = { w: np.array([2, -4]) };
  const g = { w: np.zeros([2]) };
  const step = jit((u: typeof g, s: optim.CountState, q: typeof p) => t.update(u, s, q));
  let s = t.init(p) as optim.CountState;
  for (const expected of [1, 0.75, 0.5]) {
    const [u, ns] = step(g, s, p);
    assert.equal(await leafValuesFlat(u), [2 * expected, -4 * expected]);
    s = ns as optim.CountState;
  }
  assert.is(s.count.dataSync()[0], 3);
  step.clearCache();
  // A scalar array (what injectHyperparams passes) and adamw with a schedule.
  assert.equal(await leafValuesFlat(optim.addDecayedWeights(np.array(0.5)).update(g, {}, p)[0]), [1, -2]);
  const opt = optim.adamw({ learningRate: 0.1, weightDecay: wd });
  const [u] = opt.update(g, opt.init(p), p); // adam of a zero gradient is 0: only -lr · wd(0) · p
  (await leafValuesFlat(u)).forEach((x, i) => assert.ok(Math.abs(x - [-0.2, 0.4][i]) < 1e-7, `${x}`));
});

test("scaleByLearningRate: flipSign false keeps the sign (optax's flip_sign=False), for numbers and schedules", async () => {
  const g = { w: np.array([1, -2]) };
  assert.equal(await leafValuesFlat(optim.scaleByLearningRate(0.5, { flipSign: false }).update(g, {})[0]), [0.5, -1]);
  const sched = optim.scaleByLearningRate(optim.constant(0.5), { flipSign: false });
  assert.equal(await leafValuesFlat(sched.update(g, sched.init(g))[0]), [0.5, -1]);
  assert.equal(await leafValuesFlat(optim.scaleByLearningRate(0.5).update(g, {})[0]), [-0.5, 1]);
});

test("scaleByRss epsInSqrt: optax's g / sqrt(s + eps), 0 where the sum is 0", async () => {
  const t = optim.scaleByRss({ initialAccumulatorValue: 0.1, eps: 1e-7, epsInSqrt: true });
  const p = { w: np.zeros([3]) };
  const [u, s] = t.update({ w: np.array([2, 0, -1]) }, t.init(p));
  const expected = [2 / Math.sqrt(4.1 + 1e-7), 0, -1 / Math.sqrt(1.1 + 1e-7)];
  (await leafValuesFlat(u)).forEach((x, i) => assert.ok(Math.abs(x - expected[i]) < 1e-6, `${x} vs ${expected[i]}`));
  const z = optim.scaleByRss({ epsInSqrt: true });
  assert.equal(await leafValuesFlat(z.update({ w: np.zeros([2]) }, z.init({ w: np.zeros([2]) }))[0]), [0, 0]); // not NaN
  assert.equal(await leafValuesFlat(s.sumOfSquares), [4.1, 0.1, 1.1].map(Math.fround));
});

test.run();
