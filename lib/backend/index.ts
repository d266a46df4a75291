/**
 * Backend selection for tfjax.
 *
 * tfjax runs on TensorFlow.js kernels; this module picks which tfjs backend executes
 * them. Backends are registered lazily, by dynamic import, the first time they are
 * asked for, so importing tfjax loads neither the WASM binary nor WebGPU. Nothing
 * starts at import: call `await ready()` (the default, wasm) or `await setBackend(name)`
 * before computing, as with tfjs's wasm backend.
 *
 * - `cpu`: plain JavaScript kernels (`@tensorflow/tfjs-backend-cpu`).
 * - `wasm`: XNNPACK kernels in WebAssembly (`@tensorflow/tfjs-backend-wasm`); the
 *   default in Node. SIMD is used when available; tfjs disables WASM threads in Node.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` on the browser's `navigator.gpu` (page
 *   or Worker), or in Node on Dawn (the optional `webgpu` npm package, loaded by ./node.ts).
 *   Without a GPU, Dawn can use a software Vulkan device (SwiftShader, shipped by
 *   Debian's `chromium` package); see {@link webgpuAvailable}.
 *
 * On `webgpu` read results with `await t.data()` / `await t.array()`: `dataSync()`
 * and `arraySync()` fail in Node for GPU-resident tensors (tfjs falls back to an
 * `OffscreenCanvas`, which Node lacks).
 *
 * Usage:
 * ```ts
 * await setBackend('cpu'); // or just `await ready()` for the default (wasm)
 * getBackend();            // 'cpu'
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import { findBrowserGpu, type GpuHandle, type GpuLike, type WebGpuStatus } from './webgpu.js';

export type { WebGpuStatus } from './webgpu.js';
export { relaxedSimdAvailable } from './wasm-relaxed.js';

/** The backends tfjax can select. */
export type BackendName = 'wasm' | 'cpu' | 'webgpu';

/** The backends tfjax can select, in no particular order. */
export const BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

/** The backend {@link ready} selects when {@link setBackend} was never called. */
export const DEFAULT_BACKEND: BackendName = 'wasm';

/** The binaries of `@tensorflow/tfjs-backend-wasm` (in its `dist/` folder). */
export type WasmBinary = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/** Where the wasm binaries are: a URL prefix ending in `/`, or a URL per binary. */
export type WasmPaths = string | Partial<Record<WasmBinary, string>>;

/**
 * What differs between a browser and Node. The browser's is the default; importing
 * `./node.ts` (tfjax's Node entry does) installs Node's: Dawn for WebGPU, the wasm
 * binaries from node_modules, and Emscripten's process listeners removed.
 */
export interface BackendPlatform {
  /** Finds a WebGPU adapter, or says why there is none. */
  findGpu(): Promise<{ handle?: GpuHandle; reason?: string }>;
  /** Makes `gpu` the `navigator.gpu` that tfjs's WebGPU backend looks for (nothing to do in a browser). */
  installGpu(gpu: GpuLike): void;
  /** Undoes {@link BackendPlatform.installGpu}. */
  removeGpu(): void;
  /** Where the wasm binaries are when {@link setWasmPaths} was not called (undefined: next to the page). */
  defaultWasmPaths(): WasmPaths | undefined;
  /** Runs `start`, which initializes the wasm backend. */
  startWasm(start: () => Promise<boolean>): Promise<boolean>;
}

const browserPlatform: BackendPlatform = {
  findGpu: findBrowserGpu,
  installGpu: () => undefined,
  removeGpu: () => undefined,
  defaultWasmPaths: () => undefined,
  startWasm: (start) => start(),
};

let platform: BackendPlatform = browserPlatform;

/** Installs the platform hooks (./node.ts does, for Node). */
export function setPlatform(p: BackendPlatform): void {
  platform = p;
}

type Factory = NonNullable<ReturnType<typeof tf.findBackendFactory>>;

const PRIORITY: Record<BackendName, number> = { cpu: 1, wasm: 2, webgpu: 3 };

/** Factories of backends that were removed by {@link releaseBackend}, to re-register them. */
const savedFactories = new Map<BackendName, Factory>();
let userWasmPaths: WasmPaths | undefined;
let selected: BackendName | undefined;
/** Serializes setBackend/ready/releaseBackend calls. */
let queue: Promise<unknown> = Promise.resolve();

function enqueue<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => undefined);
  return run;
}

function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && (BACKENDS as readonly string[]).includes(name);
}

/**
 * Says where the wasm backend loads its binary from (`@tensorflow/tfjs-backend-wasm`'s
 * `dist/*.wasm`): a URL prefix ending in `/`, or one URL per binary. Call it before the
 * wasm backend starts. Without it, a browser loads the binaries from the page's folder
 * and Node from node_modules.
 * @example
 * setWasmPaths('/assets/tfjs-wasm/'); // holds tfjs-backend-wasm-simd.wasm, ...
 * await ready();
 */
