/**
 * WebGPU adapters, as tfjax's backend selection sees them: the structural types of the few
 * WebGPU API parts used, and the browser's `navigator.gpu` (page or Worker). Nothing here
 * imports Node; Dawn (Node's WebGPU) lives in ./webgpu-node.ts.
 */

/** Minimal structural types for the parts of the WebGPU API used here. */
export interface GpuLike {
  requestAdapter(options?: object): Promise<AdapterLike | null>;
}
export interface AdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string };
}

/** Result of probing for WebGPU: `ok`, or the reason why not. */
export interface WebGpuStatus {
  ok: boolean;
  /** why WebGPU is unavailable (when `ok` is false) */
  reason?: string;
  /** a description of the adapter found (when `ok` is true), e.g. `google swiftshader` */
  adapter?: string;
}

/** A GPU object with a usable adapter. */
export interface GpuHandle {
  gpu: GpuLike;
  adapter: AdapterLike;
  /** A short description of the adapter, e.g. `google swiftshader (vulkan)`. */
  description: string;
}

/** Asks `gpu` for its high-performance adapter; undefined when it has none. */
export async function requestAdapter(gpu: GpuLike): Promise<GpuHandle | undefined> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) return undefined;
  const i = adapter.info ?? {};
  const kind = [i.vendor, i.architecture].filter((s) => s).join('/');
  const description = (i.description || i.device || 'unknown adapter') + (kind ? ` (${kind})` : '');
  return { gpu, adapter, description };
}

/** The page's or Worker's `navigator.gpu`, if the browser has WebGPU. */
export function navigatorGpu(): GpuLike | undefined {
  return (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu ?? undefined;
}

/** Finds an adapter through `navigator.gpu` (a browser page or Worker). */
export async function findBrowserGpu(): Promise<{ handle?: GpuHandle; reason?: string }> {
  const gpu = navigatorGpu();
  if (!gpu) return { reason: 'this environment has no navigator.gpu (WebGPU is off or unsupported here; in Node import tfjax\'s node entry, which loads Dawn)' };
  try {
    const handle = await requestAdapter(gpu);
    return handle ? { handle } : { reason: 'navigator.gpu.requestAdapter() found no adapter' };
  } catch (e) {
    return { reason: `WebGPU adapter request failed: ${(e as Error)?.message ?? e}` };
  }
}
