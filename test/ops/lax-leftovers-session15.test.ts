/**
 * Session 15 (lax leftovers): jax.lax names missing after the audit: nextafter,
 * reduce_precision, bitcast_convert_type, conv_transpose, conv_general_dilated_patches,
 * gather / scatter with dimension numbers, custom_root, custom_linear_solve, reduce, empty,
 * broadcast_to_rank, padtype_to_pads. References: NumPy / PyTorch numbers (float16 and
 * bfloat16 casts, int32 views), float64 loops here, and central differences of those loops.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, jvp, lax, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = suite('lax leftovers (session 15)');

const vals = (t: NdArray) => [...(t as tf.Tensor).dataSync()].map(Number);
/** Deterministic values in [-1, 1). */
const det = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((((i + 1) * 7919 + seed * 104729) % 2003) / 1001.5) - 1);
/** Central differences of a float64 function of a flat vector. */
function numGrad(f: (v: number[]) => number, v: readonly number[], eps = 1e-4): number[] {
  return v.map((_, i) => {
    const up = [...v], down = [...v];
    up[i] += eps;
    down[i] -= eps;
    return (f(up) - f(down)) / (2 * eps);
  });
}
const f32 = (v: number[], shape: number[]) => np.array(v, 'float32', shape);

// Inputs shared by the bit tests; expected values from NumPy 1.x (view(int32), astype(float16)) and torch 1.13 (bfloat16).
const SPECIAL = [1, -2, 0, -0, Infinity, -Infinity, NaN, 1e-45, -3e-40, 1.17549435e-38, 3.4028234663852886e38, 0.1, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65520, 65519, 6e-8, 2e-8, 3e-8];
const SPECIAL_BITS = [1065353216, -1073741824, 0, -2147483648, 2139095040, -8388608, 2143289344, 1, -2147269561, 8388608, 2139095039, 1036831949, 1065357312, 1065365504, 1199566848, 1199566592, 864082265, 850119799, 855693657];
const AS_FLOAT16 = [1, -2, 0, -0, Infinity, -Infinity, NaN, 0, -0, 0, Infinity, 0.0999755859375, 1, 1.001953125, Infinity, 65504, 5.960464477539063e-8, 0, 5.960464477539063e-8];
const AS_BFLOAT16 = [1, -2, 0, -0, Infinity, -Infinity, NaN, 0, -2.7550648847397363e-40, 1.1754943508222875e-38, Infinity, 0.10009765625, 1, 1, 65536, 65536, 6.007030606269836e-8, 2.0023435354232788e-8, 3.003515303134918e-8];

/** Bitwise float32 equality (NaN equal to NaN, -0 distinct from 0). */
function sameFloats(actual: number[], expected: number[], what: string): void {
  const f = (v: number[]) => new Int32Array(new Float32Array(v).buffer);
  const [a, e] = [f(actual), f(expected)];
  expected.forEach((x, i) => {
    if (Number.isNaN(x)) assert.ok(Number.isNaN(actual[i]), `${what}[${i}]: expected NaN, got ${actual[i]}`);
    else assert.is(a[i], e[i], `${what}[${i}]: expected ${x}, got ${actual[i]}`);
  });
}

T('lax.nextafter: C nextafterf at zeros, infinities, NaN, equal operands; strict dtypes', () => {
  tf.tidy(() => {
    const a = [0, -0, 1, Infinity, 3.4028234663852886e38, NaN, 2, -0, 1e-45, -Infinity];
    const b = [-1, 1, 0, 0, Infinity, 1, 2, 0, 0, -Infinity];
    // numpy.nextafter(float32) of the same pairs.
    const expected = [-1.401298464324817e-45, 1.401298464324817e-45, 0.9999999403953552, 3.4028234663852886e38, Infinity, NaN, 2, 0, 0, -Infinity];
    sameFloats(vals(lax.nextafter(f32(a, [10]), f32(b, [10]))), expected, 'nextafter');
    assert.match(errorOf(() => lax.nextafter(np.array([1], 'int32'), np.array([2], 'int32'))), /lax\.nextafter does not accept dtype int32/);
    assert.match(errorOf(() => lax.nextafter(f32([1, 2], [2]), f32([1, 2, 3], [3]))), /lax\.nextafter got incompatible shapes/);
  });
});

