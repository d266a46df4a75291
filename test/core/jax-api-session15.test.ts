/**
 * Session 15's sweep through JAX's control-flow tests (tests/lax_control_flow_test.py):
 * forwarding of operands through cond / switch and of read-only carries through while_loop
 * (observable under vmap with outAxes null: the output stays unbatched whatever the predicate),
 * and the one-line TypeErrors of testCallableErrors / testCondTypeErrors / testWhileTypeErrors.
 * Expected values are derived by hand in the comments.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit, lax, np, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;

// ---------------------------------------------------------------- forwarding

// whileLoop reads its predicate back synchronously, which webgpu cannot (docs/core.md).
const syncReadBack = backend !== 'webgpu';
if (!syncReadBack) console.log('skip: the two whileLoop tests on webgpu (no synchronous read-back of the predicate)');

const Fwd = suite(`jax api session 15: forwarding through cond / switch / while [${backend}]`);

Fwd('cond: an operand both branches return as it is stays unbatched under vmap (test_cond_vmap_forwarding_doesnt_promote)', async () => {
  // x < 3 is batched, so both branches run and a select picks; y is returned by both as it is, so
  // JAX forwards it around the cond and out_axes=(0, None) holds. It was batched (an error) before.
  const f = (x: A, y: A) => lax.cond(np.less(x, 3), (a: A, b: A) => [np.mul(a, 2), b], (a: A, b: A) => [np.mul(a, 3), b], x, y);
  for (const g of [vmap(f, { inAxes: [0, null], outAxes: [0, null] }), jit(vmap(f, { inAxes: [0, null], outAxes: [0, null] }))]) {
    const [x2, y2] = g(np.array([1, 2, 5], 'int32'), np.array(3.5)) as [A, A];
    assert.equal(T(x2).dtype, 'int32');
    await allCloseAsync(T(x2), [2, 4, 15]);
    assert.equal(T(y2).shape, []);
    await allCloseAsync(T(y2), 3.5);
  }
  // switch alike; an output returned by only some branches (or as another operand) is still batched.
  const s = (i: A, y: A, z: A) => lax.switch(i, [(a: A, b: A) => [a, b], (a: A, b: A) => [a, a], (a: A) => [a, np.mul(a, 2)]], y, z);
  const [a, b] = vmap(s, { inAxes: [0, null, null], outAxes: [null, 0] })(np.array([0, 1, 2], 'int32'), np.array(1.5), np.array(4)) as [A, A];
  await allCloseAsync(T(a), 1.5);
  await allCloseAsync(T(b), [4, 1.5, 3]);
  // Eagerly, a forwarded result is a fresh array: disposing it leaves the operand.
  const y = np.array([1, 2]);
  const [r] = lax.cond(true, (v: A) => [v], (v: A) => [v], y) as [A];
  T(r).dispose();
  await allCloseAsync(T(y), [1, 2]);
});

Fwd('while: a carry the body returns unchanged and the predicate does not read stays unbatched (test_while_readonly_carry_optimization)', async () => {
  if (!syncReadBack) return;
  // foo(w, x, cMax): cMax steps of x = x @ w, w passed through; vmapped over (x, cMax) with w
  // unmapped and out_axes (None, 0). With w = ones(2, 2), x = ones(2): x after c steps is 2^c.
  const foo = (w: A, x: A, cMax: A) => {
    const [, xOut, wOut] = lax.whileLoop((v: [A, A, A]) => np.less(v[0], cMax), (v: [A, A, A]) => [np.add(v[0], 1), np.matmul(v[1], v[2]), v[2]], [np.array(0, 'int32'), x, w]) as [A, A, A];
    return [wOut, xOut];
  };
  const [w2, x2] = vmap(foo, { inAxes: [null, 0, 0], outAxes: [null, 0] })(np.ones([2, 2]), np.ones([4, 2]), np.array([0, 1, 2, 3], 'int32')) as [A, A];
  assert.equal(T(w2).shape, [2, 2]);
  await allCloseAsync(T(w2), [[1, 1], [1, 1]]);
  await allCloseAsync(T(x2), [[1, 1], [2, 2], [4, 4], [8, 8]]);
  // foriLoop with a batched bound (a while loop) alike; a carry the predicate reads is batched.
  const g = (n: A, y: A) => lax.foriLoop(0, n, (_i: A, c: [A, A]): [A, A] => [np.add(c[0], 1), c[1]], [np.array(0), y]);
  const [k, y2] = vmap(g, { inAxes: [0, null], outAxes: [0, null] })(np.array([1, 3], 'int32'), np.array(2.5)) as [A, A];
  await allCloseAsync(T(k), [1, 3]);
  await allCloseAsync(T(y2), 2.5);
  const h = (lim: A, y: A) => lax.whileLoop((c: [A, A]) => np.less(np.add(c[0], c[1]), lim), (c: [A, A]): [A, A] => [np.add(c[0], 1), c[1]], [np.array(0), y]);
  assert.match(errorOf(() => vmap(h, { inAxes: [0, null], outAxes: [0, null] })(np.array([1, 3]), np.array(0.5))), /output at \[1\] is batched/);
});

// ---------------------------------------------------------------- errors

const Err = suite(`jax api session 15: control-flow TypeErrors [${backend}]`);

/** The TypeError f throws, which must be one line. */
function typeErrorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.instance(e, TypeError);
    const m = (e as Error).message;
    assert.not.match(m, /\n/);
    return m;
  }
  throw new Error('expected a TypeError');
}

