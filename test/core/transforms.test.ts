/**
 * The transformations against closed forms and against each other: grad, valueAndGrad,
 * vjp, jvp, jacfwd, jacrev, hessian, vmap (inAxes / outAxes, nested), jit, customVjp,
 * stopGradient, and their compositions (grad of grad, jvp of grad, vmap of grad, jit of
 * vmap of grad, grad of jit, vmap of jit).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import {
  type NdArray,
  axisIndex,
  customJvp,
  customVjp,
  grad,
  hessian,
  jacfwd,
  jacrev,
  jit,
  jvp,
  np,
  stopGradient,
  tree,
  valueAndGrad,
  vjp,
  vmap,
} from '../../lib/index.js';
import { allCloseAsync, toNested, errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
// Failing properties report the underlying error (uvu prints only the message).
fc.configureGlobal({ includeErrorInReport: true });
/** SwiftShader compiles a shader per new kernel/shape (about 1 s each): fewer random cases there. */
const RUNS = backend === 'webgpu' ? 3 : 15;

/**
 * Tolerance for results computed through sin/cos: WGSL only promises them to an absolute
 * error of 2^-11 on [-pi, pi] (SwiftShader is off by ~1e-4), times the factor the result
 * scales that error by. Elsewhere float32 kernels are accurate to a few ulps.
 */
function trig(factor: number, tol = { rtol: 1e-5, atol: 1e-5 }) {
  return backend === 'webgpu' ? { rtol: tol.rtol, atol: Math.max(tol.atol, factor * 2 ** -11) } : tol;
}

type A = NdArray;
const f32 = (data: number[] | number[][] | number[][][], shape?: number[]) => np.array(data as number[], 'float32', shape);


/** allClose over two trees of arrays / numbers with the same structure. */
async function treeClose(actual: unknown, expected: unknown, tol = { rtol: 1e-4, atol: 1e-5 }, what = 'value'): Promise<void> {
  const [al, ad] = tree.flatten(actual);
  const [el, ed] = tree.flatten(expected);
  tree.assertSameStructure(ad, ed, `${what}: actual and expected`);
  for (let i = 0; i < al.length; i++) await allCloseAsync(al[i] as tf.Tensor, el[i] as tf.Tensor, tol, `${what} leaf ${tree.paths(expected)[i]}`);
}

const xexp = (x: A) => np.sum(np.mul(x, np.exp(x)));
const X = () => f32([0.5, 1]);

// ---------------------------------------------------------------- closed forms

const Closed = suite(`transforms: closed forms [${backend}]`);

Closed('grad of sum(x·exp(x)) is (1+x)e^x', async () => {
  await allCloseAsync(grad(xexp)(X()) as tf.Tensor, [1.5 * Math.exp(0.5), 2 * Math.E], { rtol: 1e-5 });
});

Closed('second derivative of sum(x·exp(x)) at [0.5, 1] is (2+x)e^x = [4.1218, 8.1548]', async () => {
  const d2 = grad((x: A) => np.sum(grad(xexp)(x) as A))(X()) as tf.Tensor;
  await allCloseAsync(d2, [4.1218, 8.1548], { rtol: 0, atol: 1e-4 });
  await allCloseAsync(d2, [2.5 * Math.exp(0.5), 3 * Math.E], { rtol: 1e-5 });
});

Closed('hessian of sum(x·exp(x)) is diag((2+x)e^x)', async () => {
  const h = hessian(xexp)(X()) as tf.Tensor;
  assert.equal(h.shape, [2, 2]);
  await allCloseAsync(h, [[2.5 * Math.exp(0.5), 0], [0, 3 * Math.E]], { rtol: 1e-5, atol: 1e-6 });
});

Closed('hessian of a coupled function: f = x0²·x1 + sin(x0·x1)', async () => {
  const f = (x: A) => {
    const [x0, x1] = np.split(x, 2);
    return np.sum(np.add(np.mul(np.mul(x0, x0), x1), np.sin(np.mul(x0, x1))));
  };
  const [a, b] = [0.7, -1.3];
  const s = Math.sin(a * b);
  const c = Math.cos(a * b);
  const expected = [
    [2 * b - b * b * s, 2 * a + c - a * b * s],
    [2 * a + c - a * b * s, -a * a * s],
  ];
  const x = f32([a, b]);
  // Entries are (products of a, b ~ 1) x sin/cos: 2x the trig error.
  await allCloseAsync(hessian(f)(x) as tf.Tensor, expected, trig(2));
  await allCloseAsync(jacrev(jacrev(f))(x) as tf.Tensor, expected, trig(2));
  await allCloseAsync(jacfwd(jacfwd(f))(x) as tf.Tensor, expected, trig(2));
  await allCloseAsync(jacrev(jacfwd(f))(x) as tf.Tensor, expected, trig(2));
});

Closed('jacfwd = jacrev = diag(1 - tanh²(Wx))·W on a vector function', async () => {
  const W = f32([[1, -2, 0.5], [0.3, 0.2, -1]]);
  const x = f32([0.2, -0.1, 0.4]);
  const f = (x: A) => np.tanh(np.matmul(W, x));
  const wx = [1 * 0.2 + 2 * 0.1 + 0.5 * 0.4, 0.3 * 0.2 - 0.2 * 0.1 - 0.4];
  const w = [[1, -2, 0.5], [0.3, 0.2, -1]];
  const expected = w.map((row, i) => row.map((v) => (1 - Math.tanh(wx[i]) ** 2) * v));
  const jf = jacfwd(f)(x) as tf.Tensor;
  const jr = jacrev(f)(x) as tf.Tensor;
  assert.equal(jf.shape, [2, 3]);
  assert.equal(jr.shape, [2, 3]);
  await allCloseAsync(jf, expected, { rtol: 1e-5, atol: 1e-6 });
  await allCloseAsync(jr, expected, { rtol: 1e-5, atol: 1e-6 });
});

