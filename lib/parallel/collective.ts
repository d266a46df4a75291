/**
 * Synchronous collectives between `worker_threads` over SharedArrayBuffers: a barrier
 * (`Atomics.wait` / `Atomics.notify`), all-reduce (sum, mean, max), all-gather and
 * broadcast of Float32Arrays. Every call blocks the calling thread until all `worldSize` ranks have
 * made the same call, in the same order: that is what lets a replica run a step as
 * straight-line synchronous code (as jit's replay is) with a collective in the middle.
 *
 * Layout: an Int32Array of control words (arrival count, generation, abort flag) and two
 * banks of `worldSize` slots of `chunk` floats. A collective writes the caller's slot of
 * one bank, waits at the barrier, then every rank reduces all slots in rank order (so
 * every rank gets bit-identical results, and replicas stay identical). Successive
 * collectives alternate banks, so one barrier per collective suffices: nobody can write
 * bank b again before everybody has passed the next barrier, i.e. finished reading b.
 * Arrays longer than `chunk` go through in pieces.
 */

import type { DeviceAxis } from '../core/index.js';

const COUNT = 0;
const GEN = 1;
const ABORT = 2;
const CONTROL_WORDS = 4;

/** The shared memory of one group of ranks; pass it to each worker (e.g. in `workerData`). */
export interface CommBuffers {
  readonly worldSize: number;
  /** Floats per slot: arrays longer than this are reduced in pieces. */
  readonly chunk: number;
  readonly control: SharedArrayBuffer;
  readonly data: SharedArrayBuffer;
}

/** Allocates the shared memory for `worldSize` ranks (2 banks x worldSize x chunk floats). */
export function createCommBuffers(worldSize: number, chunk = 1 << 20): CommBuffers {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`createCommBuffers: worldSize must be an integer >= 1, got ${String(worldSize)}`);
  if (!Number.isInteger(chunk) || chunk < 1) throw new Error(`createCommBuffers: chunk must be an integer >= 1, got ${String(chunk)}`);
  return {
    worldSize,
    chunk,
    control: new SharedArrayBuffer(CONTROL_WORDS * 4),
    data: new SharedArrayBuffer(2 * worldSize * chunk * 4),
  };
}

/**
 * Sets the group's abort flag and wakes every waiting rank: their pending and later
 * collectives throw. The main thread calls it when a worker fails, so the others do
 * not wait forever.
 */
export function abortComm(buffers: CommBuffers): void {
  const control = new Int32Array(buffers.control);
  Atomics.store(control, ABORT, 1);
  Atomics.add(control, GEN, 1);
  Atomics.notify(control, GEN);
}

export type ReduceOp = 'sum' | 'mean' | 'max';

/** The group as the named device axis that collectives (psum, allGather, ...) run over. */
export function commAxis(comm: Communicator, name: string): DeviceAxis {
  return { name, size: comm.worldSize, index: comm.rank, allReduce: (x, op) => comm.allReduce(x, op), allGather: (x) => comm.allGather(x) };
}

/** The message of a collective that stopped because the group was aborted. */
export const ABORTED = 'parallel: the group was aborted (another worker failed or the group was closed)';

/** One rank's handle on a group. All ranks must call the same collectives in the same order. */
export class Communicator {
  readonly rank: number;
  readonly worldSize: number;
  private readonly control: Int32Array;
  private readonly data: Float32Array;
  private readonly chunk: number;
  private bank = 0;
  /** Milliseconds spent inside collectives (waiting included), for profiling. */
  waitedMs = 0;

  constructor(buffers: CommBuffers, rank: number) {
    if (!Number.isInteger(rank) || rank < 0 || rank >= buffers.worldSize) throw new Error(`Communicator: rank must be in [0, ${buffers.worldSize}), got ${String(rank)}`);
    this.rank = rank;
    this.worldSize = buffers.worldSize;
    this.chunk = buffers.chunk;
    this.control = new Int32Array(buffers.control);
    this.data = new Float32Array(buffers.data);
  }

