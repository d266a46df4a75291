/**
 * Relaxed SIMD's fused multiply-add (f32x4.relaxed_madd) in our generated kernels. It is on
 * by default in Chrome 114+, Firefox 120+ and Node 22+, and behind
 * --experimental-wasm-relaxed-simd in Node 20. Where the CPU has FMA, one relaxed_madd
 * replaces a multiply and an add: our product kernel ran 1.3-1.4x faster with it on this
 * project's AMD EPYC (docs/benchmarks.md, "Session 12"). The result is the fused or the
 * unfused one, as the machine does it: the same on every call and in every thread split of a
 * kernel, and never further from the exact sum than the unfused one by more than its rounding.
 */
import { FunctionBuilder } from './wasm-emit.js';
import { moduleBytes } from './wasm-module.js';

let relaxed: boolean | undefined;
/** Whether this engine takes relaxed SIMD (validated once on a one-instruction module; see {@link probeRelaxedSimd}). */
export function relaxedSimdAvailable(): boolean {
  return relaxed ?? probeRelaxedSimd();
}

/** Validates the one-instruction module again (after the engine's flags changed: backend/node.ts's enableRelaxedSimd). */
export function probeRelaxedSimd(): boolean {
  const f = new FunctionBuilder([], []);
  f.v128Const0().v128Const0().v128Const0().f32x4RelaxedMadd().drop();
  relaxed = WebAssembly.validate(moduleBytes([{ name: 'probe', fn: f }]));
  return relaxed;
}

let forced: boolean | null = null;
/**
 * Whether kernels generated now use relaxed_madd: where the engine has relaxed SIMD, unless
 * {@link forceRelaxedMultiplyAdd} says otherwise (kernels are cached per this answer).
 */
export function relaxedMultiplyAdd(): boolean {
  return forced ?? relaxedSimdAvailable();
}

/**
 * For benchmarks and tests: generate kernels with (true) or without (false) relaxed_madd, or
 * null: as the engine allows. true where the engine has no relaxed SIMD is an error.
 */
export function forceRelaxedMultiplyAdd(fused: boolean | null): void {
  if (fused === true && !relaxedSimdAvailable()) throw new Error('forceRelaxedMultiplyAdd(true): this engine has no relaxed SIMD (Node 20: run node with --experimental-wasm-relaxed-simd)');
  forced = fused;
}

/**
 * Emits acc += a * b on v128 locals: one relaxed_madd where `fused` (by default
 * {@link relaxedMultiplyAdd}), else a multiply and an add.
 */
export function emitMultiplyAdd(f: FunctionBuilder, acc: number, a: number, b: number, fused = relaxedMultiplyAdd()): void {
  if (fused) f.localGet(a).localGet(b).localGet(acc).f32x4RelaxedMadd().localSet(acc);
  else f.localGet(acc).localGet(a).localGet(b).f32x4Mul().f32x4Add().localSet(acc);
}
