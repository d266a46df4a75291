/**
 * A pool of Node `worker_threads` that run parts of our heap kernels (wasm-heap.ts) on
 * tfjs's threaded build's shared heap: each worker instantiates the same compiled kernel
 * modules against the same shared `WebAssembly.Memory`, and a call runs part 0 on the
 * calling thread while the workers run the others.
 *
 * Synchronisation is one Int32Array on a SharedArrayBuffer: the caller writes the job,
 * bumps GEN and notifies; each worker runs its part (or none) and decrements PENDING; the
 * caller `Atomics.wait`s for PENDING to reach 0 (Node's main thread may block). Both sides
 * first spin for up to {@link SPIN_MS} (a step's next kernel comes tens of microseconds
 * after the last, and a sleeping thread's wake-up costs about as much as a small kernel),
 * then sleep. A job's
 * parts go as its assignment says, or (claimed) each thread, the caller included, takes
 * the next part with Atomics.add on NEXT until none is left. Every
 * worker acknowledges every job, so the next job is never written while a worker still
 * reads the last. Modules reach a worker on its MessagePort, read synchronously with
 * `receiveMessageOnPort` when a job names one the worker has not instantiated yet.
 *
 * Workers are `unref()`ed (they never keep the process alive) and stopped by
 * {@link stopHeapThreads}. An exception in a worker (a trap, a failed instantiation)
 * comes back as the call's one-line error; a worker that dies is reported the same way.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { type HeapJob, type HeapThreadPool, backendHeap, setHeapThreadPool } from './wasm-heap.js';

/** Control block slots. */
const GEN = 0;
const PENDING = 1;
const STOP = 2;
const FAILED = 3;
const MODULE = 4;
const PARTS = 5;
const NARGS = 6;
const SCRATCH = 7; // -1: none
const SCRATCH_STRIDE = 8;
const CLAIM = 9; // 1: parts are claimed through NEXT
const NEXT = 10;
const ASSIGN = 16; // the part of executor k (-1: none); executor 0 is the calling thread
const ARGS = 32;
const MAX_ARGS = 32;

/** How long a waiting thread polls the control block before it sleeps in `Atomics.wait`, ms. */
export const SPIN_MS = 0.5;

