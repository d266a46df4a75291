/**
 * Our own kernels on the tfjs wasm backend's heap: a generated WebAssembly module (see
 * wasm-emit.ts) that imports the backend's memory and reads and writes tensors where
 * they live, registered as a tfjs kernel so that tensors, memory accounting and
 * profiling work as for tfjs's own.
 *
 * A kernel is generated per geometry (shapes and attributes as immediates), compiled
 * once and cached; its function takes one pointer per input, then one per output, then
 * one to its scratch memory if it asks for any.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder, moduleBytes } from './wasm-emit.js';

export interface HeapKernel<A> {
  /** The tfjs kernel name (registered for backend `wasm` on first use). */
  readonly name: string;
  /** The output's shape; throws a clear error for inputs the kernel does not take. */
  outShape(inputs: readonly (readonly number[])[], attrs: A): number[];
  /** Shapes of further outputs, if the kernel has any. */
  extraOutShapes?(inputs: readonly (readonly number[])[], attrs: A): number[][];
  /** Float32 elements of zeroed scratch memory the kernel needs (its pointer comes after the outputs'), if any. */
  scratchFloats?(inputs: readonly (readonly number[])[], attrs: A): number;
  /** The value output `k` must start as (the generated code accumulates into it, or skips parts), or null. */
  initial(attrs: A, k: number): number | null;
  /** The kernel: params (input pointers..., output pointers...), all i32. */
  generate(inputs: readonly (readonly number[])[], attrs: A): FunctionBuilder;
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  /** The Emscripten module: its heap is `asm.memory` (exported), or `wasmMemory` in the threaded build (imported, shared). */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Whether heap kernels can run now: the active backend is wasm and exposes its heap, and modules compile synchronously. */
export function heapKernelsAvailable(): boolean {
  return tf.getBackend() === 'wasm' && heapOf(tf.backend() as unknown as WasmBackendLike) !== null && syncCompileAllowed();
}

function heapOf(backend: WasmBackendLike): WebAssembly.Memory | null {
  const memory = backend.wasm?.asm?.memory ?? backend.wasm?.wasmMemory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

let syncCompile: boolean | undefined;
/**
 * Whether `new WebAssembly.Module` (synchronous compilation) works here. Chromium 156
 * refuses it on a page's main thread only for binaries over 8 MB (our kernels are a few
 * KB), but an embedder may be stricter; where it fails, tfjs's own kernels are used.
 * Probed once with a binary of a few KB.
 */
function syncCompileAllowed(): boolean {
  if (syncCompile === undefined) {
    const f = new FunctionBuilder([], []);
    for (let i = 0; i < 1200; i++) f.i32Const(i).drop();
    try {
      new WebAssembly.Module(moduleBytes([{ name: 'probe', fn: f }]));
      syncCompile = true;
    } catch {
      syncCompile = false;
    }
  }
  return syncCompile;
}

/** tfjs's threaded build shares its heap between threads (our kernels run on the calling thread). */
const isShared = (memory: WebAssembly.Memory) => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

type Run = (...pointers: number[]) => void;
const modules = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, Run>>();

/** Runs a heap kernel on float32 tensors of the wasm backend (check {@link heapKernelsAvailable} first); its first output. */
export function runHeapKernel<A extends object>(kernel: HeapKernel<A>, inputs: readonly tf.Tensor[], attrs: A): tf.Tensor {
  const out = runHeapKernelOutputs(kernel, inputs, attrs);
  return out[0]!;
}

/** Runs a heap kernel; all its outputs. */
export function runHeapKernelOutputs<A extends object>(kernel: HeapKernel<A>, inputs: readonly tf.Tensor[], attrs: A): tf.Tensor[] {
  if (tf.getKernel(kernel.name, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: kernel.name, backendName: 'wasm', kernelFunc: ((args: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: A }) => execute(kernel, args)) as unknown as tf.KernelFunc });
  }
  inputs.forEach((t, i) => {
    if (t.dtype !== 'float32') throw new Error(`${kernel.name}: input ${i} is ${t.dtype}, expected float32`);
  });
  const named = Object.fromEntries(inputs.map((t, i) => [`in${i}`, t]));
  const out = tf.engine().runKernel(kernel.name, named, attrs as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

function execute<A>(kernel: HeapKernel<A>, { inputs, backend, attrs }: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: A }): tf.TensorInfo | tf.TensorInfo[] {
  const ins = Object.keys(inputs)
    .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))
    .map((k) => inputs[k]!);
  const shapes = ins.map((t) => t.shape);
  const outShapes = [kernel.outShape(shapes, attrs), ...(kernel.extraOutShapes?.(shapes, attrs) ?? [])];
  const memory = heapOf(backend);
  if (!memory) throw new Error(`${kernel.name}: the tfjs wasm backend does not expose its memory`);
  const outs = outShapes.map((s) => backend.makeOutput(s, 'float32'));
  const ptr = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
  outs.forEach((out, k) => {
    const initial = kernel.initial(attrs, k);
    if (initial !== null) new Float32Array(memory.buffer, ptr(out), tf.util.sizeFromShape(outShapes[k]!)).fill(initial);
  });
  const scratchFloats = kernel.scratchFloats?.(shapes, attrs) ?? 0;
  const scratch = scratchFloats > 0 ? backend.makeOutput([scratchFloats], 'float32') : null;
  if (scratch) new Float32Array(memory.buffer, ptr(scratch), scratchFloats).fill(0);
  const key = `${kernel.name} ${JSON.stringify(shapes)} ${JSON.stringify(attrs)} ${isShared(memory) ? 'shared' : ''}`;
  let byKey = instances.get(memory);
  if (!byKey) instances.set(memory, (byKey = new Map()));
  let run = byKey.get(key);
  if (!run) {
    let mod = modules.get(key);
    if (!mod) modules.set(key, (mod = new WebAssembly.Module(moduleBytes([{ name: 'run', fn: kernel.generate(shapes, attrs) }], { sharedMemory: isShared(memory) }))));
    run = new WebAssembly.Instance(mod, { env: { memory } }).exports.run as Run;
    byKey.set(key, run);
  }
  run(...ins.map(ptr), ...outs.map(ptr), ...(scratch ? [ptr(scratch)] : []));
  if (scratch) backend.disposeData(scratch.dataId, true);
  return outs.length === 1 ? outs[0]! : outs;
}
