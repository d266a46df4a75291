/**
 * Backend selection for tfjax.
 *
 * tfjax runs on TensorFlow.js kernels; this module picks which tfjs backend executes
 * them. Backends are registered lazily, by dynamic import, the first time they are
 * asked for, so importing tfjax loads neither the WASM binary nor WebGPU (Dawn).
 *
 * - `cpu`: plain JavaScript kernels (`@tensorflow/tfjs-backend-cpu`).
 * - `wasm`: XNNPACK kernels in WebAssembly (`@tensorflow/tfjs-backend-wasm`); the
 *   default in Node. SIMD is used when available; tfjs disables WASM threads in Node.
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` on Dawn (the `webgpu` npm package).
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
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { findGpu, installNavigatorGpu, removeNavigatorGpu, type WebGpuStatus } from './webgpu-node.js';

export type { WebGpuStatus } from './webgpu-node.js';

/** The backends tfjax can select. */
export type BackendName = 'wasm' | 'cpu' | 'webgpu';

/** The backends tfjax can select, in no particular order. */
export const BACKENDS: readonly BackendName[] = ['cpu', 'wasm', 'webgpu'];

/** The backend {@link ready} selects when {@link setBackend} was never called. */
export const DEFAULT_BACKEND: BackendName = 'wasm';

type Factory = NonNullable<ReturnType<typeof tf.findBackendFactory>>;

const PRIORITY: Record<BackendName, number> = { cpu: 1, wasm: 2, webgpu: 3 };

/** Factories of backends that were removed by {@link releaseBackend}, to re-register them. */
const savedFactories = new Map<BackendName, Factory>();
let wasmPathsSet = false;
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

/** Directory of the tfjs WASM binaries in node_modules, with a trailing slash. */
function wasmDirectory(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')) + '/';
}

async function registerCpu(): Promise<void> {
  await import('@tensorflow/tfjs-backend-cpu');
}

async function registerWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (!wasmPathsSet && typeof process !== 'undefined' && process.versions?.node) {
    // Point the loader at node_modules explicitly, so that bundled or relocated
    // copies of the JS still find the binaries (setWasmPaths throws once initialized).
    try {
      wasm.setWasmPaths(wasmDirectory());
    } catch {
      // already initialized: the paths no longer matter
    }
    wasmPathsSet = true;
  }
}

async function registerWebgpu(): Promise<void> {
  const { handle, reason } = await findGpu();
  if (!handle) throw new Error(`tfjax: cannot use the webgpu backend: ${reason}`);
  installNavigatorGpu(handle.gpu);
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
      const { handle, reason } = await findGpu();
      if (!handle) throw new Error(`tfjax: cannot use the webgpu backend: ${reason}`);
      installNavigatorGpu(handle.gpu);
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
    ok = await tf.setBackend(name);
  } catch (e) {
    throw new Error(`tfjax: failed to initialize the ${name} backend: ${(e as Error)?.message ?? e}`);
  }
  if (!ok) throw new Error(`tfjax: failed to initialize the ${name} backend (see the warning above)`);
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
  const { handle, reason } = await findGpu();
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
      if (n === 'webgpu') removeNavigatorGpu();
      if (selected === n) selected = undefined;
    }
    if (!name) selected = undefined;
  });
}
