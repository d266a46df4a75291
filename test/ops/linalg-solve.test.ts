/**
 * np.linalg.solve, inv, det, slogdet and matrixPower (lib/ops/linalg-solve.ts) against NumPy's
 * float64 values (tools/numpy-fixtures-linalg.py writes test/fixtures/linalg.json), eagerly, under jit
 * and vmap; their analytic derivatives against NumPy's closed forms; properties on random
 * well-conditioned matrices; singular inputs; the one-line errors; no tensor leaks.
 *
 * Tolerances: LU with partial pivoting is backward stable, so a float32 result's relative error
 * is about cond(A) * n * eps (eps = 1.2e-7). The fixture matrices have cond_2 <= 4 and n <= 4,
 * so 2e-6 relative is the expected size; rtol 2e-5 with atol 2e-5 (entries are O(1)) leaves a
 * margin of 10. det and matrix powers multiply n or 2 log2|n| rounded factors: rtol 2e-5 too.
 * Random matrices M M^T / n + I have eigenvalues in [1, about 5] (cond <= 5), n <= 16:
 * residuals |A x - b| <= 1e-4 relative to |b| (16 * 5 * eps = 1e-5, margin 10).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, jvp, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Nested, allClose, allCloseAsync, errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();
const S = suite(`np.linalg solve/inv/det [${backend}]`);
const fx = JSON.parse(readFileSync(new URL('../fixtures/linalg.json', import.meta.url), 'utf8')) as Record<string, Nested>;
const t = (name: string) => tf.tensor(fx[name] as number[], undefined, 'float32');
const tol = { rtol: 2e-5, atol: 2e-5 };
const prop = { rtol: 1e-4, atol: 1e-4 };

/** Random well-conditioned [..., n, n] matrices M M^T / n + I (eigenvalues in [1, about 5]). */
function wellConditioned(shape: number[], seed: number): tf.Tensor {
  return tf.tidy(() => {
    const n = shape[shape.length - 1];
    const m = tf.randomNormal(shape, 0, 1, 'float32', seed);
    return tf.add(tf.div(tf.matMul(m, m, false, true), n), tf.eye(n));
  });
}

/** Runs f eagerly and under jit in a tidy each and checks its value and that no tensor is left. */
async function eagerAndJitClose(what: string, f: (...xs: NdArray[]) => NdArray, inputs: tf.Tensor[], want: Nested, tl = tol): Promise<void> {
  const jitted = jit(f);
  for (const [mode, g] of [['eager', f], ['jit', jitted]] as const) {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => g(...inputs) as tf.Tensor);
    await allCloseAsync(out, want, tl, `${what} (${mode})`);
    out.dispose();
    jitted.clearCache();
    assert.is(tf.memory().numTensors, before, `${what} (${mode}): no tensor leaks`);
  }
}

S('solve: a vector and a matrix right-hand side, eager and jit, against NumPy', async () => {
  const [a, b, bm] = [t('A'), t('b'), t('B')];
  await eagerAndJitClose('solve vec', np.linalg.solve, [a, b], fx.solve_vec);
  await eagerAndJitClose('solve mat', np.linalg.solve, [a, bm], fx.solve_mat);
  const x = np.linalg.solve(a, b) as tf.Tensor;
  assert.equal(x.shape, [4]);
  tf.dispose([a, b, bm, x]);
});

S('solve: batch dims broadcast (NumPy 2: 1-D b is one vector for every matrix)', async () => {
  const [as, bs, b] = [t('As'), t('Bs'), tf.tensor1d((fx.b as number[]).slice(0, 3))];
  await eagerAndJitClose('solve batch', np.linalg.solve, [as, bs], fx.solve_batch);
  await eagerAndJitClose('solve batch vec', np.linalg.solve, [as, b], fx.solve_batch_vec);
  // One matrix against a stack of right-hand sides: a broadcasts.
  const a0 = tf.tidy(() => tf.squeeze(tf.slice(as, [0, 0, 0], [1, 3, 3]), [0]));
  const x = tf.tidy(() => np.linalg.solve(a0, bs) as tf.Tensor);
  assert.equal(x.shape, [2, 3, 2]);
  await allCloseAsync(tf.slice(x, [0, 0, 0], [1, 3, 2]), [(fx.solve_batch as Nested[])[0]], tol);
  tf.dispose([as, bs, b, a0, x]);
});

S('solve: pivoting is needed and done (a permutation matrix has zeros on its diagonal)', async () => {
  const p = tf.tensor2d([[0, 1, 0], [0, 0, 1], [1, 0, 0]]);
  const b = tf.tensor1d([1, 2, 3]);
  await allCloseAsync(tf.tidy(() => np.linalg.solve(p, b) as tf.Tensor), [3, 1, 2], { rtol: 0, atol: 0 });
  await allCloseAsync(tf.tidy(() => np.linalg.det(p) as tf.Tensor), 1, { rtol: 0, atol: 0 });
  tf.dispose([p, b]);
});

