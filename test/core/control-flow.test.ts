/**
 * Structured control flow (lax.scan, foriLoop, whileLoop, cond, switch) and remat: each a
 * higher-order primitive, checked against the unrolled loop / plain JS branch it replaces,
 * and by properties over random data: finite differences, JVP against VJP, vmap against a
 * loop over examples, jit against eager. Also: a 100-step RNN is one scan equation, no
 * tensor leaks, one-line errors, and the docs/core.md control-flow example runs.
 */
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import * as tfjax from '../../lib/index.js';
import { type NdArray, grad, hessian, jit, jvp, lax, linearize, makeJaxpr, np, remat, scope, tree, vjp, vmap } from '../../lib/index.js';
import { allClose, allCloseAsync, errorOf, toNested } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
fc.configureGlobal({ includeErrorInReport: true });
/** SwiftShader compiles a shader per new kernel/shape: fewer random cases there. */
const RUNS = backend === 'webgpu' ? 2 : 8;
/** webgpu cannot read a loop predicate back synchronously (see control/jaxpr-fn.ts). */
const whileRuns = backend !== 'webgpu';

const test = suite(`core: control flow [${backend}]`);
const TOL = { rtol: 1e-4, atol: 1e-5 };
/** Central differences in float32 (step 1e-2): truncation ~1e-4 and rounding ~1e-5 relative. */
const FD_TOL = { rtol: 2e-2, atol: 3e-3 };
/**
 * SwiftShader's sin is accurate to ~2e-5 absolute: a central difference over 4 elements can be
 * off by 4 x 2 x 2e-5 / 2e-2 = 8e-3, beyond FD_TOL, so on webgpu the derivatives are checked by
 * jvp against vjp only (the finite differences run on cpu and wasm).
 */
const finiteDifferences = backend !== 'webgpu';
if (!finiteDifferences) console.log('skip: finite-difference checks on webgpu (SwiftShader transcendentals ~2e-5); jvp vs vjp still checked');

type A = NdArray;

/** Deterministic pseudo-random values in [-1, 1) from a seed. */
function values(seed: number, n: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}
const rand = (seed: number, shape: number[]) => np.array(values(seed, shape.reduce((a, b) => a * b, 1)), 'float32', shape);

async function treeClose(actual: unknown, expected: unknown, tol = TOL, what = 'value'): Promise<void> {
  const [al, ad] = tree.flatten(actual);
  const [el, ed] = tree.flatten(expected);
  tree.assertSameStructure(ad, ed, `${what}: actual and expected`);
  for (let i = 0; i < al.length; i++) await allCloseAsync(al[i] as tf.Tensor, el[i] as tf.Tensor, tol, `${what} ${tree.paths(expected)[i]}`);
}
/** Frees every tensor made while fn runs (`scope` for async test bodies). */
async function inScope(fn: () => Promise<void>): Promise<void> {
  tf.engine().startScope();
  try {
    await fn();
  } finally {
    tf.engine().endScope();
  }
}
/** Row i of x (its leading axis dropped). */
const row = (x: A, i: number) => np.reshape(np.sliceAxis(x, 0, i, i + 1), x.shape.slice(1));
const scalarOf = async (x: A) => (await toNested(x as tf.Tensor)) as number;
const vdot = (a: A, b: A) => np.sum(np.mul(a, b));

/**
 * The derivative checks every primitive gets, for a scalar loss of one array argument:
 * grad against a central finite difference along v, and <jvp(v), 1> against <v, grad>.
 */
async function checkDerivatives(loss: (w: A) => A, w: A, v: A, what: string): Promise<void> {
  const g = grad(loss)(w);
  if (finiteDifferences) {
    const eps = 1e-2;
    const fd = (await scalarOf(loss(np.add(w, np.mul(v, eps)))) - (await scalarOf(loss(np.sub(w, np.mul(v, eps)))))) / (2 * eps);
    await allCloseAsync(vdot(g, v), fd, FD_TOL, `${what}: grad vs finite difference`);
  }
  const [, t] = jvp(loss, [w], [v]);
  await allCloseAsync(t, vdot(g, v), TOL, `${what}: jvp vs vjp`);
}

// ---------- scan ----------

