/**
 * np.sort / argsort on long rows (the argsort primitive's O(n log n) kernels; the pairwise
 * composition before them needed n² intermediates: 18 s for 4000 values on cpu): 20000 values
 * with ties, infinities, -0 and NaN, both directions, against a stable JS sort.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();
const T = suite('np.sort on long rows');

const N = 20000;
/** Deterministic values: small integers (many ties), -0, infinities and NaN. */
const values = Array.from({ length: N }, (_, i) => {
  const r = (i * 7919 + 13) % 1009;
  return r === 0 ? NaN : r === 1 ? Infinity : r === 2 ? -Infinity : r === 3 ? -0 : (r % 41) - 20;
});
/** The stable order: NaN last (descending: first), ties in index order. */
function stableOrder(v: number[], descending: boolean): number[] {
  const rank = (x: number) => (Number.isNaN(x) ? (descending ? -Infinity : Infinity) : descending ? -x : x);
  return v.map((_, i) => i).sort((i, j) => {
    const [a, b] = [rank(v[i]), rank(v[j])];
    const nanA = Number.isNaN(v[i]);
    const nanB = Number.isNaN(v[j]);
    if (nanA !== nanB) return (nanA ? 1 : -1) * (descending ? -1 : 1);
    return a !== b ? a - b : i - j;
  });
}

T('argsort and sort of 20000 values (ties, +-inf, -0, NaN) in both directions: the stable order', async () => {
  const x = tf.tensor1d(values);
  for (const descending of [false, true]) {
    const want = stableOrder(values, descending);
    const got = tf.tidy(() => np.argsort(x, -1, descending) as tf.Tensor);
    assert.equal(Array.from(await got.data()), want, `argsort descending=${descending}`);
    const sorted = tf.tidy(() => np.sort(x, -1, descending) as tf.Tensor);
    assert.equal(Array.from(await sorted.data()).map((v) => (Object.is(v, -0) ? 0 : v)), want.map((i) => (Object.is(values[i], -0) ? 0 : values[i])), `sort descending=${descending}`);
    tf.dispose([got, sorted]);
  }
  x.dispose();
});

T('rows of a [4, 5000] array sort independently (axis 0 too)', async () => {
  const x = tf.tensor2d(values, [4, N / 4]);
  const got = tf.tidy(() => np.argsort(x as NdArray, 1) as tf.Tensor);
  const data = await got.data();
  for (let r = 0; r < 4; r++) assert.equal(Array.from(data.slice((r * N) / 4, ((r + 1) * N) / 4)), stableOrder(values.slice((r * N) / 4, ((r + 1) * N) / 4), false), `row ${r}`);
  const cols = tf.tidy(() => np.argsort(x as NdArray, 0) as tf.Tensor);
  assert.equal(cols.shape, [4, N / 4]);
  const c = await cols.data();
  const col = (k: number) => [0, 1, 2, 3].map((r) => values[r * (N / 4) + k]);
  for (const k of [0, 1, 2, 777, 4999]) assert.equal([0, 1, 2, 3].map((r) => c[r * (N / 4) + k]), stableOrder(col(k), false), `column ${k}`);
  tf.dispose([x, got, cols]);
});

T.run();
