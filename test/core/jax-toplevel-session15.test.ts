/**
 * Session 15: jax's top-level names (jax/__init__.py) that tfjax lacked: pureCallback,
 * debug.print / debug.callback, customGradient, closureConvert, disableJit, typeof, the
 * device queries and transfers, namedCall / namedScope, ensureCompileTimeEval; and less-used
 * options of the transformations checked against JAX's signatures. Expected values are
 * derived by hand in the comments.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import {
  type NdArray, blockUntilReady, closureConvert, config, customGradient, customVjp, debug, defaultBackend, deviceCount, deviceGet, devicePut, devices, disableJit,
  ensureCompileTimeEval, grad, hessian, isTracer, jacfwd, jacrev, jit, lax, localDevices, makeJaxpr, namedCall, namedScope, np, pureCallback, shapeDtypeStruct, typeOf, valueAndGrad, vmap,
} from '../../lib/index.js';
import * as tfjax from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;

// Host callbacks read their arguments synchronously, which webgpu cannot (docs/core.md).
const syncReadBack = backend !== 'webgpu';
if (!syncReadBack) console.log('skip: the callback tests on webgpu (no synchronous read-back)');

/** The lines console.log printed while fn ran. */
function printed(fn: () => void): string[] {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...xs: unknown[]) => void lines.push(xs.join(' '));
  try {
    fn();
  } finally {
    console.log = log;
  }
  return lines;
}

/** A host function: the cube root of each element, as a new float32 array of x's shape. */
const cbrt = (x: tf.Tensor) => tf.tensor(Array.from(x.dataSync()).map(Math.cbrt), x.shape, 'float32');

// ---------------------------------------------------------------- callbacks

const Cb = suite(`jax top level session 15: pureCallback and debug [${backend}]`);

