/**
 * Session 17's check of the argument handling of vmap, jit, grad, jvp, linearize and the
 * Jacobians against JAX's documented semantics and tests/api_test.py: the regressions of this
 * session's fixes (vmap's axis specs checked when vmap is called, JS booleans refused by grad,
 * jacrev's real-valued outputs and allow_int, jacfwd with no input leaves, fractional argnums,
 * jit's non-array arguments, has_aux for jvp and linearize), and pytree layouts that already
 * matched JAX. Expected values are derived by hand in the comments.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, grad, jacfwd, jacrev, jit, jvp, linearize, np, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;

/** The error `fn` throws, which must be a TypeError (JAX raises TypeError there). */
function typeErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.instance(e, TypeError);
    return (e as Error).message;
  }
  throw new assert.Assertion({ message: 'expected a TypeError', operator: 'throws', generated: false, actual: undefined, expects: undefined });
}

const Vmap = suite(`api args session 17: vmap [${backend}]`);

Vmap('inAxes and outAxes are checked when vmap is called, as jax.vmap raises (test_vmap_in_axes_non_tuple_error, _leaf_types, _bool_error)', () => {
  const id = (x: unknown) => x;
  // jax.vmap(f, in_axes={'a': 0}) raises before any call: the top level must be an int, None or a tuple over the arguments.
  assert.is(typeErrorOf(() => vmap(id, { inAxes: { a: 0 } })), 'vmap: inAxes must be an integer, null, or a list with one entry per positional argument (JAX\'s tuple), got {"a":0}');
  // in_axes=False: "must be an int" (issue 6372); a bool nested in the spec as well.
  assert.match(typeErrorOf(() => vmap(id, { inAxes: false })), /^vmap: inAxes must be an integer, null, or a list .*got false$/);
  assert.is(typeErrorOf(() => vmap(id, { inAxes: [false] })), 'vmap: inAxes must be an integer or null (or a pytree prefix of them over the arguments), got false');
  // An array as a leaf of in_axes / out_axes (test_vmap_in_axes_leaf_types, test_vmap_out_axes_leaf_types).
  assert.match(typeErrorOf(() => vmap(id, { inAxes: [np.array([1, 2])] })), /^vmap: inAxes must be an integer or null .*got an array f32\[2\]$/);
  assert.match(typeErrorOf(() => vmap(id, { outAxes: [np.array([1, 2])] })), /^vmap: outAxes must be an integer or null .*got an array f32\[2\]$/);
  assert.match(typeErrorOf(() => vmap(id, { outAxes: { a: true } })), /^vmap: outAxes must be an integer or null .*got true$/);
});

Vmap('a dict of in_axes inside the argument list, and null leaves, still map as before', async () => {
  const f = (d: { a: A; b: A }, y: A) => np.add(np.add(d.a, d.b), y);
  const out = vmap(f, { inAxes: [{ a: 0, b: null }, 1] })({ a: np.array([[1, 2], [3, 4], [5, 6]]), b: np.array([10, 20]) }, np.zeros([2, 3]));
  await allCloseAsync(T(out), [[11, 22], [13, 24], [15, 26]]);
});

Vmap('arguments without arrays: the error says so, and axisSize makes it work (test_vmap_empty_arguments)', async () => {
  // JAX: "vmap wrapped function must be passed at least one argument containing an array or axis_size must be specified".
  assert.is(errorOf(() => vmap((x: unknown) => x)({})), 'vmap: no argument is mapped (the arguments hold no arrays); give the size with { axisSize }');
  const out = vmap(() => np.ones([2]), { axisSize: 3 })();
  assert.equal(T(out).shape, [3, 2]);
});

const Grad = suite(`api args session 17: grad and Jacobians [${backend}]`);

Grad('grad refuses a JS boolean argument as a bool input (JAX: "grad requires real- or complex-valued inputs ... got bool")', () => {
  // It failed later before, with "grad requires a scalar float32 output, got i32[]", naming the output.
  const tail = "only float32 inputs can be differentiated: cast it with np.cast(x, 'float32'), or leave it out of argnums";
  assert.is(errorOf(() => grad((b: boolean) => np.sum(np.cast(np.array(b), 'float32')))(true)), `grad: argnums includes argument 0, whose dtype is bool; ${tail}`);
  assert.is(errorOf(() => jacrev((p: { on: boolean }) => np.ones([2]))({ on: false })), `jacrev: argnums includes argument 0 (at .on), whose dtype is bool; ${tail}`);
});

