/**
 * Session 15 (lax names): convolutions with strides and dilation both above 1 (against a
 * float64 loop, with input/filter gradients and vmap), and leftovers of earlier audits.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, lax, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = suite('lax names (session 15)');

const vals = (t: NdArray) => [...(t as tf.Tensor).dataSync()].map(Number);
/** Deterministic values in [-1, 1). */
const det = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((((i + 1) * 7919 + seed * 104729) % 2003) / 1001.5) - 1);

interface Geo { n: number; h: number; w: number; c: number; kh: number; kw: number; co: number; s: [number, number]; d: [number, number]; pad: [[number, number], [number, number]]; g: number }

/** float64 NHWC x HWIO convolution and the gradients of sum(y * ct) by direct loops. */
function refConv(x: number[], w: number[], ct: number[] | null, q: Geo) {
  const ci = q.c / q.g, cog = q.co / q.g;
  const ho = Math.floor((q.h + q.pad[0][0] + q.pad[0][1] - q.d[0] * (q.kh - 1) - 1) / q.s[0]) + 1;
  const wo = Math.floor((q.w + q.pad[1][0] + q.pad[1][1] - q.d[1] * (q.kw - 1) - 1) / q.s[1]) + 1;
  const y = new Array(q.n * ho * wo * q.co).fill(0), dx = new Array(x.length).fill(0), dw = new Array(w.length).fill(0);
  for (let b = 0; b < q.n; b++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) for (let o = 0; o < q.co; o++) {
    const gi = Math.floor(o / cog), yi = ((b * ho + i) * wo + j) * q.co + o;
    for (let a = 0; a < q.kh; a++) for (let e = 0; e < q.kw; e++) for (let k = 0; k < ci; k++) {
      const r = i * q.s[0] + a * q.d[0] - q.pad[0][0], c = j * q.s[1] + e * q.d[1] - q.pad[1][0];
      if (r < 0 || r >= q.h || c < 0 || c >= q.w) continue;
      const xi = ((b * q.h + r) * q.w + c) * q.c + gi * ci + k, wi = ((a * q.kw + e) * ci + k) * q.co + o;
      y[yi] += x[xi] * w[wi];
      if (ct) { dx[xi] += ct[yi] * w[wi]; dw[wi] += ct[yi] * x[xi]; }
    }
  }
  return { y, dx, dw, shape: [q.n, ho, wo, q.co] };
}

T('np.conv2d and lax.convGeneralDilated: strides and dilation both above 1, values and gradients (float64 loop)', () => {
  tf.tidy(() => {
    const q: Geo = { n: 2, h: 9, w: 8, c: 4, kh: 3, kw: 2, co: 6, s: [2, 3], d: [2, 3], pad: [[1, 2], [0, 1]], g: 2 };
    const xv = det(q.n * q.h * q.w * q.c, 1), wv = det(q.kh * q.kw * (q.c / q.g) * q.co, 2);
    const x = np.array(xv, 'float32', [q.n, q.h, q.w, q.c]), w = np.array(wv, 'float32', [q.kh, q.kw, q.c / q.g, q.co]);
    const ref0 = refConv(xv, wv, null, q);
    const ct = det(ref0.y.length, 3);
    const ref = refConv(xv, wv, ct, q);
    const opts = { strides: q.s, dilation: q.d, padding: q.pad, groups: q.g } as const;
    const y = np.conv2d(x, w, opts);
    assert.equal(np.shape(y), ref.shape);
    allClose(vals(y), ref.y, { rtol: 1e-5, atol: 1e-5 });
    const ctA = np.array(ct, 'float32', ref.shape);
    const loss = (a: NdArray, b: NdArray) => np.sum(np.multiply(np.conv2d(a, b, opts), ctA));
    const [gx, gw] = grad(loss, { argnums: [0, 1] })(x, w) as NdArray[];
    allClose(vals(gx), ref.dx, { rtol: 1e-5, atol: 1e-5 });
    allClose(vals(gw), ref.dw, { rtol: 1e-5, atol: 1e-5 });
    // lax.convGeneralDilated in NHWC / HWIO: the same numbers.
    const yl = lax.convGeneralDilated(x, w, q.s, q.pad, null, q.d, ['NHWC', 'HWIO', 'NHWC'], q.g);
    allClose(vals(yl), ref.y, { rtol: 1e-5, atol: 1e-5 });
    const gwl = grad((b: NdArray) => np.sum(np.multiply(lax.convGeneralDilated(x, b, q.s, q.pad, null, q.d, ['NHWC', 'HWIO', 'NHWC'], q.g), ctA)))(w);
    allClose(vals(gwl), ref.dw, { rtol: 1e-5, atol: 1e-5 });
  });
});

