/**
 * The filter gradient of a 3x3 stride-1 convolution by Winograd F(m x m, 3x3) (m = 2 or
 * 4, winograd-schemes.ts), the adjoint of the forward in wasm-winograd.ts: with
 * V = B^T d B the input tiles' transforms (as in the forward) and Δ = A dy A^T the m x m
 * output-gradient tiles' (α x α, α = m + 2),
 *
 *   dw[·, ·, c, o] = G^T [ sum over tiles of V_c ∘ Δ_o ] G
 *
 * so the 9 m² multiply-adds per tile and channel pair of the direct filter gradient
 * (wasm-filter-grad.ts) become α²: W[ξ] += V[ξ]^T Δ[ξ], a product whose reduction runs
 * over the tiles. Blocks of tiles are long (the accumulated W, α² x c x o floats, is
 * loaded and stored once per block), so the scratch memory is larger than the
 * forward's: up to 32 MB.
 *
 * Threads (wasm-split.ts): the units are groups of 4 input channels, the rows of W and dw
 * a part accumulates and writes; every part transforms all tiles (in the same order) into
 * its own scratch, so each sum runs as on one thread.
 *
 * The missing part of an edge's dy tiles is zero: an infinite or NaN x there meets
 * that zero (NaN) where the direct sum skips the pair.
 */
import * as tf from '@tensorflow/tfjs-core';
import { emitChannelStrips } from './wasm-channel-strips.js';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';
import { padWasm } from './wasm-pad.js';
import { winogradPays, winogradTileFor } from './wasm-winograd.js';
import { PLANE_SKEW_FLOATS, tileEmitters } from './wasm-winograd-tiles.js';
import { type WinogradScheme, schemeFor, transposed } from './winograd-schemes.js';
import { emitPartRange } from './wasm-split.js';
import { emitMultiplyAdd } from './wasm-relaxed.js';

type Padding = readonly [readonly [number, number], readonly [number, number]];

/**
 * dw of a 3x3 stride-1 convolution (one group, unit dilation) of x with `padding` by
 * Winograd when it applies (wasm, float32, channels multiples of 4, padding >= 0) and
 * pays (see winogradPays), else null.
 */
export function winogradFilterGradIfFaster(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: readonly number[], strides: readonly number[], padding: Padding): tf.Tensor4D | null {
  const [kh, kw, c, o] = filterShape as [number, number, number, number];
  const applies = heapKernelsAvailable() && x.dtype === 'float32' && dy.dtype === 'float32' && kh === 3 && kw === 3 && strides.every((s) => s === 1) && c % 4 === 0 && o % 4 === 0 && padding.every((p) => p.every((v) => v >= 0));
  const tile = winogradTileFor(dy.shape[1], dy.shape[2]);
  return applies && filterGradPays(c, o, tile) ? winogradFilterGradWasm(x, dy, padding, tile) : null;
}

/**
 * Where Winograd's filter gradient beats wasm-filter-grad.ts: from 64 channels (as the
 * forward); with F(2x2) only while W (16 x c x o floats) stays within 4 MB. Measured by
 * CPU time on this machine (loaded, +-20%), batch 128, F(2x2): 1.7x at 64 channels on
 * 32x32, 1.9x at 128 on 16x16, 1.4x at 256 on 8x8, 1.0x at 512 on 4x4 (W's traffic per
 * block of tiles dominates); F(4x4) at 512 on 4x4: 2.0x (docs/benchmarks.md, "Session 9").
 */
const filterGradPays = (c: number, o: number, tile: 2 | 4) => winogradPays(c, o) && (tile === 4 || c * o <= 256 * 256);

/**
 * The filter gradient [3, 3, c, o] of the 3x3 stride-1 convolution of NHWC x (c channels)
 * with `padding`, given its output gradient dy (o channels; c and o multiples of 4).
 *
 * ```ts
 * const dw = winogradFilterGradWasm(x, dy, [[1, 1], [1, 1]]);
 * ```
 */
export function winogradFilterGradWasm(x: tf.Tensor4D, dy: tf.Tensor4D, padding: Padding, tile?: 2 | 4): tf.Tensor4D {
  const [n, h, wd, c] = x.shape;
  const [[pt, pb], [pl, pr]] = padding;
  const [ho, wo] = [h + pt + pb - 2, wd + pl + pr - 2];
  const [dn, dh, dw, o] = dy.shape;
  if (dn !== n || dh !== ho || dw !== wo || c % 4 !== 0 || o % 4 !== 0 || Math.min(pt, pb, pl, pr) < 0) {
    throw new Error(`winogradFilterGradWasm: x [${x.shape}] with padding [${padding}] and dy [${dy.shape}] are not a 3x3 stride-1 convolution's (expected dy [${n},${ho},${wo},o], channels multiples of 4, padding >= 0)`);
  }
  const m = tile ?? winogradTileFor(ho, wo);
  const [tH, tW] = [Math.ceil(ho / m), Math.ceil(wo / m)];
  return tf.tidy(() => {
    const xp = padWasm(x, { rows: [pt, m * tH + 2 - h - pt], cols: [pl, m * tW + 2 - wd - pl] });
    const dyp = ho % m || wo % m ? padWasm(dy, { rows: [0, m * tH - ho], cols: [0, m * tW - wo] }) : dy;
    return runHeapKernel(filterGrad, [xp, dyp], { m }) as tf.Tensor4D;
  });
}