Closed('hasAux (JAX has_aux): jacfwd, jacrev and hessian of [out, aux] give [Jacobian of out, aux], also under jit', async () => {
  const W = f32([[1, -2, 0.5], [0.3, 0.2, -1]]);
  const x = f32([0.2, -0.1, 0.4]);
  const wx = [1 * 0.2 + 2 * 0.1 + 0.5 * 0.4, 0.3 * 0.2 - 0.2 * 0.1 - 0.4];
  const w = [[1, -2, 0.5], [0.3, 0.2, -1]];
  const expected = w.map((row, i) => row.map((v) => (1 - Math.tanh(wx[i]) ** 2) * v));
  const f = (x: A) => [np.tanh(np.matmul(W, x)), { wx: np.matmul(W, x) }];
  for (const [name, jac] of [['jacfwd', jacfwd(f, { hasAux: true })], ['jacrev', jacrev(f, { hasAux: true })], ['jit(jacrev)', jit(jacrev(f, { hasAux: true }))]] as const) {
    const [j, aux] = jac(x) as [tf.Tensor, { wx: tf.Tensor }];
    await allCloseAsync(j, expected, { rtol: 1e-5, atol: 1e-6 });
    await allCloseAsync(aux.wx, wx, { rtol: 1e-6, atol: 1e-7 });
    assert.equal([j.shape, aux.wx.shape], [[2, 3], [2]], name);
  }
  // hessian of sum(x·exp(x)) with aux: diag((2+x)e^x), aux untouched.
  const [h, aux] = hessian((v: A) => [np.sum(np.mul(v, np.exp(v))), np.mul(v, 2)], { hasAux: true })(f32([0.5, 1])) as [tf.Tensor, tf.Tensor];
  await allCloseAsync(h, [[2.5 * Math.exp(0.5), 0], [0, 3 * Math.E]], { rtol: 1e-5, atol: 1e-6 });
  await allCloseAsync(aux, [1, 2], { rtol: 0, atol: 0 });
  assert.match(errorOf(() => jacrev((v: A) => v, { hasAux: true })(x)), /jacrev with hasAux: the function must return \[value, aux\]/);
});

Closed('property: jacfwd = jacrev on random inputs, with pytree arguments and argnums', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.float({ min: -1, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }), fc.float({ min: -1, max: 1, noNaN: true }), async (xs, s) => {
      const p = { w: f32([[0.5, -1, 2], [1, 0.3, -0.7]]), b: f32([0.1, -0.2]) };
      const x = f32(xs);
      const f = (p: { w: A; b: A }, x: A, t: A) => ({ y: np.sin(np.add(np.matmul(p.w, x), p.b)), z: np.mul(np.sum(np.mul(x, x)), t) });
      const t = f32([s]);
      const jf = jacfwd(f, { argnums: [0, 1] })(p, x, t);
      const jr = jacrev(f, { argnums: [0, 1] })(p, x, t);
      // Layout: per output leaf, a tuple (argnums) of trees of the input's structure; leaves out.shape + in.shape.
      assert.equal((jf as any).y[0].w.shape, [2, 2, 3]);
      assert.equal((jf as any).z[1].shape, [1, 3]);
      await treeClose(jf, jr, { rtol: 1e-4, atol: 1e-5 }, 'jacfwd vs jacrev');
    }),
    { numRuns: RUNS },
  );
});

Closed('vjp and jvp agree with the closed form of an elementwise product', async () => {
  const a = f32([0.5, 1]);
  const b = f32([3, 4]);
  const [out, pullback] = vjp((a: A, b: A) => np.mul(a, b), a, b);
  await allCloseAsync(out as tf.Tensor, [1.5, 4]);
  const [ca, cb] = pullback(f32([1, 2]));
  await allCloseAsync(ca as tf.Tensor, [3, 8]);
  await allCloseAsync(cb as tf.Tensor, [0.5, 2]);
  const [po, to] = jvp((a: A, b: A) => np.mul(a, b), [a, b], [f32([1, 0]), f32([0, 1])]);
  await allCloseAsync(po as tf.Tensor, [1.5, 4]);
  await allCloseAsync(to as tf.Tensor, [3, 1]);
});

Closed('relu has derivative 0 at 0 and 1 above, as PyTorch (max(x, 0) splits ties)', async () => {
  const x = f32([-1, 0, 2]);
  await allCloseAsync(grad((v: A) => np.sum(np.relu(v)))(x) as tf.Tensor, [0, 0, 1]);
  await allCloseAsync(grad((v: A) => np.sum(np.maximum(v, 0)))(x) as tf.Tensor, [0, 0.5, 1]);
  await allCloseAsync(jit(grad((v: A) => np.sum(np.relu(v))))(x) as tf.Tensor, [0, 0, 1]);
});

Closed("abs has derivative 1 at 0 and -1 at NaN, as JAX's rule select(x >= 0, 1, -1)", async () => {
  const x = f32([-2, 0, 3, NaN]);
  await allCloseAsync(grad((v: A) => np.sum(np.abs(v)))(x) as tf.Tensor, [-1, 1, 1, -1]);
  await allCloseAsync(jit(grad((v: A) => np.sum(np.abs(v))))(x) as tf.Tensor, [-1, 1, 1, -1]);
  await allCloseAsync(vmap(grad((v: A) => np.abs(v)))(x) as tf.Tensor, [-1, 1, 1, -1]);
  await allCloseAsync(jvp((v: A) => np.abs(v), [x], [f32([2, 2, 2, 2])])[1] as tf.Tensor, [-2, 2, 2, -2]);
});

