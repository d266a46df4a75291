/**
 * lib/ops/more-math.ts against NumPy 2.4 (values computed with numpy on float32 inputs and
 * written in by hand), eagerly and under jit; derivatives where the functions have them;
 * edge cases (NaN, inf, -0, empty) and the one-line errors.
 *
 * Tolerances: results that NumPy and tfjax both get by one or two float32 roundings (angle
 * conversions, lerp, sinc's division) are held to rtol 1e-6 (about 8 ulps); integer-valued
 * results (cross, kron, vander, ptp, rint, fix) are exact; unwrap adds a running sum of 2 pi
 * corrections, summed in another order than NumPy's, so it gets atol 4e-6 (a few ulps of 12).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { sum } from '../../lib/ops/math.js';
import { reshape } from '../../lib/ops/shape.js';
import { cross, deg2rad, degrees, fix, heaviside, hypot, interp, kron, logaddexp2, ptp, rad2deg, radians, rint, sinc, unwrap, vander } from '../../lib/ops/more-math.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

const backend = await useTestBackend();
const S = suite(`np more math [${backend}]`);

const f32 = (v: number[]) => tf.tensor1d(v, 'float32');
const close = { rtol: 1e-6, atol: 1e-7 };
const exact = { rtol: 0, atol: 0 };

/** The scalar derivative of f at x. */
async function slope(f: (x: NdArray) => NdArray, x: number): Promise<number> {
  const g = grad(f)(tf.scalar(x)) as tf.Tensor;
  const [v] = await g.data();
  g.dispose();
  return v;
}

S('hypot: magnitudes without overflow or underflow; inf beats NaN, as numpy.hypot', async () => {
  const [x, y] = [f32([3, -5, 0, 1e30, 1e-30, Infinity, NaN, 2]), f32([4, 12, 0, 1e30, 1e-30, NaN, Infinity, NaN])];
  await eagerAndJit('hypot', hypot, [x, y], { shape: [8], dtype: 'float32', values: [5, 13, 0, 1.4142135130433894e30, 1.4142135555081815e-30, Infinity, Infinity, NaN] }, close);
  tf.dispose([x, y]);
});

S('hypot: gradient x / hypot and y / hypot, split right at ties; 0 at the origin', async () => {
  allClose(await slope((x) => hypot(x, 4), 3), 0.6, close);
  allClose(await slope((y) => hypot(3, y), -4), -0.8, close);
  allClose(await slope((x) => hypot(x, 2), 2), Math.SQRT1_2, close);
  allClose(await slope((x) => hypot(x, 0), 0), 0, exact);
});

S('deg2rad, rad2deg and their aliases; int32 input gives float32', async () => {
  const d = f32([180, -90, 45, 0]);
  await eagerAndJit('deg2rad', deg2rad, [d], { shape: [4], dtype: 'float32', values: [3.1415927410125732, -1.5707963705062866, 0.7853981852531433, 0] }, close);
  const r = f32([Math.PI, -1, 0.5]);
  await eagerAndJit('rad2deg', rad2deg, [r], { shape: [3], dtype: 'float32', values: [180, -57.2957763671875, 28.64788818359375] }, close);
  assert.is(radians, deg2rad);
  assert.is(degrees, rad2deg);
  const i = tf.tensor1d([180], 'int32');
  await eagerAndJit('deg2rad int32', deg2rad, [i], { shape: [1], dtype: 'float32', values: [Math.PI] }, close);
  tf.dispose([d, r, i]);
});

S('sinc: normalized, 1 at 0, Taylor series near 0 agrees with sin(pi x) / (pi x) beyond it', async () => {
  const x = f32([0, 0.5, 1, -1.5, 0.02, -0.03, 0.25, 2.5, NaN]);
  // sinc(1) is ~-2.8e-8 (sin of float32 pi), hence the atol.
  await eagerAndJit('sinc', sinc, [x], { shape: [9], dtype: 'float32', values: [1, 0.6366197466850281, -2.7827534054836178e-8, -0.21220658719539642, 0.999342143535614, 0.9985201954841614, 0.9003162980079651, 0.1273239552974701, NaN] }, { rtol: 1e-6, atol: 1e-7 });
  tf.dispose(x);
});

