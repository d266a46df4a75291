/**
 * Swapping two blocks of axes, [B, R, C] -> [B, C, R], as our own WebAssembly SIMD kernel on
 * the tfjs wasm backend's heap: 4x4 tiles, each four loads, eight lane shuffles and four
 * stores. tfjs wasm's Transpose moves about 1 GB/s (13-30 ms for a 1024 x 1024 matrix), and
 * the dot lowering on wasm transposes an operand of every backward product (a weight or an
 * activation) on each step.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, heapKernelsAvailable, runHeapKernel } from './wasm-heap.js';

export interface SwapAttrs {
  /** The input seen as [b, r, c]; r and c are multiples of 4. */
  readonly b: number;
  readonly r: number;
  readonly c: number;
}

/**
 * The [b, r, c] view of a float32 transpose that keeps leading axes and swaps the two
 * blocks after them (perm = [0..k-1, m..rank-1, k..m-1]), when our kernel runs it; else null.
 */
export function swapViewOf(x: tf.Tensor, perm: readonly number[]): SwapAttrs | null {
  if (x.dtype !== 'float32' || !heapKernelsAvailable()) return null;
  const rank = perm.length;
  let k = 0;
  while (k < rank && perm[k] === k) k++;
  if (k === rank) return null;
  const m = perm[k]!;
  const rest = perm.slice(k);
  const expected = [...Array.from({ length: rank - m }, (_, i) => m + i), ...Array.from({ length: m - k }, (_, i) => k + i)];
  if (rest.some((p, i) => p !== expected[i])) return null;
  const size = (from: number, to: number) => x.shape.slice(from, to).reduce((a, d) => a * d, 1);
  const view = { b: size(0, k), r: size(k, m), c: size(m, rank) };
  return view.r % 4 === 0 && view.c % 4 === 0 && view.b * view.r * view.c > 0 ? view : null;
}

/**
 * x viewed as [b, r, c], transposed to [b, c, r] (returned with that shape).
 *
 * ```ts
 * swapWasm(w, { b: 1, r: 1024, c: 1024 }); // a 1024 x 1024 matrix transposed
 * ```
 */
export function swapWasm(x: tf.Tensor, attrs: SwapAttrs): tf.Tensor {
  return runHeapKernel(swap, [x], attrs);
}

const swap: HeapKernel<SwapAttrs> = {
  name: 'TfjaxSwapAxes',
  outShape([x], { b, r, c }) {
    const n = x!.reduce((a, d) => a * d, 1);
    if (n !== b * r * c || r % 4 !== 0 || c % 4 !== 0) throw new Error(`swapWasm: input [${x}] is not [${b}, ${r}, ${c}] with r and c multiples of 4`);
    return [b, c, r];
  },
  initial: () => null,
  generate(_shapes, { b, r, c }) {
    const f = new FunctionBuilder(['i32', 'i32'], []);
    const [x, y] = [0, 1];
    const [src, dst, rowLeft, colLeft, xRow, yCol] = Array.from({ length: 6 }, () => f.local('i32'));
    const rows = Array.from({ length: 4 }, () => f.local('v128'));
    const t = Array.from({ length: 4 }, () => f.local('v128'));
    // For each matrix, each band of 4 rows, each 4 x 4 tile along it: read 4 row pieces,
    // write them as 4 column pieces of the output.
    f.localGet(x).localSet(xRow).localGet(y).localSet(yCol);
    f.i32Const((b * r) / 4).localSet(rowLeft);
    f.loop(); // bands of 4 rows (across matrices: a band never straddles two, as r % 4 = 0)
    f.localGet(xRow).localSet(src).localGet(yCol).localSet(dst);
    f.i32Const(c / 4).localSet(colLeft);
    f.loop(); // tiles
    for (let i = 0; i < 4; i++) f.localGet(src).v128Load(i * c * 4).localSet(rows[i]!);
    f.localGet(rows[0]!).localGet(rows[1]!).f32x4Shuffle([0, 4, 1, 5]).localSet(t[0]!);
    f.localGet(rows[0]!).localGet(rows[1]!).f32x4Shuffle([2, 6, 3, 7]).localSet(t[1]!);
    f.localGet(rows[2]!).localGet(rows[3]!).f32x4Shuffle([0, 4, 1, 5]).localSet(t[2]!);
    f.localGet(rows[2]!).localGet(rows[3]!).f32x4Shuffle([2, 6, 3, 7]).localSet(t[3]!);
    f.localGet(dst).localGet(t[0]!).localGet(t[2]!).f32x4Shuffle([0, 1, 4, 5]).v128Store(0);
    f.localGet(dst).localGet(t[0]!).localGet(t[2]!).f32x4Shuffle([2, 3, 6, 7]).v128Store(r * 4);
    f.localGet(dst).localGet(t[1]!).localGet(t[3]!).f32x4Shuffle([0, 1, 4, 5]).v128Store(2 * r * 4);
    f.localGet(dst).localGet(t[1]!).localGet(t[3]!).f32x4Shuffle([2, 3, 6, 7]).v128Store(3 * r * 4);
    f.addTo(src, 16);
    f.addTo(dst, 4 * r * 4);
    f.countDown(colLeft, 0);
    f.end();
    // Next band: 4 rows on in x; in y, 4 columns on, or the next matrix after the last band.
    f.addTo(xRow, 4 * c * 4);
    f.addTo(yCol, 16);
    f.localGet(rowLeft).i32Const(1).i32Sub().localTee(rowLeft);
    f.i32Const(r / 4).i32RemU().i32Eqz();
    f.if();
    f.addTo(yCol, (c - 1) * r * 4);
    f.end();
    f.localGet(rowLeft).brIf(0);
    f.end();
    return f;
  },
};
