/**
 * Our heap kernels split between threads (lib/backend/wasm-heap.ts, wasm-split.ts,
 * heap-threads-node.ts): for each splittable kernel (direct convolution, its input and
 * filter gradients, Winograd forward / input gradient / filter gradient, fused
 * elementwise loops, matrix products, packing B for them, swapping axes), every split
 * gives bitwise the result of one thread and matches a float64 reference; shapes make
 * uneven splits (one unit, fewer units than parts, odd counts, empty parts). A split of
 * 2 parts runs on the worker pool where tfjs's threaded build and the pool are active
 * (`enableWasmThreads(2, { kernelThreads: 2 })` below), otherwise (and for more parts than
 * threads) one part after another on the calling thread, so the partitions are checked on
 * every machine. A deliberately broken split (a part missing, a part run twice) must be
 * caught, and an error inside a worker must come back as one thrown line.
 *
 * Float64 references: elementwise chains of +, *, /, max and ReLU are exact (each float32
 * operation rounds the exact result once: Math.fround of the float64 one); the direct kernels' float32 sums are within γ_K Σ|terms| (K terms
 * per output); Winograd's within γ_(c+10) S (see wasm-winograd.test.ts), bounded here
 * coarsely by S <= 81 c max|x| max|w| (forward: |B^T|, |G| and |A^T| row sums 2, 1.5 and 3)
 * and S <= 64 T max|x| max|dy| for the filter gradient over T tiles (|A|, |B^T|, |G^T|: 2, 2, 2).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs-core';
import { elementwiseWasm, elementwiseWasmOutputs } from '../../lib/backend/wasm-elementwise.js';
import { PANEL, batchMatMulWasm, packPanelsWasm, paddedColumns } from '../../lib/backend/wasm-batch-matmul.js';
import { swapWasm } from '../../lib/backend/wasm-transpose.js';
import { FunctionBuilder } from '../../lib/backend/wasm-emit.js';
import { SPLIT_MIN_WORK, forceHeapSplit, heapKernelThreads, heapKernelsAvailable, runHeapKernel } from '../../lib/backend/wasm-heap.js';
import { winogradConvWasm, winogradInputGradWasm } from '../../lib/backend/wasm-winograd.js';
import { winogradFilterGradWasm } from '../../lib/backend/wasm-winograd-filter-grad.js';
import { bpFilterWasm, bpInputWasm, convWasm } from '../../lib/core/lower/wasm-conv.js';
import { enableWasmThreads } from '../../lib/parallel/index.js';
import { testBackendName, useTestBackend } from '../helpers/backend.js';
import { mulberry32 } from '../helpers/rng.js';

const backend = testBackendName() === 'wasm' ? 'wasm' : await useTestBackend();
const threaded = backend === 'wasm' && process.env['TFJAX_TEST_HEAP_THREADS'] !== '0' ? (await enableWasmThreads(2, { kernelThreads: 2 })).kernelThreads : 1;
if (backend === 'wasm' && threaded === 1) await enableWasmThreads(1);
const test = suite(`heap kernels on threads [${backend}, ${threaded} kernel thread(s)]`);

type Pad = [[number, number], [number, number]];
const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);
const rng = mulberry32(19);
const random = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng() * 2 - 1), shape);

/** Every product term of a convolution of x [n, h, w, c] with a [kh, kw, c, o] filter: visit(xIndex, wIndex, yIndex). */
function convTerms([n, h, wd, c]: number[], [kh, kw, , o]: number[], strides: number[], [[pt, pb], [pl, pr]]: Pad, visit: (xi: number, wi: number, yi: number) => void): number[] {
  const ho = Math.floor((h! + pt + pb - kh!) / strides[0]!) + 1;
  const wo = Math.floor((wd! + pl + pr - kw!) / strides[1]!) + 1;
  for (let b = 0; b < n!; b++)
    for (let r = 0; r < ho; r++)
      for (let q = 0; q < wo; q++)
        for (let i = 0; i < kh!; i++)
          for (let j = 0; j < kw!; j++) {
            const [xr, xc] = [r * strides[0]! + i - pt, q * strides[1]! + j - pl];
            if (xr < 0 || xr >= h! || xc < 0 || xc >= wd!) continue;
            for (let ic = 0; ic < c!; ic++) for (let oc = 0; oc < o!; oc++) visit(((b * h! + xr) * wd! + xc) * c! + ic, ((i * kw! + j) * c! + ic) * o! + oc, ((b * ho + r) * wo + q) * o! + oc);
          }
  return [n!, ho, wo, o!];
}