/** The worker: a plain script (no imports of ours), so that it starts the same under tsx and from compiled JavaScript. */
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
const { control, memory, port, index } = workerData;
const ctrl = new Int32Array(control);
const runs = new Map();
const fail = (message) => {
  port.postMessage(message.split('\\n')[0]);
  Atomics.store(ctrl, ${FAILED}, 1);
};
process.on('exit', () => {
  if (Atomics.load(ctrl, ${STOP})) return;
  fail('heap kernel thread ' + index + ' exited');
  Atomics.store(ctrl, ${PENDING}, 0);
  Atomics.notify(ctrl, ${PENDING});
});
function runOf(id) {
  for (const deadline = Date.now() + 10000; !runs.has(id); ) {
    const got = receiveMessageOnPort(port);
    if (got) runs.set(got.message.id, new WebAssembly.Instance(got.message.module, { env: { memory } }).exports.run);
    else if (Date.now() > deadline) throw new Error('kernel module ' + id + ' never arrived');
  }
  return runs.get(id);
}
port.postMessage('ready');
const spin = (slot, value) => {
  for (let i = 1, until = performance.now() + ${SPIN_MS}; Atomics.load(ctrl, slot) === value; i++) if ((i & 255) === 0 && performance.now() > until) return;
};
for (let seen = 0; ; ) {
  spin(${GEN}, seen);
  Atomics.wait(ctrl, ${GEN}, seen);
  const gen = Atomics.load(ctrl, ${GEN});
  if (gen === seen) continue;
  seen = gen;
  if (Atomics.load(ctrl, ${STOP})) break;
  const parts = ctrl[${PARTS}];
  const claim = ctrl[${CLAIM}] === 1;
  let part = claim ? Atomics.add(ctrl, ${NEXT}, 1) : ctrl[${ASSIGN} + index];
  if (part >= 0 && part < parts) {
    try {
      const args = Array.from(ctrl.subarray(${ARGS}, ${ARGS} + ctrl[${NARGS}]));
      const scratch = ctrl[${SCRATCH}];
      const run = runOf(ctrl[${MODULE}]);
      if (!claim) run(...args, ...(scratch === -1 ? [] : [scratch + part * ctrl[${SCRATCH_STRIDE}]]), part, parts);
      else for (; part < parts; part = Atomics.add(ctrl, ${NEXT}, 1)) run(...args, part, parts);
    } catch (e) {
      fail('heap kernel thread ' + index + ': ' + String(e && e.message ? e.message : e));
    }
  }
  if (Atomics.sub(ctrl, ${PENDING}, 1) === 1) Atomics.notify(ctrl, ${PENDING});
}
`;

/** Polls `ctrl[slot]` while it holds `value`, for at most {@link SPIN_MS} (the worker's loop has its own copy). */
function spinWhile(ctrl: Int32Array, slot: number, value: number): void {
  for (let i = 1, until = performance.now() + SPIN_MS; Atomics.load(ctrl, slot) === value; i++) if ((i & 255) === 0 && performance.now() > until) return;
}

interface Member {
  readonly worker: Worker;
  /** Our end of its channel: modules go out, failures come back. */
  readonly port: MessagePort;
  readonly hasModule: Set<number>;
}

class NodeHeapThreads implements HeapThreadPool {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer((ARGS + MAX_ARGS) * 4));
  private readonly members: Member[] = [];
  private readonly moduleIds = new WeakMap<WebAssembly.Module, number>();
  private nextId = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly threads: number,
  ) {}

  /** Starts the workers and waits until each runs its loop. */
  async start(): Promise<void> {
    const started = Array.from({ length: this.threads - 1 }, (_, i) => {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { control: this.ctrl.buffer, memory: this.memory, port: port2, index: i + 1 }, transferList: [port2] });
      worker.unref();
      port1.unref();
      this.members.push({ worker, port: port1, hasModule: new Set() });
      return new Promise<void>((resolve, reject) => {
        port1.once('message', () => resolve());
        worker.once('error', (e: Error) => reject(new Error(`heap kernel threads: a worker failed to start: ${e.message}`)));
      });
    });
    try {
      await Promise.all(started);
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  run(module: WebAssembly.Module, job: HeapJob, here: (part: number) => void): void {
    const { ctrl } = this;
    if (job.args.length > MAX_ARGS) throw new Error(`heap kernel threads: ${job.args.length} pointers, at most ${MAX_ARGS}`);
    if (job.claim && job.scratch !== null) throw new Error('heap kernel threads: claimed parts cannot have scratch memory');
    if (!job.claim && job.assignment.length > this.threads) throw new Error(`heap kernel threads: ${job.assignment.length} parts for ${this.threads} threads`);
    let id = this.moduleIds.get(module);
    if (id === undefined) this.moduleIds.set(module, (id = this.nextId++));
    this.members.forEach((m, i) => {
      if ((job.claim || i + 1 < job.assignment.length) && !m.hasModule.has(id)) {
        m.port.postMessage({ id, module });
        m.hasModule.add(id);
      }
    });
    ctrl[MODULE] = id;
    ctrl[PARTS] = job.parts;
    ctrl[NARGS] = job.args.length;
    job.args.forEach((a, i) => (ctrl[ARGS + i] = a));
    ctrl[SCRATCH] = job.scratch ?? -1;
    ctrl[SCRATCH_STRIDE] = job.scratchStride;
    ctrl[CLAIM] = job.claim ? 1 : 0;
    ctrl[NEXT] = 0;
    for (let k = 1; k < this.threads; k++) ctrl[ASSIGN + k] = job.assignment[k] ?? -1;
    Atomics.store(ctrl, FAILED, 0);
    Atomics.store(ctrl, PENDING, this.threads - 1);
    Atomics.add(ctrl, GEN, 1);
    Atomics.notify(ctrl, GEN);
    let hereError: unknown = null;
    try {
      if (!job.claim) here(job.assignment[0]!);
      else for (let part = Atomics.add(ctrl, NEXT, 1); part < job.parts; part = Atomics.add(ctrl, NEXT, 1)) here(part);
    } catch (e) {
      hereError = e;
    }
    // The workers write the outputs: wait for them even when the calling thread's part failed.
    for (let left = Atomics.load(ctrl, PENDING); left !== 0; left = Atomics.load(ctrl, PENDING)) {
      spinWhile(ctrl, PENDING, left);
      Atomics.wait(ctrl, PENDING, left);
    }
    if (hereError !== null) throw hereError;
    if (Atomics.load(ctrl, FAILED)) {
      const messages = this.members.map((m) => receiveMessageOnPort(m.port)?.message as string | undefined).filter((s) => s !== undefined);
      throw new Error(messages[0] ?? 'heap kernel threads: a worker failed');
    }
  }

  /** Ends the workers' loops and terminates them. */
  async stop(): Promise<void> {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    await Promise.all(this.members.map((m) => m.worker.terminate()));
    this.members.forEach((m) => m.port.close());
    this.members.length = 0;
  }
}

let current: NodeHeapThreads | null = null;

/**
 * Runs our splittable heap kernels on `threads` threads (the calling thread and
 * `threads - 1` workers) on the wasm backend's shared heap; with `threads = 1`, or where
 * the heap is not shared (tfjs's one-thread build), on the calling thread only. Replaces
 * any pool started before. Returns the threads the kernels now use.
 */
export async function startHeapThreads(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1 || threads > 16) throw new Error(`heap kernel threads: threads must be an integer in [1, 16], got ${String(threads)}`);
  const memory = backendHeap();
  if (current && current.memory === memory && current.threads === threads) return threads;
  await stopHeapThreads();
  if (threads === 1 || !memory || !(memory.buffer instanceof SharedArrayBuffer)) return 1;
  const pool = new NodeHeapThreads(memory, threads);
  await pool.start();
  current = pool;
  setHeapThreadPool(pool);
  return threads;
}

/** Stops the pool's workers (our kernels run on the calling thread again). */
export async function stopHeapThreads(): Promise<void> {
  const pool = current;
  if (!pool) return;
  current = null;
  setHeapThreadPool(null);
  await pool.stop();
}