S("sinc: derivatives finite at 0 and right (0, then -pi^2/3, JAX's values); right beyond the series", async () => {
  assert.is(await slope(sinc, 0), 0);
  const g2 = grad(grad(sinc))(tf.scalar(0)) as tf.Tensor;
  allClose(await g2.data(), [-(Math.PI ** 2) / 3], { rtol: 1e-5, atol: 0 });
  g2.dispose();
  // d/dx sin(pi x) / (pi x) at x = 0.5: (pi x cos(pi x) - sin(pi x)) / (pi x^2) = -4 / pi.
  allClose(await slope(sinc, 0.5), -4 / Math.PI, { rtol: 1e-5, atol: 0 });
});

S('heaviside: 0, h0 at 0, 1; NaN stays NaN; a traced h0 is differentiable where x = 0', async () => {
  const x = f32([-1.5, 0, 2, NaN, -Infinity, Infinity]);
  await eagerAndJit('heaviside', (v) => heaviside(v, 0.5), [x], { shape: [6], dtype: 'float32', values: [0, 0.5, 1, NaN, 0, 1] }, exact);
  const g = grad((h: NdArray) => sum(heaviside(tf.tensor1d([0, 1, 0]), h)))(tf.scalar(0.5)) as tf.Tensor;
  assert.equal(Array.from(await g.data()), [2]);
  tf.dispose([x, g]);
});

S('fix rounds towards zero (keeping -0); rint rounds half to even, -0.5 to -0; ints: fix keeps int32, rint gives float32', async () => {
  const x = f32([-2.5, 2.5, -0.2, 3.9, -Infinity, NaN]);
  await eagerAndJit('fix', fix, [x], { shape: [6], dtype: 'float32', values: [-2, 2, -0, 3, -Infinity, NaN] }, exact);
  const h = f32([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.7, -3.2, Infinity]);
  await eagerAndJit('rint', rint, [h], { shape: [9], dtype: 'float32', values: [0, 2, 2, -0, -2, -2, 4, -3, Infinity] }, exact);
  const signs = tf.tidy(() => [fix(x), rint(h)].map((t) => Array.from((t as tf.Tensor).dataSync())));
  assert.ok(Object.is(signs[0][2], -0), 'fix(-0.2) is -0');
  assert.ok(Object.is(signs[1][3], -0), 'rint(-0.5) is -0');
  const i = tf.tensor1d([3, -4], 'int32');
  await eagerAndJit('fix int32', fix, [i], { shape: [2], dtype: 'int32', values: [3, -4] }, exact);
  await eagerAndJit('rint int32', rint, [i], { shape: [2], dtype: 'float32', values: [3, -4] }, exact);
  tf.dispose([x, h, i]);
});

S('logaddexp2: exact powers of two, no overflow, -inf with -inf, NaN propagates', async () => {
  const [x, y] = [f32([1, 100, -Infinity, 3, -Infinity, 0, NaN]), f32([1, 1, -Infinity, Infinity, 2, -200, 1])];
  await eagerAndJit('logaddexp2', logaddexp2, [x, y], { shape: [7], dtype: 'float32', values: [2, 100, -Infinity, Infinity, 2, 0, NaN] }, close);
  // d/dx log2(2^x + 2^y) = 2^x / (2^x + 2^y): 4 / 6 at (2, 1), 1/2 at x = y (JAX's custom JVP; a max/abs form gave 0 there).
  allClose(await slope((v) => logaddexp2(v, 1), 2), 2 / 3, close);
  allClose(await slope((v) => logaddexp2(v, 1.5), 1.5), 0.5, close);
  allClose(await slope((v) => logaddexp2(1.5, v), 1.5), 0.5, close);
  allClose(await slope((v) => np.logaddexp(v, -3), -3), 0.5, close);
  tf.dispose([x, y]);
});