Grad('argnums that are not integers are a TypeError, not "out of range" (JAX: operator.index)', () => {
  const f = (x: A, y: A) => np.sum(np.mul(x, y));
  assert.is(typeErrorOf(() => grad(f, { argnums: 1.5 })(np.ones([2]), np.ones([2]))), 'grad: argnums must be an integer or a list of integers, got 1.5');
  assert.is(typeErrorOf(() => jacfwd(f, { argnums: [0, 0.5] })(np.ones([2]), np.ones([2]))), 'jacfwd: argnums must be an integer or a list of integers, got [0,0.5]');
});

Grad('jacrev of an int32 output is a TypeError (JAX: "jacrev requires real-valued outputs"), not a zero Jacobian', () => {
  // Before: [[0, 0], [0, 0]] in float32 for the int32 output, silently.
  const f = (x: A) => [np.mul(x, 2), np.cast(x, 'int32')];
  assert.is(typeErrorOf(() => jacrev(f)(np.ones([2]))), "jacrev requires real-valued (float32) outputs, but the output at [1] has dtype int32; use jacfwd or vjp, or cast it with np.cast(y, 'float32')");
});

Grad('jacrev allowInt (jax.jacrev allow_int): an int32 input gets a zero Jacobian of its dtype, the float one its Jacobian', async () => {
  const f = (x: A, k: A) => np.mul(x, np.cast(k, 'float32'));
  const x = np.array([1, 2]);
  const k = np.array([3, 4], 'int32');
  const [jx, jk] = jacrev(f, { argnums: [0, 1], allowInt: true })(x, k) as [A, A];
  await allCloseAsync(T(jx), [[3, 0], [0, 4]]); // d(x*k)/dx = diag(k)
  assert.is(T(jk).dtype, 'int32');
  await allCloseAsync(T(jk), [[0, 0], [0, 0]]);
  // With hasAux too; without allowInt it stays an error.
  const [j, aux] = jacrev((x: A, k: A) => [f(x, k), np.sum(k)], { argnums: 1, allowInt: true, hasAux: true })(x, k) as [A, A];
  assert.is(T(j).dtype, 'int32');
  await allCloseAsync(T(aux), 7);
  assert.match(errorOf(() => jacrev(f, { argnums: 1 })(x, k)), /^jacrev: argnums includes argument 1, whose dtype is int32/);
});

Grad('jacfwd of an argument without leaves gives the empty Jacobian per output, as jacrev (it crashed)', () => {
  const f = () => ({ y: np.ones([2]) });
  assert.equal(jacfwd(f)(null), { y: null });
  assert.equal(jacrev(f)(null), { y: null });
});

Grad('jacfwd and jacrev of dicts: per output leaf a tree of the input (JAX\'s nested layout), argnums tuples inside', async () => {
  const f = (p: { a: A; b: A }, s: A) => ({ y: np.mul(np.mul(p.a, 2), s), z: np.sum(p.b) });
  const p = { a: np.array([1, 2]), b: np.array([1, 1, 1]) };
  const s = np.array(3);
  for (const jac of [jacfwd, jacrev]) {
    const j = jac(f, { argnums: [0, 1] })(p, s) as { y: [{ a: A; b: A }, A]; z: [{ a: A; b: A }, A] };
    await allCloseAsync(T(j.y[0].a), [[6, 0], [0, 6]]); // 2 s I
    assert.equal(T(j.y[0].b).shape, [2, 3]);
    await allCloseAsync(T(j.y[1]), [2, 4]); // 2 a
    await allCloseAsync(T(j.z[0].b), [1, 1, 1]);
    await allCloseAsync(T(j.z[0].a), [0, 0]);
    assert.equal(T(j.z[1]).shape, []);
  }
});

const Jit = suite(`api args session 17: jit [${backend}]`);