/** An RNN step over pytrees: carry {h}, x {a, b}; y [h * b, sum(h)]. */
const rnnStep = (w: A) => (c: { h: A }, x: { a: A; b: A }): [{ h: A }, [A, A]] => {
  const h = np.tanh(np.add(np.mul(c.h, w), np.mul(x.a, 0.5)));
  return [{ h }, [np.mul(h, x.b), np.sum(h)]];
};
function rnnUnrolled(w: A, h0: A, xs: { a: A; b: A }, reverse: boolean): [{ h: A }, [A, A]] {
  const n = xs.a.shape[0]!;
  let c = { h: h0 };
  const ys: [A, A][] = new Array(n);
  for (let s = 0; s < n; s++) {
    const i = reverse ? n - 1 - s : s;
    const [c2, y] = rnnStep(w)(c, { a: row(xs.a, i), b: row(xs.b, i) });
    c = c2;
    ys[i] = y;
  }
  return [c, [np.stack(ys.map((y) => y[0]), 0), np.stack(ys.map((y) => y[1]), 0)]];
}
const rnnLoss = (out: [{ h: A }, [A, A]]) => np.add(np.sum(np.square(out[0].h)), np.add(np.sum(out[1][0]), np.sum(np.sin(out[1][1]))));

const scanCase = fc.record({ n: fc.integer({ min: 1, max: 4 }), d: fc.integer({ min: 1, max: 3 }), reverse: fc.boolean(), seed: fc.nat() });

test('scan: values and gradients equal the unrolled loop (pytrees, reverse); finite differences; jvp vs vjp', async () => {
  await fc.assert(
    fc.asyncProperty(scanCase, async ({ n, d, reverse, seed }) => {
      await inScope(async () => {
        const w = rand(seed, [d]);
        const h0 = rand(seed + 1, [d]);
        const xs = { a: rand(seed + 2, [n, d]), b: rand(seed + 3, [n, d]) };
        const viaScan = (w: A) => lax.scan(rnnStep(w), { h: h0 }, xs, { reverse });
        await treeClose(viaScan(w), rnnUnrolled(w, h0, xs, reverse), TOL, 'scan forward');
        await treeClose(grad((w: A) => rnnLoss(viaScan(w)))(w), grad((w: A) => rnnLoss(rnnUnrolled(w, h0, xs, reverse)))(w), TOL, 'scan grad');
        // The gradient also flows to init and to the xs.
        const byInputs = (h: A, a: A) => rnnLoss(lax.scan(rnnStep(w), { h }, { a, b: xs.b }, { reverse }));
        const unrolledInputs = (h: A, a: A) => rnnLoss(rnnUnrolled(w, h, { a, b: xs.b }, reverse));
        await treeClose(grad(byInputs, { argnums: [0, 1] })(h0, xs.a), grad(unrolledInputs, { argnums: [0, 1] })(h0, xs.a), TOL, 'scan grad wrt init, xs');
        await checkDerivatives((w) => rnnLoss(viaScan(w)), w, rand(seed + 4, [d]), 'scan');
      });
    }),
    { numRuns: RUNS },
  );
});

