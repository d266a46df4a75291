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
import { emitLastOrOther, emitPartUnits } from './wasm-split.js';
import { emitTile4x4, tileLocals } from './wasm-transpose.js';
import { emitMultiplyAdd } from './wasm-relaxed.js';

export interface BatchMatMulAttrs {
  readonly batch: number;
  /**
   * A is [...lead, m, k] with `batch` matrices in its leading axes (any number of them: no
   * reshape, which costs a kernel launch per product in a loop); B is packed as
   * [batch, np / 8, k, 8] (np = {@link paddedColumns}(n)); C is [...lead, m, n].
   */
  readonly m: number;
  readonly k: number;
  readonly n: number;
}

/** 4-lane vectors per row of a block: 4 x VECTORS accumulators (3, i.e. 12 accumulators, ran 1.5x slower: V8 spills them). */
const VECTORS = 2;
/** Columns of a block, and of a panel of packed B. */
export const PANEL = 4 * VECTORS;

/** Whether `shape` is `batch` matrices of shape `matrix` (its leading axes, any number of them, hold `batch` elements). */
function isBatchOf(shape: readonly number[], batch: number, matrix: readonly number[]): boolean {
  const lead = shape.slice(0, -2);
  return shape.length >= 2 && `${shape.slice(-2)}` === `${matrix}` && lead.reduce((a, d) => a * d, 1) === batch;
}

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

export interface PackPanelsAttrs {
  readonly batch: number;
  readonly k: number;
  readonly n: number;
  /** The input is B^T, [batch, n, k] (a product's transposeB); else B, [batch, k, n]. */
  readonly transposed: boolean;
}

/**
 * B packed for {@link batchMatMulWasm}: [batch, np / 8, k, 8], zero columns past n, from B
 * ([batch, k, n]) or from B^T ([batch, n, k], `transposed`: one pass instead of a transpose
 * and then a pack). Split between threads by panels.
 *
 * ```ts
 * packPanelsWasm(w, { batch: 1, k: 1024, n: 1024, transposed: true }); // panels of w^T
 * ```
 */
export function packPanelsWasm(b: tf.Tensor, attrs: PackPanelsAttrs): tf.Tensor {
  return runHeapKernel(packPanels, [b], attrs);
}

