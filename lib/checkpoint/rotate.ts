/** Directories of checkpoints `ckpt-<step>.safetensors`: listing, the newest valid one, and saving with rotation. */
import { readdirSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsError } from '../io/safetensors.js';
import { readSafetensorsHeader } from '../io/safetensors-file.js';
import { CheckpointError } from './format.js';
import { type SaveOptions, save } from './save.js';
import { checkedMetadata } from './validate.js';

const CKPT_NAME = /^ckpt-(\d+)\.safetensors$/;

/** The `ckpt-<step>.safetensors` entries among a directory's names, by increasing step. */
function checkpointsAmong(names: readonly string[], dir: string): { step: number; path: string }[] {
  return names
    .map((n) => [n, CKPT_NAME.exec(n)] as const)
    .filter(([, m]) => m !== null && Number.isSafeInteger(Number(m[1])))
    .map(([n, m]) => ({ step: Number(m![1]), path: join(dir, n) }))
    .sort((a, b) => a.step - b.step);
}

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * The `ckpt-<step>.safetensors` files of a directory, by increasing step (none if it does not exist).
 * @example await listCheckpoints('runs/x') // [{step: 100, path: 'runs/x/ckpt-100.safetensors'}, ...]
 */
export async function listCheckpoints(dir: string): Promise<{ step: number; path: string }[]> {
  try {
    return checkpointsAmong(await readdir(dir), dir);
  } catch (e) {
    if (missing(e)) return [];
    throw e;
  }
}

/** {@link listCheckpoints} for synchronous callers (a method's initialisation reading a pretrained run). */
export function listCheckpointsSync(dir: string): { step: number; path: string }[] {
  try {
    return checkpointsAmong(readdirSync(dir), dir);
  } catch (e) {
    if (missing(e)) return [];
    throw e;
  }
}

/**
 * The path of the newest valid checkpoint `ckpt-<step>.safetensors` in `dir` (highest step), or
 * null. A file is valid when its header is a complete tfjax checkpoint header and the file is as
 * long as the header says (the data itself is not read); invalid files are skipped and reported
 * to `onInvalid`.
 * @example const last = await latestCheckpoint('runs/x'); if (last) state = await load(last, {like: init});
 */
export async function latestCheckpoint(dir: string, options: { onInvalid?: (path: string, error: unknown) => void } = {}): Promise<string | null> {
  const all = await listCheckpoints(dir);
  for (const { path } of all.reverse()) {
    try {
      const header = await readSafetensorsHeader(path);
      checkedMetadata(header, path);
      return path;
    } catch (e) {
      options.onInvalid?.(path, e instanceof SafetensorsError ? new CheckpointError(path, e.reason, { cause: e }) : e);
    }
  }
  return null;
}

/** Options of `saveRotating`. */
export interface SaveRotatingOptions extends SaveOptions {
  /** How many checkpoints to keep, the new one included (default 3). */
  readonly keep?: number;
}

/**
 * Saves `tree` atomically as `dir/ckpt-<step>.safetensors` (creating `dir`), then removes the
 * older checkpoints beyond `keep`: the new file is always kept, with the `keep - 1` others of
 * highest step. Nothing is removed unless the new file was written completely.
 *
 * As orbax's `CheckpointManager.save` (whose `should_save` is false for a step <= the latest),
 * a `step` at or below the highest step of the `ckpt-<step>.safetensors` files already in `dir`
 * is not saved: nothing is written or removed, and the result's `path` is null. Newer
 * checkpoints are never removed; to go back to an older step, remove the newer files first.
 * @example const {path, removed} = await saveRotating('runs/x', step, {params, optState, step}, {keep: 3});
 */
export async function saveRotating(
  dir: string,
  step: number,
  tree: unknown,
  options: SaveRotatingOptions = {},
): Promise<{ path: string | null; removed: string[] }> {
  const keep = options.keep ?? 3;
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`saveRotating: step must be a non-negative integer, got ${step}`);
  if (!Number.isSafeInteger(keep) || keep < 1) throw new Error(`saveRotating: keep must be a positive integer, got ${keep}`);
  const before = await listCheckpoints(dir);
  if (before.length > 0 && step <= before[before.length - 1]!.step) return { path: null, removed: [] };
  await mkdir(dir, { recursive: true });
  const path = join(dir, `ckpt-${step}.safetensors`);
  await save(path, tree, options);
  const others = (await listCheckpoints(dir)).filter((c) => c.path !== path).sort((a, b) => b.step - a.step);
  const removed = others.slice(keep - 1).map((c) => c.path);
  for (const p of removed) await rm(p, { force: true });
  return { path, removed };
}
