/**
 * jax.lax's array API (lib/ops/lax-*.ts), part 2: dotGeneral's result layout (batch, lhs free,
 * rhs free) against einsum-style loops, convGeneralDilated against a direct convolution
 * loop (dimension numbers, SAME/VALID/negative padding, lhs and rhs dilation, strides,
 * feature groups, 1-D), associativeScan against a sequential scan (pytrees, a
 * non-commutative operator, reverse, axis), multi-operand sort stability, map, and
 * grad/vmap/jit through them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, makeJaxpr, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();
const T = suite('lax array API: dot, conv, sort, scans');

const vals = (t: NdArray) => [...(t as tf.Tensor).dataSync()].map(Number);
/** Deterministic values in [-1, 1) of `shape`, and the array holding them. */
function data(shape: number[], seed: number): { v: number[]; a: NdArray } {
  const n = shape.reduce((p, d) => p * d, 1);
  const v = Array.from({ length: n }, (_, i) => (((i * 7919 + seed * 104729) % 201) - 100) / 100);
  return { v, a: np.array(v, 'float32', shape) };
}
const strides = (s: number[]) => s.map((_, i) => s.slice(i + 1).reduce((p, d) => p * d, 1));
const at = (v: number[], s: number[], idx: number[]) => v[idx.reduce((o, k, i) => o + k * strides(s)[i], 0)];

T('dotGeneral lays out batch, lhs free, rhs free dims; contracting dims pair up in order', () => {
  tf.tidy(() => {
    // lhs [K2=2, B=3, M=4, K1=5], rhs [N=2, K1=5, B=3, K2=2]: contract (3,0) with (1,3), batch 1 with 2.
    const [sl, sr] = [[2, 3, 4, 5], [2, 5, 3, 2]];
    const [l, r] = [data(sl, 1), data(sr, 2)];
    const out = lax.dotGeneral(l.a, r.a, [[[3, 0], [1, 3]], [[1], [2]]]);
    assert.equal(out.shape, [3, 4, 2]);
    const want: number[] = [];
    for (let b = 0; b < 3; b++)
      for (let m = 0; m < 4; m++)
        for (let n = 0; n < 2; n++) {
          let s = 0;
          for (let k1 = 0; k1 < 5; k1++) for (let k2 = 0; k2 < 2; k2++) s += at(l.v, sl, [k2, b, m, k1]) * at(r.v, sr, [n, k1, b, k2]);
          want.push(s);
        }
    allClose(vals(out), want, { rtol: 1e-5, atol: 1e-5 });
    // No contraction: an outer product [2] x [3] -> [2, 3].
    assert.equal(vals(lax.dotGeneral(np.array([1, 2]), np.array([1, 10, 100]), [[[], []], [[], []]])), [1, 10, 100, 2, 20, 200]);
    assert.equal(vals(lax.dot(np.array([[1, 2], [3, 4]], 'int32'), np.array([1, 1], 'int32'))), [3, 7]);
    assert.equal(lax.dot(np.array([1, 2], 'int32'), np.array([3, 4], 'int32'), { preferredElementType: 'float32' }).dtype, 'float32');
    assert.match(errorOf(() => lax.dot(np.ones([2, 3]), np.ones([2, 3]))), /lax\.dot: incompatible shapes \[2,3\] and \[2,3\]/);
    assert.match(errorOf(() => lax.dot(np.ones([2]), np.array([1, 2], 'int32'))), /one dtype, got f32\[2\] and i32\[2\]/);
    assert.match(errorOf(() => lax.dotGeneral(np.ones([2, 3]), np.ones([4, 3]), [[[1], [1]], [[0], [0]]])), /batch dims differ/);
  });
});