S('solve, inv: properties on random well-conditioned matrices (n = 1, 5, 16; batched)', async () => {
  for (const [shape, seed] of [[[1, 1], 1], [[5, 5], 2], [[16, 16], 3], [[3, 6, 6], 4]] as [number[], number][]) {
    const a = wellConditioned(shape, seed);
    const n = shape[shape.length - 1];
    const b = tf.randomNormal([...shape.slice(0, -1), 2], 0, 1, 'float32', seed + 10);
    const res = tf.tidy(() => tf.sub(tf.matMul(a, np.linalg.solve(a, b) as tf.Tensor), b));
    await allCloseAsync(res, 0, prop, `A solve(A, b) = b for ${shape}`);
    const id = tf.tidy(() => tf.matMul(np.linalg.inv(a) as tf.Tensor, a));
    await allCloseAsync(id, tf.broadcastTo(tf.eye(n), shape), prop, `inv(A) A = I for ${shape}`);
    tf.dispose([a, b, res, id]);
  }
});

S('inv, det, slogdet, matrixPower: eager and jit against NumPy', async () => {
  const a = t('A');
  await eagerAndJitClose('inv', np.linalg.inv, [a], fx.inv);
  await eagerAndJitClose('det', np.linalg.det, [a], fx.det);
  await eagerAndJitClose('slogdet sign', (x) => np.linalg.slogdet(x)[0], [a], (fx.slogdet as number[])[0], { rtol: 0, atol: 0 });
  await eagerAndJitClose('slogdet log', (x) => np.linalg.slogdet(x)[1], [a], (fx.slogdet as number[])[1]);
  await eagerAndJitClose('det batch', np.linalg.det, [t('As')], fx.det_batch);
  await eagerAndJitClose('power 3', (x) => np.linalg.matrixPower(x, 3), [a], fx.power3);
  await eagerAndJitClose('power -2', (x) => np.linalg.matrixPower(x, -2), [a], fx.power_neg2);
  await eagerAndJitClose('power 0', (x) => np.linalg.matrixPower(x, 0), [a], (np.eye(4) as tf.Tensor).arraySync() as Nested, { rtol: 0, atol: 0 });
  tf.dispose(a);
});

S('det(AB) = det(A) det(B); slogdet agrees with det; integer input promotes to float32', async () => {
  const [a, b] = [wellConditioned([6, 6], 5), wellConditioned([6, 6], 6)];
  const [dab, da, db] = tf.tidy(() => [np.linalg.det(tf.matMul(a, b)), np.linalg.det(a), np.linalg.det(b)] as tf.Tensor[]);
  allClose((await dab.data())[0], (await da.data())[0] * (await db.data())[0], { rtol: 1e-4 });
  const [s, l] = tf.tidy(() => np.linalg.slogdet(a) as tf.Tensor[]);
  allClose((await s.data())[0] * Math.exp((await l.data())[0]), (await da.data())[0], { rtol: 1e-4 });
  const i = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
  const di = tf.tidy(() => np.linalg.det(i) as tf.Tensor);
  assert.is(di.dtype, 'float32');
  allClose((await di.data())[0], -2, tol);
  tf.dispose([a, b, dab, da, db, s, l, i, di]);
});

S('singular: det 0, slogdet (0, -inf), inv and solve inf/NaN without throwing (also under jit)', async () => {
  const s = t('S');
  await eagerAndJitClose('det singular', np.linalg.det, [s], 0, { rtol: 0, atol: 0 });
  await eagerAndJitClose('slogdet singular', (x) => np.stack(np.linalg.slogdet(x)), [s], [0, -Infinity], { rtol: 0, atol: 0 });
  const x = tf.tidy(() => jit(np.linalg.inv)(s) as tf.Tensor);
  assert.ok(Array.from(await x.data()).some((v) => !Number.isFinite(v)), 'inv of a singular matrix has inf/NaN entries');
  tf.dispose([s, x]);
});

