/**
 * A data-parallel training step as two pure, jittable phases around one collective:
 *
 * ```
 * grads(params, state, shard)            -> { grads, state, metrics, carry }   (jit, per replica)
 * all-reduce mean of grads, metrics and the float leaves of state              (SharedArrayBuffer)
 * update(params, optState, grads, state, carry, next, metrics) -> { params, optState, state? }  (jit, identical on all replicas)
 * ```
 *
 * Every replica holds the same parameters and optimiser state, runs `grads` on its
 * shard of the batch, and after the all-reduce applies the same update to the same
 * values, so replicas stay bit-identical without sending parameters around (the
 * all-reduce sums in rank order, giving every rank the same floats).
 *
 * Semantics: what is averaged is the gradient of each replica's shard loss. When the
 * loss is a mean over samples (cross-entropy, ...), shards are equal and nothing in the
 * forward pass couples samples, that is exactly the gradient of the whole batch. Where
 * the forward pass couples samples (BatchNorm batch statistics, SwAV's Sinkhorn) each
 * replica uses its shard's statistics, as PyTorch's DDP without SyncBatchNorm does.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type DeviceAxis, type NdArray, jit, valueAndGrad, withDeviceAxis } from '../core/index.js';
import { type GradientTransformation, applyUpdates } from '../optim/index.js';
import * as tree from '../tree/index.js';
import { disposeExcept } from '../util/tensors.js';
import { type Communicator, commAxis } from './collective.js';
import { type HostArray, fromHost, isHostArray, isLeafLike, readFloats, toHost } from './host.js';

/** What the gradient phase returns (all trees of arrays). */
export interface GradPhaseResult<P = any, S = any> {
  /** Gradients (float leaves): averaged over replicas. */
  readonly grads: P;
  /** The new model state: float leaves averaged over replicas unless {@link DataParallelProgram.reduceState} says 'local'; others kept. */
  readonly state?: S;
  /** Metrics (float arrays, usually scalars): averaged over replicas. */
  readonly metrics?: Readonly<Record<string, NdArray>>;
  /** Anything the update needs that is identical on every replica (not reduced). */
  readonly carry?: unknown;
}

/** What the update phase returns. */
export interface UpdatePhaseResult<P = any, O = any, S = any> {
  readonly params: P;
  readonly optState: O;
  /** The state after the update (e.g. an EMA teacher moved towards the new parameters); default: the reduced state of the gradient phase. */
  readonly state?: S;
}

/** A replica's starting point. */
export interface ProgramInit<P = any, S = any, O = any> {
  readonly params: P;
  readonly state: S;
  readonly optState: O;
}

/** A data-parallel training program (built in each worker by the replica module). */
export interface DataParallelProgram<P = any, S = any, O = any, B = any> {
  /** Fresh parameters, state and optimiser state: run on every rank (for structures and shapes), then rank 0's float values are broadcast to all. */
  init(): ProgramInit<P, S, O>;
  /** The gradient phase on one shard of the batch (traced by jit). */
  grads(params: P, state: S, batch: B): GradPhaseResult<P, S>;
  /**
   * The update from the averaged gradients (traced by jit); `state` is the state before the step, `next` the
   * gradient phase's new state after the all-reduce, `metrics` the averaged metrics (e.g. the loss, which
   * optimisers such as reduceOnPlateau take as optax's `value`).
   */
  update(params: P, optState: O, grads: P, state: S, carry: any, next: S, metrics: Readonly<Record<string, NdArray>>): UpdatePhaseResult<P, O, S>;
  /**
   * How each float leaf of the new state is combined, by its path (e.g. '.projector.bn.mean'):
   * 'mean' (default: BatchNorm running statistics) or 'local' (each replica keeps its own,
   * e.g. a queue of its shard's embeddings). Integer and boolean leaves are always kept.
   */
  reduceState?(path: string): 'mean' | 'local';
  /**
   * The axis name of the collectives inside `grads` (psum, pmean, ... e.g. SyncBN): bound
   * to the replicas while it runs. Default: none (`grads` sees its shard only).
   */
  readonly axisName?: string;
}

/**
 * A program for `loss(params, batch) -> scalar` (a mean over the batch) and an optax-style
 * optimiser; no model state. Exact: the averaged gradient is the whole batch's.
 * @example
 * const program = lossProgram({ init: () => mlpInit(key), loss: mlpLoss, optimizer: optim.sgd({ learningRate: 0.01 }) });
 */
export function lossProgram<P, O, B>(spec: {
  readonly init: () => P;
  readonly loss: (params: P, batch: B) => NdArray;
  readonly optimizer: GradientTransformation<O>;
}): DataParallelProgram<P, Record<string, never>, O, B> {
  return {
    init: () => {
      const params = spec.init();
      return { params, state: {}, optState: spec.optimizer.init(params) };
    },
    grads: (params, _state, batch) => {
      const [loss, grads] = valueAndGrad((p: P) => spec.loss(p, batch))(params) as [NdArray, P];
      return { grads, metrics: { loss } };
    },
    update: (params, optState, grads, _state, _carry, _next, metrics) => {
      const [updates, next] = spec.optimizer.update(grads, optState, params, { value: metrics['loss'] });
      return { params: applyUpdates(params, updates) as P, optState: next };
    },
  };
}

