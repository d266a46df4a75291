/**
 * Regressions from a hunt through `np` against jax.numpy's semantics (JAX's lax_numpy tests)
 * with NumPy 2 as the reference: the expected values were computed with numpy on the same
 * float32/int32/bool inputs and written in by hand (where JAX differs from NumPy, JAX's
 * result is used and the comment says so). Results are exact (small integers, or one float32
 * rounding NumPy makes the same way) unless a tolerance is given.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { np } from '../../lib/index.js';
import type { DType } from '../../lib/core/aval.js';
import type { NdArray } from '../../lib/core/trace.js';
import { type NumericLike, allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

const backend = await useTestBackend();
const S = suite(`np hunt [${backend}]`);

const f32 = (v: NumericLike) => np.array(v as number[], 'float32');
const i32 = (v: NumericLike) => np.array(v as number[], 'int32');
const bool = (v: boolean[] | boolean[][]) => np.array(v as unknown as number[], 'bool');
/** [0, 1, ..., n-1] as int32 in `shape`. */
const iota = (shape: number[]) => np.reshape(np.arange(shape.reduce((p, d) => p * d, 1)), shape);

/** Asserts shape, dtype and values (NaN matches NaN; `tol` for floats computed differently from NumPy). */
async function expect(x: NdArray, shape: number[], dtype: DType, values: NumericLike, what: string, tol = { rtol: 0, atol: 0 }): Promise<void> {
  const t = x as tf.Tensor;
  assert.equal([...t.shape], shape, `${what}: shape`);
  assert.is(t.dtype, dtype, `${what}: dtype`);
  allClose(Array.from(await t.data(), Number), values, tol, what);
}

S('argmax/argmin/nanargmax/nanargmin default to the flattened array (axis None), with keepdims', async () => {
  const x = f32([[1, 5, 2], [7, 0, 3]]);
  await expect(np.argmax(x), [], 'int32', [3], 'argmax(x)');
  await expect(np.argmin(x), [], 'int32', [4], 'argmin(x)');
  await expect(np.nanargmax(f32([[1, NaN], [9, 2]])), [], 'int32', [2], 'nanargmax(x)');
  await expect(np.nanargmin(f32([[1, NaN], [-9, 2]])), [], 'int32', [2], 'nanargmin(x)');
  await expect(np.argmax(x, 0, true), [1, 3], 'int32', [1, 0, 1], 'argmax(x, 0, keepdims)');
  await expect(np.argmin(x, -1, true), [2, 1], 'int32', [0, 1], 'argmin(x, -1, keepdims)');
  await expect(np.argmax(x, null, true), [1, 1], 'int32', [3], 'argmax(x, None, keepdims)');
  await eagerAndJit('argmax flattened', (a) => np.argmax(a), [x], { shape: [], dtype: 'int32', values: [3] });
});

S('matmul, tensordot, einsum, dot, vdot and convolve promote int32 with float32; bool products are bool', async () => {
  const m = iota([2, 3]);
  const v = f32([0.5, 1, 2]);
  await expect(np.matmul(m, v), [2], 'float32', [5, 15.5], 'matmul(int32, float32)');
  await expect(np.einsum('ij,j->i', m, v), [2], 'float32', [5, 15.5], 'einsum(int32, float32)');
  await expect(np.tensordot(m, f32([[1], [0.5], [0.25]]), 1), [2, 1], 'float32', [1, 6.25], 'tensordot(int32, float32)');
  await expect(np.dot(m, v), [2], 'float32', [5, 15.5], 'dot(int32, float32)');
  await expect(np.convolve(i32([1, 2, 3]), f32([0, 0.5])), [4], 'float32', [0, 0.5, 1, 1.5], 'convolve(int32, float32)');
  await expect(np.vdot(iota([2, 2]), f32([1, 0.5, 0.25, 2])), [], 'float32', [7], 'vdot');
  // jax.numpy: a product of bools is bool (true where any term is).
  await expect(np.matmul(bool([[true, false], [false, false]]), bool([[true], [true]])), [2, 1], 'bool', [1, 0], 'matmul(bool, bool)');
  await expect(np.einsum('i,i', bool([true, true, false]), bool([true, true, true])), [], 'bool', [1], 'einsum(bool, bool)');
});

S('tensordot takes axes as a pair of single axes, as NumPy', async () => {
  await expect(np.tensordot(iota([2, 3]), iota([3, 4]), [1, 0]), [2, 4], 'int32', [20, 23, 26, 29, 56, 68, 80, 92], 'tensordot axes (1, 0)');
});