T('lax.reducePrecision: float16 (5, 10) and bfloat16 (8, 7) rounding bit for bit, NaN kept, linear tangent', () => {
  tf.tidy(() => {
    const x = f32(SPECIAL, [SPECIAL.length]);
    sameFloats(vals(lax.reducePrecision(x, 5, 10)), AS_FLOAT16, 'float16');
    sameFloats(vals(lax.reducePrecision(x, 8, 7)), AS_BFLOAT16, 'bfloat16');
    // float32's own widths: unchanged.
    sameFloats(vals(lax.reducePrecision(x, 8, 23)), vals(x), 'float32');
    // JAX's rule is linear: the tangent is rounded the same way (1 + 2^-11 ties to 1 in float16).
    const [y, t] = jvp((v: NdArray) => lax.reducePrecision(v, 5, 10), [f32([1.5, 3], [2])], [f32([1 + 2 ** -11, 1 + 3 * 2 ** -11], [2])]);
    allClose(vals(y), [1.5, 3], { rtol: 0, atol: 0 });
    allClose(vals(t), [1, 1.001953125], { rtol: 0, atol: 0 });
    allClose(vals(grad((v: NdArray) => np.sum(lax.reducePrecision(v, 5, 10)))(f32([0.1, 7], [2]))), [1, 1], { rtol: 0, atol: 0 });
    assert.match(errorOf(() => lax.reducePrecision(x, 0, 10)), /^lax\.reducePrecision: exponentBits must be an integer >= 1, got 0/);
    assert.match(errorOf(() => lax.reducePrecision(np.array([1], 'int32'), 5, 10)), /lax\.reducePrecision does not accept dtype int32/);
  });
});

T('lax.bitcastConvertType: float32 <-> int32 as NumPy views, both ways; bool refused', () => {
  tf.tidy(() => {
    const bits = lax.bitcastConvertType(f32(SPECIAL, [SPECIAL.length]), 'int32');
    assert.is(bits.dtype, 'int32');
    assert.equal(vals(bits), SPECIAL_BITS);
    const back = lax.bitcastConvertType(np.array(SPECIAL_BITS, 'int32'), 'float32');
    sameFloats(vals(back), SPECIAL, 'int32 -> float32');
    // Subnormal and negative-NaN bit patterns: 0x00400000 is 2^-127, 0xffc00000 a NaN.
    sameFloats(vals(lax.bitcastConvertType(np.array([0x00400000, -4194304], 'int32'), 'float32')), [2 ** -127, NaN], 'patterns');
    assert.match(errorOf(() => lax.bitcastConvertType(np.array([true]), 'int32')), /^lax\.bitcastConvertType: bool has no 32-bit layout/);
  });
});

interface TGeo { n: number; h: number; w: number; ci: number; co: number; kh: number; kw: number; s: [number, number]; pad: 'SAME' | 'VALID' }

/** JAX's pads of a transposed convolution along one dim (jax.lax.convolution._conv_transpose_padding). */
function tPads(k: number, s: number, p: 'SAME' | 'VALID'): [number, number] {
  const total = p === 'SAME' ? k + s - 2 : k + s - 2 + Math.max(k - s, 0);
  const lo = p === 'SAME' && s <= k - 1 ? Math.ceil(total / 2) : k - 1;
  return [lo, total - lo];
}

/**
 * float64 transposed convolution, NHWC x with a forward kernel HWIO [kh, kw, co, ci] (the
 * gradient of that convolution, each input scattered through the kernel), cropped as JAX's
 * pads: output t is the full result's t + k - 1 - pad_lo.
 */
function refConvT(x: readonly number[], w: readonly number[], q: TGeo): { y: number[]; shape: number[] } {
  const [ph, pw] = [tPads(q.kh, q.s[0], q.pad), tPads(q.kw, q.s[1], q.pad)];
  const ho = (q.h - 1) * q.s[0] + 1 + ph[0] + ph[1] - q.kh + 1, wo = (q.w - 1) * q.s[1] + 1 + pw[0] + pw[1] - q.kw + 1;
  const y = new Array(q.n * ho * wo * q.co).fill(0);
  for (let b = 0; b < q.n; b++) for (let i = 0; i < q.h; i++) for (let j = 0; j < q.w; j++) for (let c = 0; c < q.ci; c++)
    for (let a = 0; a < q.kh; a++) for (let e = 0; e < q.kw; e++) for (let o = 0; o < q.co; o++) {
      const r = i * q.s[0] + a - (q.kh - 1 - ph[0]), col = j * q.s[1] + e - (q.kw - 1 - pw[0]);
      if (r < 0 || r >= ho || col < 0 || col >= wo) continue;
      y[((b * ho + r) * wo + col) * q.co + o] += x[((b * q.h + i) * q.w + j) * q.ci + c] * w[((a * q.kw + e) * q.co + o) * q.ci + c];
    }
  return { y, shape: [q.n, ho, wo, q.co] };
}

