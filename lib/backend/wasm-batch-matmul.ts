/**
 * Matrix products C[i] = A[i] B[i] (one or a batch of them) as our own WebAssembly SIMD
 * kernel on the tfjs wasm backend's heap. tfjs wasm's BatchMatMul hands XNNPACK only
 * unbatched products and runs batched ones in a scalar loop: a ViT's attention products
 * ([192, 65, 64] x [192, 64, 65]) ran at ~2 GFLOP/s, 15x below its 2-D products.
 *
 * Each block of 4 rows x 8 columns of C is 8 accumulators: per step along k, two vectors
 * of B's row, four of A's values splatted, 8 multiplies and 8 adds, summed in order of k
 * (as a plain loop would). B comes packed by the caller as panels of 8 columns, [np / 8, k, 8]
 * per matrix (np: n rounded up to 8, zero columns added), so that a block reads 32
 * contiguous bytes per step: read in place, rows 1024 floats apart (4 KB) all fell in one
 * cache set and the kernel ran at half speed. Columns past n are computed but not stored.
 *
 * Split between threads (wasm-split.ts) by blocks of 4 rows of C, each matrix's last one
 * possibly shorter: every entry is computed by the same code in the same order in any part.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, runHeapKernel } from './wasm-heap.js';
import { emitPartRange } from './wasm-split.js';

export interface BatchMatMulAttrs {
  readonly batch: number;
  /** A is [batch, m, k]; B is packed as [batch, np / 8, k, 8] (np = {@link paddedColumns}(n)); C is [batch, m, n]. */
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** 4-lane vectors per row of a block: 4 x VECTORS accumulators (3, i.e. 12 accumulators, ran 1.5x slower: V8 spills them). */
const VECTORS = 2;
/** Columns of a block, and of a panel of packed B. */
export const PANEL = 4 * VECTORS;

/** n rounded up to whole panels. */
export const paddedColumns = (n: number) => Math.ceil(n / PANEL) * PANEL;

/**
 * C = A B for each of `batch` pairs (float32, wasm backend with heap kernels).
 *
 * ```ts
 * batchMatMulWasm(q, ktPanels, { batch: 192, m: 65, k: 64, n: 65 }); // ktPanels: [192, 9, 64, 8]
 * ```
 */
export function batchMatMulWasm(a: tf.Tensor, b: tf.Tensor, attrs: BatchMatMulAttrs): tf.Tensor {
  return runHeapKernel(batchMatMul, [a, b], attrs);
}

const ROWS = 4;

/** A matrix's blocks of ROWS rows: the units split between threads (each block's entries are computed alike in any part). */
function rowBlocksOf(m: number) {
  const fullRows = Math.floor(m / ROWS);
  const restRows = m - fullRows * ROWS;
  return { fullRows, restRows, rowBlocks: fullRows + (restRows > 0 ? 1 : 0) };
}