Closed('issue 11 item 6: second derivatives of pow at x = 0 are those of the polynomial, not 0 * inf', async () => {
  const y = f32([1, 2, 3, 1, 0]);
  const f = (x: A) => np.sum(np.pow(x, y));
  const x = f32([0, 0, 0, 2, 0]);
  // d/dx x^y = y x^(y-1); d2/dx2 = y (y-1) x^(y-2) (0 for y = 0 and y = 1, as PyTorch gives)
  await allCloseAsync(grad(f)(x) as tf.Tensor, [1, 0, 0, 1, 0]);
  const second = (v: A) => grad((u: A) => np.sum(grad(f)(u)))(v);
  await allCloseAsync(second(x) as tf.Tensor, [0, 2, 0, 0, 0]);
  await allCloseAsync(jit(second)(x) as tf.Tensor, [0, 2, 0, 0, 0]);
  const h = (await toNested(hessian(f)(x) as tf.Tensor)) as number[][];
  assert.equal(h, [0, 2, 0, 0, 0].map((d, i) => [0, 0, 0, 0, 0].map((z, j) => (i === j ? d : z))));
  // Third derivative of x^3 at 0 is 6; of x^2 and x it is 0.
  const third = grad((u: A) => np.sum(second(u)));
  await allCloseAsync(third(f32([0, 0, 0, 2, 0])) as tf.Tensor, [0, 0, 6, 0, 0]);
});

Closed('issue 11 item 6: an all -inf row gives logsumexp -inf with zero derivatives, and leaves other rows exact', async () => {
  const x = f32([[1, 2, 3], [-Infinity, -Infinity, -Infinity]]);
  const finiteSum = (v: A) => np.sum(np.where(np.isfinite(v), v, 0));
  const lse = (v: A) => finiteSum(np.logsumexp(v, -1));
  await allCloseAsync(np.logsumexp(x, -1) as tf.Tensor, [Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3)), -Infinity]);
  const e = [1, 2, 3].map(Math.exp);
  const p = e.map((v) => v / (e[0] + e[1] + e[2]));
  await allCloseAsync(grad(lse)(x) as tf.Tensor, [p, [0, 0, 0]]);
  // H = diag(p) - p p^T inside row 0; every entry that touches row 1 is 0.
  const expected = [0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2, 3, 4, 5].map((j) => (i < 3 && j < 3 ? (i === j ? p[i] : 0) - p[i] * p[j] : 0)));
  await allCloseAsync(hessian(lse)(x) as tf.Tensor, expected.flat(), undefined, 'hessian of logsumexp');
  await allCloseAsync(jit(hessian(lse))(x) as tf.Tensor, expected.flat(), undefined, 'jit(hessian)');
  // logSoftmax of such a row is NaN (-inf - -inf, as in PyTorch and JAX); masked out, it leaves finite derivatives.
  const logSm = (v: A) => finiteSum(np.logSoftmax(v, -1));
  await allCloseAsync(grad(logSm)(x) as tf.Tensor, [p.map((q) => 1 - 3 * q), [0, 0, 0]]);
  const hl = (await toNested(hessian(logSm)(x) as tf.Tensor)) as number[][][][];
  assert.ok(hl.flat(3).every(Number.isFinite), 'hessian of masked logSoftmax is finite');
});

Closed.run();

// ---------------------------------------------------------------- compositions

const Compose = suite(`transforms: compositions [${backend}]`);

Compose('grad(grad(f)) of x³ is 6x', async () => {
  const f = (x: A) => np.sum(np.mul(np.mul(x, x), x));
  const g2 = grad((x: A) => np.sum(grad(f)(x) as A));
  await allCloseAsync(g2(f32([2, -1.5])) as tf.Tensor, [12, -9], { rtol: 1e-6 });
  // third order
  const g3 = grad((x: A) => np.sum(g2(x) as A));
  await allCloseAsync(g3(f32([2, -1.5])) as tf.Tensor, [6, 6], { rtol: 1e-6 });
});

Compose('jvp(grad(f)) is a Hessian-vector product', async () => {
  const f = (x: A) => np.sum(np.mul(np.sin(x), np.sum(np.mul(x, x))));
  const x = f32([0.3, -0.8, 1.1]);
  const v = f32([1, 2, -0.5]);
  const [g, hv] = jvp(grad(f), [x], [v]);
  await allCloseAsync(g as tf.Tensor, grad(f)(x) as tf.Tensor, { rtol: 1e-5, atol: 1e-6 });
  const H = hessian(f)(x) as tf.Tensor;
  await allCloseAsync(hv as tf.Tensor, tf.squeeze(tf.matMul(H, tf.reshape(v as tf.Tensor, [3, 1]))), { rtol: 1e-4, atol: 1e-5 });
  // grad of <grad f, v> is the same product (reverse over reverse).
  const hv2 = grad((x: A) => np.sum(np.mul(grad(f)(x) as A, v)))(x) as tf.Tensor;
  await allCloseAsync(hv2, hv as tf.Tensor, { rtol: 1e-4, atol: 1e-5 });
});

// A small model for per-example gradients.
const params = () => ({ w: f32([[0.5, -0.3], [0.8, 0.1], [-0.2, 0.4]]), b: f32([0.1, -0.1]) });
const loss = (p: { w: A; b: A }, x: A, y: A) => {
  const out = np.tanh(np.add(np.matmul(x, p.w), p.b));
  return np.sum(np.square(np.sub(out, y)));
};
const batchX = () => f32([[1, 2, 3], [0.5, -1, 0], [0, 0.3, -2], [2, 1, 1]]);
const batchY = () => f32([[0, 1], [1, 0], [0.5, 0.5], [-1, 1]]);

/** Per-example gradients by a loop over the batch (the reference). */
function loopGrads(p: { w: A; b: A }, xs: tf.Tensor, ys: tf.Tensor) {
  const n = xs.shape[0];
  const gs = Array.from({ length: n }, (_, i) => grad(loss)(p, tf.gather(xs, i), tf.gather(ys, i)) as { w: tf.Tensor; b: tf.Tensor });
  return { w: tf.stack(gs.map((g) => g.w)), b: tf.stack(gs.map((g) => g.b)) };
}

Compose('vmap(grad) gives per-example gradients equal to a loop', async () => {
  const p = params();
  const pe = vmap(grad(loss), { inAxes: [null, 0, 0] })(p, batchX(), batchY());
  assert.equal(pe.w.shape, [4, 3, 2]);
  assert.equal(pe.b.shape, [4, 2]);
  await treeClose(pe, loopGrads(p, batchX(), batchY()), { rtol: 1e-5, atol: 1e-6 }, 'per-example grads');
});

