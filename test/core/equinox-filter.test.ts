/**
 * Equinox's filtered transformations (eqx.filter_jit, filter_grad, filter_value_and_grad,
 * filter_vmap, filter_eval_shape, filter_vjp) over a registered Module holding float arrays,
 * an int array, a JS int, a string and a function: arrays are traced / differentiated /
 * mapped, every other leaf is static (Equinox's semantics, from equinox/_jit.py, _ad.py,
 * _vmap_pmap.py, _eval_shape.py).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import {
  type NdArray,
  ShapeDtypeStruct,
  filterEvalShape,
  filterGrad,
  filterJit,
  filterValueAndGrad,
  filterVjp,
  filterVmap,
  grad,
  ifArray,
  np,
  tree,
} from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();

type A = NdArray;

/** An Equinox-like Module: array fields, a JS int, a string and a function (all fields children, as eqx.Module). */
class Mlp {
  constructor(
    public w: A,
    public b: A,
    public scale: number,
    public name: string,
    public act: (x: A) => A,
    public idx: A,
  ) {}
}
tree.registerDataclass(Mlp);

const tanh = (x: A) => np.tanh(x);
const relu = (x: A) => np.maximum(x, 0);
const makeMlp = (w: number[][] = [[0.1, -0.2], [0.3, 0.4]], b: number[] = [0.05, -0.1]) =>
  new Mlp(np.array(w), np.array(b), 2, 'mlp', tanh, np.array([1, 0], 'int32'));

/** The module applied to x: scale * act(x @ w + b), with the int array used as an index. */
const apply = (m: Mlp, x: A): A => np.mul(m.act(np.add(np.matmul(x, m.w), np.take(m.b, m.idx))), m.scale);
const x0 = () => np.array([0.5, -1]);

// ---------------------------------------------------------------- filterJit

const Jit = suite(`filterJit [${backend}]`);

Jit('arrays are traced, other leaves static: new array values replay, a changed static retraces', async () => {
  let traces = 0;
  const f = filterJit((m: Mlp, x: A) => {
    traces++;
    return { y: apply(m, x), name: m.name, scale: m.scale, act: m.act };
  });
  const m = makeMlp();
  const out = f(m, x0());
  await allCloseAsync(out.y, await apply(m, x0()).data());
  // Non-array outputs come back as they are (Equinox returns them from the trace, not as arrays).
  assert.is(out.name, 'mlp');
  assert.is(out.scale, 2);
  assert.is(out.act, tanh);
  assert.is(traces, 1);
  // New array values (same shapes and dtypes): no retrace.
  const m2 = makeMlp([[1, 2], [3, 4]], [0.5, 0.5]);
  await allCloseAsync(f(m2, np.array([2, 3])).y, await apply(m2, np.array([2, 3])).data());
  assert.is(traces, 1, 'array values do not retrace');
  // Each static leaf is part of the key.
  const m3 = tree.treeAt((p: Mlp) => p.scale, m, { replace: 3 });
  await allCloseAsync(f(m3, x0()).y, await apply(m3, x0()).data());
  assert.is(traces, 2, 'a new int field retraces');
  f(tree.treeAt((p: Mlp) => p.name, m, { replace: 'other' }), x0());
  assert.is(traces, 3, 'a new string field retraces');
  const m4 = tree.treeAt((p: Mlp) => p.act, m, { replace: relu });
  await allCloseAsync(f(m4, x0()).y, await apply(m4, x0()).data());
  assert.is(traces, 4, 'another function retraces');
  f(m4, x0());
  f(m3, np.array([7, 8]));
  assert.is(traces, 4, 'a static part seen before replays');
  f(m, np.array([[0.5, -1], [1, 1]]));
  assert.is(traces, 5, 'a new shape retraces');
  assert.is(f.cacheSize(), 5);
  f.clearCache();
  assert.is(f.cacheSize(), 0);
});

Jit('a JS number argument is static (its value is baked in), unlike under jit', async () => {
  let traces = 0;
  const f = filterJit((x: A, k: number, label: string): [A, string, number] => {
    traces++;
    return [np.mul(x, k), `${label}${k}`, k];
  });
  const [y2, s2, k2] = f(np.array([1, 2]), 2, 'k=');
  await allCloseAsync(y2, [2, 4]);
  assert.is(s2, 'k=2');
  assert.is(k2, 2, 'a number returned stays a number');
  const [y3] = f(np.array([1, 2]), 3, 'k=');
  await allCloseAsync(y3, [3, 6]);
  f(np.array([5, 6]), 3, 'k=');
  assert.is(traces, 2);
});

