/**
 * The convolution primitives on wasm: our SIMD kernels (lib/backend/wasm-conv.ts,
 * wasm-filter-grad.ts) where they apply (one group, unit dilation, channels a multiple of
 * 4), tfjs's kernels (tfjs-conv.ts) elsewhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type ConvPass, convPassesWasm, convWasmApplies } from '../../backend/wasm-conv.js';
import { filterGradWasm, filterGradWasmApplies } from '../../backend/wasm-filter-grad.js';
import { gatherRowsWasm } from '../../backend/wasm-gather-rows.js';
import { padWasm, padWasmApplies } from '../../backend/wasm-pad.js';
import { winogradConvIfFaster, winogradInputGradIfFaster } from '../../backend/wasm-winograd.js';
import { winogradFilterGradIfFaster } from '../../backend/wasm-winograd-filter-grad.js';
import type { PrimParams } from '../prim-params.js';
import { outSize } from '../prims/conv.js';
import { type PadSpatial, bpFilterKernel, bpInputKernel, convKernel, isPlain, padOrCrop, readPadding } from './tfjs-conv.js';
import { transposeWasm } from './wasm-kernels.js';

type ConvP = PrimParams['conv'];
type BpInputP = PrimParams['conv_bp_input'];
type BpFilterP = PrimParams['conv_bp_filter'];

/** Zero padding by our wasm kernel (float32), else tfjs's Pad. */
const padSpatialWasm: PadSpatial = (t, rows, cols) => (padWasmApplies(t) ? padWasm(t, { rows, cols }) : tf.pad(t, [[0, 0], rows, cols, [0, 0]]));

/** Whether our wasm kernel runs this forward convolution: one group, unit dilation, output channels a multiple of 4. */
export const usesWasmConv = (p: ConvP, outChannels: number) => isPlain(p) && convWasmApplies(outChannels);

export const convWasm = (x: tf.Tensor4D, w: tf.Tensor4D, p: ConvP): tf.Tensor4D => (usesWasmConv(p, w.shape[3]) ? convByWasmPasses(x, w, p) : convKernel(x, w, p));

/**
 * Gradient w.r.t. the input: our kernel's stride-phase passes (below) where they apply;
 * otherwise tfjs's route, where a stride takes the dilated correlation (wasm's
 * Conv2DBackpropInput is a plain loop: the dilated route is faster there).
 */
export function bpInputWasm(dy: tf.Tensor4D, w: tf.Tensor4D, p: BpInputP): tf.Tensor4D {
  if (isPlain(p) && convWasmApplies(w.shape[2])) {
    // Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it is faster (lib/backend/wasm-winograd.ts).
    return winogradInputGradIfFaster(dy, w, p.strides, p.padding) ?? bpInputByWasmPasses(dy, w, p);
  }
  return bpInputKernel(dy, w, p, { padSpatial: padSpatialWasm, stridedViaDilation: true });
}

/** Gradient w.r.t. the filter: our own SIMD kernel (wasm has no Conv2DBackpropFilter) where it applies, else as a forward convolution. */
export function bpFilterWasm(x: tf.Tensor4D, dy: tf.Tensor4D, p: BpFilterP): tf.Tensor4D {
  if (!isPlain(p) || !filterGradWasmApplies(x, dy)) return bpFilterKernel(x, dy, p);
  // Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it is faster (lib/backend/wasm-winograd-filter-grad.ts).
  const winograd = winogradFilterGradIfFaster(x, dy, p.filterShape, p.strides, p.padding);
  if (winograd) return winograd;
  return filterGradWasm(x, dy, { filterShape: p.filterShape as [number, number, number, number], strides: p.strides as [number, number], padTop: p.padding[0][0], padLeft: p.padding[1][0] });
}

/**
 * A forward convolution by our wasm kernel (where {@link convWasm} takes it): x zero-padded as
 * far as it is read, then one pass; optionally with jit's fused bias (any shape holding
 * one value per output channel) and ReLU.
 */
