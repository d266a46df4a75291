/**
 * What a checkpoint holds and how a run resumes from one: the newest checkpoint of the run
 * directory, its stored configuration compared with this run's first (from the header
 * alone), then its tensors loaded against this run's structure and shapes. A corrupt,
 * foreign or mismatched checkpoint is one clear error, and nothing is written.
 *
 * Data-parallel workers: the model state of worker 0 is `modelState`. A method that keeps
 * state per worker (a queue: `parallel.REPLICA_STATE_KEY`) also stores, in `workerStates`,
 * the own part of each other worker's model state (`{queue}` of workers 1..N-1), and the
 * file's metadata `workers` says N. Without that metadata (a one-thread run, or tfjax before
 * per-worker checkpoints) the checkpoint holds one worker's state.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as checkpoint from '../checkpoint/index.js';
import { REPLICA_STATE_KEY } from '../parallel/index.js';
import { isPlainObject } from '../tree/index.js';
import { tensorsIn } from '../util/tensors.js';
import { DEFAULTS, type TrainConfig, deepMerge, firstDifference, trainingIdentity } from './config.js';
import { TrainError } from './errors.js';
import { endRecord } from './metrics-log.js';

/** The state a checkpoint holds (`checkpoints/ckpt-<step>.safetensors`). */
export interface Snapshot {
  readonly params: unknown;
  readonly modelState: unknown;
  readonly optState: unknown;
  readonly step: number;
  /** The run's base key (step key = foldIn(base, step)). */
  readonly key: tf.Tensor;
  /** Seconds of training so far (summed over resumes). */
  readonly elapsed: number;
  /** The configuration (JSON) of the run that wrote it. */
  readonly config: string;
  /** Workers 1..N-1's own part of their model state ({@link ownState}), when the run had N > 1 workers and the method keeps one. */
  readonly workerStates?: readonly unknown[];
}

/** The checkpoint metadata key of the number of workers whose state a checkpoint holds. */
export const WORKERS_META = 'workers';

/** The part of a model state that a data-parallel worker keeps for itself (`{queue}`), or null when the method keeps none. */
export function ownState(state: unknown): Readonly<Record<string, unknown>> | null {
  return isPlainObject(state) && state[REPLICA_STATE_KEY] !== undefined ? { [REPLICA_STATE_KEY]: state[REPLICA_STATE_KEY] } : null;
}

/** A worker's model state: worker 0's with the worker's own part (its queue) in place of worker 0's. */
export function withOwnState(state: unknown, own: unknown): unknown {
  return { ...(state as object), ...(own as object) };
}

/** The tree a checkpoint of `workers` workers holds, like `fresh` (one own state per worker past 0 when the method keeps one). */
export function checkpointLike(fresh: Snapshot, workers: number): Snapshot {
  const own = ownState(fresh.modelState);
  return own && workers > 1 ? { ...fresh, workerStates: Array.from({ length: workers - 1 }, () => own) } : fresh;
}

/** The number of workers whose state the checkpoint `path` holds, from its metadata (1 when it does not say). */
export function storedWorkers(meta: Readonly<Record<string, string>>, path: string): number {
  const w = meta[WORKERS_META];
  if (w === undefined) return 1;
  if (!/^[1-9]\d{0,5}$/.test(w)) throw new checkpoint.CheckpointError(path, `its ${JSON.stringify(WORKERS_META)} metadata is not a positive integer: ${JSON.stringify(w)}`);
  return Number(w);
}

const workerRange = (a: number, b: number) => (a === b ? `worker ${a}` : `workers ${a}-${b}`);

/**
 * What resuming the checkpoint `path` of `stored` workers with `workers` does to the workers'
 * own states (queues), or null when nothing changes (the same number, or no state per worker).
 */
