/**
 * Convolution as our own WebAssembly SIMD kernel on the tfjs wasm backend's heap, in
 * "passes": each pass is a valid convolution of the (already padded) input with its own
 * block of filter taps, written to a strided grid of output positions:
 *
 *   y[n, outRow0 + u*osh, outCol0 + v*osw, o] =
 *     sum over i < kh, j < kw, c of x[n, inRow0 + u*sh + i, inCol0 + v*sw + j, c] * w_pass[i, j, c, o]
 *
 * A forward convolution is one pass (output strides 1). The input gradient of a stride-s
 * convolution is s*s passes, one per stride phase, each with only its own taps and
 * writing every s-th row and column of dx (no concatenation or depth-to-space after).
 *
 * Threads (wasm-split.ts): each pass's output rows (image by image) are the units of
 * work, split into contiguous blocks.
 *
 * The register tile is 4 output pixels of a row x 8 output channels (8 f32x4
 * accumulators); for each tap row the reduction over (kernel column, channel) is one
 * contiguous run of x and of the filter. The filter is first packed into strips of 8
 * output channels (each strip's rows contiguous): read in place, a strip's rows lay
 * o*4 bytes apart, at 256-512 channels a multiple of 4 KB's fraction that maps them all
 * to two cache sets, so the strip never stayed in L1 or L2 (the kernel ran at 28
 * GFLOP/s at 256 -> 512 channels against 70 for the filter gradient). Strips are taken
 * in blocks that fit in L2, each block over all of the part's output rows. Measured
 * against XNNPACK's convolution in tfjs wasm on the benchmark ConvNet's layers: see
 * docs/benchmarks.md.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';
import { emitPartRange } from './wasm-split.js';
import { packStripsWasm } from './wasm-strips.js';
import { emitMultiplyAdd } from './wasm-relaxed.js';

export interface ConvPass {
  /** This pass's taps; its filter block is [kh, kw, c, o] at element `filterOffset` of the filter input. */
  readonly kh: number;
  readonly kw: number;
  readonly filterOffset: number;
  /** Where output position (u, v) = (0, 0) reads x, in the padded input. */
  readonly inRow0: number;
  readonly inCol0: number;
  /** The output grid: rows outRow0 + u*osh for u < rows, columns outCol0 + v*osw for v < cols. */
  readonly outRow0: number;
  readonly outCol0: number;
  readonly rows: number;
  readonly cols: number;
}

export interface ConvPassesAttrs {
  /** The output's [n, height, width, channels]. */
  readonly outShape: readonly [number, number, number, number];
  /** Input step per output step within a pass. */
  readonly strides: readonly [number, number];
  /** Output step [osh, osw] between a pass's neighbouring positions. */
  readonly outStrides: readonly [number, number];
  readonly passes: readonly ConvPass[];
  /** Whether some output positions belong to no pass (they are zeros). */
  readonly gaps: boolean;
  /** Epilogue: add a bias of [o] (a third input), then ReLU if `relu`. */
  readonly bias?: boolean;
  readonly relu?: boolean;
}

/** Whether {@link convPassesWasm} can run on this backend for these output channels. */
export function convWasmApplies(outChannels: number): boolean {
  return heapKernelsAvailable() && outChannels % 4 === 0;
}

/**
 * Runs the passes on a padded NHWC input `x` and a filter tensor holding every pass's
 * block (float32, wasm backend; output channels a multiple of 4).
 *
 * ```ts
 * // a 3x3 stride-2 convolution of an input padded to [n, 29, 29, c]:
 * convPassesWasm(xPadded, w, { outShape: [n, 14, 14, o], strides: [2, 2], outStrides: [1, 1], gaps: false,
 *   passes: [{ kh: 3, kw: 3, filterOffset: 0, inRow0: 0, inCol0: 0, outRow0: 0, outCol0: 0, rows: 14, cols: 14 }] });
 * ```
 */
export function convPassesWasm(x: tf.Tensor4D, w: tf.Tensor, attrs: ConvPassesAttrs, bias?: tf.Tensor): tf.Tensor4D {
  if (!!bias !== !!attrs.bias) throw new Error('convPassesWasm: attrs.bias says whether a bias tensor is given');
  return tf.tidy(() => {
    const strips = packStripsWasm(w, attrs.outShape[3]);
    return runHeapKernel(convPasses, bias ? [x, strips, bias] : [x, strips], attrs) as tf.Tensor4D;
  });
}

