/** The building blocks: chain, scaling, weight decay and masks, clipping, momentum, Adam, LARC, EMA. */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const test = suite(`optim: transformations [${backend}]`);

const vals = async (x: NdArray) => Array.from(await (x as tf.Tensor).data(), Number);
/** A tree of tensors as a tree of plain number lists. */
async function read(t: unknown): Promise<unknown> {
  const [ls, def] = tree.flatten<tf.Tensor>(t);
  return tree.unflatten(def, await Promise.all(ls.map(vals)));
}

test.before.each(() => {
  tf.engine().startScope();
});
test.after.each(() => {
  tf.engine().endScope();
});

test('chain: the state is the tuple of sub-states, applied in order', async () => {
  const opt = optim.chain(optim.scale(2), optim.identity(), optim.scaleByLearningRate(optim.constant(0.5)));
  const p = { a: np.array([1, 2]) };
  const s = opt.init(p);
  assert.ok(Array.isArray(s));
  assert.is(s.length, 3);
  assert.equal(s[0], {});
  assert.equal(Object.keys(s[2]), ['count']);
  const [u, s2] = opt.update({ a: np.array([1, -3]) }, s, p);
  assert.equal(await vals(u.a), [-1, 3]);
  assert.equal(await vals((s2[2] as optim.CountState).count), [1]);
  assert.is(((s2[2] as optim.CountState).count as tf.Tensor).dtype, 'int32');
  assert.throws(() => opt.update({ a: np.array([1, 2]) }, [{}] as never, p), /chain: the state must be an array of 3 sub-state/);
});

test('scaleByLearningRate: optax sign; a schedule reads the step count from the state', async () => {
  const g = { x: np.array([2]) };
  const [u] = optim.scaleByLearningRate(0.1).update(g, {});
  allClose(await vals(u.x), [-0.2]);
  const opt = optim.scaleByLearningRate(optim.linear({ init: 1, end: 0, steps: 4 }));
  let s = opt.init(g);
  const seen: number[] = [];
  for (let i = 0; i < 5; i++) {
    const [ui, si] = opt.update(g, s);
    seen.push((await vals(ui.x))[0]);
    s = si;
  }
  allClose(seen, [-2, -1.5, -1, -0.5, 0]);
  const [us] = optim.scaleBySchedule(optim.constant(3)).update(g, optim.scaleBySchedule(3).init(g));
  allClose(await vals(us.x), [6]);
});

test('applyUpdates adds leaf by leaf and checks structures', async () => {
  const p = { w: np.array([1, 2]), b: [np.array([3])] };
  const out = optim.applyUpdates(p, { w: np.array([0.5, -1]), b: [np.array([1])] });
  assert.equal(await read(out), { w: [1.5, 1], b: [[4]] });
  assert.throws(() => optim.applyUpdates(p, { w: np.array([1, 1]) } as never), /different structures/);
});

const params = () => ({
  conv: { w: np.array([[1, 2], [3, 4]]), bias: np.array([[1, 1]]) },
  bn: { scale: np.array([[2, 2]]), offset: np.array([3, 3]) },
  fc: { w: np.array([[1, -1]]), b: np.array([5]) },
});
const ones = (p: unknown) => tree.map((x: NdArray) => np.onesLike(x), p);

test('addDecayedWeights: everywhere, with a boolean tree, a prefix and a function mask', async () => {
  const p = params();
  const g = ones(p) as ReturnType<typeof params>;
  const [all] = optim.addDecayedWeights(0.5).update(g, {}, p);
  assert.equal(await read(all), {
    conv: { w: [1.5, 2, 2.5, 3], bias: [1.5, 1.5] },
    bn: { scale: [2, 2], offset: [2.5, 2.5] },
    fc: { w: [1.5, 0.5], b: [3.5] },
  });
  const full = { conv: { w: true, bias: false }, bn: { scale: false, offset: false }, fc: { w: true, b: false } };
  const [masked] = optim.addDecayedWeights(0.5, full).update(g, {}, p);
  assert.equal(await read(masked), {
    conv: { w: [1.5, 2, 2.5, 3], bias: [1, 1] },
    bn: { scale: [1, 1], offset: [1, 1] },
    fc: { w: [1.5, 0.5], b: [1] },
  });
  const [prefix] = optim.addDecayedWeights(0.5, { conv: true, bn: false, fc: false }).update(g, {}, p);
  assert.equal(await read(prefix), {
    conv: { w: [1.5, 2, 2.5, 3], bias: [1.5, 1.5] },
    bn: { scale: [1, 1], offset: [1, 1] },
    fc: { w: [1, 1], b: [1] },
  });
  const [fn] = optim.addDecayedWeights(0.5, (q: ReturnType<typeof params>) => tree.map((x: tf.Tensor) => x.size > 2, q)).update(g, {}, p);
  assert.equal(await read(fn), {
    conv: { w: [1.5, 2, 2.5, 3], bias: [1, 1] },
    bn: { scale: [1, 1], offset: [1, 1] },
    fc: { w: [1, 1], b: [1] },
  });
  assert.throws(() => optim.addDecayedWeights(0.1, { conv: true, bn: true }).update(g, {}, p), /mask at the root: keys \[bn, conv\]/);
  assert.throws(() => optim.addDecayedWeights(0.1).update(g, {}), /needs the current parameters/);
  const [none] = optim.addDecayedWeights(0).update(g, {});
  assert.is(none, g);
});