/** The direct loop: lhs NCH(W), rhs OIH(W), explicit padding, strides, lhs/rhs dilation, groups. */
function convLoop(x: number[], xs: number[], w: number[], ws: number[], o: { s: number[]; pad: [number, number][]; ld: number[]; rd: number[]; g: number }) {
  const sp = xs.length - 2;
  const [N] = xs;
  const [O, I] = ws;
  const inS = xs.slice(2).map((n, i) => (n - 1) * o.ld[i] + 1); // dilated input size
  const outS = inS.map((n, i) => Math.floor((n + o.pad[i][0] + o.pad[i][1] - ((ws[2 + i] - 1) * o.rd[i] + 1)) / o.s[i]) + 1);
  const out: number[] = [];
  const pos = (k: number, dims: number[]) => dims.map((_, i) => Math.floor(k / dims.slice(i + 1).reduce((p, d) => p * d, 1)) % dims[i]);
  const nOut = outS.reduce((p, d) => p * d, 1);
  const nK = ws.slice(2).reduce((p, d) => p * d, 1);
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++)
      for (let q = 0; q < nOut; q++) {
        const op = pos(q, outS);
        const grp = Math.floor(oc / (O / o.g));
        let s = 0;
        for (let ic = 0; ic < I; ic++)
          for (let kk = 0; kk < nK; kk++) {
            const kp = pos(kk, ws.slice(2));
            const ip = op.map((p, i) => p * o.s[i] + kp[i] * o.rd[i] - o.pad[i][0]); // in dilated coordinates
            if (ip.some((p, i) => p < 0 || p >= inS[i] || p % o.ld[i] !== 0)) continue;
            s += at(x, xs, [n, grp * I + ic, ...ip.map((p, i) => p / o.ld[i])]) * at(w, ws, [oc, ic, ...kp]);
          }
        out.push(s);
      }
  return { shape: [N, O, ...outS].slice(0, 2 + sp), values: out };
}

T('convGeneralDilated against a direct loop: padding, strides with rhs dilation, lhs dilation, groups, 1-D', () => {
  const cases: { xs: number[]; ws: number[]; s: number[]; pad: [number, number][] | 'SAME' | 'VALID'; ld?: number[]; rd?: number[]; g?: number; loopPad?: [number, number][] }[] = [
    { xs: [2, 3, 5, 6], ws: [4, 3, 3, 2], s: [1, 1], pad: 'VALID' },
    { xs: [1, 2, 5, 5], ws: [2, 2, 3, 3], s: [2, 2], pad: 'SAME', loopPad: [[1, 1], [1, 1]] },
    { xs: [1, 2, 7, 6], ws: [2, 2, 2, 3], s: [2, 1], pad: [[1, 0], [-1, 2]], rd: [2, 2] },
    { xs: [1, 2, 3, 4], ws: [3, 2, 2, 2], s: [1, 1], pad: [[1, 1], [1, 1]], ld: [2, 3] },
    { xs: [2, 4, 4, 4], ws: [6, 2, 3, 3], s: [1, 1], pad: [[1, 1], [0, 0]], g: 2 },
    { xs: [2, 3, 9], ws: [2, 3, 3], s: [2], pad: [[2, -1]], rd: [2] },
  ];
  tf.tidy(() => {
    cases.forEach((c, k) => {
      const [x, w] = [data(c.xs, k + 3), data(c.ws, k + 11)];
      const sp = c.xs.length - 2;
      const ones = new Array(sp).fill(1);
      const pad = c.loopPad ?? (typeof c.pad === 'string' ? c.xs.slice(2).map((): [number, number] => [0, 0]) : c.pad);
      const want = convLoop(x.v, c.xs, w.v, c.ws, { s: c.s, pad, ld: c.ld ?? ones, rd: c.rd ?? ones, g: c.g ?? 1 });
      const got = lax.convGeneralDilated(x.a, w.a, c.s, c.pad, c.ld, c.rd, null, c.g ?? 1);
      assert.equal(got.shape, want.shape, `case ${k} shape`);
      allClose(vals(got), want.values, { rtol: 1e-4, atol: 1e-5 }, `case ${k}`);
    });
  });
});