Jit('under filterGrad the cached trace is differentiated, not retraced', async () => {
  let traces = 0;
  const f = filterJit((m: Mlp, x: A) => {
    traces++;
    return np.sum(apply(m, x));
  });
  const m = makeMlp();
  f(m, x0());
  const g = filterGrad(f)(m, x0());
  assert.is(traces, 1);
  const ref = grad((p: { w: A; b: A }) => np.sum(apply(new Mlp(p.w, p.b, 2, 'mlp', tanh, m.idx), x0())))({ w: m.w, b: m.b });
  await allCloseAsync(g.w, await ref.w.data(), { rtol: 1e-5, atol: 1e-6 });
  await allCloseAsync(g.b, await ref.b.data(), { rtol: 1e-5, atol: 1e-6 });
});

Jit('repeated calls leave no tensors behind', () => {
  const f = filterJit((m: Mlp, x: A) => ({ y: apply(m, x), name: m.name }));
  const m = makeMlp();
  const x = x0();
  f(m, x).y.dispose();
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) f(m, x).y.dispose();
  assert.is(tf.memory().numTensors, before);
});

// ---------------------------------------------------------------- filterGrad / filterValueAndGrad

const Grad = suite(`filterGrad and filterValueAndGrad [${backend}]`);

/** grad over the float arrays of m only, as a reference. */
const refGrad = (m: Mlp, x: A) => grad((p: { w: A; b: A }) => np.sum(apply(new Mlp(p.w, p.b, m.scale, m.name, m.act, m.idx), x)))({ w: m.w, b: m.b });

Grad('the gradient is a Module with the float arrays differentiated and null everywhere else', async () => {
  const m = makeMlp();
  const g = filterGrad((p: Mlp, x: A) => np.sum(apply(p, x)))(m, x0());
  const ref = refGrad(m, x0());
  assert.ok(g instanceof Mlp);
  await allCloseAsync(g.w, await ref.w.data());
  await allCloseAsync(g.b, await ref.b.data());
  // Equinox gives None for leaves that are not inexact arrays: the int array, the int, the string, the function.
  assert.is(g.idx, null);
  assert.is(g.scale, null);
  assert.is(g.name, null);
  assert.is(g.act, null);
});

Grad('only the first argument is differentiated; a JS float in it gets null (not an array)', async () => {
  const f = (p: { w: A; t: number }, x: A, y: A) => np.sum(np.mul(np.mul(np.mul(p.w, p.t), x), y));
  const g = filterGrad(f)({ w: np.array([1, 2]), t: 0.5 }, np.array([3, 4]), np.array([2, 2]));
  await allCloseAsync(g.w, [3, 4]);
  assert.is(g.t, null);
});

Grad('filterValueAndGrad gives the value; hasAux returns any aux (strings, arrays) alongside', async () => {
  const m = makeMlp();
  const f = (p: Mlp, x: A) => {
    const y = apply(p, x);
    return [np.sum(y), { y, name: p.name, act: p.act }];
  };
  const [[value, aux], g] = filterValueAndGrad(f, { hasAux: true })(m, x0());
  const y = apply(m, x0());
  await allCloseAsync(value, await np.sum(y).data());
  await allCloseAsync(aux.y, await y.data());
  assert.is(aux.name, 'mlp');
  assert.is(aux.act, tanh);
  await allCloseAsync(g.w, await refGrad(m, x0()).w.data());
  assert.is(g.name, null);

  const [g2, aux2] = filterGrad(f, { hasAux: true })(m, x0());
  await allCloseAsync(g2.b, await refGrad(m, x0()).b.data());
  assert.is(aux2.name, 'mlp');

  const [v3, g3] = filterValueAndGrad((p: Mlp, x: A) => np.sum(apply(p, x)))(m, x0());
  await allCloseAsync(v3, await np.sum(y).data());
  assert.is(g3.scale, null);
});

Grad('no argument is an error naming the differentiated argument', () => {
  assert.match(errorOf(() => filterGrad(() => np.array(1))()), 'at least one argument');
});

// ---------------------------------------------------------------- filterVmap

const Vmap = suite(`filterVmap [${backend}]`);

/** Three Modules stacked: their arrays get a leading axis of 3, the other fields shared. */
const ensemble = () =>
  new Mlp(
    np.array([[[0.1, -0.2], [0.3, 0.4]], [[1, 0], [0, 1]], [[-0.5, 0.5], [0.2, 0.2]]]),
    np.array([[0.05, -0.1], [0, 0], [1, -1]]),
    2,
    'mlp',
    tanh,
    np.array([[1, 0], [0, 1], [1, 1]], 'int32'),
  );

