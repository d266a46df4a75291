/**
 * np.linalg.qr, eigh, eigvalsh, svd and pinv (lib/ops/linalg-qr.ts, linalg-eigh.ts,
 * linalg-svd.ts) against NumPy's float64 values (tools/numpy-fixtures-linalg.py), eagerly, under jit
 * and vmap; properties (orthonormal factors that rebuild A); derivatives against NumPy's
 * closed forms or its float64 central differences; the one-line errors; no tensor leaks.
 *
 * Tolerances: Householder QR and Jacobi rotations are backward stable, |dA| <= c n eps |A|
 * (eps = 1.2e-7): with |A| <= 10 and n <= 16, reconstructions and orthonormality hold to
 * about 1e-5; 1e-4 leaves a margin of 10. QR's factors against NumPy's (same signs, as
 * LAPACK's) and eigenvalues/singular values against NumPy's are perturbed by at most
 * cond * |dA| (cond <= 2.5 for T, eigenvalue gaps >= 0.7 for Sym): rtol/atol 5e-5.
 * Derivatives of the decompositions divide by eigenvalue gaps and pivots: 5e-4.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { roundRobin } from '../../lib/ops/linalg-eigh.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Nested, allCloseAsync, errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();
const S = suite(`np.linalg qr/eigh/svd [${backend}]`);
const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg.json', import.meta.url), 'utf8')) as Record<string, Nested>;
const t = (name: string) => tf.tensor(fx[name] as number[], undefined, 'float32');
const vsNumpy = { rtol: 5e-5, atol: 5e-5 };
const prop = { rtol: 1e-4, atol: 1e-4 };
const dtol = { rtol: 5e-4, atol: 5e-4 };

/** Max |x^T x - I| over the last two axes (columns orthonormal). */
const gramMinusEye = (x: tf.Tensor) => tf.tidy(() => tf.sub(tf.matMul(x, x, true, false), tf.eye(x.shape[x.shape.length - 1])));

/** Runs f eagerly and under jit (each in a tidy), checks every output against `want` and that no tensor is left. */
async function eagerAndJitOuts(what: string, f: (x: NdArray) => NdArray[], x: tf.Tensor, want: (Nested | null)[], tl = vsNumpy): Promise<void> {
  const jitted = jit(f);
  for (const [mode, g] of [['eager', f], ['jit', jitted]] as const) {
    const before = tf.memory().numTensors;
    const outs = tf.tidy(() => g(x) as tf.Tensor[]);
    for (const [i, w] of want.entries()) if (w !== null) await allCloseAsync(outs[i], w, tl, `${what} output ${i} (${mode})`);
    tf.dispose(outs);
    jitted.clearCache();
    assert.is(tf.memory().numTensors, before, `${what} (${mode}): no tensor leaks`);
  }
}

S('qr: reduced, complete and r modes of tall and wide matrices match NumPy (LAPACK signs)', async () => {
  const [tall, wide] = [t('T'), tf.tidy(() => tf.transpose(t('T')))];
  await eagerAndJitOuts('qr tall', (x) => np.linalg.qr(x), tall, fx.qr_T as Nested[]);
  await eagerAndJitOuts('qr tall complete', (x) => np.linalg.qr(x, 'complete'), tall, fx.qr_T_complete as Nested[]);
  await eagerAndJitOuts('qr wide', (x) => np.linalg.qr(x), wide, fx.qr_W as Nested[]);
  await eagerAndJitOuts('qr wide r', (x) => [np.linalg.qr(x, 'r')], wide, [fx.qr_W_r]);
  const [q, r] = tf.tidy(() => np.linalg.qr(tall) as tf.Tensor[]);
  assert.equal([q.shape, r.shape], [[5, 3], [3, 3]]);
  tf.dispose([tall, wide, q, r]);
});

S('qr: Q orthonormal, R upper triangular, QR = A on random batched matrices; an upper-triangular input is kept', async () => {
  for (const shape of [[2, 7, 4], [3, 3], [4, 9]]) {
    const a = tf.randomNormal(shape, 0, 1, 'float32', shape[0]);
    const [q, r] = tf.tidy(() => np.linalg.qr(a, 'complete') as tf.Tensor[]);
    await allCloseAsync(gramMinusEye(q), 0, prop, `Q^T Q = I ${shape}`);
    await allCloseAsync(tf.tidy(() => tf.sub(tf.matMul(q, r), a)), 0, prop, `QR = A ${shape}`);
    const below = tf.tidy(() => tf.mul(r, tf.sub(1, tf.linalg.bandPart(tf.ones(r.shape.slice(-2)), 0, -1))));
    await allCloseAsync(below, 0, { rtol: 0, atol: 0 }, `R upper ${shape}`);
    tf.dispose([a, q, r, below]);
  }
  const u = tf.tensor2d([[2, 1], [0, -3]]);
  await eagerAndJitOuts('qr upper', (x) => np.linalg.qr(x), u, [[[1, 0], [0, 1]], [[2, 1], [0, -3]]], { rtol: 0, atol: 0 });
  u.dispose();
});