test('scan: vmap equals a loop over examples (batched params, init or xs); jit equals eager; grad of grad', async () => {
  await fc.assert(
    fc.asyncProperty(scanCase, fc.integer({ min: 1, max: 3 }), async ({ n, d, reverse, seed }, batch) => {
      await inScope(async () => {
        const ws = rand(seed, [batch, d]);
        const h0s = rand(seed + 1, [batch, d]);
        const xs = { a: rand(seed + 2, [n, d]), b: rand(seed + 3, [n, d]) };
        const f = (w: A, h: A) => lax.scan(rnnStep(w), { h }, xs, { reverse });
        const perExample = Array.from({ length: batch }, (_, i) => f(row(ws, i), row(h0s, i)));
        const stacked = tree.map((...ls: A[]) => np.stack(ls, 0), perExample[0], ...perExample.slice(1));
        await treeClose(vmap(f)(ws, h0s), stacked, TOL, 'vmap(scan)');
        // Only the init batched: the carry is batched, the params not.
        const onlyInit = vmap((h: A) => f(row(ws, 0), h)[0].h)(h0s);
        const loopInit = np.stack(Array.from({ length: batch }, (_, i) => f(row(ws, 0), row(h0s, i))[0].h), 0);
        await treeClose(onlyInit, loopInit, TOL, 'vmap over init');
        // xs batched along their axis 1 (inAxes on a pytree leaf).
        const xsB = { a: rand(seed + 5, [batch, n, d]), b: rand(seed + 6, [batch, n, d]) };
        const g = (x: { a: A; b: A }) => lax.scan(rnnStep(row(ws, 0)), { h: row(h0s, 0) }, x, { reverse })[0].h;
        const loopX = np.stack(Array.from({ length: batch }, (_, i) => g({ a: row(xsB.a, i), b: row(xsB.b, i) })), 0);
        await treeClose(vmap(g)(xsB), loopX, TOL, 'vmap over xs');
        const loss = (w: A) => rnnLoss(f(w, row(h0s, 0)));
        const w = row(ws, 0);
        await treeClose(jit(f)(w, row(h0s, 0)), f(w, row(h0s, 0)), TOL, 'jit(scan)');
        await treeClose(jit(grad(loss))(w), grad(loss)(w), TOL, 'jit(grad(scan))');
        const unrolledLoss = (w: A) => rnnLoss(rnnUnrolled(w, row(h0s, 0), xs, reverse));
        const sumGrad = (l: (w: A) => A) => (w: A) => np.sum(grad(l)(w));
        await treeClose(grad(sumGrad(loss))(w), grad(sumGrad(unrolledLoss))(w), { rtol: 1e-3, atol: 1e-5 }, 'grad(grad(scan))');
      });
    }),
    { numRuns: RUNS },
  );
});

test('scan: a 100-step RNN is one scan equation (unrolled: hundreds), and its gradient is the unrolled one', async () => {
  await inScope(async () => {
    const d = 4;
    const W = np.mul(rand(7, [d, d]), 0.3);
    const xs = rand(8, [100, 1, d]);
    const h0: A = np.zeros([1, d]);
    const step = (W: A) => (h: A, x: A): [A, A] => [np.tanh(np.add(np.matmul(h, W), x)), np.sum(h)];
    const viaScan = (W: A) => np.sum(lax.scan(step(W), h0, xs)[0]);
    const unrolled = (W: A) => {
      let h: A = h0;
      for (let i = 0; i < 100; i++) h = step(W)(h, row(xs, i))[0];
      return np.sum(h);
    };
    const j = makeJaxpr(viaScan)(W);
    const ju = makeJaxpr(unrolled)(W);
    try {
      assert.is(j.eqns.filter((e) => e.prim === 'scan').length, 1, String(j));
      assert.ok(j.eqns.length <= 3, `${j.eqns.length} equations:\n${String(j)}`);
      assert.ok(ju.eqns.length >= 400, `unrolled: ${ju.eqns.length} equations`);
    } finally {
      j.dispose();
      ju.dispose();
    }
    await allCloseAsync(grad(viaScan)(W), grad(unrolled)(W), { rtol: 1e-4, atol: 1e-6 }, 'grad of the 100-step scan');
    await allCloseAsync(jit(grad(viaScan))(W), grad(unrolled)(W), { rtol: 1e-4, atol: 1e-6 }, 'jit(grad) of the 100-step scan');
  });
});

test('scan: the Hessian (jacfwd of jacrev: vmap of jvp of the backward scan) equals the unrolled loop\'s', async () => {
  await inScope(async () => {
    const h0 = rand(21, [3]);
    const xs = { a: rand(22, [4, 3]), b: rand(23, [4, 3]) };
    const w = rand(24, [3]);
    const viaScan = (w: A) => rnnLoss(lax.scan(rnnStep(w), { h: h0 }, xs));
    const unrolled = (w: A) => rnnLoss(rnnUnrolled(w, h0, xs, false));
    await allCloseAsync(hessian(viaScan)(w), hessian(unrolled)(w), { rtol: 1e-3, atol: 1e-5 }, 'hessian through scan');
  });
});

