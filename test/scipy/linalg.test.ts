/**
 * scipy.linalg (lib/scipy/linalg.ts) against SciPy 1.10's float64 values at float32 inputs
 * (tools/numpy-fixtures-linalg-more.py writes test/fixtures/linalg_more.json): triangular,
 * Cholesky and LU solves, lu / lu_factor with SciPy's pivots, expm (all three Pade degrees and
 * a squaring) and its gradient against expm_frechet, special matrices; vmap and jit.
 *
 * Tolerances: the matrices are 3 x 3 to 5 x 5 with cond_2 <= 4.2 (U4, L4 2.7, Spd 4.1, A 2.3,
 * W 1.6): substitution and LU are backward stable, n * cond * eps <= 3e-6 relative, so
 * rtol 1e-4 / atol 1e-5 (entries O(1)) leaves a margin. expm: JAX's float32 scheme uses the
 * degree-7 Pade approximant up to |A|_1 < 7.85 (floor, not ceil, in its squaring count); at the
 * fixture's |A|_1 = 5.25 its truncation error is 5e-10 (float64 against SciPy), so rounding
 * dominates: measured 2e-7 (no squaring) to 6.5e-7 (one squaring, gradient) of the largest
 * entry (up to 4.6): atol 3e-6 with rtol 1e-5 for values and gradients.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy, vmap } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Nested, allCloseAsync, errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();
const S = suite(`scipy.linalg against SciPy [${backend}]`);
const L = scipy.linalg;
const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg_more.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const t = (v: unknown) => tf.tensor(v as number[], undefined, 'float32');
const tol = { rtol: 1e-4, atol: 1e-5 };
const expmTol = { rtol: 1e-5, atol: 3e-6 };
const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());

S('solveTriangular: upper (default), lower, trans, unitDiagonal; reads one triangle only', async () => {
  const [U, Lo, c] = [t(fx.U4), t(fx.L4), t(fx.c4)];
  await allCloseAsync(L.solveTriangular(U, c) as tf.Tensor, fx.st_upper as Nested, tol);
  await allCloseAsync(L.solveTriangular(Lo, c, { lower: true }) as tf.Tensor, fx.st_lower as Nested, tol);
  const c0 = tf.squeeze(tf.slice(c, [0, 0], [4, 1]), [1]);
  await allCloseAsync(L.solveTriangular(U, c0, { trans: 1 }) as tf.Tensor, fx.st_upper_T as Nested, tol);
  await allCloseAsync(L.solveTriangular(U, c0, { trans: 'T' }) as tf.Tensor, fx.st_upper_T as Nested, tol);
  await allCloseAsync(L.solveTriangular(Lo, c, { lower: true, unitDiagonal: true }) as tf.Tensor, fx.st_lower_unit as Nested, tol);
  // Garbage in the other triangle is ignored, as LAPACK's trtrs.
  await allCloseAsync(L.solveTriangular(np.add(U, np.tril(np.ones([4, 4]), -1)), c) as tf.Tensor, fx.st_upper as Nested, tol);
  // Batched: a [2, 4, 4] with b [2, 4] is a batched vector solve (JAX's rule); b [4] broadcasts.
  const ab = np.stack([U, U]);
  const xb = L.solveTriangular(ab, np.stack([c0, c0])) as tf.Tensor;
  assert.equal(xb.shape, [2, 4]);
  assert.equal((L.solveTriangular(ab, c0) as tf.Tensor).shape, [2, 4]);
  assert.is(errorOf(() => L.solveTriangular(U, c, { trans: 3 as 0 })), "solveTriangular: trans must be 0, 1, 2, 'N', 'T' or 'C', got 3");
});

S('cholesky (upper by default), choFactor / choSolve, solve with assumeA pos', async () => {
  const [Spd, A] = [t(fx.Spd), t(fx.A)];
  await allCloseAsync(L.cholesky(Spd) as tf.Tensor, fx.chol_upper as Nested, tol);
  await allCloseAsync(L.cholesky(Spd, true) as tf.Tensor, fx.chol_lower as Nested, tol);
  const b = tf.slice(A, [0, 0], [3, 2]);
  for (const lower of [false, true]) {
    const cf = L.choFactor(Spd, lower);
    assert.is(cf[1], lower);
    await allCloseAsync(L.choSolve(cf, b) as tf.Tensor, fx.cho_solve as Nested, tol, `choSolve lower=${lower}`);
    await allCloseAsync(L.solve(Spd, b, { assumeA: 'pos', lower }) as tf.Tensor, fx.cho_solve as Nested, tol, `solve pos lower=${lower}`);
  }
  await allCloseAsync(L.solve(Spd, b) as tf.Tensor, fx.cho_solve as Nested, tol, 'solve gen');
  // The derivative of the 'pos' solve is solve's (JAX's custom_linear_solve): -A^-T C x^T, not confined to a triangle.
  const C = np.ones([3, 2]);
  const gPos = grad((a: NdArray) => np.sum(np.mul(L.solve(a, b, { assumeA: 'pos' }), C)))(Spd);
  const gGen = grad((a: NdArray) => np.sum(np.mul(np.linalg.solve(a, b), C)))(Spd);
  await allCloseAsync(gPos as tf.Tensor, await read(gGen), tol);
  // Not positive definite: NaN, as JAX.
  assert.ok((await read(L.cholesky(np.array([[1, 2], [2, 1]])))).every(Number.isNaN));
});

S("luFactor: lu and SciPy's LAPACK pivots (square and wide); luSolve with trans 0 and 1", async () => {
  const A = t(fx.A);
  const [lu, piv] = L.luFactor(A);
  const [wantLu, wantPiv] = fx.lu_factor_A as [Nested, number[]];
  await allCloseAsync(lu as tf.Tensor, wantLu, tol);
  assert.is((piv as tf.Tensor).dtype, 'int32');
  assert.equal(await read(piv), wantPiv);
  assert.equal(await read(L.luFactor(t(fx.W))[1]), fx.lu_factor_W_piv);
  const b = tf.squeeze(tf.slice(A, [0, 0], [4, 1]), [1]);
  await allCloseAsync(L.luSolve([lu, piv], b) as tf.Tensor, fx.lu_solve_A as Nested, tol);
  await allCloseAsync(L.luSolve([lu, piv], b, 1) as tf.Tensor, fx.lu_solve_A_T as Nested, tol);
  // Batched factors with a matrix right-hand side.
  const [lub, pivb] = L.luFactor(np.stack([A, A]));
  const xb = L.luSolve([lub, pivb], np.stack([np.expandDims(b, -1), np.expandDims(b, -1)])) as tf.Tensor;
  assert.equal(xb.shape, [2, 4, 1]);
  await allCloseAsync(xb, [...(fx.lu_solve_A as number[]), ...(fx.lu_solve_A as number[])], tol);
});

S('lu: p, l, u as SciPy for square, wide and tall matrices; permuteL', async () => {
  for (const name of ['A', 'W', 'T'] as const) {
    const [p, l, u] = L.lu(t(fx[name])) as [NdArray, NdArray, NdArray];
    const want = fx[`lu_${name}`] as Nested[];
    await allCloseAsync(p as tf.Tensor, want[0], tol, `${name} p`);
    await allCloseAsync(l as tf.Tensor, want[1], tol, `${name} l`);
    await allCloseAsync(u as tf.Tensor, want[2], tol, `${name} u`);
    const [pl, u2] = L.lu(t(fx[name]), true);
    await allCloseAsync(np.matmul(pl, u2) as tf.Tensor, fx[name] as Nested, tol, `${name} = (p l) u`);
  }
});

S('expm: Pade degrees 3, 5, 7 and a squaring against SciPy; the gradient against expm_frechet', async () => {
  const Es = (fx.Es as Nested[]).map(t);
  const want = fx.expm as Nested[];
  const Ce = t(fx.Ce);
  const g = jit(grad((a: NdArray) => np.sum(np.mul(L.expm(a), Ce))));
  for (let i = 0; i < Es.length; i++) {
    await allCloseAsync(L.expm(Es[i]) as tf.Tensor, want[i], expmTol, `expm ${i} (|A|_1 = ${(fx.expm_norm1 as number[])[i]})`);
    await allCloseAsync(g(Es[i]) as tf.Tensor, (fx.expm_grad as Nested[])[i], expmTol, `grad expm ${i}`);
  }
  // Batched and vmapped agree; zero gives the identity (with a finite gradient); upper triangular.
  const stacked = np.stack(Es);
  await allCloseAsync(L.expm(stacked) as tf.Tensor, want.flatMap((m) => (m as number[][]).flat()), expmTol);
  await allCloseAsync(vmap((a: NdArray) => L.expm(a))(stacked) as tf.Tensor, want.flatMap((m) => (m as number[][]).flat()), expmTol);
  await allCloseAsync(L.expm(np.zeros([2, 2])) as tf.Tensor, [1, 0, 0, 1], tol);
  assert.ok((await read(grad((a: NdArray) => np.sum(L.expm(a)))(np.zeros([2, 2])))).every(Number.isFinite));
  await allCloseAsync(L.expm(np.array([[1, 2], [0, 1]]), { upperTriangular: true }) as tf.Tensor, [Math.E, 2 * Math.E, 0, Math.E], tol);
  // More squarings than allowed: NaN, as JAX.
  assert.ok((await read(L.expm(np.array([[1000, 0], [0, 1]]), { maxSquarings: 4 }))).every(Number.isNaN));
});

S('blockDiag, toeplitz, circulant, hilbert against SciPy; det / inv re-exported', async () => {
  const bd = L.blockDiag(np.eye(2), np.array([[5]]), np.array([1, 2, 3]), np.array(7)) as tf.Tensor;
  assert.equal(bd.shape, [5, 7]);
  await allCloseAsync(bd, fx.block_diag as Nested, tol);
  await allCloseAsync(L.toeplitz(np.array([1, 2, 3, 4]), np.array([1, -1, -2])) as tf.Tensor, fx.toeplitz as Nested, tol);
  await allCloseAsync(L.toeplitz(np.array([1, 2, 3])) as tf.Tensor, fx.toeplitz_sym as Nested, tol);
  await allCloseAsync(L.circulant(np.array([1, 2, 3, 4])) as tf.Tensor, fx.circulant as Nested, tol);
  await allCloseAsync(L.hilbert(4) as tf.Tensor, fx.hilbert as Nested, tol);
  // Batched first columns (JAX's vectorised toeplitz / circulant).
  assert.equal((L.circulant(np.ones([2, 3])) as tf.Tensor).shape, [2, 3, 3]);
  assert.equal((L.toeplitz(np.ones([2, 3]), np.ones([4])) as tf.Tensor).shape, [2, 3, 4]);
  await allCloseAsync(L.det(t(fx.A)) as tf.Tensor, await read(np.linalg.det(t(fx.A))), tol);
  assert.is(errorOf(() => L.blockDiag(np.ones([1, 1, 1]))), 'blockDiag: arrays must have at most 2 dimensions, got [1,1,1] at argument 0');
  assert.is(errorOf(() => L.expm(np.ones([2, 3]))), 'expm: a must be [..., n, n], got [2,3]');
});

S.run();