S('eigh, eigvalsh: ascending eigenvalues match NumPy; A V = V diag(w), V orthonormal (signs not compared)', async () => {
  const sym = t('Sym');
  await eagerAndJitOuts('eigh w', (x) => [np.linalg.eigh(x)[0], np.linalg.eigvalsh(x)], sym, [fx.eigh_w, fx.eigh_w]);
  for (const n of [1, 2, 3, 8, 16]) {
    const m = tf.randomNormal([n, n], 0, 1, 'float32', n);
    const a = tf.tidy(() => tf.add(m, tf.transpose(m)));
    const [w, v] = tf.tidy(() => np.linalg.eigh(a) as tf.Tensor[]);
    await allCloseAsync(tf.tidy(() => tf.sub(tf.matMul(a, v), tf.mul(v, w))), 0, prop, `A V = V diag(w), n = ${n}`);
    await allCloseAsync(gramMinusEye(v), 0, prop, `V^T V = I, n = ${n}`);
    const wv = Array.from(await w.data());
    assert.ok(wv.every((x, i) => i === 0 || wv[i - 1] <= x), `ascending, n = ${n}`);
    tf.dispose([m, a, w, v]);
  }
  tf.dispose(sym);
});

S('eigh: UPLO and symmetrizeInput (NumPy reads one triangle, JAX averages); vmap and batches', async () => {
  const sym = t('Sym');
  const junkUpper = tf.tidy(() => tf.add(tf.linalg.bandPart(sym, -1, 0), tf.mul(100, tf.sub(tf.linalg.bandPart(tf.ones([4, 4]), 0, -1), tf.eye(4)))));
  const lower = tf.tidy(() => np.linalg.eigh(junkUpper, 'L', false)[0] as tf.Tensor);
  await allCloseAsync(lower, fx.eigh_w, vsNumpy, 'UPLO L reads the lower triangle');
  const upper = tf.tidy(() => np.linalg.eigh(tf.transpose(junkUpper), 'U', false)[0] as tf.Tensor);
  await allCloseAsync(upper, fx.eigh_w, vsNumpy, 'UPLO U reads the upper triangle');
  const as = t('As');
  const sy = tf.tidy(() => tf.add(as, tf.transpose(as, [0, 2, 1])));
  const batched = tf.tidy(() => np.linalg.eigvalsh(sy) as tf.Tensor);
  const mapped = tf.tidy(() => vmap((x: NdArray) => np.linalg.eigvalsh(x))(sy) as tf.Tensor);
  await allCloseAsync(batched, fx.eigh_batch_w, vsNumpy, 'batched');
  await allCloseAsync(mapped, fx.eigh_batch_w, vsNumpy, 'vmap');
  tf.dispose([sym, junkUpper, lower, upper, as, sy, batched, mapped]);
});

S('eigh: gradients of eigenvalues (V diag(c) V^T) and of eigenvector projectors (NumPy differences)', async () => {
  const [sym, c4, cv] = [t('Sym'), t('c4'), t('Cv')];
  const fw = (x: NdArray) => np.sum(np.mul(np.linalg.eigh(x)[0], c4));
  const proj = (v: NdArray, k: number) => {
    const col = np.sliceAxis(v, 1, k, k + 1);
    return np.matmul(col, np.transpose(col));
  };
  const fv = (x: NdArray) => {
    const v = np.linalg.eigh(x)[1];
    return np.add(np.sum(np.mul(proj(v, 0), cv)), np.sum(np.mul(proj(v, 2), np.transpose(cv))));
  };
  for (const [what, f, want] of [['eigenvalues', fw, fx.grad_eigvals], ['eigenvectors', fv, fx.grad_eigvec]] as const) {
    const jitted = jit(grad(f));
    for (const [mode, g] of [['eager', grad(f)], ['jit', jitted]] as const) {
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => g(sym) as tf.Tensor);
      await allCloseAsync(out, want, dtol, `${what} (${mode})`);
      out.dispose();
      jitted.clearCache();
      assert.is(tf.memory().numTensors, before, `${what} (${mode}): no tensor leaks`);
    }
  }
  tf.dispose([sym, c4, cv]);
});

