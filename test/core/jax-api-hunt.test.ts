/**
 * Transformations against JAX's semantics as its tests/api_test.py and
 * tests/custom_*_test.py check them, where tfjax differed: negative `argnums`, a single
 * `staticArgnums` number, grad of a tree-valued function, jvp's argument lists, JavaScript
 * control flow on concrete values under grad / jvp, and customVjp / customJvp functions
 * called inside loop bodies, branches and remat (their rules must survive the staging).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, customJvp, customVjp, grad, hessian, jacrev, jit, jvp, lax, makeJaxpr, np, remat, valueAndGrad, vmap } from '../../lib/index.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
const gpu = backend === 'webgpu';
/** sin and cos to `rtol`; on webgpu to WGSL's accuracy for them, an absolute 2^-11 on [-pi, pi] (SwiftShader: 2e-5 here). */
const trig = (rtol: number) => (gpu ? { rtol, atol: 2 ** -11 } : { rtol });
type A = NdArray;
const T = (x: unknown) => x as tf.Tensor;

// ---------------------------------------------------------------- arguments

const Args = suite(`jax api: arguments [${backend}]`);

const xxy = (x: A, y: A) => np.sum(np.mul(np.mul(x, x), y));
const X = () => np.array([1, 2]);
const Y = () => np.array([3, 4]);

Args('negative argnums count from the end (JAX resolves them, api_util._ensure_inbounds)', async () => {
  await allCloseAsync(T(grad(xxy, { argnums: -1 })(X(), Y())), [1, 4]);
  const [g0, g1] = grad(xxy, { argnums: [0, -1] })(X(), Y()) as A[];
  await allCloseAsync(T(g0), [6, 16]);
  await allCloseAsync(T(g1), [1, 4]);
  const [v, g] = valueAndGrad(xxy, { argnums: -2 })(X(), Y());
  await allCloseAsync(T(v), 19);
  await allCloseAsync(T(g), [6, 16]);
  await allCloseAsync(T(jacrev(xxy, { argnums: -1 })(X(), Y())), [1, 4]);
  await allCloseAsync(T(hessian(xxy, { argnums: -2 })(X(), Y())), [[6, 0], [0, 8]]);
  assert.match(errorOf(() => grad(xxy, { argnums: -3 })(X(), Y())), /^grad: argnums -3 is out of range for 2 argument\(s\)$/);
});

Args('jit: staticArgnums may be one number (JAX: static_argnums=1), negative too; makeJaxpr alike', async () => {
  let traces = 0;
  const scale = jit(
    (x: A, k: number) => {
      traces++;
      return np.mul(x, k);
    },
    { staticArgnums: 1 },
  );
  await allCloseAsync(T(scale(X(), 3)), [3, 6]);
  await allCloseAsync(T(scale(X(), 3)), [3, 6]);
  await allCloseAsync(T(scale(X(), 4)), [4, 8]);
  assert.is(traces, 2, 'a new static value traces again, the same one does not');
  const last = jit((x: A, o: { k: number }) => np.mul(x, o.k), { staticArgnums: -1 });
  await allCloseAsync(T(last(X(), { k: 5 })), [5, 10]);
  assert.is(makeJaxpr((x: A, k: number) => np.mul(x, k), { staticArgnums: 1 })(X(), 2).invars.length, 1);
});

Args('grad of a function returning a list or an object (no hasAux) is an error, not the gradient of its first leaf', () => {
  const msg = /^grad requires a scalar float32 output, got a list of 2 array\(s\); return one array, or \[value, aux\] with \{ hasAux: true \}$/;
  assert.match(errorOf(() => grad((x: A) => [np.sum(x), np.sum(np.mul(x, 3))])(X())), msg);
  assert.match(errorOf(() => valueAndGrad((x: A) => ({ loss: np.sum(x) }))(X())), /got an object of 1 array\(s\)/);
  // hasAux: the value itself must be one array.
  assert.match(errorOf(() => grad((x: A) => [[np.sum(x), np.sum(x)], x], { hasAux: true })(X())), /got a list of 2 array\(s\)/);
});

