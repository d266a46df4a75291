/**
 * Session 15's audit of jax.numpy's public names against `np`: the dtype introspection
 * (`finfo`, `iinfo`, `promoteTypes`, `resultType`, `canCast`, `issubdtype`, `isdtype`), the
 * constants and dtype names, `real` / `imag` / `conj` / `angle` on real arrays; and options
 * of existing reductions jax.numpy has: `where` and `correction` of var/std, `where` of
 * any/all and of the NaN-ignoring reductions; NumPy's positional arguments of
 * pad, trapezoid, packbits/unpackbits, meshgrid, isclose/allclose, histogram, bincount,
 * cov/corrcoef and linspace/logspace/geomspace. Expected numbers are NumPy's (python3, numpy
 * 1.24) unless said.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`np names session 15 [${backend}]`);

const F = (v: number[] | number[][]) => np.array(v as number[], 'float32');
const I = (v: number[] | number[][]) => np.array(v as number[], 'int32');
const B = (v: boolean[] | boolean[][]) => np.array(v as boolean[], 'bool');
const read = (x: NdArray) => Array.from((x as tf.Tensor).dataSync() as ArrayLike<number>);

S('finfo and iinfo give float32\'s and int32\'s limits (numpy\'s np.finfo(np.float32), np.iinfo(np.int32))', () => {
  const f = np.finfo('float32');
  // numpy: eps 1.1920929e-07 (2^-23), epsneg 5.9604645e-08, max 3.4028235e+38, tiny 1.1754944e-38, smallest_subnormal 1e-45.
  assert.is(f.eps, 2 ** -23);
  assert.is(f.epsneg, 2 ** -24);
  assert.is(f.max, Math.fround(3.4028235e38));
  assert.is(f.min, -f.max);
  assert.is(f.tiny, Math.fround(1.1754944e-38));
  assert.is(f.smallestNormal, f.tiny);
  assert.is(f.smallestSubnormal, Math.fround(1e-45));
  assert.is(f.resolution, Math.fround(1e-6));
  assert.equal([f.bits, f.precision, f.nmant, f.nexp, f.maxexp, f.minexp, f.machep, f.negep], [32, 6, 23, 8, 128, -126, -23, -24]);
  // 1 + eps is the next float32 after 1; 1 + eps / 2 rounds back to 1.
  assert.is(Math.fround(1 + f.eps) > 1, true);
  assert.is(Math.fround(1 + f.eps / 2), 1);
  // From an array (its dtype), as np.finfo(x.dtype).
  assert.is(np.finfo(F([1])).eps, f.eps);
  assert.equal(np.iinfo('int32'), { dtype: 'int32', bits: 32, min: -2147483648, max: 2147483647, kind: 'i' });
  assert.is(np.iinfo(I([1])).max, 2147483647);
  // NumPy: np.finfo(np.int32) and np.iinfo(np.float32) / np.iinfo(bool) raise.
  assert.match(errorOf(() => np.finfo('int32')), /finfo: dtype int32 is not a float dtype/);
  assert.match(errorOf(() => np.iinfo('float32')), /iinfo: dtype float32 is not an integer dtype/);
  assert.match(errorOf(() => np.iinfo('bool')), /iinfo: dtype bool/);
  assert.match(errorOf(() => np.finfo('float64' as 'float32')), /unknown dtype 'float64'/);
});

S('promoteTypes, resultType and canCast follow jax.numpy\'s lattice and NumPy\'s casting table', () => {
  assert.is(np.promoteTypes('int32', 'float32'), 'float32');
  assert.is(np.promoteTypes('bool', 'int32'), 'int32');
  assert.is(np.promoteTypes('bool', 'bool'), 'bool');
  // JAX: result_type(int32 array, 0.5) is float32; a Python int is weak (int32 array + 1 stays int32).
  assert.is(np.resultType(I([1]), 0.5), 'float32');
  assert.is(np.resultType(I([1]), 1), 'int32');
  assert.is(np.resultType('bool', 1), 'int32');
  assert.is(np.resultType(F([1]), 'int32', true), 'float32');
  assert.is(np.resultType(true), 'bool');
  assert.is(np.resultType(2), 'int32');
  assert.is(np.resultType(2, 2.5), 'float32');
  assert.match(errorOf(() => np.resultType()), /at least one array or dtype/);
  // numpy: can_cast(int32, float32) False (safe), True (same_kind); can_cast(float32, int32, 'same_kind') False.
  assert.is(np.canCast('int32', 'float32'), false);
  assert.is(np.canCast('int32', 'float32', 'same_kind'), true);
  assert.is(np.canCast('float32', 'int32', 'same_kind'), false);
  assert.is(np.canCast('float32', 'int32', 'unsafe'), true);
  assert.is(np.canCast('bool', 'float32'), true);
  assert.is(np.canCast('int32', 'bool', 'same_kind'), false);
  assert.is(np.canCast(F([1]), 'float32', 'no'), true);
  assert.match(errorOf(() => np.canCast('int32', 'float32', 'lossy' as 'safe')), /casting must be/);
});

S('issubdtype and isdtype place the dtypes in NumPy\'s hierarchy and the array API\'s kinds', () => {
  // numpy: issubdtype(float32, floating/inexact/number/generic) True, (float32, integer) False, (bool, number) False.
  assert.equal([np.floating, np.inexact, np.number, np.generic].map((k) => np.issubdtype('float32', k)), [true, true, true, true]);
  assert.equal([np.integer, np.signedinteger, np.unsignedinteger, np.complexfloating].map((k) => np.issubdtype('float32', k)), [false, false, false, false]);
  assert.equal([np.integer, np.signedinteger, np.number, np.floating].map((k) => np.issubdtype(np.int32, k)), [true, true, true, false]);
  assert.equal([np.number, np.generic, np.bool_, np.integer].map((k) => np.issubdtype('bool', k)), [false, true, true, false]);
  assert.is(np.issubdtype('int32', 'float32'), false);
  assert.is(np.issubdtype(F([1]).dtype as 'float32', np.floating), true);
  assert.match(errorOf(() => np.issubdtype('float32', 'real' as 'number')), /unknown dtype or kind 'real'/);
  assert.is(np.isdtype('float32', 'real floating'), true);
  assert.is(np.isdtype('int32', 'real floating'), false);
  assert.is(np.isdtype('int32', ['bool', 'integral']), true);
  assert.is(np.isdtype('bool', 'numeric'), false);
  assert.is(np.isdtype('bool', 'bool'), true);
  assert.is(np.isdtype('int32', 'unsigned integer'), false);
  assert.is(np.isdtype('float32', 'float32'), true);
  assert.match(errorOf(() => np.isdtype('float32', 'float' as 'numeric')), /unknown kind 'float'/);
});

S('constants and dtype names are numpy\'s', () => {
  assert.equal([np.pi, np.e, np.inf, np.eulerGamma], [Math.PI, Math.E, Infinity, 0.5772156649015329]);
  assert.is(Number.isNaN(np.nan), true);
  assert.equal([np.float32, np.int32, np.bool_, np.bool], ['float32', 'int32', 'bool', 'bool']);
  // newaxis is None: a new axis in np.index.
  assert.equal(np.index(F([1, 2]), np.newaxis, ':').shape, [1, 2]);
  assert.is(np.zeros([2], np.int32).dtype, 'int32');
});

S('real, imag, conj and angle of real arrays are jax.numpy\'s', () => {
  const x = F([2, -1, 0, -0, NaN, -Infinity]);
  assert.is(np.real(x), x);
  assert.is(np.conj(x), x);
  assert.is(np.conjugate(x), x);
  const im = np.imag(I([1, -2]));
  assert.equal([im.dtype, read(im)], ['int32', [0, 0]]);
  assert.equal([np.imag(B([true])).dtype, read(np.imag(B([true])))], ['bool', [0]]);
  assert.equal([np.real(3).dtype, read(np.real(3))], ['int32', [3]]);
  assert.equal(np.imag(F([[1, 2]])).shape, [1, 2]);
  // numpy: angle([2, -1, 0, -0., nan, -inf]) = [0, pi, 0, pi, nan, pi]; deg: [0, 180].
  const a = np.angle(x);
  assert.is(a.dtype, 'float32');
  allClose(read(a), [0, Math.PI, 0, Math.PI, NaN, Math.PI]);
  const d = np.angle(I([2, -1]), true);
  assert.equal([d.dtype, read(d)], ['float32', [0, 180]]);
  allClose(read(np.angle(-3)), [Math.PI]);
  // JAX: the derivative of angle of a real x is 0 (atan2(0, x) is piecewise constant).
  assert.equal(read(grad((v: NdArray) => np.sum(np.angle(v)))(F([2, -1]))), [0, 0]);
  allClose(read(jit((v: NdArray) => np.angle(v))(F([-5, 5]))), [Math.PI, 0]);
});

S('variance and std take jax.numpy\'s where and correction (regression: an options object gave NaN)', () => {
  const y = F([[3, 1, 4], [1, 5, 9], [2, 6, 5]]);
  // numpy: var(y, 1, where=[T, T, F]) = [1, 4, 4].
  assert.equal(read(np.variance(y, 1, false, { where: B([true, true, false]) })), [1, 4, 4]);
  // numpy: std(y, 1, keepdims=True, ddof=1, where=[[T], [F], [T]]) = [1.5275253, nan, 2.081666] (an empty row: nan).
  const s = np.std(y, 1, true, { correction: 1, where: B([[true], [false], [true]]) });
  assert.equal(s.shape, [3, 1]);
  allClose(read(s), [1.5275253, NaN, 2.081666]);
  allClose(read(np.std(y, null, false, { ddof: 1 })), [2.598076]);
  allClose(read(np.var(y, 0, false, { correction: 1 })), [1, 7, 7]);
  assert.match(errorOf(() => np.variance(y, 0, false, { ddof: 1, correction: 1 })), /give ddof or correction, not both/);
  // Derivative with a mask: 2 (x - mean) / (n - ddof) on the masked-in elements, 0 elsewhere.
  const g = grad((v: NdArray) => np.sum(np.variance(v, 1, false, { where: B([true, true, false]), ddof: 1 })))(y);
  assert.equal(read(g), [2, -2, 0, -4, 4, 0, -4, 4, 0]);
  assert.equal(read(jit((v: NdArray, m: NdArray) => np.variance(v, 1, false, { where: m }))(y, B([true, true, false]))), [1, 4, 4]);
  assert.equal(read(vmap((v: NdArray) => np.variance(v, 0, false, { where: B([false, true, true]) }))(y)), [2.25, 4, 0.25]);
});

S('any and all take jax.numpy\'s where (regression: it was ignored)', () => {
  const x = F([[0, 1], [1, 0]]);
  // numpy: any(x, 1, where=[T, F]) = [F, T]; all(x, 1, where=[F, T]) = [T, F]; all over nothing masked in is True.
  assert.equal(read(np.any(x, 1, false, { where: B([true, false]) })), [0, 1]);
  assert.equal(read(np.all(x, 1, false, { where: B([false, true]) })), [1, 0]);
  assert.equal(read(np.all(x, null, false, { where: B([false, false]) })), [1]);
  const k = np.any(x, 0, true, { where: B([[false], [true]]) });
  assert.equal([k.dtype, k.shape, read(k)], ['bool', [1, 2], [1, 0]]);
  assert.match(errorOf(() => np.any(x, 1, false, { where: B([true, false, true]) })), /broadcast|shape/);
});

S('the NaN-ignoring reductions take jax.numpy\'s where and initial (regression: they were ignored)', () => {
  const x = F([[1, NaN, 3, 4], [NaN, NaN, 2, 8]]);
  const w = B([true, true, false, true]);
  // numpy 1.24 with where=[T, T, F, T].
  assert.equal(read(np.nansum(x, 1, false, { where: w })), [5, 8]);
  assert.equal(read(np.nanprod(x, 1, false, { where: w, initial: 2 })), [8, 16]);
  assert.equal(read(np.nanmean(x, 1, false, { where: w })), [2.5, 8]);
  assert.equal(read(np.nanvar(x, 1, false, { where: w })), [2.25, 0]);
  allClose(read(np.nanstd(x, 1, true, { where: w, ddof: 1 })), [2.1213202, NaN]);
  assert.equal(read(np.nanmax(x, 1, false, { where: w, initial: -5 })), [4, 8]);
  assert.equal(read(np.nanmin(x, 1, false, { initial: 0 })), [0, 0]);
  // JAX: with initial, an all-NaN slice gives initial (NumPy 1.24 gives nan).
  assert.equal(read(np.nanmax(F([NaN, NaN]), 0, false, { initial: 7 })), [7]);
  assert.equal(read(np.nanmax(F([NaN, NaN]))).map(Number.isNaN), [true]);
  assert.match(errorOf(() => np.nanmax(x, 1, false, { where: w })), /needs an initial value/);
  const m = np.nanmean(I([1, 2]), null, false, { dtype: 'int32' });
  assert.equal([m.dtype, read(m)], ['int32', [1]]);
});


S('pad, trapezoid, packbits/unpackbits and meshgrid take NumPy\'s positional arguments (regression: silently ignored, or a crash)', () => {
  // numpy: pad([1, 2, 3], 2, 'reflect') etc.; before, a string third argument was ignored (constant 0 padding).
  assert.equal(read(np.pad(F([1, 2, 3]), 2, 'reflect')), [3, 2, 1, 2, 3, 2, 1]);
  assert.equal(read(np.pad(F([1, 2, 3]), [[2, 1]], 'symmetric')), [2, 1, 1, 2, 3, 3]);
  assert.equal(read(np.pad(F([1, 2, 3]), 2, 'wrap')), [2, 3, 1, 2, 3, 1, 2]);
  assert.equal(read(np.pad(F([1, 2, 3]), 2, 'linear_ramp', { endValues: 5 })), [5, 3, 1, 2, 3, 4, 5]);
  assert.equal(read(np.pad(F([1, 2]), [[1, 2]], 'constant', { constantValues: [7, 9] })), [7, 1, 2, 9, 9]);
  assert.match(errorOf(() => np.pad(F([1]), 1, 'bogus' as 'edge')), /mode must be one of .*got 'bogus'/);
  // numpy: trapz([1, 2, 3], [0, 1, 3]) = 6.5; trapz(y, None, 0.5) = 2; trapz([[1, 2], [3, 4]], None, 2, 0) = [4, 6].
  assert.equal(read(np.trapezoid(F([1, 2, 3]), F([0, 1, 3]))), [6.5]);
  assert.equal(read(np.trapezoid(F([1, 2, 3]), null, 0.5)), [2]);
  assert.equal(read(np.trapezoid(F([[1, 2], [3, 4]]), null, 2, 0)), [4, 6]);
  assert.equal(read(np.trapezoid(F([1, 2, 3]), { dx: 0.5 })), [2]);
  // numpy: packbits([1, 0, 1], None, 'little') = [5]; unpackbits(uint8 [6], None, 4, 'little') = [0, 1, 1, 0].
  assert.equal(read(np.packbits(B([true, false, true]), null, 'little')), [5]);
  assert.equal(read(np.unpackbits(I([6]), null, 4, 'little')), [0, 1, 1, 0]);
  assert.equal(np.unpackbits(I([[6], [1]]), 1).shape, [2, 8]);
  // numpy: X, Y = meshgrid([1, 2], [3, 4, 5]): X = [[1, 2]] * 3, Y = [[3, 3], [4, 4], [5, 5]].
  const [X, Y] = np.meshgrid(F([1, 2]), F([3, 4, 5]));
  assert.equal([X.shape, read(X), read(Y)], [[3, 2], [1, 2, 1, 2, 1, 2], [3, 3, 4, 4, 5, 5]]);
  assert.equal(np.meshgrid(F([1, 2]), F([3, 4, 5]), { indexing: 'ij' }).map((a) => a.shape), [[2, 3], [2, 3]]);
  assert.equal(np.meshgrid(F([1, 2]), F([3, 4, 5]), { sparse: true }).map((a) => a.shape), [[1, 2], [3, 1]]);
  assert.equal(np.meshgrid([F([1, 2]), F([3, 4, 5])]).map((a) => a.shape), [[3, 2], [3, 2]]);
  assert.match(errorOf(() => np.meshgrid(F([1]), 3 as unknown as NdArray, F([2]))), /argument 1 is not an array/);
});

S('isclose, allclose, histogram, bincount, cov, corrcoef and linspace take NumPy\'s positional arguments (regression: they were ignored)', () => {
  // numpy: isclose([1, 1.05, 1.2, nan], [1.09, 1, 1, nan], 0.1) = [T, T, F, F]; isclose([1, nan], [1.5, nan], 0, 0.5, True) = [T, T].
  assert.equal(read(np.isclose(F([1, 1.05, 1.2, NaN]), F([1.09, 1, 1, NaN]), 0.1)), [1, 1, 0, 0]);
  assert.equal(read(np.isclose(F([1, NaN]), F([1.5, NaN]), 0, 0.5, true)), [1, 1]);
  assert.equal(read(np.allclose(F([1]), F([1.01]), 0.1)), [1]);
  assert.equal(read(np.allclose(F([1]), F([1.01]))), [0]);
  // numpy: histogram([1, 2, 1, 4, 5], 3) = [3, 0, 2], edges [1, 2.333, 3.667, 5]; (x, 2, (0, 6)) = [3, 2], [0, 3, 6].
  const [c, e] = np.histogram(F([1, 2, 1, 4, 5]), 3);
  assert.equal(read(c), [3, 0, 2]);
  allClose(read(e), [1, 2.3333333, 3.6666667, 5]);
  const [c2, e2] = np.histogram(F([1, 2, 1, 4, 5]), 2, [0, 6]);
  assert.equal([read(c2), read(e2)], [[3, 2], [0, 3, 6]]);
  assert.equal(read(np.histogram(F([1, 2, 1, 4, 5]), F([0, 2, 6]))[0]), [2, 3]);
  // numpy: bincount([0, 1, 1], [0.5, 1, 2]) = [0.5, 3]; bincount([0, 1, 1], None, 4) = [1, 2, 0, 0].
  assert.equal(read(np.bincount(I([0, 1, 1]), F([0.5, 1, 2]))), [0.5, 3]);
  assert.equal(read(np.bincount(I([0, 1, 1]), null, 4)), [1, 2, 0, 0]);
  // numpy: cov([1, 2, 4], [2, 1, 0]) = [[2.3333, -1.5], [-1.5, 1]]; cov(y, None, False); cov(y, None, True, True); corrcoef(x, y).
  allClose(read(np.cov(F([1, 2, 4]), F([2, 1, 0]))), [2.3333333, -1.5, -1.5, 1]);
  const y = F([[3, 1, 4], [1, 5, 9], [2, 6, 5]]);
  allClose(read(np.cov(y, null, false)), [1, -2, -2.5, -2, 7, 3.5, -2.5, 3.5, 7]);
  allClose(read(np.cov(y, null, true, true)), [1.5555556, 1.3333333, -0.8888889, 1.3333333, 10.666667, 4, -0.8888889, 4, 2.8888889]);
  allClose(read(np.corrcoef(F([1, 2, 4]), F([2, 1, 0]))), [1, -0.98198051, -0.98198051, 1]);
  // numpy: linspace(0, 1, 4, False) = [0, 0.25, 0.5, 0.75]; logspace(0, 2, 3, True, 2) = [1, 2, 4]; geomspace(1, 8, 3, False) = [1, 2, 4].
  assert.equal(read(np.linspace(0, 1, 4, false)), [0, 0.25, 0.5, 0.75]);
  assert.equal(read(np.logspace(0, 2, 3, true, 2)), [1, 2, 4]);
  assert.equal(read(np.geomspace(1, 8, 3, false)), [1, 2, 4]);
});

S.run();
