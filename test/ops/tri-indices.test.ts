/**
 * lib/ops/tri-indices.ts against NumPy 2.4 (tril_indices, triu_indices, diag_indices and the
 * *_from forms, written in by hand; NumPy's int64 indices are int32 here): exact values,
 * offsets k above, below and past the array, non-square and empty grids; the *_from forms
 * on a traced array under jit; no stray tensors; the errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { index } from '../../lib/ops/indexing.js';
import { diagIndices, trilIndices, trilIndicesFrom, triuIndices, triuIndicesFrom } from '../../lib/ops/tri-indices.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();
const S = suite(`np triangle and diagonal indices [${backend}]`);

/** Asserts int32 index arrays with NumPy's values, made by `make` with exactly one tensor per array. */
async function indices(what: string, make: () => tf.Tensor[], want: number[][]): Promise<void> {
  const before = tf.memory().numTensors;
  const got = make();
  assert.is(tf.memory().numTensors, before + want.length, `${what}: one tensor per index array`);
  assert.equal(got.map((t) => t.dtype), want.map(() => 'int32'), `${what}: dtypes`);
  assert.equal(await Promise.all(got.map(async (t) => Array.from(await t.data()))), want, what);
  tf.dispose(got);
}

S('trilIndices: k = 0, below the diagonal, past it; non-square; empty', async () => {
  await indices('tril(3)', () => trilIndices(3), [[0, 1, 1, 2, 2, 2], [0, 0, 1, 0, 1, 2]]);
  await indices('tril(3, -1, 4)', () => trilIndices(3, -1, 4), [[1, 2, 2], [0, 0, 1]]);
  await indices('tril(2, 5, 3)', () => trilIndices(2, 5, 3), [[0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 1, 2]]);
  await indices('tril(0)', () => trilIndices(0), [[], []]);
});

S('triuIndices: above the diagonal, below it, past the corner', async () => {
  await indices('triu(3, 1)', () => triuIndices(3, 1), [[0, 0, 1], [1, 2, 2]]);
  await indices('triu(3, -1, 2)', () => triuIndices(3, -1, 2), [[0, 0, 1, 1, 2], [0, 1, 0, 1, 1]]);
  await indices('triu(2, 4)', () => triuIndices(2, 4), [[], []]);
});

S('diagIndices: ndim copies of 0..n-1, each its own tensor', async () => {
  await indices('diag(3, 3)', () => diagIndices(3, 3), [[0, 1, 2], [0, 1, 2], [0, 1, 2]]);
  await indices('diag(2)', () => diagIndices(2), [[0, 1], [0, 1]]);
  await indices('diag(0)', () => diagIndices(0), [[], []]);
});

S("tril/triuIndicesFrom: the array's shape, also for a traced array under jit", async () => {
  const x = tf.tensor2d([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
  await indices('trilFrom(x, 1)', () => trilIndicesFrom(x, 1), [[0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 2, 0, 1, 2, 3]]);
  await indices('triuFrom(x, 2)', () => triuIndicesFrom(x, 2), [[0, 0, 1], [2, 3, 3]]);
  // x[np.triu_indices_from(x, 2)] in NumPy: [2, 3, 7].
  const picked = jit((a: NdArray) => index(a, ...triuIndicesFrom(a, 2)))(x) as tf.Tensor;
  assert.equal(Array.from(await picked.data()), [2, 3, 7]);
  tf.dispose([x, picked]);
});

S('errors: one line naming the function and the bad argument', () => {
  assert.is(errorOf(() => trilIndices(-1)), 'trilIndices: need non-negative integer sizes and an integer k, got n=-1, k=0, m=-1');
  assert.is(errorOf(() => triuIndices(3, 0.5)), 'triuIndices: need non-negative integer sizes and an integer k, got n=3, k=0.5, m=3');
  assert.is(errorOf(() => diagIndices(2, -1)), 'diagIndices: need non-negative integers n and ndim, got n=2, ndim=-1');
  const v = tf.ones([3]);
  assert.is(errorOf(() => trilIndicesFrom(v)), 'trilIndicesFrom: arr must be 2-D, got shape [3]');
  assert.is(errorOf(() => triuIndicesFrom(v)), 'triuIndicesFrom: arr must be 2-D, got shape [3]');
  v.dispose();
});

S.run();
