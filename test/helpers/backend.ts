/**
 * Backend selection for test files. The runner (test/run.mjs) runs every test file once
 * per backend with `TFJAX_BACKEND` set; a test file starts with
 *
 * ```ts
 * import { useTestBackend } from '../helpers/backend.js';
 * await useTestBackend();
 * ```
 */
import { BACKENDS, setBackend, type BackendName } from '../../lib/backend/node.js';

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
  await setBackend(name);
  return name;
}
