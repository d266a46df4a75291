/**
 * optax names (session 15): optax.contrib's `muon` / `scale_by_muon` / `scale_by_shape` /
 * `orthogonalize_via_newton_schulz`, the monitoring transformations (`snapshot`, `monitor`,
 * `measure_with_ema`), base helpers (`stateless`, `stateless_with_tree_map`, `init_empty_state`,
 * `with_extra_args_support`, `safe_increment`, `safe_int32_increment`, `scale_gradient`), the
 * top-level moment aliases, and tree_utils' `tree_get` / `tree_set` / `tree_get_all_with_path`,
 * `tree_batch_shape`, `tree_l1_norm` / `tree_linf_norm`, `tree_cast` / `tree_cast_like` /
 * `tree_dtype`, `tree_split_key_like` / `tree_random_like`; `radam`'s optax options `nesterov`,
 * `threshold`, `epsRoot` (nesterov was accepted and ignored before). Trajectories against
 * test/fixtures/optax_names15.json (tools/optax-names15.py: optax's equations in float64 numpy),
 * parameters after each of 8 steps within 1e-5.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type TrajectoryFixture, leafValuesFlat, scopedTests, trajectoryTests } from './common.js';

const backend = await useTestBackend();
const TOL = 1e-5;
const tu = optim.treeUtils;

type Hyper = Record<string, number | boolean | string>;
const fixture: TrajectoryFixture & {
  cases: Record<string, { hyper: Hyper }>;
  ns_batch: { x: number[][][]; y: number[][][] };
  dpsgd: { grads: { a: number[][]; b: number[] }[]; updates: { a: number[]; b: number }[] };
} = JSON.parse(readFileSync(new URL('../fixtures/optax_names15.json', import.meta.url), 'utf8'));

function build(name: string): optim.GradientTransformation {
  const h = fixture.cases[name].hyper;
  const n = (k: string) => h[k] as number | undefined;
  if (name.startsWith('simplified_ademamix')) {
    const lin = h.alpha_linear as unknown as [number, number, number] | undefined;
    const alpha = lin ? optim.linear({ init: lin[0], end: lin[1], steps: lin[2] }) : undefined;
    return optim.simplifiedAdemamix({ learningRate: n('lr') as number, b1: n('b1'), b2: n('b2'), alpha, epsRoot: n('eps_root'), weightDecay: n('wd') });
  }
  if (name.startsWith('radam'))
    return optim.radam({ learningRate: n('lr') as number, b2: n('b2'), epsRoot: n('eps_root'), threshold: n('threshold'), nesterov: h.nesterov as boolean | undefined });
  return optim.muon({
    learningRate: n('lr') as number,
    nsCoeffs: h.coeffs as optim.NsCoeffs | undefined,
    nsSteps: n('steps'),
    beta: n('beta'),
    weightDecay: n('wd'),
    nesterov: h.nesterov as boolean | undefined,
    adaptive: h.adaptive as boolean | undefined,
    preconditioning: h.pre as optim.MuonPreconditioning | undefined,
    adamWeightDecay: n('adam_wd'),
    consistentRms: n('consistent_rms'),
  });
}

const close = async (x: unknown, want: number[], tol: number, what: string) => {
  const got = await leafValuesFlat(x);
  assert.is(got.length, want.length, `${what}: size`);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= tol, `${what}[${i}]: ${v} vs ${want[i]}`));
};

const test = suite(`optim: optax names, session 15 [${backend}]`);
scopedTests(test);

test('the fixture has the muon, radam and simplified AdEMAMix cases this suite builds', () => {
  assert.equal(Object.keys(fixture.cases).length, 13);
  for (const name of Object.keys(fixture.cases)) build(name);
});

trajectoryTests(test, fixture, build, TOL);

test('scaleByMuon: optax MuonState fields {count, mu, nsCoeffs}; coefficient rows; bad input errors', () => {
  const p = { w: np.zeros([3, 2]) };
  const s = optim.scaleByMuon().init(p);
  assert.equal(Object.keys(s).sort(), ['count', 'mu', 'nsCoeffs']);
  assert.equal(s.nsCoeffs.shape, [3]);
  assert.is(s.count.dtype, 'int32');
  assert.equal(optim.scaleByMuon({ nsCoeffs: 'dion', nsSteps: 5 }).init(p).nsCoeffs.shape, [5, 3]);
  assert.throws(() => optim.scaleByMuon({ nsCoeffs: 'dion', nsSteps: 4 }), /not enough coefficient rows to perform 4 steps, got 5/);
  assert.throws(() => optim.scaleByMuon({ nsCoeffs: [1, 2] }), /nsCoeffs must have shape \[3\] or \[n, 3\]/);
  const t = optim.scaleByMuon();
  assert.throws(() => t.update({ b: np.ones([3]) }, t.init({ b: np.ones([3]) })), /rank >= 2, got shape \[3\]/);
  assert.throws(() => optim.orthogonalizeViaNewtonSchulz(np.ones([2, 2, 2])), /must be 2-D or dimensionNumbers given/);
  assert.throws(() => optim.orthogonalizeViaNewtonSchulz(np.ones([2, 2, 2]), 'standard', 5, 'frobenius', 1e-8, new optim.MuonDimensionNumbers(1, -2)), /must be disjoint/);
});

test('orthogonalizeViaNewtonSchulz: a batch with dimension numbers (reduction 1, output 2) is each matrix orthogonalised', async () => {
  const x = np.array(fixture.ns_batch.x);
  const y = optim.orthogonalizeViaNewtonSchulz(x, 'standard', 5, 'frobenius', 1e-8, new optim.MuonDimensionNumbers(1, 2));
  assert.equal(y.shape, [2, 3, 4]);
  await close(y, fixture.ns_batch.y.flat(2), 1e-5, 'batched');
  // The same numbers with the axes swapped: reduction 2, output 1 transposes each matrix.
  const yt = optim.orthogonalizeViaNewtonSchulz(np.swapaxes(x, 1, 2), 'standard', 5, 'frobenius', 1e-8, new optim.MuonDimensionNumbers(2, 1));
  await close(np.swapaxes(yt, 1, 2), fixture.ns_batch.y.flat(2), 1e-5, 'transposed');
});

// optax's docstring examples of snapshot and monitor: sgd(0.1, momentum 0.9) on f = sum(x^2) from [1, 2, 3].
function runExample(t: optim.GradientTransformation, steps: number, read: (s: unknown) => unknown[]): number[][] {
  let params = np.array([1, 2, 3]);
  let state = t.init(params);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    const g = grad((x: NdArray) => np.sum(np.square(x)))(params);
    const [u, s] = t.update(g, state, params);
    params = optim.applyUpdates(params, u);
    state = s;
    out.push(read(state).map((v) => Number((v as NdArray).dataSync()[0])));
  }
  return out;
}

test('snapshot: optax docstring (norm before a 0.05 clip: 0.748, 1.412); state {measurement: {name}}; init measures params', () => {
  const snap = optim.snapshot('norm_before_clip', (u) => tu.treeNorm(u));
  const t = optim.chain(optim.sgd({ learningRate: 0.1, momentum: 0.9 }), snap, optim.clipByGlobalNorm(0.05));
  const got = runExample(t, 2, (s) => [tu.treeGet(s, 'norm_before_clip')]);
  const n0 = 0.1 * Math.sqrt(56);
  const n1 = 0.1 * Math.sqrt(14) * (2 * (1 - 0.05 / Math.sqrt(14)) + 1.8);
  assert.ok(Math.abs(got[0][0] - n0) < 1e-5 && Math.abs(got[1][0] - n1) < 1e-5, JSON.stringify(got));
  const s0 = snap.init(np.array([3, 4]));
  assert.equal(Object.keys(s0), ['measurement']);
  assert.ok(Math.abs((s0.measurement.norm_before_clip as NdArray).dataSync()[0] - 5) < 1e-6);
});

test('monitor + measureWithEma: optax docstring (norm 0.748 then 1.272; is-clipped EMA 0 then 0.526); measurements empty after init', () => {
  const mon = optim.monitor({
    norm_before_clip: (u) => tu.treeNorm(u),
    is_clipped_ema: optim.measureWithEma((u) => np.greater(tu.treeNorm(u), 1), 0.9),
  });
  const t = optim.chain(optim.sgd({ learningRate: 0.1, momentum: 0.9 }), mon, optim.clipByGlobalNorm(1));
  const got = runExample(t, 2, (s) => [tu.treeGet(s, 'norm_before_clip'), tu.treeGet(s, 'is_clipped_ema')]);
  const want = [
    [0.1 * Math.sqrt(56), 0],
    [0.1 * Math.sqrt(161.84), 0.1 / (1 - 0.81)],
  ];
  got.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - want[i][j]) < 1e-5, `step ${i} measure ${j}: ${v} vs ${want[i][j]}`)));
  const s0 = mon.init(np.zeros([3]));
  assert.equal(s0.measurements, {});
  assert.is(s0.measureStates.length, 2);
});

test('treeGet / treeSet / treeGetAllWithPath on an optimiser state (optax.tree_utils)', () => {
  const opt = optim.chain(optim.scaleByAdam(), optim.scaleByLearningRate(optim.constant(0.1)));
  const params = { w: np.ones([2]) };
  const state = opt.init(params);
  assert.throws(() => tu.treeGet(state, 'count'), /treeGet: found 2 values for 'count' \(at 0\.count, 1\.count\)/);
  assert.equal(tu.treeGetAllWithPath(state, 'count').map(([p]) => p), [[0, 'count'], [1, 'count']]);
  const mu = tu.treeGet(state, 'mu') as { w: NdArray };
  assert.equal(mu.w.shape, [2]);
  assert.is(tu.treeGet(state, 'absent', 'dflt'), 'dflt');
  assert.is(tu.treeGet(state, 'count', undefined, (p) => p[0] === 1), state[1].count);
  const set = tu.treeSet(state, { count: np.array(7, 'int32') }, (p) => p[0] === 0);
  assert.is((set[0].count as NdArray).dataSync()[0], 7);
  assert.is(set[1].count, state[1].count, 'unfiltered fields keep their arrays');
  assert.is((state[0].count as NdArray).dataSync()[0], 0, 'the input is not modified');
  assert.throws(() => tu.treeSet(state, { nope: 1 }), /treeSet: found no values matching 'nope'/);
});

test('treeBatchShape, treeL1Norm, treeLinfNorm, treeCast / treeCastLike / treeDtype, treeReal / treeConj', async () => {
  const t = { a: np.array([1, -2]), b: np.array([[3]]) };
  const b = tu.treeBatchShape(t, [2, 1]);
  assert.equal([b.a.shape, b.b.shape], [[2, 1, 2], [2, 1, 1, 1]]);
  await close(b.a, [1, -2, 1, -2], 0, 'batched a');
  assert.is(tu.treeL1Norm(t).dataSync()[0], 6);
  assert.is(tu.treeLinfNorm(t).dataSync()[0], 3);
  const i = tu.treeCast(t, 'int32');
  assert.equal([i.a.dtype, i.b.dtype], ['int32', 'int32']);
  assert.is(tu.treeCast(t, null), t);
  assert.is(tu.treeCastLike(t, { a: np.zeros([1], 'int32'), b: np.zeros([1]) }).a.dtype, 'int32');
  assert.is(tu.treeDtype(t), 'float32');
  const mixed = { a: np.zeros([1], 'int32'), b: np.zeros([1]), c: np.zeros([1], 'bool') };
  assert.throws(() => tu.treeDtype(mixed), /treeDtype: expected dtype int32 for every leaf, leaf 1 is float32/);
  assert.is(tu.treeDtype(mixed, 'promote'), 'float32');
  assert.is(tu.treeDtype(mixed, 'highest'), 'float32');
  assert.is(tu.treeDtype(mixed, 'lowest'), 'bool');
  assert.is(tu.treeReal(t), t);
  assert.is(tu.treeConj(t), t);
});

test('treeSplitKeyLike / treeRandomLike: one split key per leaf, random.normal by default, the leaf dtype or the given one', async () => {
  const key = random.key(0);
  const t = { a: np.zeros([2, 3]), b: np.zeros([4], 'int32') };
  const keys = tu.treeSplitKeyLike(key, t);
  const [k0, k1] = random.split(key, 2);
  assert.equal(await leafValuesFlat(keys), await leafValuesFlat([k0, k1]));
  const r = tu.treeRandomLike(key, t, undefined, 'float32');
  assert.equal([r.a.shape, r.b.shape, r.b.dtype], [[2, 3], [4], 'float32']);
  assert.equal(await leafValuesFlat(r.a), await leafValuesFlat(random.normal(k0, [2, 3])));
  const u = tu.treeRandomLike(key, t, (k, shape) => random.uniform(k, [...shape]));
  assert.equal(await leafValuesFlat(u.b), await leafValuesFlat(random.uniform(k1, [4])));
});

test('stateless / statelessWithTreeMap / initEmptyState / withExtraArgsSupport (optax base)', async () => {
  const p = { w: np.array([1, 2]) };
  const g = { w: np.array([10, 20]) };
  const decay = optim.stateless((u, params) => tu.treeAddScale(u, 0.5, params as typeof u));
  assert.equal(decay.init(p), {});
  await close(decay.update(g, {}, p)[0], [10.5, 21], 1e-6, 'stateless');
  const leafwise = optim.statelessWithTreeMap((x, q) => (q === undefined ? np.neg(x) : np.mul(x, q)));
  await close(leafwise.update(g, {}, p)[0], [10, 40], 1e-6, 'with params');
  await close(leafwise.update(g, {})[0], [-10, -20], 1e-6, 'without params');
  assert.equal(optim.initEmptyState(p), {});
  const polyak = optim.withExtraArgsSupport(optim.scaleByPolyak());
  await close(polyak.update(g, polyak.init(p), p, { value: np.array(1) })[0], [10 / 500, 20 / 500], 1e-6, 'extra args reach the inner transformation');
});

test('safeIncrement / safeInt32Increment saturate (optax numerics); scaleGradient scales only the gradient', async () => {
  assert.is(optim.safeInt32Increment(np.array(2147483647, 'int32')).dataSync()[0], 2147483647);
  assert.is(optim.safeIncrement(np.array(4, 'int32')).dataSync()[0], 5);
  assert.is(optim.safeIncrement(np.array(1.5)).dataSync()[0], 2.5);
  assert.is(optim.safeIncrement(np.array(3.4028234663852886e38)).dataSync()[0], 3.4028234663852886e38);
  assert.throws(() => optim.safeInt32Increment(np.array(1)), /safeInt32Increment: count must be int32, got float32/);
  const f = (x: NdArray) => np.sum(np.square(optim.scaleGradient(x, 0.5)));
  const x = np.array([1, -3]);
  assert.is(f(x).dataSync()[0], 10);
  await close(grad(f)(x), [1, -3], 1e-6, 'half of 2x');
  await close(jit(grad(f))(x), [1, -3], 1e-6, 'under jit');
  await close(grad((y: NdArray) => np.sum(optim.scaleGradient({ y }, 0).y))(x), [0, 0], 0, 'scale 0 stops it');
});

test('scaleBySimplifiedAdemamix: optax state fields {t, m, n}', () => {
  const s = optim.scaleBySimplifiedAdemamix().init({ w: np.zeros([2]) });
  assert.equal(Object.keys(s).sort(), ['m', 'n', 't']);
  assert.is(s.t.dtype, 'int32');
});

test('dpsgd: optax.contrib equations without noise (clip 1.5, batch 3, trace 0.9) over 3 steps; state {rngKey}', async () => {
  const opt = optim.dpsgd({ learningRate: 0.1, l2NormClip: 1.5, noiseMultiplier: 0, momentum: 0.9 });
  const toTree = (g: { a: number[][]; b: number[] }) => ({ a: np.array(g.a), b: np.array(g.b) });
  let state = opt.init({ a: np.zeros([2]), b: np.zeros([]) });
  for (const [i, g] of fixture.dpsgd.grads.entries()) {
    const [u, s] = opt.update(toTree(g), state);
    state = s;
    const want = fixture.dpsgd.updates[i];
    assert.equal([u.a.shape, u.b.shape], [[2], []]);
    await close(u, [...want.a, want.b], 1e-6, `step ${i + 1}`);
  }
  assert.equal(Object.keys((state as unknown[])[0] as object), ['rngKey']);
});

test('differentiallyPrivateAggregate: noise N(0, (clip · multiplier)²) / batch from split(rngKey, leaves + 1), the first key kept', async () => {
  const t = optim.differentiallyPrivateAggregate({ l2NormClip: 1, noiseMultiplier: 2, key: 3 });
  const g = { a: np.zeros([4, 2]), b: np.zeros([4]) };
  const s0 = t.init(g);
  const [u, s1] = t.update(g, s0);
  const [next, ka, kb] = random.split(random.key(3), 3);
  await close(u.a, (await leafValuesFlat(random.normal(ka, [2]))).map((v) => (2 * v) / 4), 1e-6, 'a');
  await close(u.b, (await leafValuesFlat(random.normal(kb, []))).map((v) => (2 * v) / 4), 1e-6, 'b');
  assert.equal(await leafValuesFlat(s1.rngKey), await leafValuesFlat(next));
  assert.throws(() => t.update({ a: np.zeros([4, 2]), b: np.zeros([3]) }, s0), /same batch dimension on axis 0/);
});

test('unitwiseClip: optax semantics (kept below the bound, rescaled above, divEps floor); shapes must match', async () => {
  const gNorm = np.array([0.5, 2, 0]);
  const maxNorm = np.array([1, 1, 0]);
  const g = np.array([3, 4, 5]);
  await close(optim.unitwiseClip(gNorm, maxNorm, g), [3, 2, 0], 1e-6, 'clipped');
  assert.throws(() => optim.unitwiseClip(np.array([1]), maxNorm, g), /unitwiseClip: gNorm, maxNorm and grad must have the same shape, got \[1\], \[3\], \[3\]/);
});

test('optax top-level aliases: biasCorrection, updateMoment, updateInfinityMoment, updateMomentPerElemNorm', async () => {
  assert.is(optim.biasCorrection, tu.treeBiasCorrection);
  assert.is(optim.updateMoment, tu.treeUpdateMoment);
  assert.is(optim.updateInfinityMoment, tu.treeUpdateInfinityMoment);
  assert.is(optim.updateMomentPerElemNorm, tu.treeUpdateMomentPerElemNorm);
  await close(optim.biasCorrection({ m: np.array([0.1]) }, 0.9, 1), [1], 1e-6, 'bias correction at step 1');
});

test('optim.tree: optax.tree short names are tree_utils functions', () => {
  assert.is(optim.tree.norm, tu.treeNorm);
  assert.is(optim.tree.get, tu.treeGet);
  assert.is(optim.tree.set, tu.treeSet);
  assert.is(optim.tree.addScale, tu.treeAddScale);
  assert.is(optim.tree.randomLike, tu.treeRandomLike);
  assert.is(optim.tree.zerosLike, tu.treeZerosLike);
});

test.run();