T('convGeneralDilated dimension numbers (NHWC/HWIO strings, index specs) and lax.conv; grad and vmap', () => {
  tf.tidy(() => {
    const [x, w] = [data([2, 3, 5, 5], 5), data([4, 3, 3, 3], 6)];
    const ref = lax.conv(x.a, w.a, [1, 1], 'SAME');
    const xh = np.transpose(x.a, [0, 2, 3, 1]);
    const wh = np.transpose(w.a, [2, 3, 1, 0]);
    const nhwc = lax.convGeneralDilated(xh, wh, [1, 1], 'SAME', null, null, ['NHWC', 'HWIO', 'NHWC']);
    allClose(vals(np.transpose(nhwc, [0, 3, 1, 2])), vals(ref), { rtol: 1e-5, atol: 1e-5 });
    const mixed = lax.convGeneralDilated(xh, w.a, [1, 1], 'SAME', null, null, ['NHWC', 'OIHW', 'NCHW']);
    allClose(vals(mixed), vals(ref), { rtol: 1e-5, atol: 1e-5 });
    const specs = lax.convGeneralDilated(xh, wh, [1, 1], 'SAME', null, null, { lhsSpec: [0, 3, 1, 2], rhsSpec: [3, 2, 0, 1], outSpec: [0, 3, 1, 2] });
    allClose(vals(specs), vals(nhwc), { rtol: 1e-5, atol: 1e-5 });
    // grad w.r.t. the input of sum(conv) is the sum of the filter over the positions each input feeds.
    const gx = jit(grad((a: NdArray) => np.sum(lax.conv(a, np.ones([1, 1, 2, 2]), [1, 1], 'VALID'))))(np.ones([1, 1, 3, 3]));
    assert.equal(vals(gx), [1, 2, 1, 2, 4, 2, 1, 2, 1]);
    const per = vmap((a: NdArray) => lax.conv(a, w.a, [1, 1], 'SAME'))(np.expandDims(x.a, 1));
    allClose(vals(per), vals(ref), { rtol: 1e-5, atol: 1e-5 });
    assert.match(errorOf(() => lax.conv(np.ones([1, 2, 4, 4]), np.ones([1, 3, 2, 2]), [1, 1], 'VALID')), /lhs features must equal rhs in-features 3/);
  });
});

/** The sequential inclusive scan of a flat list of elements under op. */
const sequential = <T,>(xs: T[], op: (a: T, b: T) => T) => xs.reduce<T[]>((acc, x, i) => [...acc, i === 0 ? x : op(acc[i - 1], x)], []);

T('associativeScan matches a sequential scan: lengths 1..9, pytrees, a non-commutative op, reverse and axis', () => {
  tf.tidy(() => {
    for (let n = 1; n <= 9; n++) {
      const xs = Array.from({ length: n }, (_, i) => i + 1);
      assert.equal(vals(lax.associativeScan(np.add, np.array(xs))), sequential(xs, (a, b) => a + b), `add n=${n}`);
    }
    // Affine maps x -> a x + b composed left to right: (a1, b1) then (a2, b2) is (a1 a2, a2 b1 + b2): not commutative.
    const A = [1, 1.5, 0.8, 2, -1];
    const B = [1, -1, 0.5, 2, 3];
    type Aff = { a: NdArray; b: NdArray };
    const compose = (l: Aff, r: Aff): Aff => ({ a: np.mul(l.a, r.a), b: np.add(np.mul(r.a, l.b), r.b) });
    const seq = sequential(A.map((a, i) => [a, B[i]]), ([a1, b1], [a2, b2]) => [a1 * a2, a2 * b1 + b2]);
    const out = lax.associativeScan(compose, { a: np.array(A), b: np.array(B) });
    allClose(vals(out.a), seq.map((p) => p[0]), { rtol: 1e-6 });
    allClose(vals(out.b), seq.map((p) => p[1]), { rtol: 1e-6 });
    // reverse: the flipped sequence scanned, flipped back (JAX's order of fn's arguments).
    const rseq = sequential([...A.keys()].reverse().map((i) => [A[i], B[i]]), ([a1, b1], [a2, b2]) => [a1 * a2, a2 * b1 + b2]).reverse();
    const rout = lax.associativeScan(compose, { a: np.array(A), b: np.array(B) }, { reverse: true });
    allClose(vals(rout.b), rseq.map((p) => p[1]), { rtol: 1e-6 });
    const m = np.array([[1, 2, 3], [4, 5, 6]]);
    assert.equal(vals(lax.associativeScan(np.add, m, { axis: 1 })), [1, 3, 6, 4, 9, 15]);
    assert.equal(vals(lax.associativeScan(np.mul, m, { axis: -2, reverse: true })), [4, 10, 18, 4, 5, 6]);
    // grad through the scan: d/dx_k sum_i cumsum_i = n - k.
    assert.equal(vals(jit(grad((v: NdArray) => np.sum(lax.associativeScan(np.add, v))))(np.ones([5]))), [5, 4, 3, 2, 1]);
  });
});

