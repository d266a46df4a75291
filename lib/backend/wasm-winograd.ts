/**
 * 3x3 stride-1 convolution by Winograd's minimal filtering F(m x m, 3x3) (m = 2 or 4;
 * winograd-schemes.ts) as our own WebAssembly SIMD kernels on the tfjs wasm backend's
 * heap (Lavin & Gray 2015). Each m x m block of outputs ("tile") reads an α x α window d
 * of the padded input (α = m + 2):
 *
 *   y_tile = A^T [ sum over c of (G g_c G^T) ∘ (B^T d_c B) ] A
 *
 * so the 9 m² multiply-adds per tile and channel pair of the direct convolution become
 * α²: α² independent matrix products M[ξ] = V[ξ] U[ξ] (ξ = one of the α x α transformed
 * positions; V[ξ]: tiles x c, U[ξ]: c x o), with cheap transforms around them.
 *
 * The float32 error is bounded by γ_k times the same formula evaluated on absolute
 * values, k = c + the transforms' roundings (winograd-schemes.ts's roundingsPerTerm;
 * test/backend/wasm-winograd.test.ts checks it against float64 on ResNet-18's 3x3
 * layers). F(2x2)'s coefficients are 0, ±1, ±½, so its transforms add a few roundings of
 * sums of at most 4 terms; F(4x4)'s reach 5 and 8 and its sums cancel more, so its error
 * is larger (measured in docs/benchmarks.md): it is what the routing takes where it pays.
 *
 * NaN and infinities stay within each output's own 3x3 window for F(2x2) (V's rows and
 * columns 0-2 only read d's rows and columns 0-2, and 1-3 only 1-3); F(4x4)'s transforms
 * mix its 6x6 window, so a non-finite input can also make NaN of outputs of its tile
 * outside its own 3x3 window (never of another tile's). An infinite input can meet its
 * own negation in the output transform: where the direct sum gives ±inf, this may give
 * NaN. Inputs near float32's maximum can overflow in B^T d B.
 *
 * Blocking: tiles are taken a few tile rows at a time (across images, so that the small
 * late layers still form long blocks); a block's V and M (α² x tiles x channels each)
 * live in scratch memory sized to stay in L2, and each U[ξ] column strip is reused by
 * all the block's tiles. The product's register tile is that of wasm-conv.ts: 4 tiles x
 * 8 output channels. Threads (wasm-split.ts) take contiguous runs of blocks, each part
 * with its own scratch.
 */
import * as tf from '@tensorflow/tfjs-core';
import { emitChannelStrips } from './wasm-channel-strips.js';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';
import { padWasm } from './wasm-pad.js';
import { swapViewOf, swapWasm } from './wasm-transpose.js';
import { PLANE_SKEW_FLOATS, tileEmitters, transformEmitters } from './wasm-winograd-tiles.js';
import { type WinogradScheme, schemeFor } from './winograd-schemes.js';
import { emitMultiplyAdd } from './wasm-relaxed.js';

export interface WinogradConvAttrs {
  /** [[top, bottom], [left, right]] zero padding, each >= 0. */
  readonly padding: readonly [readonly [number, number], readonly [number, number]];
  /** Epilogue: ReLU after the bias (if any). */
  readonly relu?: boolean;
  /** Use the filter flipped in both spatial axes (the input gradient's correlation). */
  readonly flipFilter?: boolean;
  /** Outputs per tile side: F(2x2, 3x3) or F(4x4, 3x3); default {@link winogradTileFor}'s choice. */
  readonly tile?: 2 | 4;
}

/**
 * Whether {@link winogradConvWasm} takes this convolution: wasm backend, float32, a 3x3
 * filter at stride 1 and dilation 1 (the caller's concern: one group), input and
 * output channels multiples of 4, padding >= 0. Whether it pays is {@link winogradPays}.
 */
