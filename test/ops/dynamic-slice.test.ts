/**
 * lax.dynamicSlice / dynamicUpdateSlice and their in-dim forms: JAX's semantics (starts clamp so
 * the block fits) against blocks cut on the host, with starts given as numbers, as arrays, traced
 * under jit, batched under vmap, inside a scan, and differentiated.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const Dyn = suite('lax.dynamicSlice / dynamicUpdateSlice');

const x = () => np.reshape(np.toFloat(np.arange(20)), [4, 5]); // x[i, j] = 5 i + j
const i32 = (v: number) => tf.scalar(v, 'int32');
const values = (t: NdArray) => [...(t as tf.Tensor).dataSync()];

/** The block x[r0:r0+h, c0:c0+w] of the [4, 5] grid above, with JAX's clamped starts. */
function block(r: number, c: number, h: number, w: number): number[] {
  const [r0, c0] = [Math.min(Math.max(r, 0), 4 - h), Math.min(Math.max(c, 0), 5 - w)];
  return Array.from({ length: h * w }, (_, k) => 5 * (r0 + Math.floor(k / w)) + c0 + (k % w));
}

Dyn('blocks at number, array and traced starts; out-of-range starts clamp', () => {
  tf.tidy(() => {
    for (const [r, c] of [[1, 2], [3, 4], [-2, 9], [0, 0]]) {
      const want = block(r, c, 2, 3);
      assert.equal(values(lax.dynamicSlice(x(), [r, c], [2, 3])), want, `numbers (${r}, ${c})`);
      assert.equal(values(lax.dynamicSlice(x(), [i32(r), c], [2, 3])), want, `arrays (${r}, ${c})`);
      const f = jit((a: NdArray, s: NdArray, t: NdArray) => lax.dynamicSlice(a, [s, t], [2, 3]));
      assert.equal(values(f(x(), i32(r), i32(c))), want, `jit (${r}, ${c})`);
    }
  });
});

Dyn('vmap over the starts: one block per member', () => {
  tf.tidy(() => {
    const rows = tf.tensor1d([0, 2, 3], 'int32');
    const out = vmap((s: NdArray) => lax.dynamicSliceInDim(x(), s, 2, 0))(rows) as tf.Tensor;
    assert.equal(out.shape, [3, 2, 5]);
    assert.equal([...out.dataSync()], [...block(0, 0, 2, 5), ...block(2, 0, 2, 5), ...block(3, 0, 2, 5)]);
    const picked = vmap((a: NdArray, s: NdArray) => lax.dynamicIndexInDim(a, s, 0, false))(np.stack([x(), np.neg(x())]), tf.tensor1d([1, 3], 'int32'));
    assert.equal(values(picked), [...block(1, 0, 1, 5), ...block(3, 0, 1, 5).map((v) => -v)]);
  });
});

Dyn('updates: the block is replaced, starts clamp, the rest is unchanged', () => {
  tf.tidy(() => {
    const u = np.full([2, 2], -1);
    for (const [r, c] of [[1, 1], [3, -4]]) {
      const want = values(x());
      block(r, c, 2, 2).forEach((p) => (want[p] = -1));
      assert.equal(values(lax.dynamicUpdateSlice(x(), u, [r, c])), want, `numbers (${r}, ${c})`);
      const f = jit((a: NdArray, s: NdArray, t: NdArray) => lax.dynamicUpdateSlice(a, u, [s, t]));
      assert.equal(values(f(x(), i32(r), i32(c))), want, `jit (${r}, ${c})`);
    }
    const row = lax.dynamicUpdateSliceInDim(x(), np.zeros([4, 1]), i32(2), 1);
    assert.equal(values(np.index(row, ':', 2)), [0, 0, 0, 0]);
  });
});

Dyn('a scan writes one row per step into a buffer (the loop index is traced)', () => {
  tf.tidy(() => {
    const [buf] = lax.foriLoop(0, 4, (i: NdArray, [b]: NdArray[]) => [lax.dynamicUpdateSliceInDim(b, np.reshape(np.mul(np.toFloat(i), np.ones([3])), [1, 3]), i, 0)], [np.zeros([4, 3])]);
    assert.equal(values(buf), [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
  });
});

Dyn('gradients: the slice scatters back; the update takes the block cotangent, x the rest', () => {
  tf.tidy(() => {
    const g = grad((a: NdArray) => np.sum(np.square(lax.dynamicSlice(a, [i32(2), i32(1)], [2, 2]))))(x()) as tf.Tensor;
    const want = new Array(20).fill(0);
    block(2, 1, 2, 2).forEach((p) => (want[p] = 2 * p));
    allClose(g.dataSync(), want);
    const w = np.reshape(np.toFloat(np.arange(20)), [4, 5]);
    const loss = (a: NdArray, u: NdArray) => np.sum(np.mul(w, lax.dynamicUpdateSlice(a, u, [i32(1), i32(3)])));
    const [ga, gu] = grad(loss, { argnums: [0, 1] })(x(), np.zeros([2, 2])) as tf.Tensor[];
    const mask = values(w);
    block(1, 3, 2, 2).forEach((p) => (mask[p] = 0));
    allClose(ga.dataSync(), mask);
    allClose(gu.dataSync(), block(1, 3, 2, 2));
  });
});

Dyn('errors name the op, the axis and what is wrong', () => {
  tf.tidy(() => {
    assert.match(errorOf(() => lax.dynamicSlice(x(), [0], [1, 1])), /dynamicSlice: 1 starts and 2 sizes for an array of rank 2/);
    assert.match(errorOf(() => lax.dynamicSlice(x(), [0, 0], [5, 1])), /dynamicSlice: size 5 does not fit axis 0 of length 4/);
    assert.match(errorOf(() => lax.dynamicSlice(x(), [tf.scalar(1), 0], [1, 1])), /start of axis 0 must be an int32 scalar, got float32 \[\]/);
    assert.match(errorOf(() => lax.dynamicUpdateSlice(x(), np.zeros([1, 6]), [0, 0])), /dynamicUpdateSlice: size 6 does not fit axis 1 of length 5/);
  });
});

Dyn.run();
