/** The Winograd kernels' shared code generation: the transforms, the tile grid and the input transform. */
import type { FunctionBuilder } from './wasm-emit.js';
import { emitPartRange } from './wasm-split.js';
import type { WinogradScheme } from './winograd-schemes.js';

/**
 * Floats between consecutive planes beyond their contents, in every buffer whose α² planes
 * one loop writes or reads together (V, M, Δ, W, U): planes a multiple of 4 KB apart
 * fall into one L1 set (12 ways here), and 16 or 36 such streams evict each other.
 * One cache line of skew puts plane ξ in set ξ.
 */
export const PLANE_SKEW_FLOATS = 16;

/** A kernel's share of the tile rows: part `part` of `parts` (the function's parameters); `startAt` points the row walk at tile row `row` (an i32 local). */
export interface BlockSplit {
  readonly part: number;
  readonly parts: number;
  readonly startAt: (row: number) => void;
}

/** The padded input's tile grid: c channels, hp x wp padded pixels (m tH + 2 by m tW + 2), tH x tW tiles. */
export interface TileGrid {
  readonly c: number;
  readonly hp: number;
  readonly wp: number;
  readonly tH: number;
  readonly tW: number;
}

/**
 * Two-sided transforms y = L x L^T on vector locals (4 lanes of independent values each),
 * for blocks up to alpha x alpha: the Winograd transforms of every scheme.
 */
export function transformEmitters(f: FunctionBuilder, alpha: number) {
  const x = Array.from({ length: alpha * alpha }, () => f.local('v128'));
  const t = Array.from({ length: alpha * alpha }, () => f.local('v128'));
  /** x[i*s + j] = the vector at byte offset offsets(i, j) from the pointer in local `ptr`, for an s x s block. */
  const load = (ptr: number, s: number, offsets: (i: number, j: number) => number) => {
    for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) f.localGet(ptr).v128Load(offsets(i, j)).localSet(x[i * s + j]!);
  };

  /** Shared sub-sums of applyRows: two column pairs' sum and difference, or one row pair's E and O. */
  const pairTemps = Array.from({ length: 4 }, () => f.local('v128'));

  /**
   * Pushes Σ_k coefs[k] · locals[k] over the non-zero coefficients, a positive one first
   * (±1 by an addition or subtraction; others multiplied, then added; where all share one
   * magnitude, added first and multiplied once): no term goes through more than one
   * multiplication or more additions than the sum has terms minus one, which is what
   * winograd-schemes.ts's roundingsPerTerm counts.
   */
  const combine = (coefs: readonly number[], locals: readonly number[]) => {
    const terms = coefs.map((c, k) => [c, locals[k]!] as const).filter(([c]) => c !== 0);
    const magnitude = Math.abs(terms[0]![0]);
    if (terms.length > 1 && magnitude !== 1 && terms.every(([c]) => Math.abs(c) === magnitude)) {
      const factor = terms.every(([c]) => c < 0) ? -magnitude : magnitude;
      combine(terms.map(([c]) => c / factor), terms.map(([, v]) => v));
      f.f32x4Const(factor).f32x4Mul();
      return;
    }
    const lead = Math.max(0, terms.findIndex(([c]) => c > 0));
    terms.unshift(...terms.splice(lead, 1));
    terms.forEach(([c, v], k) => {
      f.localGet(v);
      if (Math.abs(c) !== 1) f.f32x4Const(Math.abs(c)).f32x4Mul();
      if (k === 0) {
        if (c < 0) f.f32x4Neg();
      } else if (c < 0) f.f32x4Sub();
      else f.f32x4Add();
    });
  };

  /**
   * out(i, push) for the first `count` rows i of L v (v: the s input locals), push()
   * leaving row i's value on the stack. Shared sub-sums, as the Winograd matrices allow:
   * columns p, q with equal magnitudes in every row (A^T's and G^T's 1-2 and 3-4) enter
   * as v_p + v_q or v_p - v_q formed once; rows i, j that differ only in the sign of some
   * columns (B^T's, G's and A's 1-2 and 3-4) are E + O and E - O, E over the columns where
   * they agree, O over the others. Either way no term goes through more additions than
   * the direct sum's.
   */
  const applyRows = (L: readonly (readonly number[])[], v: readonly number[], count: number, out: (i: number, push: () => void) => void) => {
    const { columns, rows } = sharing(L);
    if (columns.length > 0) {
      const temps = columns.map(([p, q], n) => {
        const [sum, diff] = [pairTemps[2 * n]!, pairTemps[2 * n + 1]!];
        f.localGet(v[p]!).localGet(v[q]!).f32x4Add().localSet(sum);
        f.localGet(v[p]!).localGet(v[q]!).f32x4Sub().localSet(diff);
        return { p, q, sum, diff };
      });
      for (let i = 0; i < count; i++) {
        const row = L[i]!;
        const coefs = row.map((c, k) => (temps.some(({ p, q }) => k === p || k === q) ? 0 : c));
        const locals = [...v];
        for (const { p, q, sum, diff } of temps) {
          if (row[p] === 0) continue;
          coefs.push(row[p]!);
          locals.push(row[q] === row[p] ? sum : diff);
        }
        out(i, () => combine(coefs, locals));
      }
      return;
    }
    const [e, o] = [pairTemps[0]!, pairTemps[1]!];
    for (let i = 0; i < count; i++) {
      const pair = rows.find(([a, b]) => a === i || b === i);
      if (!pair) {
        out(i, () => combine(L[i]!, v));
        continue;
      }
      const [a, b] = pair;
      if (i === b && a < count) continue; // done with its partner
      const agree = L[a]!.map((c, k) => (c === L[b]![k] ? c : 0));
      combine(agree, v);
      f.localSet(e);
      combine(L[a]!.map((c, k) => c - agree[k]!), v);
      f.localSet(o);
      out(a, () => f.localGet(e).localGet(o).f32x4Add());
      if (b < count) out(b, () => f.localGet(e).localGet(o).f32x4Sub());
    }
  };

  /**
   * y = L x L^T for the s x s block in `x` (L: r x s): first t = L x, then for each of the
   * first `rows` x `cols` entries of y, store(i, j, push) where push() leaves y[i][j] on the stack.
   */
  const sandwich = (L: readonly (readonly number[])[], s: number, store: (i: number, j: number, push: () => void) => void, rows = L.length, cols = L.length) => {
    for (let j = 0; j < s; j++) {
      applyRows(L, Array.from({ length: s }, (_, k) => x[k * s + j]!), rows, (i, push) => {
        push();
        f.localSet(t[i * s + j]!);
      });
    }
    for (let i = 0; i < rows; i++) applyRows(L, t.slice(i * s, i * s + s), cols, (j, push) => store(i, j, push));
  };
  return { load, sandwich };
}

