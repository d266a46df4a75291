/**
 * lib/ops/nan-quantiles.ts against NumPy 2.4 (numpy.nanquantile / nanpercentile / nanmedian
 * on float32 inputs, values written in by hand), eagerly and under jit, for every method;
 * all-NaN and empty slices, several axes, keepdims, int32 input, the gradient, vmap, errors.
 *
 * Tolerance rtol 1e-6: each result is one sorted value or one lerp between two (two
 * float32 roundings; NumPy's lerp runs in float64 and is then rounded), and the positions
 * come from NumPy's float64 formula, so the chosen elements are the same.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { nanmedian, nanpercentile, nanquantile } from '../../lib/ops/nan-quantiles.js';
import type { QuantileMethod } from '../../lib/ops/quantile.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

const backend = await useTestBackend();
const S = suite(`np nan quantiles [${backend}]`);

const tol = { rtol: 1e-6, atol: 0 };
/** Rows with NaN in places, one all NaN, one without NaN, one with a single value. */
const rows = () => tf.tensor2d([[3, NaN, 1, 7, 2], [NaN, NaN, NaN, NaN, NaN], [5, 4, 3, 2, 1], [NaN, 9, NaN, NaN, NaN]]);
const qs = [0, 0.3, 0.5, 0.7, 1];

/** np.nanquantile(x, qs, axis=1, method=m): shape [5, 4]. */
const byMethod: Record<QuantileMethod, number[]> = {
  linear: [1, NaN, 1, 9, 1.899999976158142, NaN, 2.200000047683716, 9, 2.5, NaN, 3, 9, 3.4000000953674316, NaN, 3.799999952316284, 9, 7, NaN, 5, 9],
  lower: [1, NaN, 1, 9, 1, NaN, 2, 9, 2, NaN, 3, 9, 3, NaN, 3, 9, 7, NaN, 5, 9],
  higher: [1, NaN, 1, 9, 2, NaN, 3, 9, 3, NaN, 3, 9, 7, NaN, 4, 9, 7, NaN, 5, 9],
  nearest: [1, NaN, 1, 9, 2, NaN, 2, 9, 3, NaN, 3, 9, 3, NaN, 4, 9, 7, NaN, 5, 9],
  midpoint: [1, NaN, 1, 9, 1.5, NaN, 2.5, 9, 2.5, NaN, 3, 9, 5, NaN, 3.5, 9, 7, NaN, 5, 9],
};

S('nanquantile: every method, NumPy positions per non-NaN count (0.7 of 4 values is just above index 2)', async () => {
  const x = rows();
  for (const [m, values] of Object.entries(byMethod) as [QuantileMethod, number[]][])
    await eagerAndJit(`nanquantile ${m}`, (v) => nanquantile(v, qs, 1, false, m), [x], { shape: [5, 4], dtype: 'float32', values }, tol);
  await eagerAndJit('nanquantile scalar q', (v) => nanquantile(v, 0.3, -1), [x], { shape: [4], dtype: 'float32', values: [1.899999976158142, NaN, 2.200000047683716, 9] }, tol);
  x.dispose();
});

S('nanmedian and nanpercentile: one axis, all axes, keepdims, several axes', async () => {
  const x = rows();
  await eagerAndJit('nanmedian axis 1', (v) => nanmedian(v, 1), [x], { shape: [4], dtype: 'float32', values: [2.5, NaN, 3, 9] }, tol);
  await eagerAndJit('nanmedian all', (v) => nanmedian(v), [x], { shape: [], dtype: 'float32', values: [3] }, tol);
  await eagerAndJit('nanmedian keepdims', (v) => nanmedian(v, 0, true), [x], { shape: [1, 5], dtype: 'float32', values: [4, 6.5, 2, 4.5, 1.5] }, tol);
  await eagerAndJit('nanpercentile', (v) => nanpercentile(v, [25, 90], 1), [x], { shape: [2, 4], dtype: 'float32', values: [1.75, NaN, 2, 9, 5.800000190734863, NaN, 4.599999904632568, 9] }, tol);
  const y = tf.tensor3d([[[1, NaN], [3, 4]], [[NaN, NaN], [2, 8]]]);
  await eagerAndJit('nanmedian axes (0, 2)', (v) => nanmedian(v, [0, 2]), [y], { shape: [2], dtype: 'float32', values: [1, 3.5] }, tol);
  await eagerAndJit('nanquantile axes keepdims', (v) => nanquantile(v, 0.25, [0, 2], true), [y], { shape: [1, 2, 1], dtype: 'float32', values: [1, 2.75] }, tol);
  tf.dispose([x, y]);
});

S('edge cases: empty slices give NaN (as NumPy), int32 input, infinities', async () => {
  const e = tf.ones([2, 0]);
  await eagerAndJit('nanmedian empty', (v) => nanmedian(v, 1), [e], { shape: [2], dtype: 'float32', values: [NaN, NaN] }, tol);
  await eagerAndJit('nanquantile empty list', (v) => nanquantile(v, [0.1, 0.9], 1), [e], { shape: [2, 2], dtype: 'float32', values: [NaN, NaN, NaN, NaN] }, tol);
  const i = tf.tensor1d([4, 1, 2, 3], 'int32');
  await eagerAndJit('nanmedian int32', (v) => nanmedian(v), [i], { shape: [], dtype: 'float32', values: [2.5] }, tol);
  const inf = tf.tensor1d([Infinity, 1, NaN, -Infinity]);
  await eagerAndJit('nanmedian inf', (v) => nanmedian(v), [inf], { shape: [], dtype: 'float32', values: [1] }, tol);
  tf.dispose([e, i, inf]);
});

S('gradient: split between the two middle non-NaN values, zero at NaN; vmap over rows', async () => {
  const g = grad((v: NdArray) => nanmedian(v))(tf.tensor1d([3, NaN, 1, 4, 1])) as tf.Tensor;
  // Sorted non-NaN values 1, 1, 3, 4: the median is (1 + 3) / 2 from the second 1 (index 4, stable sort) and the 3.
  assert.equal(Array.from(await g.data()), [0.5, 0, 0, 0, 0.5]);
  const gq = grad((v: NdArray) => nanquantile(v, 0.25))(tf.tensor1d([NaN, 10, 20, 30])) as tf.Tensor;
  allClose(await gq.data(), [0, 0.5, 0.5, 0], tol);
  const x = rows();
  const v = vmap((r: NdArray) => nanmedian(r))(x) as tf.Tensor;
  allClose(await v.data(), [2.5, NaN, 3, 9], tol);
  tf.dispose([g, gq, x, v]);
});

S('errors: one line naming nanquantile and the problem', () => {
  const x = tf.ones([3]);
  assert.is(errorOf(() => nanquantile(x, 1.5)), 'nanquantile: q must be in [0, 1], got 1.5');
  assert.is(errorOf(() => nanpercentile(x, -10)), 'nanpercentile: q must be in [0, 100], got -10');
  assert.is(errorOf(() => nanquantile(x, 0.5, 0, false, 'cubic' as QuantileMethod)), 'nanquantile: unknown method "cubic"; use linear, lower, higher, nearest or midpoint');
  assert.is(errorOf(() => nanmedian(x, 1)), 'nanquantile: axis 1 is out of range for an array of rank 1');
  x.dispose();
});

S.run();