Err('a function argument that is not callable is a one-line TypeError naming it (testCallableErrors)', () => {
  const notCallable = 42 as unknown as (...a: any[]) => any;
  assert.match(typeErrorOf(() => lax.foriLoop(0, 1, notCallable, 0)), /lax\.foriLoop: body must be a function, got number/);
  assert.match(typeErrorOf(() => lax.whileLoop(notCallable, notCallable, 0)), /lax\.whileLoop: condFn must be a function/);
  assert.match(typeErrorOf(() => lax.switch(0, [notCallable])), /lax\.switch: branch 0 must be a function/);
  assert.match(typeErrorOf(() => lax.cond(true, notCallable, notCallable)), /lax\.cond: trueFn must be a function/);
  // It named the xs before (lax.scan(42, 0, 1) "xs is a scalar").
  assert.match(typeErrorOf(() => lax.scan(notCallable, 0, np.array([1]))), /lax\.scan: f must be a function/);
});

Err('a cond predicate that is null, a function, a string or a JS list is a one-line TypeError (testCondPredIsNone / testCondTypeErrors)', () => {
  const f = (p: unknown) => () => lax.cond(p as boolean, (x: A) => np.add(x, 1), (x: A) => np.add(x, 2), np.array(1));
  assert.match(typeErrorOf(f(null)), /lax\.cond: the predicate\/index must be a boolean or number scalar, got null/);
  assert.match(typeErrorOf(f(() => true)), /got function/);
  assert.match(typeErrorOf(f('foo')), /got string/);
  assert.match(typeErrorOf(f([1, 1])), /got object/);
  assert.match(typeErrorOf(() => jit((x: A) => lax.cond(null as unknown as boolean, (v: A) => v, (v: A) => v, x))(np.array(1))), /got null/);
});

Err('whileLoop: condFn may return a JS boolean (JAX takes a Python bool), so the body\'s own errors are reported (testWhileTypeErrors)', async () => {
  if (!syncReadBack) return;
  // lax.while_loop(lambda c: True, lambda c: (1., 1.), 0.) reports the carry structures.
  assert.match(errorOf(() => lax.whileLoop<unknown>(() => true, () => [1, 1], 0.5)), /body output and init have different structures/);
  assert.match(errorOf(() => lax.whileLoop<unknown>(() => true, () => [true, true], [np.array(true), np.array(0)])), /carry at \[1\] is bool\[\] in the body output but f32\[\] in init/);
  const r = lax.whileLoop(() => false, (c: A) => np.add(c, 1), np.array(3));
  await allCloseAsync(T(r), 3);
});

Fwd.run();
Err.run();
