/**
 * Gaps against jax.numpy / NumPy 2 (values from tools/numpy-fixtures-gaps.py in
 * test/fixtures/numpy_gaps.json, or NumPy's results written in): np.pad's ramp and statistic
 * modes, reductions' `dtype`, signed zeros of remainder/fmod, index updates computed in the
 * promoted dtype, and the functions added for the gaps (choose, piecewise, compress, extract,
 * poly*, trimZeros, rollaxis, resize, ravelMultiIndex, ...), eagerly and under jit.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np } from '../../lib/index.js';
import type { DType } from '../../lib/core/aval.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

const backend = await useTestBackend();
const S = suite(`np gaps [${backend}]`);

interface Rec {
  shape: number[];
  dtype: string;
  values: number[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/numpy_gaps.json', import.meta.url), 'utf8')) as Record<string, Rec> & { x: number[][]; xi: number[][] };
const want = (name: string) => ({ shape: fx[name].shape, dtype: (fx[name].dtype === 'int32' ? 'int32' : 'float32') as DType, values: fx[name].values });
const x = () => tf.tensor(fx.x, undefined, 'float32');
const xi = () => tf.tensor(fx.xi, undefined, 'int32');
/** Each value with -0 written as the string '-0', to compare signed zeros. */
const signed = async (t: tf.Tensor) => Array.from(await t.data()).map((v) => (Object.is(v, -0) ? '-0' : v));

S('pad: linear_ramp, maximum, minimum, mean, median (statLength), constant pairs, as NumPy', async () => {
  await eagerAndJit('ramp', (a) => np.pad(a, [[2, 1], [1, 3]], { mode: 'linear_ramp', endValues: [[5, -4], [2, 3]] }), [x()], want('pad_ramp'), { rtol: 1e-5, atol: 1e-5 });
  await eagerAndJit('ramp int', (a) => np.pad(a, 3, { mode: 'linear_ramp', endValues: 20 }), [xi()], want('pad_ramp_int'), { rtol: 0, atol: 0 });
  await eagerAndJit('maximum', (a) => np.pad(a, [[2, 1], [1, 3]], { mode: 'maximum', statLength: [[1, 2], [2, 1]] }), [x()], want('pad_max'));
  await eagerAndJit('minimum', (a) => np.pad(a, 2, { mode: 'minimum' }), [x()], want('pad_min'));
  await eagerAndJit('mean', (a) => np.pad(a, [1, 2], { mode: 'mean', statLength: 2 }), [x()], want('pad_mean'));
  await eagerAndJit('mean int', (a) => np.pad(a, 2, { mode: 'mean' }), [xi()], want('pad_mean_int'), { rtol: 0, atol: 0 });
  await eagerAndJit('median', (a) => np.pad(a, [[1, 1], [2, 0]], { mode: 'median', statLength: [[2, 3], [1, 4]] }), [x()], want('pad_median'));
  await eagerAndJit('median int', (a) => np.pad(a, 1, { mode: 'median', statLength: 2 }), [xi()], want('pad_median_int'), { rtol: 0, atol: 0 });
  await eagerAndJit('constant pairs', (a) => np.pad(a, [[1, 1], [2, 1]], { constantValues: [[7, 8], [-1, -2]] }), [xi()], want('pad_constant_pairs'), { rtol: 0, atol: 0 });
  await eagerAndJit('empty (zeros, as JAX)', (a) => np.pad(a, 2, { mode: 'empty' }), [tf.tensor1d([1, 2])], { shape: [6], dtype: 'float32', values: [0, 0, 1, 2, 0, 0] });
  assert.match(errorOf(() => np.pad(x(), 1, { mode: 'mean', statLength: 0 })), /statLength must be positive/);
  assert.match(errorOf(() => np.pad(x(), 1, { mode: 'linear_ramp', endValues: [[1, 2], [3, 4], [5, 6]] })), /3 endValues for an array of rank 2/);
  // The derivative of a mean pad: each of the 4 entries of a row feeds itself and 2 pads / 4.
  const g = await grad((a: NdArray) => np.sum(np.pad(a, [[0, 0], [1, 1]], { mode: 'mean' })))(x()).data();
  allClose(g, new Array(12).fill(1.5));
});