Compose('jit(vmap(grad)) equals vmap(grad) and reuses its trace', async () => {
  const p = params();
  const step = jit(vmap(grad(loss), { inAxes: [null, 0, 0] }));
  const a = step(p, batchX(), batchY());
  const b = step(p, batchX(), batchY());
  assert.is(step.cacheSize(), 1);
  const ref = loopGrads(p, batchX(), batchY());
  await treeClose(a, ref, { rtol: 1e-5, atol: 1e-6 }, 'jit(vmap(grad))');
  await treeClose(b, ref, { rtol: 1e-5, atol: 1e-6 }, 'jit(vmap(grad)) again');
});

Compose('grad(jit(f)), jit(grad(f)) and grad(f) agree', async () => {
  const p = params();
  const g = grad(loss)(p, batchX(), batchY());
  await treeClose(grad(jit(loss))(p, batchX(), batchY()), g, { rtol: 1e-5, atol: 1e-6 }, 'grad(jit)');
  await treeClose(jit(grad(loss))(p, batchX(), batchY()), g, { rtol: 1e-5, atol: 1e-6 }, 'jit(grad)');
  await treeClose(jit(jit(grad(loss)))(p, batchX(), batchY()), g, { rtol: 1e-5, atol: 1e-6 }, 'jit(jit(grad))');
});

Compose('vmap(jit(f)) equals vmap(f) and a loop', async () => {
  const f = (x: A, y: A) => np.sum(np.mul(np.exp(x), y), -1);
  const xs = batchX();
  const ys = f32([[1, 2, 3], [1, 1, 1], [0, 1, 0], [-1, 2, 0]]);
  const ref = await Promise.all([0, 1, 2, 3].map((i) => toNested(f(tf.gather(xs, i), tf.gather(ys, i)) as tf.Tensor)));
  await allCloseAsync(vmap(jit(f))(xs, ys) as tf.Tensor, ref as number[], { rtol: 1e-5 });
  await allCloseAsync(vmap(f)(xs, ys) as tf.Tensor, ref as number[], { rtol: 1e-5 });
  await allCloseAsync(jit(vmap(jit(f)))(xs, ys) as tf.Tensor, ref as number[], { rtol: 1e-5 });
});

Compose('grad of a vmapped loss equals the sum of per-example gradients', async () => {
  const p = params();
  const total = (p: { w: A; b: A }, xs: A, ys: A) => np.sum(vmap(loss, { inAxes: [null, 0, 0] })(p, xs, ys) as A);
  const g = grad(total)(p, batchX(), batchY());
  const pe = loopGrads(p, batchX(), batchY());
  await treeClose(g, { w: tf.sum(pe.w, 0), b: tf.sum(pe.b, 0) }, { rtol: 1e-5, atol: 1e-6 }, 'grad(vmap)');
});

Compose('jvp of vmap equals vmap of jvp', async () => {
  const f = (x: A) => np.mul(np.sin(x), np.sum(x));
  const xs = f32([[0.1, 0.2], [0.3, -0.4], [1, 2]]);
  const ts = f32([[1, 0], [0, 1], [0.5, 0.5]]);
  const [, t1] = jvp(vmap(f), [xs], [ts]);
  const t2 = vmap((x: A, t: A) => jvp(f, [x], [t])[1])(xs, ts);
  await allCloseAsync(t1 as tf.Tensor, t2 as tf.Tensor, { rtol: 1e-5, atol: 1e-6 });
});

Compose('property: vmap(grad(f)) equals a loop of grad(f) on random batches', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.float({ min: -2, max: 2, noNaN: true, noDefaultInfinity: true }), { minLength: 12, maxLength: 12 }),
      async (n, vals) => {
        const xs = tf.tensor(vals.slice(0, n * 3), [n, 3]);
        const f = (x: A) => np.sum(np.mul(np.logSoftmax(x), np.tanh(x)));
        const pe = vmap(grad(f))(xs) as tf.Tensor;
        const ref = tf.stack(Array.from({ length: n }, (_, i) => grad(f)(tf.gather(xs, i)) as tf.Tensor));
        await allCloseAsync(pe, ref, { rtol: 1e-4, atol: 1e-6 });
      },
    ),
    { numRuns: RUNS },
  );
});

Compose.run();

// ---------------------------------------------------------------- vmap axes

const Axes = suite(`transforms: vmap inAxes / outAxes [${backend}]`);

Axes('inAxes as a number maps every argument over that axis', async () => {
  const a = f32([[1, 2, 3], [4, 5, 6]]);
  const b = f32([[10, 20, 30], [40, 50, 60]]);
  const out = vmap((x: A, y: A) => np.add(x, y), { inAxes: 1 })(a, b) as tf.Tensor; // 3 slices of [2]
  assert.equal(out.shape, [3, 2]);
  await allCloseAsync(out, [[11, 44], [22, 55], [33, 66]]);
});

Axes('inAxes null leaves an argument unmapped; negative axes count from the end', async () => {
  const w = f32([1, 2]);
  const xs = tf.transpose(f32([[1, 1], [2, 2], [3, 3]])); // [2, 3], batch on axis -1
  const out = vmap((w: A, x: A) => np.sum(np.mul(w, x)), { inAxes: [null, -1] })(w, xs) as tf.Tensor;
  await allCloseAsync(out, [3, 6, 9]);
});

Axes('inAxes as a pytree prefix over a parameter tree', async () => {
  const p = { w: f32([2, 3]), b: f32([[1, 1], [2, 2], [3, 3]]) }; // w shared, b per example
  const xs = f32([[1, 0], [0, 1], [1, 1]]);
  const f = (p: { w: A; b: A }, x: A) => np.add(np.mul(p.w, x), p.b);
  const out = vmap(f, { inAxes: [{ w: null, b: 0 }, 0] })(p, xs) as tf.Tensor;
  await allCloseAsync(out, [[3, 1], [2, 5], [5, 6]]);
});