export function winogradApplies(x: tf.Tensor, w: tf.Tensor, padding: readonly (readonly number[])[]): boolean {
  const [kh, kw, c, o] = w.shape;
  return (
    heapKernelsAvailable() && x.dtype === 'float32' && w.dtype === 'float32' && kh === 3 && kw === 3 &&
    c! % 4 === 0 && o! % 4 === 0 && padding.every((p) => p.every((v) => v >= 0))
  );
}

/**
 * Whether Winograd beats our direct kernel (wasm-conv.ts) here: both channel counts at
 * least 64. Measured by CPU time on this machine (2-core EPYC, Node 20, loaded by other
 * jobs, so +-20%) with F(2x2): at ResNet-18's 3x3 stride-1 layers (batch 128, "same"
 * padding) 1.4x faster at 64 channels on 32x32, 1.8x at 128 on 16x16, 3.2x at 256 on 8x8
 * and 3.5x at 512 on 4x4 (the direct kernel slows down as the filter outgrows the
 * caches); at 64 channels on 4x4 to 28x28 from 0.85x to 1.4x; below 64 channels 0.4x to
 * 1.3x (the products' reduction over the channels is too short to pay for the transforms).
 */
export function winogradPays(c: number, o: number): boolean {
  return c >= 64 && o >= 64;
}

/**
 * The tile side for an output of ho x wo: the scheme with fewer multiplies (36 per 4x4
 * tile against 16 per 2x2 tile, partial edge tiles counted whole), F(2x2) on a tie (its
 * error is smaller). For square outputs: F(2x2) at 1, 2, 5 and 6 pixels, F(4x4) at 3, 4
 * and from 7 on. At ResNet-18's layers (32x32 to 4x4, batch 128) F(4x4) ran 1.5-1.7x
 * faster than F(2x2), forward and filter gradient (docs/benchmarks.md, "Session 9",
 * section 10's table).
 */
export function winogradTileFor(ho: number, wo: number): 2 | 4 {
  const multiplies = (m: number) => (m + 2) ** 2 * Math.ceil(ho / m) * Math.ceil(wo / m);
  return multiplies(4) < multiplies(2) ? 4 : 2;
}

/**
 * Our routing (called where prims/conv.ts picks the wasm kernel for a one-group,
 * unit-dilation convolution): the convolution by Winograd when it applies and pays,
 * otherwise null (the caller's direct kernel runs).
 */
export function winogradConvIfFaster(x: tf.Tensor4D, w: tf.Tensor4D, strides: readonly number[], padding: WinogradConvAttrs['padding'], epilogue: { bias?: tf.Tensor; relu?: boolean } = {}): tf.Tensor4D | null {
  if (strides.some((s) => s !== 1) || !winogradApplies(x, w, padding) || !winogradPays(w.shape[2], w.shape[3])) return null;
  return winogradConvWasm(x, w, { padding, relu: epilogue.relu }, epilogue.bias);
}

/**
 * The input gradient of a 3x3 stride-1 convolution (one group, unit dilation) by
 * Winograd when it applies and pays, else null; see {@link winogradInputGradWasm}.
 */
export function winogradInputGradIfFaster(dy: tf.Tensor4D, w: tf.Tensor4D, strides: readonly number[], padding: WinogradConvAttrs['padding']): tf.Tensor4D | null {
  if (strides.some((s) => s !== 1) || !winogradApplies(dy, w, inputGradPadding(padding)) || !winogradPays(w.shape[3], w.shape[2])) return null;
  return winogradInputGradWasm(dy, w, padding);
}

const inputGradPadding = ([[pt, pb], [pl, pr]]: WinogradConvAttrs['padding']) => [[2 - pt, 2 - pb], [2 - pl, 2 - pr]] as const;

/**
 * dx of a 3x3 stride-1 convolution with `padding` (each side at most 2): the 3x3
 * correlation of dy, padded by 2 - the forward's padding, with the filter flipped in both
 * spatial axes and its channel axes swapped (channels multiples of 4).
 *
 * ```ts
 * const dx = winogradInputGradWasm(dy, w, [[1, 1], [1, 1]]);
 * ```
 */