T('lax.convTranspose (NHWC / HWIO): SAME and VALID with strides, transposeKernel, gradients by central differences', () => {
  tf.tidy(() => {
    const geos: TGeo[] = [
      { n: 2, h: 3, w: 4, ci: 3, co: 2, kh: 3, kw: 2, s: [2, 3], pad: 'SAME' },
      { n: 1, h: 3, w: 2, ci: 2, co: 3, kh: 2, kw: 3, s: [3, 2], pad: 'VALID' },
    ];
    for (const q of geos) {
      const xv = det(q.n * q.h * q.w * q.ci, 1), wv = det(q.kh * q.kw * q.co * q.ci, 2);
      const x = f32(xv, [q.n, q.h, q.w, q.ci]), w = f32(wv, [q.kh, q.kw, q.co, q.ci]);
      const ref = refConvT(xv, wv, q);
      const y = lax.convTranspose(x, w, q.s, q.pad, null, null, true);
      assert.equal(np.shape(y), ref.shape, `${q.pad} shape`);
      allClose(vals(y), ref.y, { rtol: 1e-5, atol: 1e-5 });
      // Without transposeKernel the kernel is used as given: the flipped, I/O-swapped kernel gives the same result.
      const flipped = np.transpose(lax.rev(w, [0, 1]), [0, 1, 3, 2]);
      allClose(vals(lax.convTranspose(x, flipped, q.s, q.pad)), ref.y, { rtol: 1e-5, atol: 1e-5 });
      // Explicit dimension numbers (NCHW / OIHW -> NCHW) give the same numbers, transposed.
      const yc = lax.convTranspose(np.transpose(x, [0, 3, 1, 2]), np.transpose(flipped, [3, 2, 0, 1]), q.s, q.pad, null, ['NCHW', 'OIHW', 'NCHW']);
      allClose(vals(np.transpose(yc, [0, 2, 3, 1])), ref.y, { rtol: 1e-5, atol: 1e-5 });
      const ct = det(ref.y.length, 3);
      const loss64 = (xa: number[], wa: number[]) => refConvT(xa, wa, q).y.reduce((s, v, i) => s + v * ct[i], 0);
      const ctA = f32(ct, ref.shape);
      const [gx, gw] = grad((a: NdArray, b: NdArray) => np.sum(np.multiply(lax.convTranspose(a, b, q.s, q.pad, null, null, true), ctA)), { argnums: [0, 1] })(x, w) as NdArray[];
      allClose(vals(gx), numGrad((v) => loss64(v, wv), xv), { rtol: 1e-4, atol: 1e-5 });
      allClose(vals(gw), numGrad((v) => loss64(xv, v), wv), { rtol: 1e-4, atol: 1e-5 });
    }
    assert.match(errorOf(() => lax.convTranspose(f32(det(8, 1), [1, 2, 2, 2]), f32(det(8, 2), [2, 2, 2, 1]), [1, 1], 'FULL' as 'SAME')), /^lax\.convTranspose: padding must be 'SAME', 'VALID' or pairs, got 'FULL'/);
  });
});