S('vmap: solve, inv, det, slogdet mapped over a stack equal the batched calls', async () => {
  const as = wellConditioned([3, 4, 4], 7);
  const bs = tf.randomNormal([3, 4], 0, 1, 'float32', 8);
  const pairs: [string, tf.Tensor, tf.Tensor][] = tf.tidy(() => [
    ['solve', vmap(np.linalg.solve)(as, bs) as tf.Tensor, tf.squeeze(np.linalg.solve(as, tf.expandDims(bs, -1)) as tf.Tensor, [-1])],
    ['inv', vmap(np.linalg.inv)(as) as tf.Tensor, np.linalg.inv(as) as tf.Tensor],
    ['det', vmap(np.linalg.det)(as) as tf.Tensor, np.linalg.det(as) as tf.Tensor],
    ['logdet', vmap((x: NdArray) => np.linalg.slogdet(x)[1])(as) as tf.Tensor, np.linalg.slogdet(as)[1] as tf.Tensor],
    ['jit vmap det', jit(vmap(np.linalg.det))(as) as tf.Tensor, np.linalg.det(as) as tf.Tensor],
  ]);
  for (const [what, got, want] of pairs) await allCloseAsync(got, want, { rtol: 1e-5, atol: 1e-6 }, what);
  tf.dispose([as, bs, ...pairs.flatMap(([, g, w]) => [g, w])]);
});

S('grad: solve, inv, det, slogdet against the closed forms (NumPy), eager and under jit', async () => {
  const [a, bm, c, ci] = [t('A'), t('B'), t('C'), t('Ci')];
  const cases: [string, (x: NdArray) => NdArray, Nested][] = [
    ['d/dA sum(solve(A, B) C)', (x) => np.sum(np.mul(np.linalg.solve(x, bm), c)), fx.grad_solve_A],
    ['d/dB sum(solve(A, B) C)', (y) => np.sum(np.mul(np.linalg.solve(a, y), c)), fx.grad_solve_B],
    ['d det', np.linalg.det, fx.grad_det],
    ['d logabsdet', (x) => np.linalg.slogdet(x)[1], fx.grad_logdet],
    ['d sum(inv(A) C)', (x) => np.sum(np.mul(np.linalg.inv(x), ci)), fx.grad_inv],
  ];
  for (const [what, f, want] of cases) {
    const x = what.includes('dB') ? bm : a;
    for (const [mode, g] of [['eager', grad(f)], ['jit', jit(grad(f))]] as const) {
      const before = tf.memory().numTensors;
      const out = tf.tidy(() => g(x) as tf.Tensor);
      await allCloseAsync(out, want, { rtol: 1e-4, atol: 1e-4 }, `${what} (${mode})`);
      out.dispose();
      if ('clearCache' in g) g.clearCache();
      assert.is(tf.memory().numTensors, before, `${what} (${mode}): no tensor leaks`);
    }
  }
  tf.dispose([a, bm, c, ci]);
});

S('jvp (forward mode): d det along dA = det tr(A^-1 dA); grad through vmap', async () => {
  const a = t('A');
  const da = t('Ci');
  const [, tan] = tf.tidy(() => jvp(np.linalg.det, [a], [da]) as [tf.Tensor, tf.Tensor]);
  const want = (fx.grad_det as number[][]).flat().reduce((acc, g, i) => acc + g * (fx.Ci as number[][]).flat()[i], 0);
  allClose((await tan.data())[0], want, { rtol: 1e-4 });
  const as = wellConditioned([2, 3, 3], 9);
  const g = tf.tidy(() => vmap(grad((x: NdArray) => np.linalg.slogdet(x)[1]))(as) as tf.Tensor);
  const invT = tf.tidy(() => tf.transpose(np.linalg.inv(as) as tf.Tensor, [0, 2, 1]));
  await allCloseAsync(g, invT, { rtol: 1e-4, atol: 1e-5 });
  tf.dispose([a, da, tan, as, g, invT]);
});

S('errors: one line naming the function and the shapes', () => {
  const m = tf.zeros([3, 4]);
  const v = tf.zeros([3]);
  const sq = tf.zeros([3, 3]);
  assert.is(errorOf(() => np.linalg.solve(m, v)), 'solve: a must be [..., n, n], got [3,4]');
  assert.is(errorOf(() => np.linalg.solve(sq, tf.zeros([4]))), 'solve: b must be [3] or [..., 3, k] for a of shape [3,3], got [4]');
  assert.is(errorOf(() => np.linalg.solve(sq, tf.zeros([2, 4, 1]))), 'solve: b must be [3] or [..., 3, k] for a of shape [3,3], got [2,4,1]');
  assert.is(errorOf(() => np.linalg.inv(v)), 'inv: a must be [..., n, n], got [3]');
  assert.is(errorOf(() => np.linalg.det(m)), 'det: a must be [..., n, n], got [3,4]');
  assert.is(errorOf(() => np.linalg.slogdet(m)), 'slogdet: a must be [..., n, n], got [3,4]');
  assert.is(errorOf(() => np.linalg.matrixPower(sq, 1.5)), 'matrixPower: n must be an integer, got 1.5');
  assert.is(errorOf(() => np.linalg.solve(tf.zeros([2, 3, 3]), tf.zeros([4, 3, 1]))).split('\n').length, 1);
  tf.dispose([m, v, sq]);
});

S.run();