Axes('outAxes places the batch axis per output (number or pytree), null for unbatched outputs', async () => {
  const xs = f32([[1, 2, 3], [4, 5, 6]]); // B = 2
  const f = (x: A) => ({ y: np.mul(x, 2), s: np.sum(x), c: f32([7]) });
  const out = vmap(f, { outAxes: { y: 1, s: 0, c: null } })(xs) as { y: tf.Tensor; s: tf.Tensor; c: tf.Tensor };
  assert.equal(out.y.shape, [3, 2]);
  await allCloseAsync(out.y, [[2, 8], [4, 10], [6, 12]]);
  await allCloseAsync(out.s, [6, 15]);
  assert.equal(out.c.shape, [1]);
  await allCloseAsync(out.c, [7]);
  // An unbatched output with a numeric outAxes is broadcast over the batch.
  const out2 = vmap(f, { outAxes: -1 })(xs) as { y: tf.Tensor; s: tf.Tensor; c: tf.Tensor };
  assert.equal(out2.c.shape, [1, 2]);
  assert.equal(out2.y.shape, [3, 2]);
  await allCloseAsync(out2.c, [[7, 7]]);
  assert.match(errorOf(() => vmap(f, { outAxes: { y: null, s: 0, c: null } })(xs)), /vmap: the output at \.y is batched, but outAxes says it is not \(null\)/);
});

Axes('vmap inside vmap, with null / number / pytree inAxes and outAxes, matches loops', async () => {
  const a = f32([[1, 2, 3], [4, 5, 6]]); // [2, 3]
  const p = { s: f32([10, 20, 30]), t: tf.scalar(1) }; // s mapped by the outer vmap, t never
  // inner: over a's axis 0 (rows), p unmapped; outer: over a's axis 1 (columns) and p.s's axis 0.
  const inner = vmap((x: A, p: { s: A; t: A }) => np.add(np.mul(x, p.s), p.t), { inAxes: [0, null] });
  const outer = vmap(inner, { inAxes: [1, { s: 0, t: null }], outAxes: 1 });
  const out = outer(a, p) as tf.Tensor; // inner gives [2]; outer stacks columns at axis 1 -> [2, 3]
  const an = [[1, 2, 3], [4, 5, 6]];
  const s = [10, 20, 30];
  assert.equal(out.shape, [2, 3]);
  await allCloseAsync(out, an.map((row) => row.map((v, j) => v * s[j] + 1)));
  // Three levels, each mapping a different argument.
  const f3 = vmap(vmap(vmap((x: A, y: A, z: A) => np.mul(np.add(x, y), z), { inAxes: [0, null, null] }), { inAxes: [null, 0, null] }), { inAxes: [null, null, 0] });
  const x = f32([1, 2]);
  const y = f32([10, 20, 30]);
  const z = f32([1, -1]);
  const o3 = f3(x, y, z) as tf.Tensor;
  assert.equal(o3.shape, [2, 3, 2]);
  const ref = [1, -1].map((zk) => [10, 20, 30].map((yj) => [1, 2].map((xi) => (xi + yj) * zk)));
  await allCloseAsync(o3, ref);
});

Axes('vmap of a function without batched inputs in some ops, and of a constant output', async () => {
  const xs = f32([[1, 2], [3, 4]]);
  const out = vmap((x: A) => np.add(np.sum(f32([1, 2])), x))(xs) as tf.Tensor;
  await allCloseAsync(out, [[4, 5], [6, 7]]);
  const c = vmap((_x: A) => f32([5, 6]))(xs) as tf.Tensor;
  assert.equal(c.shape, [2, 2]);
  await allCloseAsync(c, [[5, 6], [5, 6]]);
});

Axes('axisSize maps a function none of whose arguments is mapped (JAX axis_size), also under jit and with an axis name', async () => {
  const x = f32([1, 2]);
  const out = vmap((v: A) => np.add(v, 1), { inAxes: null, axisSize: 3 })(x) as tf.Tensor;
  assert.equal(out.shape, [3, 2]);
  await allCloseAsync(out, [[2, 3], [2, 3], [2, 3]]);
  const moved = jit(vmap((v: A) => np.mul(v, 2), { inAxes: null, axisSize: 2, outAxes: 1 }))(x) as tf.Tensor;
  await allCloseAsync(moved, [[2, 2], [4, 4]]);
  const ids = vmap((v: A) => np.add(v, axisIndex('i')), { inAxes: null, axisSize: 4, axisName: 'i' })(tf.scalar(0.5)) as tf.Tensor;
  await allCloseAsync(ids, [0.5, 1.5, 2.5, 3.5]);
  await allCloseAsync(vmap((v: A) => np.mul(v, 3), { axisSize: 2 })(x) as tf.Tensor, [3, 6]);
});

Axes('vmap over a size-0 axis gives empty results, a matmul with an unbatched operand included (JAX)', async () => {
  const z = tf.zeros([0, 3]);
  const right = vmap((r: A) => np.matmul(r, np.ones([3, 2])))(z) as tf.Tensor;
  assert.equal(right.shape, [0, 2]);
  const left = vmap((r: A) => np.matmul(np.ones([2, 3]), r))(z) as tf.Tensor;
  assert.equal(left.shape, [0, 2]);
  assert.equal((jit(vmap((r: A) => np.matmul(r, np.ones([3, 2]))))(z) as tf.Tensor).shape, [0, 2]);
});

Axes('an unmapped JS number reaches f as a number: weakly typed, and usable as a static argument of jit', async () => {
  const i = np.array([1, 2], 'int32');
  const sum = vmap((a: A, b: number) => np.add(a, b), { inAxes: [0, null] })(i, 3) as tf.Tensor;
  assert.equal(sum.dtype, 'int32'); // as np.add(i32, 3), not float32
  await allCloseAsync(sum, [4, 5]);
  const scaled = vmap(jit((x: A, p: { scale: number }) => np.mul(x, p.scale), { staticArgnums: [1] }), { inAxes: [0, null] })(f32([2, 3]), { scale: 3 });
  await allCloseAsync(scaled as tf.Tensor, [6, 9]);
});