const batchMatMul: HeapKernel<BatchMatMulAttrs> = {
  name: 'TfjaxBatchMatMul',
  outShape([a, b], { batch, m, k, n }) {
    const want = [`[${batch},${m},${k}]`, `[${batch},${paddedColumns(n) / PANEL},${k},${PANEL}]`];
    if (`[${a}]` !== want[0] || `[${b}]` !== want[1] || m < 1 || k < 1 || n < 1) throw new Error(`batchMatMulWasm: inputs [${a}] and [${b}], expected ${want[0]} and ${want[1]}`);
    return [batch, m, n];
  },
  initial: () => null,
  split: (_shapes, { batch, m, k, n }) => ({ units: batch * rowBlocksOf(m).rowBlocks, work: batch * m * k * n }),
  generate(_shapes, { batch, m, k, n }) {
    const np = paddedColumns(n);
    const full = Math.floor(n / PANEL);
    const { fullRows, restRows, rowBlocks } = rowBlocksOf(m);
    const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32', 'i32'], []);
    const [a, b, c, part, parts] = [0, 1, 2, 3, 4];
    const [unit, end, matrix, rowBlock, row, colLeft, kLeft, aRow, bCol, cOut, aK, bK] = Array.from({ length: 12 }, () => f.local('i32'));
    const acc = Array.from({ length: ROWS * VECTORS }, () => f.local('v128'));
    const bv = Array.from({ length: VECTORS }, () => f.local('v128'));
    const s = f.local('v128');

    /** One block of `rows` rows and `vectors` 4-column vectors at (aRow, bCol) -> cOut; `valid` columns of it are stored. */
    const block = (rows: number, vectors: number, valid: number) => {
      for (let r = 0; r < rows; r++) for (let v = 0; v < vectors; v++) f.v128Const0().localSet(acc[r * VECTORS + v]!);
      f.localGet(aRow).localSet(aK).localGet(bCol).localSet(bK);
      f.i32Const(k).localSet(kLeft);
      f.loop();
      for (let v = 0; v < vectors; v++) f.localGet(bK).v128Load(v * 16).localSet(bv[v]!);
      for (let r = 0; r < rows; r++) {
        f.localGet(aK).v128Load32Splat(r * k * 4).localSet(s);
        for (let v = 0; v < vectors; v++) f.localGet(acc[r * VECTORS + v]!).localGet(s).localGet(bv[v]!).f32x4Mul().f32x4Add().localSet(acc[r * VECTORS + v]!);
      }
      f.addTo(aK, 4);
      f.addTo(bK, PANEL * 4);
      f.countDown(kLeft, 0);
      f.end();
      for (let r = 0; r < rows; r++)
        for (let v = 0; v < vectors; v++) {
          const at = (r * n + v * 4) * 4;
          const lanes = Math.min(4, valid - v * 4);
          if (lanes === 4) f.localGet(cOut).localGet(acc[r * VECTORS + v]!).v128Store(at);
          else for (let l = 0; l < lanes; l++) f.localGet(cOut).localGet(acc[r * VECTORS + v]!).f32x4ExtractLane(l).f32Store(at + l * 4);
        }
    };

    /** The blocks of `rows` rows starting at aRow / cOut: full panels in a loop, then the rest. */
    const blocksOfRows = (rows: number) => {
      if (full > 0) {
        f.i32Const(full).localSet(colLeft);
        f.loop();
        block(rows, VECTORS, PANEL);
        f.addTo(bCol, k * PANEL * 4);
        f.addTo(cOut, PANEL * 4);
        f.countDown(colLeft, 0);
        f.end();
      }
      const rest = n - full * PANEL;
      if (rest > 0) block(rows, Math.ceil(rest / 4), rest);
    };

    // This part's units: blocks of ROWS rows (the last of a matrix may be shorter), unit = matrix * rowBlocks + block.
    emitPartRange(f, batch * rowBlocks, part, parts, unit, end);
    f.localGet(unit).localGet(end).i32Ne().if();
    f.loop();
    f.localGet(unit).i32Const(rowBlocks).i32DivU().localSet(matrix);
    f.localGet(unit).localGet(matrix).i32Const(rowBlocks).i32Mul().i32Sub().localSet(rowBlock);
    // The block's first row of all matrices' rows, and its matrix's B.
    f.localGet(matrix).i32Const(m).i32Mul().localGet(rowBlock).i32Const(ROWS).i32Mul().i32Add().localSet(row);
    f.localGet(a).localGet(row).i32Const(k * 4).i32Mul().i32Add().localSet(aRow);
    f.localGet(c).localGet(row).i32Const(n * 4).i32Mul().i32Add().localSet(cOut);
    f.localGet(b).localGet(matrix).i32Const(k * np * 4).i32Mul().i32Add().localSet(bCol);
    if (restRows === 0) blocksOfRows(ROWS);
    else if (fullRows === 0) blocksOfRows(restRows);
    else {
      f.block();
      f.localGet(rowBlock).i32Const(fullRows).i32Ne().i32Eqz().if(); // the matrix's last, short block
      blocksOfRows(restRows);
      f.br(1);
      f.end();
      blocksOfRows(ROWS);
      f.end();
    }
    f.addTo(unit, 1);
    f.localGet(unit).localGet(end).i32Ne().brIf(0);
    f.end();
    f.end();
    return f;
  },
};
