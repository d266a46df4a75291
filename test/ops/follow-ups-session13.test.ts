/**
 * Session 13's follow-ups in np: bool subtraction is an error (NumPy's and jax.numpy's
 * TypeError), diff of bools is !=, np.linalg.qr's 'raw' mode (LAPACK geqrf's Householder form,
 * as NumPy and jax.numpy return it), and JS booleans as index-update values (JAX's
 * x.at[i].set(True)). Expected numbers are NumPy's (python3, numpy 1.24) unless said.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`np follow-ups session 13 [${backend}]`);

const B = (v: boolean[]) => np.array(v.map(Number), 'bool');
const F = (v: number[] | number[][]) => np.array(v as number[], 'float32');
const read = (x: NdArray) => Array.from((x as tf.Tensor).dataSync() as ArrayLike<number>);

S('np.sub of two bool arrays is a one-line error, as NumPy\'s and jax.numpy\'s TypeError', () => {
  // numpy: "numpy boolean subtract, the `-` operator, is not supported, use the bitwise_xor, ..."
  const msg = errorOf(() => np.sub(B([true, false]), B([true, true])));
  assert.is(msg, 'np.sub: boolean subtract is not supported (got bool and bool); use np.logicalXor or np.bitwiseXor, or cast to int32 first');
  assert.not.match(msg, '\n');
  assert.ok(errorOf(() => jit((a: NdArray, b: NdArray) => np.sub(a, b))(B([true]), B([false]))).startsWith('np.sub: boolean subtract'));
  // A bool minus a JS integer is int32 (NumPy: int64; JAX: a weak int makes int32), not an error.
  const d = np.sub(B([true, false]), 1);
  assert.is(d.dtype, 'int32');
  assert.equal(read(d), [0, -1]);
  assert.equal(read(np.sub(B([true, false]), np.array([1, 1], 'int32'))), [0, -1]);
});

S('diff of bools is x[i + 1] != x[i] (NumPy and jax.numpy use not_equal), prepend of a number promotes', () => {
  const x = B([true, false, false, true]);
  const d = np.diff(x);
  assert.is(d.dtype, 'bool');
  assert.equal(read(d), [1, 0, 1]);
  assert.equal(read(np.diff(x, 2)), [1, 1]); // numpy: [ True  True]
  const p = np.diff(x, 1, -1, { prepend: 0 });
  assert.is(p.dtype, 'int32');
  assert.equal(read(p), [1, -1, 0, 1]); // numpy: [ 1 -1  0  1]
  // ediff1d subtracts (NumPy: TypeError for bools), diff does not.
  assert.throws(() => np.ediff1d(x), /^np\.ediff1d: boolean subtract is not supported \(got bool\)/);
  assert.equal(read(np.ediff1d(np.cast(x, 'int32'))), [-1, 0, 1]);
});

S("linalg.qr(a, 'raw') is geqrf's (h, tau): h [..., n, m] the packed factor transposed, tau [..., k]", () => {
  // numpy.linalg.qr(a, 'raw') for float64 a (jax.numpy.linalg.qr's 'raw' is the same form).
  const a = F([[1, 2, 3], [4, 5, 6], [7, 8, 10], [1, 0, 1]]);
  const [h, tau] = np.linalg.qr(a, 'raw');
  assert.equal(h.shape, [3, 4]);
  assert.equal(tau.shape, [3]);
  allClose(read(h), [
    -8.18535277187245, 0.4354759255680273, 0.7620828697440477, 0.10886898139200682,
    -9.529216659791809, 1.481225793303057, 0.5234749016584114, 0.8357118408080063,
    -11.972605546917912, 1.2897748404271514, 0.9965928350693488, -0.6047182320879525,
  ], { rtol: 1e-5, atol: 2e-5 });
  allClose(read(tau), [1.1221694443563053, 1.0139724112898454, 1.464467471723318], { rtol: 1e-5, atol: 1e-5 });
  // Wide (m < n): the last reflector has no tail, tau 0.
  const [hw, tw] = np.linalg.qr(F([[1, 2, 3], [4, 5, 6]]), 'raw');
  assert.equal(hw.shape, [3, 2]);
  allClose(read(hw), [-4.123105625617661, 0.7807764064044151, -5.335783750799326, -0.7276068751089995, -6.5484618759809905, -1.455213750217998], { atol: 2e-5 });
  allClose(read(tw), [1.242535625036333, 0]);
  // A column already zero below the diagonal is not reflected: tau 0, R's entry keeps its sign.
  const [hz, tz] = np.linalg.qr(F([[3, 1], [0, 2]]), 'raw');
  assert.equal(read(hz), [3, 0, 1, 2]);
  assert.equal(read(tz), [0, 0]);
});

S("linalg.qr 'raw': R is h's upper part, Q the product of the reflectors; batched stacks alike; errors list 'raw'", () => {
  const a = F([[2, -1, 0.5], [1, 3, -2], [0.5, 1, 4], [-1, 2, 1]]);
  const [h, tau] = np.linalg.qr(a, 'raw');
  const [q, r] = np.linalg.qr(a, 'reduced');
  const packed = np.transpose(h); // [4, 3]
  allClose(read(np.triu(packed)), read(np.concatenate([r, np.zeros([1, 3])], 0)), { atol: 1e-5 });
  // Q = H_0 H_1 H_2 with H_j = I - tau_j v_j v_j^T, v_j = e_j + the packed column below the diagonal.
  const taus = read(tau);
  const cols = read(packed);
  let qFull: NdArray = np.eye(4);
  for (let j = 0; j < 3; j++) {
    const v = F(Array.from({ length: 4 }, (_, i) => (i < j ? 0 : i === j ? 1 : cols[i * 3 + j])));
    qFull = np.matmul(qFull, np.sub(np.eye(4), np.mul(taus[j], np.outer(v, v))));
  }
  allClose(read(np.index(qFull, ':', np.arange(3))), read(q), { atol: 1e-5 });
  // A stack of two: each matrix's own factors.
  const [hb, tb] = np.linalg.qr(np.stack([a, np.mul(a, -2)]), 'raw');
  assert.equal(hb.shape, [2, 3, 4]);
  assert.equal(tb.shape, [2, 3]);
  allClose(read(hb).slice(0, 12), read(h), { atol: 1e-5 });
  allClose(read(tb).slice(0, 3), taus, { atol: 1e-6 });
  allClose(read(tb).slice(3), taus, { atol: 1e-6 }); // -2a: the same reflectors, R scaled
  assert.is(errorOf(() => np.linalg.qr(a, 'full' as 'raw')), "qr: mode must be 'reduced', 'complete', 'r' or 'raw', got 'full'");
});

S('np.at(...).set / add take JS booleans as JAX takes Python True / False (1 and 0, weakly typed)', () => {
  const b = B([false, false, true]);
  const set = np.at(b, 0).set(true);
  assert.is(set.dtype, 'bool');
  assert.equal(read(set), [1, 0, 1]);
  assert.equal(read(np.at(b, 2).set(false)), [0, 0, 0]);
  assert.equal(read(np.at(b, np.array([0, 0], 'int32')).add(true)), [1, 0, 1]); // XLA's add of bools is or
  assert.equal(read(np.at(b, 2).multiply(false)), [0, 0, 0]);
  assert.equal(read(np.at(b, 1).max(true)), [0, 1, 1]);
  // Numeric arrays: True is 1 (jnp.zeros(3).at[0].set(True) is [1., 0., 0.]).
  const f = F([1, 2, 3]);
  const fs = np.at(f, 0).set(true);
  assert.is(fs.dtype, 'float32');
  assert.equal(read(fs), [1, 2, 3]);
  assert.equal(read(np.at(f, 1).add(true)), [1, 3, 3]);
  assert.equal(read(np.at(np.array([5, 6], 'int32'), 1).subtract(true)), [5, 5]);
});

S('np.maxPool: a tie gives the whole gradient to the first maximum (JAX reduce_window max, PyTorch), NaN propagates; dilation', () => {
  const x = np.ones([1, 2, 2, 1]);
  const pooled = (v: NdArray) => np.sum(np.maxPool(v, { window: 2 }));
  for (const g of [grad(pooled)(x), jit(grad(pooled))(x)]) assert.equal(read(g as NdArray), [1, 0, 0, 0]);
  const withNan = np.reshape(np.array([[1, NaN], [3, 2]]), [1, 2, 2, 1]);
  assert.ok(Number.isNaN(read(np.maxPool(withNan, { window: 2 }))[0]!));
  // dilation 2 over a 4x4 ramp: windows {0, 2, 8, 10} and {1, 3, 9, 11}, ... (lax.reduce_window's window_dilation)
  const ramp = np.reshape(np.arange(0, 16, 1, 'float32'), [1, 4, 4, 1]);
  assert.equal(read(np.maxPool(ramp, { window: 2, strides: 1, dilation: 2 })), [10, 11, 14, 15]);
});

S.run();