S('sum, prod, mean, cumsum, cumprod take a dtype (jax.numpy / NumPy: x cast first, result in that dtype)', async () => {
  const b = tf.tensor1d([1, 0, 1], 'bool');
  const f = tf.tensor1d([1.5, 2.7, -1.5]);
  // np.sum([T, F, T], dtype=float32) = 2.0; np.sum([1.5, 2.7, -1.5], dtype=int32) = 1 + 2 - 1 = 2
  await eagerAndJit('sum bool->float32', (a) => np.sum(a, null, false, { dtype: 'float32' }), [b], { shape: [], dtype: 'float32', values: [2] });
  await eagerAndJit('sum float->int32', (a) => np.sum(a, null, false, { dtype: 'int32' }), [f], { shape: [], dtype: 'int32', values: [2] });
  // np.prod([1.5, 2.7, -1.5], dtype=int32) = 1 * 2 * -1 = -2
  await eagerAndJit('prod float->int32', (a) => np.prod(a, 0, true, { dtype: 'int32' }), [f], { shape: [1], dtype: 'int32', values: [-2] });
  // np.mean([1, 2, 4], dtype=int32) = 2 (7 / 3 truncated)
  await eagerAndJit('mean int32', (a) => np.mean(a, null, false, { dtype: 'int32' }), [tf.tensor1d([1, 2, 4], 'int32')], { shape: [], dtype: 'int32', values: [2] });
  // np.cumsum([T, F, T], dtype=float32) = [1, 1, 2]; np.cumprod([1.5, 2.7, -1.5], dtype=int32) = [1, 2, -2]
  await eagerAndJit('cumsum', (a) => np.cumsum(a, null, 'float32'), [b], { shape: [3], dtype: 'float32', values: [1, 1, 2] });
  await eagerAndJit('cumprod', (a) => np.cumprod(a, 0, { dtype: 'int32' }), [f], { shape: [3], dtype: 'int32', values: [1, 2, -2] });
  // A float dtype keeps the derivative.
  allClose(await grad((a: NdArray) => np.sum(np.cumsum(a, 0, 'float32')))(f).data(), [3, 2, 1]);
});

S('remainder and fmod give zeros the signs NumPy gives', async () => {
  // np.remainder([0, -0, 0, -0, 4, -4, -0, 3], [-inf, 5, -5, -5, -2, 2, inf, -inf])
  const a = tf.tensor1d([0, -0, 0, -0, 4, -4, -0, 3]);
  const b = tf.tensor1d([-Infinity, 5, -5, -5, -2, 2, Infinity, -Infinity]);
  for (const g of [np.remainder, jit(np.remainder)]) assert.equal(await signed(g(a, b) as tf.Tensor), ['-0', 0, '-0', '-0', '-0', 0, 0, -Infinity]);
  // np.fmod([-0, 0, -4, 4], [5, -5, 2, -2]) = [-0, 0, -0, 0]
  assert.equal(await signed(np.fmod(tf.tensor1d([-0, 0, -4, 4]), tf.tensor1d([5, -5, 2, -2])) as tf.Tensor), ['-0', 0, '-0', 0]);
  // The derivative in x stays 1 where the remainder is zero (JAX: d rem / dx = 1).
  allClose(await grad((v: NdArray) => np.sum(np.remainder(v, 2)))(tf.tensor1d([4, -4, 3])).data(), [1, 1, 1]);
});

S('index updates of int32 / bool arrays compute in the promoted dtype, then cast back (JAX)', async () => {
  const i = () => tf.tensor1d([3, -3], 'int32');
  // jnp.array([3, -3]).at[:].multiply(2.5) = [7, -7]; .add(-2.5) = [0, -5]; .subtract(2.5) = [0, -5];
  // .divide(2.0) as floats = [1, -1]; .power(0.5) = [1, 0] (sqrt(-3) = nan -> 0); .min(2.5) = [2, -3]; .max(-2.5) = [3, -2]
  const cases: [string, (a: NdArray) => NdArray, number[]][] = [
    ['multiply', (a) => np.at(a, ':').multiply(2.5), [7, -7]],
    ['add', (a) => np.at(a, ':').add(-2.5), [0, -5]],
    ['subtract', (a) => np.at(a, ':').subtract(2.5), [0, -5]],
    ['divide', (a) => np.at(a, ':').divide(np.array([2, 2])), [1, -1]],
    ['min', (a) => np.at(a, ':').min(2.5), [2, -3]],
    ['max', (a) => np.at(a, ':').max(-2.5), [3, -2]],
    ['set', (a) => np.at(a, 0).set(2.7), [2, -3]],
  ];
  for (const [what, f, values] of cases) await eagerAndJit(what, f, [i()], { shape: [2], dtype: 'int32', values }, { rtol: 0, atol: 0 });
  // jnp.array([True, False]).at[0].add(-1): True + -1 = 0 -> False
  await eagerAndJit('bool add', (a) => np.at(a, 0).add(-1), [tf.tensor1d([1, 0], 'bool')], { shape: [2], dtype: 'bool', values: [0, 0] });
});