T('np.conv2d with strides and dilation above 1 under vmap over the filter and over the input', () => {
  tf.tidy(() => {
    const q: Geo = { n: 1, h: 7, w: 7, c: 2, kh: 2, kw: 3, co: 3, s: [2, 2], d: [3, 2], pad: [[0, 0], [1, 1]], g: 1 };
    const xv = det(q.n * q.h * q.w * q.c, 4);
    const wvs = [det(q.kh * q.kw * q.c * q.co, 5), det(q.kh * q.kw * q.c * q.co, 6)];
    const x = np.array(xv, 'float32', [q.n, q.h, q.w, q.c]);
    const ws = np.array(wvs.flat(), 'float32', [2, q.kh, q.kw, q.c, q.co]);
    const opts = { strides: q.s, dilation: q.d, padding: q.pad } as const;
    const y = vmap((b: NdArray) => np.conv2d(x, b, opts))(ws) as NdArray;
    const refs = wvs.map((wv) => refConv(xv, wv, null, q));
    assert.equal(np.shape(y), [2, ...refs[0].shape]);
    allClose(vals(y), refs.flatMap((r) => r.y), { rtol: 1e-5, atol: 1e-5 });
    // Per-example filter gradients (vmap of grad over examples).
    const xs = np.array([...xv, ...det(xv.length, 7)], 'float32', [2, q.n, q.h, q.w, q.c]);
    const w0 = np.array(wvs[0], 'float32', [q.kh, q.kw, q.c, q.co]);
    const gws = vmap((a: NdArray) => grad((b: NdArray) => np.sum(np.conv2d(a, b, opts)))(w0))(xs) as NdArray;
    const ones = new Array(refs[0].y.length).fill(1);
    const expect = [xv, det(xv.length, 7)].flatMap((xe) => refConv(xe, wvs[0], ones, q).dw);
    allClose(vals(gws), expect, { rtol: 1e-5, atol: 1e-5 });
  });
});

T('lax.associativeScan with a non-function fn is a one-line TypeError', () => {
  const e = (() => { try { lax.associativeScan(42 as unknown as (a: NdArray, b: NdArray) => NdArray, np.array([1, 2, 3])); } catch (err) { return err; } return null; })();
  assert.instance(e, TypeError);
  assert.match((e as Error).message, /^lax\.associativeScan: fn must be a function, got .*number/);
});

