/** The Winograd F(2x2, 3x3) kernels' shared code generation: the tile grid and the input transform. */
import type { FunctionBuilder } from './wasm-emit.js';
import { emitPartRange } from './wasm-split.js';

/** A kernel's share of the tile rows: part `part` of `parts` (the function's parameters); `startAt` points the row walk at tile row `row` (an i32 local). */
export interface BlockSplit {
  readonly part: number;
  readonly parts: number;
  readonly startAt: (row: number) => void;
}

/** The padded input's tile grid: c channels, hp x wp padded pixels, tH x tW tiles. */
export interface TileGrid {
  readonly c: number;
  readonly hp: number;
  readonly wp: number;
  readonly tH: number;
  readonly tW: number;
}

/**
 * Code shared by the Winograd kernels (wasm-winograd.ts's forward and wasm-winograd-filter-grad.ts):
 * 16 vector locals `d` with loads and in-place sums, the row stepping of the tile grid,
 * and the input transform V = B^T d B.
 */
export function tileEmitters(f: FunctionBuilder, g: TileGrid) {
  const [src, dst, rowsLeft, colsLeft, ch] = Array.from({ length: 5 }, () => f.local('i32'));
  const d = Array.from({ length: 16 }, () => f.local('v128'));
  /** d[i*4 + j] = the value at byte offset offsets(i, j) from `src`. */
  const load16 = (offsets: (i: number, j: number) => number) => {
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) f.localGet(src).v128Load(offsets(i, j)).localSet(d[i * 4 + j]!);
  };
  const sub = (p: number, q: number) => f.localGet(p).localGet(q).f32x4Sub();
  const add = (p: number, q: number) => f.localGet(p).localGet(q).f32x4Add();

  /** Moves a row pointer to the next tile row, skipping `gap` bytes after an image's last one. */
  const nextRow = (ptr: number, left: number, step: number, gap: number) => {
    f.addTo(ptr, step);
    f.localGet(left).i32Const(1).i32Sub().localTee(left).i32Eqz().if();
    if (gap !== 0) f.addTo(ptr, gap);
    f.i32Const(g.tH).localSet(left);
    f.end();
  };

  /** Input transform of `rows` tile rows from xRow: V[ξ][tile][c] = (B^T d B)[ξ] at vBase, planes vPlane bytes apart (advances xRow / xLeft). */
  const inputTransform = (rows: number, xRow: number, xLeft: number, vBase: number, vPlane: number) => {
    const { c, wp, hp, tH, tW } = g;
    f.localGet(vBase).localSet(dst).i32Const(rows).localSet(rowsLeft);
    f.loop();
    f.localGet(xRow).localSet(src).i32Const(tW).localSet(colsLeft);
    f.loop(); // tiles of the row
    f.i32Const(c / 4).localSet(ch);
    f.loop(); // 4 channels at a time
    load16((i, j) => (i * wp + j) * c * 4);
    // rows: t0 = d0 - d2, t1 = d1 + d2, t2 = d2 - d1, t3 = d1 - d3 (in place, per column)
    for (let j = 0; j < 4; j++) {
      const [r0, r1, r2, r3] = [d[j]!, d[4 + j]!, d[8 + j]!, d[12 + j]!];
      sub(r0, r2).localSet(r0);
      sub(r1, r3).localSet(r3);
      sub(r2, r1);
      add(r1, r2).localSet(r1);
      f.localSet(r2);
    }
    for (let i = 0; i < 4; i++) {
      const [c0, c1, c2, c3] = [d[4 * i]!, d[4 * i + 1]!, d[4 * i + 2]!, d[4 * i + 3]!];
      const store = (j: number, emit: () => void) => {
        f.localGet(dst);
        emit();
        f.v128Store((i * 4 + j) * vPlane);
      };
      store(0, () => sub(c0, c2));
      store(1, () => add(c1, c2));
      store(2, () => sub(c2, c1));
      store(3, () => sub(c1, c3));
    }
    f.addTo(src, 16).addTo(dst, 16);
    f.countDown(ch, 0);
    f.end();
    f.addTo(src, 2 * c * 4 - c * 4); // next tile: 2 columns on (src moved c already)
    f.countDown(colsLeft, 0);
    f.end();
    nextRow(xRow, xLeft, 2 * wp * c * 4, (hp - 2 * tH) * wp * c * 4);
    f.countDown(rowsLeft, 0);
    f.end();
  };
  /**
   * block(rows) over all `totalRows` tile rows, `perBlock` at a time: the full blocks in a
   * loop, then the rest. With `split`, only this part's blocks (the blocks are the units).
   */
  const blocks = (totalRows: number, perBlock: number, block: (rows: number) => void, split?: BlockSplit) => {
    const full = Math.floor(totalRows / perBlock);
    const rest = totalRows % perBlock;
    const [first, end, left, row] = Array.from({ length: 4 }, () => f.local('i32'));
    if (split) {
      emitPartRange(f, full + (rest ? 1 : 0), split.part, split.parts, first, end);
      f.localGet(first).i32Const(perBlock).i32Mul().localSet(row);
      split.startAt(row);
    } else f.i32Const(0).localSet(first).i32Const(full + (rest ? 1 : 0)).localSet(end);
    if (full > 0) {
      // min(end, full) - first full blocks (negative: none)
      f.localGet(end).i32Const(full).localGet(end).i32Const(full).i32LtS().select().localGet(first).i32Sub().localSet(left);
      f.i32Const(0).localGet(left).i32LtS().if();
      f.loop();
      block(perBlock);
      f.countDown(left, 0);
      f.end();
      f.end();
    }
    if (rest) {
      // the last, short block: this part's when first <= full < end
      f.localGet(end).i32Const(full + 1).i32Ne().i32Eqz().if();
      f.localGet(first).localGet(end).i32Ne().if();
      block(rest);
      f.end();
      f.end();
    }
  };
  return { d, src, dst, rowsLeft, colsLeft, ch, load16, sub, add, nextRow, inputTransform, blocks };
}