export function winogradInputGradWasm(dy: tf.Tensor4D, w: tf.Tensor4D, padding: WinogradConvAttrs['padding'], tile?: 2 | 4): tf.Tensor4D {
  return tf.tidy(() => {
    // The channel swap by our SIMD transpose (tfjs wasm's Transpose and Reverse took 100+ ms on a 3x3x512x512 filter); the flip in the filter transform.
    const [kh, kw, c, o] = w.shape;
    const view = swapViewOf(w, [0, 1, 3, 2]);
    const swapped = (view ? tf.reshape(swapWasm(w, view), [kh, kw, o, c]) : tf.transpose(w, [0, 1, 3, 2])) as tf.Tensor4D;
    return winogradConvWasm(dy, swapped, { padding: inputGradPadding(padding), flipFilter: true, tile });
  });
}

/**
 * A 3x3 stride-1 convolution of NHWC `x` with HWIO `w` (see {@link winogradApplies}),
 * with an optional bias of [o] values and ReLU.
 *
 * ```ts
 * const y = winogradConvWasm(x, w, { padding: [[1, 1], [1, 1]] }); // "same" 3x3 convolution
 * ```
 */
export function winogradConvWasm(x: tf.Tensor4D, w: tf.Tensor4D, attrs: WinogradConvAttrs, bias?: tf.Tensor): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  const [kh, kw, wc, o] = w.shape;
  const [[pt, pb], [pl, pr]] = attrs.padding;
  const ho = h + pt + pb - 2;
  const wo = wd + pl + pr - 2;
  if (kh !== 3 || kw !== 3 || wc !== c || ho <= 0 || wo <= 0 || Math.min(pt, pb, pl, pr) < 0) {
    throw new Error(`winogradConvWasm: input [${x.shape}] and filter [${w.shape}] with padding [${attrs.padding}] are not a 3x3 convolution with padding >= 0 and a non-empty output`);
  }
  const m = attrs.tile ?? winogradTileFor(ho, wo);
  const tH = Math.ceil(ho / m);
  const tW = Math.ceil(wo / m);
  return tf.tidy(() => {
    const u = runHeapKernel(filterTransform, [w], { flip: !!attrs.flipFilter, m }) as tf.Tensor2D;
    // Padded to whole tiles: m*tiles + 2 rows and columns (the extra zeros feed only the unwritten part of an edge's tiles).
    const rows: [number, number] = [pt, m * tH + 2 - h - pt];
    const cols: [number, number] = [pl, m * tW + 2 - wd - pl];
    const xp = rows.some((v) => v > 0) || cols.some((v) => v > 0) ? padWasm(x, { rows, cols }) : x;
    const k: WinogradKernelAttrs = { outShape: [n, ho, wo, o], bias: !!bias, relu: !!attrs.relu, m };
    return runHeapKernel(winograd, bias ? [xp, u, bias] : [xp, u], k) as tf.Tensor4D;
  });
}

// ---------------------------------------------------------------- U = G g G^T

/**
 * [3, 3, c, o] -> [α², c o + skew]: U[ξ] = (G g G^T)[ξ] for every (c, o) (plane ξ a c x o
 * matrix), 4 pairs per vector (g flipped in both axes if `flip`).
 */
