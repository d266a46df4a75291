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
 */
import type * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { type HeapKernel, runHeapKernel } from './wasm-heap.js';

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

const batchMatMul: HeapKernel<BatchMatMulAttrs> = {
  name: 'TfjaxBatchMatMul',
  outShape([a, b], { batch, m, k, n }) {
    const want = [`[${batch},${m},${k}]`, `[${batch},${paddedColumns(n) / PANEL},${k},${PANEL}]`];
    if (`[${a}]` !== want[0] || `[${b}]` !== want[1] || m < 1 || k < 1 || n < 1) throw new Error(`batchMatMulWasm: inputs [${a}] and [${b}], expected ${want[0]} and ${want[1]}`);
    return [batch, m, n];
  },
  initial: () => null,
  generate(_shapes, { batch, m, k, n }) {
    const np = paddedColumns(n);
    const full = Math.floor(n / PANEL);
    const f = new FunctionBuilder(['i32', 'i32', 'i32'], []);
    const [a, b, c] = [0, 1, 2];
    const [batchLeft, rowLeft, colLeft, kLeft, aRow, bCol, cOut, aK, bK] = Array.from({ length: 9 }, () => f.local('i32'));
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
    const rowBlock = (rows: number) => {
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

    f.localGet(a).localSet(aRow).localGet(c).localSet(cOut);
    f.localGet(b).localSet(bCol);
    f.i32Const(batch).localSet(batchLeft);
    f.loop(); // matrices
    const fullRows = Math.floor(m / ROWS);
    if (fullRows > 0) {
      f.i32Const(fullRows).localSet(rowLeft);
      f.loop(); // blocks of 4 rows: each starts at the first panel of this matrix's B
      rowBlock(ROWS);
      // Next rows: B back to column 0; C on to the next 4 rows' start.
      f.addTo(bCol, -full * k * PANEL * 4);
      f.addTo(cOut, ROWS * n * 4 - full * PANEL * 4);
      f.addTo(aRow, ROWS * k * 4);
      f.countDown(rowLeft, 0);
      f.end();
    }
    const restRows = m - fullRows * ROWS;
    if (restRows > 0) {
      rowBlock(restRows);
      f.addTo(bCol, -full * k * PANEL * 4);
      f.addTo(cOut, restRows * n * 4 - full * PANEL * 4);
      f.addTo(aRow, restRows * k * 4);
    }
    // Next matrix: A and C are where the last rows ended; B moves on by one matrix.
    f.addTo(bCol, k * np * 4);
    f.countDown(batchLeft, 0);
    f.end();
    return f;
  },
};