/** Bytes of packed filter strips taken over all output rows at a time: half of L2 (1 MB here), leaving room for the input rows. */
const STRIP_BLOCK_BYTES = 512 * 1024;

const convPasses: HeapKernel<ConvPassesAttrs> = {
  name: 'TfjaxConvPasses',
  outShape([x, w, bias], a) {
    const [n, hy, wy, o] = a.outShape;
    const [, h, wd, c] = x!;
    const wSize = tf.util.sizeFromShape(w as number[]);
    const bad = (why: string) => new Error(`convPassesWasm: ${why} (input [${x}], filter [${w}], output [${a.outShape}])`);
    if (x!.length !== 4 || x![0] !== n) throw bad('the input must be NHWC with the output batch');
    if (o % 4 !== 0) throw bad('output channels must be a multiple of 4');
    if (bias && tf.util.sizeFromShape(bias as number[]) !== o) throw bad(`the bias has shape [${bias}], expected ${o} values`);
    for (const p of a.passes) {
      if (p.rows <= 0 || p.cols <= 0) continue;
      if (p.filterOffset + p.kh * p.kw * c! * o > wSize) throw bad('a pass reads past the filter');
      if (p.inRow0 < 0 || p.inCol0 < 0 || p.inRow0 + (p.rows - 1) * a.strides[0] + p.kh > h! || p.inCol0 + (p.cols - 1) * a.strides[1] + p.kw > wd!) throw bad('a pass reads outside the input');
      if (p.outRow0 + (p.rows - 1) * a.outStrides[0] >= hy || p.outCol0 + (p.cols - 1) * a.outStrides[1] >= wy) throw bad('a pass writes outside the output');
    }
    return [n, hy, wy, o];
  },
  initial: (a) => (a.gaps ? 0 : null),
  split: ([x], a) => {
    const c = x![3]!;
    const rows = Math.max(...a.passes.map((p) => a.outShape[0] * Math.max(0, p.rows)));
    const work = a.passes.reduce((s, p) => s + a.outShape[0] * Math.max(0, p.rows) * Math.max(0, p.cols) * p.kh * p.kw * c * a.outShape[3], 0);
    return { units: Math.max(1, rows), work };
  },
  generate: ([x, w], a) => generate(x!, a, tf.util.sizeFromShape(w as number[])),
};

/**
 * Output pixels per register tile (x 8 channels = 8 accumulators). 5 or 6 pixels, or the
 * reduction loop unrolled 2 or 4 times, ran 1.3-1.6x slower (V8 spills registers).
 */
const PIXELS = 4;

