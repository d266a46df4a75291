/**
 * F.unfold (im2col) and F.fold (col2im), channels last: images [N, H, W, C] where PyTorch's are
 * [N, C, H, W], and columns [N, L, C·kh·kw] where PyTorch's are [N, C·kh·kw, L] (its axis 1 moved
 * last). The column features keep PyTorch's order (c, ki, kj), so weights reshape the same way.
 */
import { type NdArray, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { pad as laxPad, slice as laxSlice } from '../ops/lax-structural.js';
import type { Pair } from '../ops/nn.js';
import { pairOf } from './conv.js';
import { withBatchAxis } from './layer.js';

export interface UnfoldOptions {
  /** Default 1. */
  readonly dilation?: Pair;
  /** Zeros added on both sides of each spatial axis (default 0). */
  readonly padding?: Pair;
  /** Default 1. */
  readonly stride?: Pair;
}

interface Geometry {
  k: [number, number];
  d: [number, number];
  p: [number, number];
  s: [number, number];
}

function geometry(kernelSize: Pair, opts: UnfoldOptions, op: string): Geometry {
  const g = { k: pairOf(kernelSize), d: pairOf(opts.dilation ?? 1), p: pairOf(opts.padding ?? 0), s: pairOf(opts.stride ?? 1) };
  const ok = [...g.k, ...g.d, ...g.s].every((v) => Number.isInteger(v) && v > 0) && g.p.every((v) => Number.isInteger(v) && v >= 0);
  if (!ok) throw new Error(`${op}: kernelSize, dilation and stride must be positive integers and padding a non-negative one, got ${JSON.stringify(g)}`);
  return g;
}

/** The number of blocks along each spatial axis of an [H, W] image (PyTorch's L = Lh · Lw). */
function blocks(size: readonly number[], g: Geometry, op: string): [number, number] {
  const l = [0, 1].map((a) => Math.floor((size[a] + 2 * g.p[a] - g.d[a] * (g.k[a] - 1) - 1) / g.s[a]) + 1);
  if (l.some((v) => v < 1)) throw new Error(`${op}: the kernel does not fit the padded ${size[0]} x ${size[1]} image`);
  return [l[0], l[1]];
}

/**
 * F.unfold channels last: the sliding kh x kw blocks of x [N, H, W, C] (or [H, W, C]) as columns
 * [N, L, C·kh·kw] (PyTorch: [N, C·kh·kw, L] from [N, C, H, W]), L the blocks in row-major order.
 */
export function unfold(x: NdArray, kernelSize: Pair, opts: UnfoldOptions = {}): NdArray {
  const g = geometry(kernelSize, opts, 'unfold');
  return withBatchAxis(x, 4, 'unfold', (xb) => {
    const [n, h, w, c] = xb.shape;
    const [lh, lw] = blocks([h, w], g, 'unfold');
    const xp = np.pad(xb, [[0, 0], [g.p[0], g.p[0]], [g.p[1], g.p[1]], [0, 0]]);
    const pieces: NdArray[] = [];
    for (let i = 0; i < g.k[0]; i++)
      for (let j = 0; j < g.k[1]; j++) {
        const r = i * g.d[0];
        const q = j * g.d[1];
        pieces.push(laxSlice(xp, [0, r, q, 0], [n, r + (lh - 1) * g.s[0] + 1, q + (lw - 1) * g.s[1] + 1, c], [1, g.s[0], g.s[1], 1]));
      }
    return np.reshape(np.stack(pieces, -1), [n, lh * lw, c * g.k[0] * g.k[1]]);
  });
}

/**
 * F.fold channels last, the adjoint of {@link unfold}: columns [N, L, C·kh·kw] (or [L, C·kh·kw];
 * PyTorch: [N, C·kh·kw, L]) summed back into an image [N, H, W, C] of `outputSize` [H, W]
 * (PyTorch: [N, C, H, W]); overlapping blocks add up.
 */
export function fold(cols: NdArray, outputSize: Pair, kernelSize: Pair, opts: UnfoldOptions = {}): NdArray {
  const g = geometry(kernelSize, opts, 'fold');
  const [h, w] = pairOf(outputSize);
  const [lh, lw] = blocks([h, w], g, 'fold');
  const kk = g.k[0] * g.k[1];
  return withBatchAxis(cols, 3, 'fold', (cb) => {
    const [n, l, ck] = cb.shape;
    if (l !== lh * lw || ck % kk) throw new Error(`fold: columns ${shapeStr(cb.shape)} must be [N, ${lh * lw} (the blocks), C·${kk}] for outputSize [${h}, ${w}]`);
    const c = ck / kk;
    const parts = np.reshape(cb, [n, lh, lw, c, kk]);
    const hp = h + 2 * g.p[0];
    const wp = w + 2 * g.p[1];
    let out: NdArray | null = null;
    for (let i = 0; i < g.k[0]; i++)
      for (let j = 0; j < g.k[1]; j++) {
        const piece = np.squeeze(np.take(parts, np.array([i * g.k[1] + j], 'int32'), 4), 4);
        const r = i * g.d[0];
        const q = j * g.d[1];
        const placed = laxPad(piece, 0, [
          [0, 0, 0],
          [r, hp - r - (lh - 1) * g.s[0] - 1, g.s[0] - 1],
          [q, wp - q - (lw - 1) * g.s[1] - 1, g.s[1] - 1],
          [0, 0, 0],
        ]);
        out = out ? np.add(out, placed) : placed;
      }
    return laxSlice(out as NdArray, [0, g.p[0], g.p[1], 0], [n, g.p[0] + h, g.p[1] + w, c]);
  });
}