export function workersNote(path: string, stored: number, workers: number, state: unknown): string | null {
  if (stored === workers || ownState(state) === null) return null;
  const kept = Math.min(stored, workers);
  const what =
    workers > stored
      ? `${workerRange(0, kept - 1)} go${kept === 1 ? 'es' : ''} on from ${kept === 1 ? 'its' : 'their'} own, ${workerRange(stored, workers - 1)} start${workers - stored === 1 ? 's' : ''} from worker 0's`
      : `${workerRange(0, kept - 1)} go${kept === 1 ? 'es' : ''} on from ${kept === 1 ? 'its' : 'their'} own, the queue${stored - kept === 1 ? '' : 's'} of ${workerRange(kept, stored - 1)} ${stored - kept === 1 ? 'is' : 'are'} dropped`;
  return (
    `${path} holds the queue${stored === 1 ? '' : 's'} of ${stored} worker${stored === 1 ? '' : 's'} and this run has ${workers}: ${what}; ` +
    `the run goes on, but not as ${stored} worker${stored === 1 ? '' : 's'} would have (--workers ${stored} resumes exactly)`
  );
}

export type ResumePoint =
  | { readonly kind: 'resumed'; readonly snap: Snapshot; readonly path: string; readonly workers: number }
  | { readonly kind: 'complete'; readonly loss: number; readonly path: string };

/**
 * The run's state at its newest checkpoint (`existing`, oldest first), loaded like `fresh`
 * (whose tensors the caller still owns), or 'complete' when the run had finished.
 */
export async function resumeFrom(
  existing: readonly { path: string; step: number }[],
  c: TrainConfig,
  steps: number,
  fresh: Snapshot,
): Promise<ResumePoint> {
  const newest = existing[existing.length - 1]!;
  const older = existing.length > 1 ? existing[existing.length - 2]!.path : null;
  const corrupt = (e: unknown) =>
    new TrainError(
      `${(e as Error).message}; --resume stopped; nothing was written or overwritten. ` +
        (older ? `Move ${newest.path} away to resume from ${older}.` : `Move ${newest.path} away to start the run afresh.`),
    );
  let stored: unknown = null;
  let workers = 1;
  try {
    const meta = await checkpoint.readCheckpointMeta(newest.path);
    workers = storedWorkers(meta, newest.path);
    stored = JSON.parse(meta['config'] ?? 'null');
  } catch (e) {
    throw corrupt(e instanceof SyntaxError ? new Error(`checkpoint ${newest.path}: its config metadata is not valid JSON`) : e);
  }
  // Settings added since the checkpoint was written take their defaults, which is what its run used.
  const before = stored === null ? null : deepMerge(DEFAULTS, stored);
  // Another method first: its settings differ too, but the method is what to name.
  const diff = before === null ? 'no configuration stored' : (firstDifference(before.method, c.method, '.method') ?? firstDifference(trainingIdentity(before), trainingIdentity(c)));
  if (diff)
    throw new TrainError(
      `checkpoint ${newest.path}: it was written by a run with a different configuration (${diff}, checkpoint vs now); ` +
        `resume with the configuration in ${join(c.outDir, 'config.json')}, or choose another --out-dir. Nothing was written or overwritten.`,
    );
  const end = newest.step === steps ? endRecord(join(c.outDir, 'metrics.jsonl'), steps) : null;
  if (end) return { kind: 'complete', loss: end.loss ?? NaN, path: newest.path };
  let loaded: Snapshot;
  try {
    loaded = await checkpoint.load<Snapshot>(newest.path, { like: checkpointLike(fresh, workers) });
  } catch (e) {
    throw corrupt(e);
  }
  if (loaded.step !== newest.step || loaded.step > steps) {
    tf.dispose(tensorsIn(loaded));
    throw new TrainError(`checkpoint ${newest.path}: it holds step ${loaded.step} (its name says ${newest.step}, the run has ${steps} steps). Nothing was written or overwritten.`);
  }
  return { kind: 'resumed', snap: loaded, path: newest.path, workers };
}
