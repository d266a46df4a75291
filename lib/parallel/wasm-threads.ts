/**
 * The tfjs `wasm` backend's own threads (XNNPACK's pthreadpool), made to work in Node.
 *
 * `@tensorflow/tfjs-backend-wasm` ships `tfjs-backend-wasm-threaded-simd.wasm` and an
 * Emscripten glue that knows Node's `worker_threads`, but three things keep it on one
 * thread in Node:
 *
 * 1. the `WASM_HAS_MULTITHREAD_SUPPORT` flag answers `false` whenever `IS_NODE`
 *    (tensorflow/tfjs#3830): we set the flag to `true` before the backend starts;
 * 2. tfjs hands the pthread workers `blob:` URLs (`URL.createObjectURL(new Blob(...))`)
 *    for the worker script and for the main script, which Node's `Worker` and the
 *    worker's `importScripts` shim (`fs.readFileSync`) cannot open: while the backend
 *    starts, `URL.createObjectURL` of the worker's Blob answers the path of a temporary
 *    `.cjs` file with the same script (the package's `wasm-out/...worker.js`), prefixed
 *    with one line that makes the worker's own `URL.createObjectURL` (applied to the
 *    main script's Blob) answer the package's `wasm-out/tfjs-backend-wasm-threaded-simd.js`;
 * 3. the C++ side caps the pool at `emscripten_num_logical_cores() / 2`, read from
 *    `os.cpus().length` when the module is instantiated (1 on a 2-core machine): while
 *    the backend starts, `os.cpus()` reports twice the requested thread count.
 *
 * All three patches are undone as soon as the backend has started; the temporary
 * file is deleted when the process exits. The glue `ref()`s each worker that runs a
 * pthread, and XNNPACK's pool threads live as long as the backend: we `unref()` them so
 * that the process still exits by itself.
 *
 * Measured on the 2-core machine (docs/parallel.md): this is the route that pays
 * where XNNPACK does the work (matmul, convolution); elementwise kernels, reductions
 * and transposes stay on one thread.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { startHeapThreads, stopHeapThreads } from '../backend/heap-threads-node.js';
import { releaseBackend, setBackend } from '../backend/node.js';
import { wasmHeapShared } from '../backend/wasm-heap.js';

/** What {@link enableWasmThreads} did. */
export interface WasmThreadsInfo {
  /** Threads in XNNPACK's pool, as the backend reports them (the calling thread included). */
  readonly threads: number;
  /** Threads our own kernels (convolutions, Winograd, filter gradients, products, elementwise loops) run on, the calling thread included. */
  readonly kernelThreads: number;
}

/** Options of {@link enableWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * Threads for tfjax's own heap kernels (direct and Winograd convolutions, their input and
   * filter gradients, float32 products, fused elementwise loops without sums): the calling thread plus
   * `kernelThreads - 1` Node worker threads on the same shared heap, each kernel split into
   * blocks of output rows, tiles or channels (results bitwise those of one thread; kernels
   * under lib/backend/wasm-heap.ts's SPLIT_MIN_WORK stay on one thread). Default 1: the
   * calling thread only. Node only: in a browser our kernels stay on the calling thread.
   */
  readonly kernelThreads?: number;
}

let tempDir: string | undefined;
function scratchDir(): string {
  if (tempDir) return tempDir;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjax-wasm-threads-'));
  tempDir = dir;
  process.once('exit', () => {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort
    }
  });
  return dir;
}