Cb('pureCallback: eagerly, under jit (run at each call, not at trace time only) and in makeJaxpr', async () => {
  if (!syncReadBack) return;
  const x = np.array([1, 8, 27]);
  await allCloseAsync(T(pureCallback(cbrt, shapeDtypeStruct([3]), x)), [1, 2, 3]);
  let calls = 0;
  const counted = (v: tf.Tensor) => (calls++, cbrt(v));
  const f = jit((v: A) => np.add(pureCallback(counted, shapeDtypeStruct([3]), np.mul(v, 8)), 1));
  await allCloseAsync(T(f(x)), [3, 5, 7]); // cbrt(8x) + 1 = 2 cbrt(x) + 1
  await allCloseAsync(T(f(np.array([0, 1, 1]))), [1, 3, 3]);
  assert.equal(calls, 2); // one per run of the program
  assert.equal(f.cacheSize(), 1);
  const text = String(makeJaxpr((v: A) => pureCallback(cbrt, { shape: [3], dtype: 'float32' }, v))(x));
  assert.match(text, /b:f32\[3\] = pure_callback\[callback=<function cbrt>/);
});

Cb('pureCallback: pytree results of declared dtypes, JS values converted; a wrong shape or structure is a one-line error', async () => {
  if (!syncReadBack) return;
  const x = np.array([1, 2, 3], 'int32');
  const out = pureCallback((v: tf.Tensor) => ({ n: v.size, s: [[6, 7]] }), { n: shapeDtypeStruct([], 'int32'), s: shapeDtypeStruct([1, 2]) }, x) as { n: A; s: A };
  assert.equal([T(out.n).dtype, T(out.s).dtype, T(out.s).shape], ['int32', 'float32', [1, 2]]);
  await allCloseAsync(T(out.n), 3);
  await allCloseAsync(T(out.s), [[6, 7]]);
  const e1 = errorOf(() => jit((v: A) => pureCallback(() => tf.zeros([2]), shapeDtypeStruct([3]), v))(np.ones([3])));
  assert.match(e1, /pureCallback: the callback returned f32\[2\] .* resultShapeDtypes declares f32\[3\]/);
  assert.match(errorOf(() => pureCallback(() => tf.zeros([3], 'int32'), shapeDtypeStruct([3]), x)), /returned i32\[3\].*declares f32\[3\]/);
  assert.match(errorOf(() => pureCallback(() => [tf.zeros([3])], shapeDtypeStruct([3]), x)), /pureCallback: the callback returned a list holding non-numbers at the root, where resultShapeDtypes declares one array f32\[3\]/);
  assert.match(errorOf(() => pureCallback(() => ({ b: 1 }), { a: shapeDtypeStruct([]) }, x)), /pureCallback: the callback's result and resultShapeDtypes/);
  assert.match(errorOf(() => pureCallback(cbrt, [3], x)), /pureCallback: resultShapeDtypes must hold shapeDtypeStruct/);
  assert.match(errorOf(() => pureCallback('f' as never, shapeDtypeStruct([3]), x)), /pureCallback: the callback must be a function/);
});

Cb('pureCallback under vmap: as vmapMethod says (sequential, expand_dims, broadcast_all); none is an error, as JAX', async () => {
  if (!syncReadBack) return;
  const xs = np.array([[1, 8], [27, 64]]);
  const w = np.array([1, 2]);
  const seen: number[][] = [];
  const g = (method: 'sequential' | 'expand_dims' | 'broadcast_all') => (x: A, v: A) =>
    pureCallback((a: tf.Tensor, b: tf.Tensor) => (seen.push([...a.shape, -1, ...b.shape]), tf.mul(cbrt(a), b)), shapeDtypeStruct([2]), x, v, { vmapMethod: method });
  for (const [m, shapes] of [['sequential', [[2, -1, 2], [2, -1, 2]]], ['expand_dims', [[2, 2, -1, 1, 2]]], ['broadcast_all', [[2, 2, -1, 2, 2]]]] as const) {
    seen.length = 0;
    const out = vmap(g(m), { inAxes: [0, null] })(xs, w);
    await allCloseAsync(T(out), [[1, 4], [3, 8]]); // cbrt(x) * [1, 2] per row
    assert.equal(seen, shapes, m); // the shapes the callback saw: per example, or one call with a leading axis
  }
  await allCloseAsync(T(jit(vmap(g('sequential')))(xs, np.array([[1, 1], [2, 2]]))), [[1, 2], [6, 8]]);
  assert.match(errorOf(() => vmap((x: A) => pureCallback(cbrt, shapeDtypeStruct([2]), x))(xs)), /pureCallback: vmap of a callback needs vmapMethod/);
  assert.match(errorOf(() => pureCallback(cbrt, shapeDtypeStruct([2]), w, { vmapMethod: 'loop' as never })), /vmapMethod must be one of 'sequential'/);
});

Cb('pureCallback: differentiating through it is an error (JAX: "Pure callbacks do not support JVP"); a constant input is fine', async () => {
  if (!syncReadBack) return;
  const f = (x: A) => np.sum(pureCallback(cbrt, shapeDtypeStruct([2]), x));
  assert.match(errorOf(() => grad(f)(np.array([1, 8]))), /pureCallback: a pure callback cannot be differentiated/);
  assert.match(errorOf(() => jit(grad(f))(np.array([1, 8]))), /cannot be differentiated/);
  // Only x is differentiated; the callback reads a constant.
  const g = (x: A) => np.mul(x, np.sum(pureCallback(cbrt, shapeDtypeStruct([2]), np.array([1, 8]))));
  await allCloseAsync(T(grad(g)(np.array(2))), 3);
});

Cb('debug.print: concrete values with numpy formatting, eagerly and at each run under jit; per example under vmap; primal values under grad', async () => {
  if (!syncReadBack) return;
  const x = np.array([1, 8, 27]);
  assert.equal(printed(() => debug.print('x = {} n={n}', x, { n: np.array(3, 'int32') })), ['x = [ 1.  8. 27.] n=3']);
  let traces = 0;
  const f = jit((v: A) => {
    traces++;
    debug.print('v: {0}, again {0}', v); // nothing reads its result, and jit keeps it
    return np.sin(v);
  });
  assert.equal(printed(() => [f(x), f(np.array([0.5, -1.25, 2]))]), ['v: [ 1.  8. 27.], again [ 1.  8. 27.]', 'v: [ 0.5  -1.25  2.  ], again [ 0.5  -1.25  2.  ]']);
  assert.equal(traces, 1);
  assert.equal(printed(() => vmap((r: A) => (debug.print('{}', r), r))(np.array([[1, 2], [3, 4]], 'int32'))), ['[1 2]', '[3 4]']);
  const lines = printed(() => assert.equal(T(grad((v: A) => (debug.print('{}', v), np.sum(np.square(v))))(np.array([1, 2]))).arraySync(), [2, 4]));
  assert.equal(lines, ['[1. 2.]']);
  assert.equal(printed(() => debug.print('{} {{}}', np.array([[true], [false]]))), ['[[ True]\n [False]] {}']);
  assert.match(errorOf(() => debug.print('{} {}', x)), /debug.print: the format "\{\} \{\}" has more \{\} fields than arguments \(1\)/);
  assert.match(errorOf(() => debug.print('{y}', x)), /names \{y\}, which is not in the named arguments/);
});

Cb('debug.print inside lax.cond and lax.scan under jit: kept though the branch forwards its operand and nothing reads the results', async () => {
  if (!syncReadBack) return;
  const f = jit((v: A) => {
    lax.cond(np.greater(np.sum(v), 0), (a: A) => (debug.print('pos {}', a), a), (a: A) => a, v);
    lax.scan((c: A, y: A) => (debug.print('step {}', y), [c, null]), np.array(0), v);
    return v;
  });
  assert.equal(printed(() => f(np.array([1, 2]))), ['pos [1. 2.]', 'step 1.', 'step 2.']);
  assert.equal(printed(() => f(np.array([-1, -2]))), ['step -1.', 'step -2.']);
});

Cb('debug.callback: called with concrete arrays eagerly and under jit', async () => {
  if (!syncReadBack) return;
  const got: number[][] = [];
  const f = jit((v: A) => {
    debug.callback((a: tf.Tensor, b: tf.Tensor) => got.push([...a.dataSync(), ...b.dataSync()]), v, np.mul(v, 2));
    return v;
  });
  f(np.array([1, 2]));
  f(np.array([3, 4]));
  assert.equal(got, [[1, 2, 2, 4], [3, 4, 6, 8]]);
  assert.match(errorOf(() => debug.callback(3 as never)), /debug.callback: the callback must be a function/);
});

// ---------------------------------------------------------------- custom gradients

const Ad = suite(`jax top level session 15: customGradient, closureConvert [${backend}]`);

Ad('customGradient: the vjp function gives the gradient eagerly, under jit, vmap(grad) and grad(vmap)', async () => {
  // f(x) = x^2 with a made-up gradient 10 g (JAX's custom_gradient docs' pattern; x^2 is exact on every backend).
  const f = customGradient((x: A) => [np.square(x), (g: A) => [np.mul(g, 10)]]);
  const x = np.array([0.5, 1]);
  await allCloseAsync(T(f(x)), [0.25, 1]);
  const loss = (v: A) => np.sum(f(v));
  await allCloseAsync(T(grad(loss)(x)), [10, 10]);
  await allCloseAsync(T(jit(grad(loss))(x)), [10, 10]);
  await allCloseAsync(T(vmap(grad(loss))(np.array([[1, 2], [3, 4]]))), [[10, 10], [10, 10]]);
  await allCloseAsync(T(grad((v: A) => np.sum(vmap(f)(v)))(np.array([[1, 2], [3, 4]]))), [[10, 10], [10, 10]]);
  await allCloseAsync(T(grad((v: A) => np.sum(jit(f)(v)))(x)), [10, 10]);
});

Ad('customGradient: the vjp closes over forward values; two arguments, a null cotangent is zeros; a bad return is an error', async () => {
  // f(x, y) = x * y with the true gradient written by hand: (g y, g x); then a null for y.
  const f = customGradient((x: A, y: A) => [np.mul(x, y), (g: A) => [np.mul(g, y), np.mul(g, x)]]);
  const [gx, gy] = grad((x: A, y: A) => np.sum(f(x, y)), { argnums: [0, 1] })(np.array([1, 2]), np.array([3, 4])) as [A, A];
  await allCloseAsync(T(gx), [3, 4]);
  await allCloseAsync(T(gy), [1, 2]);
  const h = customGradient((x: A, y: A) => [np.mul(x, y), (g: A) => [np.mul(g, 2), null]]);
  const [hx, hy] = jit(grad((x: A, y: A) => np.sum(h(x, y)), { argnums: [0, 1] }))(np.array([1, 2]), np.array([3, 4])) as [A, A];
  await allCloseAsync(T(hx), [2, 2]);
  await allCloseAsync(T(hy), [0, 0]);
  // The cotangent may be returned bare for a one-argument function.
  const k = customGradient((x: A) => [np.square(x), (g: A) => np.mul(g, np.mul(x, 2))]);
  await allCloseAsync(T(grad((v: A) => np.sum(k(v)))(np.array([1, -3]))), [2, -6]);
  assert.match(errorOf(() => customGradient((x: A) => x)(np.array(1))), /customGradient: the function must return \[out, vjpFn\]/);
});

Ad('closureConvert: closed-over traced floats become explicit constants; gradients flow through them', async () => {
  const x = np.array([1, 2]);
  let nConsts = -1;
  const outer = (w: A) => {
    const fn = (v: A) => np.sum(np.mul(v, w));
    const [converted, consts] = closureConvert(fn, x);
    nConsts = consts.length;
    return converted(x, ...consts) as A;
  };
  await allCloseAsync(T(outer(np.array(2))), 6);
  assert.equal(nConsts, 0); // w is concrete: nothing to hoist
  await allCloseAsync(T(grad(outer)(np.array(2))), 3); // d/dw sum(x w) = 1 + 2
  assert.equal(nConsts, 1); // under grad w is a tracer
  const [c0] = closureConvert((v: A) => np.mul(v, 2), x);
  assert.match(errorOf(() => c0(x, x)), /closureConvert: the converted function takes 1 argument\(s\) then 0 constant\(s\), got 2 arguments/);
});

// ---------------------------------------------------------------- jit control, avals, devices

const Top = suite(`jax top level session 15: disableJit, typeof, devices, names [${backend}]`);

Top('disableJit: jitted functions run their function as it is, on concrete values; restored after, even on an error', async () => {
  let seen: boolean[] = [];
  const f = jit((v: A) => (seen.push(isTracer(v)), np.mul(v, 2)));
  const x = np.array([1, 2]);
  await allCloseAsync(T(disableJit(() => f(x))), [2, 4]);
  assert.equal([seen, f.cacheSize()], [[false], 0]);
  seen = [];
  f(x);
  assert.equal([seen, f.cacheSize()], [[true], 1]); // traced again outside
  assert.throws(() => disableJit(() => { throw new Error('boom'); }), /boom/);
  seen = [];
  jit((v: A) => f(v))(np.array([5, 6, 7]));
  assert.equal(seen, [true]);
  assert.match(errorOf(() => disableJit(3 as never)), /disableJit: expected a function/);
});

Top('config: update and read JAX options; jax_enable_x64=true and unknown names are one-line errors; jax_disable_jit acts as disableJit', async () => {
  assert.equal([config.jax_enable_x64, config.read('jax_enable_x64')], [false, false]);
  config.update('jax_enable_x64', false);
  assert.match(errorOf(() => config.update('jax_enable_x64', true)), /config.update\('jax_enable_x64', true\): tfjax has no 64-bit dtypes/);
  assert.equal(config.jax_enable_x64, false);
  assert.match(errorOf(() => config.update('jax_enable_x65', true)), /config.update: unrecognized config option 'jax_enable_x65'/);
  config.update('jax_default_matmul_precision', 'highest');
  assert.equal(config.jax_default_matmul_precision, 'highest');
  const seen: boolean[] = [];
  const f = jit((v: A) => (seen.push(isTracer(v)), np.mul(v, 2)));
  config.update('jax_disable_jit', true);
  try {
    await allCloseAsync(T(f(np.array([1, 2]))), [2, 4]);
  } finally {
    config.update('jax_disable_jit', false);
  }
  f(np.array([1, 2]));
  assert.equal(seen, [false, true]);
});

Top('typeof: shape and dtype of arrays, tracers (per example under vmap) and JS scalars (weak dtypes)', () => {
  assert.equal(String(typeOf(np.ones([2, 3], 'int32'))), 'ShapeDtypeStruct(shape=[2, 3], dtype=int32)');
  assert.equal([typeOf(3).dtype, typeOf(2.5).dtype, typeOf(true).dtype], ['int32', 'float32', 'bool']);
  const inside: string[] = [];
  vmap((v: A) => (inside.push(String(typeOf(v))), v))(np.ones([4, 2]));
  jit((v: A) => (inside.push(String(typeOf(v))), v))(np.ones([5]));
  assert.equal(inside, ['ShapeDtypeStruct(shape=[2], dtype=float32)', 'ShapeDtypeStruct(shape=[5], dtype=float32)']);
  assert.equal((tfjax as unknown as Record<string, unknown>)['typeof'], typeOf);
  assert.match(errorOf(() => typeOf('x' as never)), /typeof: expected an array, a number or a boolean, got string/);
});

Top('devices, defaultBackend, deviceCount: one device, the active backend', () => {
  const platform = backend === 'webgpu' ? 'gpu' : 'cpu';
  assert.equal(defaultBackend(), platform);
  assert.equal(devices(), [{ id: 0, platform, deviceKind: backend, processIndex: 0 }]);
  assert.equal(localDevices(), devices());
  assert.equal(deviceCount(), 1);
  assert.match(errorOf(() => devices('tpu')), /devices: no 'tpu' backend is active/);
});

Top('devicePut / deviceGet / blockUntilReady: arrays as they are, JS scalars as weak-typed arrays, host copies back', () => {
  const x = np.array([1, 2]);
  const put = devicePut({ a: x, n: 3, f: 2.5, b: true }, devices()[0]) as { a: A; n: A; f: A; b: A };
  assert.ok(put.a === x);
  assert.equal([T(put.n).dtype, T(put.f).dtype, T(put.b).dtype], ['int32', 'float32', 'bool']);
  assert.equal(blockUntilReady(put), put);
  if (!syncReadBack) return;
  assert.equal(deviceGet({ a: x, n: put.n, b: np.array([true, false]), s: 'k' }), { a: [1, 2], n: 3, b: [true, false], s: 'k' });
  assert.match(errorOf(() => jit((v: A) => deviceGet(v))(x)), /deviceGet: the value is being traced/);
  assert.match(errorOf(() => devicePut({ a: 'x' })), /devicePut: leaves must be arrays, numbers or booleans, got string/);
  assert.match(errorOf(() => devicePut(x, { id: 3 } as never)), /devicePut: unknown device/);
});

Top('namedCall, namedScope, ensureCompileTimeEval: f unchanged under grad and jit; concrete values inside jit', async () => {
  const f = namedCall((v: A) => np.sum(np.square(v)), { name: 'sq' });
  await allCloseAsync(T(jit(grad(f))(np.array([1, 2]))), [2, 4]);
  await allCloseAsync(T(namedScope('block', () => f(np.array([3])))), 9);
  const g = jit((v: A) => {
    // Concrete inside the trace: usable for JS control flow, as JAX's ensure_compile_time_eval.
    const n = ensureCompileTimeEval(() => np.sum(np.arange(4)));
    assert.not.ok(isTracer(n));
    return np.mul(v, (T(n).dataSync()[0]! > 5 ? 1 : -1));
  });
  if (syncReadBack) await allCloseAsync(T(g(np.array([2]))), [2]); // 0 + 1 + 2 + 3 = 6 > 5
  assert.match(errorOf(() => namedScope(3 as never, () => 1)), /namedScope: the name must be a string/);
  assert.match(errorOf(() => namedCall(f, { name: 3 as never })), /namedCall: name must be a string/);
});

// ---------------------------------------------------------------- options

const Opt = suite(`jax top level session 15: less-used options of the transformations [${backend}]`);

Opt('grad / valueAndGrad / jacrev / jacfwd / hessian: holomorphic needs complex inputs (JAX TypeError for real ones); reduceAxes is refused', () => {
  const f = (v: A) => np.sum(np.square(v));
  const x = np.array([1, 2]);
  for (const [name, fn] of [['grad', () => grad(f, { holomorphic: true })(x)], ['valueAndGrad', () => valueAndGrad(f, { holomorphic: true })(x)], ['jacrev', () => jacrev(f, { holomorphic: true })(x)], ['jacfwd', () => jacfwd(f, { holomorphic: true })(x)], ['hessian', () => hessian(f, { holomorphic: true })(x)]] as const)
    assert.match(errorOf(fn), new RegExp(`${name}: holomorphic=true needs complex inputs`), name);
  assert.match(errorOf(() => grad(f, { reduceAxes: ['batch'] })(x)), /grad: reduceAxes is not supported/);
  // holomorphic: false is JAX's default and accepted.
  assert.equal(T(grad(f, { holomorphic: false })(x)).shape, [2]);
});

Opt('jit: keepUnused and inline accepted (same results); staticArgnames is a one-line error (no keyword arguments in JS)', async () => {
  const f = (a: A, unused: A) => np.mul(a, 2);
  await allCloseAsync(T(jit(f, { keepUnused: true, inline: true })(np.array([1]), np.array([5]))), [2]);
  assert.match(errorOf(() => jit(f, { staticArgnames: ['n'] })(np.array([1]), np.array([5]))), /jit: staticArgnames has no meaning in JS/);
});

Opt('vmap: spmdAxisName accepted (sharding only); customVjp: symbolicZeros is a one-line error', async () => {
  await allCloseAsync(T(vmap((v: A) => np.mul(v, 2), { spmdAxisName: 'x' })(np.array([1, 2]))), [2, 4]);
  const make = () => customVjp((x: A) => x, { fwd: (x: A) => [x, null], bwd: (_r: unknown, g: A) => [g], symbolicZeros: true })(np.array(1));
  assert.match(errorOf(make), /customVjp: symbolicZeros is not supported/);
});

Cb.run();
Ad.run();
Top.run();
Opt.run();