Jit('a string or function argument not in staticArgnums: the error names its position and says to mark it static (JAX\'s hint)', () => {
  // Before: "jit: argument at [1]: ...", a path among the dynamic arguments only (here position 2).
  const f = (k: number, x: A, name: string) => np.mul(x, k + name.length);
  assert.is(typeErrorOf(() => jit(f, { staticArgnums: 0 })(2, np.ones([2]), 'ab')), 'jit: argument 2 is a string, not an array, a number or a boolean; mark it static with staticArgnums');
  assert.is(typeErrorOf(() => jit((x: A, g: (v: A) => A) => g(x))(np.ones([2]), (v: A) => v)), 'jit: argument 1 is a function, not an array, a number or a boolean; mark it static with staticArgnums');
  assert.is(typeErrorOf(() => jit(f, { staticArgnums: [0.5] })(2, np.ones([2]), 'ab')), 'jit: staticArgnums must be an integer or a list of integers, got [0.5]');
});

Jit('static arguments by value: equal ones share a trace, a new shape, dtype or value retraces (cacheSize)', async () => {
  let traces = 0;
  const f = jit((x: A, cfg: { k: number; name: string }) => {
    traces++;
    return np.mul(x, cfg.k);
  }, { staticArgnums: -1 });
  await allCloseAsync(T(f(np.ones([2]), { k: 2, name: 'a' })), [2, 2]);
  f(np.ones([2]), { k: 2, name: 'a' }); // the same contents: no trace
  f(np.ones([3]), { k: 2, name: 'a' }); // new shape
  f(np.ones([2], 'int32'), { k: 2, name: 'a' }); // new dtype
  await allCloseAsync(T(f(np.ones([2]), { k: 3, name: 'a' })), [3, 3]); // new static value
  assert.is(traces, 4);
  assert.is(f.cacheSize(), 4);
});

const Aux = suite(`api args session 17: hasAux for jvp and linearize [${backend}]`);

Aux('jvp with { hasAux: true } returns [out, tangent, aux] (jax.jvp has_aux), aux not differentiated; JS numbers in aux weak-typed', async () => {
  const f = (x: A) => [np.mul(np.mul(x, x), x), { c: np.mul(x, 2), n: 3 }];
  const [y, t, aux] = jvp(f, [np.array([1, 2])], [np.array([1, 0.5])], { hasAux: true });
  await allCloseAsync(T(y), [1, 8]);
  await allCloseAsync(T(t), [3, 6]); // 3 x^2 t
  await allCloseAsync(T(aux.c), [2, 4]);
  assert.is(T(aux.n).dtype, 'int32');
  assert.is(errorOf(() => jvp((x: A) => x, [np.ones([2])], [np.ones([2])], { hasAux: true })), 'jvp with hasAux: the function must return [out, aux]');
  // Under jit the aux comes out of the trace as well.
  await allCloseAsync(T(jit((x: A) => jvp(f, [x], [np.ones([2])], { hasAux: true })[2].c)(np.array([0, 1]))), [0, 2]);
});

Aux('linearize with a last { hasAux: true } returns [out, fLin, aux] (jax.linearize has_aux); fLin keeps nothing per call', async () => {
  const f = (x: A) => [np.mul(x, x), { s: np.sum(x) }];
  const x = np.array([1, 2]);
  const [y, fLin, aux] = linearize(f, x, { hasAux: true });
  await allCloseAsync(T(y), [1, 4]);
  await allCloseAsync(T(aux.s), 3);
  await allCloseAsync(T(fLin(np.array([1, 1]))), [2, 4]); // 2 x t
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) T(fLin(x)).dispose();
  assert.is(tf.memory().numTensors, before);
  fLin.dispose();
  // { hasAux: false } is the plain form; a function not returning a pair is a one-line error.
  const [, gLin] = linearize((v: A) => np.sin(v), np.array([0]), { hasAux: false });
  await allCloseAsync(T(gLin(np.array([2]))), [2]);
  gLin.dispose();
  assert.is(errorOf(() => linearize((v: A) => v, x, { hasAux: true })), 'linearize with hasAux: the function must return [out, aux]');
  // Under vmap (the primals are tracers there).
  const out = vmap((v: A) => linearize(f, v, { hasAux: true })[1](np.array(1)))(x);
  await allCloseAsync(T(out), [2, 4]);
});

Vmap.run();
Grad.run();
Jit.run();
Aux.run();
