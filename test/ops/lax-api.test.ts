/**
 * jax.lax's array API (lib/ops/lax-*.ts), part 1: the elementwise functions with lax's
 * strict dtype/shape rules, integer div/rem in C semantics, rounding, the special functions
 * (SciPy's values, test/fixtures/lax.json from tools/numpy-fixtures-lax.py), the structural
 * functions (negative pads, slices, iotas) and the reductions. Values hand-derived unless
 * said; each runs eagerly and under jit (eagerAndJit) where the shape matters.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

await useTestBackend();
const T = suite('lax array API: elementwise, structural, reductions');

const f32 = (v: number[] | number[][], shape?: number[]) => np.array(v as number[], 'float32', shape);
const i32 = (v: number[], shape?: number[]) => np.array(v, 'int32', shape);
const vals = (t: NdArray) => [...(t as tf.Tensor).dataSync()].map(Number);
const fixture = JSON.parse(readFileSync(new URL('../fixtures/lax.json', import.meta.url), 'utf8')) as Record<string, { x: number[]; y: number[] }>;

T('binary ops refuse mixed dtypes and mismatched ranks/shapes with one-line TypeErrors', () => {
  tf.tidy(() => {
    const msg = errorOf(() => lax.add(f32([1, 2]), i32([1, 2])));
    assert.match(msg, /lax\.add requires arguments of one dtype, got f32\[2\], i32\[2\]/);
    assert.match(errorOf(() => lax.mul(f32([1, 2]), f32([1, 2, 3]))), /lax\.mul got incompatible shapes for broadcasting: f32\[2\], f32\[3\]/);
    assert.match(errorOf(() => lax.add(f32([1, 2]), f32([[1, 2]]))), /same number of dimensions/);
    assert.match(errorOf(() => lax.exp(i32([1]))), /lax\.exp does not accept dtype int32/);
    assert.match(errorOf(() => lax.add(i32([1]), 1.5)), /cannot be a int32 operand/);
    assert.match(errorOf(() => lax.shiftLeft(f32([1]), f32([1]))), /does not accept dtype float32/);
    // As JAX: rank-0 operands and JS numbers broadcast, size-1 dims of equal ranks too.
    assert.equal(vals(lax.add(f32([1, 2]), 10)), [11, 12]);
    assert.equal(vals(lax.add(f32([[1], [2]]), f32([[10, 20]]))), [11, 21, 12, 22]);
    assert.equal(vals(lax.mul(f32([1, 2]), np.array(3))), [3, 6]);
  });
});

T('integer div rounds toward zero and rem takes the dividend sign (C), unlike np.floorDivide/np.mod', async () => {
  const x = i32([7, -7, 7, -7, 6, 5, -5]);
  const y = i32([2, 2, -2, -2, 3, 0, 0]);
  await eagerAndJit('div', lax.div, [x, y], { shape: [7], dtype: 'int32', values: [3, -3, -3, 3, 2, -1, -1] });
  await eagerAndJit('rem', lax.rem, [x, y], { shape: [7], dtype: 'int32', values: [1, -1, 1, -1, 0, 5, -5] });
  // Floats: fmod, with the dividend's sign; 1 fmod 0.1 is 0.1 - 1ulp-ish (x / y rounds to 10).
  await eagerAndJit('rem f32', lax.rem, [f32([5.5, -5.5, 5.5, 1, -1]), f32([2, 2, -2, 0.1, 0.1])], { shape: [5], dtype: 'float32', values: [1.5, -1.5, 1.5, 0.1, -0.1] }, { atol: 1e-6 });
  tf.tidy(() => {
    assert.equal(vals(lax.div(f32([7, -7]), f32([2, 2]))), [3.5, -3.5]);
    const g = grad((a: NdArray, b: NdArray) => np.sum(lax.rem(a, b)), { argnums: [0, 1] })(f32([5.5, -7.5]), f32([2, 2])) as NdArray[];
    assert.equal(vals(g[0]), [1, 1]);
    assert.equal(vals(g[1]), [-2, 3]); // -trunc(x / y), as JAX's rem JVP
  });
});

T('round: away from zero by default, to even with RoundingMethod.TO_NEAREST_EVEN; exact below one half', async () => {
  const x = f32([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, -1.2, 3.7]);
  await eagerAndJit('round', (v) => lax.round(v), [x], { shape: [8], dtype: 'float32', values: [1, 2, 3, -1, -3, 0, -1, 4] });
  await eagerAndJit('round even', (v) => lax.round(v, lax.RoundingMethod.TO_NEAREST_EVEN), [x], { shape: [8], dtype: 'float32', values: [0, 2, 2, -0, -2, 0, -1, 4] });
  tf.tidy(() => assert.equal(vals(grad((v: NdArray) => np.sum(lax.round(v)))(x)), new Array(8).fill(0)));
});

T('shifts as XLA: counts >= 32 or negative shift everything out; logical right shift fills zeros', async () => {
  const x = i32([-8, -8, 8, -1, -1, 1, -8, 5]);
  const n = i32([1, 0, 2, 31, 32, 31, -1, 33]);
  await eagerAndJit('shiftRightLogical', lax.shiftRightLogical, [x, n], { shape: [8], dtype: 'int32', values: [2147483644, -8, 2, 1, 0, 0, 0, 0] });
  await eagerAndJit('shiftRightArithmetic', lax.shiftRightArithmetic, [x, n], { shape: [8], dtype: 'int32', values: [-4, -8, 2, -1, -1, 0, -1, 0] });
  await eagerAndJit('shiftLeft', lax.shiftLeft, [x, n], { shape: [8], dtype: 'int32', values: [-16, -8, 32, -2147483648, 0, -2147483648, 0, 0] });
  tf.tidy(() => {
    assert.equal(vals(lax.bitwiseXor(i32([12, -1]), i32([10, 5]))), [6, -6]);
    assert.equal(vals(lax.bitwiseNot(i32([0, 5]))), [-1, -6]);
  });
});

T('unary functions: values, integerPow by squaring, and their derivatives', () => {
  tf.tidy(() => {
    allClose(vals(lax.integerPow(f32([2, -3, 0.5]), 5)), [32, -243, 0.03125]);
    allClose(vals(lax.integerPow(f32([2, 4]), -2)), [0.25, 0.0625]);
    assert.equal(vals(lax.integerPow(i32([3, -2]), 3)), [27, -8]);
    assert.equal(vals(lax.integerPow(f32([7]), 0)), [1]);
    assert.match(errorOf(() => lax.integerPow(i32([2]), -1)), /negative power/);
    allClose(vals(grad((v: NdArray) => np.sum(lax.integerPow(v, 3)))(f32([2, -1]))), [12, 3]);
    allClose(vals(lax.exp2(f32([3, -1]))), [8, 0.5]);
    allClose(vals(lax.cbrt(f32([-27, 8]))), [-3, 2], { rtol: 1e-6 });
    allClose(vals(lax.atan2(f32([1, -1, 0]), f32([1, -1, -1]))), [Math.PI / 4, (-3 * Math.PI) / 4, Math.PI], { rtol: 1e-6 });
    allClose(vals(lax.rsqrt(f32([4, 0.25]))), [0.5, 2]);
    allClose(vals(lax.logistic(f32([0]))), [0.5]);
    assert.equal(vals(lax.isFinite(f32([1, Infinity, NaN]))), [1, 0, 0]);
    assert.equal(vals(lax.max(f32([1, NaN]), f32([2, 0]))), [2, NaN]);
    assert.equal(vals(lax.sign(i32([-4, 0, 9]))), [-1, 0, 1]);
  });
});

T('special functions against SciPy: lgamma, digamma, erfc (tail), erfInv; grad(lgamma) = digamma', () => {
  tf.tidy(() => {
    for (const [name, f, tol] of [
      ['lgamma', lax.lgamma, { rtol: 2e-5, atol: 2e-5 }],
      ['digamma', lax.digamma, { rtol: 1e-4, atol: 2e-5 }],
      ['erfc', lax.erfc, { rtol: 2e-6, atol: 0 }],
      ['erfInv', lax.erfInv, { rtol: 1e-5, atol: 1e-6 }],
    ] as const) {
      const { x, y } = fixture[name];
      allClose(vals(f(f32(x))), y, tol, name);
    }
    assert.equal(vals(lax.lgamma(f32([0, -3]))), [Infinity, Infinity]);
    assert.equal(vals(lax.digamma(f32([0, -2]))).map(Number.isNaN), [true, true]);
    const { x } = fixture['lgamma'];
    allClose(vals(grad((v: NdArray) => np.sum(lax.lgamma(v)))(f32(x))), fixture['digamma'].y, { rtol: 1e-3, atol: 1e-3 });
  });
});

T('convertElementType truncates toward zero and saturates; clamp has JAX order and derivatives; select', async () => {
  await eagerAndJit('convert', (v) => lax.convertElementType(v, 'int32'), [f32([-1.7, 1.7, 3e9, -3e9, NaN])], { shape: [5], dtype: 'int32', values: [-1, 1, 2147483647, -2147483648, 0] });
  await eagerAndJit('clamp', (v) => lax.clamp(0, v, 2), [f32([-1, 0, 1, 2, 3])], { shape: [5], dtype: 'float32', values: [0, 0, 1, 2, 2] });
  tf.tidy(() => {
    // d/dx is 1 only strictly inside (lo, hi), as JAX's clamp JVP; the bounds take the rest.
    assert.equal(vals(grad((v: NdArray) => np.sum(lax.clamp(0, v, 2)))(f32([-1, 0, 1, 2, 3]))), [0, 0, 1, 0, 0]);
    const [glo, ghi] = grad((lo: NdArray, hi: NdArray) => np.sum(lax.clamp(lo, f32([-1, 0, 1, 2, 3]), hi)), { argnums: [0, 1] })(np.array(0), np.array(2)) as NdArray[];
    assert.equal([vals(glo), vals(ghi)], [[1], [1]]);
    assert.match(errorOf(() => lax.clamp(i32([0]), f32([1]), 2)), /one dtype/);
    assert.equal(vals(lax.select(np.array([true, false], 'bool'), f32([1, 2]), f32([3, 4]))), [1, 4]);
    assert.equal(vals(lax.select(np.array(true, 'bool'), f32([1, 2]), f32([3, 4]))), [1, 2]);
    assert.match(errorOf(() => lax.select(i32([1, 0]), f32([1, 2]), f32([3, 4]))), /pred must be bool/);
    assert.match(errorOf(() => lax.select(np.array([true, false], 'bool'), f32([1, 2]), i32([3, 4]))), /one shape and dtype/);
  });
});

T('pad: [lo, hi, interior] per axis, negative lo/hi crop after interior padding; array padding values', async () => {
  const x = f32([1, 2, 3]);
  await eagerAndJit('pad interior', (v) => lax.pad(v, 0, [[1, 2, 1]]), [x], { shape: [8], dtype: 'float32', values: [0, 1, 0, 2, 0, 3, 0, 0] });
  await eagerAndJit('pad negative', (v) => lax.pad(v, 9, [[-1, 1, 1]]), [x], { shape: [5], dtype: 'float32', values: [9, 2, 9, 3, 9] });
  await eagerAndJit('pad crop', (v) => lax.pad(v, 0, [[-2, -1, 0]]), [f32([1, 2, 3, 4])], { shape: [1], dtype: 'float32', values: [3] });
  await eagerAndJit('pad 2-D', (v) => lax.pad(v, -1, [[0, -1, 0], [1, 0, 0]]), [f32([1, 2, 3, 4], [2, 2])], { shape: [1, 3], dtype: 'float32', values: [-1, 1, 2] });
  tf.tidy(() => {
    const gv = grad((v: NdArray) => np.sum(lax.pad(x, v, [[2, -1, 1]])))(np.array(5));
    assert.equal(vals(gv), [4]); // [v v 1 v 2 v 3] cropped by one at the end: 4 padding entries
    assert.match(errorOf(() => lax.pad(x, 0, [[-5, 0, 0]])), /must not be negative in size/);
    assert.match(errorOf(() => lax.pad(x, i32([0]), [[1, 1, 0]])), /scalar of the operand's dtype/);
  });
});

T('structural: iotas, broadcasts, reshape with dimensions, squeeze/expandDims, rev, slices, collapse', () => {
  tf.tidy(() => {
    assert.equal(vals(lax.iota('int32', 4)), [0, 1, 2, 3]);
    assert.equal(vals(lax.broadcastedIota('float32', [2, 3], 1)), [0, 1, 2, 0, 1, 2]);
    assert.equal(vals(lax.broadcastedIota('int32', [2, 3], 0)), [0, 0, 0, 1, 1, 1]);
    assert.equal(lax.broadcast(f32([1, 2]), [3, 4]).shape, [3, 4, 2]);
    const b = lax.broadcastInDim(f32([1, 2]), [2, 3], [0]);
    assert.equal(vals(b), [1, 1, 1, 2, 2, 2]);
    const m = f32([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.equal(vals(lax.reshape(m, [3, 2], [1, 0])), [1, 4, 2, 5, 3, 6]);
    assert.match(errorOf(() => lax.reshape(m, [4, 2])), /cannot reshape/);
    assert.equal(lax.squeeze(f32([1, 2], [1, 2, 1]), [0, -1]).shape, [2]);
    assert.match(errorOf(() => lax.squeeze(m, [0])), /has size 2, not 1/);
    assert.equal(lax.expandDims(f32([1, 2]), [0, 2]).shape, [1, 2, 1]);
    assert.equal(vals(lax.rev(m, [0, 1])), [6, 5, 4, 3, 2, 1]);
    assert.equal(vals(lax.transpose(m, [1, 0])), [1, 4, 2, 5, 3, 6]);
    assert.match(errorOf(() => lax.transpose(m, [0])), /not a permutation/);
    assert.equal(vals(lax.concatenate([f32([1]), f32([2, 3])], 0)), [1, 2, 3]);
    assert.match(errorOf(() => lax.concatenate([f32([1]), i32([2])], 0)), /one dtype/);
    assert.equal(vals(lax.slice(f32([0, 1, 2, 3, 4, 5]), [1], [6], [2])), [1, 3, 5]);
    assert.equal(vals(lax.sliceInDim(m, -2, null, 1, 1)), [2, 3, 5, 6]);
    assert.equal(lax.indexInDim(m, -1, 0).shape, [1, 3]);
    assert.equal(vals(lax.indexInDim(m, -1, 0, false)), [4, 5, 6]);
    assert.equal(lax.collapse(np.zeros([2, 3, 4, 5]), 1, 3).shape, [2, 12, 5]);
    assert.equal(lax.collapse(np.zeros([2, 3, 4]), 1).shape, [2, 12]);
  });
});

T('reductions over explicit axes; argmax/argmin first occurrence and NaN; cumulative ops along axis 0 and reversed', async () => {
  const m = f32([3, 1, 4, 1, 5, 9], [2, 3]);
  await eagerAndJit('reduceProd', (v) => lax.reduceProd(v, [1]), [m], { shape: [2], dtype: 'float32', values: [12, 45] });
  await eagerAndJit('cumsum axis 0', (v) => lax.cumsum(v), [m], { shape: [2, 3], dtype: 'float32', values: [3, 1, 4, 4, 6, 13] });
  await eagerAndJit('cumsum reverse', (v) => lax.cumsum(v, { axis: 1, reverse: true }), [m], { shape: [2, 3], dtype: 'float32', values: [8, 5, 4, 15, 14, 9] });
  await eagerAndJit('cummax', (v) => lax.cummax(v, { axis: 0 }), [f32([1, 3, 2, 5, 4])], { shape: [5], dtype: 'float32', values: [1, 3, 3, 5, 5] });
  await eagerAndJit('cummin reverse', (v) => lax.cummin(v, { reverse: true }), [f32([1, 3, 2, 5, 4])], { shape: [5], dtype: 'float32', values: [1, 2, 2, 4, 4] });
  await eagerAndJit('cumprod', (v) => lax.cumprod(v), [f32([1, 2, 3, 4])], { shape: [4], dtype: 'float32', values: [1, 2, 6, 24] });
  const lse = [1, 2, 3].map((_, i) => Math.log([1, 2, 3].slice(0, i + 1).reduce((s, v) => s + Math.exp(v), 0)));
  await eagerAndJit('cumlogsumexp', (v) => lax.cumlogsumexp(v), [f32([1, 2, 3])], { shape: [3], dtype: 'float32', values: lse });
  tf.tidy(() => {
    assert.equal(vals(lax.reduceSum(m, [0, 1])), [23]);
    assert.equal(vals(lax.reduceMax(m, [0])), [3, 5, 9]);
    assert.equal(vals(lax.reduceMin(m, [1])), [1, 1]);
    assert.equal(vals(lax.reduceAnd(np.array([[true, false], [true, true]], 'bool'), [1])), [0, 1]);
    assert.equal(vals(lax.reduceOr(np.array([[false, false], [true, false]], 'bool'), [1])), [0, 1]);
    assert.equal(vals(lax.argmax(f32([1, 5, 5, 2]), 0, 'int32')), [1]);
    assert.equal(vals(lax.argmin(f32([4, 1, 1, 2]), 0)), [1]);
    assert.equal(vals(lax.argmax(f32([1, NaN, 5, NaN]), 0)), [1]);
    assert.equal(vals(lax.argmin(f32([1, -5, NaN]), 0)), [2]);
    assert.match(errorOf(() => lax.argmax(m, 0, 'float32')), /indexDtype must be int32/);
    assert.match(errorOf(() => lax.reduceSum(np.array([true], 'bool'), [0])), /does not accept dtype bool/);
  });
});

T('reduceWindow: max and sum pooling with VALID, SAME and explicit padding, strides, window dilation', async () => {
  const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], [1, 1, 4, 4]);
  await eagerAndJit('max 2x2', (v) => lax.reduceWindow(v, -Infinity, 'max', [1, 1, 2, 2], [1, 1, 2, 2]), [x], { shape: [1, 1, 2, 2], dtype: 'float32', values: [6, 8, 14, 16] });
  await eagerAndJit('sum SAME', (v) => lax.reduceWindow(v, 0, 'add', [1, 1, 3, 3], [1, 1, 2, 2], 'SAME'), [x], { shape: [1, 1, 2, 2], dtype: 'float32', values: [54, 45, 72, 54] });
  await eagerAndJit('sum explicit', (v) => lax.reduceWindow(v, 0, 'add', [2], [1], [[1, 0]]), [f32([1, 2, 3])], { shape: [3], dtype: 'float32', values: [1, 3, 5] });
  await eagerAndJit('max dilated', (v) => lax.reduceWindow(v, -Infinity, 'max', [2], [1], 'VALID', undefined, [2]), [f32([5, 1, 2, 7, 0])], { shape: [3], dtype: 'float32', values: [5, 7, 2] });
  await eagerAndJit('init folded in', (v) => lax.reduceWindow(v, 10, 'add', [2], [2]), [f32([1, 2, 3, 4])], { shape: [2], dtype: 'float32', values: [13, 17] });
  tf.tidy(() => {
    // The max's derivative goes to each window's maximum.
    const g = grad((v: NdArray) => np.sum(lax.reduceWindow(v, -Infinity, 'max', [1, 1, 2, 2], [1, 1, 2, 2])))(x);
    assert.equal(vals(g), [0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1]);
  });
});

T('the lax functions compose with vmap and jit of grad', () => {
  tf.tidy(() => {
    const f = (v: NdArray) => lax.reduceSum(lax.mul(lax.sin(v), lax.cumsum(v)), [0]);
    const x = f32([0.1, 0.2, 0.3]);
    const g = jit(grad(f))(x);
    // d/dx_k sum_i sin(x_i) c_i with c_i = sum_{j<=i} x_j: cos(x_k) c_k + sum_{i>=k} sin(x_i).
    const c = [0.1, 0.3, 0.6];
    const s = [0.1, 0.2, 0.3].map(Math.sin);
    allClose(vals(g), [0, 1, 2].map((k) => Math.cos([0.1, 0.2, 0.3][k]) * c[k] + s.slice(k).reduce((a, b) => a + b, 0)), { rtol: 1e-5 });
    const batched = vmap((v: NdArray) => lax.pad(lax.rem(v, 2), 0, [[1, -1, 0]]))(f32([3, -3, 5, 7, -1, 4], [3, 2]));
    assert.equal(batched.shape, [3, 2]);
    assert.equal(vals(batched), [0, 1, 0, 1, 0, -1]);
    const vm = vmap((v: NdArray) => lax.clamp(-1, v, 1))(f32([-2, 0.5, 3], [3, 1]));
    assert.equal(vals(vm), [-1, 0.5, 1]);
  });
});

T.run();