/**
 * Floats of one ξ's V and Δ in a block (tiles x (c + o)), at least 64 tiles: each
 * (channel, output-channel) register tile walks the block's tiles, one cache line of V and
 * one of Δ per tile, so that walk must stay in L1 for the next register tile (measured:
 * 1.1x over the direct kernel with blocks sized for L2, 1.7x with these).
 */
const PLANE_FLOATS = 24 * 1024;

function plan([n, hp, wp, c]: readonly number[], o: number, m: number) {
  const [tH, tW] = [(hp! - 2) / m, (wp! - 2) / m];
  const wanted = Math.max(64, Math.floor(PLANE_FLOATS / (c! + o)));
  const rowsPerBlock = Math.max(1, Math.min(n! * tH, Math.round(wanted / tW)));
  return { tH, tW, rowsPerBlock, tilesPerBlock: rowsPerBlock * tW };
}

const filterGrad: HeapKernel<{ readonly m: 2 | 4 }> = {
  name: 'TfjaxWinogradFilterGrad',
  outShape([x, dy], { m }) {
    const [n, hp, wp, c] = x!;
    if (x!.length !== 4 || dy!.length !== 4 || dy![0] !== n || dy![1]! !== hp! - 2 || dy![2]! !== wp! - 2 || dy![1]! % m !== 0 || dy![2]! % m !== 0 || c! % 4 !== 0 || dy![3]! % 4 !== 0) {
      throw new Error(`winograd filter gradient: padded x [${x}] and dy [${dy}] do not form whole ${m}x${m} tiles`);
    }
    return [3, 3, c!, dy![3]!];
  },
  scratchFloats: ([x, dy], { m }) => schemeFor(m).alpha ** 2 * (plan(x!, dy![3]!, m).tilesPerBlock * (x![3]! + dy![3]!) + x![3]! * dy![3]! + 3 * PLANE_SKEW_FLOATS),
  initial: () => null,
  split: ([x, dy], { m }) => ({ units: x![3]! / 4, work: schemeFor(m).alpha ** 2 * dy![0]! * (dy![1]! / m) * (dy![2]! / m) * x![3]! * dy![3]! }),
  generate: ([x, dy], { m }) => generate(x!, dy![3]!, schemeFor(m)),
};

