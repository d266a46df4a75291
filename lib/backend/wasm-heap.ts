/**
 * Our own kernels on the tfjs wasm backend's heap: a generated WebAssembly module (see
 * wasm-emit.ts) that imports the backend's memory and reads and writes tensors where
 * they live, registered as a tfjs kernel so that tensors, memory accounting and
 * profiling work as for tfjs's own.
 *
 * A kernel is generated per geometry (shapes and attributes as immediates), compiled
 * once and cached; its function takes one pointer per input, then one per output, then
 * one to its scratch memory if it asks for any, then (a splittable kernel) its part and
 * the count of parts (wasm-split.ts).
 *
 * Threads: on tfjs's threaded build the heap is a shared memory; where a pool of threads
 * sharing it is installed ({@link setHeapThreadPool}, Node: heap-threads-node.ts), a
 * splittable kernel big enough to pay ({@link SPLIT_MIN_WORK}) runs its parts on the
 * calling thread and the pool at once, each part with its own scratch memory. A kernel
 * without scratch memory is cut into more parts than threads ({@link CLAIMED_PARTS_PER_THREAD}),
 * which the threads claim one after another (a thread that the OS deschedules then holds up
 * only the part it is in); a kernel with scratch runs one part per thread.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FunctionBuilder } from './wasm-emit.js';
import { moduleBytes } from './wasm-module.js';
import { relaxedMultiplyAdd } from './wasm-relaxed.js';

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
  /**
   * A splittable kernel: its count of independent blocks of work, and its work (multiply-adds
   * or element operations, compared with {@link SPLIT_MIN_WORK}); its function then takes
   * (part, parts) after the other parameters and does only that part's blocks.
   */
  split?(inputs: readonly (readonly number[])[], attrs: A): { readonly units: number; readonly work: number };
  /**
   * Whether the kernel only moves 32-bit words (loads and stores, no arithmetic): it then
   * takes int32 inputs as well as float32 ones (all of one dtype), and its outputs have theirs.
   */
  movesWords?(attrs: A): boolean;
  /** The kernel: params (input pointers..., output pointers..., scratch?, part?, parts?), all i32. */
  generate(inputs: readonly (readonly number[])[], attrs: A): FunctionBuilder;
}

/** One split kernel call handed to a {@link HeapThreadPool}. */
export interface HeapJob {
  /** Input and output pointers. */
  readonly args: readonly number[];
  /** Part k's scratch pointer is scratch + k * scratchStride (bytes); null: no scratch. */
  readonly scratch: number | null;
  readonly scratchStride: number;
  readonly parts: number;
  /** true: every thread claims the next unclaimed part (Atomics.add on a shared counter) until all are taken (no scratch then); false: as `assignment`. */
  readonly claim: boolean;
  /** Without `claim`: the part each thread runs, the calling thread's first (normally 0, 1, ..., parts - 1). */
  readonly assignment: readonly number[];
}

/** Threads that share the heap and run parts of a kernel with the calling thread. */
export interface HeapThreadPool {
  readonly memory: WebAssembly.Memory;
  /** Threads that run parts, the calling thread included. */
  readonly threads: number;
  /** Runs the job's parts on the pool and the calling thread (`here(part)`, assignment[0] or the parts it claims); returns when all are done, throws a one-line error if one failed. */
  run(module: WebAssembly.Module, job: HeapJob, here: (part: number) => void): void;
}

let pool: HeapThreadPool | null = null;

/** Installs (or with null removes) the pool that splittable kernels use on its memory. */
export function setHeapThreadPool(p: HeapThreadPool | null): void {
  pool = p;
}

/** Threads that our splittable kernels run on now (1: the calling thread only). */
export function heapKernelThreads(): number {
  const memory = backendHeap();
  return pool && memory === pool.memory ? pool.threads : 1;
}

/**
 * Below this much work (multiply-adds) a kernel runs on the calling thread alone. Measured
 * with bench/heap-threads.ts (2-core EPYC, Node 20, under load 8): the split's fixed cost
 * (waking the worker, waiting for it) was within 0-10 us, and one thread runs a 3x3
 * convolution at about 25 G multiply-adds/s, so 2 parts save more than they cost above
 * about 2 x 10 us x 25 G/s = 5e5 multiply-adds. Every convolution of the SwAV ConvNet
 * (batch 256) and ResNet-18 (batch 64) steps is over 1e7.
 */
export const SPLIT_MIN_WORK = 5e5;

/**
 * Parts per thread of a kernel without scratch memory (at most its units), claimed by the
 * threads as they come free: with 2 threads, a thread descheduled for a while leaves the
 * other 15 of 16 parts to take instead of half the work. A part costs a call into the
 * module and an Atomics.add (well under 1 us) and each part stays above ~3e4 multiply-adds.
 */