S('svd: singular values match NumPy (tall, wide, singular); U S Vh = A with orthonormal U and V', async () => {
  const [tall, wide, sing] = [t('T'), tf.tidy(() => tf.transpose(t('T'))), t('S')];
  await eagerAndJitOuts('svd s', (x) => [np.linalg.svd(x, false, false)], tall, [fx.svd_s]);
  await eagerAndJitOuts('svd s wide', (x) => [np.linalg.svd(x, true, false)], wide, [fx.svd_s_W]);
  await eagerAndJitOuts('svd s singular', (x) => [np.linalg.svd(x, true, false)], sing, [fx.svd_s_S]);
  tf.dispose([tall, wide, sing]);
  for (const [shape, full] of [[[6, 4], true], [[4, 6], true], [[2, 5, 3], false], [[3, 3], true]] as [number[], boolean][]) {
    const a = tf.randomNormal(shape, 0, 1, 'float32', shape[0] + 20);
    const [u, s, vh] = tf.tidy(() => np.linalg.svd(a, full) as tf.Tensor[]);
    const [m, n] = shape.slice(-2);
    const k = Math.min(m, n);
    assert.equal([u.shape.slice(-2), s.shape.slice(-1), vh.shape.slice(-2)], [[m, full ? m : k], [k], [full ? n : k, n]]);
    const rebuilt = tf.tidy(() => tf.matMul(tf.mul(tf.slice(u, 0, [...u.shape.slice(0, -1), k]), tf.expandDims(s, -2)), tf.slice(vh, 0, [...vh.shape.slice(0, -2), k, n])));
    await allCloseAsync(tf.tidy(() => tf.sub(rebuilt, a)), 0, prop, `U S Vh = A ${shape}`);
    await allCloseAsync(gramMinusEye(u), 0, prop, `U^T U = I ${shape}`);
    await allCloseAsync(gramMinusEye(tf.transpose(vh, [...vh.shape.keys()].map((i, _, all) => (i < all.length - 2 ? i : 2 * all.length - 3 - i)))), 0, prop, `V^T V = I ${shape}`);
    const sv = Array.from(await s.data());
    assert.ok(sv.every((x, i) => i % k === 0 || sv[i - 1] >= x), `descending ${shape}`);
    tf.dispose([a, u, s, vh, rebuilt]);
  }
});

S('svd: grad of the nuclear norm sum(s) is U Vh; pinv matches NumPy (full rank and singular)', async () => {
  const tall = t('T');
  const g = tf.tidy(() => grad((x: NdArray) => np.sum(np.linalg.svd(x, false, false)))(tall) as tf.Tensor);
  await allCloseAsync(g, fx.grad_nuclear, dtol, 'nuclear norm');
  g.dispose();
  await eagerAndJitOuts('pinv', (x) => [np.linalg.pinv(x)], tall, [fx.pinv_T]);
  const sing = t('S');
  await eagerAndJitOuts('pinv singular', (x) => [np.linalg.pinv(x)], sing, [fx.pinv_S]);
  tf.dispose([tall, sing]);
});

S('qr: gradient of sum(Q D) + sum(R E) against NumPy central differences', async () => {
  const [tall, d, e] = [t('T'), t('D'), t('E')];
  const f = (x: NdArray) => {
    const [q, r] = np.linalg.qr(x);
    return np.add(np.sum(np.mul(q, d)), np.sum(np.mul(r, e)));
  };
  const jitted = jit(grad(f));
  const before = tf.memory().numTensors;
  const [ge, gj] = tf.tidy(() => [grad(f)(tall), jitted(tall)] as tf.Tensor[]);
  await allCloseAsync(ge, fx.grad_qr, dtol, 'qr grad (eager)');
  await allCloseAsync(gj, fx.grad_qr, dtol, 'qr grad (jit)');
  tf.dispose([ge, gj]);
  jitted.clearCache();
  assert.is(tf.memory().numTensors, before, 'qr grad: no tensor leaks');
  tf.dispose([tall, d, e]);
});

S('roundRobin: every pair once per sweep, disjoint pairs in each round (even and odd n)', () => {
  for (const n of [2, 3, 6, 7]) {
    const seen = new Set<string>();
    for (const round of roundRobin(n)) {
      const used = round.flat();
      assert.is(new Set(used).size, used.length, `disjoint, n = ${n}`);
      for (const [p, q] of round) seen.add(`${p},${q}`);
    }
    assert.is(seen.size, (n * (n - 1)) / 2, `all pairs, n = ${n}`);
  }
});

S('errors: one line naming the function and the shape', () => {
  const v = tf.zeros([3]);
  const m = tf.zeros([3, 4]);
  assert.is(errorOf(() => np.linalg.qr(v)), 'qr: a must be [..., m, n], got [3]');
  assert.is(errorOf(() => np.linalg.qr(m, 'full' as 'complete')), "qr: mode must be 'reduced', 'complete', 'r' or 'raw', got 'full'");
  assert.is(errorOf(() => np.linalg.eigh(m)), 'eigh: a must be [..., n, n], got [3,4]');
  assert.is(errorOf(() => np.linalg.eigvalsh(v)), 'eigvalsh: a must be [..., n, n], got [3]');
  assert.is(errorOf(() => np.linalg.eigh(tf.zeros([2, 2]), 'X' as 'L')), "eigh: UPLO must be 'L' or 'U', got 'X'");
  assert.is(errorOf(() => np.linalg.svd(v)), 'svd: a must be [..., m, n], got [3]');
  assert.is(errorOf(() => np.linalg.pinv(v)), 'pinv: a must be [..., m, n], got [3]');
  tf.dispose([v, m]);
});

S.run();