S('ptp: over all axes, one axis, keepdims; int32 stays int32', async () => {
  const x = tf.tensor2d([[4, 9, -1], [2, 1, 7]]);
  await eagerAndJit('ptp all', (v) => ptp(v), [x], { shape: [], dtype: 'float32', values: [10] }, exact);
  await eagerAndJit('ptp 0', (v) => ptp(v, 0), [x], { shape: [3], dtype: 'float32', values: [2, 8, 8] }, exact);
  await eagerAndJit('ptp 1 keepdims', (v) => ptp(v, 1, true), [x], { shape: [2, 1], dtype: 'float32', values: [10, 6] }, exact);
  const i = tf.tensor1d([3, -4, 10], 'int32');
  await eagerAndJit('ptp int32', (v) => ptp(v), [i], { shape: [], dtype: 'int32', values: [14] }, exact);
  tf.dispose([x, i]);
});

S('cross: 3-vectors with broadcasting, 2-vectors (z alone), mixed 2 and 3, axis and axisc', async () => {
  const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
  const b = tf.tensor2d([[7, 8, 9], [-1, 0.5, 2]]);
  const b0 = f32([7, 8, 9]);
  await eagerAndJit('cross', (x, y) => cross(x, y), [a, b], { shape: [2, 3], dtype: 'float32', values: [-6, 12, -6, 7, -14, 7] }, exact);
  await eagerAndJit('cross broadcast', (x, y) => cross(x, y), [a, b0], { shape: [2, 3], dtype: 'float32', values: [-6, 12, -6, -3, 6, -3] }, exact);
  const [p, q] = [tf.tensor2d([[1, 2], [3, -4]]), f32([5, 6])];
  await eagerAndJit('cross 2x2', (x, y) => cross(x, y), [p, q], { shape: [2], dtype: 'float32', values: [-4, 38] }, exact);
  const [u, w] = [f32([1, 2]), f32([3, 4, 5])];
  await eagerAndJit('cross 2x3', (x, y) => cross(x, y), [u, w], { shape: [3], dtype: 'float32', values: [10, -5, -2] }, exact);
  const [at, bt] = [tf.transpose(a), tf.transpose(b)];
  await eagerAndJit('cross axis 0', (x, y) => cross(x, y, -1, -1, -1, 0), [at, bt], { shape: [3, 2], dtype: 'float32', values: [-6, 7, 12, -14, -6, 7] }, exact);
  await eagerAndJit('cross axisc 0', (x, y) => cross(x, y, -1, -1, 0), [a, b], { shape: [3, 2], dtype: 'float32', values: [-6, 7, 12, -14, -6, 7] }, exact);
  // vmap over pairs gives the batched product; d/da of sum(a x b) is b x 1.
  const v = tf.tidy(() => Array.from((vmap(cross)(a, b) as tf.Tensor).dataSync()));
  assert.equal(v, [-6, 12, -6, 7, -14, 7]);
  const g = grad((x: NdArray) => sum(cross(x, b0)))(f32([1, 2, 3])) as tf.Tensor;
  assert.equal(Array.from(await g.data()), [8 - 9, 9 - 7, 7 - 8]);
  tf.dispose([a, b, b0, p, q, u, w, at, bt, g]);
});

S('kron: block products, int32 kept, ranks aligned with leading 1s', async () => {
  const [a, b] = [tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), tf.tensor2d([[0, 1], [1, 0]], undefined, 'int32')];
  await eagerAndJit('kron', kron, [a, b], { shape: [4, 4], dtype: 'int32', values: [0, 1, 0, 2, 1, 0, 2, 0, 0, 3, 0, 4, 3, 0, 4, 0] }, exact);
  const [c, d] = [f32([1, 2]), tf.tensor2d([[1], [10]])];
  await eagerAndJit('kron ranks', kron, [c, d], { shape: [2, 2], dtype: 'float32', values: [1, 2, 10, 20] }, exact);
  tf.dispose([a, b, c, d]);
});

