/**
 * How a heap kernel's work is split between threads (wasm-heap.ts, heap-threads-node.ts):
 * a splittable kernel's function takes two last i32 parameters, `part` and `parts`, and
 * does only its own blocks of independent work, units [⌊units·part/parts⌋,
 * ⌊units·(part+1)/parts⌋). Part 0 of 1 is the whole kernel, so one thread runs exactly the
 * code it ran before the split existed; and each output element is computed by the same
 * code in the same order whichever part holds it.
 */
import type { FunctionBuilder } from './wasm-emit.js';

/** The units [first, end) of `part` of `parts` (what {@link emitPartRange} computes). */
export function partBounds(units: number, part: number, parts: number): [number, number] {
  return [Math.floor((units * part) / parts), Math.floor((units * (part + 1)) / parts)];
}

/** Emits first = ⌊units·part/parts⌋ and end = ⌊units·(part+1)/parts⌋ (i32 locals; part, parts: the function's parameters). */
export function emitPartRange(f: FunctionBuilder, units: number, part: number, parts: number, first: number, end: number): void {
  if (units * 64 >= 2 ** 31) throw new Error(`emitPartRange: ${units} units overflow i32 for up to 64 parts`);
  f.i32Const(units).localGet(part).i32Mul().localGet(parts).i32DivU().localSet(first);
  f.i32Const(units).localGet(part).i32Const(1).i32Add().i32Mul().localGet(parts).i32DivU().localSet(end);
}

/** Emits local = min(max(local, 0), max) (signed). */
export function emitClamp(f: FunctionBuilder, local: number, max: number): void {
  f.i32Const(0).localGet(local).localGet(local).i32Const(0).i32LtS().select().localSet(local);
  f.i32Const(max).localGet(local).i32Const(max).localGet(local).i32LtS().select().localSet(local);
}
