/**
 * lib/ops/number-theory.ts against NumPy 2.4 (numpy.gcd / numpy.lcm on int32, values written
 * in by hand; integer results, so exact), eagerly and under jit: signs, zeros, broadcasting,
 * JS numbers, the worst case for Euclid's loop (consecutive Fibonacci numbers) and the
 * largest int32 values; vmap; no leaks; the errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vmap } from '../../lib/index.js';
import { gcd, lcm } from '../../lib/ops/number-theory.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

const backend = await useTestBackend();
const S = suite(`np gcd and lcm [${backend}]`);

const i32 = (v: number[]) => tf.tensor1d(v, 'int32');
const exact = { rtol: 0, atol: 0 };

S('gcd: non-negative whatever the signs, gcd(0, 0) = 0, Fibonacci worst case, int32 extremes', async () => {
  // 1836311903 and 1134903170 are F(46) and F(45): 44 Euclid steps.
  const a = i32([12, -18, 0, 0, 7, -21, 1836311903, 2147483647, 1073741824, -2147483647]);
  const b = i32([8, 12, 5, 0, -21, -14, 1134903170, 2147483646, 536870912, 3]);
  await eagerAndJit('gcd', gcd, [a, b], { shape: [10], dtype: 'int32', values: [4, 6, 5, 0, 7, 7, 1, 1, 536870912, 1] }, exact);
  tf.dispose([a, b]);
});

S('lcm: non-negative, 0 with a 0 operand', async () => {
  const a = i32([4, -6, 0, 0, 21, -7, 65536]);
  const b = i32([6, 4, 5, 0, -14, -7, 32768]);
  await eagerAndJit('lcm', lcm, [a, b], { shape: [7], dtype: 'int32', values: [12, 12, 0, 0, 42, 7, 65536] }, exact);
  tf.dispose([a, b]);
});

S('broadcasting, JS integers and vmap', async () => {
  const col = tf.tensor2d([[12], [18]], undefined, 'int32');
  const row = i32([8, 27, 0]);
  await eagerAndJit('gcd broadcast', gcd, [col, row], { shape: [2, 3], dtype: 'int32', values: [4, 3, 12, 2, 9, 18] }, exact);
  const v = i32([12, 18]);
  await eagerAndJit('gcd number', (x) => gcd(x, 4), [v], { shape: [2], dtype: 'int32', values: [4, 2] }, exact);
  const [c, r] = [tf.tensor2d([[3], [4]], undefined, 'int32'), i32([2, 6])];
  await eagerAndJit('lcm broadcast', lcm, [c, r], { shape: [2, 2], dtype: 'int32', values: [6, 6, 4, 12] }, exact);
  const m = vmap(gcd)(i32([12, 18, -9]), i32([8, 12, 6])) as tf.Tensor;
  assert.equal(Array.from(await m.data()), [4, 6, 3]);
  tf.dispose([col, row, v, c, r, m]);
});

S('errors: int32 only, one line naming the function and the operand', () => {
  const [f, i, bool] = [tf.ones([2]), i32([1, 2]), tf.tensor1d([1, 0], 'bool')];
  assert.is(errorOf(() => gcd(f, i)), 'gcd: a must be an int32 array or an integer, got float32');
  assert.is(errorOf(() => lcm(i, bool)), 'lcm: b must be an int32 array or an integer, got bool');
  assert.is(errorOf(() => gcd(i, 2.5)), 'gcd: b must be an int32 array or an integer, got 2.5');
  assert.is(errorOf(() => gcd(i, i32([1, 2, 3]))), 'gcd: shapes [2] and [3] cannot be broadcast together');
  tf.dispose([f, i, bool]);
});

S.run();