const I = (v: number[]) => tf.tensor1d(v, 'int32');
const F = (v: number[]) => tf.tensor1d(v, 'float32');
const exact = { rtol: 0, atol: 0 };

S('choose: modes raise (eager only), wrap, clip, as NumPy; derivatives reach the chosen entries', async () => {
  const [a, b, c] = [F([1, 2, 3, 4]), F([10, 20, 30, 40]), F([-1, -2, -3, -4])];
  // np.choose([0, 2, 1, 2], [a, b, c]) = [1, -2, 30, -4]; [3, -1, 4, 0] wrap: [1, -2, 30, 4]; clip: [-1, 2, -3, 4]
  assert.equal(Array.from(await (np.choose(I([0, 2, 1, 2]), [a, b, c]) as tf.Tensor).data()), [1, -2, 30, -4]);
  await eagerAndJit('wrap', (i) => np.choose(i, [a, b, c], 'wrap'), [I([3, -1, 4, 0])], { shape: [4], dtype: 'float32', values: [1, -2, 30, 4] }, exact);
  await eagerAndJit('clip', (i) => np.choose(i, [a, b, c], 'clip'), [I([3, -1, 4, 0])], { shape: [4], dtype: 'float32', values: [-1, 2, -3, 4] }, exact);
  assert.match(errorOf(() => np.choose(I([3]), [a, b, c])), /outside \[0, 3\)/);
  assert.match(errorOf(() => jit((i: NdArray) => np.choose(i, [a, b, c]))(I([0]))), /mode 'raise'.*traced.*'wrap' or 'clip'/);
  // Broadcasting: a [2, 1] against choices [3]; the choices' derivative is 1 where chosen.
  await eagerAndJit('broadcast', (i) => np.choose(i, [F([1, 2, 3]), 9], 'clip'), [tf.tensor2d([[0], [1]], undefined, 'int32')], { shape: [2, 3], dtype: 'float32', values: [1, 2, 3, 9, 9, 9] }, exact);
  allClose(await grad((v: NdArray) => np.sum(np.choose(I([0, 1, 0, 1]), [v, b], 'clip')))(a).data(), [1, 0, 1, 0]);
});

S('piecewise: the last true condition picks, an extra piece is the default, x dtype kept', async () => {
  const x = F([-2, -1, 0, 1, 2, 3]);
  const f = (v: NdArray) => np.piecewise(v, [np.less(v, 0), np.greater(v, 1)], [(u) => np.neg(u), (u) => np.mul(u, 10), 7]);
  // np.piecewise(x, [x < 0, x > 1], [lambda v: -v, lambda v: v * 10, 7]) = [2, 1, 7, 7, 20, 30]
  await eagerAndJit('piecewise', f, [x], { shape: [6], dtype: 'float32', values: [2, 1, 7, 7, 20, 30] }, exact);
  // int x keeps int32: np.piecewise([-2, 0, 3], [x < 0], [1.7]) = [1, 0, 0]
  await eagerAndJit('int', (v) => np.piecewise(v, [np.less(v, 0)], [1.7]), [I([-2, 0, 3])], { shape: [3], dtype: 'int32', values: [1, 0, 0] }, exact);
  allClose(await grad((v: NdArray) => np.sum(f(v)))(x).data(), [-1, -1, 0, 0, 10, 10]);
  assert.match(errorOf(() => np.piecewise(x, [np.less(x, 0)], [1, 2, 3])), /3 pieces for 1 conditions/);
});

