/**
 * jit as a call primitive (issue 15): inside grad, vmap, jvp, hessian, linearize, an outer
 * jit, control flow and vmap(axisName), `jit(f)` applies the IR it staged once per signature
 * as one `pjit` equation, so f is traced once however often (and under whatever) it is
 * called; results equal the un-jitted function's; makeJaxpr prints the nested call; the
 * cache holds no tensor beyond the constants f closes over, and clearCache frees those.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, axisIndex, customVjp, grad, hessian, jit, jvp, lax, linearize, makeJaxpr, np, psum, remat, tree, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();

type A = NdArray;
const f32 = (data: number[] | number[][]) => np.array(data as number[], 'float32');
/**
 * The staged program runs the same primitives as the inline function; jit's rewrites
 * (fusion, common subexpressions) may reorder a few float32 operations, so agreement is
 * to a few ulps of the values here (all of order 1).
 */
const TOL = { rtol: 1e-5, atol: 1e-6 };

async function treeClose(actual: unknown, expected: unknown, what: string): Promise<void> {
  const [al, ad] = tree.flatten(actual);
  const [el, ed] = tree.flatten(expected);
  tree.assertSameStructure(ad, ed, what);
  for (let i = 0; i < al.length; i++) await allCloseAsync(al[i] as tf.Tensor, el[i] as tf.Tensor, TOL, `${what} (leaf ${i})`);
}

/** A function that counts its traces, with the plain version to compare against. */
function counted() {
  const count = { traces: 0 };
  const plain = (w: A, x: A) => np.sum(np.tanh(np.add(np.matmul(x, w), np.sum(np.sin(w), 0))));
  const f = (w: A, x: A) => {
    count.traces++;
    return plain(w, x);
  };
  return { count, plain, f };
}

const w0 = () => f32([[0.5, -0.3], [0.8, 0.1], [-0.2, 0.4]]);
const x0 = () => f32([[1, 2, 3], [0.5, -1, 0], [0, 0.3, -2], [2, 1, 1], [1, 0, 1]]);
const xs0 = () => np.reshape(np.mul(np.arange(0, 30, 1, 'float32'), 0.1), [2, 5, 3]);

const Once = suite(`jit call: f is traced once per signature inside other transformations [${backend}]`);

Once('grad(jit(f)): one trace over 10 calls, a new one for a new shape; gradients equal grad(f)', async () => {
  const { count, plain, f } = counted();
  const g = grad(jit(f));
  const [w, x] = [w0(), x0()];
  const want = grad(plain)(w, x);
  for (let i = 0; i < 10; i++) await treeClose(g(w, x), want, `call ${i}`);
  assert.is(count.traces, 1, 'ten calls, one signature: one trace');
  const x2 = np.sliceAxis(x, 0, 0, 2);
  await treeClose(g(w, x2), grad(plain)(w, x2), 'new shape');
  assert.is(count.traces, 2, 'a new shape: a new trace');
  g(w, x);
  assert.is(count.traces, 2, 'the first shape is still cached');
});

Once('vmap(jit(f)): one trace over 10 calls; equals vmap(f)', async () => {
  const { count, plain, f } = counted();
  const v = vmap(jit(f), { inAxes: [null, 0] });
  const [w, xs] = [w0(), xs0()];
  const want = vmap(plain, { inAxes: [null, 0] })(w, xs);
  for (let i = 0; i < 10; i++) await treeClose(v(w, xs), want, `call ${i}`);
  assert.is(count.traces, 1);
});

Once('jit(vmap(jit(f))) and jit(grad(jit(f))): outer jits made anew each call retrace, the inner one does not', async () => {
  const { count, plain, f } = counted();
  const inner = jit(f);
  const [w, x, xs] = [w0(), x0(), xs0()];
  const wantV = vmap(plain, { inAxes: [null, 0] })(w, xs);
  const wantG = grad(plain)(w, x);
  for (let i = 0; i < 10; i++) {
    await treeClose(jit(vmap(inner, { inAxes: [null, 0] }))(w, xs), wantV, `jit(vmap(jit)) call ${i}`);
    await treeClose(jit(grad(inner))(w, x), wantG, `jit(grad(jit)) call ${i}`);
  }
  assert.is(count.traces, 1, 'twenty outer traces, one trace of f');
  const outer = jit(grad(jit(f)));
  for (let i = 0; i < 10; i++) await treeClose(outer(w, x), wantG, `one jit(grad(jit)) call ${i}`);
  assert.is(count.traces, 2, 'a new jit(f): one more trace');
});