T('sort: one operand, several operands by numKeys keys (stable), sortKeyVal, topK; NaN last', () => {
  tf.tidy(() => {
    assert.equal(vals(lax.sort(np.array([3, NaN, 1, 2]))), [1, 2, 3, NaN]);
    assert.equal(vals(lax.sort(np.array([[3, 1], [0, 2]]), { dimension: 0 })), [0, 1, 3, 2]);
    const k1 = np.array([2, 1, 2, 1, 2, 1], 'int32');
    const k2 = np.array([5, 5, 4, 5, 4, 3]);
    const idx = np.array([0, 1, 2, 3, 4, 5], 'int32');
    // One key: equal keys keep their order (stable).
    const [s1, i1] = lax.sort([k1, idx], { numKeys: 1 });
    assert.equal([vals(s1), vals(i1)], [[1, 1, 1, 2, 2, 2], [1, 3, 5, 0, 2, 4]]);
    // Two keys, lexicographic: (1,3) (1,5) (1,5) (2,4) (2,4) (2,5), ties in input order.
    const [, , i2] = lax.sort([k1, k2, idx], { numKeys: 2 });
    assert.equal(vals(i2), [5, 1, 3, 2, 4, 0]);
    const [sk, sv] = lax.sortKeyVal(np.array([3, 1, 2]), np.array([30, 10, 20], 'int32'));
    assert.equal([vals(sk), vals(sv)], [[1, 2, 3], [10, 20, 30]]);
    const [tv, ti] = lax.topK(np.array([[1, 9, 3, 9]]), 2);
    assert.equal([vals(tv), vals(ti)], [[9, 9], [1, 3]]);
    assert.match(errorOf(() => lax.sort([np.ones([2]), np.ones([3])])), /one shape/);
    // The values' gradient follows the permutation.
    const g = grad((v: NdArray) => np.sum(np.mul(lax.sort([np.array([2, 0, 1]), v], { numKeys: 1 })[1], np.array([1, 10, 100]))))(np.array([7, 8, 9]));
    assert.equal(vals(g), [100, 1, 10]);
  });
});

T('map is one scan equation; stopGradient and the collectives are re-exported', () => {
  tf.tidy(() => {
    const f = (xs: NdArray) => lax.map((x: NdArray) => np.sum(np.square(x)), xs);
    assert.equal(vals(f(np.array([[1, 2], [3, 4]]))), [5, 25]);
    assert.equal(makeJaxpr(f)(np.ones([3, 2])).eqns.map((e) => e.prim), ['scan']);
    assert.equal(vals(grad((v: NdArray) => np.sum(lax.map((x: NdArray) => np.mul(x, x), v)))(np.array([1, 2]))), [2, 4]);
    assert.equal(vals(grad((v: NdArray) => np.sum(np.mul(lax.stopGradient(v), v)))(np.array([3]))), [3]);
    const total = vmap((x: NdArray) => lax.psum(x, 'i'), { axisName: 'i' })(np.array([1, 2, 3]));
    assert.equal(vals(total), [6, 6, 6]);
    assert.equal(vals(vmap(() => lax.axisIndex('i'), { axisName: 'i', axisSize: 3 })()), [0, 1, 2]);
  });
});

T.run();