Axes.run();

// ---------------------------------------------------------------- argnums and hasAux

const Args = suite(`transforms: argnums and hasAux [${backend}]`);

const f3 = (a: A, b: A, c: A) => np.sum(np.mul(np.mul(a, b), np.exp(c)));

Args('argnums as a number differentiates that argument', async () => {
  const [a, b, c] = [f32([1, 2]), f32([3, 4]), f32([0, 1])];
  await allCloseAsync(grad(f3, { argnums: 1 })(a, b, c) as tf.Tensor, [1, 2 * Math.E], { rtol: 1e-6 });
  await allCloseAsync(grad(f3, { argnums: 2 })(a, b, c) as tf.Tensor, [3, 8 * Math.E], { rtol: 1e-6 });
});

Args('argnums as a tuple gives a tuple of gradients', async () => {
  const [a, b, c] = [f32([1, 2]), f32([3, 4]), f32([0, 1])];
  const g = grad(f3, { argnums: [0, 2] })(a, b, c) as tf.Tensor[];
  assert.ok(Array.isArray(g));
  assert.is(g.length, 2);
  await allCloseAsync(g[0], [3, 4 * Math.E], { rtol: 1e-6 });
  await allCloseAsync(g[1], [3, 8 * Math.E], { rtol: 1e-6 });
  const one = grad(f3, { argnums: [1] })(a, b, c) as tf.Tensor[];
  assert.ok(Array.isArray(one) && one.length === 1);
  const [v, gs] = valueAndGrad(f3, { argnums: [0, 1] })(a, b, c);
  await allCloseAsync(v as tf.Tensor, 3 + 8 * Math.E, { rtol: 1e-6 });
  assert.is((gs as unknown[]).length, 2);
});

Args('argnums out of range is an error naming it', () => {
  assert.match(errorOf(() => grad(f3, { argnums: 3 })(f32([1]), f32([1]), f32([1]))), /argnums 3 is out of range for 3 argument/);
});

Args('hasAux: grad returns [gradient, aux], valueAndGrad [[value, aux], gradient]', async () => {
  const f = (x: A) => [np.sum(np.mul(x, x)), { mean: np.mean(x), twice: [np.mul(x, 2)] }];
  const x = f32([0.5, 1]);
  const [g, aux] = grad(f, { hasAux: true })(x) as [tf.Tensor, { mean: tf.Tensor; twice: tf.Tensor[] }];
  await allCloseAsync(g, [1, 2]);
  await allCloseAsync(aux.mean, 0.75);
  await allCloseAsync(aux.twice[0], [1, 2]);
  const [[v, aux2], g2] = valueAndGrad(f, { hasAux: true })(x) as [[tf.Tensor, { mean: tf.Tensor }], tf.Tensor];
  await allCloseAsync(v, 1.25);
  await allCloseAsync(aux2.mean, 0.75);
  await allCloseAsync(g2, [1, 2]);
  assert.match(errorOf(() => grad((x: A) => np.sum(x), { hasAux: true })(x)), /hasAux: the function must return \[value, aux\]/);
});

Args('hasAux under vmap and jit', async () => {
  const f = (x: A) => [np.sum(np.mul(x, x)), np.max(x)];
  const xs = f32([[1, 2], [3, -4]]);
  const [g, aux] = vmap(grad(f, { hasAux: true }))(xs) as [tf.Tensor, tf.Tensor];
  await allCloseAsync(g, [[2, 4], [6, -8]]);
  await allCloseAsync(aux, [2, 3]);
  const [gj, auxj] = jit(grad(f, { hasAux: true }))(f32([1, 2])) as [tf.Tensor, tf.Tensor];
  await allCloseAsync(gj, [2, 4]);
  await allCloseAsync(auxj, 2);
});

Args('gradients over pytree arguments keep the structure', async () => {
  const p = { b: f32([1]), w: [f32([2, 3]), { z: f32([4]) }] };
  const f = (p: any) => np.add(np.sum(np.mul(p.w[0], p.w[0])), np.mul(np.sum(p.b), np.sum(p.w[1].z)));
  const g = grad(f)(p);
  await treeClose(g, { b: f32([4]), w: [f32([4, 6]), { z: f32([1]) }] }, undefined, 'pytree grad');
});

Args.run();

// ---------------------------------------------------------------- customVjp and stopGradient

const Custom = suite(`transforms: customVjp, customJvp and stopGradient [${backend}]`);

/** Identity forward, gradient clipped to [-1, 1] backward. */
const clipGradient = customVjp((x: A) => x, {
  fwd: (x: A) => [x, null],
  bwd: (_res: null, g: A) => [np.clip(g, -1, 1)],
});

Custom('the forward value is f, the backward is the user rule (gradient clipping)', async () => {
  const x = f32([0.5, -2]);
  await allCloseAsync(clipGradient(x) as tf.Tensor, [0.5, -2]);
  const f = (x: A) => np.sum(np.mul(clipGradient(x), f32([10, -0.25])));
  // Without the rule the gradient would be [10, -0.25]; clipped: [1, -0.25].
  await allCloseAsync(grad(f)(x) as tf.Tensor, [1, -0.25]);
  await allCloseAsync(jit(grad(f))(x) as tf.Tensor, [1, -0.25]);
  await allCloseAsync(grad(jit(f))(x) as tf.Tensor, [1, -0.25]);
});

