/**
 * Session 21's second core audit (a porting user against NumPy / jax.numpy): a negative shift
 * count shifts every bit out, as NumPy's `npy_lshift` / `npy_rshift` (the count read as
 * unsigned is past the width) and jax.numpy's left_shift / right_shift (XLA's shifts, as lax's
 * here); np clamped it to 0 and gave x unchanged. And np.stack of arrays of different shapes
 * names stack and the shapes given (it named concatenate and the shapes with the new axis).
 * The svd's u and vh had wrong derivatives where a's columns start orthogonal (a diagonal a),
 * and so had pinv's: they went through the Jacobi rotations; now JAX's JVP rule, checked here
 * against central differences. qr's derivatives were wrong where a column is already zero below
 * the diagonal (a triangular a: no reflection to follow); now JAX's JVP rule, checked by the
 * properties that define it: d(QR) = da, Q^T dQ skew-symmetric, dR upper triangular.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, jvp, np, vmap } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();
const vals = (x: unknown) => Array.from((x as tf.Tensor).dataSync());
const i32 = (v: number[]) => np.array(v, 'int32');

const Audit = suite('np audit 2 session 21');

Audit('leftShift / rightShift: negative counts shift everything out (NumPy, jax.numpy)', () => {
  tf.tidy(() => {
    // NumPy 1.x: np.left_shift([1, -8, 5, 3], [-1, -1, -33, 2]) = [0, 0, 0, 12];
    // np.right_shift([1, -8, 5, -8], [-1, -1, -2, 1]) = [0, -1, 0, -4].
    const x = i32([1, -8, 5, 3]);
    const n = i32([-1, -1, -33, 2]);
    assert.equal(vals(np.leftShift(x, n)), [0, 0, 0, 12]);
    assert.equal(vals(jit(np.leftShift)(x, n)), [0, 0, 0, 12]);
    assert.equal(vals(np.rightShift(i32([1, -8, 5, -8]), i32([-1, -1, -2, 1]))), [0, -1, 0, -4]);
    assert.equal(vals(np.rightShift(i32([-8]), -1)), [-1]);
    assert.equal(vals(np.bitwiseLeftShift(i32([7]), -3)), [0]);
  });
});

Audit('stack of arrays of different shapes names stack and the shapes given (jax.numpy: all input arrays must have the same shape)', () => {
  assert.throws(() => np.stack([np.ones([2]), np.ones([2]), np.ones([3])]), (e: Error) => e.message === 'stack: all arrays must have one shape, got [2] (entry 0) and [3] (entry 2)');
  assert.throws(() => np.stack([np.ones([2, 1]), np.ones([1, 2])], 1), (e: Error) => e.message.startsWith('stack: all arrays must have one shape'));
  // One shape with different dtypes still promotes.
  assert.equal(vals(np.stack([i32([1]), np.array([1.5])], -1)), [1, 1.5]);
});

/** Central differences of f along da, to compare with jvp (f is smooth there: distinct nonzero singular values). */
function centralDifference(f: (a: np.NdArray) => np.NdArray[], a: number[][][] | number[][], da: number[][][] | number[][], h = 1e-2): number[][] {
  const at = (sgn: number) => f(np.add(np.array(a), np.mul(np.array(da), sgn * h))).map(vals);
  const [p, m] = [at(1), at(-1)];
  return p.map((pv, k) => pv.map((v, i) => (v - m[k][i]) / (2 * h)));
}

function checkSvdJvp(a: number[][][] | number[][], da: number[][][] | number[][]): void {
  tf.tidy(() => {
    const f = (x: np.NdArray) => np.linalg.svd(x, false);
    const [, tangents] = jvp(f, [np.array(a)], [np.array(da)]) as [np.NdArray[], np.NdArray[]];
    const want = centralDifference(f, a, da);
    tangents.forEach((t, k) => vals(t).forEach((v, i) => assert.ok(Math.abs(v - want[k][i]) < 2e-2, `svd output ${k} entry ${i}: jvp ${v}, central difference ${want[k][i]}`)));
  });
}

