/**
 * Session 13's sweep of np and np.linalg against NumPy 1.24 and jax.numpy: float floor
 * division from the exact remainder (NumPy's and JAX's divmod), saturating float-to-int casts
 * (XLA's conversion), repeat with an array of counts, einsum's keyword options, integer
 * matrix_power, lstsq's numpy_resid, put_along_axis with axis null, and eigvalsh's
 * symmetrize_input. Expected numbers are NumPy's (python3, numpy 1.24) unless said.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`np sweep session 13 [${backend}]`);

const F = (v: number[] | number[][]) => np.array(v as number[], 'float32');
const I = (v: number[] | number[][]) => np.array(v as number[], 'int32');
const read = (x: NdArray) => Array.from((x as tf.Tensor).dataSync() as ArrayLike<number>);
/** Values with -0 told apart from 0 (as the string '-0'). */
const signed = (x: NdArray) => read(x).map((v) => (Object.is(v, -0) ? '-0' : v));

S('floorDivide of floats is NumPy\'s (and JAX\'s) divmod quotient, consistent with mod', () => {
  // np.float32 values: a // b and a % b from numpy 1.24.
  const a = F([1, 1, 0.3, -7.5, 7.5, 7.5, -0, 5, -3, 1, -1, 0, NaN, Infinity]);
  const b = F([0.1, -Infinity, 0.1, 2, -2, 2, 1, Infinity, Infinity, 0, 0, 0, 1, 2]);
  const q = np.floorDivide(a, b);
  assert.equal(signed(q), [9, -1, 3, -4, -4, 3, '-0', 0, -1, Infinity, -Infinity, NaN, NaN, NaN]);
  assert.is(q.dtype, 'float32');
  allClose(read(np.mod(a, b)).slice(0, 9), [0.09999998658895493, -Infinity, 7.450580596923828e-9, 0.5, -0.5, 1.5, 0, 5, Infinity]);
  // The pair is consistent: q * b + r = a (where finite).
  const [dq, dr] = np.divmod(F([1, 0.3, -7.5]), F([0.1, 0.1, 2]));
  allClose(read(np.add(np.mul(dq, F([0.1, 0.1, 2])), dr)), [1, 0.3, -7.5]);
  // fmod (and lax.rem, C's fmodf) are exact: fmod(1, 0.1) = 0.09999999, not 0.
  allClose(read(np.fmod(F([1, -1, 5.5]), F([0.1, 0.1, 2]))), [0.09999998658895493, -0.09999998658895493, 1.5]);
  assert.equal(read(lax.rem(F([1, -2, 3]), F([Infinity, Infinity, -Infinity]))), [1, -2, 3]);
  // Integer floor division is unchanged (floor semantics, x // 0 = 0).
  assert.equal(read(np.floorDivide(I([7, -7, 7, -7, 3]), I([2, 2, -2, -2, 0]))), [3, -4, -4, 3, 0]);
});

S('floorDivide and mod of floats: zero derivative and derivative 1 in x, under jit too', () => {
  const x = F([1, 2.5, -7.5]);
  assert.equal(read(grad((v: NdArray) => np.sum(np.floorDivide(v, 0.7)))(x)), [0, 0, 0]);
  assert.equal(read(grad((v: NdArray) => np.sum(np.mod(v, 2)))(x)), [1, 1, 1]);
  assert.equal(read(jit((v: NdArray) => np.floorDivide(v, 0.1))(F([1]))), [9]);
});

S('astype float32 -> int32 truncates and saturates, NaN gives 0 (XLA\'s conversion in JAX)', () => {
  const x = F([NaN, Infinity, -Infinity, 3e9, -3e9, 2.7, -2.7, 2147483520]);
  const want = [0, 2147483647, -2147483648, 2147483647, -2147483648, 2, -2, 2147483520];
  assert.equal(read(np.astype(x, 'int32')), want);
  assert.equal(read(np.cast(x, 'int32')), want);
  assert.equal(read(jit((v: NdArray) => np.astype(v, 'int32'))(x)), want);
  assert.is(np.astype(x, 'int32').dtype, 'int32');
  assert.equal(read(lax.convertElementType(x, 'int32')), want);
});

S('repeat takes an int32 array of repeats (jax.numpy), 1-D or 0-d', () => {
  const x = F([[1, 2], [3, 4]]);
  const r = np.repeat(x, I([1, 2]), 0);
  assert.equal(r.shape, [3, 2]);
  assert.equal(read(r), [1, 2, 3, 4, 3, 4]);
  assert.equal(read(np.repeat(F([5, 6, 7]), I([0, 1, 2]))), [6, 7, 7]);
  assert.equal(read(np.repeat(x, np.array(2, 'int32'), 1)), [1, 1, 2, 2, 3, 3, 4, 4]);
  assert.match(errorOf(() => np.repeat(x, F([1, 2]), 0)), 'repeat: repeats must be an int32 array, got float32');
  assert.match(errorOf(() => jit((k: NdArray) => np.repeat(x, k, 0))(I([1, 2]))), 'repeat: repeats are traced');
});