T('lax.convGeneralDilatedPatches: JAX\'s channel-major features (NCHW default, NHWC), strides, padding and gradient', () => {
  tf.tidy(() => {
    // Hand-derived: x[0, c] = 9c + [[0, 1, 2], [3, 4, 5], [6, 7, 8]], 2x2 windows, VALID.
    const p = lax.convGeneralDilatedPatches(f32(Array.from({ length: 18 }, (_, i) => i), [1, 2, 3, 3]), [2, 2], [1, 1], 'VALID');
    assert.equal(np.shape(p), [1, 8, 2, 2]);
    assert.equal(vals(p), [0, 1, 3, 4, 1, 2, 4, 5, 3, 4, 6, 7, 4, 5, 7, 8, 9, 10, 12, 13, 10, 11, 13, 14, 12, 13, 15, 16, 13, 14, 16, 17]);
    // NHWC, stride 2, padding [[1, 0], [0, 1]], 3x2 window: against a float64 loop.
    const [n, h, w, c, kh, kw] = [2, 5, 4, 3, 3, 2];
    const xv = det(n * h * w * c, 4);
    const x = f32(xv, [n, h, w, c]);
    const patches = (xa: readonly number[]) => {
      const [ho, wo] = [Math.floor((h + 1 - kh) / 2) + 1, Math.floor((w + 1 - kw) / 2) + 1];
      const out = new Array(n * ho * wo * c * kh * kw).fill(0);
      for (let b = 0; b < n; b++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) for (let ch = 0; ch < c; ch++) for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
        const [r, col] = [i * 2 + a - 1, j * 2 + e];
        const v = r >= 0 && r < h && col < w ? xa[((b * h + r) * w + col) * c + ch] : 0;
        out[((b * ho + i) * wo + j) * c * kh * kw + (ch * kh + a) * kw + e] = v;
      }
      return { out, shape: [n, ho, wo, c * kh * kw] };
    };
    const ref = patches(xv);
    const y = lax.convGeneralDilatedPatches(x, [kh, kw], [2, 2], [[1, 0], [0, 1]], null, null, ['NHWC', 'OIHW', 'NHWC']);
    assert.equal(np.shape(y), ref.shape);
    allClose(vals(y), ref.out, { rtol: 0, atol: 1e-7 });
    const ct = det(ref.out.length, 5);
    const gx = grad((a: NdArray) => np.sum(np.multiply(lax.convGeneralDilatedPatches(a, [kh, kw], [2, 2], [[1, 0], [0, 1]], null, null, ['NHWC', 'OIHW', 'NHWC']), f32(ct, ref.shape))))(x);
    allClose(vals(gx), numGrad((v) => patches(v).out.reduce((s, o, i) => s + o * ct[i], 0), xv), { rtol: 1e-4, atol: 1e-5 });
    // convWithGeneralPadding: NCHW / OIHW, input dilated by 2 and padded: [1, 2] -> [1, 0, 2] padded [1, 1] -> [0, 1, 0, 2, 0], window [1, 1].
    assert.equal(vals(lax.convWithGeneralPadding(f32([1, 2], [1, 1, 2]), f32([1, 1], [1, 1, 2]), [1], [[1, 1]], [2], null)), [1, 1, 2, 2]);
    assert.match(errorOf(() => lax.convGeneralDilatedPatches(x, [3], [1, 1], 'VALID')), /^lax\.convGeneralDilatedPatches: filterShape needs 2 entries/);
  });
});

T('lax.padtypeToPads: SAME, SAME_LOWER, VALID (case-insensitive), pairs; unknown names are errors', () => {
  assert.equal(lax.padtypeToPads([5, 6, 7], [3, 2, 4], [2, 3, 1], 'SAME'), [[1, 1], [0, 0], [1, 2]]);
  assert.equal(lax.padtypeToPads([7], [4], [1], 'same_lower'), [[2, 1]]);
  assert.equal(lax.padtypeToPads([7, 3], [4, 2], [1, 1], 'valid'), [[0, 0], [0, 0]]);
  assert.equal(lax.padtypeToPads([7], [4], [1], [[3, 0]]), [[3, 0]]);
  assert.match(errorOf(() => lax.padtypeToPads([7], [4], [1], 'FULL')), /^lax\.padtypeToPads: unrecognized padding type/);
});

const ROWS = { offsetDims: [1], collapsedSliceDims: [0], startIndexMap: [0] };
const ROW_UPDATES = { updateWindowDims: [1], insertedWindowDims: [0], scatterDimsToOperandDims: [0] };

