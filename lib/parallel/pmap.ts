/**
 * `pmap`, after JAX: the same jitted function in each of `workers` worker threads, each on
 * its slice of the mapped arguments (one entry per worker of their mapped axis), with the
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
import { type CommBuffers, abortComm, createCommBuffers } from './collective.js';
import { type Replica, allAnswers, endWorkers, guardedCalls, moduleHref, startReplicas } from './data-parallel.js';
import { type HostArray, fromHostArray, isHostArray, isLeafLike, toHostArray } from './host.js';
import type { PmapCall, PmapWorkerData } from './pmap-worker.js';
import { type StepTimeout, StepWatchdog } from './watchdog.js';

/** Where the function lives: a module (URL or path) and the name it is exported under. */
export interface PmapTarget {
  readonly module: string | URL;
  readonly name: string;
}

export interface PmapOptions {
  /** The name collectives use for the workers' axis. */
  readonly axisName: string;
  /**
   * Number of workers; mapped arguments have this size on their mapped axis. Default: that
   * size at the first call (as JAX's pmap runs one device per entry of the mapped axis).
   */
  readonly workers?: number;
  /**
   * Per argument (a pytree prefix over the argument list): the axis sliced between the workers
   * (negative counts from the end), or null (every worker gets all of it). Default 0.
   */
  readonly inAxes?: unknown;
  /** Per output (a pytree prefix): the axis the workers' results are stacked on, or null (worker 0's result, for one the same on every worker). Default 0. */
  readonly outAxes?: unknown;
  /** Arguments passed whole to every worker and static under its jit (JAX's static_broadcasted_argnums): numbers, strings, plain objects. */
  readonly staticBroadcastedArgnums?: number | readonly number[];
  /** The workers' backend. Default 'wasm'. */
  readonly backend?: BackendName;
  /** Floats per shared-memory slot (longer arrays go in pieces). Default 2^20. */
  readonly chunk?: number;
  /**
   * When a call counts as stuck (a worker that never answers, e.g. in an endless loop): then
   * the call fails with a one-line error naming the silent workers, and the workers are
   * stopped. Default: 10 x the median call, at least 60 s; 600 s for the first call (see
   * {@link StepWatchdog}), as dataParallel's `stepTimeout`.
   */
  readonly stepTimeout?: StepTimeout;
}

/** A pmapped function: each call resolves to the outputs stacked on a new leading axis (one entry per worker). */
export interface Pmapped {
  (...args: unknown[]): Promise<any>;
  /** The number of workers (0 until the first call when the option was not given). */
  readonly workers: number;
  /** Ends the workers; resolves to the tensors each still held (0 = no leak). */
  close(): Promise<{ leakedTensors: number[] }>;
}

const isAxisLeaf = (x: unknown) => x === null || typeof x === 'number';

/** The axes for a tree's leaves from a pytree prefix of numbers and nulls. */
function axesOf(prefix: unknown, leaves: readonly unknown[], def: tree.TreeDef, what: string): { axes: (number | null)[]; paths: string[] } {
  const shapeOnly = tree.unflatten(def, leaves.map(() => 0));
  return { axes: tree.broadcastPrefix<number | null>(prefix, shapeOnly, what, isAxisLeaf), paths: tree.paths(shapeOnly) };
}

/** A permutation of [0, rank) that moves axis `from` to position `to`. */
function movePerm(rank: number, from: number, to: number): number[] {
  const perm = [...Array(rank).keys()].filter((a) => a !== from);
  perm.splice(to, 0, from);
  return perm;
}

/** A host copy of an array leaf (tensor or host array) with its axis `axis` moved to the front. */
function hostWithAxisFirst(l: tf.Tensor | HostArray, axis: number): HostArray {
  if (axis === 0) return l instanceof tf.Tensor ? toHostArray(l) : l;
  const t = l instanceof tf.Tensor ? l : fromHostArray(l);
  const moved = tf.transpose(t, movePerm(t.rank, axis, 0));
  const h = toHostArray(moved);
  tf.dispose(t === l ? [moved] : [moved, t]);
  return h;
}