/** Timings of the last step on one replica, in milliseconds. */
export interface StepTimings {
  readonly grads: number;
  readonly reduce: number;
  /** Of `reduce`: time inside the collective (waiting for the other replicas included). */
  readonly collective: number;
  readonly update: number;
}

/** A leaf's dtype and shape (`float32[2, 3]`), or its JS type. */
const describeLeaf = (l: unknown) => (l instanceof tf.Tensor || isHostArray(l) ? `${l.dtype}[${l.shape.join(', ')}]` : `a ${typeof l}`);

/** What {@link ProgramReplica.load} takes: any of the three trees, as host arrays (or tensors). */
export interface LoadValues {
  readonly params?: unknown;
  readonly state?: unknown;
  readonly optState?: unknown;
}

/** What a step reports to the main thread: the averaged metrics (host numbers/arrays) and timings. */
export interface StepReport {
  readonly metrics: Record<string, number | number[]>;
  readonly timings: StepTimings;
}

/**
 * One replica of a program: holds the parameters, state and optimiser state as tensors,
 * runs jitted phases and the collectives. Used by the worker runtime; usable directly
 * with a one-rank communicator (a single-process run of the same two-phase step).
 */
export class ProgramReplica<P = any, S = any, O = any, B = any> {
  params!: P;
  state!: S;
  optState!: O;
  private readonly gradsJit;
  private readonly updateJit;
  private readonly axis: DeviceAxis | null;
  private staging = new Float32Array(0);

  constructor(
    readonly program: DataParallelProgram<P, S, O, B>,
    readonly comm: Communicator,
  ) {
    this.gradsJit = jit((p: P, s: S, b: B) => program.grads(p, s, b));
    this.axis = program.axisName === undefined ? null : commAxis(comm, program.axisName);
    this.updateJit = jit((p: P, o: O, g: P, s: S, c: unknown, n: S, m: Readonly<Record<string, NdArray>>) => program.update(p, o, g, s, c, n, m));
  }

  /** Every rank initialises (for structure and shapes); all end up with rank 0's float values. */
  init(): void {
    const mine = this.program.init();
    const [leaves, def] = tree.flatten<tf.Tensor>([mine.params, mine.state, mine.optState]);
    const floats = leaves.filter((l) => l.dtype === 'float32');
    const total = floats.reduce((n, l) => n + l.size, 0);
    const buf = new Float32Array(total);
    let off = 0;
    for (const l of floats) {
      buf.set(l.dataSync() as Float32Array, off);
      off += l.size;
    }
    this.comm.broadcast(buf, 0);
    off = 0;
    const synced = leaves.map((l) => {
      if (l.dtype !== 'float32') return l;
      const t = tf.tensor(buf.subarray(off, off + l.size), l.shape, 'float32');
      off += l.size;
      l.dispose();
      return t;
    });
    const [params, state, optState] = tree.unflatten<[P, S, O]>(def, synced);
    this.params = params;
    this.state = state;
    this.optState = optState;
  }

  /**
   * Throws a one-line error naming the first leaf where `values` (host arrays or tensors) do
   * not fit this replica's trees: structure, shape or dtype. Changes nothing.
   */
  checkLoad(values: LoadValues): void {
    const current = { params: this.params, state: this.state, optState: this.optState };
    for (const k of ['params', 'state', 'optState'] as const) {
      if (values[k] === undefined) continue;
      const [given, givenDef] = tree.flatten(values[k], isLeafLike);
      const [have, haveDef] = tree.flatten(current[k], isLeafLike);
      tree.assertSameStructure(givenDef, haveDef, `load: the given ${k} and the replica's`);
      const paths = tree.paths(current[k], isLeafLike);
      given.forEach((g, i) => {
        const [got, want] = [describeLeaf(g), describeLeaf(have[i])];
        if (got !== want) throw new Error(`load: ${k} at ${paths[i]} is ${got}, the replica's is ${want}`);
      });
    }
  }

  /** Replaces parameters, state and optimiser state (e.g. from a checkpoint), after {@link checkLoad}; every rank must get the same params and optState. */
  load(values: LoadValues): void {
    this.checkLoad(values);
    if (values.params !== undefined) {
      const next = fromHost<P>(values.params);
      disposeExcept(this.params);
      this.params = next;
    }
    if (values.state !== undefined) {
      const next = fromHost<S>(values.state);
      disposeExcept(this.state);
      this.state = next;
    }
    if (values.optState !== undefined) {
      const next = fromHost<O>(values.optState);
      disposeExcept(this.optState);
      this.optState = next;
    }
  }

  /** A host copy of this replica's state (its own: a queue of its shard's rows differs between replicas). */
  readState(): unknown {
    return toHost(this.state);
  }