  private checkAbort(): void {
    if (Atomics.load(this.control, ABORT) !== 0) throw new Error(ABORTED);
  }

  /** Blocks until every rank has called `barrier` (directly or through a collective). */
  barrier(): void {
    this.checkAbort();
    if (this.worldSize === 1) return;
    const c = this.control;
    const gen = Atomics.load(c, GEN);
    if (Atomics.add(c, COUNT, 1) === this.worldSize - 1) {
      Atomics.store(c, COUNT, 0);
      Atomics.add(c, GEN, 1);
      Atomics.notify(c, GEN);
      return;
    }
    while (Atomics.load(c, GEN) === gen) Atomics.wait(c, GEN, gen, 1000);
    this.checkAbort();
  }

  private slot(bank: number, rank: number, len: number): Float32Array {
    const start = (bank * this.worldSize + rank) * this.chunk;
    return this.data.subarray(start, start + len);
  }

  /**
   * Replaces `x` (in place) by the reduction over ranks of every rank's `x`; returns `x`.
   * All ranks must pass arrays of the same length. Results are bit-identical on all ranks.
   */
  allReduce(x: Float32Array, op: ReduceOp = 'sum'): Float32Array {
    const t0 = performance.now();
    if (this.worldSize === 1) {
      this.checkAbort();
      return x;
    }
    const scale = op === 'mean' ? 1 / this.worldSize : 1;
    this.exchange(x, (bank, off, len) => {
      const out = x.subarray(off, off + len);
      out.set(this.slot(bank, 0, len));
      for (let r = 1; r < this.worldSize; r++) {
        const s = this.slot(bank, r, len);
        if (op === 'max') for (let i = 0; i < len; i++) out[i] = Math.max(out[i], s[i]);
        else for (let i = 0; i < len; i++) out[i] += s[i];
      }
      if (scale !== 1) for (let i = 0; i < len; i++) out[i] *= scale;
    });
    this.waitedMs += performance.now() - t0;
    return x;
  }

  /** Chunk by chunk: writes `x`'s chunk into this rank's slot, waits for every rank, then reads the bank. */
  private exchange(x: Float32Array, read: (bank: number, off: number, len: number) => void): void {
    for (let off = 0; off < x.length || off === 0; off += this.chunk) {
      const len = Math.min(this.chunk, x.length - off);
      const bank = this.bank;
      this.bank ^= 1;
      this.slot(bank, this.rank, len).set(x.subarray(off, off + len));
      this.barrier();
      read(bank, off, len);
      if (len === 0) break;
    }
  }

  /**
   * Every rank's `x` (all of the same length), concatenated in rank order: a new array of
   * `worldSize * x.length` floats, identical on every rank.
   */
  allGather(x: Float32Array): Float32Array {
    const t0 = performance.now();
    this.checkAbort();
    const out = new Float32Array(this.worldSize * x.length);
    if (this.worldSize === 1) {
      out.set(x);
      return out;
    }
    this.exchange(x, (bank, off, len) => {
      for (let r = 0; r < this.worldSize; r++) out.set(this.slot(bank, r, len), r * x.length + off);
    });
    this.waitedMs += performance.now() - t0;
    return out;
  }

  /** Replaces `x` (in place) on every rank by `root`'s `x`; returns `x`. */
  broadcast(x: Float32Array, root = 0): Float32Array {
    if (this.worldSize === 1) return x;
    for (let off = 0; off < x.length || off === 0; off += this.chunk) {
      const len = Math.min(this.chunk, x.length - off);
      const bank = this.bank;
      this.bank ^= 1;
      if (this.rank === root) this.slot(bank, root, len).set(x.subarray(off, off + len));
      this.barrier();
      if (this.rank !== root) x.subarray(off, off + len).set(this.slot(bank, root, len));
      if (len === 0) break;
    }
    return x;
  }
}
