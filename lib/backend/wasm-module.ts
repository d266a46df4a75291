/** A WebAssembly module's bytes around our generated functions (wasm-emit.ts's FunctionBuilder). */
import { type FunctionBuilder, TYPE_CODE, uleb } from './wasm-emit.js';

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  out.push(...body);
}

function name(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  out.push(...bytes);
}

/**
 * A module that imports its memory as `env.memory` and exports the given functions.
 * Each function gets its own type entry (no deduplication: kernels have a handful).
 * A shared memory (a threaded build's heap) must be imported as shared, with a maximum.
 */
export function moduleBytes(functions: readonly { name: string; fn: FunctionBuilder }[], { sharedMemory = false } = {}): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(functions.length, types);
  for (const { fn } of functions) {
    types.push(0x60);
    uleb(fn.params.length, types);
    fn.params.forEach((t) => types.push(TYPE_CODE[t]));
    uleb(fn.results.length, types);
    fn.results.forEach((t) => types.push(TYPE_CODE[t]));
  }
  section(1, types, out);
  const imports: number[] = [1];
  name('env', imports);
  name('memory', imports);
  if (sharedMemory) {
    imports.push(0x02, 0x03, 0x00); // memory, limits: shared, min 0 pages, max 4 GiB
    uleb(65536, imports);
  } else imports.push(0x02, 0x00, 0x00); // memory, limits: min 0 pages, no maximum
  section(2, imports, out);
  const funcs: number[] = [];
  uleb(functions.length, funcs);
  functions.forEach((_, i) => uleb(i, funcs));
  section(3, funcs, out);
  const exports: number[] = [];
  uleb(functions.length, exports);
  functions.forEach((f, i) => {
    name(f.name, exports);
    exports.push(0x00);
    uleb(i, exports);
  });
  section(7, exports, out);
  const code: number[] = [];
  uleb(functions.length, code);
  for (const { fn } of functions) code.push(...fn.encode());
  section(10, code, out);
  return new Uint8Array(out);
}
