/**
 * Data-parallel training over `worker_threads`: `workers` replicas, each with its own
 * tfjs backend (one wasm thread each), each running the jitted gradient phase of a
 * {@link DataParallelProgram} on its shard of the batch; gradients, metrics and state
 * statistics are averaged through a SharedArrayBuffer all-reduce, and every replica
 * applies the same optimiser update. The main thread only splits batches and waits.
 *
 * ```ts
 * const dp = await dataParallel({ workers: 2, module: new URL('./swav-replica.ts', import.meta.url), arg: { lr: 0.1 } });
 * for (const batch of batches) {
 *   const { metrics } = await dp.step({ view1, view2 }); // split along axis 0 into 2 shards
 * }
 * const { params, state } = await dp.read();               // host arrays (rank 0's copy)
 * await dp.close();                                        // workers exit; reports leaked tensors
 * ```
 */
import { Worker } from 'node:worker_threads';
import { type BackendName } from '../backend/index.js';
import { ABORTED, type CommBuffers, abortComm, createCommBuffers } from './collective.js';
import { type HostArray, shardBatch, transferables } from './host.js';
import type { StepReport, StepTimings } from './program.js';
import { type StepTimeout, StepWatchdog } from './watchdog.js';
import type { CallMessage, ReplyMessage, WorkerData } from './worker.js';

export interface DataParallelOptions {
  /** The replica module (a file URL, or a path): its default export is a {@link defineReplica} factory. */
  readonly module: string | URL;
  /** Number of replicas (worker threads). Default 2. */
  readonly workers?: number;
  /** Passed to the factory in every worker (structured-cloneable). */
  readonly arg?: unknown;
  /** The workers' backend. Default 'wasm'. */
  readonly backend?: BackendName;
  /** Floats per all-reduce slot (longer arrays go in pieces). Default 2^20 (4 MiB). */
  readonly chunk?: number;
  /**
   * When a step (or `grads`) counts as stuck: then the group fails with an error naming the
   * workers that did not answer, and the workers are stopped. Default: 10 x the median step,
   * at least 60 s; 600 s for the first step (see {@link StepWatchdog}).
   */
  readonly stepTimeout?: StepTimeout;
}

export interface DataParallelStep {
  /** Averaged metrics of the step (identical on every replica). */
  readonly metrics: Record<string, number | number[]>;
  /** Per replica: where its time went. */
  readonly timings: readonly StepTimings[];
}

/** What {@link DataParallel.read} returns. */
export interface DataParallelVariables {
  readonly params: unknown;
  readonly state: unknown;
  readonly optState: unknown;
  /** Every replica's own state, by rank (`states[0]` is `state`). */
  readonly states: unknown[];
}

export interface DataParallel {
  readonly workers: number;
  /** One training step: the batch (a tree of tensors or host arrays) is split along axis 0. */
  step(batch: unknown): Promise<DataParallelStep>;
  /** The averaged gradients and metrics of a batch, without an update (rank 0's copy). */
  grads(batch: unknown): Promise<{ grads: unknown; metrics: Record<string, HostArray> }>;
  /**
   * Host copies of the parameters, state and optimiser state (rank 0's), and `states`: every
   * replica's own state, by rank (they differ where a program keeps state per replica, e.g. a
   * queue of its shard's rows), so that `load(await read())` resumes the run exactly.
   */
  read(): Promise<DataParallelVariables>;
  /**
   * Replaces parameters / state / optimiser state on every replica (host arrays or tensors),
   * or each replica's state from `states` (one per worker, by rank; it takes precedence over
   * `state`). Values that do not fit the replicas' trees (structure, shapes, dtypes) are
   * rejected with a one-line error naming the leaf, and nothing changes.
   */
  load(values: { params?: unknown; state?: unknown; optState?: unknown; states?: readonly unknown[] }): Promise<void>;
  /** Live tensors in each worker. */
  memory(): Promise<number[]>;
  /** Frees every replica and ends the workers; resolves to the tensors each worker still held afterwards (0 = no leak). */
  close(): Promise<{ leakedTensors: number[] }>;
}