/** The leaves of the dynamic (not static) arguments, with their mapped axes normalised (null: not mapped). */
function mappedLeaves(args: unknown[], inAxes: unknown, statics: ReadonlySet<number>) {
  const dynamic = args.filter((_, i) => !statics.has(i));
  // As JAX: inAxes given per argument (a list over all of them) drops the static positions.
  const axesIn = Array.isArray(inAxes) && inAxes.length === args.length && statics.size > 0 ? inAxes.filter((_, i) => !statics.has(i)) : inAxes;
  const [leaves, def] = tree.flatten(dynamic, isLeafLike);
  const { axes, paths } = axesOf(axesIn, leaves, def, 'pmap: inAxes');
  const rankOf = (l: unknown) => (l instanceof tf.Tensor || isHostArray(l) ? l.shape.length : 0);
  const norm = leaves.map((l, i) => {
    const a = axes[i];
    if (a === null) return null;
    const where = `the argument at ${paths[i]}`;
    if (!isLeafLike(l) || rankOf(l) === 0) throw new Error(`pmap: ${where} is mapped (inAxes ${a}) but is not an array with an axis to map`);
    if (!Number.isInteger(a) || a < -rankOf(l) || a >= rankOf(l)) throw new Error(`pmap: inAxes ${a} for ${where} is out of range for its rank ${rankOf(l)}`);
    return a < 0 ? a + rankOf(l) : a;
  });
  return { dynamic, leaves, def, axes: norm, paths };
}

/** The mapped size of the first mapped leaf (null: nothing is mapped). */
function mappedSize(m: ReturnType<typeof mappedLeaves>): number | null {
  const i = m.axes.findIndex((a) => a !== null);
  return i < 0 ? null : (m.leaves[i] as tf.Tensor | HostArray).shape[m.axes[i]!];
}

/** Each worker's argument list: mapped leaves sliced on their mapped axis, the others (and the static arguments) as they are. */
function sliceArgs(args: unknown[], m: ReturnType<typeof mappedLeaves>, statics: ReadonlySet<number>, n: number): unknown[][] {
  const perWorker: unknown[][] = Array.from({ length: n }, () => []);
  m.leaves.forEach((l, i) => {
    const a = m.axes[i];
    if (a === null) return perWorker.forEach((w) => w.push(l instanceof tf.Tensor ? toHostArray(l) : l));
    const size = (l as tf.Tensor | HostArray).shape[a];
    if (size !== n)
      throw new Error(`pmap: the argument at ${m.paths[i]} has ${size} entries on its ${a === 0 ? 'leading axis' : `mapped axis ${a}`}, but there are ${n} workers (one entry each; reshape a batch to [${n}, batch / ${n}, ...])`);
    const h = hostWithAxisFirst(l as tf.Tensor | HostArray, a);
    const row = h.data.length / n;
    perWorker.forEach((w, r) => w.push({ shape: h.shape.slice(1), dtype: h.dtype, data: h.data.slice(r * row, (r + 1) * row) } satisfies HostArray));
  });
  return perWorker.map((w) => {
    const dynamic = tree.unflatten<unknown[]>(m.def, w);
    let k = 0;
    return args.map((a, i) => (statics.has(i) ? a : dynamic[k++]));
  });
}

/** The workers' outputs (host trees of one structure) stacked on each leaf's outAxes (null: worker 0's). */
function stackOutputs(outs: unknown[], outAxes: unknown): unknown {
  const [first, def] = tree.flatten(outs[0], isHostArray);
  const { axes, paths: ps } = axesOf(outAxes, first, def, 'pmap: outAxes');
  const paths = ps.map((p) => (p === '.' ? '' : ` at ${p}`));
  const all = outs.map((o) => tree.leaves(o, isHostArray) as HostArray[]);
  return tree.unflatten(
    def,
    (first as unknown[]).map((l, i) => {
      if (!isHostArray(l)) throw new Error(`pmap: the output${paths[i]} is not an array (the workers return arrays)`);
      if (axes[i] === null) return fromHostArray(l);
      const rank = l.shape.length + 1;
      const at = axes[i]! < 0 ? axes[i]! + rank : axes[i]!;
      if (!Number.isInteger(at) || at < 0 || at >= rank) throw new Error(`pmap: outAxes ${axes[i]} for the output${paths[i]} is out of range for its stacked rank ${rank}`);
      const data = l.dtype === 'float32' ? new Float32Array(l.data.length * outs.length) : l.dtype === 'int32' ? new Int32Array(l.data.length * outs.length) : new Uint8Array(l.data.length * outs.length);
      all.forEach((leaves, r) => data.set(leaves[i].data, r * l.data.length));
      const stacked = tf.tensor(data, [outs.length, ...l.shape], l.dtype);
      if (at === 0) return stacked;
      const moved = tf.transpose(stacked, movePerm(rank, 0, at));
      stacked.dispose();
      return moved;
    }),
  );
}