const filterTransform: HeapKernel<{ readonly flip: boolean; readonly m: 2 | 4 }> = {
  name: 'TfjaxWinogradFilter',
  outShape([w], { m }) {
    if (w!.length !== 4 || w![0] !== 3 || w![1] !== 3 || (w![2]! * w![3]!) % 4 !== 0) throw new Error(`winograd filter transform: expected a [3, 3, c, o] filter with c*o a multiple of 4, got [${w}]`);
    return [schemeFor(m).alpha ** 2, w![2]! * w![3]! + PLANE_SKEW_FLOATS];
  },
  initial: () => null,
  generate([w], { flip, m }) {
    const { G, alpha } = schemeFor(m);
    const co = w![2]! * w![3]!;
    const f = new FunctionBuilder(['i32', 'i32'], []);
    const [wPtr, uPtr] = [0, 1];
    const [left, wp, up] = [f.local('i32'), f.local('i32'), f.local('i32')];
    const { load, sandwich } = transformEmitters(f, alpha);
    f.localGet(wPtr).localSet(wp).localGet(uPtr).localSet(up).i32Const(co / 4).localSet(left);
    f.loop();
    load(wp, 3, (i, j) => (flip ? 8 - (i * 3 + j) : i * 3 + j) * co * 4);
    sandwich(G, 3, (i, j, push) => {
      f.localGet(up);
      push();
      f.v128Store((i * alpha + j) * (co + PLANE_SKEW_FLOATS) * 4);
    });
    f.addTo(wp, 16).addTo(up, 16);
    f.countDown(left, 0);
    f.end();
    return f;
  },
};

// ---------------------------------------------------------------- the convolution

interface WinogradKernelAttrs {
  /** [n, ho, wo, o] */
  readonly outShape: readonly [number, number, number, number];
  readonly bias: boolean;
  readonly relu: boolean;
  /** Outputs per tile side. */
  readonly m: 2 | 4;
}

/** Scratch floats per block: V and M, α² x tiles x (c + o), aimed at L2 (1 MB here) with room for a U strip. */
const BLOCK_FLOATS = 160 * 1024;

interface Plan {
  readonly tH: number;
  readonly tW: number;
  /** Tile rows per block (the last block may have fewer). */
  readonly rowsPerBlock: number;
  readonly tilesPerBlock: number;
}

function plan(c: number, [n, ho, wo, o]: readonly number[], { m, alpha }: WinogradScheme): Plan {
  const tH = Math.ceil(ho! / m);
  const tW = Math.ceil(wo! / m);
  const wanted = Math.max(16, Math.floor(BLOCK_FLOATS / (alpha * alpha * (c + o!))));
  const rowsPerBlock = Math.max(1, Math.min(n! * tH, Math.round(wanted / tW)));
  return { tH, tW, rowsPerBlock, tilesPerBlock: rowsPerBlock * tW };
}

const winograd: HeapKernel<WinogradKernelAttrs> = {
  name: 'TfjaxWinogradConv',
  outShape([x, u, bias], a) {
    const [n, ho, wo, o] = a.outShape;
    const { m, alpha } = schemeFor(a.m);
    const [tH, tW] = [Math.ceil(ho / m), Math.ceil(wo / m)];
    const c = x![3]!;
    if (x!.length !== 4 || x![0] !== n || x![1] !== m * tH + 2 || x![2] !== m * tW + 2 || c % 4 !== 0 || o % 4 !== 0 || u![0] !== alpha * alpha || u![1] !== c * o + PLANE_SKEW_FLOATS) {
      throw new Error(`winogradConvWasm: padded input [${x}] and transformed filter [${u}] do not fit output [${a.outShape}] with ${m}x${m} tiles (channels multiples of 4)`);
    }
    if (bias && tf.util.sizeFromShape(bias as number[]) !== o) throw new Error(`winogradConvWasm: the bias has shape [${bias}], expected ${o} values`);
    return [n, ho, wo, o];
  },
  scratchFloats: ([x], a) => {
    const s = schemeFor(a.m);
    return s.alpha * s.alpha * (plan(x![3]!, a.outShape, s).tilesPerBlock * (x![3]! + a.outShape[3]) + 2 * PLANE_SKEW_FLOATS);
  },
  initial: () => null,
  split: ([x], a) => {
    const s = schemeFor(a.m);
    const { tH, tW, rowsPerBlock } = plan(x![3]!, a.outShape, s);
    const [n, , , o] = a.outShape;
    return { units: Math.ceil((n * tH) / rowsPerBlock), work: s.alpha * s.alpha * n * tH * tW * x![3]! * o };
  },
  generate: ([x], a) => generate(x!, a),
};