T('lax.dynamicUpdateSlice: a JS number updates a rank-0 operand (weak scalar); other ranks and dtypes are TypeErrors, as in JAX', () => {
  tf.tidy(() => {
    const y = lax.dynamicUpdateSlice(np.array(1.5, 'float32'), 7, []);
    assert.equal([np.shape(y), (y as tf.Tensor).dtype, vals(y)], [[], 'float32', [7]]);
    const yi = lax.dynamicUpdateSlice(np.array(3, 'int32'), -2, []);
    assert.equal([(yi as tf.Tensor).dtype, vals(yi)], ['int32', [-2]]);
    assert.match(errorOf(() => lax.dynamicUpdateSlice(np.array(3, 'int32'), 1.5, [])), /the number 1\.5 cannot be a int32 operand/);
    assert.match(errorOf(() => lax.dynamicUpdateSlice(np.array([1, 2], 'float32'), 7, [0])), /lax\.dynamicUpdateSlice: update must have the operand's rank 1, got the JS number 7/);
    assert.match(errorOf(() => lax.dynamicUpdateSlice(np.array([1, 2], 'float32'), np.array(7, 'float32'), [0])), /update must have the operand's rank 1, got f32\[\]/);
    assert.match(errorOf(() => lax.dynamicUpdateSlice(np.array([1, 2], 'float32'), np.array([7], 'int32'), [0])), /update dtype must match the operand's/);
    assert.equal(vals(lax.dynamicUpdateSlice(np.array([1, 2, 3], 'float32'), np.array([7], 'float32'), [5])), [1, 2, 7]);
  });
});

T('np.quantile / percentile / nanquantile with a 2-D q: result shape q.shape + reduced shape; out-of-range q names the range', () => {
  tf.tidy(() => {
    const x = np.array([[1, 2, 3, 4], [10, 20, 30, 40], [4, 3, 2, 1]], 'float32');
    // numpy.quantile(x, [[0.1, 0.5], [0.9, 1.0]], axis=1) (linear): rows of q, then the 3 rows of x.
    const q = np.quantile(x, [[0.1, 0.5], [0.9, 1]], 1);
    assert.equal(np.shape(q), [2, 2, 3]);
    allClose(vals(q), [1.3, 13, 1.3, 2.5, 25, 2.5, 3.7, 37, 3.7, 4, 40, 4], { rtol: 1e-6 });
    const qa = np.quantile(x, np.array([[0.5], [1]], 'float32'), 1, true);
    assert.equal(np.shape(qa), [2, 1, 3, 1]);
    const p = np.percentile(x, np.array([[10, 50]], 'float32'));
    assert.equal(np.shape(p), [1, 2]);
    allClose(vals(p), [1.1, 3.5], { rtol: 1e-6 }); // numpy.percentile(x, [[10, 50]]) over the 12 values
    const nq = np.nanquantile(np.array([1, 2, NaN, 4], 'float32'), [[0.5, 1]]);
    assert.equal(np.shape(nq), [1, 2]);
    allClose(vals(nq), [2, 4]);
    assert.equal(np.shape(np.quantile(x, np.array(0.5, 'float32'))), []);
    assert.match(errorOf(() => np.quantile(x, 1.5)), /^quantile: q must be in \[0, 1\], got 1\.5/);
    assert.match(errorOf(() => np.percentile(x, [[50, 150]])), /^percentile: q must be in \[0, 100\], got 150/);
    assert.match(errorOf(() => np.nanpercentile(x, -1)), /^nanpercentile: q must be in \[0, 100\], got -1/);
  });
});

T('np.intersect1d returnIndices (JAX return_indices, also positional): first occurrences; with size, padding indices are a.size / b.size', () => {
  tf.tidy(() => {
    const a = np.array([1, 3, 4, 3], 'int32');
    const b = np.array([3, 1, 2, 1], 'int32');
    // numpy.intersect1d([1, 3, 4, 3], [3, 1, 2, 1], return_indices=True) == ([1, 3], [0, 1], [1, 0])
    const [v, ia, ib] = np.intersect1d(a, b, { returnIndices: true });
    assert.equal([vals(v), vals(ia), vals(ib)], [[1, 3], [0, 1], [1, 0]]);
    assert.equal((ia as tf.Tensor).dtype, 'int32');
    const pos = np.intersect1d(a, b, false, true) as NdArray[];
    assert.equal(pos.map(vals), [[1, 3], [0, 1], [1, 0]]);
    const [vs, ias, ibs] = np.intersect1d(a, b, { returnIndices: true, size: 4 });
    assert.equal([vals(vs), vals(ias), vals(ibs)], [[1, 3, 1, 1], [0, 1, 4, 4], [1, 0, 4, 4]]);
    assert.equal(vals(np.intersect1d(a, b) as NdArray), [1, 3]);
  });
});

T('grad: repeated argnums are an error (as JAX), and JAX-style positional argnums work', () => {
  tf.tidy(() => {
    const f = (x: NdArray, y: NdArray) => np.sum(np.multiply(x, y));
    const [x, y] = [np.array(2, 'float32'), np.array(3, 'float32')];
    assert.match(errorOf(() => grad(f, { argnums: [0, 0] })(x, y)), /^grad: argnums \[0,0\] name argument 0 more than once/);
    assert.match(errorOf(() => grad(f, { argnums: [1, -1] })(x, y)), /name argument 1 more than once/);
    assert.equal(vals(grad(f, 1)(x, y) as NdArray), [2]);
    assert.equal((grad(f, [0, 1])(x, y) as NdArray[]).map(vals), [[3], [2]]);
  });
});

T('lax special functions: igamma, igammac, betainc, zeta, polygamma, besselI0e/I1e (closed forms), float-only and strict', () => {
  tf.tidy(() => {
    const f = (v: number[]) => np.array(v, 'float32');
    // P(2, x) = 1 - e^-x (1 + x); I_0.4(2, 3) = 1 - 0.6^4 - 4 * 0.4 * 0.6^3.
    allClose(vals(lax.igamma(f([2, 2]), f([1.5, 4]))), [1, 4].map((_, i) => { const x = [1.5, 4][i]; return 1 - Math.exp(-x) * (1 + x); }), { rtol: 1e-5 });
    allClose(vals(lax.igammac(f([2]), f([1.5]))), [Math.exp(-1.5) * 2.5], { rtol: 1e-5 });
    allClose(vals(lax.betainc(f([2]), f([3]), f([0.4]))), [0.5248], { rtol: 1e-5 });
    allClose(vals(lax.zeta(f([2, 4]), f([1, 1]))), [Math.PI ** 2 / 6, Math.PI ** 4 / 90], { rtol: 1e-5 });
    allClose(vals(lax.polygamma(f([1]), f([1]))), [Math.PI ** 2 / 6], { rtol: 1e-5 });
    // I0(1) = 1.2660658777520082, I1(1) = 0.5651591039924851 (Abramowitz & Stegun).
    allClose(vals(lax.besselI0e(f([0, 1, -1]))), [1, 1.2660658777520082 / Math.E, 1.2660658777520082 / Math.E], { rtol: 1e-5 });
    allClose(vals(lax.besselI1e(f([1, -1]))), [0.5651591039924851 / Math.E, -0.5651591039924851 / Math.E], { rtol: 1e-5 });
    assert.match(errorOf(() => lax.igamma(np.array([1], 'int32'), np.array([1], 'int32'))), /lax\.igamma does not accept dtype int32/);
    assert.match(errorOf(() => lax.zeta(f([2]), np.array([1], 'int32'))), /lax\.zeta requires arguments of one dtype/);
    assert.match(errorOf(() => lax.besselI0e(np.array([1], 'int32'))), /lax\.besselI0e does not accept dtype int32/);
  });
});

T('lax.populationCount and lax.clz on int32 (two\'s complement), int-only', () => {
  tf.tidy(() => {
    const x = np.array([0, 1, 7, -1, 0x7fffffff, -2147483648, 256, 0x12345678], 'int32');
    assert.equal(vals(lax.populationCount(x)), [0, 1, 3, 32, 31, 1, 1, 13]);
    assert.equal(vals(lax.clz(x)), [32, 31, 29, 0, 1, 0, 23, 3]);
    assert.equal((lax.clz(x) as tf.Tensor).dtype, 'int32');
    assert.match(errorOf(() => lax.clz(np.array([1], 'float32'))), /lax\.clz does not accept dtype float32/);
  });
});

T('lax.full / fullLike / zerosLikeArray, batchMatmul, selectN, split, dynamicUpdateIndexInDim, approxMaxK/MinK, broadcastShapes', () => {
  tf.tidy(() => {
    const a = lax.full([2, 3], 1.5);
    assert.equal([np.shape(a), (a as tf.Tensor).dtype, vals(a)], [[2, 3], 'float32', new Array(6).fill(1.5)]);
    assert.equal((lax.full([2], 3) as tf.Tensor).dtype, 'int32'); // a Python int is int32 in JAX
    assert.equal((lax.full([2], true) as tf.Tensor).dtype, 'bool');
    assert.equal(vals(lax.full([2], np.array(4, 'float32'), 'int32')), [4, 4]);
    assert.match(errorOf(() => lax.full([2], np.array([1, 2], 'float32'))), /lax\.full: fill value must be a scalar/);
    const i = np.array([[1, 2], [3, 4]], 'int32');
    assert.equal([(lax.fullLike(i, 7) as tf.Tensor).dtype, vals(lax.fullLike(i, 7))], ['int32', [7, 7, 7, 7]]);
    assert.equal(np.shape(lax.fullLike(i, 0, 'float32', [3])), [3]);
    assert.equal([(lax.zerosLikeArray(i) as tf.Tensor).dtype, vals(lax.zerosLikeArray(i))], ['int32', [0, 0, 0, 0]]);
    const l = np.array([1, 2, 3, 4, 5, 6, 7, 8], 'float32', [2, 2, 2]);
    assert.equal(vals(lax.batchMatmul(l, l)), [7, 10, 15, 22, 67, 78, 91, 106]);
    assert.match(errorOf(() => lax.batchMatmul(l, np.ones([2, 2]))), /same rank >= 2/);
    const c = [np.array([1, 2, 3], 'float32'), np.array([10, 20, 30], 'float32'), np.array([100, 200, 300], 'float32')];
    assert.equal(vals(lax.selectN(np.array([2, 0, 1], 'int32'), ...c)), [100, 2, 30]);
    assert.equal(vals(lax.selectN(np.array([true, false, true], 'bool'), c[0], c[1])), [10, 2, 30]);
    assert.equal(vals(lax.selectN(np.array(1, 'int32'), ...c)), [10, 20, 30]);
    assert.match(errorOf(() => lax.selectN(np.array([true, false, true], 'bool'), ...c)), /a bool which selects between at most 2 cases/);
    assert.equal(lax.split(np.arange(6), [1, 0, 5]).map((p) => vals(p)), [[0], [], [1, 2, 3, 4, 5]]);
    assert.match(errorOf(() => lax.split(np.arange(6), [2, 2])), /sizes \[2,2\] must be non-negative and sum to 6/);
    const z = np.zeros([2, 3]);
    assert.equal(vals(lax.dynamicUpdateIndexInDim(z, np.array([1, 2], 'float32'), 1, 1)), [0, 1, 0, 0, 2, 0]);
    const x = np.array([[3, 1, 2], [0, 5, 4]], 'float32');
    const [mv, mi] = lax.approxMaxK(x, 2);
    assert.equal([vals(mv), vals(mi)], [[3, 2, 5, 4], [0, 2, 1, 2]]);
    const [nv, ni] = lax.approxMinK(x, 1, { reductionDimension: 0 });
    assert.equal([np.shape(nv), vals(nv), vals(ni)], [[1, 3], [0, 1, 2], [1, 0, 0]]);
    assert.equal(lax.broadcastShapes([2, 1], [3], []), [2, 3]);
    assert.match(errorOf(() => lax.broadcastShapes([2], [3])), /incompatible shapes/);
    assert.is(lax.optimizationBarrier(x), x);
  });
});

T.run();