/**
 * Runs the exported function `target.name` of `target.module` in `opts.workers` worker
 * threads (started on the first call; by default as many as the mapped axis has entries),
 * jitted, with `opts.axisName` bound to the workers. Mapped arguments must have exactly one
 * entry per worker on their mapped axis; outputs come back stacked on `outAxes`. A worker that throws or dies fails the call with its error
 * (the others are released from their collectives), and the group with it.
 */
export function pmap(target: PmapTarget, opts: PmapOptions): Pmapped {
  const given = opts.workers;
  if (given !== undefined && (!Number.isInteger(given) || given < 1)) throw new Error(`pmap: workers must be an integer >= 1, got ${String(given)}`);
  if (typeof opts.axisName !== 'string' || opts.axisName === '') throw new Error(`pmap: axisName must be a non-empty string, got ${JSON.stringify(opts.axisName)}`);
  if (typeof target.name !== 'string' || target.name === '') throw new Error(`pmap: name the exported function to run (target.name), got ${JSON.stringify(target.name)}`);
  const staticArgnums = opts.staticBroadcastedArgnums === undefined ? [] : [opts.staticBroadcastedArgnums].flat();
  if (!staticArgnums.every((i) => Number.isInteger(i) && i >= 0))
    throw new Error(`pmap: staticBroadcastedArgnums must be non-negative integer positions, got ${JSON.stringify(opts.staticBroadcastedArgnums)}`);
  const statics: ReadonlySet<number> = new Set(staticArgnums);
  const module = moduleHref(target.module);
  const watchdog = new StepWatchdog(opts.stepTimeout);
  // The group: its size is known once given or at the first call (the mapped axis's size).
  let n = given ?? 0;
  let comm: CommBuffers | null = given === undefined ? null : createCommBuffers(given, opts.chunk);
  let failure: Error | null = null;
  let closed = false;
  const onFailure = (e: Error) => {
    failure ??= e;
    if (comm) abortComm(comm);
  };
  let replicas: Replica[] = [];
  let started: Promise<void> | null = null;
  const start = async (c: CommBuffers) => {
    const dataOf = (rank: number): PmapWorkerData => ({ rank, comm: c, module, name: target.name, axisName: opts.axisName, backend: opts.backend ?? 'wasm', staticArgnums });
    replicas = await startReplicas(n, dataOf, onFailure, 'pmap-worker');
  };
  /** Every worker's reply; on any failure the root cause (not a worker released by the abort) fails the group. */
  const rootCause = <T>(calls: Promise<T>[]): Promise<T[]> =>
    allAnswers(calls).catch((e: Error) => {
      onFailure(e);
      throw e;
    });
  const callAll = <T>(method: PmapCall['method'], args: (rank: number) => unknown[] | undefined): Promise<T[]> => rootCause(replicas.map((rep, r) => rep.call<T>(method, args(r))));
  const call = async (...args: unknown[]) => {
    if (closed) throw new Error('pmap: the function was closed');
    if (failure) throw failure;
    const m = mappedLeaves(args, opts.inAxes === undefined ? 0 : opts.inAxes, statics);
    if (comm === null) {
      const size = mappedSize(m);
      if (size === null) throw new Error('pmap: no argument is mapped (every inAxes is null); give the number of workers with { workers }');
      if (size < 1) throw new Error('pmap: the mapped axis has size 0; there must be at least one worker');
      n = size;
      comm = createCommBuffers(n, opts.chunk);
    }
    const slices = sliceArgs(args, m, statics, n);
    started ??= start(comm);
    await started;
    const calls = replicas.map((rep, r) => rep.call<unknown>('call', slices[r]));
    const outs = await guardedCalls({ calls, settled: rootCause(calls), watchdog, comm, replicas, onFailure, what: 'the call' });
    return stackOutputs(outs, opts.outAxes === undefined ? 0 : opts.outAxes);
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
      if (comm) await endWorkers(comm, replicas);
    }
    return { leakedTensors: leaked };
  };
  return Object.defineProperty(Object.assign(call, { close }), 'workers', { get: () => n, enumerable: true }) as Pmapped;
}