/** Member i of the ensemble, sliced eagerly. */
const member = (e: Mlp, i: number) => tree.map((l: unknown) => (l instanceof tf.Tensor ? np.take(l as A, np.array(i, 'int32'), 0) : l), e) as Mlp;

Vmap('array fields are mapped on axis 0 (ints included), the rest broadcast; inAxes null broadcasts an array', async () => {
  const e = ensemble();
  const x = x0();
  const out = filterVmap((m: Mlp, v: A) => ({ y: apply(m, v), name: m.name, scale: m.scale }), { inAxes: [ifArray(0), null] })(e, x);
  assert.equal(out.y.shape, [3, 2]);
  const rows = await Promise.all([0, 1, 2].map(async (i) => Array.from(await apply(member(e, i), x).data())));
  await allCloseAsync(out.y, rows);
  assert.is(out.name, 'mlp');
  assert.is(out.scale, 2, 'a non-array output is returned as it is');
});

Vmap('by default every array argument is mapped: one input per member', async () => {
  const e = ensemble();
  const xs = np.array([[0.5, -1], [1, 2], [0, 0.25]]);
  const y = filterVmap((m: Mlp, v: A) => apply(m, v))(e, xs);
  const rows = await Promise.all([0, 1, 2].map(async (i) => Array.from(await apply(member(e, i), np.take(xs, np.array(i, 'int32'), 0)).data())));
  await allCloseAsync(y, rows);
});

Vmap('a Module returned keeps its class, its arrays batched and its static fields', async () => {
  const e = ensemble();
  const doubled = filterVmap((m: Mlp) => tree.treeAt((p: Mlp) => p.w, m, { replace: np.mul(m.w, 2) }))(e);
  assert.ok(doubled instanceof Mlp);
  assert.equal(doubled.w.shape, [3, 2, 2]);
  assert.equal(doubled.idx.shape, [3, 2]);
  assert.is(doubled.act, tanh);
  assert.is(doubled.name, 'mlp');
  await allCloseAsync(doubled.w, Array.from(await np.mul(e.w, 2).data()).map((v) => v), { rtol: 1e-6, atol: 0 });
});

Vmap('outAxes places the mapped axis; null outAxes returns an unbatched array; axisSize maps nothing', async () => {
  const out = filterVmap((a: A, b: A) => [np.mul(a, 2), b], { outAxes: [1, null], inAxes: [0, null] })(np.array([[1, 2, 3], [4, 5, 6]]), np.array([7]));
  assert.equal(out[0].shape, [3, 2]);
  await allCloseAsync(out[0], [[2, 8], [4, 10], [6, 12]]);
  await allCloseAsync(out[1], [7]);
  const ones = filterVmap((s: number) => np.ones([s]), { axisSize: 4 })(2);
  assert.equal(ones.shape, [4, 2]);
  // As Equinox: with nothing mapped and no axisSize f runs once, and a mapped output is an error.
  assert.is(filterVmap((s: string) => s.length)('abc'), 3);
  assert.match(errorOf(() => filterVmap((n: number) => np.ones([n]))(2)), 'no argument is mapped');
});

// ---------------------------------------------------------------- filterEvalShape / filterVjp

const Other = suite(`filterEvalShape and filterVjp [${backend}]`);

Other('filterEvalShape: arrays become ShapeDtypeStructs, other outputs are returned as they are', () => {
  const out = filterEvalShape((m: Mlp, x: A) => ({ y: apply(m, x), name: m.name, n: m.scale }), makeMlp(), np.array([[1, 2], [3, 4], [5, 6]]));
  assert.ok(out.y instanceof ShapeDtypeStruct);
  assert.equal([...out.y.shape], [3, 2]);
  assert.is(out.y.dtype, 'float32');
  assert.is(out.name, 'mlp');
  assert.is(out.n, 2);
});

Other('filterVjp: cotangents for the float arrays of every primal, null elsewhere', async () => {
  const m = makeMlp();
  const x = x0();
  const [out, back] = filterVjp((p: Mlp, v: A) => np.sum(apply(p, v)), [m, x]);
  await allCloseAsync(out, await np.sum(apply(m, x)).data());
  const [gm, gx] = back(np.array(1));
  await allCloseAsync(gm.w, await refGrad(m, x).w.data());
  assert.is(gm.name, null);
  assert.is(gm.idx, null);
  const gxRef = grad((v: A) => np.sum(apply(m, v)))(x);
  await allCloseAsync(gx, await gxRef.data());
});

Jit.run();
Grad.run();
Vmap.run();
Other.run();