test('jit: two identical scans in one function (common-subexpression elimination maps every result of the equation)', async () => {
  await inScope(async () => {
    const xs = rand(11, [4, 2]);
    const f = (w: A) => {
      // Same operands, no literals: the two scan equations are identical.
      const step = (c: A, x: A): [A, A] => [np.sin(np.add(np.mul(c, w), x)), np.mul(c, w)];
      const [c1, ys1] = lax.scan(step, w, xs);
      const [c2, ys2] = lax.scan(step, w, xs);
      return np.add(np.add(c1, c2), np.sum(np.add(ys1, ys2), 0));
    };
    const w = rand(12, [2]);
    await allCloseAsync(jit(f)(w), f(w), TOL);
  });
});

test('scan: length without xs, zero length, and one-line errors for a changing carry or mismatched xs', async () => {
  await inScope(async () => {
    const [c, ys] = lax.scan((c: A) => [np.mul(c, 2), c], np.array(1), null, { length: 4 });
    await allCloseAsync(c, 16);
    await allCloseAsync(ys, [1, 2, 4, 8]);
    const [c0, ys0] = lax.scan((c: A, x: A) => [np.add(c, np.sum(x)), x], np.array(3), np.zeros([0, 2]));
    await allCloseAsync(c0, 3);
    assert.equal(ys0.shape, [0, 2]);
  });
  const carry = errorOf(() => lax.scan((c: { h: A }) => [{ h: np.stack([c.h, c.h], 0) }, null], { h: np.zeros([3]) }, null, { length: 2 }));
  assert.match(carry, /lax\.scan: the carry at \.h is f32\[2,3\] in the body output but f32\[3\] in init; the carry must keep its shape and dtype$/);
  assert.not.match(carry, /\n/);
  const sizes = errorOf(() => lax.scan((c: A) => [c, null], np.zeros([]), { a: np.zeros([2]), b: np.zeros([3]) }));
  assert.match(sizes, /lax\.scan: xs at \.b has leading size 3, but xs at \.a has 2/);
  assert.match(errorOf(() => lax.scan((c: A) => [c, null], np.zeros([]))), /give opts\.length/);
});

// ---------- cond / switch ----------

const branchT = (x: A, y: A) => ({ out: np.mul(np.sin(x), y) });
const branchF = (x: A, y: A) => ({ out: np.sub(np.mul(x, 3), np.square(y)) });

test('cond / switch: the chosen branch only, gradients and jvp vs vjp through it, jit equals eager', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.nat(), async (d, seed) => {
      await inScope(async () => {
        const x = rand(seed, [d]);
        const y = rand(seed + 1, [d]);
        for (const pred of [true, false]) {
          const f = (x: A) => lax.cond(np.array(pred), branchT, branchF, x, y).out;
          await treeClose(f(x), (pred ? branchT : branchF)(x, y).out, TOL, `cond(${pred})`);
          const loss = (x: A) => np.sum(np.sin(f(x)));
          await treeClose(grad(loss)(x), grad((x: A) => np.sum(np.sin((pred ? branchT : branchF)(x, y).out)))(x), TOL, `grad cond(${pred})`);
          await checkDerivatives(loss, x, rand(seed + 2, [d]), `cond(${pred})`);
          await treeClose(jit(loss)(x), loss(x), TOL, `jit cond(${pred})`);
          await treeClose(jit(grad(loss))(x), grad(loss)(x), TOL, `jit grad cond(${pred})`);
        }
        const branches = [(v: A) => v, (v: A) => np.mul(v, 2), (v: A) => np.square(v)];
        for (const [i, want] of [[-1, 0], [0, 0], [1, 1], [2, 2], [7, 2]] as const) {
          await treeClose(lax.switch(np.array(i, 'int32'), branches, x), branches[want](x), TOL, `switch(${i}) (clamped)`);
          await treeClose(grad((v: A) => np.sum(lax.switch(i, branches, v)))(x), grad((v: A) => np.sum(branches[want](v)))(x), TOL, `grad switch(${i})`);
        }
      });
    }),
    { numRuns: RUNS },
  );
});