T('lax.gather with dimension numbers: jnp-style row, point and window gathers; fill / clip modes; gradient', () => {
  tf.tidy(() => {
    const x = np.reshape(np.arange(15, undefined, undefined, 'float32'), [5, 3]);
    const idx = np.array([[4], [0], [7], [-1]], 'int32');
    // x[idx[:, 0]]: out-of-bound rows read NaN in the default mode (JAX's FILL_OR_DROP), clamp with 'clip'.
    const rows = lax.gather(x, idx, ROWS, [1, 3]);
    assert.equal(np.shape(rows), [4, 3]);
    allClose(vals(rows), [12, 13, 14, 0, 1, 2, NaN, NaN, NaN, NaN, NaN, NaN]);
    allClose(vals(lax.gather(x, idx, ROWS, [1, 3], { mode: 'clip' })), [12, 13, 14, 0, 1, 2, 12, 13, 14, 0, 1, 2]);
    allClose(vals(lax.gather(x, idx, ROWS, [1, 3], { fillValue: -1 })), [12, 13, 14, 0, 1, 2, -1, -1, -1, -1, -1, -1]);
    // x[i, j] pairs (both dims collapsed), int32 operand: fill is the smallest int32.
    const xi = np.reshape(np.arange(20, undefined, undefined, 'int32'), [4, 5]);
    const pts = lax.gather(xi, np.array([[1, 2], [3, 4], [0, 5]], 'int32'), { offsetDims: [], collapsedSliceDims: [0, 1], startIndexMap: [0, 1] }, [1, 1]);
    assert.equal(vals(pts), [7, 19, -(2 ** 31)]);
    // A window at a start vector (indexVectorDim 0 of a rank-1 index: no batch dims), clamped as dynamic_slice.
    const y = np.reshape(np.arange(42, undefined, undefined, 'float32'), [6, 7]);
    const win = lax.gather(y, np.array([5, 2], 'int32'), { offsetDims: [0, 1], collapsedSliceDims: [], startIndexMap: [0, 1] }, [2, 3], { mode: 'clip' });
    assert.equal(np.shape(win), [2, 3]);
    assert.equal(vals(win), [30, 31, 32, 37, 38, 39]);
    // Columns of rows, offset dim first: result [3 (window), 2 (batch)].
    const cols = lax.gather(x, np.array([[2], [0]], 'int32'), { offsetDims: [0], collapsedSliceDims: [1], startIndexMap: [1] }, [5, 1]);
    assert.equal(np.shape(cols), [5, 2]);
    assert.equal(vals(cols), [2, 0, 5, 3, 8, 6, 11, 9, 14, 12]);
    // Gradient: each kept row's cotangent added back where it was read (out-of-bound rows get none).
    const ct = np.reshape(np.arange(12, undefined, undefined, 'float32'), [4, 3]);
    allClose(vals(grad((a: NdArray) => np.sum(np.multiply(lax.gather(a, idx, ROWS, [1, 3]), ct)))(x)), [3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]);
    allClose(vals(grad((a: NdArray) => np.sum(np.multiply(lax.gather(a, idx, ROWS, [1, 3], { mode: 'clip' }), ct)))(x)), [12, 14, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 8, 10]);
    // Batched indices under vmap and jit.
    const many = np.array([[[1], [2]], [[4], [0]]], 'int32');
    const vm = vmap((i: NdArray) => lax.gather(x, i, ROWS, [1, 3]))(many);
    assert.equal(np.shape(vm), [2, 2, 3]);
    assert.equal(vals(vm), [3, 4, 5, 6, 7, 8, 12, 13, 14, 0, 1, 2]);
    assert.equal(vals(jit((a: NdArray) => lax.gather(a, np.array([[3]], 'int32'), ROWS, [1, 3]))(x)), [9, 10, 11]);
    assert.match(errorOf(() => lax.gather(x, np.array([[1]], 'float32'), ROWS, [1, 3])), /^lax\.gather: indices must be int32, got f32\[1,1\]/);
    assert.match(errorOf(() => lax.gather(x, idx, { ...ROWS, offsetDims: [] }, [1, 3])), /^lax\.gather: offsetDims needs 1 entries/);
    assert.match(errorOf(() => lax.gather(x, idx, ROWS, [2, 3])), /^lax\.gather: collapsedSliceDims must have slice size 0 or 1/);
  });
});

