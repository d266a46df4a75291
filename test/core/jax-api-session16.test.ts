/**
 * Session 16's port of behaviours from JAX's tests/api_test.py (and lax_control_flow_test.py) that
 * the other core suites did not check: the regressions of this session's fixes (linearize's tangent
 * dtype check, vmap's pass-through of unmapped objects, customVjp's fwd pair check, grad inside jit
 * of a JS integer, vmap of a jitted body with collectives and out_axes=None), and behaviours that
 * already matched JAX. Expected values are derived by hand in the comments.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, canReadBack, customJvp, customVjp, grad, hessian, jacfwd, jacrev, jit, jvp, lax, linearize, psum, valueAndGrad, vjp, vmap } from '../../lib/index.js';
import { np } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;
const dtypeOf = (x: unknown) => T(x).dtype;

// ---------------------------------------------------------------- regressions of this session's fixes

const Fix = suite(`jax api session 16: fixes [${backend}]`);

Fix('linearize: a tangent of another dtype than its primal is an error (test_issue_871: "inconsistent with the original primal values")', async () => {
  const [, fLin] = linearize((x: A) => np.sum(x), np.array([1, 2, 3]));
  // It ran the tangent program in int32 and returned 6 (i32) before.
  assert.is(errorOf(() => fLin(np.array([1, 2, 3], 'int32'))), 'linearize: tangent 0 has dtype int32, its primal float32; they must match');
  assert.is(errorOf(() => fLin(np.ones([3, 2]))), 'linearize: tangent 0 has shape [3,2], its primal [3]');
  const [, gLin] = linearize(jit((x: A) => np.sum(x)), np.array([1, 2, 3]));
  assert.is(errorOf(() => gLin(np.array([1, 2, 3], 'int32'))), 'linearize: tangent 0 has dtype int32, its primal float32; they must match');
  await allCloseAsync(T(fLin(np.array([1, 2, 3]))), 6);
  fLin.dispose();
  gLin.dispose();
});

Fix('vmap passes an unmapped function argument through (test_vmap_unbatched_object_passthrough_issue_183)', async () => {
  const vfun = vmap((f: (x: A) => A, x: A) => f(x), { inAxes: [null, 0] });
  // It failed with "vmap at [0]: expected an array, a number or a boolean, got function" before.
  const out = vfun((x: A) => np.add(x, 1), np.arange(3));
  await allCloseAsync(T(out), [1, 2, 3]);
  // Strings and functions inside a pytree too; one that is mapped is an error naming it.
  const g = vmap((cfg: { act: (x: A) => A; name: string }, x: A) => (cfg.name === 'neg' ? cfg.act(x) : x), { inAxes: [null, 0] });
  await allCloseAsync(T(g({ act: np.negative, name: 'neg' }, np.array([1, 2]))), [-1, -2]);
  assert.is(errorOf(() => vmap((f: (x: A) => A, x: A) => f(x))((x: A) => x, np.arange(3))), 'vmap: the argument at argument 0 is a function, which cannot be mapped; give it inAxes null');
});

Fix('customVjp: fwd returning something other than a pair [out, residuals] is a one-line error (JAX: "must produce a pair")', () => {
  const f = customVjp((x: A) => np.sin(x), { fwd: (x: A) => np.sin(x) as never, bwd: (_r: unknown, g: A) => [g] });
  // It failed with "fwd is not a function or its return value is not iterable" before.
  assert.is(errorOf(() => grad(f)(np.array(1))), 'customVjp: fwd must return a pair [out, residuals], got an array f32[]');
  const g = customVjp((x: A) => np.sin(x), { fwd: (x: A) => [np.sin(x), x, x] as never, bwd: (_r: unknown, c: A) => [c] });
  assert.is(errorOf(() => vjp(g, np.array(1))), 'customVjp: fwd must return a pair [out, residuals], got a list of length 3');
});

Fix('grad, jacfwd, jacrev, hessian, vjp and jvp inside jit differentiate a JS-integer argument, as outside jit (test_jit_of_grad, test_grad_wrap)', async () => {
  // JS has no 1.0: jit takes a JS integer as a weak int (int32), and grad refused it inside jit before.
  let traces = 0;
  const f = jit((x: A) => {
    traces++;
    return np.mul(x, x);
  });
  const g = jit(grad(f));
  const [a, b] = [g(1), g(2)];
  assert.is(dtypeOf(a), 'float32');
  await allCloseAsync(T(a), 2);
  await allCloseAsync(T(b), 4);
  assert.is(traces, 1);
  // test_grad_wrap: jit(transform(f), static_argnames=['flag'])(1.0, flag).
  for (const transform of [grad, jacfwd, jacrev]) {
    const my = jit(transform((x: A, flag: boolean) => (flag ? x : np.zerosLike(x))), { staticArgnums: 1 });
    await allCloseAsync(T(my(1, false)), 0);
    await allCloseAsync(T(my(1, true)), 1);
  }
  await allCloseAsync(T(jit(hessian((x: A) => np.pow(x, 3)))(2)), 12, { rtol: 2e-5 });
  await allCloseAsync(T(jit((x: A | number) => vjp((y: A) => np.mul(y, y), x)[1](np.array(1))[0])(3)), 6);
  await allCloseAsync(T(jit((x: A | number) => jvp((y: A) => np.mul(y, y), [x], [1])[1])(3)), 6);
  await allCloseAsync(T(jit((x: A | number) => valueAndGrad((y: A) => np.mul(y, 5))(x)[1])(3)), 5);
  // An int32 array is not a weak int: still refused, and jit(f)(3) without grad still computes in int32.
  assert.match(errorOf(() => jit(grad(f))(np.array(1, 'int32'))), /^grad: argnums includes argument 0, whose dtype is int32/);
  assert.is(dtypeOf(jit((x: A | number) => np.add(x, 1))(3)), 'int32');
  // Only the differentiated argument is made float: the other keeps its weak int.
  const h = jit(grad((x: A, n: A) => np.mul(x, np.cast(n, 'float32')), { argnums: 0 }));
  await allCloseAsync(T(h(2, 7)), 7);
});

Fix('vmap of a jitted body with collectives: an output that does not vary over the axis is unbatched (test_caches_depend_on_axis_env)', async () => {
  const f = () => psum(1, 'i');
  const g = jit(f);
  // It failed with "the output is batched, but outAxes says it is not (null)" before.
  for (const n of [2, 3]) {
    const expected = vmap(f, { axisName: 'i', axisSize: n, outAxes: null })() as A;
    const ans = vmap(g, { axisName: 'i', axisSize: n, outAxes: null })() as A;
    assert.equal(T(ans).shape, []);
    await allCloseAsync(T(ans), n);
    await allCloseAsync(T(expected), n);
  }
  // A psum of a mapped value is the same for every member (unbatched); x itself stays batched.
  const h = jit((x: A) => [psum(x, 'i'), np.mul(x, 2)]);
  const [s, d] = vmap(h, { axisName: 'i', outAxes: [null, 0] })(np.array([1, 2, 3])) as [A, A];
  await allCloseAsync(T(s), 6);
  await allCloseAsync(T(d), [2, 4, 6]);
});

// ---------------------------------------------------------------- vmap

const Vmap = suite(`jax api session 16: vmap [${backend}]`);

Vmap('in_axes nested as the arguments (test_vmap_structured_in_axes) and a list with null for a dict argument (test_vmap_in_axes_list)', async () => {
  // x: [K=6, 2, 3], y: [3, K, 4], z: [4, 5, K]; dot(x, dot(y, z)) of ones is 3 * 4 = 12 everywhere.
  const foo = (t: [A, [A, A]]) => np.matmul(t[0], np.matmul(t[1][0], t[1][1]));
  const out = vmap(foo, { inAxes: [[0, [1, 2]]] })([np.ones([6, 2, 3]), [np.ones([3, 6, 4]), np.ones([4, 5, 6])]]);
  assert.equal(T(out).shape, [6, 2, 5]);
  await allCloseAsync(T(out), 12);
  const f = (d: { a: number; b: A }, x: A, y: A) => np.add(np.add(np.add(d.a, d.b), x), y);
  const o = vmap(f, { inAxes: [null, 0, 0] })({ a: 5, b: np.ones([2]) }, np.zeros([3]), np.arange(3));
  await allCloseAsync(T(o), [[6, 6], [7, 7], [8, 8]]);
});

Vmap('out_axes -1 of an unmapped output broadcasts on the last axis (test_vmap_unmapped_last)', async () => {
  const o = vmap(() => np.zeros([2]), { outAxes: -1 })(np.zeros([5]));
  assert.equal(T(o).shape, [2, 5]);
});

Vmap('error messages of test_vmap_mismatched_axis_sizes_error_message_issue_705 name the argument and the sizes', () => {
  const X = np.ones([10, 4]);
  const U = np.ones([10, 2]);
  assert.is(errorOf(() => vmap((a: A, b: A) => np.add(np.sum(a), np.sum(b)), { inAxes: [0, 1] })(X, U)), 'vmap: the argument at argument 1 has size 2 on its mapped axis 1, but the argument at argument 0 has size 10');
  assert.is(errorOf(() => vmap((x: A) => x)(np.array(1))), 'vmap: inAxes 0 for the argument at argument 0 is out of range for its shape []');
  assert.is(errorOf(() => vmap((x: A) => x, { inAxes: 1 })(np.array([1, 2]))), 'vmap: inAxes 1 for the argument at argument 0 is out of range for its shape [2]');
  assert.is(errorOf(() => vmap((x: A) => x, { inAxes: null })(np.array([1, 2]))), 'vmap: no argument is mapped (every inAxes is null); give the size with { axisSize }');
  assert.is(errorOf(() => vmap((x: A) => x, { outAxes: null, axisName: 'foo' })(np.array([1, 2]))), 'vmap: the output is batched, but outAxes says it is not (null)');
  assert.match(errorOf(() => vmap((x: A) => x, { outAxes: [2, 3] })(np.array([1, 2]))), /^vmap: outAxes at the root: /);
});

Vmap('nested vmap with collectives over both axis names (psum over ["i", "j"])', async () => {
  // x / sum(x) over the whole 2x2 grid: [1, 2, 3, 4] / 10.
  const f = vmap(vmap((x: A) => np.div(x, psum(x, ['i', 'j'])), { axisName: 'j' }), { axisName: 'i' });
  await allCloseAsync(T(f(np.array([[1, 2], [3, 4]]))), [[0.1, 0.2], [0.3, 0.4]]);
  // psum over the outer name only: column sums, the same in each row.
  const g = vmap(vmap((x: A) => psum(x, 'i'), { axisName: 'j' }), { axisName: 'i' });
  await allCloseAsync(T(g(np.array([[1, 2], [3, 4]]))), [[4, 6], [4, 6]]);
});

// ---------------------------------------------------------------- grad and friends

const Grad = suite(`jax api session 16: grad, vjp, jvp [${backend}]`);

Grad('grad of a tuple or an empty tuple output is an error (test_grad_tuple_output / test_grad_unit_output)', () => {
  assert.match(errorOf(() => grad((x: A) => [x, x])(1)), /^grad requires a scalar float32 output, got a list of 2 array\(s\)/);
  assert.match(errorOf(() => grad(() => [])(np.zeros([3]))), /^grad requires a scalar float32 output, got a list of 0 array\(s\)/);
  assert.match(errorOf(() => grad((x: A) => x)(np.zeros([3]))), /^grad requires a scalar float32 output, got f32\[3\]/);
});

Grad('allowInt: an int index gets int32 zeros (float0 stand-in), eagerly and under jit (test_grad_of_int_index, test_jit_grad_of_int, test_grad_of_bool)', async () => {
  const gf = grad((x: A, i: A) => np.index(x, i), { argnums: [0, 1], allowInt: true });
  for (const g of [gf, jit(gf)]) {
    const [gx, gi] = g(np.ones([2]), np.array(1, 'int32')) as [A, A];
    await allCloseAsync(T(gx), [0, 1]);
    assert.is(dtypeOf(gi), 'int32');
    await allCloseAsync(T(gi), 0);
  }
  const [value, grd] = valueAndGrad((p: A) => lax.cond(p, () => np.array(1), () => np.array(2)), { allowInt: true })(np.array(true));
  await allCloseAsync(T(value), 1);
  assert.is(dtypeOf(grd), 'bool');
  // test_vjp_of_int_index: vjp gives the int argument a zero cotangent of its dtype.
  const [primal, back] = vjp((x: A, i: A) => np.index(x, i), np.mul(np.ones([2]), 2), np.array(1, 'int32'));
  await allCloseAsync(T(primal), 2);
  const [tx, ti] = back(np.array(1)) as [A, A];
  await allCloseAsync(T(tx), [0, 1]);
  assert.is(dtypeOf(ti), 'int32');
});

Grad('grad of a jitted function traces it once over several points (test_grad_of_jit); nested jit keeps Python scalars (test_nested_jit_hoisting)', async () => {
  let side = 0;
  const f = jit((x: A) => {
    side++;
    return np.mul(x, x);
  });
  await allCloseAsync(T(grad(f)(1)), 2);
  await allCloseAsync(T(grad(f)(2)), 4);
  assert.is(side, 1);
  const inner = jit((x: A | number, y: A | number) => [np.add(y, np.mul(2, x)), 3]);
  const [a, b] = jit((x: A | number) => inner(2, x))(3) as [A, A];
  await allCloseAsync(T(a), 7);
  await allCloseAsync(T(b), 3);
  // test_trivial_computations: jit(lambda x, y: (y, 1, x)) returns the 1 as an int32 scalar.
  const [y, one, x] = jit((u: A, v: A) => [v, 1, u])(np.array([1, 2]), np.array([2, 3])) as [A, A, A];
  await allCloseAsync(T(y), [2, 3]);
  await allCloseAsync(T(x), [1, 2]);
  assert.is(dtypeOf(one), 'int32');
});

Grad('jit static arguments equal in value but of another type do not share a trace (test_jit_static_argnums_requires_type_equality)', async () => {
  let traces = 0;
  const f = jit((k: number | boolean) => {
    traces++;
    return k;
  }, { staticArgnums: 0 });
  assert.is(dtypeOf(f(1)), 'int32');
  assert.is(dtypeOf(f(true)), 'bool');
  assert.is(dtypeOf(f(1)), 'int32');
  assert.is(traces, 2);
});

Grad('jit keeps NaN * 0 as NaN (test_jit_nan_times_zero)', async () => {
  const f = (x: A | number) => np.add(1, np.mul(x, 0));
  await allCloseAsync(T(jit(f)(NaN)), NaN);
  await allCloseAsync(T(jit(f)(np.array([NaN, Infinity]))), [NaN, NaN]);
});

Grad('a tracer that escaped jit or grad is a one-line error when used (test_escaped_tracers_*)', () => {
  let saved: A | undefined;
  jit((x: A) => {
    saved = x;
    return x;
  })(np.array(0));
  assert.match(errorOf(() => jit((x: A) => np.add(x, saved!))(np.array(0))), /^a jit tracer f32\[\] escaped its transformation/);
  const g = (x: A) => {
    grad((y: A) => {
      saved = y;
      return y;
    })(np.array(0));
    return np.add(x, saved!);
  };
  assert.match(errorOf(() => grad(g)(np.array(2))), /^a vjp tracer f32\[\] escaped its transformation/);
});

Grad('customJvp / customVjp with an int32 argument: its tangent is int32 zeros and a null cotangent is zeros of its dtype', async () => {
  let seen = '';
  const fj = customJvp(
    (x: A, n: A) => np.mul(x, np.cast(n, 'float32')),
    ([x, n]: [A, A], [tx, tn]: [A, A]) => {
      seen = `${T(tn).dtype}${JSON.stringify(T(tn).shape)}`;
      return [np.mul(x, np.cast(n, 'float32')), np.mul(tx, np.cast(n, 'float32'))];
    },
  );
  await allCloseAsync(T(grad(fj)(np.array(2), np.array(3, 'int32'))), 3);
  assert.is(seen, 'int32[]');
  const fv = customVjp((x: A, n: A) => np.mul(x, np.cast(n, 'float32')), {
    fwd: (x: A, n: A) => [np.mul(x, np.cast(n, 'float32')), n],
    bwd: (n: A, g: A) => [np.mul(g, np.cast(n, 'float32')), null],
  });
  const [cx, cn] = vjp(fv, np.array(2), np.array(3, 'int32'))[1](np.array(1)) as [A, A];
  await allCloseAsync(T(cx), 3);
  assert.is(dtypeOf(cn), 'int32');
  await allCloseAsync(T(cn), 0);
});

Grad('customVjp and customJvp: second derivatives and closures over an outer grad\'s tracer', async () => {
  // bwd is written with differentiable ops, so grad(grad(x^2)) = 2 (JAX: test_custom_vjp_higher_order).
  const sq = customVjp((x: A) => np.mul(x, x), { fwd: (x: A) => [np.mul(x, x), x], bwd: (x: A, g: A) => [np.mul(np.mul(g, 2), x)] });
  await allCloseAsync(T(grad(grad(sq))(np.array(3))), 2);
  const sin = customJvp((x: A) => np.sin(x), ([x]: [A], [t]: [A]) => [np.sin(x), np.mul(np.cos(x), t)]);
  // WebGPU's float32 sin (SwiftShader) is good to ~2e-5 absolute; a wrong rule would be off by O(1).
  await allCloseAsync(T(grad(grad(sin))(np.array(1))), -Math.sin(1), { atol: 1e-4 });
  // d/dy of f(2) where f(x) = x * y closes over y: 2.
  const viaJvp = grad((y: A) => customJvp((x: A) => np.mul(x, y), ([x]: [A], [t]: [A]) => [np.mul(x, y), np.mul(t, y)])(np.array(2)))(np.array(3));
  const viaVjp = grad((y: A) => customVjp((x: A) => np.mul(x, y), { fwd: (x: A) => [np.mul(x, y), null], bwd: (_r: null, g: A) => [np.mul(g, y)] })(np.array(2)))(np.array(3));
  await allCloseAsync(T(viaJvp), 2);
  await allCloseAsync(T(viaVjp), 2);
});

Grad('linearize of a pytree output; the linear function under jit and vmap', async () => {
  const [out, fLin] = linearize((x: A) => ({ a: np.sin(x), b: [np.mul(x, 2)] }), np.array(0));
  const t = fLin(np.array(1)) as { a: A; b: [A] };
  await allCloseAsync(T((out as { a: A }).a), 0);
  await allCloseAsync(T(t.a), 1);
  await allCloseAsync(T(t.b[0]), 2);
  const [, sLin] = linearize((x: A) => np.sin(x), np.array(0));
  await allCloseAsync(T(jit((u: A) => sLin(u))(np.array(2))), 2);
  await allCloseAsync(T(vmap((u: A) => sLin(u))(np.array([2, 3]))), [2, 3]);
  fLin.dispose();
  sLin.dispose();
});

Grad('hessian with an argnums tuple is a nested tuple of blocks; jacrev with hasAux', async () => {
  // f = sum(x^2 * y): d2/dx2 = diag(2y), d2/dxdy = diag(2x), d2/dy2 = 0.
  const H = hessian((x: A, y: A) => np.sum(np.mul(np.mul(x, x), y)), { argnums: [0, 1] })(np.array([1, 2]), np.array([3, 4])) as [[A, A], [A, A]];
  await allCloseAsync(T(H[0][0]), [[6, 0], [0, 8]]);
  await allCloseAsync(T(H[0][1]), [[2, 0], [0, 4]]);
  await allCloseAsync(T(H[1][0]), [[2, 0], [0, 4]]);
  await allCloseAsync(T(H[1][1]), [[0, 0], [0, 0]]);
  const [j, aux] = jacrev((x: A) => [np.sum(np.square(x)), np.mean(x)], { hasAux: true })(np.array([1, 2])) as [A, A];
  await allCloseAsync(T(j), [2, 4]);
  await allCloseAsync(T(aux), 1.5);
});

// ---------------------------------------------------------------- control flow

const Ctl = suite(`jax api session 16: control flow [${backend}]`);

Ctl('scan: xs null with length, reverse order of ys, length 0, and a JS-integer y stacked as int32', async () => {
  const [c, ys] = lax.scan((k: A) => [np.add(k, 1), np.mul(k, k)], np.array(0), null, { length: 4 }) as [A, A];
  await allCloseAsync(T(c), 4);
  await allCloseAsync(T(ys), [0, 1, 4, 9]);
  // Reverse: the carry runs 3, 3 + 2, 3 + 2 + 1 and each y lands at its x's index: [12, 10, 6].
  const cum = (k: A, x: A): [A, A] => {
    const s = np.add(k, x);
    return [s, np.mul(s, 2)];
  };
  const [, yr] = lax.scan(cum, np.array(0), np.array([1, 2, 3]), { reverse: true }) as [A, A];
  await allCloseAsync(T(yr), [12, 10, 6]);
  const [c0, y0] = lax.scan(cum, np.array(5), np.zeros([0])) as [A, A];
  await allCloseAsync(T(c0), 5);
  assert.equal(T(y0).shape, [0]);
  const [, ones] = lax.scan((k: A) => [k, 1], np.array(0), np.array([1.5, 2])) as unknown as [A, A];
  assert.is(dtypeOf(ones), 'int32');
  assert.is(errorOf(() => lax.scan((k: A) => [k, k], np.array(0), null)), 'lax.scan: give opts.length when there are no xs');
});

Ctl('foriLoop: lower above upper returns init; with traced bounds reverse mode is refused as JAX\'s while_loop', async () => {
  await allCloseAsync(T(lax.foriLoop(5, 2, (i: A, c: A) => np.add(c, i), np.array(7, 'int32'))), 7);
  const f = jit((x: A, n: A) => lax.foriLoop(0, n, (_i: A, c: A) => np.mul(c, x), np.array(1)));
  assert.match(errorOf(() => grad((x: A) => f(x, np.array(3, 'int32')))(np.array(2))), /^lax\.whileLoop: reverse-mode differentiation \(grad, vjp\) is not supported/);
  // Running the loop reads its predicate back synchronously, which webgpu cannot (docs/core.md).
  if (!canReadBack()) return;
  await allCloseAsync(T(f(np.array(2), np.array(3, 'int32'))), 8);
  // Forward mode works through it: d/dx x^3 at 2 = 12.
  await allCloseAsync(T(jvp((x: A) => f(x, np.array(3, 'int32')), [np.array(2)], [np.array(1)])[1]), 12);
});

Ctl('switch with one branch runs it whatever the index; cond with no operands', async () => {
  await allCloseAsync(T(lax.switch(np.array(3, 'int32'), [(x: A) => np.add(x, 1)], np.array(2))), 3);
  await allCloseAsync(T(lax.switch(np.array(-3, 'int32'), [(x: A) => np.add(x, 1)], np.array(2))), 3);
  await allCloseAsync(T(lax.cond(np.array(false), () => np.array(1), () => np.array(2))), 2);
});

Fix.run();
Vmap.run();
Grad.run();
Ctl.run();