function generate(x: readonly number[], a: ConvPassesAttrs, filterSize: number): FunctionBuilder {
  const [n, h, w, c] = x as [number, number, number, number];
  const [, hy, wy, o] = a.outShape;
  const [sh, sw] = a.strides;
  const [osh, osw] = a.outStrides;
  const filterRows = filterSize / o;
  const fullStrips = Math.floor(o / 8);
  const f = new FunctionBuilder(a.bias ? ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'] : ['i32', 'i32', 'i32', 'i32', 'i32'], []);
  const [xPtr, wPtr, bPtr, yPtr, part, parts] = a.bias ? [0, 1, 2, 3, 4, 5] : [0, 1, -1, 2, 3, 4];
  const [first, unit, end, img, row, xRow, yRow, oOff, blockStart, blockEnd, vLeft, xT, yT, xp, wp, k] = Array.from({ length: 16 }, () => f.local('i32'));
  const accs = Array.from({ length: 2 * PIXELS }, () => f.local('v128'));
  const wv = [f.local('v128'), f.local('v128')];
  const xs = f.local('v128');
  const zero = f.local('v128'); // locals start as zeros

  /** y[tile at yT + oOff] = the products for q pixels (from xT) x 4*ot channels (the strip at oOff). */
  const tile = (p: ConvPass, q: number, ot: number) => {
    for (let i = 0; i < q * ot; i++) f.v128Const0().localSet(accs[i]!);
    for (let i = 0; i < p.kh; i++) {
      f.localGet(xT).i32Const(i * w * c * 4).i32Add().localSet(xp);
      // strip at oOff * filterRows bytes; its row r at r * ot * 16
      f.localGet(oOff).i32Const(filterRows).i32Mul().localGet(wPtr).i32Add().i32Const((p.filterOffset / o + i * p.kw * c) * ot * 16).i32Add().localSet(wp);
      f.i32Const(p.kw * c).localSet(k);
      f.loop();
      for (let v = 0; v < ot; v++) f.localGet(wp).v128Load(v * 16).localSet(wv[v]!);
      for (let pix = 0; pix < q; pix++) {
        f.localGet(xp).v128Load32Splat(pix * sw * c * 4).localSet(xs);
        for (let v = 0; v < ot; v++) emitMultiplyAdd(f, accs[pix * ot + v]!, xs, wv[v]!);
      }
      f.addTo(xp, 4);
      f.addTo(wp, ot * 16);
      f.countDown(k, 0);
      f.end();
    }
    for (let pix = 0; pix < q; pix++) {
      for (let v = 0; v < ot; v++) {
        f.localGet(yT).localGet(oOff).i32Add().localGet(accs[pix * ot + v]!);
        if (a.bias) f.localGet(bPtr).localGet(oOff).i32Add().v128Load(v * 16).f32x4Add();
        if (a.relu) f.localGet(zero).f32x4Max();
        f.v128Store(pix * osw * o * 4 + v * 16);
      }
    }
  };

  /** One output row's 4-pixel tiles, then its remainder, for the strip at oOff. */
  const rowTiles = (p: ConvPass, ot: number) => {
    const full = Math.floor(p.cols / PIXELS);
    f.localGet(xRow).localSet(xT).localGet(yRow).localSet(yT);
    if (full > 0) {
      f.i32Const(full).localSet(vLeft);
      f.loop();
      tile(p, PIXELS, ot);
      f.addTo(xT, PIXELS * sw * c * 4);
      f.addTo(yT, PIXELS * osw * o * 4);
      f.countDown(vLeft, 0);
      f.end();
    }
    if (p.cols % PIXELS) tile(p, p.cols % PIXELS, ot);
  };

  /** body() for each of this part's output rows of pass p (xRow, yRow set), in order. */
  const eachRow = (p: ConvPass, body: () => void) => {
    f.localGet(first).localSet(unit);
    f.loop();
    f.localGet(unit).i32Const(p.rows).i32DivU().localSet(img);
    f.localGet(unit).localGet(img).i32Const(p.rows).i32Mul().i32Sub().localSet(row);
    f.localGet(xPtr).localGet(img).i32Const(h * w * c * 4).i32Mul().i32Add().localGet(row).i32Const(sh * w * c * 4).i32Mul().i32Add().i32Const((p.inRow0 * w + p.inCol0) * c * 4).i32Add().localSet(xRow);
    f.localGet(yPtr).localGet(img).i32Const(hy * wy * o * 4).i32Mul().i32Add().localGet(row).i32Const(osh * wy * o * 4).i32Mul().i32Add().i32Const((p.outRow0 * wy + p.outCol0) * o * 4).i32Add().localSet(yRow);
    body();
    f.addTo(unit, 1);
    f.localGet(unit).localGet(end).i32Ne().brIf(0);
    f.end();
  };

  for (const p of a.passes) {
    if (p.rows <= 0 || p.cols <= 0) continue;
    // This part's output rows of the pass, unit = image * rows + row.
    emitPartRange(f, n * p.rows, part, parts, first, end);
    f.localGet(first).localGet(end).i32Ne().if();
    if (fullStrips > 0) {
      // Blocks of strips (byte offsets of their channels: 32 per strip), each over all rows.
      const perBlock = 32 * Math.max(1, Math.floor(STRIP_BLOCK_BYTES / (p.kh * p.kw * c * 32)));
      f.i32Const(0).localSet(blockStart);
      f.loop();
      f.localGet(blockStart).i32Const(perBlock).i32Add().localTee(blockEnd).i32Const(fullStrips * 32).localGet(blockEnd).i32Const(fullStrips * 32).i32LtS().select().localSet(blockEnd);
      eachRow(p, () => {
        f.localGet(blockStart).localSet(oOff);
        f.loop();
        rowTiles(p, 2);
        f.addTo(oOff, 32);
        f.localGet(oOff).localGet(blockEnd).i32Ne().brIf(0);
        f.end();
      });
      f.localGet(blockEnd).localTee(blockStart).i32Const(fullStrips * 32).i32Ne().brIf(0);
      f.end();
    }
    if (o % 8) {
      eachRow(p, () => {
        f.i32Const(fullStrips * 32).localSet(oOff);
        rowTiles(p, 1);
      });
    }
    f.end();
  }
  return f;
}