test('maskNoDecayOnBiasAndNorm: rank <= 1, bias names and normalisation layers get no decay', () => {
  const z = (...s: number[]) => np.zeros(s);
  const p = {
    conv1: { weight: z(3, 3, 3, 8) },
    bn1: { weight: z(8), bias: z(8) },
    layer1: [{ conv: { w: z(3, 3, 8, 8) }, norm1: { scale: z(1, 8) } }],
    projector: { '0': { weight: z(16, 32), bias: z(32) }, '1': { weight: z(32), bias: z(32) } },
    head: { w: z(4, 2), b: z(1, 2) },
    ln_f: { g: z(1, 4) },
    blocks: [{ attn: { qkv: z(4, 12) }, bn: { gamma: z(2, 2) } }],
    pos: z(1, 4, 4),
    temperature: z(),
  };
  assert.equal(optim.maskNoDecayOnBiasAndNorm(p), {
    conv1: { weight: true },
    bn1: { weight: false, bias: false },
    layer1: [{ conv: { w: true }, norm1: { scale: false } }],
    projector: { '0': { weight: true, bias: false }, '1': { weight: false, bias: false } },
    head: { w: true, b: false },
    ln_f: { g: false },
    blocks: [{ attn: { qkv: true }, bn: { gamma: false } }],
    pos: true,
    temperature: false,
  });
});

test('clipByGlobalNorm: rescales above the bound, passes below it, zeros stay zeros', async () => {
  const g = { a: np.array([3, 0]), b: [np.array([[4]])] };
  allClose(await vals(optim.globalNorm(g)), [5]);
  const [clipped] = optim.clipByGlobalNorm(1).update(g, {});
  assert.equal(await read(clipped), { a: [0.6000000238418579, 0], b: [[0.800000011920929]] });
  allClose(await vals(optim.globalNorm(clipped)), [1]);
  const [same] = optim.clipByGlobalNorm(10).update(g, {});
  assert.equal(await read(same), { a: [3, 0], b: [[4]] });
  const [zero] = optim.clipByGlobalNorm(1).update({ z: np.zeros([3]) }, {});
  assert.equal(await vals(zero.z), [0, 0, 0]);
  assert.throws(() => optim.clipByGlobalNorm(0), /maxNorm must be > 0/);
});

test('clip: every update clipped elementwise to [-maxDelta, maxDelta], NaN kept', async () => {
  const [clipped] = optim.clip(1.5).update({ a: np.array([-3, -1, 0, 1.5, 2, NaN]) }, {});
  assert.equal(await vals(clipped.a), [-1.5, -1, 0, 1.5, 1.5, NaN]);
  assert.throws(() => optim.clip(-1), /clip: maxDelta must be >= 0, got -1/);
});

test('traceMomentum: torch buffer convention, with and without Nesterov', async () => {
  const gs = [[1, -2], [0.5, 1], [-1, 0]];
  for (const nesterov of [false, true]) {
    const t = optim.traceMomentum(0.9, nesterov);
    let s = t.init({ x: np.zeros([2]) });
    let buf = [0, 0];
    for (const g of gs) {
      buf = buf.map((b, i) => 0.9 * b + g[i]);
      const expected = nesterov ? g.map((gi, i) => gi + 0.9 * buf[i]) : buf;
      const [u, s2] = t.update({ x: np.array(g) }, s);
      allClose(await vals(u.x), expected);
      allClose(await vals((s2.trace as { x: NdArray }).x), buf);
      s = s2;
    }
  }
});

test('scaleByAdam: bias-corrected moments (first step is g / |g|)', async () => {
  const t = optim.scaleByAdam({ b1: 0.9, b2: 0.99, eps: 0 });
  let s = t.init({ x: np.zeros([3]) });
  const g1 = [2, -0.5, 1e-3];
  const [u1, s1] = t.update({ x: np.array(g1) }, s);
  allClose(await vals(u1.x), [1, -1, 1]);
  s = s1;
  const g2 = [1, 1, 1];
  const [u2] = t.update({ x: np.array(g2) }, s);
  const expected = g1.map((a, i) => {
    const m = (0.9 * 0.1 * a + 0.1 * g2[i]) / (1 - 0.81);
    const v = (0.99 * 0.01 * a * a + 0.01 * g2[i] ** 2) / (1 - 0.99 ** 2);
    return m / Math.sqrt(v);
  });
  allClose(await vals(u2.x), expected, { rtol: 1e-5 });
});