test('cond under vmap: a batched predicate selects between both branches per example (and its gradient)', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.nat(), async (d, batch, seed) => {
      await inScope(async () => {
        const xs = rand(seed, [batch, d]);
        const y = rand(seed + 1, [d]);
        const f = (x: A) => lax.cond(np.greater(np.sum(x), 0), branchT, branchF, x, y).out;
        const loop = np.stack(Array.from({ length: batch }, (_, i) => f(row(xs, i))), 0);
        await treeClose(vmap(f)(xs), loop, TOL, 'vmap(cond), batched pred');
        const g = grad((x: A) => np.sum(f(x)));
        await treeClose(vmap(g)(xs), np.stack(Array.from({ length: batch }, (_, i) => g(row(xs, i))), 0), TOL, 'vmap(grad(cond))');
        // Unbatched predicate, batched operand: the cond stays a cond.
        const h = (x: A) => lax.cond(np.array(true), branchT, branchF, x, y).out;
        await treeClose(vmap(h)(xs), np.stack(Array.from({ length: batch }, (_, i) => h(row(xs, i))), 0), TOL, 'vmap(cond), unbatched pred');
        const idx = np.array(Array.from({ length: batch }, (_, i) => (i % 4) - 1), 'int32');
        const branches = [(v: A) => v, (v: A) => np.mul(v, 2), (v: A) => np.square(v)];
        const sw = (i: A, v: A) => lax.switch(i, branches, v);
        const swLoop = np.stack(Array.from({ length: batch }, (_, i) => branches[Math.min(2, Math.max(0, (i % 4) - 1))](row(xs, i))), 0);
        await treeClose(vmap(sw)(idx, xs), swLoop, TOL, 'vmap(switch), batched index (clamped)');
      });
    }),
    { numRuns: RUNS },
  );
});

test('cond: branches must agree; a one-line error names the output that differs by its path', () => {
  const msg = errorOf(() => lax.cond(np.array(true), (x: A) => [x, x], (x: A) => [x, np.sum(x)], np.zeros([3])));
  assert.match(msg, /lax\.cond: the output at \[1\] is f32\[3\] in the true branch but f32\[\] in the false branch; all branches must give the same shapes and dtypes/);
  assert.not.match(msg, /\n/);
  const nested = (n: number) => () => ({ a: np.zeros([2]), b: { c: np.zeros([n]) } });
  assert.match(errorOf(() => lax.cond(true, nested(3), nested(4))), /^lax\.cond: the output at \.b\.c is f32\[3\] in the true branch but f32\[4\] in the false branch;/);
  assert.match(errorOf(() => lax.cond(np.zeros([2]), (x: A) => x, (x: A) => x, np.zeros([3]))), /lax\.cond: the predicate\/index must be a scalar, got f32\[2\]/);
});

// ---------- whileLoop / foriLoop ----------

/** Newton steps for sqrt(a) until converged (a data-dependent trip count). */
const sqrtLoop = (a: A) => lax.whileLoop((s: { x: A; n: A }) => np.logicalAnd(np.greater(np.abs(np.sub(np.square(s.x), a)), 1e-5), np.less(s.n, 50)), (s: { x: A; n: A }) => ({ x: np.mul(np.add(s.x, np.div(a, s.x)), 0.5), n: np.add(s.n, 1) }), { x: np.add(a, 1), n: np.array(0) });

test('whileLoop: runs until its predicate fails; jvp (finite differences); vmap with a batched predicate; jit; grad is a clear error', async () => {
  if (!whileRuns) {
    assert.match(errorOf(() => sqrtLoop(np.array(2))), /cannot read the loop predicate back synchronously/);
    return;
  }
  await fc.assert(
    fc.asyncProperty(fc.double({ min: 0.5, max: 20, noNaN: true }), fc.double({ min: 0.5, max: 20, noNaN: true }), async (a, b) => {
      await inScope(async () => {
        const r = sqrtLoop(np.array(a));
        await allCloseAsync(r.x, Math.sqrt(a), { rtol: 1e-5, atol: 1e-6 }, 'sqrt by Newton');
        const [, t] = jvp((v: A) => sqrtLoop(v).x, [np.array(a)], [np.array(1)]);
        await allCloseAsync(t, 0.5 / Math.sqrt(a), { rtol: 1e-3, atol: 1e-5 }, 'jvp through whileLoop');
        const both = vmap((v: A) => sqrtLoop(v))(np.array([a, b, 400]));
        const loop = [a, b, 400].map((v) => sqrtLoop(np.array(v)));
        await treeClose(both, { x: np.stack(loop.map((l) => l.x), 0), n: np.stack(loop.map((l) => l.n), 0) }, TOL, 'vmap(whileLoop), batched predicate');
        await treeClose(jit(sqrtLoop)(np.array(a)), r, TOL, 'jit(whileLoop)');
      });
    }),
    { numRuns: RUNS },
  );
  const msg = errorOf(() => grad((v: A) => sqrtLoop(v).x)(np.array(2)));
  assert.match(msg, /lax\.whileLoop: reverse-mode differentiation \(grad, vjp\) is not supported/);
  assert.not.match(msg, /\n/);
  assert.match(errorOf(() => lax.whileLoop((x: A) => x, (x: A) => x, np.zeros([]))), /condFn must return one bool scalar, got f32\[\]/);
});

