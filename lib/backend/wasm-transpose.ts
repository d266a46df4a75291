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
import { emitPartUnits } from './wasm-split.js';

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
 * x viewed as [b, r, c], transposed to [b, c, r] (returned with that shape, or in `shape`, of as many elements).
 *
 * ```ts
 * swapWasm(w, { b: 1, r: 1024, c: 1024 }); // a 1024 x 1024 matrix transposed
 * ```
 */
export function swapWasm(x: tf.Tensor, attrs: SwapAttrs, shape?: readonly number[]): tf.Tensor {
  return runHeapKernel(swap, [x], attrs, shape);
}

const swap: HeapKernel<SwapAttrs> = {
  name: 'TfjaxSwapAxes',
  outShape([x], { b, r, c }) {
    const n = x!.reduce((a, d) => a * d, 1);
    if (n !== b * r * c || r % 4 !== 0 || c % 4 !== 0) throw new Error(`swapWasm: input [${x}] is not [${b}, ${r}, ${c}] with r and c multiples of 4`);
    return [b, c, r];
  },
  initial: () => null,
  split: (_shapes, { b, r, c }) => ({ units: (b * r) / 4, work: b * r * c }),
  generate(_shapes, { b, r, c }) {
    const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32'], []);
    const [x, y, part, parts] = [0, 1, 2, 3];
    const [src, dst, band, end, matrix, colLeft] = Array.from({ length: 6 }, () => f.local('i32'));
    const tile = tileLocals(f);
    // This part's bands of 4 rows (across matrices: a band never straddles two, as r % 4 = 0);
    // for each, each 4 x 4 tile along it: read 4 row pieces, write them as 4 column pieces.
    emitPartUnits(f, (b * r) / 4, part, parts, band, end, () => {
      f.localGet(x).localGet(band).i32Const(4 * c * 4).i32Mul().i32Add().localSet(src);
      // In y, band u is 4 columns of matrix u / (r / 4), at (u mod (r / 4)) * 4.
      f.localGet(band).i32Const(r / 4).i32DivU().localSet(matrix);
      f.localGet(y).localGet(matrix).i32Const(c * r * 4).i32Mul().i32Add();
      f.localGet(band).localGet(matrix).i32Const(r / 4).i32Mul().i32Sub().i32Const(16).i32Mul().i32Add().localSet(dst);
      f.i32Const(c / 4).localSet(colLeft);
      f.loop(); // tiles
      emitTile4x4(f, tile, { at: src, offset: 0, rowBytes: c * 4 }, { at: dst, offset: 0, rowBytes: r * 4 });
      f.addTo(src, 16);
      f.addTo(dst, 4 * r * 4);
      f.countDown(colLeft, 0);
      f.end();
    });
    return f;
  },
};

/** The v128 locals {@link emitTile4x4} uses. */
export interface TileLocals {
  readonly rows: readonly number[];
  readonly t: readonly number[];
}

export const tileLocals = (f: FunctionBuilder): TileLocals => ({ rows: Array.from({ length: 4 }, () => f.local('v128')), t: Array.from({ length: 4 }, () => f.local('v128')) });

/** Where a 4 x 4 tile is: row i's 4 floats at (local `at`) + offset + i * rowBytes. */
export interface TilePlace {
  readonly at: number;
  readonly offset: number;
  readonly rowBytes: number;
}

/** Emits a 4 x 4 float tile's transpose: four loads, eight lane shuffles and four stores. */
export function emitTile4x4(f: FunctionBuilder, { rows, t }: TileLocals, from: TilePlace, to: TilePlace): void {
  for (let i = 0; i < 4; i++) f.localGet(from.at).v128Load(from.offset + i * from.rowBytes).localSet(rows[i]!);
  f.localGet(rows[0]!).localGet(rows[1]!).f32x4Shuffle([0, 4, 1, 5]).localSet(t[0]!);
  f.localGet(rows[0]!).localGet(rows[1]!).f32x4Shuffle([2, 6, 3, 7]).localSet(t[1]!);
  f.localGet(rows[2]!).localGet(rows[3]!).f32x4Shuffle([0, 4, 1, 5]).localSet(t[2]!);
  f.localGet(rows[2]!).localGet(rows[3]!).f32x4Shuffle([2, 6, 3, 7]).localSet(t[3]!);
  const store = (j: number, a: number, b: number, lanes: [number, number, number, number]) => f.localGet(to.at).localGet(t[a]!).localGet(t[b]!).f32x4Shuffle(lanes).v128Store(to.offset + j * to.rowBytes);
  store(0, 0, 2, [0, 1, 4, 5]);
  store(1, 0, 2, [2, 3, 6, 7]);
  store(2, 1, 3, [0, 1, 4, 5]);
  store(3, 1, 3, [2, 3, 6, 7]);
}
