/** Emitting a kernel's loop over its output channels in SIMD strips. */
import type { FunctionBuilder } from './wasm-emit.js';

/**
 * A kernel's output channels in SIMD strips: `strip(2)` (8 channels, two f32x4) for each full
 * 8, with the local `offset` at 0, 32, 64, ... bytes, then `strip(1)` once for a last 4
 * (`o` is a multiple of 4).
 */
export function emitChannelStrips(f: FunctionBuilder, offset: number, o: number, strip: (vectors: 1 | 2) => void): void {
  const full = Math.floor(o / 8);
  if (full > 0) {
    f.i32Const(0).localSet(offset);
    f.loop();
    strip(2);
    f.addTo(offset, 32);
    f.localGet(offset).i32Const(full * 32).i32Ne().brIf(0);
    f.end();
  }
  if (o % 8) {
    f.i32Const(full * 32).localSet(offset);
    strip(1);
  }
}
