/**
 * The browser tests' page: `?run=calculus&backend=wasm|webgpu` on the main thread,
 * `?run=worker&backend=...` three SwAV steps in a module Worker (`&task=calculus`: the
 * calculus there), `?run=ready&wasm=<prefix>`
 * just starts wasm from binaries at `<prefix>`. The outcome lands in `window.__done`.
 */
import { setBackend, setWasmPaths, type BackendName } from '../../../lib/index.js';
import { calculus } from './calculus.js';

type Outcome = { ok: true; result: unknown } | { ok: false; error: string };
const done = (o: Outcome) => ((globalThis as { __done?: Outcome }).__done = o);

const q = new URLSearchParams(location.search);
const backend = (q.get('backend') ?? 'wasm') as BackendName;
const wasm = new URL(q.get('wasm') ?? './wasm/', location.href).href;

function inWorker(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<Outcome>) => {
      worker.terminate();
      if (e.data.ok) resolve(e.data.result);
      else reject(new Error(e.data.error));
    };
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    worker.postMessage({ backend, wasm, task: q.get('task') ?? 'swav' });
  });
}

async function main(): Promise<unknown> {
  const run = q.get('run');
  if (run === 'worker') return inWorker();
  setWasmPaths(wasm);
  await setBackend(backend);
  if (run === 'calculus') return calculus();
  if (run === 'ready') return backend;
  throw new Error(`unknown run=${run}`);
}

main().then(
  (result) => done({ ok: true, result }),
  (e: unknown) => done({ ok: false, error: e instanceof Error ? e.message : String(e) }),
);