S('vander: decreasing and increasing powers, N columns (0 allowed), int32 kept; differentiable', async () => {
  const x = f32([1, 2, 3, -0.5]);
  await eagerAndJit('vander', (v) => vander(v), [x], { shape: [4, 4], dtype: 'float32', values: [1, 1, 1, 1, 8, 4, 2, 1, 27, 9, 3, 1, -0.125, 0.25, -0.5, 1] }, exact);
  const i = tf.tensor1d([2, 3], 'int32');
  await eagerAndJit('vander increasing', (v) => vander(v, 4, true), [i], { shape: [2, 4], dtype: 'int32', values: [1, 2, 4, 8, 1, 3, 9, 27] }, exact);
  await eagerAndJit('vander N = 0', (v) => vander(v, 0), [i], { shape: [2, 0], dtype: 'int32', values: [] }, exact);
  // d/dx of x^2 + x + 1 at 3 is 7.
  allClose(await slope((v) => sum(vander(reshape(v, [1]), 3)), 3), 7, close);
  tf.dispose([x, i]);
});

S('interp: inside, at the knots, outside (fp ends or left/right), NaN, one point, infinite fp as NumPy', async () => {
  const [xp, fp] = [f32([0, 1, 2]), f32([0, 10, 5])];
  const x = f32([-1, 0, 0.5, 1, 1.25, 2, 3, NaN]);
  await eagerAndJit('interp', (v, a, b) => interp(v, a, b), [x, xp, fp], { shape: [8], dtype: 'float32', values: [0, 0, 5, 10, 8.75, 5, 5, NaN] }, close);
  const e = f32([-1, 0, 2, 3]);
  await eagerAndJit('interp left right', (v, a, b) => interp(v, a, b, -7, 7), [e, xp, fp], { shape: [4], dtype: 'float32', values: [-7, 0, 5, 7] }, close);
  const [x1, f1, q] = [f32([0]), f32([5]), f32([-1, 0, 1, NaN])];
  await eagerAndJit('interp one point', (v, a, b) => interp(v, a, b), [q, x1, f1], { shape: [4], dtype: 'float32', values: [5, 5, 5, 5] }, exact);
  const [m, inf] = [f32([0.5, 1.5]), f32([Infinity, Infinity, 1])];
  await eagerAndJit('interp inf', (v, a, b) => interp(v, a, b), [m, xp, inf], { shape: [2], dtype: 'float32', values: [Infinity, Infinity] }, exact);
  const s = tf.scalar(0.5);
  await eagerAndJit('interp scalar x', (v, a, b) => interp(v, a, b), [s, xp, fp], { shape: [], dtype: 'float32', values: [5] }, close);
  tf.dispose([xp, fp, x, e, x1, f1, q, m, inf, s]);
});

S('interp: period wraps x and the (unsorted) xp', async () => {
  const [xp, fp] = [f32([190, -190, 350, -350]), f32([5, 10, 3, 4])];
  const x = f32([-180, -170, -185, 185, -10, -5, 0, 365, 10]);
  await eagerAndJit('interp period', (v, a, b) => interp(v, a, b, undefined, undefined, 360), [x, xp, fp], { shape: [9], dtype: 'float32', values: [7.5, 5, 8.75, 6.25, 3, 3.25, 3.5, 3.75, 4] }, close);
  tf.dispose([xp, fp, x]);
});