test('whileLoop under vmap over a size-0 axis stops at once with a batched predicate (JAX: empty results)', async () => {
  if (!whileRuns) return;
  const loop = (r: A) => lax.whileLoop((c: A) => np.less(np.sum(c), 10), (c: A) => np.add(c, 1), r);
  const out = vmap(loop)(np.zeros([0, 3])) as tf.Tensor;
  assert.equal(out.shape, [0, 3]);
  assert.equal((jit(vmap(loop))(np.zeros([0, 3])) as tf.Tensor).shape, [0, 3]);
  await allCloseAsync(vmap(loop)(np.array([[0, 0, 0], [5, 5, 5]])) as tf.Tensor, [[4, 4, 4], [5, 5, 5]]);
});

test('foriLoop: static bounds differentiate in reverse like the unrolled loop; array bounds run as a whileLoop', async () => {
  await inScope(async () => {
    const w = rand(3, [3]);
    const body = (i: A, c: A) => np.sin(np.add(np.mul(c, w), np.cast(i, 'float32')));
    const viaFori = (w0: A) => np.sum(lax.foriLoop(2, 7, (i: A, c: A) => np.sin(np.add(np.mul(c, w0), np.cast(i, 'float32'))), np.ones([3])));
    const unrolled = (w0: A) => {
      let c: A = np.ones([3]);
      for (let i = 2; i < 7; i++) c = np.sin(np.add(np.mul(c, w0), i));
      return np.sum(c);
    };
    await allCloseAsync(viaFori(w), unrolled(w), TOL);
    await allCloseAsync(grad(viaFori)(w), grad(unrolled)(w), TOL, 'grad(foriLoop)');
    await checkDerivatives(viaFori, w, rand(4, [3]), 'foriLoop');
    await allCloseAsync(lax.foriLoop(5, 2, body, np.ones([3])), np.ones([3]), TOL, 'an empty range leaves the carry');
    if (whileRuns) {
      const dyn = (n: A) => lax.foriLoop(np.array(2, 'int32'), n, body, np.ones([3]));
      await allCloseAsync(dyn(np.array(7, 'int32')), lax.foriLoop(2, 7, body, np.ones([3])), TOL, 'array bounds');
      const j = makeJaxpr(dyn)(np.array(7, 'int32'));
      assert.ok(j.eqns.some((e) => e.prim === 'while'), String(j));
      j.dispose();
    }
  });
});

// ---------- remat ----------

