/**
 * `pmap`, after JAX: the same jitted function in each of `workers` worker threads, each on
 * its slice of the mapped arguments (their leading axis, one entry per worker), with the
 * collectives over `axisName` (psum, pmean, pmax, allGather, axisIndex, ...) exchanged
 * through shared memory ({@link Communicator}). Reductions add in worker order on every
 * worker, so all workers get bitwise the same result (replicated parameters never drift).
 *
 * Functions cannot cross to a worker: name the module that exports it and the export.
 *
 * ```ts
 * // step.ts
 * export function step(params, batch) {
 *   const [loss, g] = valueAndGrad(lossFn)(params, batch, 'workers');
 *   return { loss: pmean(loss, 'workers'), params: sgd(params, pmean(g, 'workers')) };
 * }
 * // main.ts
 * const step = pmap({ module: new URL('./step.ts', import.meta.url), name: 'step' },
 *                   { axisName: 'workers', workers: 2, inAxes: [null, 0] });
 * const { loss, params } = await step(params, np.reshape(batch, [2, -1, ...rest]));   // leading axis 2
 * await step.close();
 * ```
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../backend/index.js';
import * as tree from '../tree/index.js';
import { ABORTED, type CommBuffers, abortComm, createCommBuffers } from './collective.js';
import { type Replica, endWorkers, moduleHref, startReplicas } from './data-parallel.js';
import { type HostArray, isHostArray, isLeafLike, toHostArray } from './host.js';
import type { PmapCall, PmapWorkerData } from './pmap-worker.js';

/** Where the function lives: a module (URL or path) and the name it is exported under. */
export interface PmapTarget {
  readonly module: string | URL;
  readonly name: string;
}

export interface PmapOptions {
  /** The name collectives use for the workers' axis. */
  readonly axisName: string;
  /** Number of workers (default 2); mapped arguments have this size on their leading axis. */
  readonly workers?: number;
  /** Per argument (a pytree prefix over the argument list): 0 (sliced on the leading axis) or null (every worker gets all of it). Default 0. */
  readonly inAxes?: unknown;
  /** The workers' backend. Default 'wasm'. */
  readonly backend?: BackendName;
  /** Floats per shared-memory slot (longer arrays go in pieces). Default 2^20. */
  readonly chunk?: number;
}

/** A pmapped function: each call resolves to the outputs stacked on a new leading axis (one entry per worker). */
export interface Pmapped {
  (...args: unknown[]): Promise<any>;
  readonly workers: number;
  /** Ends the workers; resolves to the tensors each still held (0 = no leak). */
  close(): Promise<{ leakedTensors: number[] }>;
}

const isAxisLeaf = (x: unknown) => x === null || typeof x === 'number';

/** Each worker's argument list: mapped leaves sliced on their leading axis, the others as they are. */
function sliceArgs(args: unknown[], inAxes: unknown, n: number): unknown[][] {
  const [leaves, def] = tree.flatten(args, isLeafLike);
  const shapeOnly = tree.unflatten(def, leaves.map(() => 0));
  const axes = tree.broadcastPrefix<number | null>(inAxes, shapeOnly, 'pmap: inAxes', isAxisLeaf);
  const paths = tree.paths(shapeOnly);
  const perWorker: unknown[][] = Array.from({ length: n }, () => []);
  leaves.forEach((l, i) => {
    const where = `the argument at ${paths[i]}`;
    if (axes[i] !== null && axes[i] !== 0) throw new Error(`pmap: inAxes ${axes[i]} for ${where}: pmap maps the leading axis (0) or nothing (null)`);
    const h = l instanceof tf.Tensor ? toHostArray(l) : l;
    if (axes[i] === null) return perWorker.forEach((w) => w.push(h));
    if (!isHostArray(h) || h.shape.length === 0) throw new Error(`pmap: ${where} is mapped (inAxes 0) but is not an array with a leading axis`);
    if (h.shape[0] !== n)
      throw new Error(`pmap: ${where} has ${h.shape[0]} entries on its leading axis, but there are ${n} workers (one entry each; reshape a batch to [${n}, batch / ${n}, ...])`);
    const row = h.data.length / n;
    perWorker.forEach((w, r) => w.push({ shape: h.shape.slice(1), dtype: h.dtype, data: h.data.slice(r * row, (r + 1) * row) } satisfies HostArray));
  });
  return perWorker.map((w) => tree.unflatten<unknown[]>(def, w));
}