Custom('residuals, several arguments and pytree outputs', async () => {
  // f(x, y) = {p: x*y, s: sin(x)}, with the true derivative scaled by 2 so the rule is visibly used.
  const f = customVjp((x: A, y: A) => ({ p: np.mul(x, y), s: np.sin(x) }), {
    fwd: (x: A, y: A) => [{ p: np.mul(x, y), s: np.sin(x) }, { x, y, c: np.cos(x) }],
    bwd: (r: { x: A; y: A; c: A }, g: { p: A; s: A }) => [np.mul(np.add(np.mul(g.p, r.y), np.mul(g.s, r.c)), 2), np.mul(np.mul(g.p, r.x), 2)],
  });
  const x = f32([0.3, 0.7]);
  const y = f32([2, -1]);
  const out = f(x, y) as { p: tf.Tensor; s: tf.Tensor };
  await allCloseAsync(out.p, [0.6, -0.7]);
  const [gx, gy] = grad((x: A, y: A) => {
    const o = f(x, y) as { p: A; s: A };
    return np.add(np.sum(o.p), np.sum(o.s));
  }, { argnums: [0, 1] })(x, y) as tf.Tensor[];
  await allCloseAsync(gx, [2 * (2 + Math.cos(0.3)), 2 * (-1 + Math.cos(0.7))], trig(2));
  await allCloseAsync(gy, [0.6, 1.4], { rtol: 1e-5 });
});

Custom('under vmap(grad) the user rule is applied per example', async () => {
  const w = f32([10, 0.5]);
  const f = (x: A) => np.sum(np.mul(clipGradient(x), w));
  const pe = vmap(grad(f))(f32([[1, 2], [3, 4], [5, 6]])) as tf.Tensor;
  await allCloseAsync(pe, [[1, 0.5], [1, 0.5], [1, 0.5]]);
  const pej = jit(vmap(grad(f)))(f32([[1, 2], [3, 4], [5, 6]])) as tf.Tensor;
  await allCloseAsync(pej, [[1, 0.5], [1, 0.5], [1, 0.5]]);
  // Per-example clipping differs across the batch when the gradient depends on the example.
  const g = (x: A) => np.sum(np.mul(clipGradient(np.mul(x, x)), 1));
  await allCloseAsync(vmap(grad(g))(f32([[0.2, 3], [-0.3, -0.1]])) as tf.Tensor, [[0.4, 6], [-0.6, -0.2]]);
});

Custom('second order through a customVjp whose backward uses residuals', async () => {
  // sin with its derivative cos(x) carried as a residual: grad(grad) is -sin.
  const mySin = customVjp((x: A) => np.sin(x), {
    fwd: (x: A) => [np.sin(x), np.cos(x)],
    bwd: (c: A, g: A) => [np.mul(g, c)],
  });
  const x = f32([0.4, 1.2]);
  await allCloseAsync(grad((x: A) => np.sum(mySin(x) as A))(x) as tf.Tensor, [Math.cos(0.4), Math.cos(1.2)], trig(1));
  const g2 = grad((x: A) => np.sum(grad((x: A) => np.sum(mySin(x) as A))(x) as A))(x) as tf.Tensor;
  await allCloseAsync(g2, [-Math.sin(0.4), -Math.sin(1.2)], trig(1));
});

Custom('jvp (and jacfwd) of a customVjp function gives the clear error', () => {
  const msg = errorOf(() => jvp(clipGradient, [f32([1])], [f32([1])]));
  assert.match(msg, /forward-mode differentiation \(jvp, jacfwd, hessian\) of a customVjp function is not defined/);
  assert.match(errorOf(() => jacfwd((x: A) => clipGradient(x))(f32([1, 2]))), /forward-mode differentiation .* of a customVjp function/);
  // jacrev is reverse mode: fine.
  jacrev((x: A) => clipGradient(x))(f32([1, 2]));
});

Custom('hessian (forward over reverse) of a customVjp function differentiates its fwd/bwd rules, as in JAX', async () => {
  // The custom rule runs under the inner reverse pass; the outer forward pass sees only fwd and bwd,
  // which are ordinary code: for sin with a cos residual the Hessian is diag(-sin x).
  const mySin = customVjp((x: A) => np.sin(x), {
    fwd: (x: A) => [np.sin(x), np.cos(x)],
    bwd: (c: A, g: A) => [np.mul(g, c)],
  });
  const h = hessian((x: A) => np.sum(mySin(x) as A))(f32([0.4, 1.2])) as tf.Tensor;
  await allCloseAsync(h, [[-Math.sin(0.4), 0], [0, -Math.sin(1.2)]], trig(1, { rtol: 1e-5, atol: 1e-6 }));
});

Custom('bwd returning the wrong number of cotangents is an error', () => {
  const bad = customVjp((x: A, y: A) => np.mul(x, y), { fwd: (x: A, y: A) => [np.mul(x, y), null], bwd: (_r: null, g: A) => [g] });
  assert.match(errorOf(() => grad((x: A) => np.sum(bad(x, x) as A))(f32([1]))), /bwd must return an array with one cotangent per argument \(2\)/);
});

Custom('under vmap, the cotangent of an unmapped argument of a customVjp / customJvp function is summed over the batch', async () => {
  // d/dy sum_i f(a_i, y) with f = a·y is sum_i a_i = 5, a scalar as y is (not one cotangent per example).
  const mulVjp = customVjp((x: A, y: A) => np.mul(x, y), { fwd: (x: A, y: A) => [np.mul(x, y), [x, y]], bwd: ([x, y]: A[], g: A) => [np.mul(g, y), np.mul(g, x)] });
  const mulJvp = customJvp((x: A, y: A) => np.mul(x, y), ([x, y]: A[], [tx, ty]: A[]) => [np.mul(x, y), np.add(np.mul(tx, y), np.mul(x, ty))]);
  for (const f of [mulVjp, mulJvp]) {
    const gy = grad((y: A) => np.sum(vmap((a: A) => f(a, y))(f32([2, 3]))))(tf.scalar(5)) as tf.Tensor;
    assert.equal(gy.shape, []);
    await allCloseAsync(gy, 5);
    const [gx, gy2] = grad((x: A, y: A) => np.sum(vmap(f, { inAxes: [0, null] })(x, y)), { argnums: [0, 1] })(f32([2, 3]), tf.scalar(5)) as tf.Tensor[];
    await allCloseAsync(gx, [5, 5]);
    await allCloseAsync(gy2, 5);
  }
});

