/**
 * Leftovers of the JAX API sweeps (test/core/jax-api-sweep.test.ts): weak types of JS-number
 * loop carries (JAX's _promote_weak_typed_inputs in lax/control_flow/loops.py), JS scalars in
 * has_aux outputs, vmap's integer axes, jit's staticArgnums beyond the arguments, and
 * all_to_all over several axis names.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, allToAll, evalShape, grad, jacrev, jit, lax, makeJaxpr, np, vjp, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
const gpu = backend === 'webgpu';
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;
const dtypeOf = (x: unknown) => T(x).dtype;

// ---------------------------------------------------------------- weak carries

const Weak = suite(`core leftovers: weakly typed loop carries [${backend}]`);

Weak('foriLoop with a JS-number init: int32 when the body keeps it integral, float32 when it adds a float (JAX)', async () => {
  // JAX: fori_loop(0, 5, lambda i, c: c + i, 0) is int32 10 (weak int carry, int32 body output).
  const ints = lax.foriLoop(0, 5, (i: A, c: A) => np.add(c, i), 0);
  assert.is(dtypeOf(ints), 'int32');
  await allCloseAsync(T(ints), 10);
  // c + 0.5 makes the weak int carry float32: promoted, and the body traced again.
  const floats = lax.foriLoop(0, 5, (_i: A, c: A) => np.add(c, 0.5), 0);
  assert.is(dtypeOf(floats), 'float32');
  await allCloseAsync(T(floats), 2.5);
  // A pytree init: each JS number is promoted on its own.
  const both = lax.foriLoop(0, 4, (i: A, c: { n: A; s: A }) => ({ n: np.add(c.n, 1), s: np.add(c.s, np.mul(i, 0.5)) }), { n: 0, s: 0 });
  assert.equal([dtypeOf(both.n), dtypeOf(both.s)], ['int32', 'float32']);
  await allCloseAsync(T(both.n), 4);
  await allCloseAsync(T(both.s), 3);
  // A non-integral init is a weak float: it stays float32.
  assert.is(dtypeOf(lax.foriLoop(0, 2, (_i: A, c: A) => np.mul(c, 2), 1.5)), 'float32');
});

Weak('a strongly typed init is not promoted: an int32 array carry made float32 is still an error (JAX)', async () => {
  assert.match(errorOf(() => lax.foriLoop(0, 3, (_i: A, c: A) => np.add(c, 0.5), np.array(0, 'int32'))), /^lax\.scan: the carry is f32\[\] in the body output but i32\[\] in init/);
});

Weak('scan with a JS-number init: the carry and the ys take the body dtype (JAX: scan(f, 0, xs))', async () => {
  const body = (c: A, x: A): [A, A] => [np.add(c, x), c];
  const [total, ys] = lax.scan(body, 0, np.array([1, 2, 3], 'int32'));
  assert.equal([dtypeOf(total), dtypeOf(ys)], ['int32', 'int32']);
  await allCloseAsync(T(total), 6);
  await allCloseAsync(T(ys), [0, 1, 3]);
  const [ftotal, fys] = lax.scan(body, 0, np.array([1, 2, 3.5]));
  assert.equal([dtypeOf(ftotal), dtypeOf(fys)], ['float32', 'float32']);
  await allCloseAsync(T(ftotal), 6.5);
  await allCloseAsync(T(fys), [0, 1, 3]);
  // Gradients go through the promoted carry.
  await allCloseAsync(T(grad((w: A) => lax.scan((c: A, x: A): [A, null] => [np.add(c, np.mul(x, w)), null], 0, np.array([1, 2, 3]))[0])(np.array(2))), 6);
});

Weak('whileLoop with a JS-number init: int32 when the body keeps it integral, float32 otherwise (JAX while_loop)', async () => {
  const count = (n: A) => lax.whileLoop((c: A) => np.less(c, n), (c: A) => np.add(c, 3), 0);
  const half = (n: A) => lax.whileLoop((c: A) => np.less(c, n), (c: A) => np.add(c, 1.5), 0);
  // evalShape of a loop over a traced bound runs nothing, so it works on every backend.
  assert.is(evalShape(count, np.array(10, 'int32')).dtype, 'int32');
  assert.is(evalShape(half, np.array(10, 'int32')).dtype, 'float32');
  if (gpu) return console.log('skip: running whileLoop reads its predicate back synchronously, which webgpu cannot (docs/core.md)');
  await allCloseAsync(T(count(np.array(10, 'int32'))), 12);
  await allCloseAsync(T(half(np.array(10, 'int32'))), 10.5);
  // foriLoop with traced bounds is a whileLoop: the same promotion.
  const f = jit((n: A) => lax.foriLoop(0, n, (i: A, c: A) => np.add(c, i), 0));
  assert.is(dtypeOf(f(np.array(5, 'int32'))), 'int32');
  await allCloseAsync(T(f(np.array(5, 'int32'))), 10);
});

Weak('JS numbers and booleans in has_aux outputs come back as arrays of their weak dtype (JAX traces aux)', async () => {
  const f = (x: A): [A, { n: number; r: number; ok: boolean }] => [np.sum(x), { n: 3, r: 2.5, ok: true }];
  const [g, aux] = grad(f, { hasAux: true })(np.array([1, 2]));
  await allCloseAsync(T(g), [1, 1]);
  assert.equal([dtypeOf(aux.n), dtypeOf(aux.r), dtypeOf(aux.ok)], ['int32', 'float32', 'bool']);
  await allCloseAsync(T(aux.n), 3);
  await allCloseAsync(T(aux.r), 2.5);
  const [, , vaux] = vjp(f, np.array([1, 2]), { hasAux: true });
  assert.is(dtypeOf(vaux.n), 'int32');
  const [, jaux] = jacrev(f, { hasAux: true })(np.array([1, 2])) as [A, { n: A }];
  assert.is(dtypeOf(jaux.n), 'int32');
});

// ---------------------------------------------------------------- arguments

const Args = suite(`core leftovers: vmap axes and jit static arguments [${backend}]`);

Args('vmap: a non-integer inAxes or outAxes is a one-line error saying it must be an integer (JAX TypeError)', async () => {
  const id = (x: A) => x;
  assert.is(errorOf(() => vmap(id, { inAxes: 0.5 })(np.array([1, 2]))), 'vmap: inAxes must be an integer or null (or a pytree prefix of them over the arguments), got 0.5');
  assert.is(errorOf(() => vmap(id, { inAxes: [null, 1.5] })(np.array([1, 2]), np.array([[1, 2]]))), 'vmap: inAxes must be an integer or null (or a pytree prefix of them over the arguments), got 1.5');
  assert.is(errorOf(() => vmap(id, { outAxes: 0.5 })(np.array([1, 2]))), 'vmap: outAxes must be an integer or null (or a pytree prefix of them over the outputs), got 0.5');
  await allCloseAsync(T(vmap(id, { inAxes: 1, outAxes: -1 })(np.array([[1, 2]]))), [[1, 2]]);
});

Args('jit and makeJaxpr: staticArgnums past the arguments given is a one-line error (JAX ValueError)', async () => {
  const f = (x: A) => x;
  assert.is(errorOf(() => jit(f, { staticArgnums: [3] })(np.array([1, 2]))), 'jit: staticArgnums [3] includes 3, but the function was called with only 1 positional argument(s)');
  assert.is(errorOf(() => jit((x: A, _k: number) => x, { staticArgnums: -3 })(np.array(1), 2)), 'jit: staticArgnums -3 includes -3, but the function was called with only 2 positional argument(s)');
  assert.is(errorOf(() => makeJaxpr(f, { staticArgnums: 1 })(np.array(1))), 'makeJaxpr: staticArgnums 1 includes 1, but the function was called with only 1 positional argument(s)');
  await allCloseAsync(T(jit((x: A, k: number) => np.mul(x, k), { staticArgnums: [1] })(np.array([1, 2]), 3)), [3, 6]);
});

// ---------------------------------------------------------------- all_to_all

const Coll = suite(`core leftovers: allToAll over several axis names [${backend}]`);

Coll('allToAll over [a, b]: members numbered row-major (b fastest, as axisIndex); member m gets chunk m of each', async () => {
  // Member (i, j), m = 3 i + j, holds X[i, j] of shape [6, 2]; afterwards row n of its result is chunk m of member n's x.
  const X = np.reshape(np.arange(2 * 3 * 6 * 2), [2, 3, 6, 2]);
  const swap = (x: A) => vmap(vmap((v: A) => allToAll(v, ['a', 'b'], 0, 0), { axisName: 'b' }), { axisName: 'a' })(x);
  // Want[i, j, n, k] = X[n / 3, n % 3, 3 i + j, k]: split the member axes, swap them with the chunk axis.
  const want = np.reshape(np.transpose(np.reshape(X, [6, 6, 2]), [1, 0, 2]), [2, 3, 6, 2]);
  await allCloseAsync(T(swap(X)), T(want));
  await allCloseAsync(T(jit(swap)(X)), T(want));
  // The swap is an involution (a transpose of the 6 x 6 member-by-chunk grid): its VJP is itself.
  const W = np.cast(X, 'float32');
  await allCloseAsync(T(grad((Z: A) => np.sum(np.mul(swap(Z), W)))(np.ones([2, 3, 6, 2]))), T(swap(W)));
  assert.is(errorOf(() => swap(np.ones([2, 3, 4]))), "allToAll: dimension 0 (splitAxis) of f32[4] must equal the size 6 of axes 'a', 'b'");
  // One name in a list is the same as the name.
  const one = vmap((v: A) => allToAll(v, ['i'], 0, 0), { axisName: 'i' })(np.reshape(np.arange(8), [2, 2, 2]));
  await allCloseAsync(T(one), T(np.transpose(np.reshape(np.arange(8), [2, 2, 2]), [1, 0, 2])));
});

Weak.run();
Args.run();
Coll.run();
