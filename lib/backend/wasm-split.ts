/**
 * How a heap kernel's work is split between threads (wasm-heap.ts, heap-threads-node.ts):
 * a splittable kernel's function takes two last i32 parameters, `part` and `parts`, and
 * does only its own contiguous run of independent units of work ({@link emitPartRange}).
 * Part 0 of 1 is the whole kernel, so one thread runs exactly the
 * code it ran before the split existed; and each output element is computed by the same
 * code in the same order whichever part holds it.
 */
import type { FunctionBuilder } from './wasm-emit.js';

/**
 * Emits this part's units [first, end) (i32 locals; part, parts: the function's parameters):
 * with q = ⌊units/parts⌋ and r = units mod parts, part k takes q units, plus one if k < r,
 * from k·q + min(k, r) on (no product exceeds `units`).
 */
export function emitPartRange(f: FunctionBuilder, units: number, part: number, parts: number, first: number, end: number): void {
  // end = q + (part < r), first = part * q + min(part, r)
  f.i32Const(units).localGet(parts).i32DivU().localSet(end);
  f.localGet(part).localGet(end).i32Mul();
  f.localGet(part).i32Const(units).localGet(parts).i32RemU().localTee(first).localGet(part).localGet(first).i32LtS().select().i32Add();
  f.localGet(end).localGet(part).localGet(first).i32LtS().i32Add().localSet(end);
  f.localTee(first).localGet(end).i32Add().localSet(end);
}

/** Emits a loop over this part's units (see {@link emitPartRange}): `body` with `unit` (an i32 local) at each. */
export function emitPartUnits(f: FunctionBuilder, units: number, part: number, parts: number, unit: number, end: number, body: () => void): void {
  emitPartRange(f, units, part, parts, unit, end);
  f.localGet(unit).localGet(end).i32Ne().if();
  f.loop();
  body();
  f.addTo(unit, 1);
  f.localGet(unit).localGet(end).i32Ne().brIf(0);
  f.end();
  f.end();
}

/** Emits `last()` where the i32 local `index` is `lastIndex` (a matrix's short last block), else `other()`. */
export function emitLastOrOther(f: FunctionBuilder, index: number, lastIndex: number, last: () => void, other: () => void): void {
  f.block();
  f.localGet(index).i32Const(lastIndex).i32Ne().i32Eqz().if();
  last();
  f.br(1);
  f.end();
  other();
  f.end();
}

/** Emits local = min(max(local, 0), max) (signed). */
export function emitClamp(f: FunctionBuilder, local: number, max: number): void {
  f.i32Const(0).localGet(local).localGet(local).i32Const(0).i32LtS().select().localSet(local);
  f.i32Const(max).localGet(local).i32Const(max).localGet(local).i32LtS().select().localSet(local);
}
