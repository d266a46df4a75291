/**
 * The convolution filter gradient as our own WebAssembly SIMD kernel on the tfjs wasm
 * backend's heap:
 *
 *   dw[i, j, c, o] = sum over n, ho, wo of x[n, ho*sh + i - pt, wo*sw + j - pl, c] * dy[n, ho, wo, o]
 *
 * (NHWC x and dy, HWIO dw; out-of-range x rows and columns are the zero padding.)
 *
 * Why: tfjs wasm has no Conv2DBackpropFilter. Written as a forward convolution with dy
 * as the filter, XNNPACK must pack dy as a new filter on every call and then streams a
 * reduction of length N*Ho*Wo through every output tile, which ran at 13-19 GFLOP/s
 * against 30+ for forward convolutions; and it needs x and dy transposed first. This
 * kernel reads x where it is and dy packed into strips of 8 output channels
 * (wasm-strips.ts: read in place, a strip's pixels lie o*4 bytes apart, a few cache sets
 * at 128-512 channels), one image at a time (an image's x and dy stay in cache), and
 * keeps a 4 (input channels) x 8 (output channels) tile of dw in registers across each
 * image's pixels.
 *
 * Threads (wasm-split.ts): the units of work are (filter tap, group of 4 input channels)
 * pairs, each a block of dw rows that only its part writes; every part walks all the
 * images in order, so each dw element sums in the same order as on one thread.
 *
 * Each shape gets its own module with every size as an immediate (generated and compiled
 * once, then cached).
 */
import * as tf from '@tensorflow/tfjs-core';
import { emitChannelStrips } from './wasm-channel-strips.js';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';
import { emitClamp, emitPartRange } from './wasm-split.js';
import { packStripsWasm } from './wasm-strips.js';
import { emitMultiplyAdd } from './wasm-relaxed.js';

export interface FilterGradAttrs {
  /** [kh, kw, c, o] */
  readonly filterShape: readonly [number, number, number, number];
  readonly strides: readonly [number, number];
  /** Padding before the first row and column; what lies after is implied by the shapes. */
  readonly padTop: number;
  readonly padLeft: number;
}

/** Whether {@link filterGradWasm} handles this case: wasm, float32, output channels a multiple of 4. */
export function filterGradWasmApplies(x: tf.Tensor, dy: tf.Tensor): boolean {
  return heapKernelsAvailable() && x.dtype === 'float32' && dy.dtype === 'float32' && dy.shape[3]! % 4 === 0;
}

/**
 * The filter gradient of a convolution (dilation 1, one group) on tfjs wasm; see
 * {@link filterGradWasmApplies}.
 *
 * ```ts
 * const dw = filterGradWasm(x, dy, { filterShape: [3, 3, 32, 64], strides: [2, 2], padTop: 1, padLeft: 1 });
 * ```
 */
export function filterGradWasm(x: tf.Tensor4D, dy: tf.Tensor4D, attrs: FilterGradAttrs): tf.Tensor4D {
  const [kh, kw, c, o] = attrs.filterShape;
  if (x.rank !== 4 || dy.rank !== 4 || x.shape[0] !== dy.shape[0] || x.shape[3] !== c || dy.shape[3] !== o || o % 4 !== 0) {
    throw new Error(`filterGradWasm: x [${x.shape}] and dy [${dy.shape}] do not fit filter [${[kh, kw, c, o]}] (output channels must be a multiple of 4)`);
  }
  return tf.tidy(() => runHeapKernel(filterGrad, [x, packStripsWasm(dy, o)], { ...attrs, dyShape: dy.shape }) as tf.Tensor4D);
}

interface FilterGradKernelAttrs extends FilterGradAttrs {
  /** dy's [n, ho, wo, o]: the kernel's second input is dy in strips. */
  readonly dyShape: readonly [number, number, number, number];
}

const filterGrad: HeapKernel<FilterGradKernelAttrs> = {
  name: 'TfjaxConvFilterGrad',
  // filterGradWasm checks x and dy against the filter before packing dy.
  outShape: (_shapes, { filterShape }) => [...filterShape],
  initial: () => 0,
  split: (_shapes, { filterShape: [kh, kw, c, o], dyShape: [n, ho, wo] }) => ({ units: kh * kw * Math.ceil(c / 4), work: kh * kw * c * o * n * ho * wo }),
  generate: ([x], attrs) => generate({ ...attrs, x: x!, dy: attrs.dyShape }),
};

interface Geometry extends FilterGradAttrs {
  readonly x: readonly number[]; // [n, h, w, c]
  readonly dy: readonly number[]; // [n, ho, wo, o]
}

/** The output positions [first, end) whose input index o*s + k - pad lies in [0, size). */
function validRange(outSize: number, size: number, s: number, k: number, pad: number): [number, number] {
  const first = Math.max(0, Math.ceil((pad - k) / s));
  const end = Math.min(outSize, Math.floor((size - 1 + pad - k) / s) + 1);
  return [first, Math.max(first, end)];
}