/** The workers' outputs (host trees of one structure) stacked into tensors on a new leading axis. */
function stackOutputs(outs: unknown[]): unknown {
  const [first, def] = tree.flatten(outs[0], isHostArray);
  const all = outs.map((o) => tree.leaves(o, isHostArray) as HostArray[]);
  return tree.unflatten(
    def,
    (first as HostArray[]).map((h, i) => {
      const data = h.dtype === 'float32' ? new Float32Array(h.data.length * outs.length) : h.dtype === 'int32' ? new Int32Array(h.data.length * outs.length) : new Uint8Array(h.data.length * outs.length);
      all.forEach((leaves, r) => data.set(leaves[i].data, r * h.data.length));
      return tf.tensor(data, [outs.length, ...h.shape], h.dtype);
    }),
  );
}

/**
 * Runs the exported function `target.name` of `target.module` in `opts.workers` worker
 * threads (started on the first call), jitted, with `opts.axisName` bound to the workers.
 * Mapped arguments must have exactly `workers` entries on their leading axis; outputs come
 * back stacked the same way. A worker that throws or dies fails the call with its error
 * (the others are released from their collectives), and the group with it.
 */
export function pmap(target: PmapTarget, opts: PmapOptions): Pmapped {
  const n = opts.workers ?? 2;
  if (!Number.isInteger(n) || n < 1) throw new Error(`pmap: workers must be an integer >= 1, got ${String(n)}`);
  if (typeof opts.axisName !== 'string' || opts.axisName === '') throw new Error(`pmap: axisName must be a non-empty string, got ${JSON.stringify(opts.axisName)}`);
  if (typeof target.name !== 'string' || target.name === '') throw new Error(`pmap: name the exported function to run (target.name), got ${JSON.stringify(target.name)}`);
  const comm: CommBuffers = createCommBuffers(n, opts.chunk);
  const module = moduleHref(target.module);
  let failure: Error | null = null;
  let closed = false;
  const onFailure = (e: Error) => {
    failure ??= e;
    abortComm(comm);
  };
  let replicas: Replica[] = [];
  let started: Promise<void> | null = null;
  const start = async () => {
    const dataOf = (rank: number): PmapWorkerData => ({ rank, comm, module, name: target.name, axisName: opts.axisName, backend: opts.backend ?? 'wasm' });
    replicas = await startReplicas(n, dataOf, onFailure, 'pmap-worker');
  };
  /** Every worker's reply; on any failure the root cause (not a worker released by the abort) fails the group. */
  const callAll = async <T>(method: PmapCall['method'], args: (rank: number) => unknown[] | undefined): Promise<T[]> => {
    const settled = await Promise.allSettled(replicas.map((rep, r) => rep.call<T>(method, args(r))));
    const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
    if (errors.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
    const root = errors.find((e) => !e.message.includes(ABORTED)) ?? errors[0];
    onFailure(root);
    throw root;
  };
  const call = async (...args: unknown[]) => {
    if (closed) throw new Error('pmap: the function was closed');
    if (failure) throw failure;
    const slices = sliceArgs(args, opts.inAxes === undefined ? 0 : opts.inAxes, n);
    started ??= start();
    await started;
    return stackOutputs(await callAll<unknown>('call', (r) => slices[r]));
  };
  const close = async () => {
    if (closed) return { leakedTensors: [] };
    closed = true;
    let leaked: number[] = [];
    try {
      if (started && !failure) {
        await started;
        leaked = await callAll<number>('close', () => undefined);
      }
    } finally {
      await endWorkers(comm, replicas);
    }
    return { leakedTensors: leaked };
  };
  return Object.assign(call, { workers: n, close });
}