const packPanels: HeapKernel<PackPanelsAttrs> = {
  name: 'TfjaxPackPanels',
  outShape([b], { batch, k, n, transposed }) {
    const want = transposed ? [n, k] : [k, n];
    if (!isBatchOf(b, batch, want) || k < 1 || n < 1) throw new Error(`packPanelsWasm: input [${b}], expected [${batch},${want}] (or its matrices in any leading axes)`);
    return [batch, paddedColumns(n) / PANEL, k, PANEL];
  },
  initial: ({ n }) => (n % PANEL === 0 ? null : 0),
  split: (_shapes, { batch, k, n }) => ({ units: (batch * paddedColumns(n)) / PANEL, work: batch * k * n }),
  generate(_shapes, { batch, k, n, transposed }) {
    const panels = paddedColumns(n) / PANEL;
    const valid = n - (panels - 1) * PANEL; // columns of each matrix's last panel
    const f = new FunctionBuilder(['i32', 'i32', 'i32', 'i32'], []);
    const [b, out, part, parts] = [0, 1, 2, 3];
    const [unit, end, matrix, panel, src, dst, kLeft] = Array.from({ length: 7 }, () => f.local('i32'));
    const tile = tileLocals(f);
    /** Columns [0, cols) of one row of the panel, element by element: column j at src + j * colStep. */
    const scalarRow = (cols: number, colStep: number) => {
      for (let j = 0; j < cols; j++) f.localGet(dst).localGet(src).f32Load(j * colStep).f32Store(j * 4);
    };
    /** The panel's rows, `cols` columns of it, from src (at its first column) to dst. */
    const panelRows = (cols: number) => {
      if (!transposed && cols === PANEL) {
        f.i32Const(k).localSet(kLeft);
        f.loop();
        for (let v = 0; v < 2; v++) f.localGet(dst).localGet(src).v128Load(v * 16).v128Store(v * 16);
        f.addTo(src, n * 4).addTo(dst, PANEL * 4);
        f.countDown(kLeft, 0);
        f.end();
        return;
      }
      if (!transposed) {
        f.i32Const(k).localSet(kLeft);
        f.loop();
        scalarRow(cols, 4);
        f.addTo(src, n * 4).addTo(dst, PANEL * 4);
        f.countDown(kLeft, 0);
        f.end();
        return;
      }
      // B^T: column j of the panel is row j of the input. Full panels go 4 rows of the panel
      // (4 along k) at a time as two 4 x 4 tile transposes, the rest element by element.
      const quads = cols === PANEL ? Math.floor(k / 4) : 0;
      if (quads > 0) {
        f.i32Const(quads).localSet(kLeft);
        f.loop();
        for (let half = 0; half < 2; half++) emitTile4x4(f, tile, { at: src, offset: half * 4 * k * 4, rowBytes: k * 4 }, { at: dst, offset: half * 16, rowBytes: PANEL * 4 });
        f.addTo(src, 16).addTo(dst, 4 * PANEL * 4);
        f.countDown(kLeft, 0);
        f.end();
      }
      const rest = k - 4 * quads;
      if (rest === 0) return;
      f.i32Const(rest).localSet(kLeft);
      f.loop();
      scalarRow(cols, k * 4);
      f.addTo(src, 4).addTo(dst, PANEL * 4);
      f.countDown(kLeft, 0);
      f.end();
    };

    // This part's units: panels, unit = matrix * panels + panel.
    emitPartUnits(f, batch * panels, part, parts, unit, end, () => {
      f.localGet(unit).i32Const(panels).i32DivU().localSet(matrix);
      f.localGet(unit).localGet(matrix).i32Const(panels).i32Mul().i32Sub().localSet(panel);
      // The panel's first column: B[matrix, 0, 8 panel] or B^T[matrix, 8 panel, 0].
      f.localGet(b).localGet(matrix).i32Const(k * n * 4).i32Mul().i32Add();
      f.localGet(panel).i32Const(transposed ? PANEL * k * 4 : PANEL * 4).i32Mul().i32Add().localSet(src);
      f.localGet(out).localGet(unit).i32Const(k * PANEL * 4).i32Mul().i32Add().localSet(dst);
      if (valid === PANEL) panelRows(PANEL);
      else emitLastOrOther(f, panel, panels - 1, () => panelRows(valid), () => panelRows(PANEL));
    });
    return f;
  },
};

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
    const want = `[${batch},${paddedColumns(n) / PANEL},${k},${PANEL}]`;
    if (!isBatchOf(a, batch, [m, k]) || `[${b}]` !== want || m < 1 || k < 1 || n < 1) throw new Error(`batchMatMulWasm: inputs [${a}] and [${b}], expected [${batch},${m},${k}] (or its matrices in any leading axes) and ${want}`);
    return [...a.slice(0, -2), m, n];
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
        for (let v = 0; v < vectors; v++) emitMultiplyAdd(f, acc[r * VECTORS + v]!, s, bv[v]!);
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
    emitPartUnits(f, batch * rowBlocks, part, parts, unit, end, () => {
      f.localGet(unit).i32Const(rowBlocks).i32DivU().localSet(matrix);
      f.localGet(unit).localGet(matrix).i32Const(rowBlocks).i32Mul().i32Sub().localSet(rowBlock);
      // The block's first row of all matrices' rows, and its matrix's B.
      f.localGet(matrix).i32Const(m).i32Mul().localGet(rowBlock).i32Const(ROWS).i32Mul().i32Add().localSet(row);
      f.localGet(a).localGet(row).i32Const(k * 4).i32Mul().i32Add().localSet(aRow);
      f.localGet(c).localGet(row).i32Const(n * 4).i32Mul().i32Add().localSet(cOut);
      f.localGet(b).localGet(matrix).i32Const(k * np * 4).i32Mul().i32Add().localSet(bCol);
      if (restRows === 0) blocksOfRows(ROWS);
      else if (fullRows === 0) blocksOfRows(restRows);
      else emitLastOrOther(f, rowBlock, fullRows, () => blocksOfRows(restRows), () => blocksOfRows(ROWS));
    });
    return f;
  },
};