/** The kernel for one geometry: run(xPtr, dyPtr, dwPtr) adds every image's contribution to dw. */
function generate(g: Geometry): FunctionBuilder {
  const [n, h, w, c] = g.x;
  const [, ho, wo, o] = g.dy;
  const [kh, kw] = g.filterShape;
  const [sh, sw] = g.strides;
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32', 'i32'], []);
  const [xPtr, dyPtr, dwPtr, part, parts] = [0, 1, 2, 3, 4];
  const [img, dIdx, xRow, dRow, xp, dp, rows, cols, ciOff, coOff, acc, first, end, lo, hi] = Array.from({ length: 15 }, () => f.local('i32'));
  const dyRows = n * ho * wo; // rows of each strip of dy
  const accs = Array.from({ length: 8 }, () => f.local('v128'));
  const d = [f.local('v128'), f.local('v128')];
  const xs = f.local('v128');

  /**
   * dw[tap, ciOff.., coOff..] += this image's products, for a ct x (4*ot) tile (ciOff, coOff
   * in bytes); dBase: the first dy pixel's index in the image.
   */
  const tile = (tapOff: number, xBase: number, dBase: number, nRows: number, nCols: number, ct: number, ot: number) => {
    f.localGet(dwPtr).i32Const(tapOff).i32Add().localGet(ciOff).i32Const(o).i32Mul().i32Add().localGet(coOff).i32Add().localSet(acc);
    for (let ci = 0; ci < ct; ci++) for (let v = 0; v < ot; v++) f.localGet(acc).v128Load(ci * o * 4 + v * 16).localSet(accs[ci * ot + v]);
    f.localGet(img).i32Const(xBase).i32Add().localGet(ciOff).i32Add().localSet(xRow);
    // the strip at coOff starts at coOff * dyRows bytes; its pixel (image dIdx) at row dIdx + dBase
    f.localGet(coOff).i32Const(dyRows).i32Mul().localGet(dyPtr).i32Add().localGet(dIdx).i32Const(dBase).i32Add().i32Const(ot * 16).i32Mul().i32Add().localSet(dRow);
    f.i32Const(nRows).localSet(rows);
    f.loop();
    f.localGet(xRow).localSet(xp).localGet(dRow).localSet(dp).i32Const(nCols).localSet(cols);
    f.loop();
    for (let v = 0; v < ot; v++) f.localGet(dp).v128Load(v * 16).localSet(d[v]);
    for (let ci = 0; ci < ct; ci++) {
      f.localGet(xp).v128Load32Splat(ci * 4).localSet(xs);
      for (let v = 0; v < ot; v++) emitMultiplyAdd(f, accs[ci * ot + v]!, xs, d[v]!);
    }
    f.addTo(xp, sw * c * 4);
    f.addTo(dp, ot * 16);
    f.countDown(cols, 0);
    f.end();
    f.addTo(xRow, sh * w * c * 4);
    f.addTo(dRow, wo * ot * 16);
    f.countDown(rows, 0);
    f.end();
    for (let ci = 0; ci < ct; ci++) for (let v = 0; v < ot; v++) f.localGet(acc).localGet(accs[ci * ot + v]).v128Store(ci * o * 4 + v * 16);
  };

  /** All output-channel tiles for the current ciOff: the 8-wide ones in a loop, then a 4-wide one. */
  const coTiles = (tapOff: number, xBase: number, dBase: number, nRows: number, nCols: number, ct: number) => {
    emitChannelStrips(f, coOff, o, (ot) => tile(tapOff, xBase, dBase, nRows, nCols, ct, ot));
  };

  const groups = Math.ceil(c / 4);
  const fullC = Math.floor(c / 4);
  emitPartRange(f, kh * kw * groups, part, parts, first, end);
  f.localGet(xPtr).localSet(img);
  f.i32Const(0).localSet(dIdx);
  f.loop();
  for (let i = 0; i < kh; i++) {
    const [r0, r1] = validRange(ho, h, sh, i, g.padTop);
    for (let j = 0; j < kw; j++) {
      const [c0, c1] = validRange(wo, w, sw, j, g.padLeft);
      if (r1 === r0 || c1 === c0) continue;
      const tapOff = (i * kw + j) * c * o * 4;
      const xBase = ((r0 * sh + i - g.padTop) * w + (c0 * sw + j - g.padLeft)) * c * 4;
      const dBase = r0 * wo + c0;
      // This part's channel groups of the tap: [lo, hi) of [0, groups).
      for (const [bound, local] of [[first, lo], [end, hi]] as const) {
        f.localGet(bound).i32Const((i * kw + j) * groups).i32Sub().localSet(local);
        emitClamp(f, local, groups);
      }
      if (fullC > 0) {
        f.localGet(lo).i32Const(16).i32Mul().localSet(ciOff);
        f.localGet(ciOff).localGet(hi).i32Const(fullC).localGet(hi).i32Const(fullC).i32LtS().select().i32Const(16).i32Mul().i32LtS().if();
        f.loop();
        coTiles(tapOff, xBase, dBase, r1 - r0, c1 - c0, 4);
        f.addTo(ciOff, 16);
        f.localGet(ciOff).localGet(hi).i32Const(fullC).localGet(hi).i32Const(fullC).i32LtS().select().i32Const(16).i32Mul().i32Ne().brIf(0);
        f.end();
        f.end();
      }
      if (c % 4 !== 0) {
        // the last, partial group: this part's when lo <= fullC < hi (hi = groups)
        f.localGet(lo).i32Const(fullC).i32Sub().i32Const(1).i32LtS().localGet(hi).i32Const(groups).i32Ne().i32Eqz().i32Mul().if();
        f.i32Const(fullC * 16).localSet(ciOff);
        coTiles(tapOff, xBase, dBase, r1 - r0, c1 - c0, c % 4);
        f.end();
      }
    }
  }
  f.addTo(img, h * w * c * 4);
  f.addTo(dIdx, ho * wo);
  f.localGet(img).localGet(xPtr).i32Sub().i32Const(n * h * w * c * 4).i32Ne().brIf(0);
  f.end();
  return f;
}
