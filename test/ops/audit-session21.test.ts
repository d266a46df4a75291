/**
 * Session 21's audit of np against NumPy as a porting user calls it: a ragged nested JS list is
 * an error (tfjs took the first entries' shape and made a [2, 2] array of 3 values), and
 * histogram2d / histogramdd take `bins` positionally, as NumPy's second / third argument
 * (a count there was ignored and 10 bins were made).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { allCloseAsync, errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = (x: unknown) => x as tf.Tensor;

const Audit = suite('np audit session 21');

Audit('np.array of a ragged JS list is an error naming the entry (NumPy: inhomogeneous shape)', async () => {
  assert.is(errorOf(() => np.array([[1, 2], [3]])), 'np.array: ragged nested list: entry [1] has length 1, entry [0] length 2');
  assert.is(errorOf(() => np.array([[[1], [2]], [[3], 4]] as unknown as number[][][])), 'np.array: ragged nested list: entry [1, 1] is a number, entry [0, 0] a list of length 1');
  assert.is(errorOf(() => np.array([1, [2]] as unknown as number[])), 'np.array: ragged nested list: entry [1] is a list of length 1, entry [0] a number');
  // Rectangular lists, empty ones included, are unchanged.
  assert.equal(T(np.array([[], []])).shape, [2, 0]);
  await allCloseAsync(np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]]);
  assert.equal(T(np.array([[true], [false]])).shape, [2, 1]);
});

Audit('np.array infers bool only when every entry is a boolean; an entry that is not a number or boolean is an error', async () => {
  // jnp.array([True, 2]) promotes to a number dtype (int32 in JAX; float32 here, as every list of JS numbers).
  const mixed = np.array([true, 2] as unknown as number[]);
  assert.is(T(mixed).dtype, 'float32');
  await allCloseAsync(mixed, [1, 2]);
  assert.is(T(np.array([[false], [true]])).dtype, 'bool');
  assert.is(T(np.array([2, true] as unknown as number[])).dtype, 'float32');
  // It made [1, 0] and [NaN] before (JAX: TypeError).
  assert.is(errorOf(() => np.array([1, null] as unknown as number[])), 'np.array: entry [1] is null; entries must be numbers or booleans');
  assert.is(errorOf(() => np.array([['a']] as unknown as number[][])), 'np.array: entry [0, 0] is a string; entries must be numbers or booleans');
});

Audit('zeros, ones and full take an integer shape (jnp.zeros(3)); a bad shape is a one-line error naming the function', async () => {
  assert.equal(T(np.zeros(3)).shape, [3]);
  assert.equal(T(np.ones(2, 'int32')).shape, [2]);
  await allCloseAsync(np.full(2, 7), [7, 7]);
  assert.is(errorOf(() => np.zeros([-1])), 'np.zeros: shape must be non-negative integers, got [-1]');
  assert.is(errorOf(() => np.full([1.5], 0)), 'np.full: shape must be non-negative integers, got [1.5]');
});

Audit('histogram2d and histogramdd take bins positionally (NumPy\'s order)', async () => {
  const x = np.array([0, 0.2, 1]);
  const y = np.array([0, 0.9, 1]);
  // NumPy: np.histogram2d([0, .2, 1], [0, .9, 1], 2)[0] = [[1, 1], [0, 1]] (edges 0, .5, 1 on both axes).
  const [h, ex, ey] = np.histogram2d(x, y, 2);
  await allCloseAsync(h, [[1, 1], [0, 1]]);
  await allCloseAsync(ex, [0, 0.5, 1]);
  await allCloseAsync(ey, [0, 0.5, 1]);
  await allCloseAsync(np.histogram2d(x, y, [2, 1])[0], [[2], [1]]);
  const [hd, edges] = np.histogramdd(np.stack([x, y], 1), 2);
  await allCloseAsync(hd, [[1, 1], [0, 1]]);
  assert.is(edges.length, 2);
  await allCloseAsync(np.histogram2d(x, y, { bins: 2 })[0], [[1, 1], [0, 1]]);
});

Audit('diff takes prepend and append positionally (NumPy\'s diff(a, n, axis, prepend, append))', async () => {
  const x = np.array([1, 4, 9]);
  // NumPy: np.diff([1, 4, 9], 1, -1, [0]) = [1, 3, 5]; with append 10 as well, [1, 3, 5, 1].
  await allCloseAsync(np.diff(x, 1, -1, np.array([0])), [1, 3, 5]);
  await allCloseAsync(np.diff(x, 1, -1, 0, 10), [1, 3, 5, 1]);
  await allCloseAsync(np.diff(x, 1, -1, { prepend: 0, append: 10 }), [1, 3, 5, 1]);
});

Audit.run();