const TS_EXT = /\.(c|m)?tsx?$/;
/** After a step's time limit, how long the workers get to answer the abort before those silent count as stuck. */
const STUCK_GRACE_MS = 1000;

/** A module given as a URL or a path (relative to the working directory), as an href. */
export function moduleHref(m: string | URL): string {
  if (m instanceof URL) return m.href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(m)) return m;
  return new URL(m, `file://${process.cwd()}/`).href;
}

/** What every worker entry receives (its `workerData`): at least its rank and the module it imports. */
export type WorkerStart = Pick<WorkerData, 'rank' | 'module'> & Readonly<Record<string, unknown>>;

/**
 * Starts a worker entry of this folder (`worker` for replicas, `pmap-worker` for pmap);
 * TypeScript sources (tests, tsx) get tsx's loader registered first.
 */
export function startWorker(data: WorkerStart, entryName = 'worker'): Worker {
  const here = import.meta.url;
  const entry = new URL(`./${entryName}${TS_EXT.test(here) ? '.ts' : '.js'}`, here).href;
  if (!TS_EXT.test(entry) && !TS_EXT.test(data.module)) return new Worker(new URL(entry), { workerData: data });
  let tsxApi: string;
  try {
    tsxApi = import.meta.resolve('tsx/esm/api');
  } catch {
    throw new Error(`parallel: ${data.module} is TypeScript: worker threads need tsx to load it (npm i -D tsx), or compile it to JavaScript`);
  }
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: data });
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
}

/** The main thread's handle on one worker: calls by id, failures (error, exit, fatal start) reject what is pending. */
export class Replica {
  readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  readonly ready: Promise<void>;
  failure: Error | null = null;
  exited: Promise<number>;