S('einsum accepts an options object after the operands (optimize, precision, preferredElementType)', () => {
  const a = np.reshape(np.arange(6), [2, 3]);
  const b = np.reshape(np.arange(6), [3, 2]);
  for (const optimize of [true, false, 'optimal', 'greedy', 'auto'] as const) assert.equal(read(np.einsum('ij,jk->ik', a, b, { optimize })), [10, 13, 28, 40]);
  const ints = np.einsum('i,i->', I([1, 2]), I([3, 4]), { preferredElementType: 'float32' });
  assert.is(ints.dtype, 'float32');
  assert.equal(read(ints), [11]);
  assert.is(np.einsum('i,i->', I([1, 2]), I([3, 4])).dtype, 'int32');
  assert.equal(read(np.einsum('ii', F([[1, 2], [3, 4]]), { precision: 'highest' })), [5]);
});

S('linalg.matrixPower keeps an int32 matrix int32 for n >= 0, as JAX; n < 0 is float32', () => {
  const m = I([[1, 2], [3, 4]]);
  const sq = np.linalg.matrixPower(m, 2);
  assert.is(sq.dtype, 'int32');
  assert.equal(read(sq), [7, 10, 15, 22]);
  const id = np.linalg.matrixPower(m, 0);
  assert.is(id.dtype, 'int32');
  assert.equal(read(id), [1, 0, 0, 1]);
  const inv = np.linalg.matrixPower(m, -1);
  assert.is(inv.dtype, 'float32');
  allClose(read(inv), [-2, 1, 1.5, -0.5], { atol: 1e-5 });
});

S('linalg.lstsq with numpyResid: empty residuals where NumPy\'s are (rank < n or m <= n)', () => {
  const deficient = F([[1, 2], [2, 4], [3, 6]]);
  const [x, res, rank] = np.linalg.lstsq(deficient, F([1, 2, 3]), null, { numpyResid: true });
  assert.equal(res.shape, [0]);
  assert.equal(read(rank), [1]);
  allClose(read(x), [0.2, 0.4], { atol: 1e-5 });
  assert.equal(np.linalg.lstsq(F([[1, 2, 3], [4, 5, 6]]), F([1, 2]), null, { numpyResid: true })[1].shape, [0]);
  // A tall full-rank system: NumPy's residuals [k], the same as the default's.
  const tall = F([[1, 2], [3, 4], [5, 7]]);
  const full = np.linalg.lstsq(tall, F([[1, 0], [2, 1], [3, 0]]), null, { numpyResid: true })[1];
  assert.equal(full.shape, [2]);
  allClose(read(full), [0.0714285746, 0.6428571343], { rtol: 1e-3 });
  // JAX's default (numpy_resid=False) always computes them.
  assert.equal(np.linalg.lstsq(deficient, F([1, 2, 3]))[1].shape, [1]);
});

S('putAlongAxis with axis null writes into the flattened array (NumPy, JAX)', () => {
  const x = np.reshape(np.arange(6, undefined, undefined, 'float32'), [2, 3]);
  const y = np.putAlongAxis(x, I([0, 4]), 5, null);
  assert.equal(y.shape, [2, 3]);
  assert.equal(read(y), [5, 1, 2, 3, 5, 5]);
  assert.equal(read(np.putAlongAxis(x, I([5, -6]), F([8, 9]), null)), [9, 1, 2, 3, 4, 8]);
  assert.match(errorOf(() => np.putAlongAxis(x, I([[0]]), 1, null)), 'with axis null, indices must be 1-D');
});

S('linalg.eigvalsh with symmetrizeInput false reads only the UPLO triangle (as eigh)', () => {
  const a = F([[2, 100], [1, 3]]);
  // numpy.linalg.eigvalsh(a, 'L') and (a, 'U').
  allClose(read(np.linalg.eigvalsh(a, 'L', false)), [1.3819659948349, 3.6180338859558105], { rtol: 1e-4 });
  allClose(read(np.linalg.eigvalsh(a, 'U', false)), [-97.50125122070312, 102.50125122070312], { rtol: 1e-4 });
  // JAX's default symmetrises first: (a + a^T) / 2, whichever the triangle.
  allClose(read(np.linalg.eigvalsh(a, 'U')), [-48.0024757, 53.0024757], { rtol: 1e-4 });
});

S.run();
