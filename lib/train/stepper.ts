/**
 * Who runs the training steps: this thread (one jitted `ssl.trainStep` of the run's method) or `workers`
 * data-parallel replicas in worker threads (`lib/parallel`, one core each). The loop talks
 * to both through {@link Stepper}; the variables live with the stepper and the loop reads
 * them when it needs them (logging, evaluation, checkpoints).
 *
 * With several workers and `sync` (the default) the replicas' forward is synchronised (SyncBN,
 * gathered negatives, all-reduced statistics, distributed Sinkhorn; see
 * `parallel.methodProgram`), so a run with 2 workers trains the model of a 1-worker run (to
 * float rounding; a queue stays per worker). With `sync: false` each replica's forward sees
 * its shard of the batch (PyTorch's DDP without SyncBatchNorm): such a run is reproducible
 * with the same number of workers, not equal to a 1-worker run.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit } from '../core/index.js';
import * as np from '../ops/index.js';
import { type DataParallel, dataParallel, fromHost, toHost } from '../parallel/index.js';
import type { Method } from '../ssl/method.js';
import { trainStep } from '../ssl/train-step.js';
import * as tree from '../tree/index.js';
import { disposeExcept, tensorsIn } from '../util/tensors.js';
import type { TrainConfig } from './config.js';
import { optimizerOf, scheduleOf, withStepKey } from './recipe.js';
import type { StepInput } from './step-batches.js';
import { ownState, withOwnState } from './resume.js';

/** The variables a step threads. */
export interface Variables {
  readonly params: unknown;
  /** The model state (worker 0's with data-parallel workers). */
  readonly modelState: unknown;
  readonly optState: unknown;
  /** Workers 1..N-1's own part of their model state (their queues), when the method keeps one per worker. */
  readonly workerStates?: readonly unknown[];
}

export interface StepOutcome {
  readonly loss: number;
  /** The method's own metrics (e.g. SwAV's `codeEntropy`), by name. */
  readonly metrics: Readonly<Record<string, number>>;
  /** False when the new parameters hold NaN or Inf (then the stepper keeps the old ones). */
  readonly paramsFinite: boolean;
}

export interface Stepper {
  readonly workers: number;
  /** One step on `batch` with the step's `key` (their tensors may be disposed as soon as the promise exists). */
  step(batch: StepInput, key: tf.Tensor): Promise<StepOutcome>;
  /** The current variables, owned by the stepper: valid until the next `step` or `close`. */
  variables(): Promise<Variables>;
  /** Frees the variables (and ends the workers). */
  close(): Promise<void>;
}

/** What a replica needs to rebuild the step in its worker (structured-cloneable). */
export interface ReplicaArg {
  readonly config: TrainConfig;
  readonly channels: number;
  readonly steps: number;
}

const scalar = async (t: unknown) => (await (t as tf.Tensor).data())[0]!;

/**
 * The step on this thread: `jit(ssl.trainStep(method))` plus a check that the new parameters
 * are finite. Of a data-parallel checkpoint's states it goes on from worker 0's (`start.workerStates` is freed).
 */
export function localStepper(c: TrainConfig, method: Method<unknown, unknown, StepInput>, steps: number, start: Variables): Stepper {
  const inner = trainStep(method, optimizerOf(c, scheduleOf(c, steps)));
  // One number that is finite exactly when every new parameter is: a NaN model can still give
  // a finite loss (max/where-style ops swallow NaN), so both are checked.
  const run = jit((params: unknown, modelState: unknown, optState: unknown, batch: StepInput, key: NdArray) => {
    const r = inner(params, modelState, optState, batch, key);
    const sums = tree.leaves(r.params).map((p) => np.sum(np.abs(p as NdArray)));
    return { params: r.params, modelState: r.state, optState: r.optState, metrics: r.metrics, paramCheck: sums.reduce((a, b) => np.add(a, b)) };
  });
  tf.dispose(tensorsIn(start.workerStates));
  let vars: Variables = { params: start.params, modelState: start.modelState, optState: start.optState };
  return {
    workers: 1,
    async step(batch, key) {
      const r = run(vars.params, vars.modelState, vars.optState, batch, key);
      const { loss: lossT, ...own } = r.metrics;
      const loss = await scalar(lossT);
      const check = await scalar(r.paramCheck);
      const metrics: Record<string, number> = {};
      for (const [k, v] of Object.entries(own)) metrics[k] = await scalar(v);
      tf.dispose(tensorsIn([r.metrics, r.paramCheck]));
      const next = { params: r.params, modelState: r.modelState, optState: r.optState };
      const paramsFinite = Number.isFinite(check);
      if (Number.isFinite(loss) && paramsFinite) {
        disposeExcept(vars, next);
        vars = next;
      } else {
        disposeExcept(next, vars);
      }
      return { loss, metrics, paramsFinite };
    },
    variables: async () => vars,
    async close() {
      tf.dispose(tensorsIn(vars));
    },
  };
}

/**
 * The step on `workers` data-parallel replicas (worker threads, one wasm thread each),
 * started from `start` (which it frees): worker r > 0 from `start.workerStates[r - 1]`, its own
 * state, where there is one, else from worker 0's (`modelState`). Parameters are checked for
 * NaN/Inf when read; the variables read hold every worker's own state.
 */
export async function parallelStepper(c: TrainConfig, channels: number, steps: number, start: Variables): Promise<Stepper> {
  const here = import.meta.url;
  const module = new URL(`./replica.${/\.ts$/.test(here) ? 'ts' : 'js'}`, here);
  const stepTimeout = { factor: c.parallel.stepTimeoutFactor, minSeconds: c.parallel.stepTimeoutMinSeconds, firstStepSeconds: c.parallel.firstStepTimeoutSeconds };
  const dp: DataParallel = await dataParallel({ module, workers: c.workers, backend: c.backend, arg: { config: c, channels, steps } satisfies ReplicaArg, stepTimeout });
  const perWorker = ownState(start.modelState) !== null;
  const stateOf = (r: number) => (r === 0 ? start.modelState : withOwnState(start.modelState, start.workerStates?.[r - 1] ?? ownState(start.modelState)));
  const states = perWorker ? { states: Array.from({ length: c.workers }, (_, r) => toHost(stateOf(r))) } : { state: toHost(start.modelState) };
  try {
    await dp.load({ params: toHost(start.params), optState: toHost(start.optState), ...states });
  } catch (e) {
    await dp.close();
    throw e;
  }
  tf.dispose(tensorsIn(start));
  let cached: Variables | null = null;
  const drop = () => {
    if (cached) tf.dispose(tensorsIn(cached));
    cached = null;
  };
  return {
    workers: c.workers,
    async step(batch, key) {
      drop();
      const keyed = withStepKey(batch, key, c.batchSize);
      const pending = dp.step(keyed);
      keyed.keys.dispose();
      const { metrics } = await pending;
      const { loss: l, ...own } = metrics;
      const loss = Number(l);
      return { loss, metrics: Object.fromEntries(Object.entries(own).map(([k, v]) => [k, Number(v)])), paramsFinite: Number.isFinite(loss) };
    },
    async variables() {
      if (!cached) {
        const v = await dp.read();
        const own = perWorker ? { workerStates: v.states.slice(1).map((s) => fromHost(ownState(s))) } : {};
        cached = { params: fromHost(v.params), modelState: fromHost(v.state), optState: fromHost(v.optState), ...own };
      }
      return cached;
    },
    async close() {
      drop();
      await dp.close();
    },
  };
}
