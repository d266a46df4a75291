/**
 * WebGPU in Node through Dawn (the `webgpu` npm package, an optional dependency of
 * tfjax: `npm install webgpu` where it was left out). Node only; a browser has
 * `navigator.gpu` (./webgpu.ts).
 *
 * Dawn reaches the GPU through Vulkan on Linux. On a machine without a GPU it can
 * still find a software Vulkan device: Debian's `chromium` package ships Google's
 * SwiftShader ICD (`/usr/lib/chromium/vk_swiftshader_icd.json`) together with a
 * Vulkan loader (`/usr/lib/chromium/libvulkan.so.1`). This module:
 *
 * - makes sure Dawn can load a Vulkan loader (`libvulkan.so.1`): if none is on the
 *   system library path, the copy that sits next to the ICD is preloaded, so that
 *   Dawn's `dlopen("libvulkan.so.1")` finds it by its soname;
 * - points `VK_ICD_FILENAMES` at SwiftShader when no adapter is found otherwise
 *   (or straight away when the system has no Vulkan loader of its own) and the
 *   caller did not set `VK_ICD_FILENAMES` / `VK_DRIVER_FILES` itself;
 * - installs `navigator.gpu` (keeping other `navigator` fields) and removes it again.
 *
 * Nothing here imports `webgpu` statically: the native module is only loaded when
 * WebGPU is asked for.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { requestAdapter, type GpuHandle, type GpuLike } from './webgpu.js';

/** Debian chromium's SwiftShader Vulkan ICD. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

type DawnModule = { create(options: string[]): unknown; globals: object };

let dawn: DawnModule | undefined;
let vulkanPrepared: { systemLoader: boolean; note?: string } | undefined;

const RTLD_NOW = 2;
const RTLD_GLOBAL = 0x100;
/** glibc's RTLD_NODELETE: node's process.dlopen() dlclose()s a library that is not an addon. */
const RTLD_NODELETE = 0x1000;

/**
 * dlopen() a shared library that is not a Node addon, keeping it loaded.
 * Returns true when the library could be loaded.
 */
function preloadSharedLibrary(file: string): boolean {
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, file, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    return true; // not expected: it is not an addon
  } catch (e) {
    // Loaded fine, then rejected as "not an addon": the library stays mapped (RTLD_NODELETE).
    return /did not self-register/i.test(String((e as Error)?.message));
  }
}