S('compress and extract: concrete conditions eagerly, size and fillValue under jit', async () => {
  const m = tf.tensor2d([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]], undefined, 'int32');
  const B = (v: number[]) => tf.tensor1d(v, 'bool');
  // np.compress([F, T, T], m, 0); np.compress([T, F, T], m, 1); np.compress([T, F, T, T], m) (flattened)
  assert.equal(Array.from(await (np.compress(B([0, 1, 1]), m, 0) as tf.Tensor).data()), [4, 5, 6, 7, 8, 9, 10, 11]);
  const c1 = np.compress(B([1, 0, 1]), m, 1) as tf.Tensor;
  assert.equal([c1.shape, Array.from(await c1.data())], [[3, 2], [0, 2, 4, 6, 8, 10]]);
  assert.equal(Array.from(await (np.compress(B([1, 0, 1, 1]), m) as tf.Tensor).data()), [0, 2, 3]);
  // A condition shorter than the axis reads only its length (NumPy): np.compress([F, T], m, 0) = m[1:2]
  assert.equal((np.compress(B([0, 1]), m, 0) as tf.Tensor).shape, [1, 4]);
  assert.match(errorOf(() => np.compress(B([0, 0, 0, 1]), m, 0)), /past a's length 3/);
  await eagerAndJit('size', (cnd, v) => np.compress(cnd, v, 1, { size: 3, fillValue: -1 }), [B([1, 0, 1, 0]), m], { shape: [3, 3], dtype: 'int32', values: [0, 2, -1, 4, 6, -1, 8, 10, -1] }, exact);
  assert.match(errorOf(() => jit((cnd: NdArray) => np.compress(cnd, m, 0))(B([1, 0, 1]))), /pass size/);
  // np.extract(m > 6, m) = [7, 8, 9, 10, 11]
  assert.equal(Array.from(await (np.extract(np.greater(m, 6), m) as tf.Tensor).data()), [7, 8, 9, 10, 11]);
  allClose(await grad((v: NdArray) => np.sum(np.compress(B([1, 0, 1]), v)))(F([1, 2, 3])).data(), [1, 0, 1]);
});

S('polyadd, polysub, polymul, polyder, polyint, polyfit as NumPy', async () => {
  // np.polyadd([1, 2], [9, 5, 4]) = [9, 6, 6]; polysub = [-9, -4, -2]; np.polymul([1, 2, 3], [9, 5, 1]) = [9, 23, 38, 17, 3]
  await eagerAndJit('polyadd', (p, q) => np.polyadd(p, q), [F([1, 2]), F([9, 5, 4])], { shape: [3], dtype: 'float32', values: [9, 6, 6] }, exact);
  await eagerAndJit('polysub', (p, q) => np.polysub(p, q), [I([1, 2]), I([9, 5, 4])], { shape: [3], dtype: 'int32', values: [-9, -4, -2] }, exact);
  await eagerAndJit('polymul', (p, q) => np.polymul(p, q), [F([1, 2, 3]), F([9, 5, 1])], { shape: [5], dtype: 'float32', values: [9, 23, 38, 17, 3] });
  assert.equal(Array.from(await (np.polymul(F([0, 0, 1, 2]), F([3]), true) as tf.Tensor).data()), [3, 6]);
  // np.polyder([1, 1, 1, 1], 2) = [6, 2]; np.polyint([1, 1, 1], 3, [1, 2, 3]) = [1/60, 1/24, 1/6, 1/2, 2, 3]
  await eagerAndJit('polyder', (p) => np.polyder(p, 2), [F([1, 1, 1, 1])], { shape: [2], dtype: 'float32', values: [6, 2] }, exact);
  await eagerAndJit('polyint', (p) => np.polyint(p, 3, [1, 2, 3]), [F([1, 1, 1])], { shape: [6], dtype: 'float32', values: [1 / 60, 1 / 24, 1 / 6, 0.5, 2, 3] });
  assert.equal(Array.from(await (np.polyint([3, 0], 1, 5) as tf.Tensor).data()), [1.5, 0, 5]);
  // np.polyfit([0, 1, 2, 3, 4, 5], [0, .8, .9, .1, -.8, -1], 3)
  const fit = [0.08703704, -0.81349206, 1.69312169, -0.03968254];
  await eagerAndJit('polyfit', (xs, ys) => np.polyfit(xs, ys, 3), [F([0, 1, 2, 3, 4, 5]), F([0, 0.8, 0.9, 0.1, -0.8, -1])], { shape: [4], dtype: 'float32', values: fit }, { rtol: 1e-3, atol: 1e-4 });
  // Weighted, two columns: np.polyfit(x, np.stack([y, 2 * y], 1), 1, w=[1, 2, 1, 1, 2, 1])
  const w2 = np.polyfit(F([0, 1, 2, 3, 4, 5]), tf.tensor2d([[0, 0], [0.8, 1.6], [0.9, 1.8], [0.1, 0.2], [-0.8, -1.6], [-1, -2]]), 1, { w: F([1, 2, 1, 1, 2, 1]) }) as tf.Tensor;
  assert.equal(w2.shape, [2, 2]);
  allClose(await w2.data(), [-0.40322581, -0.80645161, 1.00806452, 2.01612903], { rtol: 1e-4, atol: 1e-4 });
  allClose(await grad((p: NdArray) => np.sum(np.polyder(p)))(F([1, 1, 1])).data(), [2, 1, 0]);
});