/** Float64 sums and sums of absolute terms of out[k] = Σ a[ai] b[bi] over the terms that `pick` maps to (ai, bi, k). */
function reference(size: number, terms: (visit: (ai: number, bi: number, k: number) => void) => void, a: Float32Array, b: Float32Array) {
  const sum = new Float64Array(size);
  const abs = new Float64Array(size);
  terms((ai, bi, k) => {
    sum[k] += a[ai]! * b[bi]!;
    abs[k] += Math.abs(a[ai]! * b[bi]!);
  });
  return { sum, abs };
}

/** The first element where got misses want by more than tol(k), or null. */
function miss(got: Float32Array, want: Float64Array, tol: (k: number) => number): string | null {
  for (let k = 0; k < got.length; k++) if (!(Math.abs(got[k]! - want[k]!) <= tol(k))) return `element ${k}: ${got[k]} vs float64 ${want[k]} (tolerance ${tol(k)})`;
  return null;
}

const bits = (t: tf.Tensor) => new Uint32Array((t.dataSync() as Float32Array).slice().buffer);
function sameBits(a: tf.Tensor, b: tf.Tensor): boolean {
  const [x, y] = [bits(a), bits(b)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** `kernel` split as `split` (null: one part), its intermediates freed; a NaN-filled block of the output's size is freed just before, so that missing writes show. */
function runSplit(kernel: () => tf.Tensor, split: { parts: number; assignment?: number[]; claim?: boolean } | null): tf.Tensor {
  forceHeapSplit(split ?? { parts: 1 });
  try {
    const probe = tf.tidy(kernel);
    probe.dispose();
    tf.fill(probe.shape, NaN).dispose();
    return tf.tidy(kernel);
  } finally {
    forceHeapSplit(null);
  }
}

/**
 * One part, then 2 (on the pool where it is active), 3, 4 and 7 parts as assigned, and (a kernel without
 * scratch memory) 2, 3, 7 and 16 parts claimed by the pool's threads (in turn without a pool): each bitwise the one-part result.
 */
function checkSplits(name: string, kernel: () => tf.Tensor, { scratch = false } = {}): tf.Tensor {
  const one = runSplit(kernel, null);
  const claimed = scratch ? [] : [2, 3, 7, 16].map((parts) => ({ parts, claim: true }));
  for (const split of [...[2, 3, 4, 7].map((parts) => ({ parts, claim: false })), ...claimed]) {
    const got = runSplit(kernel, split);
    assert.ok(sameBits(got, one), `${name}: ${split.parts} parts${split.claim ? ' (claimed)' : ''} differ from one thread`);
    got.dispose();
  }
  return one;
}

const cases = backend === 'wasm' && heapKernelsAvailable();

test('direct convolution forward: every split bitwise one thread, within the float64 bound', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  const shapes: { x: number[]; w: number[]; strides: [number, number]; padding: Pad }[] = [
    { x: [1, 1, 5, 3], w: [1, 3, 3, 8], strides: [1, 1], padding: [[0, 0], [1, 1]] }, // one output row
    { x: [3, 5, 4, 5], w: [3, 3, 5, 12], strides: [1, 1], padding: [[1, 1], [1, 1]] }, // 15 rows
    { x: [1, 7, 6, 4], w: [3, 3, 4, 4], strides: [2, 2], padding: [[1, 1], [0, 1]] }, // 4 rows, stride 2
  ];
  for (const { x: xs, w: ws, strides, padding } of shapes) {
    const [x, w] = [random(xs), random(ws)] as [tf.Tensor4D, tf.Tensor4D];
    const p = { strides, padding, dilation: [1, 1] as [number, number], groups: 1 };
    const y = checkSplits(`conv x [${xs}]`, () => convWasm(x, w, p));
    const shape: number[] = [];
    const ref = reference(y.size, (v) => shape.push(...convTerms(xs, ws, strides, padding, (xi, wi, yi) => v(xi, wi, yi))), x.dataSync() as Float32Array, w.dataSync() as Float32Array);
    assert.equal(y.shape, shape);
    const K = ws[0]! * ws[1]! * ws[2]!;
    assert.is(miss(y.dataSync() as Float32Array, ref.sum, (k) => gamma(K) * ref.abs[k]!), null);
    tf.dispose([x, w, y]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('direct convolution input gradient (stride phases with gaps): every split bitwise one thread, within the float64 bound', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  for (const { xs, ws, strides, padding } of [
    { xs: [1, 5, 5, 4], ws: [3, 3, 4, 8], strides: [2, 2], padding: [[1, 1], [1, 1]] },
    { xs: [3, 3, 4, 8], ws: [3, 3, 8, 4], strides: [1, 1], padding: [[1, 1], [1, 1]] },
    { xs: [2, 7, 5, 4], ws: [1, 1, 4, 4], strides: [3, 2], padding: [[0, 0], [0, 0]] }, // phases with no taps: zeros
  ] as { xs: number[]; ws: number[]; strides: [number, number]; padding: Pad }[]) {
    const shape = convTerms(xs, ws, strides, padding, () => {});
    const [dy, w] = [random(shape), random(ws)] as [tf.Tensor4D, tf.Tensor4D];
    const p = { strides, padding, dilation: [1, 1] as [number, number], groups: 1, inputShape: xs };
    const dx = checkSplits(`dx [${xs}]`, () => bpInputWasm(dy, w, p));
    const ref = reference(dx.size, (v) => convTerms(xs, ws, strides, padding, (xi, wi, yi) => v(yi, wi, xi)), dy.dataSync() as Float32Array, w.dataSync() as Float32Array);
    const K = ws[0]! * ws[1]! * ws[3]!;
    assert.is(miss(dx.dataSync() as Float32Array, ref.sum, (k) => gamma(K) * ref.abs[k]!), null);
    tf.dispose([dy, w, dx]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('direct filter gradient (taps x channel groups, a partial group): every split bitwise one thread, within the float64 bound', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  for (const { xs, fs, strides, padding } of [
    { xs: [3, 5, 6, 6], fs: [3, 3, 6, 8], strides: [1, 1], padding: [[1, 1], [1, 1]] }, // 18 units, the last group of 2 channels
    { xs: [2, 7, 7, 3], fs: [3, 3, 3, 4], strides: [2, 2], padding: [[1, 1], [1, 1]] }, // a first layer: 9 units
    { xs: [1, 4, 4, 4], fs: [1, 1, 4, 4], strides: [1, 1], padding: [[0, 0], [0, 0]] }, // one unit
  ] as { xs: number[]; fs: number[]; strides: [number, number]; padding: Pad }[]) {
    const shape = convTerms(xs, fs, strides, padding, () => {});
    const [x, dy] = [random(xs), random(shape)] as [tf.Tensor4D, tf.Tensor4D];
    const p = { strides, padding, dilation: [1, 1] as [number, number], groups: 1, filterShape: fs };
    const dw = checkSplits(`dw [${fs}]`, () => bpFilterWasm(x, dy, p));
    const ref = reference(dw.size, (v) => convTerms(xs, fs, strides, padding, (xi, wi, yi) => v(xi, yi, wi)), x.dataSync() as Float32Array, dy.dataSync() as Float32Array);
    const K = shape[0]! * shape[1]! * shape[2]!;
    assert.is(miss(dw.dataSync() as Float32Array, ref.sum, (k) => gamma(K) * ref.abs[k]!), null);
    tf.dispose([x, dy, dw]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('Winograd forward and input gradient (blocks of tile rows, a short last block, odd sizes): every split bitwise one thread, within the float64 bound', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  const padding: Pad = [[1, 1], [1, 1]];
  // c = 128, o = 4: blocks of 11 tile rows over 2 x 8 = 16 (11 + 5); 2 x 1 tile rows: one block
  for (const [xs, ws] of [
    [[2, 15, 13, 128], [3, 3, 128, 4]],
    [[2, 2, 3, 8], [3, 3, 8, 8]],
  ] as number[][][]) {
    const [x, w] = [random(xs!), random(ws!)] as [tf.Tensor4D, tf.Tensor4D];
    const y = checkSplits(`Winograd y [${xs}]`, () => winogradConvWasm(x, w, { padding }), { scratch: true });
    const ref = reference(y.size, (v) => convTerms(xs!, ws!, [1, 1], padding, (xi, wi, yi) => v(xi, wi, yi)), x.dataSync() as Float32Array, w.dataSync() as Float32Array);
    const c = xs![3]!;
    assert.is(miss(y.dataSync() as Float32Array, ref.sum, () => gamma(c + 10) * 81 * c), null);
    // The input gradient is the same kernel on dy with the swapped, flipped filter (o = 4 channels in, 128 out).
    const dy = random(y.shape) as tf.Tensor4D;
    const dx = checkSplits(`Winograd dx [${xs}]`, () => winogradInputGradWasm(dy, w, padding), { scratch: true });
    const refDx = reference(dx.size, (v) => convTerms(xs!, ws!, [1, 1], padding, (xi, wi, yi) => v(yi, wi, xi)), dy.dataSync() as Float32Array, w.dataSync() as Float32Array);
    const o = ws![3]!;
    assert.is(miss(dx.dataSync() as Float32Array, refDx.sum, () => gamma(o + 10) * 81 * o), null);
    tf.dispose([x, w, y, dy, dx]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('Winograd filter gradient (groups of 4 input channels): every split bitwise one thread, within the float64 bound', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  const padding: Pad = [[1, 1], [1, 1]];
  for (const [xs, o] of [
    [[2, 7, 5, 12], 8], // 3 units
    [[1, 3, 3, 4], 4], // 1 unit
  ] as [number[], number][]) {
    const fs = [3, 3, xs[3]!, o];
    const shape = convTerms(xs, fs, [1, 1], padding, () => {});
    const [x, dy] = [random(xs), random(shape)] as [tf.Tensor4D, tf.Tensor4D];
    const dw = checkSplits(`Winograd dw [${fs}]`, () => winogradFilterGradWasm(x, dy, padding), { scratch: true });
    assert.throws(() => runSplit(() => winogradFilterGradWasm(x, dy, padding), { parts: 2, claim: true }), /claimed only by kernels without scratch memory/);
    const ref = reference(dw.size, (v) => convTerms(xs, fs, [1, 1], padding, (xi, wi, yi) => v(xi, yi, wi)), x.dataSync() as Float32Array, dy.dataSync() as Float32Array);
    const T = shape[0]! * Math.ceil(shape[1]! / 2) * Math.ceil(shape[2]! / 2);
    assert.is(miss(dw.dataSync() as Float32Array, ref.sum, () => gamma(T + 8) * 64 * T), null);
    tf.dispose([x, dy, dw]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('fused elementwise loops (blocks of rows; a summing program runs whole): every split bitwise one thread and exact', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  const f = Math.fround;
  // relu(x * scale[c] + y) / r[row], max with y: on rows of 8 (row path, 15 rows), then without per-row inputs on 1 row (flat path);
  // rows of 7, 3 and 13 end in a vector of fewer lanes.
  for (const shape of [[3, 5, 8], [1, 12], [3, 5, 7], [4, 3], [1, 13]]) {
    const rowsOf = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const c = shape[shape.length - 1]!;
    const perRow = shape.length === 3;
    const [x, y, scale, r] = [random(shape), random(shape), random([c]), tf.tidy(() => tf.add(tf.abs(random([...shape.slice(0, -1), 1])), 0.5))];
    const program = {
      shape,
      inputs: ['full', 'full', 'channel', ...(perRow ? ['row'] : [])] as ('full' | 'channel' | 'row')[],
      ops: [
        { op: 'mul' as const, args: [0, 2] },
        { op: 'add' as const, args: [perRow ? 4 : 3, 1] },
        { op: 'relu' as const, args: [perRow ? 5 : 4] },
        ...(perRow ? [{ op: 'div' as const, args: [6, 3] }] : []),
        { op: 'max' as const, args: [perRow ? 7 : 5, 1] },
      ],
    };
    const inputs = perRow ? [x, y, scale, r] : [x, y, scale];
    const z = checkSplits(`elementwise [${shape}]`, () => elementwiseWasm(inputs, program));
    const [xv, yv, sv, rv] = [x, y, scale, r].map((t) => t.dataSync() as Float32Array);
    const want = Float64Array.from(xv!, (xe, k) => {
      let v = Math.max(0, f(f(xe * sv![k % c]!) + yv![k]!));
      if (perRow) v = f(v / rv![Math.floor(k / c)]!);
      return Math.max(v, yv![k]!);
    });
    assert.is(miss(z.dataSync() as Float32Array, want, () => 0), null);
    assert.is(rowsOf * c, z.size);
    tf.dispose([x, y, scale, r, z]);
  }
  // A program with a column sum: forced into parts, it still runs whole in part 0, once.
  const x = random([9, 4]);
  const colSum = checkSplits('elementwise with sums', () => elementwiseWasmOutputs([x], { shape: [9, 4], inputs: ['full'], ops: [{ op: 'relu', args: [0] }], sums: [1] })[1]!);
  const xv = x.dataSync() as Float32Array;
  const ref = reference(4, (v) => xv.forEach((e, k) => e > 0 && v(k, 0, k % 4)), xv, new Float32Array([1]));
  assert.is(miss(colSum.dataSync() as Float32Array, ref.sum, (k) => gamma(9) * ref.abs[k]!), null);
  colSum.dispose();
  x.dispose();
  assert.is(tf.memory().numTensors, before);
});

test('matrix products (blocks of 4 rows; batch 1, fewer blocks than parts, short last blocks, column tails): every split bitwise one thread, within the float64 bound', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  for (const [batch, m, k, n] of [
    [1, 2, 5, 3], // one unit, 2 rows, a 3-column tail
    [3, 9, 7, 13], // 3 blocks per matrix (the last of 1 row), a full panel and a 5-column tail
    [5, 4, 6, 8], // 5 units of whole blocks
    [1, 13, 33, 17], // unbatched: 4 blocks (the last of 1 row), 2 panels and a 1-column tail
  ] as [number, number, number, number][]) {
    const [a, b] = [random([batch, m, k]), random([batch, paddedColumns(n) / PANEL, k, PANEL])];
    const c = checkSplits(`matmul [${batch}, ${m}, ${k}] x ${n}`, () => batchMatMulWasm(a, b, { batch, m, k, n }));
    assert.equal(c.shape, [batch, m, n]);
    // C[i, r, col] = sum_q A[i, r, q] Bp[i, col / 8, q, col % 8]
    const ref = reference(c.size, (v) => {
      for (let i = 0; i < batch; i++)
        for (let r = 0; r < m; r++)
          for (let col = 0; col < n; col++)
            for (let q = 0; q < k; q++) v((i * m + r) * k + q, ((i * (paddedColumns(n) / PANEL) + Math.floor(col / PANEL)) * k + q) * PANEL + (col % PANEL), (i * m + r) * n + col);
    }, a.dataSync() as Float32Array, b.dataSync() as Float32Array);
    assert.is(miss(c.dataSync() as Float32Array, ref.sum, (e) => gamma(k) * ref.abs[e]!), null);
    tf.dispose([a, b, c]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('packing B in panels (from B and from B^T: full panels, column tails, k not a multiple of 4) and swapping axes (bands of 4 rows across matrices): every split bitwise one thread, and exact', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  for (const [batch, k, n] of [
    [1, 3, 5], // one unit: a 5-column tail, k < 4
    [3, 9, 16], // 2 full panels per matrix, k = 2 quads + 1
    [2, 12, 21], // 2 full panels and a 5-column tail, k = 3 quads
    [1, 33, 17], // unbatched: 2 panels and a 1-column tail
  ] as [number, number, number][]) {
    const b = random([batch, k, n]);
    const bT = tf.transpose(b, [0, 2, 1]);
    const from = b.dataSync() as Float32Array;
    const want = new Float32Array(batch * paddedColumns(n) * k); // [batch, np / 8, k, 8], zero past n
    for (let i = 0; i < batch; i++) for (let q = 0; q < k; q++) for (let col = 0; col < n; col++) want[((i * (paddedColumns(n) / PANEL) + Math.floor(col / PANEL)) * k + q) * PANEL + (col % PANEL)] = from[(i * k + q) * n + col]!;
    for (const [input, transposed] of [[b, false], [bT, true]] as [tf.Tensor, boolean][]) {
      const packed = checkSplits(`pack [${batch}, ${k}, ${n}]${transposed ? ' from B^T' : ''}`, () => packPanelsWasm(input, { batch, k, n, transposed }));
      assert.equal(packed.shape, [batch, paddedColumns(n) / PANEL, k, PANEL]);
      assert.equal(Array.from(packed.dataSync()), Array.from(want), `pack [${batch}, ${k}, ${n}]${transposed ? ' from B^T' : ''}`);
      packed.dispose();
    }
    tf.dispose([b, bT]);
  }
  for (const [b, r, c] of [[1, 4, 8], [3, 8, 12], [2, 20, 4]] as [number, number, number][]) {
    const x = random([b, r, c]);
    const y = checkSplits(`swap [${b}, ${r}, ${c}]`, () => swapWasm(x, { b, r, c }));
    const xT = tf.transpose(x, [0, 2, 1]);
    assert.equal(Array.from(y.dataSync()), Array.from(xT.dataSync()), `swap [${b}, ${r}, ${c}]`);
    tf.dispose([x, xT, y]);
  }
  assert.is(tf.memory().numTensors, before);
});

test('a product above SPLIT_MIN_WORK, not forced: its parts claimed by the threads (where the pool is active), bitwise one part', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  const [batch, m, k, n] = [3, 50, 64, 61]; // 585600 multiply-adds >= SPLIT_MIN_WORK: 16 parts of 39 blocks of rows on 2 threads
  assert.ok(batch * m * k * n >= SPLIT_MIN_WORK);
  const [a, b] = [random([batch, m, k]), random([batch, paddedColumns(n) / PANEL, k, PANEL])];
  const product = () => tf.tidy(() => batchMatMulWasm(a, b, { batch, m, k, n }));
  const one = runSplit(product, null);
  for (let r = 0; r < 5; r++) {
    const got = product();
    assert.ok(sameBits(got, one), `run ${r} differs from one part`);
    got.dispose();
  }
  tf.dispose([a, b, one]);
  assert.is(tf.memory().numTensors, before);
});

test('a broken split is caught: a missing part (on the pool where active; convolution, matrix product), a part run twice (accumulating filter gradient)', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  const [x, w] = [random([3, 5, 4, 8]), random([3, 3, 8, 8])] as [tf.Tensor4D, tf.Tensor4D];
  const p = { strides: [1, 1] as [number, number], padding: [[1, 1], [1, 1]] as Pad, dilation: [1, 1] as [number, number], groups: 1 };
  const one = runSplit(() => convWasm(x, w, p), null);
  const missing = runSplit(() => convWasm(x, w, p), { parts: 2, assignment: [0, 0] });
  assert.not.ok(sameBits(missing, one), 'part 1 never ran, yet the result is that of one thread');
  const dy = random(one.shape) as tf.Tensor4D;
  const bp = { ...p, filterShape: [3, 3, 8, 8] };
  const dwOne = runSplit(() => bpFilterWasm(x, dy, bp), null);
  const twice = runSplit(() => bpFilterWasm(x, dy, bp), { parts: 3, assignment: [0, 1, 2, 1] });
  assert.not.ok(sameBits(twice, dwOne), 'part 1 ran twice, yet the result is that of one thread');
  const [a, b] = [random([3, 5, 6]), random([3, 2, 6, PANEL])];
  const product = () => batchMatMulWasm(a, b, { batch: 3, m: 5, k: 6, n: 11 });
  const [cOne, cMissing] = [runSplit(product, null), runSplit(product, { parts: 3, assignment: [0, 2, 2] })];
  assert.not.ok(sameBits(cMissing, cOne), 'matmul: part 1 never ran, yet the result is that of one thread');
  tf.dispose([x, w, one, missing, dy, dwOne, twice, a, b, cOne, cMissing]);
  assert.is(tf.memory().numTensors, before);
});

test('an error in one part (a worker where the pool is active) is thrown as one line, without a hang or a leak', () => {
  if (!cases) return;
  const before = tf.memory().numTensors;
  // Part 1 reads 16 bytes at 4 GiB - 16: out of bounds for any heap below 4 GiB.
  const trapsInPart1 = {
    name: 'TfjaxTestTrapInPart1',
    outShape: () => [4],
    initial: () => 0,
    split: () => ({ units: 2, work: 1e9 }),
    generate: () => {
      const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32'], []);
      f.localGet(2).i32Const(1).i32Ne().i32Eqz().if();
      f.i32Const(-16).v128Load(0).localSet(f.local('v128'));
      f.end();
      return f;
    },
  };
  const x = tf.zeros([4]);
  forceHeapSplit({ parts: 2 });
  try {
    assert.throws(() => runHeapKernel(trapsInPart1, [x], {}), (e: Error) => /^TfjaxTestTrapInPart1: .*out of bounds/.test(e.message) && !e.message.includes('\n'));
  } finally {
    forceHeapSplit(null);
  }
  x.dispose();
  assert.is(tf.memory().numTensors, before);
  assert.is(heapKernelThreads(), threaded);
});

test.run();