export function setWasmPaths(paths: WasmPaths): void {
  const ok = typeof paths === 'string' ? paths.endsWith('/') : paths !== null && typeof paths === 'object' && Object.values(paths).every((v) => typeof v === 'string');
  if (!ok) throw new Error(`tfjax: setWasmPaths expects a URL prefix ending in '/' or an object of URLs per .wasm file, got ${JSON.stringify(paths)}`);
  if (tf.engine().registry['wasm']) throw new Error('tfjax: setWasmPaths must be called before the wasm backend starts (before ready() or setBackend(\'wasm\'))');
  userWasmPaths = paths;
}

/** The binary tfjs picks for this environment (flags registered by tfjs-backend-wasm). */
async function wasmBinary(): Promise<WasmBinary> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
  return simd && threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
}

/** The URL (or Node path) the wasm backend loads its binary from. */
async function wasmBinaryUrl(paths: WasmPaths | undefined): Promise<string> {
  const file = await wasmBinary();
  if (paths && typeof paths === 'object' && paths[file]) return paths[file];
  const href = (globalThis as { location?: { href?: string } }).location?.href;
  const prefix = typeof paths === 'string' ? paths : href ? new URL('./', href).href : '';
  return new URL(prefix + file, href ?? undefined).href;
}

async function registerCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
}

async function registerWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
}

/** The wasm paths in effect: the user's, else the platform's default. */
function wasmPaths(): WasmPaths | undefined {
  return userWasmPaths ?? platform.defaultWasmPaths();
}

/** Selects the wasm backend, first pointing tfjs at the binaries when it has not started yet. */
async function startWasm(): Promise<boolean> {
  if (tf.engine().registry['wasm']) return tf.setBackend('wasm');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const paths = wasmPaths();
  if (paths !== undefined) {
    try {
      wasm.setWasmPaths(paths);
    } catch {
      // tfjs refuses once its module is initialized: the paths no longer matter
    }
  }
  return platform.startWasm(() => tf.setBackend('wasm'));
}

/** Why the wasm backend did not start, naming the binary's URL. */
async function wasmFailure(): Promise<string> {
  const url = await wasmBinaryUrl(wasmPaths());
  return (
    `tfjax: failed to initialize the wasm backend with its binary ${url} (see the warning above): serve the .wasm files of ` +
    `@tensorflow/tfjs-backend-wasm/dist there, or call setWasmPaths('<URL of their folder>/') before ready()`
  );
}

async function registerWebgpu(): Promise<void> {
  const { handle, reason } = await platform.findGpu();
  if (!handle) throw new Error(`tfjax: cannot use the webgpu backend: ${reason}`);
  platform.installGpu(handle.gpu);
  const mod = await import('@tensorflow/tfjs-backend-webgpu');
  if (!tf.findBackendFactory('webgpu')) {
    // The tfjs module was imported earlier while navigator.gpu was missing, so it did
    // not register itself: register an equivalent factory on the adapter found above.
    const factory: Factory = async () => {
      const nav = (globalThis as { navigator?: { gpu?: { requestAdapter(o?: object): Promise<unknown> } } }).navigator;
      const adapter = (await nav?.gpu?.requestAdapter({ powerPreference: 'high-performance' })) as {
        limits: Record<string, number>;
        info?: unknown;
        requestDevice(d: object): Promise<unknown>;
      } | null;
      if (!adapter) throw new Error('tfjs webgpu: no adapter');
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l['maxComputeWorkgroupStorageSize'],
          maxComputeWorkgroupsPerDimension: l['maxComputeWorkgroupsPerDimension'],
          maxStorageBufferBindingSize: l['maxStorageBufferBindingSize'],
          maxBufferSize: l['maxBufferSize'],
          maxComputeWorkgroupSizeX: l['maxComputeWorkgroupSizeX'],
          maxComputeInvocationsPerWorkgroup: l['maxComputeInvocationsPerWorkgroup'],
        },
      });
      const Backend = mod.WebGPUBackend as unknown as new (device: unknown, info: unknown) => tf.KernelBackend;
      return new Backend(device, adapter.info);
    };
    tf.registerBackend('webgpu', factory, PRIORITY.webgpu);
  }
}

/** Registers `name` with tfjs (importing its package on first use). */
async function ensureRegistered(name: BackendName): Promise<void> {
  const saved = savedFactories.get(name);
  if (name === 'webgpu') {
    if (tf.findBackendFactory('webgpu')) return;
    if (saved) {
      // Re-registering after releaseBackend(): navigator.gpu must be back first.
      const { handle, reason } = await platform.findGpu();
      if (!handle) throw new Error(`tfjax: cannot use the webgpu backend: ${reason}`);
      platform.installGpu(handle.gpu);
      tf.registerBackend(name, saved, PRIORITY[name]);
      return;
    }
    await registerWebgpu();
    return;
  }
  if (tf.findBackendFactory(name)) return;
  if (saved) {
    tf.registerBackend(name, saved, PRIORITY[name]);
    return;
  }
  if (name === 'cpu') await registerCpu();
  else await registerWasm();
  if (!tf.findBackendFactory(name)) throw new Error(`tfjax: importing the ${name} backend did not register it`);
}