Once('jvp, hessian and linearize of jit(f) equal those of f, with one trace', async () => {
  const { count, plain, f } = counted();
  const jf = jit(f);
  const [w, x] = [w0(), x0()];
  const t = np.onesLike(w);
  for (let i = 0; i < 3; i++) {
    await treeClose(jvp((v: A) => jf(v, x), [w], [t]), jvp((v: A) => plain(v, x), [w], [t]), 'jvp');
    await treeClose(hessian((v: A) => jf(v, x))(w), hessian((v: A) => plain(v, x))(w), 'hessian');
    const [y, lin] = linearize((v: A) => jf(v, x), w);
    const [yp, linp] = linearize((v: A) => plain(v, x), w);
    await treeClose([y, lin(t)], [yp, linp(t)], 'linearize');
    lin.dispose();
    linp.dispose();
  }
  assert.is(count.traces, 1);
});

Once('linearize(jit(f)): the primal part of the call runs once; the linear function stages only its tangent part', () => {
  const { f } = counted();
  const jf = jit(f);
  const [w, x] = [w0(), x0()];
  // As linearize traces it: concrete primals, staged tangents.
  const j = makeJaxpr((t: A) => jvp((v: A) => jf(v, x), [w], [t])[1])(np.onesLike(w));
  const text = String(j);
  j.dispose();
  assert.match(text, 'pjit[name=jvp(f)_unknown jaxpr=');
  assert.not.match(text, 'tanh', 'no primal operation is left to recompute');
});

Once.run();

const Nested = suite(`jit call: inside control flow, remat and named axes [${backend}]`);

Nested('scan and cond bodies and remat calling a jitted function: same values and gradients, one trace', async () => {
  let traces = 0;
  const cell = jit((h: A, x: A) => {
    traces++;
    return np.tanh(np.add(np.mul(h, 0.9), x));
  });
  const plainCell = (h: A, x: A) => np.tanh(np.add(np.mul(h, 0.9), x));
  const run = (c: (h: A, x: A) => A) => (h0: A) => {
    const [h] = lax.scan((h: A, x: A) => [c(h, x), h], h0, np.reshape(np.mul(np.arange(0, 6, 1, 'float32'), 0.2), [3, 2]));
    const branch = lax.cond(np.greater(np.sum(h), 0), (v: A) => c(v, v), (v: A) => np.neg(v), h);
    return np.sum(remat(c)(branch, h0));
  };
  const h0 = f32([0.1, -0.2]);
  for (let i = 0; i < 3; i++) {
    await treeClose(run(cell)(h0), run(plainCell)(h0), 'value');
    await treeClose(grad(run(cell))(h0), grad(run(plainCell))(h0), 'grad');
    await treeClose(jit(grad(run(cell)))(h0), grad(run(plainCell))(h0), 'jit(grad)');
  }
  assert.is(traces, 1, 'scan body, branch and remat share the one signature');
});

Nested('collectives inside a jitted function under vmap(axisName): psum, and axisIndex with no array argument', async () => {
  let traces = 0;
  const centred = jit((v: A) => {
    traces++;
    return np.sub(v, np.div(psum(v, 'i'), 3));
  });
  const plain = (v: A) => np.sub(v, np.div(psum(v, 'i'), 3));
  const x = f32([[1, 2], [3, 5], [8, 13]]);
  for (let i = 0; i < 3; i++) {
    await treeClose(vmap(centred, { axisName: 'i' })(x), vmap(plain, { axisName: 'i' })(x), 'vmap(jit(psum))');
    await treeClose(
      grad((m: A) => np.sum(np.square(vmap(centred, { axisName: 'i' })(m) as A)))(x),
      grad((m: A) => np.sum(np.square(vmap(plain, { axisName: 'i' })(m) as A)))(x),
      'grad(vmap(jit(psum)))',
    );
  }
  assert.is(traces, 1);
  const index = jit(() => axisIndex('i'));
  await allCloseAsync(vmap((v: A) => np.add(v, index() as A), { axisName: 'i' })(f32([10, 20, 30])) as tf.Tensor, [10, 21, 32]);
  assert.is(index.cacheSize(), 1, 'axisIndex is staged into the IR, not run by vmap outside it (the trace would close over its tracer)');
  // The axis size is baked into a trace (psum of a constant): a new size is a new trace.
  const count = jit(() => psum(1, 'i'));
  await allCloseAsync(vmap((v: A) => np.add(v, count() as A), { axisName: 'i' })(f32([0, 0])) as tf.Tensor, [2, 2]);
  await allCloseAsync(vmap((v: A) => np.add(v, count() as A), { axisName: 'i' })(f32([0, 0, 0])) as tf.Tensor, [3, 3, 3]);
  assert.is(count.cacheSize(), 2, 'one trace per axis size');
});