export const CLAIMED_PARTS_PER_THREAD = 8;

interface Split {
  readonly parts: number;
  readonly claim: boolean;
  readonly assignment: readonly number[];
}
/** Forces every splittable kernel into `parts` parts run in this assignment or claimed (tests: splits of any size, and broken ones), or null. */
let forcedSplit: Split | null = null;

/**
 * For tests and bench/heap-threads.ts: split every splittable kernel into `parts` parts (ignoring {@link SPLIT_MIN_WORK}),
 * thread k running part assignment[k] (default 0..parts-1), or with `claim` (a kernel
 * without scratch memory) each thread claiming the next part until all are taken; on the
 * pool where it has enough threads (any number with `claim`), else one part after another
 * on the calling thread. null: back to normal.
 */
export function forceHeapSplit(split: { parts: number; assignment?: readonly number[]; claim?: boolean } | null): void {
  forcedSplit = split && { parts: split.parts, claim: split.claim ?? false, assignment: split.assignment ?? Array.from({ length: split.parts }, (_, k) => k) };
}

/** The parts of tfjs-backend-wasm's BackendWasm used here. */
interface WasmBackendLike {
  /** The Emscripten module: its heap is `asm.memory` (exported), or `wasmMemory` in the threaded build (imported, shared). */
  wasm: { asm?: { memory?: WebAssembly.Memory }; wasmMemory?: WebAssembly.Memory };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32' | 'int32'): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

/** Whether heap kernels can run now: the active backend is wasm and exposes its heap, and modules compile synchronously. */
export function heapKernelsAvailable(): boolean {
  return tf.getBackend() === 'wasm' && heapOf(tf.backend() as unknown as WasmBackendLike) !== null && syncCompileAllowed();
}

/** The active wasm backend's heap, or null (another backend, or a build that hides it). */
export function backendHeap(): WebAssembly.Memory | null {
  return tf.getBackend() === 'wasm' ? heapOf(tf.backend() as unknown as WasmBackendLike) : null;
}

/** Whether the registered `wasm` backend (if any) is tfjs's threaded build: its heap is shared memory. */
export function wasmHeapShared(): boolean {
  const backend = tf.engine().registry['wasm'] as unknown as WasmBackendLike | undefined;
  const memory = backend && heapOf(backend);
  return !!memory && isShared(memory);
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

/** tfjs's threaded build shares its heap between threads. */
const isShared = (memory: WebAssembly.Memory) => typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

type Run = (...pointers: number[]) => void;
const modules = new Map<string, WebAssembly.Module>();
const instances = new WeakMap<WebAssembly.Memory, Map<string, Run>>();

/** How a call is split: one part, or parts run (or claimed) by the pool, or (forced, no pool) run in turn. */
function splitOf(split: { units: number; work: number } | undefined, memory: WebAssembly.Memory, scratch: boolean): (Split & { pooled: boolean }) | null {
  if (!split) return null;
  const usable = pool && pool.memory === memory ? pool : null;
  if (forcedSplit) {
    if (forcedSplit.claim && scratch) throw new Error('forceHeapSplit: parts are claimed only by kernels without scratch memory');
    return { ...forcedSplit, pooled: !!usable && (forcedSplit.claim || forcedSplit.assignment.length <= usable.threads) };
  }
  const threads = usable && split.work >= SPLIT_MIN_WORK ? Math.min(usable.threads, split.units) : 1;
  const claim = threads > 1 && !scratch;
  const parts = claim ? Math.min(split.units, threads * CLAIMED_PARTS_PER_THREAD) : threads;
  return { parts, claim, assignment: Array.from({ length: parts }, (_, k) => k), pooled: threads > 1 };
}

/**
 * The attribute that carries a caller's shape for a kernel's first result (of the same size as
 * the kernel's own): the result made in that shape costs no reshape (a kernel launch and its
 * bookkeeping, at every step of a loop). Not the kernel's attribute: kept out of its key.
 */
const RESULT_SHAPE = 'tfjaxResultShape';

/**
 * Runs a heap kernel on float32 tensors of the wasm backend (check {@link heapKernelsAvailable}
 * first); its first output, in `shape` if given (the same number of elements as the kernel's).
 */
export function runHeapKernel<A extends object>(kernel: HeapKernel<A>, inputs: readonly tf.Tensor[], attrs: A, shape?: readonly number[]): tf.Tensor {
  const out = runHeapKernelOutputs(kernel, inputs, attrs, shape);
  return out[0]!;
}

/** Runs a heap kernel; all its outputs (the first in `shape`, if given). */
export function runHeapKernelOutputs<A extends object>(kernel: HeapKernel<A>, inputs: readonly tf.Tensor[], attrs: A, shape?: readonly number[]): tf.Tensor[] {
  if (tf.getKernel(kernel.name, 'wasm') === undefined) {
    tf.registerKernel({ kernelName: kernel.name, backendName: 'wasm', kernelFunc: ((args: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: A }) => execute(kernel, args)) as unknown as tf.KernelFunc });
  }
  const dtype = kernel.movesWords?.(attrs) && inputs[0]?.dtype === 'int32' ? 'int32' : 'float32';
  inputs.forEach((t, i) => {
    if (t.dtype !== dtype) throw new Error(`${kernel.name}: input ${i} is ${t.dtype}, expected ${dtype}`);
  });
  const named = Object.fromEntries(inputs.map((t, i) => [`in${i}`, t]));
  const all = shape ? { ...attrs, [RESULT_SHAPE]: shape } : attrs;
  const out = tf.engine().runKernel(kernel.name, named, all as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}

function execute<A>(kernel: HeapKernel<A>, { inputs, backend, attrs: given }: { inputs: Record<string, tf.TensorInfo>; backend: WasmBackendLike; attrs: A }): tf.TensorInfo | tf.TensorInfo[] {
  const ins = Object.keys(inputs)
    .sort((a, b) => Number(a.slice(2)) - Number(b.slice(2)))
    .map((k) => inputs[k]!);
  const shapes = ins.map((t) => t.shape);
  const { [RESULT_SHAPE]: resultShape, ...own } = given as A & { [RESULT_SHAPE]?: number[] };
  const attrs = own as A;
  const outShapes = [kernel.outShape(shapes, attrs), ...(kernel.extraOutShapes?.(shapes, attrs) ?? [])];
  if (resultShape) {
    if (tf.util.sizeFromShape(resultShape) !== tf.util.sizeFromShape(outShapes[0]!)) throw new Error(`${kernel.name}: result shape [${resultShape}] for a result of shape [${outShapes[0]}]`);
    outShapes[0] = resultShape;
  }
  const memory = heapOf(backend);
  if (!memory) throw new Error(`${kernel.name}: the tfjs wasm backend does not expose its memory`);
  const scratchFloats = kernel.scratchFloats?.(shapes, attrs) ?? 0;
  const split = splitOf(kernel.split?.(shapes, attrs), memory, scratchFloats > 0);
  const outs = outShapes.map((s) => backend.makeOutput(s, ins[0]?.dtype === 'int32' ? 'int32' : 'float32'));
  const ptr = (t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId).memoryOffset;
  outs.forEach((out, k) => {
    const initial = kernel.initial(attrs, k);
    if (initial !== null) new Float32Array(memory.buffer, ptr(out), tf.util.sizeFromShape(outShapes[k]!)).fill(initial);
  });
  const parts = split?.parts ?? 1;
  const scratch = scratchFloats > 0 ? backend.makeOutput([scratchFloats * parts], 'float32') : null;
  if (scratch) new Float32Array(memory.buffer, ptr(scratch), scratchFloats * parts).fill(0);
  const key = `${kernel.name} ${JSON.stringify(shapes)} ${JSON.stringify(attrs)} ${isShared(memory) ? 'shared' : ''} ${relaxedMultiplyAdd() ? 'fused' : ''}`;
  let byKey = instances.get(memory);
  if (!byKey) instances.set(memory, (byKey = new Map()));
  let mod = modules.get(key);
  if (!mod) modules.set(key, (mod = new WebAssembly.Module(moduleBytes([{ name: 'run', fn: kernel.generate(shapes, attrs) }], { sharedMemory: isShared(memory) }))));
  let run = byKey.get(key);
  if (!run) byKey.set(key, (run = new WebAssembly.Instance(mod, { env: { memory } }).exports.run as Run));
  const args = [...ins.map(ptr), ...outs.map(ptr)];
  const scratchAt = (part: number) => (scratch ? [ptr(scratch) + part * scratchFloats * 4] : []);
  try {
    if (!split) run(...args, ...scratchAt(0));
    else if (split.pooled) {
      const job: HeapJob = { args, scratch: scratch && ptr(scratch), scratchStride: scratchFloats * 4, parts, claim: split.claim, assignment: split.assignment };
      pool!.run(mod, job, (part) => run(...args, ...scratchAt(part), part, parts));
    } else for (const part of split.assignment) run(...args, ...scratchAt(part), part, parts);
  } catch (e) {
    outs.forEach((o) => backend.disposeData(o.dataId, true));
    throw new Error(`${kernel.name}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    if (scratch) backend.disposeData(scratch.dataId, true);
  }
  return outs.length === 1 ? outs[0]! : outs;
}