/**
 * Code shared by the Winograd kernels (wasm-winograd.ts's forward and wasm-winograd-filter-grad.ts)
 * for one scheme (F(2x2) or F(4x4)): the transforms, the row stepping of the tile grid,
 * and the input transform V = B^T d B.
 */
export function tileEmitters(f: FunctionBuilder, g: TileGrid, scheme: WinogradScheme) {
  const { m, alpha } = scheme;
  const [src, dst, rowsLeft, colsLeft, ch] = Array.from({ length: 5 }, () => f.local('i32'));
  const { load, sandwich } = transformEmitters(f, alpha);

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
    load(src, alpha, (i, j) => (i * wp + j) * c * 4);
    sandwich(scheme.BT, alpha, (i, j, push) => {
      f.localGet(dst);
      push();
      f.v128Store((i * alpha + j) * vPlane);
    });
    f.addTo(src, 16).addTo(dst, 16);
    f.countDown(ch, 0);
    f.end();
    f.addTo(src, m * c * 4 - c * 4); // next tile: m columns on (src moved c already)
    f.countDown(colsLeft, 0);
    f.end();
    nextRow(xRow, xLeft, m * wp * c * 4, (hp - m * tH) * wp * c * 4);
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
  return { src, dst, rowsLeft, colsLeft, ch, load, sandwich, nextRow, inputTransform, blocks };
}

/**
 * The sub-sums L's rows can share (see applyRows in transformEmitters): column pairs with
 * equal magnitudes in every row, used by at least two rows (at most two pairs); else row
 * pairs whose coefficients agree in some columns and are opposite in the others.
 */
function sharing(L: readonly (readonly number[])[]): { columns: [number, number][]; rows: [number, number][] } {
  const s = L[0]!.length;
  const columns: [number, number][] = [];
  const taken = new Set<number>();
  for (let p = 0; p < s; p++) {
    for (let q = p + 1; q < s && columns.length < 2; q++) {
      if (taken.has(p) || taken.has(q)) continue;
      if (L.every((row) => Math.abs(row[p]!) === Math.abs(row[q]!)) && L.filter((row) => row[p] !== 0).length >= 2) {
        columns.push([p, q]);
        taken.add(p).add(q);
      }
    }
  }
  const rows: [number, number][] = [];
  const paired = new Set<number>();
  for (let a = 0; a < L.length; a++) {
    for (let b = a + 1; b < L.length; b++) {
      if (paired.has(a) || paired.has(b)) continue;
      const [ra, rb] = [L[a]!, L[b]!];
      const agree = ra.filter((c, k) => c !== 0 && c === rb[k]).length;
      const opposite = ra.filter((c, k) => c !== 0 && c === -rb[k]).length;
      if (agree > 0 && opposite > 0 && ra.every((c, k) => Math.abs(c) === Math.abs(rb[k]!))) {
        rows.push([a, b]);
        paired.add(a).add(b);
      }
    }
  }
  return { columns, rows };
}