S('correlate of a shorter first operand is reversed (NumPy and JAX centre on the longer one)', async () => {
  const a = f32([1, 2]);
  const v = f32([1, 2, 3, 4]);
  await expect(np.correlate(a, v, 'same'), [4], 'float32', [11, 8, 5, 2], "correlate 'same'");
  await expect(np.correlate(a, v, 'valid'), [3], 'float32', [11, 8, 5], "correlate 'valid'");
  await expect(np.correlate(a, v, 'full'), [5], 'float32', [4, 11, 8, 5, 2], "correlate 'full'");
});

S('sort and argsort with a null axis work on the flattened array', async () => {
  const x = i32([[3, 1], [2, 0]]);
  await expect(np.sort(x, null), [4], 'int32', [0, 1, 2, 3], 'sort(x, None)');
  await expect(np.argsort(x, null), [4], 'int32', [3, 1, 2, 0], 'argsort(x, None)');
});

S('remainder by an infinity, fmod, logicalXor and arctan2 at negative zero x', async () => {
  await expect(np.remainder(f32([1, -1, 0, 5.5]), f32([Infinity, Infinity, -Infinity, -Infinity])), [4], 'float32', [1, Infinity, 0, -Infinity], 'remainder(x, inf)');
  await expect(np.remainder(f32([7.5, -7.5, 7.5, -7.5]), f32([2, 2, -2, -2])), [4], 'float32', [1.5, 0.5, -0.5, -1.5], 'remainder float');
  await expect(np.fmod(i32([7, -7, 7, -7, 5]), i32([2, 2, -2, -2, 0])), [5], 'int32', [1, -1, 1, -1, 0], 'fmod int32 (x fmod 0 = 0, jax.numpy)');
  await expect(np.fmod(f32([7.5, -7.5, 1, Infinity, 3]), f32([2, 2, Infinity, 2, 0])), [5], 'float32', [1.5, -1.5, 1, NaN, NaN], 'fmod float32');
  await expect(np.logicalXor(bool([true, false, true]), i32([1, 1, 0])), [3], 'bool', [0, 1, 1], 'logicalXor');
  const t = await (np.arctan2(f32([0, -0]), f32([-0, -0])) as tf.Tensor).data();
  assert.equal(Array.from(t), [Math.fround(Math.PI), -Math.fround(Math.PI)], 'arctan2(+-0, -0) = +-pi');
});

S('round and around take decimals (half to even; negative decimals round to tens, hundreds)', async () => {
  await expect(np.round(f32([1.25, 0.25, 151, 1234.5]), 1), [4], 'float32', [1.2, 0.2, 151, 1234.5], 'round(x, 1)', { rtol: 1e-7, atol: 0 });
  await expect(np.around(f32([151, -155, 1250, 1350]), -2), [4], 'float32', [200, -200, 1200, 1400], 'around(x, -2)');
  await expect(np.round(i32([7, -3]), 2), [2], 'int32', [7, -3], 'round(int32, 2)');
  assert.match(errorOf(() => np.round(i32([7]), -1)), /^round: decimals < 0 is not supported for int32/);
});

S('square of bool is int32, and negating a bool is an error (jax.numpy)', async () => {
  await expect(np.square(bool([true, false])), [2], 'int32', [1, 0], 'square(bool)');
  assert.match(errorOf(() => np.neg(bool([true]))), /^neg: not defined for bool/);
});

S('identity, fullLike and zerosLike/onesLike with a dtype', async () => {
  await expect(np.identity(2, 'int32'), [2, 2], 'int32', [1, 0, 0, 1], 'identity');
  await expect(np.fullLike(i32([1, 2]), 2.7), [2], 'int32', [2, 2], 'fullLike(int32, 2.7)');
  await expect(np.fullLike(i32([1, 2]), 2.5, 'float32'), [2], 'float32', [2.5, 2.5], 'fullLike with dtype');
  await expect(np.zerosLike(i32([1, 2]), 'float32'), [2], 'float32', [0, 0], 'zerosLike with dtype');
  await expect(np.onesLike(f32([1, 2]), 'bool'), [2], 'bool', [1, 1], 'onesLike with dtype');
});

