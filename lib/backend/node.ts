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
import { setPlatform, type BackendPlatform } from './index.js';
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