test('remat: same values and derivatives as the plain function (grad, jvp, vmap, jit); one equation whose backward recomputes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.nat(), async (d, seed) => {
      await inScope(async () => {
        const w = rand(seed, [d]);
        const block = (x: A, w: A) => np.tanh(np.mul(np.sin(np.mul(x, w)), w));
        const blockR = remat(block);
        const loss = (b: typeof block) => (w: A) => np.sum(b(b(rand(seed + 1, [d]), w), w));
        await treeClose(loss(blockR)(w), loss(block)(w), TOL, 'remat value');
        await treeClose(grad(loss(blockR))(w), grad(loss(block))(w), TOL, 'grad(remat)');
        await checkDerivatives(loss(blockR), w, rand(seed + 2, [d]), 'remat');
        await treeClose(jit(grad(loss(blockR)))(w), grad(loss(block))(w), TOL, 'jit(grad(remat))');
        const ws = rand(seed + 3, [2, d]);
        await treeClose(vmap(grad(loss(blockR)))(ws), vmap(grad(loss(block)))(ws), TOL, 'vmap(grad(remat))');
        const sumGrad = (b: typeof block) => (w: A) => np.sum(grad(loss(b))(w));
        await treeClose(grad(sumGrad(blockR))(w), grad(sumGrad(block))(w), { rtol: 1e-3, atol: 1e-5 }, 'grad(grad(remat))');
      });
    }),
    { numRuns: RUNS },
  );
  await inScope(async () => {
    const f = remat((x: A) => np.sin(np.sin(x)));
    const j = makeJaxpr(grad((x: A) => np.sum(f(x))))(np.ones([3]));
    // Forward and backward are each one remat equation: the backward re-runs sin inside its own.
    assert.is(j.eqns.filter((e) => e.prim === 'remat').length, 2, String(j));
    assert.ok(!j.eqns.some((e) => e.prim === 'sin'), String(j));
    j.dispose();
  });
});

// ---------- linearize, vjp with hasAux ----------

test('linearize: the value, and a linear map equal to jvp at that point (pytrees, through scan, under vmap); dispose frees it', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 4 }), fc.nat(), async (d, seed) => {
      await inScope(async () => {
        const p = { w: rand(seed, [d]), b: rand(seed + 1, [d]) };
        const f = (p: { w: A; b: A }, x: A) => ({ y: np.tanh(np.add(np.mul(p.w, x), p.b)), s: np.sum(np.exp(np.mul(p.w, p.b))) });
        const x = rand(seed + 2, [d]);
        const tp = { w: rand(seed + 3, [d]), b: rand(seed + 4, [d]) };
        const tx = rand(seed + 5, [d]);
        const [y, fLin] = linearize(f, p, x);
        await treeClose(y, f(p, x), TOL, 'linearize value');
        const [, want] = jvp(f, [p, x], [tp, tx]);
        await treeClose(fLin(tp, tx), want, TOL, 'fLin vs jvp');
        await treeClose(fLin(tree.map((t: A) => np.mul(t, 2), tp), np.mul(tx, 2)), tree.map((t: A) => np.mul(t, 2), want), TOL, 'fLin is linear');
        const txs = rand(seed + 6, [3, d]);
        const loop = [0, 1, 2].map((i) => fLin(tp, row(txs, i)));
        await treeClose(vmap((t: A) => fLin(tp, t))(txs), tree.map((...ls: A[]) => np.stack(ls, 0), loop[0], ...loop.slice(1)), TOL, 'vmap(fLin)');
        fLin.dispose();
        const g = (w: A) => lax.scan((c: A, x: A) => [np.sin(np.mul(c, w)), np.add(c, x)], np.ones([d]), rand(seed + 7, [3, d]));
        const [ys, gLin] = linearize(g, p.w);
        await treeClose(ys, g(p.w), TOL, 'linearize(scan) value');
        await treeClose(gLin(tp.w), jvp(g, [p.w], [tp.w])[1], TOL, 'linearize(scan) map');
        gLin.dispose();
      });
    }),
    { numRuns: RUNS },
  );
  const x = np.array([0.5, 1]);
  const before = tf.memory().numTensors;
  const [y, fLin] = linearize((v: A) => np.sin(np.mul(v, 3)), x);
  scope(() => {
    fLin(np.ones([2]));
  });
  fLin.dispose();
  tf.dispose(y);
  assert.is(tf.memory().numTensors, before, 'linearize leaves nothing once fLin is disposed');
  assert.match(errorOf(() => linearize((v: A) => v, x)[1](np.ones([3]))), /linearize: tangent 0 has shape \[3\], its primal \[2\]/);
});