S('linspace floors into int32 (NumPy 2, jax.numpy) and returns its step with retstep', async () => {
  await expect(np.linspace(-10, 0, 4, { dtype: 'int32' }), [4], 'int32', [-10, -7, -4, 0], 'linspace int32');
  const [xs, step] = np.linspace(0, 1, 5, { retstep: true });
  await expect(xs, [5], 'float32', [0, 0.25, 0.5, 0.75, 1], 'linspace retstep samples');
  await expect(step, [], 'float32', [0.25], 'linspace retstep step (a 0-d array, as jax.numpy)');
  assert.ok(Number.isNaN((await np.linspace(0, 1, 1, { retstep: true })[1].data())[0]!), 'one sample with the endpoint: step NaN');
});

S('nanvar and nanstd are NaN where no more than ddof values are left (jax.numpy)', async () => {
  // Rows with 2, 1 and 0 values: with ddof 1 the last two have no degrees of freedom (0/0 and 0/-1 before).
  const x = f32([[1, NaN, 2], [NaN, 3, NaN], [NaN, NaN, NaN]]);
  await expect(np.nanvar(x, 1, false, 1), [3], 'float32', [0.5, NaN, NaN], 'nanvar ddof 1');
  await expect(np.nanstd(x, 1, false, 2), [3], 'float32', [NaN, NaN, NaN], 'nanstd ddof 2');
});

S('average with returned gives the sum of the weights too', async () => {
  const x = f32([[1, 5, 2], [4, 0, 3]]);
  const [avg, total] = np.average(x, 1, f32([1, 2, 3]), false, true);
  await expect(avg, [2], 'float32', [17 / 6, 13 / 6], 'average', { rtol: 1e-6, atol: 0 });
  await expect(total, [2], 'float32', [6, 6], 'sum of weights');
  const [mean, count] = np.average(x, 0, undefined, false, true);
  await expect(mean, [3], 'float32', [2.5, 2.5, 2.5], 'unweighted average');
  await expect(count, [3], 'float32', [2, 2, 2], 'element count');
});