S('interp: gradients in x (the slope), fp (the weights) and under vmap', async () => {
  const [xp, fp] = [f32([0, 1, 2]), f32([0, 10, 5])];
  allClose(await slope((v) => interp(v, xp, fp), 1.5), -5, close);
  allClose(await slope((v) => interp(v, xp, fp), 0.25), 10, close);
  const g = grad((f: NdArray) => interp(tf.scalar(1.25), xp, f))(fp) as tf.Tensor;
  allClose(await g.data(), [0, 0.75, 0.25], close);
  const v = vmap((x: NdArray) => interp(x, xp, fp))(f32([0.5, 1.5])) as tf.Tensor;
  allClose(await v.data(), [5, 7.5], close);
  tf.dispose([xp, fp, g, v]);
});

S('unwrap: default 2 pi period, along an axis, discont, a custom period, the half-period boundary', async () => {
  const tol = { rtol: 0, atol: 4e-6 };
  const p = f32([0, 3, 6.5, 1, 7, 12, 0.5]);
  await eagerAndJit('unwrap', (v) => unwrap(v), [p], { shape: [7], dtype: 'float32', values: [0, 3, 0.21681499481201172, 1.0000004768371582, 0.7168154716491699, -0.5663700103759766, 0.5000009536743164] }, tol);
  const q = tf.tensor2d([[0, 3, 6.5], [1, -3, 4]]);
  await eagerAndJit('unwrap axis 0', (v) => unwrap(v, undefined, 0), [q], { shape: [2, 3], dtype: 'float32', values: [0, 3, 6.5, 1, 3.2831854820251465, 4] }, tol);
  const d = f32([0, 4, 8, 2]);
  await eagerAndJit('unwrap discont', (v) => unwrap(v, 5), [d], { shape: [4], dtype: 'float32', values: [0, 4, 8, 8.283185958862305] }, tol);
  const deg = f32([0, 170, 350, 10, -170]);
  await eagerAndJit('unwrap period', (v) => unwrap(v, undefined, -1, 360), [deg], { shape: [5], dtype: 'float32', values: [0, 170, 350, 370, 190] }, tol);
  const half = f32([0, Math.PI, 0, -Math.PI]);
  await eagerAndJit('unwrap half period', (v) => unwrap(v), [half], { shape: [4], dtype: 'float32', values: [0, 3.1415927410125732, 0, -3.1415927410125732] }, tol);
  const one = f32([5]);
  await eagerAndJit('unwrap one sample', (v) => unwrap(v), [one], { shape: [1], dtype: 'float32', values: [5] }, exact);
  const g = grad((v: NdArray) => sum(unwrap(v)))(p) as tf.Tensor;
  assert.equal(Array.from(await g.data()), [1, 1, 1, 1, 1, 1, 1]);
  tf.dispose([p, q, d, deg, half, one, g]);
});

S('errors: one line naming the function and what was wrong', () => {
  const [m, v3, v4] = [tf.ones([2, 2]), tf.ones([3]), tf.ones([4])];
  assert.is(errorOf(() => cross(v4, v3)), 'cross: a has 4 components along axis 0 of shape [4]; it must have 2 or 3');
  assert.is(errorOf(() => vander(m)), 'vander: x must be 1-D, got shape [2,2]');
  assert.is(errorOf(() => vander(v3, -1)), 'vander: N must be a non-negative integer, got -1');
  assert.is(errorOf(() => interp(v3, v3, v4)), 'interp: xp and fp must be non-empty 1-D arrays of one length, got shapes [3] and [4]');
  assert.is(errorOf(() => interp(v3, v3, v3, undefined, undefined, 0)), 'interp: period must be a finite non-zero number, got 0');
  assert.is(errorOf(() => ptp(tf.tensor1d([1, 0], 'bool'))), 'ptp: x must be a float32 or int32 array, got bool');
  assert.is(errorOf(() => unwrap(v3, undefined, 1)), 'unwrap: axis 1 is out of range for an array of rank 1');
  const v2 = tf.ones([2]);
  assert.is(errorOf(() => jit(hypot)(v3, v2)), 'hypot: shapes [3] and [2] cannot be broadcast together');
  tf.dispose([m, v3, v4, v2]);
});

S.run();
