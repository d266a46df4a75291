/**
 * np.linalg and scipy.linalg edge cases and additions against NumPy 1.24 / SciPy 1.10 float64
 * values (tools/linalg-sweep-fixtures.py writes test/fixtures/linalg_sweep.json): empty
 * matrices (cholesky, pinv), the sign of a zero singular value (cond of a singular matrix is
 * +inf, not -inf), svd / pinv with hermitian, and scipy.linalg's eigh,
 * svd, qr modes, polar, eigh_tridiagonal, expm_frechet and solve_sylvester.
 *
 * Tolerances: the fixture matrices are 2 x 2 to 3 x 3 with cond_2 <= 8 (H 3.1, P 1.6, the
 * Sylvester system 3.5, the 6 x 6 expm block of A/4 about 2); float32 Jacobi / LU / Pade are
 * backward stable, n * cond * eps <= 3e-6 relative: rtol 1e-4 with atol 1e-5 for O(1) entries.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, np, scipy } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Nested, allCloseAsync, errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();
const S = suite(`np.linalg / scipy.linalg sweep [${backend}]`);
const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg_sweep.json', import.meta.url), 'utf8')) as Record<string, Nested>;
const t = (v: Nested) => tf.tensor(v as number[], undefined, 'float32');
const tol = { rtol: 1e-4, atol: 1e-5 };
const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
const L = scipy.linalg;

S('cholesky of an empty matrix is empty (NumPy), not a crash', async () => {
  const c = np.linalg.cholesky(np.zeros([2, 0, 0]));
  assert.equal(np.shape(c), [2, 0, 0]);
});

S('pinv of an empty [0, 3] is an empty [3, 0] (JAX), not a crash', async () => {
  assert.equal(np.shape(np.linalg.pinv(np.zeros([0, 3]))), [3, 0]);
  assert.equal(np.shape(np.linalg.pinv(np.zeros([2, 4, 0]))), [2, 0, 4]);
});

S('a zero singular value is +0: cond of a singular matrix is +inf, 1/svdvals +inf', async () => {
  const sing = np.array([[1, 2], [2, 4]]);
  const c = (await read(np.linalg.cond(sing)))[0];
  assert.ok(c > 1e6, `cond of a singular matrix should be +inf (or huge), got ${c}`);
  const s = np.linalg.svdvals(np.array([[1, 0], [0, 0]]));
  assert.equal(await read(np.div(1, s)), [1, Infinity]);
});

S('svd and pinv with hermitian (from eigh, as JAX) against NumPy', async () => {
  const h = t(fx.H);
  const s = np.linalg.svd(h, true, false, true);
  await allCloseAsync(s as tf.Tensor, fx.svd_h_s, tol);
  const [u, s2, vh] = np.linalg.svd(h, true, true, true);
  await allCloseAsync(np.matmul(np.mul(u, np.expandDims(s2, -2)), vh) as tf.Tensor, fx.H, tol);
  await allCloseAsync(np.matmul(np.linalg.matrixTranspose(u), u) as tf.Tensor, np.eye(3) as tf.Tensor, tol);
  await allCloseAsync(np.linalg.pinv(h, null, true) as tf.Tensor, fx.pinv_h, tol);
});

S('scipy.linalg.eigh / svd / qr under SciPy signatures', async () => {
  const h = t(fx.H);
  const w = L.eigh(h, { eigvalsOnly: true }) as NdArray;
  await allCloseAsync(w as tf.Tensor, await read(np.linalg.eigvalsh(h)), tol);
  const [w2, v] = L.eigh(h) as [NdArray, NdArray];
  await allCloseAsync(np.matmul(h, v) as tf.Tensor, await read(np.mul(v, np.expandDims(w2, -2))), tol);
  const s = L.svd(t(fx.P), { computeUv: false }) as NdArray;
  const [u, s2, vh] = L.svd(t(fx.P)) as [NdArray, NdArray, NdArray];
  assert.equal([np.shape(u), np.shape(vh)], [[3, 3], [2, 2]]);
  await allCloseAsync(s as tf.Tensor, await read(s2), tol);
  const [q, r] = L.qr(t(fx.P));
  assert.equal([np.shape(q), np.shape(r)], [[3, 3], [3, 2]]);
  const [re] = L.qr(t(fx.P), { mode: 'r' });
  await allCloseAsync(re as tf.Tensor, fx.qr_r, tol);
  const [qe, rr] = L.qr(t(fx.P), { mode: 'economic' });
  assert.equal([np.shape(qe), np.shape(rr)], [[3, 2], [2, 2]]);
});

S('scipy.linalg.polar right and left against SciPy', async () => {
  const [u, p] = L.polar(t(fx.P));
  const [eu, ep] = fx.polar_right as Nested[];
  await allCloseAsync(u as tf.Tensor, eu, tol);
  await allCloseAsync(p as tf.Tensor, ep, tol);
  const [ul, pl] = L.polar(np.linalg.matrixTranspose(t(fx.P)), 'left');
  const [elu, elp] = fx.polar_left as Nested[];
  await allCloseAsync(ul as tf.Tensor, elu, tol);
  await allCloseAsync(pl as tf.Tensor, elp, tol);
});

S('scipy.linalg.solveSylvester, expmFrechet, eighTridiagonal against SciPy', async () => {
  await allCloseAsync(L.solveSylvester(t(fx.A), t(fx.B), t(fx.Q)) as tf.Tensor, fx.sylvester, tol);
  const [ea, l] = L.expmFrechet(t(fx.Am), t(fx.E)) as [NdArray, NdArray];
  const [eea, el] = fx.frechet as Nested[];
  await allCloseAsync(ea as tf.Tensor, eea, tol);
  await allCloseAsync(l as tf.Tensor, el, tol);
  await allCloseAsync(L.expmFrechet(t(fx.Am), t(fx.E), { computeExpm: false }) as tf.Tensor, el, tol);
  await allCloseAsync(L.eighTridiagonal(t(fx.d), t(fx.e)) as tf.Tensor, fx.tridiag, tol);
  assert.match(errorOf(() => L.eighTridiagonal(t(fx.d), t(fx.d))), 'eighTridiagonal: d must be [n] and e [n - 1]');
  assert.match(errorOf(() => L.solveSylvester(t(fx.A), t(fx.B), t(fx.B))), 'solveSylvester: need a [m, m], b [n, n] and q [m, n]');
});

S.run();
