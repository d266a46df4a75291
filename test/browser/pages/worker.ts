/** The browser tests' module Worker: starts the backend it is sent, runs three SwAV steps, posts the losses. */
import { setBackend, setWasmPaths, type BackendName } from '../../../lib/index.js';
import { swavLosses } from './swav-steps.js';

self.onmessage = async (e: MessageEvent<{ backend: BackendName; wasm: string }>) => {
  try {
    setWasmPaths(e.data.wasm);
    await setBackend(e.data.backend);
    self.postMessage({ ok: true, result: await swavLosses(3) });
  } catch (err) {
    self.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