function generate(x: readonly number[], o: number, scheme: WinogradScheme): FunctionBuilder {
  const [n, hp, wp, c] = x as [number, number, number, number];
  const { m, alpha } = scheme;
  const planes = alpha * alpha;
  const { tH, tW, rowsPerBlock, tilesPerBlock: TB } = plan(x, o, m);
  const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], []);
  const [xPtr, dyPtr, dwPtr, sPtr, part, parts] = [0, 1, 2, 3, 4, 5];
  const { src, dst, rowsLeft, colsLeft, ch, load, sandwich, nextRow, inputTransform, blocks } = tileEmitters(f, { c, hp, wp, tH, tW }, scheme);
  const [xRow, xLeft, dRow, dLeft, vBase, gBase, wBase, xi, vX, gX, wX, ciOff, oOff, vp, gp, t, acc, first, end] = Array.from({ length: 19 }, () => f.local('i32'));
  const accs = Array.from({ length: 8 }, () => f.local('v128'));
  const gv = [f.local('v128'), f.local('v128')];
  const xs = f.local('v128');
  const vPlane = (TB * c + PLANE_SKEW_FLOATS) * 4;
  const gPlane = (TB * o + PLANE_SKEW_FLOATS) * 4;
  const wPlane = (c * o + PLANE_SKEW_FLOATS) * 4;
  const A = transposed(scheme.AT); // α x m
  const GT = transposed(scheme.G); // 3 x α

  /** Δ[ξ][tile][o] = (A dy A^T)[ξ] for `rows` tile rows of the padded dy (advances dRow / dLeft). */
  const dyTransform = (rows: number) => {
    f.localGet(gBase).localSet(dst).i32Const(rows).localSet(rowsLeft);
    f.loop();
    f.localGet(dRow).localSet(src).i32Const(tW).localSet(colsLeft);
    f.loop();
    f.i32Const(o / 4).localSet(ch);
    f.loop();
    load(src, m, (a, b) => (a * m * tW + b) * o * 4);
    sandwich(A, m, (i, j, push) => {
      f.localGet(dst);
      push();
      f.v128Store((i * alpha + j) * gPlane);
    });
    f.addTo(src, 16).addTo(dst, 16);
    f.countDown(ch, 0);
    f.end();
    f.addTo(src, m * o * 4 - o * 4);
    f.countDown(colsLeft, 0);
    f.end();
    nextRow(dRow, dLeft, m * m * tW * o * 4, 0);
    f.countDown(rowsLeft, 0);
    f.end();
  };

  /** W[ξ] += V[ξ]^T Δ[ξ] over the block's `tiles` tiles, in 4 (c) x 8 (o) register tiles. */
  const products = (tiles: number) => {
    f.i32Const(0).localSet(xi);
    f.loop(); // ξ
    f.localGet(vBase).localGet(xi).i32Const(vPlane).i32Mul().i32Add().localSet(vX);
    f.localGet(gBase).localGet(xi).i32Const(gPlane).i32Mul().i32Add().localSet(gX);
    f.localGet(wBase).localGet(xi).i32Const(wPlane).i32Mul().i32Add().localSet(wX);
    f.localGet(first).i32Const(16).i32Mul().localSet(ciOff);
    f.loop(); // 4 input channels, this part's
    const strip = (ot: number) => {
      f.localGet(wX).localGet(ciOff).i32Const(o).i32Mul().i32Add().localGet(oOff).i32Add().localSet(acc);
      for (let ci = 0; ci < 4; ci++) for (let v = 0; v < ot; v++) f.localGet(acc).v128Load(ci * o * 4 + v * 16).localSet(accs[ci * ot + v]!);
      f.localGet(vX).localGet(ciOff).i32Add().localSet(vp);
      f.localGet(gX).localGet(oOff).i32Add().localSet(gp);
      f.i32Const(tiles).localSet(t);
      f.loop();
      for (let v = 0; v < ot; v++) f.localGet(gp).v128Load(v * 16).localSet(gv[v]!);
      for (let ci = 0; ci < 4; ci++) {
        f.localGet(vp).v128Load32Splat(ci * 4).localSet(xs);
        for (let v = 0; v < ot; v++) emitMultiplyAdd(f, accs[ci * ot + v]!, xs, gv[v]!);
      }
      f.addTo(vp, c * 4).addTo(gp, o * 4);
      f.countDown(t, 0);
      f.end();
      for (let ci = 0; ci < 4; ci++) for (let v = 0; v < ot; v++) f.localGet(acc).localGet(accs[ci * ot + v]!).v128Store(ci * o * 4 + v * 16);
    };
    emitChannelStrips(f, oOff, o, strip);
    f.addTo(ciOff, 16);
    f.localGet(ciOff).localGet(end).i32Const(16).i32Mul().i32Ne().brIf(0);
    f.end();
    f.addTo(xi, 1);
    f.localGet(xi).i32Const(planes).i32Ne().brIf(0);
    f.end();
  };

  /** dw = G^T W G for this part's (c, o), 4 pairs per vector. */
  const filterOut = () => {
    f.localGet(first).i32Const(o * 16).i32Mul().localTee(ch).localGet(wBase).i32Add().localSet(src);
    f.localGet(ch).localGet(dwPtr).i32Add().localSet(dst);
    f.localGet(end).localGet(first).i32Sub().i32Const(o).i32Mul().localSet(ch);
    f.loop();
    load(src, alpha, (i, j) => (i * alpha + j) * wPlane);
    sandwich(GT, alpha, (i, j, push) => {
      f.localGet(dst);
      push();
      f.v128Store((i * 3 + j) * c * o * 4);
    });
    f.addTo(src, 16).addTo(dst, 16);
    f.countDown(ch, 0);
    f.end();
  };

  const block = (rows: number) => {
    inputTransform(rows, xRow, xLeft, vBase, vPlane);
    dyTransform(rows);
    products(rows * tW);
  };

  emitPartRange(f, c / 4, part, parts, first, end);
  f.localGet(first).localGet(end).i32Ne().if();
  f.localGet(sPtr).localSet(vBase);
  f.localGet(sPtr).i32Const(planes * vPlane).i32Add().localSet(gBase);
  f.localGet(gBase).i32Const(planes * gPlane).i32Add().localSet(wBase); // W starts zeroed (scratch memory is)
  f.localGet(xPtr).localSet(xRow).localGet(dyPtr).localSet(dRow).i32Const(tH).localSet(xLeft).i32Const(tH).localSet(dLeft);
  blocks(n * tH, rowsPerBlock, block);
  filterOut();
  f.end();
  return f;
}