async function doSetBackend(name: BackendName): Promise<void> {
  await ensureRegistered(name);
  let ok: boolean;
  try {
    ok = name === 'wasm' ? await startWasm() : await tf.setBackend(name);
  } catch (e) {
    throw new Error(`tfjax: failed to initialize the ${name} backend: ${(e as Error)?.message ?? e}`);
  }
  if (!ok) throw new Error(name === 'wasm' ? await wasmFailure() : `tfjax: failed to initialize the ${name} backend (see the warning above)`);
  await tf.ready();
  if (name === 'cpu') {
    // Silence tfjs-backend-cpu's one-time "install tfjs-node" banner: tfjax chooses its
    // backends deliberately.
    const cpu = tf.engine().registry['cpu'] as { firstUse?: boolean } | undefined;
    if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
  }
  selected = name;
}

/**
 * Selects the tfjs backend that tfjax runs on and waits until it is initialized.
 * Registers the backend on first use (dynamic import).
 *
 * For `'webgpu'` in Node this loads Dawn and, without a GPU, falls back to
 * SwiftShader (see {@link webgpuAvailable}); it throws an Error saying why when no
 * WebGPU adapter can be found. On webgpu read tensors with `await t.data()`.
 *
 * @throws Error for an unknown name, or when the backend cannot be initialized.
 */
export function setBackend(name: BackendName): Promise<void> {
  if (!isBackendName(name)) {
    return Promise.reject(new Error(`tfjax: unknown backend '${String(name)}' (expected one of ${BACKENDS.join(', ')})`));
  }
  return enqueue(() => doSetBackend(name));
}

/**
 * Waits until the current backend is initialized. When no backend is active it
 * initializes the one last passed to {@link setBackend}, or {@link DEFAULT_BACKEND}
 * (`wasm`) if there was none. Call it once before running tfjax computations.
 */
export function ready(): Promise<void> {
  return enqueue(async () => {
    const active = tf.getBackend() as string | undefined | null;
    if (active) {
      // A backend is already active (through setBackend, or tfjs directly): keep it.
      if (isBackendName(active)) selected = active;
      await tf.ready();
      return;
    }
    await doSetBackend(selected ?? DEFAULT_BACKEND);
  });
}

/**
 * Name of the backend tfjs is executing on (`'cpu'`, `'wasm'` or `'webgpu'`). Before
 * any backend is initialized it returns the name that {@link ready} will pick.
 * Never initializes anything.
 */
export function getBackend(): string {
  const active = tf.getBackend() as string | undefined | null;
  return active || selected || DEFAULT_BACKEND;
}

/**
 * Name of the backend tfjax was asked to use: the last {@link setBackend} argument,
 * or {@link DEFAULT_BACKEND} if there was none. Handy for labels in tests and
 * benchmarks; it does not look at tfjs.
 */
export function backendName(): BackendName {
  return selected ?? DEFAULT_BACKEND;
}

/**
 * Probes for a WebGPU adapter (loading Dawn in Node, with the SwiftShader fallback),
 * without registering or selecting the backend. Test suites use it to skip with the
 * printed `reason` when WebGPU is unavailable.
 */
export async function webgpuAvailable(): Promise<WebGpuStatus> {
  if (tf.engine().registry['webgpu']) return { ok: true }; // already initialized
  const { handle, reason } = await platform.findGpu();
  return handle ? { ok: true, adapter: handle.description } : { ok: false, reason };
}

/**
 * Disposes backends and the resources that keep a Node process alive (a live WebGPU
 * device and `navigator.gpu`). With a name, releases only that backend; without one,
 * releases every registered tfjax backend and forgets the selection. Tensors on a
 * released backend become invalid. A later {@link setBackend} re-creates the backend.
 */
export function releaseBackend(name?: BackendName): Promise<void> {
  if (name !== undefined && !isBackendName(name)) {
    return Promise.reject(new Error(`tfjax: unknown backend '${String(name)}'`));
  }
  return enqueue(async () => {
    const names = name ? [name] : [...BACKENDS];
    for (const n of names) {
      const factory = tf.findBackendFactory(n);
      if (!factory) continue;
      savedFactories.set(n, factory);
      const instance = tf.engine().registry[n] as (tf.KernelBackend & { device?: { destroy?(): void } }) | undefined;
      const device = n === 'webgpu' ? instance?.device : undefined;
      tf.removeBackend(n);
      try {
        device?.destroy?.();
      } catch {
        // already destroyed
      }
      if (n === 'webgpu') platform.removeGpu();
      if (selected === n) selected = undefined;
    }
    if (!name) selected = undefined;
  });
}
