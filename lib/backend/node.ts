/**
 * tfjax's backends in Node: importing this module installs the Node platform hooks of
 * ./index.ts (and re-exports it), so that
 *
 * - `setBackend('webgpu')` finds an adapter through Dawn (the optional `webgpu` package,
 *   loaded on first use; see ./webgpu-node.ts);
 * - the wasm backend loads its binaries from node_modules, also from bundled or relocated
 *   copies of tfjs's JavaScript;
 * - the process listeners that tfjs-backend-wasm's Emscripten glue adds while it starts are
 *   removed again: its `uncaughtException` listener rethrows every uncaught error from
 *   inside the glue, so that Node printed ~38 KB of minified source before each message.
 *
 * tfjax's Node entry (lib/node.ts) imports it; browser code never does.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import v8 from 'node:v8';
import { setPlatform, type BackendPlatform } from './index.js';
import { probeRelaxedSimd } from './wasm-relaxed.js';
import { findGpu, installNavigatorGpu, removeNavigatorGpu } from './webgpu-node.js';

export * from './index.js';

/** Directory of the tfjs wasm binaries in node_modules, with a trailing slash. */
function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/';
}

const PROCESS_EVENTS = ['uncaughtException', 'unhandledRejection'] as const;

/** Runs `start`, then removes the process listeners it added (Emscripten's rethrowing ones). */
async function withoutNewProcessListeners<T>(start: () => Promise<T>): Promise<T> {
  const before = new Map(PROCESS_EVENTS.map((e) => [e, new Set(process.listeners(e))]));
  try {
    return await start();
  } finally {
    for (const e of PROCESS_EVENTS) {
      for (const l of process.listeners(e)) if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
    }
  }
}

const nodePlatform: BackendPlatform = {
  findGpu,
  installGpu: installNavigatorGpu,
  removeGpu: removeNavigatorGpu,
  defaultWasmPaths: wasmDirectory,
  startWasm: withoutNewProcessListeners,
};

setPlatform(nodePlatform);

/**
 * Turns on WebAssembly's relaxed SIMD in this Node process, so that our wasm kernels use its
 * fused multiply-add (lib/backend/wasm-relaxed.ts: the products and convolutions ran 1.1-1.4x
 * faster on this project's machine). Node 22+ and browsers have it on already; Node 20 has
 * it behind --experimental-wasm-relaxed-simd, which this sets (V8 reads it when it validates
 * a module). Call it before the first kernel runs; returns whether the engine now takes it.
 * `npm run train` and the benchmarks call it.
 *
 * ```ts
 * import { enableRelaxedSimd, setBackend } from 'tfjax';
 * enableRelaxedSimd();
 * await setBackend('wasm');
 * ```
 */
export function enableRelaxedSimd(): boolean {
  if (probeRelaxedSimd()) return true;
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return probeRelaxedSimd();
}