export function convByWasmPasses(x: tf.Tensor4D, w: tf.Tensor4D, p: ConvP, epilogue: { bias?: tf.Tensor; relu?: boolean } = {}): tf.Tensor4D {
  // Winograd F(2x2, 3x3) for 3x3 stride-1 layers where it is faster (lib/backend/wasm-winograd.ts).
  const winograd = winogradConvIfFaster(x, w, p.strides, p.padding, epilogue);
  if (winograd) return winograd;
  const [kh, kw, , co] = w.shape;
  const [n, h, wd] = x.shape;
  const ho = outSize(h, kh, p.strides[0], 1, p.padding[0][0], p.padding[0][1]);
  const wo = outSize(wd, kw, p.strides[1], 1, p.padding[1][0], p.padding[1][1]);
  const xp = padOrCrop(x, readPadding(h, p.padding[0], ho, kh, p.strides[0], 1), readPadding(wd, p.padding[1], wo, kw, p.strides[1], 1), padSpatialWasm);
  const pass: ConvPass = { kh, kw, filterOffset: 0, inRow0: 0, inCol0: 0, outRow0: 0, outCol0: 0, rows: ho, cols: wo };
  const attrs = { outShape: [n, ho, wo, co] as [number, number, number, number], strides: p.strides as [number, number], outStrides: [1, 1] as [number, number], gaps: false, passes: [pass], bias: !!epilogue.bias, relu: !!epilogue.relu };
  return convPassesWasm(xp, w, attrs, epilogue.bias);
}

/**
 * The stride phases of one spatial axis of dx (stride s, kernel k, low padding pad): dx
 * position h = s*u + a (phase a, `count` of them) receives dy positions u + dMin + t for
 * exactly the taps `taps[t]` (filter indices, descending), those with a + pad - tap = s*d.
 */
function stridePhases(k: number, pad: number, size: number, s: number) {
  return Array.from({ length: s }, (_, a) => {
    const taps: number[] = [];
    for (let kk = k - 1; kk >= 0; kk--) if ((((a + pad - kk) % s) + s) % s === 0) taps.push(kk);
    const dMin = taps.length ? (a + pad - taps[0]!) / s : 0;
    return { taps, dMin, count: a < size ? Math.ceil((size - a) / s) : 0 };
  });
}

/**
 * dx (unit dilation, one group) by our wasm kernel: one pass per stride phase (a, b),
 * a valid convolution of the zero-padded dy with the sub-filter of its taps (3x3 stride
 * 2: 1x1, 1x2, 2x1 and 2x2, nine taps in all, none multiplying an inserted zero), writing
 * every s-th row and column of dx from (a, b). Stride 1 is a single pass: the full
 * correlation with the flipped filter.
 */
function bpInputByWasmPasses(dy: tf.Tensor4D, w: tf.Tensor4D, p: BpInputP): tf.Tensor4D {
  const [kh, kw, ci, co] = w.shape;
  const [n, h, wd] = p.inputShape as [number, number, number, number];
  const rows = stridePhases(kh, p.padding[0][0], h, p.strides[0]);
  const cols = stridePhases(kw, p.padding[1][0], wd, p.strides[1]);
  // dy's zero padding: enough for every phase's first and last reads.
  const padding = (phases: ReturnType<typeof stridePhases>, outN: number): [number, number] => {
    const used = phases.filter((q) => q.taps.length && q.count);
    return [Math.max(0, ...used.map((q) => -q.dMin)), Math.max(0, ...used.map((q) => q.count - 1 + q.dMin + q.taps.length - 1 - (outN - 1)))];
  };
  const [top, bottom] = padding(rows, dy.shape[1]);
  const [left, right] = padding(cols, dy.shape[2]);
  const passes: ConvPass[] = [];
  const taps: number[] = [];
  let gaps = false;
  rows.forEach((r, a) =>
    cols.forEach((c, b) => {
      if (!r.count || !c.count) return;
      if (!r.taps.length || !c.taps.length) return void (gaps = true);
      passes.push({ kh: r.taps.length, kw: c.taps.length, filterOffset: taps.length * co * ci, inRow0: r.dMin + top, inCol0: c.dMin + left, outRow0: a, outCol0: b, rows: r.count, cols: c.count });
      taps.push(...r.taps.flatMap((ky) => c.taps.map((kx) => ky * kw + kx)));
    }),
  );
  if (!passes.length) return tf.zeros([n, h, wd, ci]);
  const perTap = tf.reshape(transposeWasm(w, [0, 1, 3, 2]), [kh * kw, co, ci]);
  const filters = gatherRowsWasm(perTap, { rows: taps }); // each pass's [taps, co, ci]
  const attrs = { outShape: [n, h, wd, ci] as [number, number, number, number], strides: [1, 1] as [number, number], outStrides: p.strides as [number, number], gaps, passes };
  return convPassesWasm(padOrCrop(dy, [top, bottom], [left, right], padSpatialWasm), filters, attrs);
}