Args('jvp takes lists of primals and tangents: anything else is a one-line error', () => {
  const msg = errorOf(() => jvp((x: A) => x, np.array(1) as unknown as A[], np.array(1) as unknown as A[]));
  assert.is(msg, 'jvp: primals and tangents must be lists of arguments (jvp(f, [x], [t])), got an array f32[] and an array f32[]');
});

// ---------------------------------------------------------------- concrete values

const Concrete = suite(`jax api: JavaScript control flow under grad [${backend}]`);

// JAX's "Control flow" documentation: grad works through Python control flow on concrete values.
const piecewise = (x: A) => ((x as unknown as number) < 3 ? np.mul(3, np.mul(x, x)) : np.mul(-4, x));

// webgpu cannot read a value back synchronously, so JavaScript cannot branch on one there.
if (gpu) console.log('skip: JavaScript control flow on values reads them back synchronously, which webgpu cannot (docs/backends.md)');
if (!gpu) Concrete('grad, grad of grad, jvp and hessian of a branch on a scalar value take the branch the value chooses', async () => {
  await allCloseAsync(T(grad(piecewise)(np.array(2))), 12);
  await allCloseAsync(T(grad(piecewise)(np.array(4))), -4);
  await allCloseAsync(T(grad(grad(piecewise))(np.array(2))), 6);
  const [y, t] = jvp(piecewise, [np.array(4)], [np.array(1)]);
  await allCloseAsync(T(y), -16);
  await allCloseAsync(T(t), -4);
  await allCloseAsync(T(hessian(piecewise)(np.array(2))), 6);
  // Number(x) under grad is a constant, as float(x) under jax.grad: d(x * 3)/dx at 3.
  await allCloseAsync(T(grad((x: A) => np.mul(x, Number(x)))(np.array(3))), 3);
  // A JavaScript while loop on the value: y = 3 * 2 * 2 = 12, dy/dx = 4.
  await allCloseAsync(
    T(
      grad((x: A) => {
        let v = x;
        while ((v as unknown as number) < 10) v = np.mul(v, 2);
        return v;
      })(np.array(3)),
    ),
    4,
  );
});

Concrete('under jit and vmap (abstract values), and on arrays of several elements, it stays an error', () => {
  assert.match(errorOf(() => jit(piecewise)(np.array(2))), /^a jit tracer f32\[\] has no concrete value/);
  assert.match(errorOf(() => vmap(piecewise)(np.array([2, 4]))), /^a vmap tracer f32\[\] has no concrete value/);
  assert.match(errorOf(() => jit(grad(piecewise))(np.array(2))), /^a vjp tracer f32\[\] has no concrete value/);
  assert.match(errorOf(() => grad((x: A) => ((x as unknown as number) > 0 ? np.sum(x) : np.sum(np.neg(x))))(X())), /tracer f32\[2\] has no concrete value/);
});

// ---------------------------------------------------------------- custom rules in sub-jaxprs

const Custom = suite(`jax api: customVjp / customJvp inside control flow [${backend}]`);

// sin, whose user rules say the derivative is 2 cos: any result with cos instead lost the rule.
const sinVjp = customVjp((x: A) => np.sin(x), {
  fwd: (x: A) => [np.sin(x), np.cos(x)],
  bwd: (c: A, g: A) => [np.mul(np.mul(g, c), 2)],
});
const sinJvp = customJvp((x: A) => np.sin(x), ([x]: A[], [t]: A[]) => [np.sin(x), np.mul(t, np.mul(np.cos(x), 2))]);
const xs = () => np.array([0.5, 1]);
const twiceCos = (v: number[]) => v.map((a) => 2 * Math.cos(a));