S('trimZeros, rollaxis, resize, ravelMultiIndex, searchsorted sorter, meshgrid sparse', async () => {
  // np.trim_zeros([0, 0, 1, 0, 2, 0]) = [1, 0, 2]; 'f': [1, 0, 2, 0]; all zeros: []
  assert.equal(Array.from(await (np.trimZeros(F([0, 0, 1, 0, 2, 0])) as tf.Tensor).data()), [1, 0, 2]);
  assert.equal(Array.from(await (np.trimZeros(F([0, 0, 1, 0, 2, 0]), 'f') as tf.Tensor).data()), [1, 0, 2, 0]);
  assert.equal((np.trimZeros(F([0, 0])) as tf.Tensor).shape, [0]);
  assert.match(errorOf(() => jit((v: NdArray) => np.trimZeros(v))(F([0, 1]))), /trimZeros: .*traced/);
  // np.rollaxis(np.zeros((3, 4, 5, 6)), 3, 1).shape = (3, 6, 4, 5); (…, 2) = (5, 3, 4, 6); (…, 1, 4) = (3, 5, 6, 4)
  const z = tf.zeros([3, 4, 5, 6]);
  assert.equal([np.rollaxis(z, 3, 1), np.rollaxis(z, 2), np.rollaxis(z, 1, 4), np.rollaxis(z, -1, -3)].map((t) => (t as tf.Tensor).shape), [[3, 6, 4, 5], [5, 3, 4, 6], [3, 5, 6, 4], [3, 6, 4, 5]]);
  // np.resize([1, 2, 3], (2, 4))
  await eagerAndJit('resize', (v) => np.resize(v, [2, 4]), [I([1, 2, 3])], { shape: [2, 4], dtype: 'int32', values: [1, 2, 3, 1, 2, 3, 1, 2] }, exact);
  // np.ravel_multi_index(([3, 6, 6], [4, 5, 1]), (7, 6)) = [22, 41, 37]; order F: [31, 41, 13];
  // ([3, 6, 9], [4, 5, -1]) clip: [22, 41, 36]; wrap: [22, 41, 17]
  assert.equal(Array.from(await (np.ravelMultiIndex([I([3, 6, 6]), I([4, 5, 1])], [7, 6]) as tf.Tensor).data()), [22, 41, 37]);
  assert.equal(Array.from(await (np.ravelMultiIndex([I([3, 6, 6]), I([4, 5, 1])], [7, 6], 'raise', 'F') as tf.Tensor).data()), [31, 41, 13]);
  await eagerAndJit('ravel clip', (i, j) => np.ravelMultiIndex([i, j], [7, 6], 'clip'), [I([3, 6, 9]), I([4, 5, -1])], { shape: [3], dtype: 'int32', values: [22, 41, 36] }, exact);
  await eagerAndJit('ravel wrap', (i, j) => np.ravelMultiIndex([i, j], [7, 6], 'wrap'), [I([3, 6, 9]), I([4, 5, -1])], { shape: [3], dtype: 'int32', values: [22, 41, 17] }, exact);
  assert.match(errorOf(() => np.ravelMultiIndex([I([7]), I([0])], [7, 6])), /axis 0 is outside \[0, 7\)/);
  // np.searchsorted([3, 1, 2], [2.5, 0, 3], sorter=[1, 2, 0]) = [2, 0, 2]
  await eagerAndJit('sorter', (a, v) => np.searchsorted(a, v, 'left', np.argsort(a)), [F([3, 1, 2]), F([2.5, 0, 3])], { shape: [3], dtype: 'int32', values: [2, 0, 2] }, exact);
  // np.meshgrid([1, 2, 3], [4, 5], sparse=True) shapes (1, 3), (2, 1); 'ij': (3, 1), (1, 2)
  assert.equal(np.meshgrid([F([1, 2, 3]), F([4, 5])], { sparse: true }).map((t) => (t as tf.Tensor).shape), [[1, 3], [2, 1]]);
  assert.equal(np.meshgrid([F([1, 2, 3]), F([4, 5])], { sparse: true, indexing: 'ij' }).map((t) => (t as tf.Tensor).shape), [[3, 1], [1, 2]]);
});