Audit('svd derivatives of u, s, vh at a diagonal (orthogonal-column) a match central differences, and pinv\'s', () => {
  checkSvdJvp([[2, 0], [0, 4]], [[0.3, 1], [-0.7, 0.2]]);
  checkSvdJvp([[2, 0], [0, 4], [0, 0]], [[0.3, 1], [-0.7, 0.2], [0.5, -0.4]]); // tall: du has a part outside u's span
  checkSvdJvp([[3, 0, 0], [0, 1, 0]], [[0.3, 1, 0.2], [-0.7, 0.2, 0.6]]); // wide
  checkSvdJvp([[[2, 0], [0, 4]], [[1, 2], [3, 4]]], [[[0.3, 1], [-0.7, 0.2]], [[1, 0], [0.5, -1]]]); // batched
  tf.tidy(() => {
    // pinv of an invertible a is its inverse, whose derivative along e is -inv e inv: at a = diag(2, 4)
    // and e = [[0, 1], [1, 0]] that is [[0, -1/8], [-1/8, 0]], so sum(. * w) moves by -(2 + 3) / 8.
    const w = np.array([[1, 2], [3, 4]]);
    const [, dp] = jvp((x: np.NdArray) => np.sum(np.mul(np.linalg.pinv(x), w)), [np.array([[2, 0], [0, 4]])], [np.array([[0, 1], [1, 0]])]) as [np.NdArray, np.NdArray];
    assert.ok(Math.abs(vals(dp)[0] + 5 / 8) < 1e-5, `pinv jvp ${vals(dp)[0]}`);
    // Under vmap and jit the rule is the same.
    const g = jit(vmap((x: np.NdArray) => jvp((y: np.NdArray) => np.linalg.svd(y, false)[0], [x], [np.array([[0, 1], [1, 0]])])[1]));
    const du = vals(g(np.stack([np.array([[2, 0], [0, 4]]), np.array([[2, 0], [0, 4]])])));
    const want = centralDifference((x) => [np.linalg.svd(x, false)[0]], [[2, 0], [0, 4]], [[0, 1], [1, 0]])[0];
    du.forEach((v, i) => assert.ok(Math.abs(v - want[i % 4]) < 2e-2, `vmapped du entry ${i}: ${v} vs ${want[i % 4]}`));
  });
});

function checkQrJvp(a: number[][], da: number[][], mode: 'reduced' | 'complete'): void {
  tf.tidy(() => {
    const [[q, r], [dq, dr]] = jvp((x: np.NdArray) => np.linalg.qr(x, mode), [np.array(a)], [np.array(da)]) as [np.NdArray[], np.NdArray[]];
    const close = (x: np.NdArray, want: np.NdArray, what: string) => vals(x).forEach((v, i) => assert.ok(Math.abs(v - vals(want)[i]) < 1e-5, `${what} entry ${i}: ${v} vs ${vals(want)[i]}`));
    close(np.add(np.matmul(dq, r), np.matmul(q, dr)), np.array(da), 'dQ R + Q dR = da');
    const qtdq = np.matmul(np.transpose(q), dq);
    close(np.add(qtdq, np.transpose(qtdq)), np.zerosLike(qtdq), 'Q^T dQ skew');
    close(np.tril(dr, -1), np.zerosLike(dr), 'dR below the diagonal');
  });
}

Audit('qr derivatives at triangular a (no reflection) keep QR = a, Q orthonormal and R triangular', () => {
  checkQrJvp([[2, 0], [0, 4]], [[0.3, 1], [-0.7, 0.2]], 'reduced');
  checkQrJvp([[2, 1], [0, 4]], [[0.3, 1], [-0.7, 0.2]], 'complete');
  checkQrJvp([[2, 1], [0, 4], [0, 0]], [[0.3, 1], [-0.7, 0.2], [0.5, 0.1]], 'reduced');
  checkQrJvp([[1, 2], [3, 4], [5, 6]], [[0.3, 1], [-0.7, 0.2], [0.5, 0.1]], 'reduced');
  tf.tidy(() => {
    // JAX's rule at Q = I, R = diag(2, 4) along e = E_10: dQ = [[0, -1/2], [1/2, 0]], dR = [[0, 2], [0, 0]].
    const [, [dq, dr]] = jvp((x: np.NdArray) => np.linalg.qr(x), [np.array([[2, 0], [0, 4]])], [np.array([[0, 0], [1, 0]])]) as [np.NdArray[], np.NdArray[]];
    assert.equal(vals(dq), [0, -0.5, 0.5, 0]);
    assert.equal(vals(dr), [0, 2, 0, 0]);
    assert.equal(vals(jit(vmap((x: np.NdArray) => jvp((y: np.NdArray) => np.linalg.qr(y, 'r'), [x], [np.array([[0, 0], [1, 0]])])[1]))(np.stack([np.array([[2, 0], [0, 4]])]))), [0, 2, 0, 0]);
  });
});

Audit.run();
