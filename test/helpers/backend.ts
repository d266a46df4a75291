/**
 * Backend selection for test files. The runner (test/run.mjs) runs every test file once
 * per backend with `TFJAX_BACKEND` set; a test file starts with
 *
 * ```ts
 * import { useTestBackend } from '../helpers/backend.js';
 * await useTestBackend();
 * ```
 *
 * With `TFJAX_RELAXED_SIMD=1` (the runner's `wasm+relaxed` runs, node started with
 * --experimental-wasm-relaxed-simd) our wasm kernels use fused multiply-adds.
 */
import { BACKENDS, relaxedSimdAvailable, setBackend, type BackendName } from '../../lib/backend/node.js';

/** The backend named by `TFJAX_BACKEND` (default `wasm`). */
export function testBackendName(): BackendName {
  const name = (process.env['TFJAX_BACKEND'] || 'wasm').trim();
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`TFJAX_BACKEND='${name}' is not one of ${BACKENDS.join(', ')}`);
  }
  return name as BackendName;
}

/**
 * Selects the backend named by `TFJAX_BACKEND` (default `wasm`) and waits until it is
 * ready. Returns its name. On `webgpu`, read results with `await t.data()` (or the
 * async helpers in ./assert.ts): `dataSync()` fails there.
 */
export async function useTestBackend(): Promise<BackendName> {
  const name = testBackendName();
  // The runner's relaxed-SIMD runs (test/run.mjs) must test the fused kernels, not fall back unnoticed.
  if (process.env['TFJAX_RELAXED_SIMD'] === '1' && !relaxedSimdAvailable()) throw new Error('TFJAX_RELAXED_SIMD=1 but this engine has no relaxed SIMD (Node 20: node --experimental-wasm-relaxed-simd)');
  await setBackend(name);
  return name;
}