S('applyAlongAxis, applyOverAxes, vectorize (excluded, signature), under jit and grad', async () => {
  const m = tf.tensor2d([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]);
  // np.apply_along_axis(lambda v: (v ** 2).sum(), 1, m) = [14, 126, 366]; a vector result takes the axis's place
  await eagerAndJit('along', (v) => np.applyAlongAxis((r) => np.sum(np.square(r)), 1, v), [m], { shape: [3], dtype: 'float32', values: [14, 126, 366] });
  await eagerAndJit('along 0', (v) => np.applyAlongAxis((r) => np.stack([np.max(r), np.min(r)]), 0, v), [m], { shape: [2, 4], dtype: 'float32', values: [8, 9, 10, 11, 0, 1, 2, 3] });
  // np.apply_over_axes(np.sum, np.arange(24).reshape(2, 3, 4), [0, 2]) = [[[60], [92], [124]]]
  const r = np.applyOverAxes((a, ax) => np.sum(a, ax), tf.reshape(tf.range(0, 24, 1, 'int32'), [2, 3, 4]), [0, 2]) as tf.Tensor;
  assert.equal([r.shape, Array.from(await r.data())], [[1, 3, 1], [60, 92, 124]]);
  const dot = np.vectorize((p: NdArray, q: NdArray) => np.sum(np.mul(p, q)), { signature: '(n),(n)->()' });
  await eagerAndJit('signature', (p, q) => dot(p, q), [m, F([1, 0, 1, 0])], { shape: [3], dtype: 'float32', values: [2, 10, 18] });
  const scaled = np.vectorize((p: NdArray, k: number) => np.mul(p, k), { excluded: [1] });
  await eagerAndJit('excluded', (p) => scaled(p, 3), [F([1, 2])], { shape: [2], dtype: 'float32', values: [3, 6] });
  // Without a signature every dim loops: a scalar function of two broadcasting arguments.
  const clamp = np.vectorize((p: NdArray, q: NdArray) => np.where(np.greater(p, q), p, q));
  await eagerAndJit('broadcast', (p, q) => clamp(p, q), [tf.tensor2d([[1], [5]]), F([2, 3, 4])], { shape: [2, 3], dtype: 'float32', values: [2, 3, 4, 5, 5, 5] });
  assert.match(errorOf(() => dot(m, F([1, 2]))), /core dim 'n' is 4 and 2/);
  allClose(await grad((v: NdArray) => np.sum(np.applyAlongAxis((row) => np.sum(np.square(row)), 1, v)))(m).data(), [0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22]);
});

S('histogram2d and histogramdd as NumPy (counts, edges, density, weights, range)', async () => {
  const x = F([0.1, 0.5, 0.9, 0.9, 0.3]);
  const y = F([1, 2, 3, 0.5, 2.5]);
  // np.histogram2d(x, y, bins=[2, 3]) -> [[1, 0, 1], [1, 1, 1]], [0.1, 0.5, 0.9], [0.5, 4/3, 13/6, 3]
  const [h, xe, ye] = np.histogram2d(x, y, { bins: [2, 3] }) as tf.Tensor[];
  assert.equal(h.shape, [2, 3]);
  allClose(await h.data(), [1, 0, 1, 1, 1, 1]);
  allClose(await xe.data(), [0.1, 0.5, 0.9]);
  allClose(await ye.data(), [0.5, 4 / 3, 13 / 6, 3]);
  // density=True: [[0.6, 0, 0.6], [0.6, 0.6, 0.6]]
  allClose(await (np.histogram2d(x, y, { bins: [2, 3], density: true })[0] as tf.Tensor).data(), [0.6, 0, 0.6, 0.6, 0.6, 0.6]);
  // np.histogramdd(np.stack([x, y], 1), bins=2, range=[(0, 1), (0, 2)], weights=[1, 2, 3, 4, 5]) -> [[0, 1], [0, 2]] (y > 2 outside)
  const [hd] = np.histogramdd(tf.stack([x, y], 1), { bins: 2, range: [[0, 1], [0, 2]], weights: F([1, 2, 3, 4, 5]) }) as [tf.Tensor, tf.Tensor[]];
  allClose(await hd.data(), [0, 1, 4, 2]);
  const jitted = jit((a: NdArray, b: NdArray) => np.histogram2d(a, b, { bins: [2, 3], range: [[0.1, 0.9], [0.5, 3]] })[0]);
  allClose(await (jitted(x, y) as tf.Tensor).data(), [1, 0, 1, 1, 1, 1]);
});

S.run();