function icdEnvSet(): boolean {
  return !!(process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES']);
}

/** The ICD JSON that would be used as a software fallback, if present. */
function fallbackIcd(): string | undefined {
  return existsSync(SWIFTSHADER_ICD) ? SWIFTSHADER_ICD : undefined;
}

/** Makes a Vulkan loader loadable by Dawn (Linux only); idempotent. */
function prepareVulkan(): { systemLoader: boolean; note?: string } {
  if (vulkanPrepared) return vulkanPrepared;
  if (process.platform !== 'linux') return (vulkanPrepared = { systemLoader: true });
  // Is there a Vulkan loader on the ordinary library path?
  if (preloadSharedLibrary('libvulkan.so.1')) return (vulkanPrepared = { systemLoader: true });
  // No: use the loader shipped next to the ICD (chromium ships both in /usr/lib/chromium).
  const icd = process.env['VK_ICD_FILENAMES']?.split(':')[0] || process.env['VK_DRIVER_FILES']?.split(':')[0] || fallbackIcd();
  const candidates = [icd && join(dirname(icd), 'libvulkan.so.1'), '/usr/lib/chromium/libvulkan.so.1'];
  for (const c of candidates) {
    if (c && existsSync(c) && preloadSharedLibrary(c)) return (vulkanPrepared = { systemLoader: false });
  }
  return (vulkanPrepared = {
    systemLoader: false,
    note: 'no Vulkan loader (libvulkan.so.1) found; install Debian `libvulkan1` or `chromium`',
  });
}

async function loadDawn(): Promise<DawnModule> {
  if (!dawn) {
    const mod = (await import('webgpu')) as unknown as DawnModule;
    // GPUBufferUsage, GPUMapMode, ... are globals in a browser; tfjs uses them.
    Object.assign(globalThis, mod.globals);
    dawn = mod;
  }
  return dawn;
}

function noAdapterReason(note?: string): string {
  const icd = process.env['VK_ICD_FILENAMES'] || process.env['VK_DRIVER_FILES'];
  return (
    'no WebGPU adapter found (Dawn found no usable GPU' +
    (icd ? ` with VK_ICD_FILENAMES/VK_DRIVER_FILES=${icd}` : '') +
    '). ' +
    (note ? note + '. ' : '') +
    'Without a GPU, set VK_ICD_FILENAMES to a Vulkan ICD such as the SwiftShader one shipped by Debian chromium (' +
    SWIFTSHADER_ICD +
    '; `apt-get install chromium`).'
  );
}

/**
 * Finds a WebGPU adapter through Dawn, falling back to SwiftShader when possible.
 * Returns the GPU object and adapter, or the reason why there is none.
 */
export async function findGpu(): Promise<{ handle?: GpuHandle; reason?: string }> {
  let mod: DawnModule;
  try {
    mod = await loadDawn();
  } catch (e) {
    return { reason: `cannot load the 'webgpu' (Dawn) package for ${process.platform}-${process.arch} (an optional dependency: \`npm install webgpu\`): ${(e as Error)?.message ?? e}` };
  }
  const userIcd = icdEnvSet();
  const fallback = fallbackIcd();
  const vk = prepareVulkan();
  // Without a system loader, the only Vulkan device reachable is the fallback ICD: use it at once.
  if (!userIcd && !vk.systemLoader && fallback) process.env['VK_ICD_FILENAMES'] = fallback;
  try {
    let handle = await requestAdapter(mod.create([]) as GpuLike);
    if (!handle && !userIcd && vk.systemLoader && fallback && !process.env['VK_ICD_FILENAMES']) {
      // A system Vulkan loader but no hardware device: retry with SwiftShader.
      process.env['VK_ICD_FILENAMES'] = fallback;
      handle = await requestAdapter(mod.create([]) as GpuLike);
    }
    return handle ? { handle } : { reason: noAdapterReason(vk.note) };
  } catch (e) {
    return { reason: `WebGPU adapter request failed: ${(e as Error)?.message ?? e}` };
  }
}

type NavigatorState = { had: boolean; value: unknown };
let savedNavigator: NavigatorState | undefined;

/**
 * Sets `globalThis.navigator.gpu` (creating `navigator` if needed, keeping any other fields).
 * tfjs's WebGPU backend looks for `navigator.gpu` when it is imported and when it is created.
 */
export function installNavigatorGpu(gpu: GpuLike): void {
  const g = globalThis as { navigator?: unknown };
  if (!savedNavigator) savedNavigator = { had: 'navigator' in g, value: g.navigator };
  const current = g.navigator;
  if (current && typeof current === 'object') {
    try {
      Object.defineProperty(current, 'gpu', { value: gpu, configurable: true, writable: true, enumerable: true });
      if ((current as { gpu?: unknown }).gpu === gpu) return;
    } catch {
      // frozen or exotic navigator: replace it below
    }
  }
  const copy: Record<string, unknown> = {};
  if (current && typeof current === 'object') {
    for (const k in current) {
      try {
        copy[k] = (current as Record<string, unknown>)[k];
      } catch {
        // ignore getters that throw
      }
    }
  }
  copy['gpu'] = gpu;
  Object.defineProperty(globalThis, 'navigator', { value: copy, configurable: true, writable: true, enumerable: true });
}

/** Drops the `navigator.gpu` reference installed by {@link installNavigatorGpu}. */
export function removeNavigatorGpu(): void {
  const g = globalThis as { navigator?: unknown };
  const nav = g.navigator as { gpu?: unknown } | undefined;
  if (nav && typeof nav === 'object' && Object.prototype.hasOwnProperty.call(nav, 'gpu')) {
    try {
      delete nav.gpu;
    } catch {
      // ignore
    }
  }
  if (savedNavigator) {
    const { had, value } = savedNavigator;
    if (g.navigator !== value) {
      if (had) Object.defineProperty(globalThis, 'navigator', { value, configurable: true, writable: true, enumerable: true });
      else delete g.navigator;
    }
    savedNavigator = undefined;
  }
}