/** Installs the start-up patches (2 and 3 above); returns the function that removes them. */
function installStartupShims(threads: number): () => void {
  const require = createRequire(import.meta.url);
  const dir = scratchDir();
  // The Emscripten glue itself (not the bundler's copy of the factory, whose `require`s are renamed).
  const mainScript = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js') as { wasmWorkerContents: string };
  const workerScript = path.join(dir, 'wasm-threaded-simd.worker.cjs');
  // As tfjs does before making its Blob: the template literal turned "\n" escapes into newlines.
  const body = wasmWorkerContents.replace(/\n/g, '\\n');
  fs.writeFileSync(workerScript, `URL.createObjectURL = () => ${JSON.stringify(mainScript)}; URL.revokeObjectURL = () => {};\n${body}`);
  const nativeCreate = URL.createObjectURL;
  // tfjs's locateFile makes the worker's Blob with this type (the main script's is text/javascript).
  URL.createObjectURL = (obj: Blob) => (obj?.type === 'application/javascript' ? workerScript : nativeCreate.call(URL, obj));
  // `require('os')` inside the glue is this very module object.
  const osModule = require('node:os') as typeof os;
  const nativeCpus = osModule.cpus;
  const want = Math.max(nativeCpus().length, 2 * threads);
  osModule.cpus = () => {
    const real = nativeCpus();
    return Array.from({ length: want }, (_, i) => real[i % Math.max(1, real.length)]);
  };
  return () => {
    URL.createObjectURL = nativeCreate;
    osModule.cpus = nativeCpus;
  };
}

/**
 * Starts tfjax's `wasm` backend with `threads` XNNPACK threads in Node and selects it.
 * Call it instead of `ready()`: if a `wasm` backend of another build or thread count was
 * started already, while no tensor exists yet, this disposes it and starts the one asked
 * for; once tensors exist it throws rather than invalidate them. tfjs's threaded build
 * (shared heap) starts where `threads` or `kernelThreads` is above 1; with both 1, the plain
 * SIMD build (tfjs's default in Node). `kernelThreads` (see {@link WasmThreadsOptions})
 * can be changed by calling again with the same `threads`, tensors or not, once the
 * threaded build runs. Where our kernels do the heavy work (products, convolutions), `threads = 1`
 * with `kernelThreads: 2` is the faster pair: XNNPACK's pool then has no threads of its own
 * to wake for tfjs's small kernels, and none competes with ours for the cores (the MLP step:
 * docs/parallel.md).
 * @example
 * import { enableWasmThreads } from 'tfjax/parallel';
 * await enableWasmThreads(1, { kernelThreads: 2 }); // first thing, e.g. os.availableParallelism()
 */
export async function enableWasmThreads(threads: number, options: WasmThreadsOptions = {}): Promise<WasmThreadsInfo> {
  if (!Number.isInteger(threads) || threads < 1 || threads > 8) throw new Error(`enableWasmThreads: threads must be an integer in [1, 8] (the glue pre-creates 8 workers), got ${String(threads)}`);
  const kernelThreads = options.kernelThreads ?? 1;
  if (!Number.isInteger(kernelThreads) || kernelThreads < 1 || kernelThreads > 16) throw new Error(`enableWasmThreads: options.kernelThreads must be an integer in [1, 16], got ${String(kernelThreads)}`);
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const threaded = threads > 1 || kernelThreads > 1;
  if (tf.engine().registry['wasm']) {
    const have = wasm.getThreadsCount();
    // Our kernels' threads change within the threaded build; only a plain build asked for more restarts.
    if (have === threads && (wasmHeapShared() || !threaded)) {
      await setBackend('wasm');
      return { threads: have, kernelThreads: await startHeapThreads(kernelThreads) };
    }
    const live = tf.memory().numTensors;
    if (live > 0) throw new Error(`enableWasmThreads: the wasm backend already runs ${have} thread(s) (${wasmHeapShared() ? 'threaded' : 'one-thread'} build) and ${live} tensor(s) exist; call enableWasmThreads(${threads}${threaded && threads === 1 ? ', { kernelThreads }' : ''}) before creating tensors`);
    await stopHeapThreads();
    await releaseBackend('wasm');
  }
  wasm.setThreadsCount(threads);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
  const restore = installStartupShims(threads);
  try {
    await setBackend('wasm');
  } finally {
    restore();
  }
  // The glue ref()s a worker when it starts a pthread on it; XNNPACK's pool threads live
  // as long as the backend, so without this the process would never exit by itself.
  const pthreads = (tf.backend() as unknown as { wasm?: { PThread?: { runningWorkers?: { unref?(): void }[] } } }).wasm?.PThread;
  for (const w of pthreads?.runningWorkers ?? []) w.unref?.();
  return { threads: wasm.getThreadsCount(), kernelThreads: await startHeapThreads(kernelThreads) };
}