T('lax.scatter / scatterAdd / scatterMul / scatterMin / scatterMax: repeats, dropped and clipped windows, gradients', () => {
  tf.tidy(() => {
    const x = np.reshape(np.arange(15, undefined, undefined, 'float32'), [5, 3]);
    const idx = np.array([[1], [1], [9], [2]], 'int32');
    const u = np.reshape(np.arange(12, undefined, undefined, 'float32'), [4, 3]);
    // Repeated rows each add; row 9 is out of bounds: dropped by default, clamped to row 4 by 'clip'.
    allClose(vals(lax.scatterAdd(x, idx, u, ROW_UPDATES)), [0, 1, 2, 6, 9, 12, 15, 17, 19, 9, 10, 11, 12, 13, 14]);
    allClose(vals(lax.scatterAdd(x, idx, u, ROW_UPDATES, { mode: 'clip' })), [0, 1, 2, 6, 9, 12, 15, 17, 19, 9, 10, 11, 18, 20, 22]);
    const uniq = np.array([[3], [0], [9], [2]], 'int32');
    allClose(vals(lax.scatter(x, uniq, u, ROW_UPDATES)), [3, 4, 5, 3, 4, 5, 9, 10, 11, 0, 1, 2, 12, 13, 14]);
    allClose(vals(lax.scatterMul(x, idx, np.full([4, 3], 2), ROW_UPDATES)), [0, 1, 2, 12, 16, 20, 12, 14, 16, 9, 10, 11, 12, 13, 14]);
    allClose(vals(lax.scatterMin(x, idx, u, ROW_UPDATES)), [0, 1, 2, 0, 1, 2, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    allClose(vals(lax.scatterMax(x, idx, u, ROW_UPDATES)), [0, 1, 2, 3, 4, 5, 9, 10, 11, 9, 10, 11, 12, 13, 14]);
    allClose(vals(lax.scatterSub(x, idx, u, ROW_UPDATES)), [0, 1, 2, 0, -1, -2, -3, -3, -3, 9, 10, 11, 12, 13, 14]);
    // scatterApply: func once per update, so a repeated index applies it twice (JAX's documented rule); out of bounds dropped.
    const points = { updateWindowDims: [], insertedWindowDims: [0], scatterDimsToOperandDims: [0] };
    allClose(vals(lax.scatterApply(f32([1, 2, 3, 4], [4]), np.array([[1], [1], [3], [7]], 'int32'), (v: NdArray) => np.multiply(v, 10), points, { updateShape: [4] })), [1, 200, 3, 40]);
    // Point updates (both dims inserted), int32.
    const xi = np.zeros([3, 4], 'int32');
    // Batched indices under vmap.
    const vs = vmap((i: NdArray) => lax.scatterAdd(np.zeros([3, 2]), i, np.ones([2, 2]), ROW_UPDATES))(np.array([[[0], [1]], [[2], [2]]], 'int32'));
    assert.equal(vals(vs), [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 2, 2]);
    assert.equal(vals(lax.scatterAdd(xi, np.array([[0, 1], [2, 3], [0, 1]], 'int32'), np.array([5, 6, 7], 'int32'), { updateWindowDims: [], insertedWindowDims: [0, 1], scatterDimsToOperandDims: [0, 1] })), [0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6]);
    // Gradients: d/dx of scatterAdd is the identity, d/du reads the cotangent at the targets (zero where dropped).
    const ct = np.reshape(np.arange(15, undefined, undefined, 'float32'), [5, 3]);
    const loss = (a: NdArray, b: NdArray) => np.sum(np.multiply(lax.scatterAdd(a, idx, b, ROW_UPDATES), ct));
    const [gx, gu] = grad(loss, { argnums: [0, 1] })(x, u) as NdArray[];
    allClose(vals(gx), vals(ct));
    allClose(vals(gu), [3, 4, 5, 3, 4, 5, 0, 0, 0, 6, 7, 8]);
    // scatter (set): overwritten rows pass no gradient to x; the updates get the cotangent there.
    const [sx, su] = grad((a: NdArray, b: NdArray) => np.sum(np.multiply(lax.scatter(a, uniq, b, ROW_UPDATES), ct)), { argnums: [0, 1] })(x, u) as NdArray[];
    allClose(vals(sx), [0, 0, 0, 3, 4, 5, 0, 0, 0, 0, 0, 0, 12, 13, 14]);
    allClose(vals(su), [9, 10, 11, 0, 1, 2, 0, 0, 0, 6, 7, 8]);
    assert.match(errorOf(() => lax.scatterAdd(x, idx, np.ones([3, 3]), ROW_UPDATES)), /^lax\.scatterAdd: the updates' scatter dims \[3\] must equal the indices' batch dims \[4\]/);
    // A window narrower than the operand (2 of 3 columns) is allowed, as in XLA.
    allClose(vals(lax.scatterAdd(np.zeros([2, 3]), np.array([[1]], 'int32'), np.ones([1, 2]), ROW_UPDATES)), [0, 0, 0, 1, 1, 0]);
    assert.match(errorOf(() => lax.scatterAdd(x, idx, np.ones([4, 3], 'int32'), ROW_UPDATES)), /^lax\.scatterAdd: updates must have the operand's dtype/);
    assert.match(errorOf(() => lax.scatter(x, idx, u, ROW_UPDATES, { mode: 'wrap' as 'clip' })), /^lax\.scatter: mode must be 'clip', 'fill', 'drop' or 'promise_in_bounds', got 'wrap'/);
  });
});

/** Newton's method on f (elementwise), 30 steps from x0: the solver custom_root does not differentiate. */
const newton = (f: (x: NdArray) => NdArray, x0: NdArray) => {
  let x = x0;
  for (let i = 0; i < 30; i++) {
    const [fx, d] = jvp(f, [x], [np.onesLike(x)]);
    x = np.subtract(x, np.divide(fx, d));
  }
  return x;
};
const scalarSolve = (g: (v: NdArray) => NdArray, y: NdArray) => np.divide(y, g(np.onesLike(y)));

T('lax.customRoot: the root\'s derivative by the implicit function theorem (grad, jvp, jit), closed-over parameters', () => {
  tf.tidy(() => {
    // x^3 + a x - b = 0: dx/da = -x / (3x^2 + a), dx/db = 1 / (3x^2 + a).
    const root = (a: NdArray, b: NdArray) => lax.customRoot((x: NdArray) => np.subtract(np.add(np.power(x, 3), np.multiply(a, x)), b), np.onesLike(b), newton, scalarSolve);
    const [a, b] = [f32([1, 2], [2]), f32([2, 12], [2])];
    const x = root(a, b);
    allClose(vals(x), [1, 2], { rtol: 1e-6 });
    const [ga, gb] = grad((p: NdArray, q: NdArray) => np.sum(root(p, q)), { argnums: [0, 1] })(a, b) as NdArray[];
    allClose(vals(ga), [-1 / 4, -2 / 14], { rtol: 1e-5 });
    allClose(vals(gb), [1 / 4, 1 / 14], { rtol: 1e-5 });
    const [, t] = jvp((q: NdArray) => root(a, q), [b], [f32([1, 1], [2])]);
    allClose(vals(t), [1 / 4, 1 / 14], { rtol: 1e-5 });
    allClose(vals(jit(grad((q: NdArray) => np.sum(root(a, q))))(b)), [1 / 4, 1 / 14], { rtol: 1e-5 });
    // Per-example derivatives under vmap: d/db for each of two problems.
    allClose(vals(vmap(grad((q: NdArray) => np.sum(root(f32([1], [1]), q))))(f32([2, 10], [2, 1]))), [1 / 4, 1 / 13], { rtol: 1e-5 });
    // hasAux: [root, aux], aux not differentiated.
    const [r, aux] = lax.customRoot((v: NdArray) => np.subtract(np.square(v), 2), f32([1], [1]), (f: (v: NdArray) => NdArray, x0: NdArray) => [newton(f, x0), np.array(30, 'int32')], scalarSolve, true);
    allClose(vals(r), [Math.SQRT2], { rtol: 1e-6 });
    assert.equal(vals(aux), [30]);
    assert.match(errorOf(() => lax.customRoot((v: NdArray) => v, f32([1], [1]), (_f: unknown, x0: NdArray) => x0, scalarSolve, true)), /^lax\.customRoot: with hasAux the solver must return \[solution, aux\]/);
  });
});

T('lax.customLinearSolve: implicit derivatives in the matrix and the right side; reverse mode through transposeSolve', () => {
  tf.tidy(() => {
    const Av = [4, 1, 2, 3], bv = [1, 2], cv = [0.5, -1];
    const [A, b, c] = [f32(Av, [2, 2]), f32(bv, [2]), f32(cv, [2])];
    const solve = (M: NdArray) => (_mv: unknown, r: NdArray) => np.linalg.solve(M, r);
    const tSolve = (M: NdArray, scale = 1) => (_vm: unknown, r: NdArray) => np.multiply(np.linalg.solve(np.transpose(M), r), scale);
    const loss = (M: NdArray, r: NdArray, scale = 1) => np.sum(np.multiply(lax.customLinearSolve((v: NdArray) => np.matmul(M, v), r, solve(M), tSolve(M, scale)), c));
    // float64 reference: c . A^-1 b by Cramer's rule, differentiated by central differences.
    const ref = (m: number[], r: number[]) => {
      const det = m[0] * m[3] - m[1] * m[2];
      return (cv[0] * (m[3] * r[0] - m[1] * r[1]) + cv[1] * (m[0] * r[1] - m[2] * r[0])) / det;
    };
    allClose(vals(loss(A, b)), [ref(Av, bv)], { rtol: 1e-6 });
    const [gA, gb] = grad((M: NdArray, r: NdArray) => loss(M, r), { argnums: [0, 1] })(A, b) as NdArray[];
    allClose(vals(gA), numGrad((m) => ref(m, bv), Av), { rtol: 1e-4, atol: 1e-6 });
    allClose(vals(gb), numGrad((r) => ref(Av, r), bv), { rtol: 1e-4, atol: 1e-6 });
    // transposeSolve is what reverse mode uses: scaling it scales the cotangents (JAX's rule, not the solver's own derivative).
    const [gA2, gb2] = grad((M: NdArray, r: NdArray) => loss(M, r, 2), { argnums: [0, 1] })(A, b) as NdArray[];
    allClose(vals(gb2), vals(gb).map((v) => 2 * v), { rtol: 1e-5 });
    allClose(vals(gA2), vals(gA).map((v) => 2 * v), { rtol: 1e-5 });
    // Forward mode uses solve: d/db along [1, 0] and d/dA along e_00.
    const [, tb] = jvp((r: NdArray) => loss(A, r), [b], [f32([1, 0], [2])]);
    allClose(vals(tb), [numGrad((r) => ref(Av, r), bv)[0]], { rtol: 1e-4 });
    const [, tA] = jvp((M: NdArray) => loss(M, b), [A], [f32([1, 0, 0, 0], [2, 2])]);
    allClose(vals(tA), [numGrad((m) => ref(m, bv), Av)[0]], { rtol: 1e-4 });
    // symmetric: solve serves as its own transpose; jit.
    const S = f32([3, 1, 1, 2], [2, 2]);
    const symLoss = (r: NdArray) => np.sum(np.multiply(lax.customLinearSolve((v: NdArray) => np.matmul(S, v), r, solve(S), null, true), c));
    allClose(vals(jit(grad(symLoss))(b)), [(2 * 0.5 - 1 * -1) / 5, (-1 * 0.5 + 3 * -1) / 5], { rtol: 1e-5 });
  });
});

T('lax.reduce: monoids become reductions, other computations fold in order; variadic; grad and jit; errors', () => {
  tf.tidy(() => {
    const x = f32([1, -2, 3, 4, 0.5, 6], [2, 3]);
    allClose(vals(lax.reduce(x, 0, lax.add, [0])), [5, -1.5, 9]);
    allClose(vals(lax.reduce(x, -Infinity, np.maximum, [1])), [3, 6]);
    allClose(vals(lax.reduce(x, 1, lax.mul, [0, 1])), [-72]);
    assert.equal(vals(lax.reduce(np.array([[true, false], [true, true]]), true, lax.bitwiseAnd, [1])), [0, 1]);
    // A non-monoid: a <- 2a + b from 1 along each row (Horner): ((1*2 + 1)*2 - 2)*2 + 3 = 11.
    const horner = (a: NdArray, b: NdArray) => np.add(np.multiply(a, 2), b);
    allClose(vals(lax.reduce(x, 1, horner, [1])), [11, 31]);
    // A monoid with another init folds it in once: 10 + sum.
    allClose(vals(lax.reduce(x, 10, lax.add, [1])), [12, 20.5]);
    // Variadic argmax over rows.
    const ids = np.array([[0, 1, 2], [0, 1, 2]], 'int32');
    const [m, i] = lax.reduce([x, ids], [-Infinity, 0], ([av, ai]: NdArray[], [bv, bi]: NdArray[]) => {
      const t = np.greater(bv, av);
      return [np.where(t, bv, av), np.where(t, bi, ai)];
    }, [1]) as NdArray[];
    allClose(vals(m), [3, 6]);
    assert.equal(vals(i), [2, 2]);
    allClose(vals(grad((v: NdArray) => np.sum(lax.reduce(v, 1, horner, [1])))(x)), [4, 2, 1, 4, 2, 1]);
    allClose(vals(jit((v: NdArray) => lax.reduce(v, 0, (a: NdArray, b: NdArray) => np.add(a, np.square(b)), [0, 1]))(x)), [66.25]);
    // reduceXor: bitwise on int32, parity on bool.
    assert.equal(vals(lax.reduceXor(np.array([[5, 3, 1], [8, 8, 2]], 'int32'), [1])), [7, 2]);
    assert.equal(vals(lax.reduceXor(np.array([true, true, true, false]), [0])), [1]);
    assert.match(errorOf(() => lax.reduceXor(x, [0])), /lax\.reduceXor does not accept dtype float32/);
    assert.match(errorOf(() => lax.reduce([x, x], [0], lax.add, [0])), /^lax\.reduce: 2 operand\(s\) but 1 init value\(s\)/);
    assert.match(errorOf(() => lax.reduce(x, np.array(0, 'int32'), horner, [0])), /^lax\.reduce: an init value i32\[\] does not match its operand f32\[2,3\]/);
  });
});

T('lax.empty (zeros), lax.broadcastToRank', () => {
  tf.tidy(() => {
    const e = lax.empty([2, 3], 'int32');
    assert.equal([np.shape(e), e.dtype], [[2, 3], 'int32']);
    assert.equal(vals(e), [0, 0, 0, 0, 0, 0]);
    assert.equal(np.shape(lax.empty(4)), [4]);
    assert.equal(np.shape(lax.broadcastToRank(np.ones([3]), 3)), [1, 1, 3]);
    assert.equal(np.shape(lax.broadcastToRank(np.ones([2, 3]), 2)), [2, 3]);
    assert.match(errorOf(() => lax.broadcastToRank(np.ones([2, 3]), 1)), /^lax\.broadcastToRank: rank 1 is below the rank of f32\[2,3\]/);
  });
});

T.run();