  constructor(
    data: WorkerStart,
    private readonly onFailure: (e: Error) => void,
    entryName?: string,
  ) {
    this.worker = startWorker(data, entryName);
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    let readyResolve!: () => void;
    let readyReject!: (e: Error) => void;
    this.ready = new Promise<void>((res, rej) => {
      readyResolve = res;
      readyReject = rej;
    });
    const fail = (e: Error) => {
      if (!this.failure) this.failure = e;
      readyReject(e);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
      this.updateRef();
      this.onFailure(e);
    };
    let started = false;
    this.worker.on('message', (msg: ReplyMessage) => {
      if (msg.type === 'ready') {
        started = true;
        readyResolve();
      }
      else if (msg.type === 'fatal') fail(remoteError(`worker ${data.rank} failed to start`, msg.error));
      else {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        this.updateRef();
        if (msg.ok) p.resolve(msg.result);
        else p.reject(remoteError(`worker ${data.rank}`, msg.error));
      }
    });
    this.worker.on('error', (e: Error) => fail(new Error(`parallel: worker ${data.rank} crashed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => {
      if (this.pending.size) fail(new Error(`parallel: worker ${data.rank} exited (code ${code}) with calls pending`));
      // Exited while starting: its 'fatal' message (the reason) may still be on its way, so
      // give it a turn of the event loop; without this, nothing would settle `ready` and an
      // otherwise idle process would exit while dataParallel() is still waiting.
      else if (!started) setImmediate(() => fail(new Error(`parallel: worker ${data.rank} failed to start: it exited (code ${code}) before it was ready`)));
    });
  }

  /** Keeps the process alive only while a call is pending (or the worker is starting). */
  updateRef(): void {
    if (this.pending.size) this.worker.ref();
    else this.worker.unref();
  }

  call<T>(method: string, arg?: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.updateRef();
      this.worker.postMessage({ id, method, arg }, transfer);
    });
  }
}

/**
 * Starts `n` workers of entry `entryName` and waits until each is ready.
 * @throws the first failure to start (every worker is stopped then).
 */
export async function startReplicas(n: number, dataOf: (rank: number) => WorkerStart, onFailure: (e: Error) => void, entryName?: string): Promise<Replica[]> {
  const replicas = Array.from({ length: n }, (_, rank) => new Replica(dataOf(rank), onFailure, entryName));
  replicas.forEach((r) => r.worker.ref());
  try {
    await Promise.all(replicas.map((r) => r.ready));
  } catch (e) {
    // A failed worker was unref'd: ref it again, or the process could exit before its
    // termination completes (an otherwise idle event loop does not wait for unref'd workers).
    replicas.forEach((r) => r.worker.ref());
    await Promise.all(replicas.map((r) => r.worker.terminate()));
    throw e;
  } finally {
    replicas.forEach((r) => r.updateRef());
  }
  return replicas;
}

/** Aborts the group's collectives and waits until every worker has exited (stopping those that do not end by themselves). */
export async function endWorkers(comm: CommBuffers, replicas: readonly Replica[]): Promise<void> {
  abortComm(comm);
  // Idle workers are unref'd: ref them until they have exited, or an otherwise idle event loop
  // may let the process end before their exit (as in startReplicas).
  replicas.forEach((r) => r.worker.ref());
  await Promise.all(
    replicas.map(async (r) => {
      // A worker that closed its port exits by itself; give it a moment, then stop it.
      const t = setTimeout(() => void r.worker.terminate(), 2000);
      await r.exited;
      clearTimeout(t);
    }),
  );
}

function remoteError(where: string, e: { message: string; stack?: string }): Error {
  const err = new Error(`parallel: ${where}: ${e.message}`);
  if (e.stack) err.stack = `${err.message}\n  -- in the worker:\n${e.stack}`;
  return err;
}

/**
 * Every worker's answer, by rank; when some failed, the first failure by rank that is not a
 * worker released by the group's abort (the root cause), whichever came first.
 */
export async function allAnswers<T>(calls: readonly Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(calls);
  const errors = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as Error] : []));
  if (errors.length === 0) return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  throw errors.find((e) => !e.message.includes(ABORTED)) ?? errors[0];
}

/** What {@link guardedCalls} watches: one call on every worker of a group. */
export interface GuardedCalls<T> {
  /** Each worker's answer (by rank): who answered. */
  readonly calls: readonly Promise<unknown>[];
  /** The call's result once every worker has answered (or its failure). */
  readonly settled: Promise<T>;
  readonly watchdog: StepWatchdog;
  readonly comm: CommBuffers;
  readonly replicas: readonly Replica[];
  /** Marks the group failed. */
  readonly onFailure: (e: Error) => void;
  /** What the call is, for the message ('the step'). */
  readonly what: string;
}

/**
 * A group's call under its watchdog's time limit (the duration is recorded for the next
 * limit). At the limit the group is aborted: workers waiting at a barrier answer at once (with
 * the abort), so the ones still silent after a grace period are the stuck ones; the group fails
 * with a one-line error naming them, and every worker is stopped.
 */
export async function guardedCalls<T>(g: GuardedCalls<T>): Promise<T> {
  const limit = g.watchdog.limitMs();
  const median = g.watchdog.medianMs();
  const t0 = performance.now();
  const answered = g.calls.map(() => false);
  g.calls.forEach((c, r) => c.then(() => (answered[r] = true), () => (answered[r] = true)));
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      abortComm(g.comm);
      let grace: ReturnType<typeof setTimeout> | undefined;
      void Promise.race([Promise.allSettled(g.calls), new Promise((res) => (grace = setTimeout(res, STUCK_GRACE_MS)))]).then(() => {
        clearTimeout(grace);
        const stuck = answered.flatMap((a, r) => (a ? [] : [r]));
        const who = stuck.length ? `worker${stuck.length > 1 ? 's' : ''} ${stuck.join(', ')}` : 'the workers';
        const why = median === null ? `the limit of ${g.what === 'the step' ? 'the first step' : 'the first call'}, which traces and compiles` : `the median ${g.what === 'the step' ? 'step' : 'call'} took ${(median / 1000).toFixed(2)} s`;
        const e = new Error(`parallel: ${who} did not finish ${g.what} within ${(limit / 1000).toFixed(1)} s (${why}); the workers were stopped`);
        g.onFailure(e);
        g.replicas.forEach((r) => void r.worker.terminate());
        reject(e);
      });
    }, limit);
  });
  try {
    // Once timed out, the call fails even if its answers come in during the grace period (the group is aborted).
    const settled = g.settled.then(
      (v) => (timedOut ? expired : v),
      (e: unknown) => (timedOut ? expired : Promise.reject(e)),
    );
    const out = await Promise.race([settled, expired]);
    g.watchdog.record(performance.now() - t0);
    return out;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Starts `workers` replicas of the program that `module` builds and waits until each
 * has initialised (every replica starts from rank 0's initial values).
 * @throws when a worker cannot start (the others are stopped).
 */
export async function dataParallel(opts: DataParallelOptions): Promise<DataParallel> {
  const n = opts.workers ?? 2;
  if (!Number.isInteger(n) || n < 1) throw new Error(`dataParallel: workers must be an integer >= 1, got ${String(n)}`);
  const comm: CommBuffers = createCommBuffers(n, opts.chunk);
  const module = moduleHref(opts.module);
  const watchdog = new StepWatchdog(opts.stepTimeout);
  let failure: Error | null = null;
  const onFailure = (e: Error) => {
    if (!failure) failure = e;
    abortComm(comm);
  };
  const replicas = await startReplicas(n, (rank) => ({ rank, comm, module, arg: opts.arg, backend: opts.backend ?? 'wasm' }), onFailure);
  let closed = false;
  const check = () => {
    if (closed) throw new Error('dataParallel: the group is closed');
    if (failure) throw failure;
  };
  const all = async <T>(method: CallMessage['method'], args: unknown[] | ((rank: number) => unknown)): Promise<T[]> => {
    check();
    const argOf = (r: number) => (typeof args === 'function' ? args(r) : args[r]);
    const stepping = method === 'step' || method === 'grads';
    try {
      const calls = replicas.map((rep, r) => {
        const a = argOf(r);
        return rep.call<T>(method, a, stepping ? transferables(a) : []);
      });
      return await (stepping ? guardedCalls({ calls, settled: allAnswers(calls), watchdog, comm, replicas, onFailure, what: 'the step' }) : allAnswers(calls));
    } catch (e) {
      // A failed step or load may have left replicas out of step with each other: the group is done.
      if (method === 'step' || method === 'grads' || method === 'load') onFailure(e as Error);
      throw e;
    }
  };
  return {
    workers: n,
    async step(batch) {
      const shards = shardBatch(batch, n);
      const reports = await all<StepReport>('step', shards);
      return { metrics: reports[0].metrics, timings: reports.map((r) => r.timings) };
    },
    async grads(batch) {
      const shards = shardBatch(batch, n);
      const out = await all<{ grads: unknown; metrics: Record<string, HostArray> }>('grads', shards);
      return out[0];
    },
    async read() {
      check();
      const [first, ...others] = await Promise.all(replicas.map((rep, r) => rep.call<unknown>(r === 0 ? 'read' : 'readState')));
      const v = first as Omit<DataParallelVariables, 'states'>;
      return { ...v, states: [v.state, ...others] };
    },
    async load({ states, ...values }) {
      if (states !== undefined && (!Array.isArray(states) || states.length !== n))
        throw new Error(`dataParallel: load: states must hold one state per worker (${n}), got ${Array.isArray(states) ? states.length : typeof states}`);
      const of = (r: number) => (states === undefined ? values : { ...values, state: states[r] });
      // Checked on every replica first, so that a rejected load changes none of them.
      await all('checkLoad', of);
      await all('load', of);
    },
    async memory() {
      return all<number>('memory', () => undefined);
    },
    async close() {
      if (closed) return { leakedTensors: [] };
      let leaked: number[] = [];
      try {
        if (!failure) leaked = await all<number>('close', () => undefined);
      } finally {
        closed = true;
        await endWorkers(comm, replicas);
      }
      return { leakedTensors: leaked };
    },
  };
}