test('scaleByLarc: trust ratio with folded decay; zero norms pass the gradient; clip; mask', async () => {
  const norm = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + b * b, 0));
  const p = { w: [1, 2, -2], z: [0, 0], b: [0.5] };
  const g = { w: [0.3, -0.1, 0.2], z: [1, -1], b: [0] };
  const [trust, wd, eps, lr] = [0.02, 0.1, 1e-8, 0.5];
  const larc = (pw: number[], gw: number[], clip: boolean) => {
    const [pn, gn] = [norm(pw), norm(gw)];
    if (pn === 0 || gn === 0) return gw;
    let r = (trust * pn) / (gn + wd * pn + eps);
    if (clip) r = Math.min(r / lr, 1);
    return gw.map((x, i) => r * (x + wd * pw[i]));
  };
  const T = (t: Record<string, number[]>) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, np.array(v)]));
  for (const clip of [false, true]) {
    const t = optim.scaleByLarc({ trustCoefficient: trust, weightDecay: wd, eps, clip, learningRate: lr });
    const [u, s] = t.update(T(g), t.init(T(p)), T(p));
    for (const k of ['w', 'z', 'b'] as const) allClose(await vals(u[k]), larc(p[k], g[k], clip), { rtol: 1e-5, atol: 1e-7 }, `${k} clip=${clip}`);
    assert.equal(Object.keys(s), clip ? ['count'] : []);
  }
  const t = optim.scaleByLarc({ trustCoefficient: trust, weightDecay: wd, mask: { w: false, z: true, b: true } });
  const [u] = t.update(T(g), t.init(T(p)), T(p));
  allClose(await vals(u.w), g.w, {}, 'masked-out leaf passes the gradient');
  assert.throws(() => optim.scaleByLarc({ clip: true }), /clip needs the learningRate/);
});

test('ema: debiased average of a constant is the constant; startFromParams; emaUpdate', async () => {
  const t = optim.ema(0.9);
  let s = t.init({ x: np.zeros([2]) });
  for (let i = 0; i < 3; i++) {
    const [u, s2] = t.update({ x: np.array([4, -2]) }, s);
    allClose(await vals(u.x), [4, -2], { rtol: 1e-5 });
    s = s2;
  }
  allClose(await vals((s.ema as { x: NdArray }).x), [4 * (1 - 0.9 ** 3), -2 * (1 - 0.9 ** 3)], { rtol: 1e-5 });
  const teacher = optim.ema(0.5, { startFromParams: true });
  const student = { x: np.array([2, 2]) };
  const ts = teacher.init(student);
  student.x.dispose(); // the state holds its own copy
  const [avg] = teacher.update({ x: np.array([4, 0]) }, ts);
  assert.equal(await vals(avg.x), [3, 1]);
  const target = { a: np.array([1, 1]) };
  assert.equal(await vals(optim.emaUpdate(target, { a: np.array([3, -1]) }, 0.75).a), [1.5, 0.5]);
  assert.equal(await vals(optim.emaUpdate(target, { a: np.array([3, -1]) }, np.array(0.75)).a), [1.5, 0.5]);
  assert.throws(() => optim.ema(1.5), /decay must be in \[0, 1\]/);
  assert.throws(() => optim.ema(0.9, { startFromParams: true, debias: true }), /cannot both be set/);
});

test('masks reach the named optimisers: adamw and sgd leave excluded leaves undecayed', async () => {
  const p = { w: np.array([[1, 2]]), b: np.array([3]) };
  const g = { w: np.array([[0, 0]]), b: np.array([0]) };
  const opt = optim.adamw({ learningRate: 0.1, weightDecay: 0.5, mask: optim.maskNoDecayOnBiasAndNorm });
  const [u] = opt.update(g, opt.init(p), p);
  assert.equal(await read(u), { w: [-0.05000000074505806, -0.10000000149011612], b: [0] });
  const sgd = optim.sgd({ learningRate: 1, weightDecay: 0.5, weightDecayMask: { w: false, b: true } });
  const [us] = sgd.update(g, sgd.init(p), p);
  assert.equal(await read(us), { w: [0, 0], b: [-1.5] });
  assert.throws(() => optim.sgd({ learningRate: 1, nesterov: true }), /nesterov needs momentum/);
});

test('eager updates inside scope free their intermediates', () => {
  const opt = optim.adamw({ learningRate: 1e-2 });
  const p = { w: np.ones([4, 4]) };
  let s = scope(() => opt.init(p));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 5; i++) {
    const next = scope(() => opt.update({ w: np.onesLike(p.w) as tf.Tensor }, s, p)[1]);
    tree.leaves(s).forEach((l) => (l as tf.Tensor).dispose());
    s = next;
  }
  assert.is(tf.memory().numTensors, before);
});

test.run();