Custom('a bwd cotangent or a customJvp tangent of the wrong shape is an error naming it (JAX checks both), not a gradient of another shape', () => {
  const badBwd = customVjp((x: A) => x, { fwd: (x: A) => [x, null], bwd: (_r: null, _g: A) => [np.ones([3])] });
  assert.is(errorOf(() => grad((x: A) => np.sum(badBwd(x) as A))(f32([1, 2]))), 'customVjp: bwd gave a cotangent of shape [3] for argument 0, of shape [2]; they must match');
  const badRule = customJvp((x: A) => x, ([x]: A[], _t: A[]) => [x, np.ones([3])]);
  assert.is(errorOf(() => jvp(badRule, [f32([1, 2])], [f32([1, 1])])), "customJvp: the rule's tangentOut 0 has shape [3], its output [2]; they must match");
  assert.match(errorOf(() => grad((x: A) => np.sum(badRule(x) as A))(f32([1, 2]))), /customJvp: the rule's tangentOut 0 has shape \[3\]/);
});

/** softplus with the rule sigmoid(x) · t; counts the rule's calls. */
function customSoftplus() {
  const calls = { rule: 0 };
  const f = customJvp(
    (x: A) => np.logaddexp(x, 0),
    ([x]: A[], [t]: A[]) => {
      calls.rule++;
      return [np.logaddexp(x, 0), np.mul(t, np.sigmoid(x))];
    },
  );
  return { f, calls };
}

Custom('customJvp: jvp, grad (the rule transposed), vmap, jit and second order all use the rule', async () => {
  const { f, calls } = customSoftplus();
  const x = f32([-2, 0, 3, 100]);
  const sig = [-2, 0, 3, 100].map((v) => 1 / (1 + Math.exp(-v)));
  await allCloseAsync(f(x) as tf.Tensor, [-2, 0, 3, 100].map((v) => Math.log1p(Math.exp(-Math.abs(v))) + Math.max(v, 0)));
  await allCloseAsync(jvp(f, [x], [f32([1, 2, 1, 1])])[1] as tf.Tensor, sig.map((s, i) => s * [1, 2, 1, 1][i]));
  await allCloseAsync(grad((v: A) => np.sum(f(v)))(x) as tf.Tensor, sig);
  assert.ok(calls.rule >= 2, 'the rule ran for jvp and for grad');
  await allCloseAsync(vmap(grad((v: A) => f(v)))(x) as tf.Tensor, sig);
  await allCloseAsync(jit(grad((v: A) => np.sum(f(v))))(x) as tf.Tensor, sig);
  await allCloseAsync(grad(jit((v: A) => np.sum(f(v))))(x) as tf.Tensor, sig);
  await allCloseAsync(jvp(vmap(f), [f32([0, 1])], [f32([1, 1])])[1] as tf.Tensor, [0.5, 1 / (1 + Math.exp(-1))]);
  const s1 = 1 / (1 + Math.exp(-1));
  await allCloseAsync(hessian((v: A) => np.sum(f(v)))(f32([0, 1])) as tf.Tensor, [[0.25, 0], [0, s1 * (1 - s1)]]);
});

Custom('customJvp: several arguments and pytree outputs; the rule, not the function, gives the derivative', async () => {
  // The rule deliberately differs from the function's true derivative (a straight-through round).
  const roundSt = customJvp((x: A) => np.round(x), ([x]: A[], [t]: A[]) => [np.round(x), t]);
  await allCloseAsync(grad((v: A) => np.sum(np.mul(roundSt(v), v)))(f32([0.4, 1.6])) as tf.Tensor, [0.4 + 0, 1.6 + 2]);
  const both = customJvp(
    (a: A, b: A) => ({ p: np.mul(a, b), s: np.add(a, b) }),
    ([a, b]: A[], [ta, tb]: A[]) => [{ p: np.mul(a, b), s: np.add(a, b) }, { p: np.add(np.mul(ta, b), np.mul(a, tb)), s: np.add(ta, tb) }],
  );
  const [ga, gb] = grad((a: A, b: A) => {
    const o = both(a, b) as { p: A; s: A };
    return np.sum(np.add(o.p, np.mul(o.s, 3)));
  }, { argnums: [0, 1] })(f32([1, 2]), f32([5, 7])) as A[];
  await allCloseAsync(ga as tf.Tensor, [8, 10]);
  await allCloseAsync(gb as tf.Tensor, [4, 5]);
  const bad = customJvp((x: A) => np.mul(x, 2), ([x]: A[], [t]: A[]) => [np.mul(x, 2), [t]]);
  assert.throws(() => jvp(bad, [f32([1])], [f32([1])]), /customJvp: the rule's tangentOut and the output/);
});

Custom('stopGradient passes the value and blocks the derivative', async () => {
  const x = f32([0.5, 1]);
  await allCloseAsync(stopGradient(x) as tf.Tensor, [0.5, 1]);
  // d/dx [sg(x)·x] = sg(x) = x
  await allCloseAsync(grad((x: A) => np.sum(np.mul(stopGradient(x), x)))(x) as tf.Tensor, [0.5, 1]);
  // np.stopGradient is the same primitive
  await allCloseAsync(grad((x: A) => np.sum(np.mul(np.stopGradient(x), x)))(x) as tf.Tensor, [0.5, 1]);
  const [, t] = jvp((x: A) => np.mul(stopGradient(x), x), [x], [f32([1, 1])]);
  await allCloseAsync(t as tf.Tensor, [0.5, 1]);
  // over a pytree, and under vmap / grad of grad
  const p = stopGradient({ a: x, b: [f32([2])] }) as { a: tf.Tensor; b: tf.Tensor[] };
  await allCloseAsync(p.b[0], [2]);
  await allCloseAsync(vmap((x: A) => stopGradient(np.mul(x, 2)))(f32([[1], [2]])) as tf.Tensor, [[2], [4]]);
  const g2 = grad((x: A) => np.sum(grad((x: A) => np.sum(np.mul(stopGradient(np.mul(x, x)), x)))(x) as A))(x) as tf.Tensor;
  await allCloseAsync(g2, [0, 0]); // d/dx of sg(x²) is 0
});

Custom.run();