Nested('what the IR cannot hold runs inline: a customVjp rule, a closed-over tracer', async () => {
  const clip = customVjp((v: A) => v, { fwd: (v: A) => [v, null], bwd: (_r: null, g: A) => [np.clip(g, -1, 1)] });
  const f = jit((v: A) => np.sum(np.mul(clip(v) as A, 10)));
  await allCloseAsync(grad(f)(f32([1, 2])) as tf.Tensor, [1, 1], {}, 'the custom rule, not the primal derivative (10)');
  await allCloseAsync(f(f32([1, 2])) as tf.Tensor, 30);
  await allCloseAsync(grad((x: A) => np.sum(jit((y: A) => np.mul(y, x))(x) as A))(f32([1, 3])) as tf.Tensor, [2, 6]);
});

Nested('a jitted function returning a tracer that escaped its transformation is an error, not an inline call', () => {
  let leaked: A | undefined;
  grad((v: A) => {
    leaked = v;
    return np.sum(v);
  })(f32([1, 2]));
  assert.is(
    errorOf(() => jit(() => leaked!)()),
    'a vjp tracer f32[2] escaped its transformation (it was stored or returned outside the function being transformed) and cannot be used any more',
  );
});

Nested.run();

const Print = suite(`jit call: makeJaxpr shows the nested call [${backend}]`);

Print('the inner IR is printed under its pjit equation, and reused', () => {
  const square = jit(function square(x: A) {
    return np.mul(x, x);
  });
  const j = makeJaxpr((x: A) => np.sin(square(square(x)) as A))(np.ones([3]));
  const inner = ['      { lambda  ; a:f32[3] .', '          b:f32[3] = mul a a', '        in ( b ) }'].join('\n');
  assert.is(
    String(j),
    ['{ lambda  ; a:f32[3] .', `    b:f32[3] = pjit[name=square jaxpr=\n${inner}\n   ] a`, `    c:f32[3] = pjit[name=square jaxpr=\n${inner}\n   ] b`, '    d:f32[3] = sin c', '  in ( d ) }'].join('\n'),
  );
  assert.is(j.eqns[0]!.params.jaxpr, j.eqns[1]!.params.jaxpr, 'one staged IR for both calls');
  j.dispose();
  const g = String(makeJaxpr(grad((x: A) => np.sum(square(x) as A)))(np.ones([3])));
  assert.match(g, 'pjit[name=vjp_fwd(square) jaxpr=');
  assert.match(g, 'pjit[name=vjp_bwd(square) jaxpr=');
});

Print('a jitted program inlines the calls in it, so fusion sees across them', async () => {
  const layer = jit((x: A, w: A) => np.relu(np.matmul(x, w)));
  const net = jit((x: A, w: A) => np.sum(layer(layer(x, w), w) as A));
  const [x, w] = [f32([[1, 2], [-1, 0.5]]), f32([[1, -1], [0.5, 2]])];
  const prims = net.lower(x, w).jaxpr.eqns.map((e) => e.prim);
  assert.equal(prims, ['fused_matmul', 'fused_matmul', 'reduce_sum'], 'two fused matmul + relu kernels, no nested program');
  const plain = (x: A, w: A) => np.sum(np.relu(np.matmul(np.relu(np.matmul(x, w)), w)));
  await treeClose(net(x, w), plain(x, w), 'value');
  await treeClose(jit(grad(net))(x, w), grad(plain)(x, w), 'jit(grad)');
});

Print.run();

const Memory = suite(`jit call: memory [${backend}]`);

Memory('repeated calls leave only their outputs; the cache holds the closed-over constant until clearCache', async () => {
  const [w, x, xs] = [w0(), x0(), xs0()];
  const shift = f32([0.25, -0.5]);
  const start = tf.memory().numTensors;
  const f = jit((v: A, y: A) => np.sum(np.tanh(np.add(np.matmul(y, v), shift))));
  const outer = jit(grad(f));
  const steps: [string, () => unknown][] = [
    ['grad(jit)', () => grad(f)(w, x)],
    ['vmap(jit)', () => vmap(f, { inAxes: [null, 0] })(w, xs)],
    ['jit(grad(jit))', () => outer(w, x)],
    ['hessian(jit)', () => hessian((v: A) => f(v, x))(w)],
  ];
  for (const [, step] of steps) tf.dispose(tree.leaves(step()) as tf.Tensor[]); // first calls trace
  const held = tf.memory().numTensors - start;
  assert.ok(held >= 1, 'the cache keeps its copy of the closed-over constant');
  for (const [name, step] of steps) {
    const before = tf.memory().numTensors;
    const out = tree.leaves(step()) as tf.Tensor[];
    assert.is(tf.memory().numTensors, before + new Set(out).size, `${name}: only its outputs are new`);
    tf.dispose(out);
  }
  f.clearCache();
  outer.clearCache();
  shift.dispose();
  assert.is(tf.memory().numTensors, start - 1, 'clearCache frees every constant the cache and its derived IRs held');
});

Memory.run();
