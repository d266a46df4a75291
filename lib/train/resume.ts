/**
 * What a checkpoint holds and how a run resumes from one: the newest checkpoint of the run
 * directory, its stored configuration compared with this run's first (from the header
 * alone), then its tensors loaded against this run's structure and shapes. A corrupt,
 * foreign or mismatched checkpoint is one clear error, and nothing is written.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as checkpoint from '../checkpoint/index.js';
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
}

export type ResumePoint =
  | { readonly kind: 'resumed'; readonly snap: Snapshot; readonly path: string }
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
  try {
    stored = JSON.parse((await checkpoint.readCheckpointMeta(newest.path))['config'] ?? 'null');
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
    loaded = await checkpoint.load<Snapshot>(newest.path, { like: fresh });
  } catch (e) {
    throw corrupt(e);
  }
  if (loaded.step !== newest.step || loaded.step > steps) {
    tf.dispose(tensorsIn(loaded));
    throw new TrainError(`checkpoint ${newest.path}: it holds step ${loaded.step} (its name says ${newest.step}, the run has ${steps} steps). Nothing was written or overwritten.`);
  }
  return { kind: 'resumed', snap: loaded, path: newest.path };
}
