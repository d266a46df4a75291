/** The browser tests' module Worker: starts the backend it is sent, runs its task (three SwAV steps, or calculus), posts the result. */
import { setBackend, setWasmPaths, type BackendName } from '../../../lib/index.js';
import { calculus } from './calculus.js';
import { swavLosses } from './swav-steps.js';

self.onmessage = async (e: MessageEvent<{ backend: BackendName; wasm: string; task: 'swav' | 'calculus' }>) => {
  try {
    setWasmPaths(e.data.wasm);
    await setBackend(e.data.backend);
    self.postMessage({ ok: true, result: e.data.task === 'calculus' ? await calculus() : await swavLosses(3) });
  } catch (err) {
    self.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
};