function generate(x: readonly number[], a: WinogradKernelAttrs): FunctionBuilder {
  const [, hp, wp, c] = x as [number, number, number, number];
  const [n, ho, wo, o] = a.outShape;
  const scheme = schemeFor(a.m);
  const { m, alpha } = scheme;
  const planes = alpha * alpha;
  const { tH, tW, rowsPerBlock, tilesPerBlock: TB } = plan(c, a.outShape, scheme);
  const f = new FunctionBuilder(Array<'i32'>(a.bias ? 7 : 6).fill('i32'), []);
  const [xPtr, uPtr, bPtr, yPtr, sPtr, part, parts] = a.bias ? [0, 1, 2, 3, 4, 5, 6] : [0, 1, -1, 2, 3, 4, 5];
  const { src, dst, rowsLeft, colsLeft, ch, load, sandwich, nextRow, inputTransform: transformRows, blocks } = tileEmitters(f, { c, hp, wp, tH, tW }, scheme);
  const i32 = () => f.local('i32');
  const [xRow, xLeft, yRow, yLeft, vBase, mBase, xi, uX, vX, mX, oOff, tp, mp, groups, k, up, bp] = Array.from({ length: 17 }, i32);
  const v128s = (count: number) => Array.from({ length: count }, () => f.local('v128'));
  const accs = v128s(8);
  const wv = v128s(2);
  const xs = f.local('v128');
  const zero = f.local('v128'); // locals start as zeros
  const vPlane = (TB * c + PLANE_SKEW_FLOATS) * 4; // bytes between V[ξ] and V[ξ+1]
  const mPlane = (TB * o + PLANE_SKEW_FLOATS) * 4;
  const inputTransform = (rows: number) => transformRows(rows, xRow, xLeft, vBase, vPlane);

  /** M[ξ][tile] = V[ξ][tile] · U[ξ] for the block's `tiles` tiles. */
  const products = (tiles: number) => {
    f.i32Const(0).localSet(xi);
    f.loop(); // ξ
    f.localGet(uPtr).localGet(xi).i32Const((c * o + PLANE_SKEW_FLOATS) * 4).i32Mul().i32Add().localSet(uX);
    f.localGet(vBase).localGet(xi).i32Const(vPlane).i32Mul().i32Add().localSet(vX);
    f.localGet(mBase).localGet(xi).i32Const(mPlane).i32Mul().i32Add().localSet(mX);
    const strip = (ot: number) => {
      f.localGet(vX).localSet(tp).localGet(mX).localSet(mp);
      const full = Math.floor(tiles / 4);
      if (full > 0) {
        f.i32Const(full).localSet(groups);
        f.loop();
        tile(4, ot);
        f.addTo(tp, 4 * c * 4).addTo(mp, 4 * o * 4);
        f.countDown(groups, 0);
        f.end();
      }
      if (tiles % 4) tile(tiles % 4, ot);
    };
    emitChannelStrips(f, oOff, o, strip);
    f.addTo(xi, 1);
    f.localGet(xi).i32Const(planes).i32Ne().brIf(0);
    f.end();
  };

  /** q tiles (from tp) x 4*ot output channels (from oOff): the sum over c, stored at mp. */
  const tile = (q: number, ot: number) => {
    for (let i = 0; i < q * ot; i++) f.v128Const0().localSet(accs[i]!);
    f.localGet(tp).localSet(src);
    f.localGet(uX).localGet(oOff).i32Add().localSet(up);
    f.i32Const(c).localSet(k);
    f.loop();
    for (let v = 0; v < ot; v++) f.localGet(up).v128Load(v * 16).localSet(wv[v]!);
    for (let t = 0; t < q; t++) {
      f.localGet(src).v128Load32Splat(t * c * 4).localSet(xs);
      for (let v = 0; v < ot; v++) emitMultiplyAdd(f, accs[t * ot + v]!, xs, wv[v]!);
    }
    f.addTo(src, 4).addTo(up, o * 4);
    f.countDown(k, 0);
    f.end();
    for (let t = 0; t < q; t++) for (let v = 0; v < ot; v++) f.localGet(mp).localGet(oOff).i32Add().localGet(accs[t * ot + v]!).v128Store(t * o * 4 + v * 16);
  };

  /** Output transform of `rows` tile rows: y = A^T M A (+ bias, ReLU), writing only what lies inside y (advances yRow / yLeft). */
  const outputTransform = (rows: number) => {
    f.localGet(mBase).localSet(src).i32Const(rows).localSet(rowsLeft);
    f.loop();
    const rowBody = (outRows: number) => {
      f.localGet(yRow).localSet(dst);
      const fullCols = Math.floor(wo / m);
      if (fullCols > 0) {
        f.i32Const(fullCols).localSet(colsLeft);
        f.loop();
        tileOut(outRows, m);
        f.countDown(colsLeft, 0);
        f.end();
      }
      if (wo % m) tileOut(outRows, wo % m);
    };
    if (ho % m) {
      // The last tile row of each image writes its first ho % m rows only.
      f.localGet(yLeft).i32Const(1).i32Ne().if();
      rowBody(m);
      f.end();
      f.localGet(yLeft).i32Const(1).i32Sub().i32Eqz().if();
      rowBody(ho % m);
      f.end();
    } else rowBody(m);
    nextRow(yRow, yLeft, m * wo * o * 4, (ho - m * tH) * wo * o * 4);
    f.countDown(rowsLeft, 0);
    f.end();
  };

  /** One tile's outputs (outRows x outCols of its m x m) for all channels; src, dst move to the next tile. */
  const tileOut = (outRows: number, outCols: number) => {
    f.i32Const(o / 4).localSet(ch);
    if (a.bias) f.localGet(bPtr).localSet(bp);
    f.loop();
    load(src, alpha, (i, j) => (i * alpha + j) * mPlane);
    sandwich(scheme.AT, alpha, (i, j, push) => {
      f.localGet(dst);
      push();
      if (a.bias) f.localGet(bp).v128Load(0).f32x4Add();
      if (a.relu) f.localGet(zero).f32x4Max();
      f.v128Store((i * wo + j) * o * 4);
    }, outRows, outCols);
    f.addTo(src, 16).addTo(dst, 16);
    if (a.bias) f.addTo(bp, 16);
    f.countDown(ch, 0);
    f.end();
    f.addTo(dst, m * o * 4 - o * 4); // next tile: m output columns on (dst moved o already)
  };

  const block = (rows: number) => {
    inputTransform(rows);
    products(rows * tW);
    outputTransform(rows);
  };

  f.localGet(sPtr).localSet(vBase);
  f.localGet(sPtr).i32Const(planes * vPlane).i32Add().localSet(mBase);
  /** The walk from tile row `row` (image row / tH, row row % tH of it). */
  const startAt = (row: number) => {
    const [img, r] = [xi, k]; // free until the first block
    f.localGet(row).i32Const(tH).i32DivU().localSet(img);
    f.localGet(row).localGet(img).i32Const(tH).i32Mul().i32Sub().localSet(r);
    f.localGet(xPtr).localGet(img).i32Const(hp * wp * c * 4).i32Mul().i32Add().localGet(r).i32Const(m * wp * c * 4).i32Mul().i32Add().localSet(xRow);
    f.localGet(yPtr).localGet(img).i32Const(ho * wo * o * 4).i32Mul().i32Add().localGet(r).i32Const(m * wo * o * 4).i32Mul().i32Add().localSet(yRow);
    f.i32Const(tH).localGet(r).i32Sub().localTee(xLeft).localSet(yLeft);
  };
  blocks(n * tH, rowsPerBlock, block, { part, parts, startAt });
  return f;
}
