/**
 * np.linalg's lstsq, matrixRank, cond, multiDot, tensorsolve, tensorinv, svdvals, the matrix
 * norms from singular values (2, -2, 'nuc'), NumPy 2's array-API names, and cholesky's JAX
 * semantics (symmetrised input, all-NaN factor when not positive definite), against NumPy's
 * float64 values (tools/numpy-fixtures-linalg-more.py writes test/fixtures/linalg_more.json);
 * derivatives against closed forms; vmap and jit.
 *
 * Tolerances: the fixture matrices are small (n <= 6) and well conditioned (cond_2: T 2.4, A 2.3,
 * tensorsolve's 6 x 6 7.0, tensorinv's 6 x 6 15.5). The Jacobi svd and LU are backward stable,
 * so a float32 result is off by about n * cond * eps (eps = 1.2e-7): at most 1e-5 relative here;
 * rtol 1e-4 with atol 1e-5 (entries O(1)) leaves a margin of 10. cond multiplies two norms
 * (or divides two singular values) of that accuracy: rtol 1e-4.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Nested, allCloseAsync, errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();
const S = suite(`np.linalg more [${backend}]`);
const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg_more.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const t = (v: unknown) => tf.tensor(v as number[], undefined, 'float32');
const tol = { rtol: 1e-4, atol: 1e-5 };
const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());

interface Lstsq {
  x: Nested;
  res: Nested;
  rank: number;
  s: Nested;
}

S('cholesky: not positive definite gives a factor NaN everywhere (JAX), batched per matrix', async () => {
  // The second pivot is -3 - 1 < 0: LAPACK's potrf fails and JAX fills the whole factor with NaN.
  const bad = [
    [4, 2, 1],
    [2, -3, 0],
    [1, 0, 2],
  ];
  const good = [
    [4, 2, 0],
    [2, 5, 1],
    [0, 1, 3],
  ];
  const l = np.linalg.cholesky(np.array([bad, good]));
  const v = await read(l);
  assert.ok(v.slice(0, 9).every(Number.isNaN), `non-PD factor: ${v.slice(0, 9)}`);
  assert.ok(v.slice(9).every(Number.isFinite), 'the PD matrix of the batch is unaffected');
  await allCloseAsync(np.matmul(l, np.swapaxes(l, -1, -2)) as tf.Tensor, [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, ...good.flat()], tol);
  // A zero pivot (positive semi-definite) also fails in LAPACK.
  assert.ok((await read(np.linalg.cholesky(np.array([[4, 2], [2, 1]])))).every(Number.isNaN));
});

S('cholesky: the input is symmetrised as JAX (symmetrizeInput false reads the lower triangle); upper', async () => {
  const a = np.array([
    [4, 2],
    [0, 2],
  ]);
  // (a + a^T) / 2 = [[4, 1], [1, 2]]: L = [[2, 0], [0.5, sqrt(1.75)]].
  await allCloseAsync(np.linalg.cholesky(a) as tf.Tensor, [2, 0, 0.5, Math.sqrt(1.75)], tol);
  await allCloseAsync(np.linalg.cholesky(a, false, false) as tf.Tensor, [2, 0, 0, Math.SQRT2], tol);
  await allCloseAsync(np.linalg.cholesky(a, true) as tf.Tensor, [2, 0.5, 0, Math.sqrt(1.75)], tol);
  // int input promotes (jax.numpy), and the gradient of a symmetrised input is symmetric.
  await allCloseAsync(np.linalg.cholesky(np.array([[9, 3], [3, 5]], 'int32')) as tf.Tensor, [3, 0, 1, 2], tol);
  const g = grad((x: NdArray) => np.sum(np.linalg.cholesky(x)))(np.array([[4, 1], [1, 2]]));
  const gv = await read(g);
  assert.ok(Math.abs(gv[1] - gv[2]) < 1e-6, `symmetric gradient: ${gv}`);
});

S('lstsq: x, residuals, rank and s against NumPy (vector and matrix b), JAX shapes and dtypes', async () => {
  const [T, b, B] = [t(fx.T), t(fx.b5), t(fx.B5)];
  for (const [rhs, want] of [
    [b, fx.lstsq_vec as Lstsq],
    [B, fx.lstsq_mat as Lstsq],
  ] as const) {
    const [x, res, rank, s] = np.linalg.lstsq(T, rhs);
    await allCloseAsync(x as tf.Tensor, want.x, tol, 'lstsq x');
    await allCloseAsync(res as tf.Tensor, want.res, { rtol: 1e-4, atol: 1e-4 }, 'lstsq residuals');
    await allCloseAsync(s as tf.Tensor, want.s, tol, 'lstsq s');
    assert.equal((x as tf.Tensor).shape, shapeOf(want.x));
    assert.equal((res as tf.Tensor).shape, shapeOf(want.res)); // [1] for a vector b, as NumPy and JAX
    assert.is((rank as tf.Tensor).dtype, 'int32');
    assert.is((await read(rank))[0], want.rank);
  }
  // Rank deficient (rank 2): the minimum-norm solution, with an explicit rcond.
  const R = t(fx.R);
  const want = fx.lstsq_R as Lstsq;
  const [x, , rank] = np.linalg.lstsq(R, tf.slice(b, 0, 4), 1e-4);
  await allCloseAsync(x as tf.Tensor, want.x, tol, 'rank-deficient lstsq');
  assert.is((await read(rank))[0], 2);
});

S('lstsq: grad with respect to b is A (A^T A)^-1 C; jit and vmap agree', async () => {
  const [T, B, C] = [t(fx.T), t(fx.B5), t(fx.C3)];
  const f = (bb: NdArray) => np.sum(np.mul(np.linalg.lstsq(T, bb)[0], C));
  await allCloseAsync(grad(f)(B) as tf.Tensor, fx.lstsq_grad_b as Nested, tol, 'grad b');
  await allCloseAsync(jit(grad(f))(B) as tf.Tensor, fx.lstsq_grad_b as Nested, tol, 'jit grad b');
  const xs = vmap((bb: NdArray) => np.linalg.lstsq(T, bb)[0], { inAxes: 1, outAxes: 1 })(B);
  await allCloseAsync(xs as tf.Tensor, (fx.lstsq_mat as Lstsq).x, tol, 'vmap over columns');
});

S('matrixRank: NumPy default tolerance, an absolute tol, batches, 1-D', async () => {
  const ms = [fx.A, fx.R, fx.T, [[0, 0, 0], [0, 0, 0], [0, 0, 0]]];
  const want = fx.rank as number[];
  for (let i = 0; i < ms.length; i++) assert.is((await read(np.linalg.matrixRank(t(ms[i]))))[0], want[i], `rank of matrix ${i}`);
  const stacked = np.linalg.matrixRank(np.stack([t(fx.A), np.mul(t(fx.A), np.array([[1], [1], [0], [0]]))]));
  assert.equal(await read(stacked), [4, 2]);
  assert.is((stacked as tf.Tensor).dtype, 'int32');
  // An absolute threshold between A's singular values.
  const s = await read(np.linalg.svdvals(t(fx.A)));
  assert.is((await read(np.linalg.matrixRank(t(fx.A), (s[1] + s[2]) / 2)))[0], 2);
  assert.is((await read(np.linalg.matrixRank(np.array([0, 0, 1]))))[0], 1);
  assert.is((await read(np.linalg.matrixRank(np.array([0, 0]))))[0], 0);
});

S('cond: every p against NumPy; tall matrices for 2 / -2; singular gives inf', async () => {
  const A = t(fx.A);
  const want = fx.cond as Record<string, number>;
  const ps: [string, np.NormOrder][] = [
    ['None', null],
    ['2', 2],
    ['-2', -2],
    ['fro', 'fro'],
    ['nuc', 'nuc'],
    ['1', 1],
    ['-1', -1],
    ['inf', Infinity],
    ['-inf', -Infinity],
  ];
  for (const [k, p] of ps) await allCloseAsync(np.linalg.cond(A, p) as tf.Tensor, want[k], tol, `cond p=${k}`);
  await allCloseAsync(np.linalg.cond(t(fx.T)) as tf.Tensor, (fx.cond_T as number[])[0], tol);
  await allCloseAsync(np.linalg.cond(t(fx.T), -2) as tf.Tensor, (fx.cond_T as number[])[1], tol);
  const sing = np.array([
    [1, 2],
    [2, 4],
  ]);
  for (const p of [1, 'fro'] as const) assert.equal(await read(np.linalg.cond(sing, p)), [Infinity], `singular, p=${p}`);
  assert.is(errorOf(() => np.linalg.cond(t(fx.T), 1)), 'cond: for p = 1 x must be square, got [5,3]');
});

S("norm: matrix ord 2, -2 and 'nuc' from singular values, over any two axes with keepdims; their gradients", async () => {
  const T = t(fx.T);
  const want = fx.norm_T as Record<string, number>;
  for (const o of [2, -2, 'nuc'] as const) await allCloseAsync(np.linalg.norm(T, o) as tf.Tensor, want[String(o)], tol, `norm ${o}`);
  const X3 = t(fx.X3);
  for (const o of [2, -2, 'nuc'] as const) {
    const y = np.linalg.norm(X3, o, [0, 2], true) as tf.Tensor;
    assert.equal(y.shape, [1, 3, 1]);
    await allCloseAsync(y, (fx.norm_X3 as Record<string, Nested>)[String(o)], tol, `norm ${o} axes (0, 2)`);
  }
  // d |T|_* = U V^T and d |T|_2 = u_1 v_1^T (distinct nonzero singular values).
  await allCloseAsync(grad((x: NdArray) => np.linalg.norm(x, 'nuc'))(T) as tf.Tensor, fx.grad_nuc_T as Nested, { rtol: 1e-3, atol: 1e-4 });
  await allCloseAsync(grad((x: NdArray) => np.linalg.norm(x, 2))(T) as tf.Tensor, fx.grad_2_T as Nested, { rtol: 1e-3, atol: 1e-4 });
  assert.is(errorOf(() => np.linalg.norm(T, 3)), "norm: matrix norm ord 3 is not one of 'fro', 'nuc', 1, -1, 2, -2, Infinity, -Infinity");
  assert.is(errorOf(() => np.linalg.norm(np.array([1, 2]), 'nuc')), "norm: ord 'nuc' is a matrix norm; it needs two axes");
  // Vector ord 0 counts nonzeros; matrix -Infinity is the smallest row sum.
  await allCloseAsync(np.linalg.norm(np.array([0, 2, 0, -1]), 0) as tf.Tensor, 2, tol);
  await allCloseAsync(np.linalg.norm(T, -Infinity) as tf.Tensor, 3, tol);
});

S('multiDot, tensorsolve, tensorinv against NumPy', async () => {
  const P = (fx.P as Nested[]).map(t);
  await allCloseAsync(np.linalg.multiDot(P) as tf.Tensor, fx.multi_dot as Nested, tol);
  assert.equal((np.linalg.multiDot(P) as tf.Tensor).shape, [2]);
  assert.equal((np.linalg.multiDot([P[1], P[2]]) as tf.Tensor).shape, [5, 6]);
  await allCloseAsync(np.linalg.tensorsolve(t(fx.Ta), t(fx.Tb)) as tf.Tensor, fx.tensorsolve as Nested, tol);
  const ti = np.linalg.tensorinv(t(fx.Ti)) as tf.Tensor;
  assert.equal(ti.shape, [3, 2, 2, 3]);
  await allCloseAsync(ti, fx.tensorinv as Nested, tol);
  assert.is(errorOf(() => np.linalg.multiDot([P[0], P[2]])), 'multiDot: shapes [2,5], [3,6] do not chain');
  assert.is(errorOf(() => np.linalg.tensorinv(tf.zeros([2, 3, 4]))), 'tensorinv: the first 2 axes of [2,3,4] must have as many elements as the others');
});

S("NumPy 2 names: vecdot, matrixTranspose, outer, cross, diagonal, trace, matrixNorm, vectorNorm, svdvals", async () => {
  const x = np.array([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  await allCloseAsync(np.linalg.vecdot(x, np.array([1, 0, -1])) as tf.Tensor, [-2, -2], tol);
  await allCloseAsync(np.vecdot(x, np.array([[1], [2]]), { axis: 0 }) as tf.Tensor, [9, 12, 15], tol);
  assert.equal((np.linalg.matrixTranspose(tf.zeros([4, 2, 3])) as tf.Tensor).shape, [4, 3, 2]);
  await allCloseAsync(np.linalg.outer(np.array([1, 2]), np.array([1, 0, -1])) as tf.Tensor, [1, 0, -1, 2, 0, -2], tol);
  await allCloseAsync(np.linalg.cross(np.array([1, 0, 0]), np.array([0, 1, 0])) as tf.Tensor, [0, 0, 1], tol);
  await allCloseAsync(np.linalg.diagonal(tf.reshape(tf.range(0, 8), [2, 2, 2]), { offset: 0 }) as tf.Tensor, [0, 3, 4, 7], tol);
  await allCloseAsync(np.linalg.trace(tf.reshape(tf.range(0, 8), [2, 2, 2])) as tf.Tensor, [3, 11], tol);
  await allCloseAsync(np.linalg.matrixNorm(x) as tf.Tensor, Math.sqrt(91), tol);
  await allCloseAsync(np.linalg.matrixNorm(x, { ord: 1, keepdims: true }) as tf.Tensor, [[9]], tol);
  await allCloseAsync(np.linalg.vectorNorm(x) as tf.Tensor, Math.sqrt(91), tol); // all axes are one vector
  const vn = np.linalg.vectorNorm(x, { axis: 1, ord: 1, keepdims: true }) as tf.Tensor;
  assert.equal(vn.shape, [2, 1]);
  await allCloseAsync(vn, [[6], [15]], tol);
  await allCloseAsync(np.linalg.svdvals(t(fx.T)) as tf.Tensor, (fx.lstsq_vec as Lstsq).s, tol);
  assert.is(errorOf(() => np.linalg.outer(x, x)), 'linalg.outer: x1 and x2 must be 1-D, got [2,3] and [2,3]');
  assert.is(errorOf(() => np.linalg.cross(np.array([1, 0]), np.array([0, 1]))), 'linalg.cross: x1 and x2 must hold 3-vectors along axis -1, got [2] and [2]');
});

S('vmap and jit: cond and matrixRank mapped over a stack equal the batched calls', async () => {
  const as = np.stack([t(fx.A), np.add(t(fx.A), np.eye(4))]);
  await allCloseAsync(vmap((a: NdArray) => np.linalg.cond(a))(as) as tf.Tensor, (await read(np.linalg.cond(as))) as number[], tol);
  await allCloseAsync(jit((a: NdArray) => np.linalg.cond(a, 'fro'))(as) as tf.Tensor, (await read(np.linalg.cond(as, 'fro'))) as number[], tol);
  assert.equal(await read(vmap((a: NdArray) => np.linalg.matrixRank(a))(as)), [4, 4]);
});

function shapeOf(v: Nested): number[] {
  return Array.isArray(v) ? [v.length, ...shapeOf(v[0] as Nested)] : [];
}

S.run();