test('vjp with { hasAux: true }: [out, vjpFn, aux], aux passed through undifferentiated', async () => {
  await inScope(async () => {
    const w = np.array([0.5, -1, 2]);
    const f = (w: A) => [np.sum(np.square(w)), { norm: np.sqrt(np.sum(np.square(w))), n: 3 }];
    const [out, back, aux] = vjp(f, w, { hasAux: true });
    await allCloseAsync(out, 5.25);
    await allCloseAsync(aux.norm, Math.sqrt(5.25));
    await allCloseAsync(aux.n, 3);
    const [g] = back(np.array(2));
    await allCloseAsync(g, [2, -4, 8]);
    // Without options vjp is unchanged: the whole output takes the cotangent.
    const [out2, back2, none] = vjp((w: A) => np.mul(w, 2), w);
    assert.is(none, undefined);
    await allCloseAsync(back2(np.ones([3]))[0], [2, 2, 2]);
    await allCloseAsync(out2, [1, -2, 4]);
    assert.match(errorOf(() => vjp((w: A) => w, w, { hasAux: true })), /vjp with hasAux: the function must return \[out, aux\]/);
  });
});

// ---------- memory ----------

test('no tensor leaks: eager, grad, vmap and jit through each control-flow primitive', async () => {
  const w = rand(1, [3]);
  const xs = rand(2, [5, 3]);
  const fns: [string, (w: A) => A][] = [
    ['scan', (w) => np.sum(lax.scan((c: A, x: A) => [np.tanh(np.add(np.mul(c, w), x)), np.sum(c)], np.zeros([3]), xs)[1])],
    ['cond', (w) => np.sum(lax.cond(np.greater(np.sum(w), 0), (v: A) => np.sin(v), (v: A) => np.mul(v, 2), w))],
    ['switch', (w) => np.sum(lax.switch(1, [(v: A) => np.sin(v), (v: A) => np.mul(v, 2)], w))],
    ['foriLoop', (w) => np.sum(lax.foriLoop(0, 4, (_i: A, c: A) => np.sin(np.mul(c, w)), np.ones([3])))],
    ['remat', (w) => np.sum(remat((v: A) => np.sin(np.sin(v)))(w))],
  ];
  if (whileRuns) fns.push(['whileLoop', (w) => np.sum(lax.whileLoop((c: A) => np.less(np.sum(c), 50), (c: A) => np.add(np.mul(c, 2), np.abs(w)), np.ones([3])))]);
  for (const [name, f] of fns) {
    const jf = jit(f);
    const jg = jit(grad(f));
    // Trace once: a jitted function keeps its program's constants.
    tf.dispose(jf(w) as tf.Tensor);
    if (name !== 'whileLoop') tf.dispose(jg(w) as tf.Tensor);
    const before = tf.memory().numTensors;
    for (const [kind, run] of [
      ['eager', () => f(w)],
      ['grad', () => (name === 'whileLoop' ? jvp(f, [w], [w])[1] : grad(f)(w))],
      ['vmap', () => vmap(f)(np.stack([w, w], 0))],
      ['jit', () => jf(w)],
      ['jit(grad)', () => (name === 'whileLoop' ? jf(w) : jg(w))],
    ] as const) {
      scope(() => {
        run();
      });
      assert.is(tf.memory().numTensors, before, `${name} ${kind}: numTensors grew by ${tf.memory().numTensors - before}`);
    }
    jf.clearCache();
    jg.clearCache();
  }
});

// ---------- docs ----------

test('docs/core.md: the control-flow example runs and prints what its comments say', async () => {
  const md = readFileSync(new URL('../../docs/core.md', import.meta.url), 'utf8');
  const section = md.slice(md.indexOf('## Control flow'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!.replace(/^import .*$/gm, '');
  const printed: unknown[][] = [];
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const names = ['grad', 'lax', 'makeJaxpr', 'np', 'ready'] as const;
  tf.engine().startScope();
  try {
    await new AsyncFunction(...names, 'console', code)(...names.map((n) => tfjax[n]), { log: (...a: unknown[]) => printed.push(a) });
  } finally {
    tf.engine().endScope();
  }
  assert.is(printed.length, 5);
  allClose(Array.from(printed[0]![0] as Float32Array), [10]);
  allClose(Array.from(printed[0]![1] as Float32Array), [1, 3, 6, 10]);
  assert.is(printed[1]![0], 'scan reduce_sum');
  assert.is((printed[2]![0] as Float32Array).length, 16);
  allClose(Array.from(printed[3]![0] as Float32Array), [1], { rtol: 1e-6 });
  allClose(Array.from(printed[4]![0] as Float32Array), [120]);
});

test.run();