S('sum, prod, max, min and mean take where masks and initial values', async () => {
  const x = f32([[1, 5, 2], [4, 0, 3]]);
  const m = bool([[true, false, true], [false, true, true]]);
  await expect(np.sum(x, null, false, { where: m }), [], 'float32', [6], 'sum where');
  await expect(np.sum(x, 1, false, { where: m, initial: 10 }), [2], 'float32', [13, 13], 'sum where initial');
  await expect(np.prod(x, 0, false, { where: m }), [3], 'float32', [1, 0, 6], 'prod where');
  await expect(np.prod(i32([2, 3]), null, false, { initial: 5 }), [], 'int32', [30], 'prod initial');
  await expect(np.max(x, 1, false, { where: m, initial: -1 }), [2], 'float32', [2, 3], 'max where initial');
  await expect(np.min(x, 0, true, { where: m, initial: 2.5 }), [1, 3], 'float32', [1, 0, 2], 'min where initial keepdims');
  await expect(np.max(x, null, false, { initial: 7 }), [], 'float32', [7], 'max initial above every element');
  await expect(np.max(np.zeros([0, 3]), 0, false, { initial: -5 }), [3], 'float32', [-5, -5, -5], 'max of an empty axis with initial');
  await expect(np.mean(x, 1, false, { where: m }), [2], 'float32', [1.5, 1.5], 'mean where');
  assert.match(errorOf(() => np.max(x, 0, false, { where: m })), /^max: a where mask needs an initial value/);
  assert.match(errorOf(() => np.sum(x, 0, false, { where: np.ones([2, 2, 3], 'bool') })), /^sum: a where mask of shape \[2,2,3\] does not broadcast to x's shape \[2,3\]/);
  await eagerAndJit('sum where', (a, w) => np.sum(a, 1, false, { where: w, initial: 10 }), [x, m], { shape: [2], dtype: 'float32', values: [13, 13] });
});

S('pad: one number or one pair for every axis, and modes edge, reflect, symmetric, wrap', async () => {
  const x = iota([2, 3]);
  await expect(np.pad(x, 1, 9), [4, 5], 'int32', [9, 9, 9, 9, 9, 9, 0, 1, 2, 9, 9, 3, 4, 5, 9, 9, 9, 9, 9, 9], 'pad 1');
  await expect(np.pad(x, [[1, 0]], { constantValues: 7 }), [3, 4], 'int32', [7, 7, 7, 7, 7, 0, 1, 2, 7, 3, 4, 5], 'pad one pair for all axes');
  await expect(np.pad(x, [[1, 2], [2, 1]], { mode: 'edge' }), [5, 6], 'int32', [0, 0, 0, 1, 2, 2, 0, 0, 0, 1, 2, 2, 3, 3, 3, 4, 5, 5, 3, 3, 3, 4, 5, 5, 3, 3, 3, 4, 5, 5], 'pad edge');
  const r = iota([3]);
  await expect(np.pad(r, [5, 4], { mode: 'reflect' }), [12], 'int32', [1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2], 'pad reflect (longer than the axis)');
  await expect(np.pad(r, [5, 4], { mode: 'symmetric' }), [12], 'int32', [1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0], 'pad symmetric');
  await expect(np.pad(r, [4, 2], { mode: 'wrap' }), [9], 'int32', [2, 0, 1, 2, 0, 1, 2, 0, 1], 'pad wrap');
  await eagerAndJit('pad reflect', (a) => np.pad(a, [[0, 0], [2, 1]], { mode: 'reflect' }), [x as tf.Tensor], { shape: [2, 6], dtype: 'int32', values: [2, 1, 0, 1, 2, 1, 5, 4, 3, 4, 5, 4] });
  assert.match(errorOf(() => np.pad(x, [[1, 1], [1, 1], [1, 1]])), /^pad: 3 pad widths for an array of rank 2/);
  assert.match(errorOf(() => np.pad(x, 1, { mode: 'mirror' as 'edge' })), /^pad: mode must be/);
});

S('roll, repeat, expandDims, diff, flips and splits take NumPy\'s other argument forms', async () => {
  const x = iota([2, 3]);
  await expect(np.roll(x, 1, [0, 1]), [2, 3], 'int32', [5, 3, 4, 2, 0, 1], 'roll one shift on two axes');
  await expect(np.repeat(x, [2], 0), [4, 3], 'int32', [0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5], 'repeat with one count');
  await expect(np.expandDims(x, [0, -1]), [1, 2, 3, 1], 'int32', [0, 1, 2, 3, 4, 5], 'expandDims two axes');
  await expect(np.diff(f32([[1, 4], [2, 3]]), 1, -1, { prepend: 0 }), [2, 2], 'float32', [1, 3, 2, 1], 'diff with a scalar prepend');
  await expect(np.diff(f32([1, 4]), 1, -1, { append: f32(10) }), [2], 'float32', [3, 6], 'diff with a 0-d append');
  await expect(np.fliplr(x), [2, 3], 'int32', [2, 1, 0, 5, 4, 3], 'fliplr');
  await expect(np.flipud(x), [2, 3], 'int32', [3, 4, 5, 0, 1, 2], 'flipud');
  const h = np.hsplit(iota([2, 4]), 2);
  await expect(h[1]!, [2, 2], 'int32', [2, 3, 6, 7], 'hsplit');
  const v = np.vsplit(iota([4, 2]), [1]);
  await expect(v[1]!, [3, 2], 'int32', [2, 3, 4, 5, 6, 7], 'vsplit');
  const d = np.dsplit(iota([1, 2, 4]), 2);
  await expect(d[0]!, [1, 2, 2], 'int32', [0, 1, 4, 5], 'dsplit');
  assert.match(errorOf(() => np.vsplit(iota([4]), 2)), /^vsplit: need an array of rank >= 2/);
});

S('where with one argument is np.nonzero (jnp.where(condition))', async () => {
  const [idx] = np.where(i32([0, 1, 3]));
  await expect(idx, [2], 'int32', [1, 2], 'where(cond)');
});

S('np.array infers bool from JS booleans and int32 from an Int32Array (jnp.array), float32 from JS numbers; np.asarray keeps arrays', async () => {
  await expect(np.array([true, false]), [2], 'bool', [1, 0], 'array of booleans');
  await expect(np.array([[false], [true]]), [2, 1], 'bool', [0, 1], 'nested booleans');
  await expect(np.array(new Int32Array([3, -4])), [2], 'int32', [3, -4], 'array of an Int32Array');
  await expect(np.array([1, 2]), [2], 'float32', [1, 2], 'array of JS numbers (JS cannot tell 1 from 1.0)');
  await expect(np.array([]), [0], 'float32', [], 'empty');
  const x = f32([1.5, -2]);
  assert.ok(np.asarray(x) === x, 'asarray of an array is that array');
  await expect(np.asarray(x, 'int32'), [2], 'int32', [1, -2], 'asarray with a dtype casts');
  await expect(np.asarray([true]), [1], 'bool', [1], 'asarray of JS data');
  tf.dispose(x);
});

S.run();
