/**
 * jax.lax.map's `batch_size`: f vmapped over blocks of that many slices, scanned over the
 * blocks, then vmapped once over the slices left; results equal to the plain map for every
 * split (exact blocks, a remainder, a batch larger than the length, length 0), over pytrees,
 * under jit and grad.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, makeJaxpr, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = suite('lax.map batchSize');

/** Frees concrete results (eager here). */
const free = (xs: NdArray[]) => tf.dispose(xs as tf.Tensor[]);
const vals = async (t: NdArray) => Array.from(await (t as tf.Tensor).data());
const f = (x: { a: NdArray; b: NdArray }) => ({ s: np.sum(np.mul(x.a, x.a)), v: np.add(x.b, np.max(x.a)) });

T('every split of 7 slices gives the plain map (pytree in and out, shapes kept)', async () => {
  const xs = { a: np.reshape(np.arange(21, undefined, 1, 'float32'), [7, 3]), b: np.reshape(np.arange(14, undefined, 1, 'float32'), [7, 2]) };
  const want = lax.map(f, xs) as { s: NdArray; v: NdArray };
  for (const batchSize of [1, 2, 3, 7, 10]) {
    const got = lax.map(f, xs, { batchSize }) as { s: NdArray; v: NdArray };
    assert.equal(got.s.shape, [7], `batchSize ${batchSize}`);
    assert.equal(got.v.shape, [7, 2], `batchSize ${batchSize}`);
    allClose(await vals(got.s), await vals(want.s), {}, `s, batchSize ${batchSize}`);
    allClose(await vals(got.v), await vals(want.v), {}, `v, batchSize ${batchSize}`);
    free([got.s, got.v]);
  }
  free([xs.a, xs.b, want.s, want.v]);
});

T('the IR scans 3 blocks of 2 slices with f vmapped, then maps the last slice (JAX: scan over [n // b, b, ...])', () => {
  const ir = String(makeJaxpr((xs: NdArray) => lax.map((x: NdArray) => np.sum(np.mul(x, x)), xs, { batchSize: 2 }))(np.zeros([7, 3])));
  assert.match(ir, /reshape\[shape=\[3,2,3\]\]/);
  assert.match(ir, /scan\[body=\s*\{ lambda\s+; a:f32\[2,3\]/);
  assert.match(ir, /length=3 /);
  assert.match(ir, /slice\[start=\[6,0\] limit=\[7,3\]/);
});

T('length 0 gives empty results; under jit and grad as the plain map', async () => {
  const empty = lax.map((x: NdArray) => np.mul(x, 2), np.zeros([0, 4]), { batchSize: 3 }) as NdArray;
  assert.equal(empty.shape, [0, 4]);
  const xs = np.array([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);
  const g = (v: NdArray) => np.sum(lax.map((x: NdArray) => np.prod(x), v, { batchSize: 2 }) as NdArray);
  allClose(await vals(jit(g)(xs)), [2 + 12 + 30 + 56 + 90]);
  // d/dx of x0 * x1 per row: [x1, x0].
  allClose(await vals(grad(g)(xs)), [2, 1, 4, 3, 6, 5, 8, 7, 10, 9]);
  free([empty, xs]);
});

T('a batchSize that is not a positive integer is a one-line error', () => {
  const xs = np.zeros([3]);
  assert.is(errorOf(() => lax.map((x: NdArray) => x, xs, { batchSize: 0 })), 'lax.map: batchSize must be a positive integer, got 0');
  assert.is(errorOf(() => lax.map((x: NdArray) => x, xs, { batchSize: 1.5 })), 'lax.map: batchSize must be a positive integer, got 1.5');
  tf.dispose(xs);
});

T.run();