for (const [name, c] of [['customVjp', sinVjp], ['customJvp', sinJvp]] as const) {
  const viaScan = (x: A) => lax.scan((acc: A, xi: A) => [np.add(acc, c(xi)), null], np.zeros([]), x)[0];
  const viaFori = (x: A) => lax.foriLoop(0, 2, (_i: A, acc: A) => c(acc), x);
  const viaCond = (x: A) => np.sum(lax.cond(np.array(true), c, (v: A) => v, x));
  const viaSwitch = (x: A) => np.sum(lax.switch(np.array(1, 'int32'), [(v: A) => v, c], x));
  const viaRemat = (x: A) => np.sum(remat(c)(x));

  Custom(`${name}: grad through scan, foriLoop, cond, switch and remat applies the user rule`, async () => {
    await allCloseAsync(T(grad(viaScan)(xs())), twiceCos([0.5, 1]), trig(1e-5));
    // sin(sin(x)): the rule at each step, 2 cos(sin x) * 2 cos(x).
    await allCloseAsync(T(grad((x: A) => np.sum(viaFori(x)))(xs())), [0.5, 1].map((a) => 4 * Math.cos(Math.sin(a)) * Math.cos(a)), trig(1e-5));
    for (const f of [viaCond, viaSwitch, viaRemat]) await allCloseAsync(T(grad(f)(xs())), twiceCos([0.5, 1]), trig(1e-5));
  });

  Custom(`${name}: in a scan under jit(grad), grad(jit), vmap(grad) and hessian`, async () => {
    await allCloseAsync(T(jit(grad(viaScan))(xs())), twiceCos([0.5, 1]), trig(1e-5));
    await allCloseAsync(T(grad(jit(viaScan))(xs())), twiceCos([0.5, 1]), trig(1e-5));
    await allCloseAsync(T(vmap(grad(viaScan))(np.array([[0.5, 1], [0, 2]]))), [twiceCos([0.5, 1]), twiceCos([0, 2])], trig(1e-5));
    // The second derivative of the rule: -2 sin on the diagonal.
    await allCloseAsync(T(hessian(viaScan)(xs())), [[-2 * Math.sin(0.5), 0], [0, -2 * Math.sin(1)]], gpu ? trig(1e-4) : { rtol: 1e-4, atol: 1e-6 });
  });

  Custom(`${name}: a scan body holding it is traced to one custom_vjp_call equation; values are the primal's`, async () => {
    const text = String(makeJaxpr(viaScan)(xs()));
    assert.ok(text.includes('custom_vjp_call'), text);
    await allCloseAsync(T(viaScan(xs())), Math.sin(0.5) + Math.sin(1), trig(1e-6));
    await allCloseAsync(T(jit(viaScan)(xs())), Math.sin(0.5) + Math.sin(1), trig(1e-6));
  });
}

Custom('customJvp: jvp through scan and whileLoop applies the rule (JAX custom_jvp under lax loops)', async () => {
  const [, t] = jvp((x: A) => lax.scan((acc: A, xi: A) => [np.add(acc, np.sum(sinJvp(xi))), null], np.zeros([]), x)[0], [np.array([[0.5, 1]])], [np.ones([1, 2])]);
  await allCloseAsync(T(t), 2 * Math.cos(0.5) + 2 * Math.cos(1), trig(1e-5));
  if (gpu) return; // whileLoop reads its predicate back synchronously: not on webgpu (docs/backends.md)
  const loop = (x: A) => lax.whileLoop((s: A[]) => np.less(s[1]!, 1), (s: A[]) => [sinJvp(s[0]!), np.add(s[1]!, 1)], [x, np.array(0)])[0];
  const [, tw] = jvp(loop, [xs()], [np.ones([2])]);
  await allCloseAsync(T(tw), twiceCos([0.5, 1]), trig(1e-5));
});

Custom('customVjp in a scan closing over a constant keeps its rule; no tensors leak from grad / jit(grad) / vmap(grad)', async () => {
  const w = np.array([2, 3]);
  const scaled = customVjp((x: A) => np.mul(x, w), { fwd: (x: A) => [np.mul(x, w), null], bwd: (_r: null, g: A) => [np.mul(g, 10)] });
  const f = (x: A) => np.sum(lax.scan((a: A) => [scaled(a), null], x, null, { length: 2 })[0]);
  await allCloseAsync(T(grad(f)(xs())), [100, 100]);
  const jg = jit(grad(f));
  const x = xs();
  const xb = np.array([[0.5, 1], [0, 2]]);
  for (const run of [() => grad(f)(x), () => jg(x), () => vmap(grad(f))(xb)]) {
    T(run()).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) T(run()).dispose();
    assert.is(tf.memory().numTensors, before, 'tensors leaked');
  }
});

Args.run();
Concrete.run();
Custom.run();