  /** Host copies of the parameters, state and optimiser state. */
  read(): { params: unknown; state: unknown; optState: unknown } {
    return { params: toHost(this.params), state: toHost(this.state), optState: toHost(this.optState) };
  }

  private stage(n: number): Float32Array {
    if (this.staging.length < n) this.staging = new Float32Array(n);
    return this.staging.subarray(0, n);
  }

  /**
   * The gradient phase and the all-reduce: averaged gradients, metrics and state.
   * The caller owns the returned tensors.
   */
  private gradsAndReduce(batch: B): { grads: P; state: S; metrics: Record<string, tf.Tensor>; carry: unknown; tGrads: number; tReduce: number; tColl: number } {
    const t0 = performance.now();
    const phase = () => this.gradsJit(this.params, this.state, batch) as GradPhaseResult<P, S>;
    const out = this.axis ? withDeviceAxis(this.axis, phase) : phase();
    const t1 = performance.now();
    // No new state: the old one stays (nothing to reduce).
    const newState = (out.state ?? this.state) as S;
    const statePaths = tree.paths(newState);
    const [stateLeaves, stateDef] = tree.flatten<tf.Tensor>(newState);
    const reduceState = stateLeaves.map((l, i) => out.state !== undefined && l.dtype === 'float32' && (this.program.reduceState?.(statePaths[i]) ?? 'mean') === 'mean');
    const [gradLeaves, gradDef] = tree.flatten<tf.Tensor>(out.grads);
    const metricNames = Object.keys(out.metrics ?? {}).sort();
    const metricLeaves = metricNames.map((k) => out.metrics![k] as tf.Tensor);
    const toReduce = [...gradLeaves, ...metricLeaves, ...stateLeaves.filter((_, i) => reduceState[i])];
    toReduce.forEach((l) => {
      if (l.dtype !== 'float32') throw new Error(`parallel: gradients and metrics must be float32 arrays, got ${l.dtype}`);
    });
    const n = toReduce.reduce((a, l) => a + l.size, 0);
    const buf = this.stage(n);
    let off = 0;
    for (const l of toReduce) {
      buf.set(readFloats(l), off);
      off += l.size;
    }
    const c0 = this.comm.waitedMs;
    this.comm.allReduce(buf, 'mean');
    const tColl = this.comm.waitedMs - c0;
    off = 0;
    const fresh = (l: tf.Tensor) => {
      const t = tf.tensor(buf.subarray(off, off + l.size), l.shape, 'float32');
      off += l.size;
      return t;
    };
    const grads = tree.unflatten<P>(gradDef, gradLeaves.map(fresh));
    const metrics = Object.fromEntries(metricNames.map((k, i) => [k, fresh(metricLeaves[i])]));
    const state = tree.unflatten<S>(stateDef, stateLeaves.map((l, i) => (reduceState[i] ? fresh(l) : l)));
    // The raw per-replica values are no longer needed (kept state leaves live on in `state`).
    disposeExcept([out.grads, out.metrics]);
    stateLeaves.forEach((l, i) => reduceState[i] && l.dispose());
    const t2 = performance.now();
    return { grads, state, metrics, carry: out.carry, tGrads: t1 - t0, tReduce: t2 - t1, tColl };
  }

  /** One data-parallel step on this replica's shard. */
  step(batchHost: unknown): StepReport {
    const batch = fromHost<B>(batchHost);
    try {
      const r = this.gradsAndReduce(batch);
      const t2 = performance.now();
      const next = this.updateJit(this.params, this.optState, r.grads, this.state, r.carry, r.state, r.metrics) as UpdatePhaseResult<P, O, S>;
      const t3 = performance.now();
      const state = next.state ?? r.state;
      disposeExcept([this.params, this.optState, this.state, r.grads, r.carry, r.state, next], next.params, next.optState, state);
      this.params = next.params;
      this.optState = next.optState;
      this.state = state;
      const metrics = Object.fromEntries(
        Object.entries(r.metrics).map(([k, t]) => {
          const v = Array.from(t.dataSync());
          t.dispose();
          return [k, t.rank === 0 ? v[0] : v];
        }),
      );
      return { metrics, timings: { grads: r.tGrads, reduce: r.tReduce, collective: r.tColl, update: t3 - t2 } };
    } finally {
      disposeExcept(batch);
    }
  }

  /** The averaged gradients (and metrics) of one batch, without updating anything. */
  grads(batchHost: unknown): { grads: unknown; metrics: Record<string, HostArray> } {
    const batch = fromHost<B>(batchHost);
    try {
      const r = this.gradsAndReduce(batch);
      const result = { grads: toHost(r.grads), metrics: toHost<Record<string, HostArray>>(r.metrics) };
      disposeExcept([r.grads, r.metrics, r.carry]);
      disposeExcept(r.state, this.state);
      return result;
    } finally {
      disposeExcept(batch);
    }
  }

  /** Frees everything this replica holds. */
  dispose(): void {
    disposeExcept([this.params, this.state, this.optState]);
    this.gradsJit.clearCache();
    this.updateJit.clearCache();
  }
}
