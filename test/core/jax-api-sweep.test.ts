/**
 * A sweep through JAX's own tests of its transformation API (tests/api_test.py,
 * tests/batching_test.py, tests/lax_control_flow_test.py, tests/custom_object/custom_vjp
 * cases in api_test.py): the cases users rely on that the other core suites did not cover.
 * Expected values are derived by hand in the comments (or, for all_to_all, by JAX's own
 * reference formula from batching_test.py's testAllToAll).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, allGather, allToAll, customJvp, customVjp, grad, jit, jvp, lax, linearTranspose, linearize, makeJaxpr, np, remat, stopGradient, vjp, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
const gpu = backend === 'webgpu';
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;
const trig = gpu ? { rtol: 1e-5, atol: 2 ** -11 } : { rtol: 1e-5 };

// ---------------------------------------------------------------- custom rules

const Custom = suite(`jax api sweep: custom_vjp / custom_jvp [${backend}]`);

Custom('customVjp: bwd may return null for a cotangent, meaning zeros (JAX: None in the bwd output)', async () => {
  // f(a, b) = a * b with bwd giving only a's cotangent: d/db is then zero, not an error.
  const f = customVjp((a: A, b: A) => np.mul(a, b), { fwd: (a: A, b: A) => [np.mul(a, b), b], bwd: (b: A, g: A) => [np.mul(g, b), null] });
  const [ga, gb] = grad(f, { argnums: [0, 1] })(np.array(2), np.array(5));
  await allCloseAsync(T(ga), 5);
  await allCloseAsync(T(gb), 0);
  // A null inside an argument's tree: zeros of that leaf.
  const g = customVjp((p: { a: A; b: A }) => np.mul(p.a, p.b), { fwd: (p: { a: A; b: A }) => [np.mul(p.a, p.b), p], bwd: (p: { a: A; b: A }, ct: A) => [{ a: np.mul(ct, p.b), b: null }] });
  const gp = grad((p: { a: A; b: A }) => np.sum(g(p)))({ a: np.array([2, 2]), b: np.array([3, 4]) });
  await allCloseAsync(T(gp.a), [3, 4]);
  await allCloseAsync(T(gp.b), [0, 0]);
});

Custom('customVjp: nondiffArgnums passes a JS value (a number, a function) to f, fwd and first to bwd (JAX nondiff_argnums)', async () => {
  // JAX's clip_gradient example: the gradient is clipped to [-c, c].
  const clip = customVjp((_c: number, x: A) => x, { nondiffArgnums: [0], fwd: (_c: number, x: A) => [x, null], bwd: (c: number, _r: null, g: A) => [np.clip(g, -c, c)] });
  const loss = (x: A) => np.sum(np.mul(clip(0.5, x), np.array([1, -2, 0.1])));
  await allCloseAsync(T(grad(loss)(np.array([1, 1, 1]))), [0.5, -0.5, 0.1]);
  await allCloseAsync(T(jit(grad(loss))(np.array([1, 1, 1]))), [0.5, -0.5, 0.1]);
  await allCloseAsync(T(vmap(grad((x: A) => np.mul(clip(0.5, x), 3)))(np.array([1, 2]))), [0.5, 0.5]);
  // A function argument: app(fn, x) = fn(x), with a made-up derivative 10 * g.
  const app = customVjp((fn: (x: A) => A, x: A) => fn(x), { nondiffArgnums: [0], fwd: (fn: (x: A) => A, x: A) => [fn(x), null], bwd: (_fn: unknown, _r: null, g: A) => [np.mul(g, 10)] });
  await allCloseAsync(T(app(np.sin, np.array(0))), 0);
  await allCloseAsync(T(grad((x: A) => app(np.sin, x))(np.array(1))), 10);
  assert.is(errorOf(() => customVjp((x: A) => x, { nondiffArgnums: [3], fwd: (x: A) => [x, null], bwd: (_r: null, g: A) => [g] })(np.array(1))), 'customVjp: nondiffArgnums 3 is out of range for 1 argument(s)');
});

Custom('customJvp: nondiffArgnums gives the rule (...nondiff, primals, tangents), as JAX; grad, jvp and vmap apply it', async () => {
  const app = customJvp((fn: (x: A) => A, x: A) => fn(x), (fn: (x: A) => A, [x]: A[], [t]: A[]) => [fn(x), np.mul(t, 7)], { nondiffArgnums: [0] });
  await allCloseAsync(T(grad((x: A) => app(np.sin, x))(np.array(1))), 7);
  const [y, ty] = jvp((x: A) => app(np.sin, x), [np.array(1)], [np.array(2)]);
  await allCloseAsync(T(y), Math.sin(1), trig);
  await allCloseAsync(T(ty), 14);
  await allCloseAsync(T(vmap((x: A) => app(np.sin, x))(np.array([0, 1]))), [0, Math.sin(1)], trig);
  // A negative position counts from the end: the rule's tangent is t * (k + 1) for f(x, k) = x * k.
  const scaled = customJvp((x: A, k: number) => np.mul(x, k), (k: number, [x]: A[], [t]: A[]) => [np.mul(x, k), np.mul(t, k + 1)], { nondiffArgnums: [-1] });
  await allCloseAsync(T(grad((x: A) => scaled(x, 2))(np.array(1))), 3);
});

// ---------------------------------------------------------------- remat, stop_gradient, jit

const Misc = suite(`jax api sweep: checkpoint, stop_gradient, jit arguments [${backend}]`);

Misc('remat: staticArgnums passes JS values as they are (jax.checkpoint static_argnums); policy is accepted', async () => {
  const act = remat((x: A, kind: string) => (kind === 'sin' ? np.sin(x) : np.cos(x)), { staticArgnums: [1] });
  await allCloseAsync(T(grad((x: A) => act(x, 'sin'))(np.array(0))), 1, trig); // cos(0)
  await allCloseAsync(T(grad((x: A) => act(x, 'cos'))(np.array(0))), 0, trig); // -sin(0)
  // A static count unrolls a JS loop: sin(sin(x)), derivative cos(sin(x)) cos(x) at 0.5.
  const twice = remat((x: A, n: number) => {
    let y = x;
    for (let i = 0; i < n; i++) y = np.sin(y);
    return y;
  }, { staticArgnums: -1, policy: () => true });
  await allCloseAsync(T(grad((x: A) => twice(x, 2))(np.array(0.5))), Math.cos(Math.sin(0.5)) * Math.cos(0.5), trig);
  assert.ok(String(makeJaxpr(grad((x: A) => twice(x, 2)))(np.array(0.5))).includes('remat'));
});

Misc('stopGradient of a JS number or boolean is a scalar of its weak dtype (jax.lax.stop_gradient(3) is int32)', async () => {
  const s = stopGradient({ i: 3, f: 2.5, b: true }) as unknown as { i: A; f: A; b: A };
  assert.equal([s.i.dtype, s.f.dtype, s.b.dtype], ['int32', 'float32', 'bool']);
  await allCloseAsync(T(s.i), 3);
  await allCloseAsync(T(s.f), 2.5);
  // In a pytree with arrays: the arrays pass, their gradient is zero.
  const g = grad((p: { a: A; b: A }) => np.add(np.mul(stopGradient(p).a, p.a), np.sum(stopGradient(p.b))))({ a: np.array(2), b: np.array([1]) });
  await allCloseAsync(T(g.a), 2);
  await allCloseAsync(T(g.b), [0]);
});

Misc('jit takes a JS boolean argument as a bool scalar (JAX: a weak bool), and accepts donateArgnums', async () => {
  const pick = jit((x: A, b: A) => np.where(b, x, 0));
  await allCloseAsync(T(pick(np.array([1, 2]), true as unknown as A)), [1, 2]);
  await allCloseAsync(T(pick(np.array([1, 2]), false as unknown as A)), [0, 0]);
  const double = jit((x: A) => np.mul(x, 2), { donateArgnums: 0 });
  const x = np.array([1, 2]);
  await allCloseAsync(T(double(x)), [2, 4]);
  await allCloseAsync(T(x), [1, 2]); // not donated: still valid
  // vmap passes an unmapped boolean as it is, so JS control flow may read it.
  await allCloseAsync(T(vmap((v: A, neg: boolean) => (neg ? np.neg(v) : v), { inAxes: [0, null] })(np.array([1, 2]), true)), [-1, -2]);
});

Misc('jit caches per shape and dtype and retraces on a new one (api_test: test_jit_cache)', async () => {
  let traces = 0;
  const f = jit((x: A) => {
    traces++;
    return np.mul(x, 2);
  });
  f(np.array([1, 2]));
  f(np.array([3, 4]));
  assert.is(traces, 1);
  f(np.array([1, 2, 3]));
  f(np.array([1, 2], 'int32'));
  await allCloseAsync(T(f(np.array([[1, 2]]))), [[2, 4]]);
  assert.is(traces, 4);
  assert.is(f.cacheSize(), 4);
});

// ---------------------------------------------------------------- control flow

const Flow = suite(`jax api sweep: control flow [${backend}]`);

if (gpu) console.log('skip: foriLoop with concrete array bounds and whileLoop under jvp read values back synchronously, which webgpu cannot (docs/core.md)');
if (!gpu)
  Flow('foriLoop with concrete int32 array bounds is a scan, so grad works (JAX: int(lower) succeeds); traced bounds under jit stay an error', async () => {
    // x^3 by repeated multiplication: derivative 3 x^2 = 12 at 2.
    const cube = (x: A, n: A | number) => lax.foriLoop(0, n, (_i: A, c: A) => np.mul(c, x), np.array(1));
    await allCloseAsync(T(grad((x: A) => cube(x, np.array(3, 'int32')))(np.array(2))), 12);
    await allCloseAsync(T(grad((x: A) => lax.foriLoop(np.array(1, 'int32'), 4, (_i: A, c: A) => np.mul(c, x), np.array(1)))(np.array(2))), 12);
    assert.ok(String(makeJaxpr((x: A) => cube(x, np.array(3, 'int32')))(np.array(2))).includes('scan'));
    await allCloseAsync(T(jit(cube)(np.array(2), np.array(3, 'int32'))), 8);
    assert.match(errorOf(() => grad(jit(cube))(np.array(2), np.array(3, 'int32'))), /^lax\.whileLoop: reverse-mode differentiation/);
  });

Flow('scan: unroll is accepted (a positive integer or a boolean) and changes nothing; 0 is an error, as JAX', async () => {
  const body = (c: A, x: A): [A, A] => [np.add(c, x), c];
  for (const unroll of [1, 2, true, false]) {
    const [c, ys] = lax.scan(body, np.array(0), np.array([1, 2, 3]), { unroll });
    await allCloseAsync(T(c), 6);
    await allCloseAsync(T(ys), [0, 1, 3]);
  }
  await allCloseAsync(T(lax.foriLoop(0, 3, (_i: A, c: A) => np.add(c, 1), np.array(0), { unroll: 2 })), 3);
  assert.is(errorOf(() => lax.scan(body, np.array(0), np.array([1]), { unroll: 0 })), 'lax.scan: unroll must be a boolean or a positive integer, got 0');
});

Flow('scan reverse, length with xs null, pytree xs; the carry mismatch names the leaf (lax_control_flow_test)', async () => {
  // reverse: carries 0 -> 3 -> 5 -> 6 visiting x = 3, 2, 1; each y lands at its x's index.
  const [c, ys] = lax.scan((c: A, x: A): [A, A] => [np.add(c, x), c], np.array(0), np.array([1, 2, 3]), { reverse: true });
  await allCloseAsync(T(c), 6);
  await allCloseAsync(T(ys), [5, 3, 0]);
  const [n, counts] = lax.scan((c: A): [A, A] => [np.add(c, 1), c], np.array(0), null, { length: 3 });
  await allCloseAsync(T(n), 3);
  await allCloseAsync(T(counts), [0, 1, 2]);
  const [dot, seen] = lax.scan((c: A, x: { a: A; b: A }): [A, { s: A }] => [np.add(c, np.mul(x.a, x.b)), { s: c }], np.array(0), { a: np.array([1, 2]), b: np.array([3, 4]) });
  await allCloseAsync(T(dot), 11);
  await allCloseAsync(T(seen.s), [0, 3]);
  assert.is(
    errorOf(() => lax.scan((c: { h: A }, x: A) => [{ h: np.add(c.h, x) }, null], { h: np.array(0) }, np.array([[1, 2]]))),
    'lax.scan: the carry at .h is f32[2] in the body output but f32[] in init; the carry must keep its shape and dtype',
  );
});

Flow('whileLoop under jvp; cond on pytree operands; switch clamps its index (JAX clamps out-of-range indices)', async () => {
  // x^3 with a counter: tangent 3 x^2 = 12 at 2.
  // (webgpu cannot read a while loop's predicate back synchronously: docs/core.md)
  if (!gpu) {
    const [y, t] = jvp((x: A) => lax.whileLoop((c: A[]) => np.less(c[0]!, 3), (c: A[]) => [np.add(c[0]!, 1), np.mul(c[1]!, x)], [np.array(0), np.array(1)])[1], [np.array(2)], [np.array(1)]);
    await allCloseAsync(T(y), 8);
    await allCloseAsync(T(t), 12);
  }
  const ops = { a: np.array(3), b: np.array(1) };
  await allCloseAsync(T(lax.cond(false, (o: typeof ops) => ({ r: np.add(o.a, o.b) }), (o: typeof ops) => ({ r: np.sub(o.a, o.b) }), ops).r), 2);
  assert.is(errorOf(() => lax.cond(true, (o: A) => o, () => np.array([1, 2]), np.array(1))), 'lax.cond: the output is f32[] in the true branch but f32[2] in the false branch; all branches must give the same shapes and dtypes');
  const branches = [() => np.array(0), () => np.array(1), () => np.array(2)];
  await allCloseAsync(T(lax.switch(5, branches)), 2);
  await allCloseAsync(T(lax.switch(-3, branches)), 0);
  await allCloseAsync(T(jit((i: A) => lax.switch(i, branches))(np.array(9, 'int32'))), 2);
  await allCloseAsync(T(vmap((i: A) => lax.switch(i, branches))(np.array([-1, 0, 1, 2, 9], 'int32'))), [0, 0, 1, 2, 2]);
});

// ---------------------------------------------------------------- vmap, grad, vjp, jvp, linearize

const Api = suite(`jax api sweep: vmap axes, argnums, pytrees [${backend}]`);

Api('vmap: negative inAxes and outAxes (batching_test testNegativeAxes), out of range is an error', async () => {
  const x = np.reshape(np.arange(60), [3, 4, 5]);
  // in_axes=-3 maps axis 0: each example's sum is the sum over axes 1, 2.
  await allCloseAsync(T(vmap((v: A) => np.sum(v), { inAxes: -3 })(x)), T(np.sum(x, [1, 2])));
  await allCloseAsync(T(vmap((v: A) => np.sum(v), { inAxes: -1 })(x)), T(np.sum(x, [0, 1])));
  assert.match(errorOf(() => vmap((v: A) => np.sum(v), { inAxes: -4 })(x)), /^vmap: inAxes -4 .* out of range for its shape \[3,4,5\]$/);
  await allCloseAsync(T(vmap((v: A) => v, { outAxes: -3 })(x)), T(x));
  await allCloseAsync(T(vmap((v: A) => v, { outAxes: -2 })(x)), T(np.transpose(x, [1, 0, 2])));
  await allCloseAsync(T(vmap((v: A) => v, { outAxes: -1 })(x)), T(np.transpose(x, [1, 2, 0])));
  assert.match(errorOf(() => vmap((v: A) => v, { outAxes: -4 })(x)), /outAxes -4 .* out of range/);
  // An unmapped output with a negative out axis is broadcast: (0, -1) on (arange(5), 7) gives full((5,), 7).
  const [, sevens] = vmap((a: A, b: number) => [a, b], { inAxes: [0, null], outAxes: [0, -1] })(np.arange(5), 7);
  await allCloseAsync(T(sevens), [7, 7, 7, 7, 7]);
  assert.match(errorOf(() => vmap(() => 'hello')(np.arange(5))), /returned string/);
});

Api('vmap: inAxes as nested pytrees with null leaves; outAxes null for an unbatched output; axisSize with nothing mapped', async () => {
  const x = np.array([[1, 2, 3], [4, 5, 6]]);
  const f = (d: { a: A; b: A }) => np.add(d.a, d.b);
  await allCloseAsync(T(vmap(f, { inAxes: [{ a: 1, b: null }] })({ a: x, b: np.array(10) })), [[11, 14], [12, 15], [13, 16]]);
  await allCloseAsync(T(vmap((l: A[]) => np.add(l[0]!, l[1]!), { inAxes: [[0, 1]] })([np.array([1, 2]), np.array([[1, 2], [3, 4]])])), [[2, 4], [4, 6]]);
  const [sums, three] = vmap((a: A) => [np.sum(a), np.array(3)], { outAxes: [0, null] })(x);
  await allCloseAsync(T(sums), [6, 15]);
  assert.equal(T(three).shape, []);
  assert.match(errorOf(() => vmap((a: A) => a, { outAxes: null })(x)), /outAxes/);
  await allCloseAsync(T(vmap(() => np.ones([2]), { inAxes: [], axisSize: 3 })()), [[1, 1], [1, 1], [1, 1]]);
  assert.match(errorOf(() => vmap((a: A) => a, { inAxes: [{ a: 0, c: 0 }] })({ a: x, b: x })), /keys \[a, c\] do not match the value's keys \[a, b\]/);
});

Api('grad: argnums lists give tuples, hasAux passes a pytree through; vjp with hasAux; jvp errors name the argument', async () => {
  const [ga, gb] = grad((a: A, b: A) => np.sum(np.mul(a, b)), { argnums: [0, 1] })(np.array([1, 2]), np.array([3, 4]));
  await allCloseAsync(T(ga), [3, 4]);
  await allCloseAsync(T(gb), [1, 2]);
  const one = grad((a: A, b: A) => np.sum(np.mul(a, b)), { argnums: [1] })(np.array([1, 2]), np.array([3, 4]));
  assert.ok(Array.isArray(one) && one.length === 1, 'argnums [1] gives a 1-tuple');
  const [g, aux] = grad((w: A) => [np.sum(np.square(w)), { w, s: [np.sum(w)] }], { hasAux: true })(np.array([1, 2]));
  await allCloseAsync(T(g), [2, 4]);
  await allCloseAsync(T(aux.w), [1, 2]);
  await allCloseAsync(T(aux.s[0]), 3);
  const [out, back, cos] = vjp((a: A) => [np.sin(a), np.cos(a)], np.array(0.5), { hasAux: true });
  await allCloseAsync(T(out), Math.sin(0.5), trig);
  await allCloseAsync(T(back(np.array(2))[0]), 2 * Math.cos(0.5), trig);
  await allCloseAsync(T(cos), Math.cos(0.5), trig);
  assert.is(errorOf(() => jvp((a: A) => a, [np.array([1, 2])], [np.array([1, 2, 3])])), 'jvp: tangent 0 has shape [3], its primal [2]');
  assert.is(errorOf(() => jvp((a: A) => a, [np.array([1, 2])], [np.array([1, 2], 'int32')])), 'jvp: the tangent of argument 0 has dtype int32, its primal float32; they must match');
  assert.is(errorOf(() => vjp((a: A) => np.sin(a), np.array([1, 2]))[1](np.array(1))), 'vjp: cotangent 0 has shape [], the output has [2]');
});

Api('linearize over pytrees, then linearTranspose of the linear function (api_test: test_linearize / linear_transpose)', async () => {
  const [y, fl] = linearize((p: { a: A; b: A }) => ({ y: np.mul(p.a, p.b) }), { a: np.array(2), b: np.array(3) });
  await allCloseAsync(T(y.y), 6);
  await allCloseAsync(T(fl({ a: np.array(1), b: np.array(1) }).y), 5); // b ta + a tb
  const [, lin] = linearize((a: A) => np.mul(np.sin(a), 2), np.array([0, 1]));
  // The transpose of t -> 2 cos(a) t is the same diagonal map.
  const [ct] = linearTranspose(lin, np.array([0, 1]))(np.array([1, 1]));
  await allCloseAsync(T(ct), [2, 2 * Math.cos(1)], trig);
  await allCloseAsync(T(vmap(lin)(np.array([[1, 1], [2, 2]]))), [[2, 2 * Math.cos(1)], [4, 4 * Math.cos(1)]], trig);
});

// ---------------------------------------------------------------- collectives

const Coll = suite(`jax api sweep: all_to_all and all_gather under vmap [${backend}]`);

Coll('allToAll matches JAX testAllToAll: moveaxis(x, (vmapAxis, split + (vmapAxis <= split)), (concat + 1, 0))', async () => {
  const x = np.reshape(np.arange(256), [4, 4, 4, 4]);
  for (let split = 0; split < 3; split++)
    for (let concat = 0; concat < 3; concat++)
      for (const v of [0, 3]) {
        const y = vmap((a: A) => allToAll(a, 'i', split, concat), { inAxes: v, axisName: 'i' })(x);
        await allCloseAsync(T(y), T(np.moveaxis(x, [v, split + (v <= split ? 1 : 0)], [concat + 1, 0])), {}, `split ${split} concat ${concat} vmap ${v}`);
      }
});

Coll('allToAll: tiled splits and concatenates; grad and jit go through it; a wrong split size is a one-line error', async () => {
  // Member j holds X[j] [4, 3]; member i receives rows 2i..2i+1 of each, side by side along axis 1.
  const X = np.reshape(np.arange(24), [2, 4, 3]);
  const y = vmap((a: A) => allToAll(a, 'i', 0, 1, { tiled: true }), { axisName: 'i' })(X);
  await allCloseAsync(T(y), [
    [[0, 1, 2, 12, 13, 14], [3, 4, 5, 15, 16, 17]],
    [[6, 7, 8, 18, 19, 20], [9, 10, 11, 21, 22, 23]],
  ]);
  // Non-tiled with split = concat = 0 swaps the first two axes of the stacked input: its VJP swaps them back.
  const W = np.reshape(np.arange(8), [2, 2, 2]);
  const swap = (Z: A) => vmap((a: A) => allToAll(a, 'i', 0, 0), { axisName: 'i' })(Z);
  await allCloseAsync(T(grad((Z: A) => np.sum(np.mul(swap(Z), W)))(np.ones([2, 2, 2]))), T(np.transpose(W, [1, 0, 2])));
  await allCloseAsync(T(jit(swap)(W)), T(np.transpose(W, [1, 0, 2])));
  assert.is(errorOf(() => swap(np.ones([2, 3, 2]))), "allToAll: dimension 0 (splitAxis) of f32[3,2] must equal the size 2 of axis 'i'");
});

Coll('allGather to an unmapped output, and of constants (batching_test testAllGatherToUnmapped / OfConst)', async () => {
  const x = np.reshape(np.arange(15), [3, 5]);
  await allCloseAsync(T(vmap((a: A) => allGather(a, 'i'), { axisName: 'i', inAxes: 1, outAxes: null })(x)), T(np.transpose(x)));
  const [ones, b] = vmap((a: A) => [allGather(np.onesLike(a), 'i'), allGather(1, 'i')], { axisName: 'i', inAxes: 1, outAxes: null })(x);
  await allCloseAsync(T(ones), T(np.ones([5, 3])));
  await allCloseAsync(T(b), [1, 1, 1, 1, 1]);
});

Custom.run();
Misc.run();
Flow.run();
Api.run();
Coll.run();
