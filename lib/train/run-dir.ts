/**
 * Owning a run directory for the life of a run, so that two runs never write into one
 * directory and a run never clobbers a directory that is not a run's.
 *
 * - What may be used: a missing or empty directory, or a tfjax run directory: one with the
 *   marker file `.tfjax-run` (written atomically when a run first claims the directory), a
 *   lock (a run killed before its marker was in place) or, from runs of earlier versions, a
 *   `checkpoints/` folder (such a directory is left without marker). Any other directory (`--out-dir .`) is
 *   refused unless `force`: then tfjax's files in it (config.json, metrics.jsonl, eval.json,
 *   the plots, checkpoints/) are created or replaced and all other files are left alone.
 * - The lock `run.lock` holds `{pid, host, started}` and is created with O_EXCL. A lock whose
 *   process no longer runs on this host is stale and taken over with a notice; a live one,
 *   one from another host and an unreadable one are refused. It is removed when the run ends,
 *   on an error, and on SIGINT or SIGTERM.
 * - Holding the lock, a run removes the temporary files that a kill in the middle of an atomic
 *   write left in the directory and in `checkpoints/` (those whose writing process has ended).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeTextAtomic } from '../io/atomic.js';
import { ConfigError } from './config.js';
import { TrainError, systemErrorLine } from './errors.js';

export const LOCK_FILE = 'run.lock';
export const RUN_MARKER = '.tfjax-run';

interface LockInfo {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

/** A claimed run directory; `release()` gives it up (idempotent). */
export interface RunDirClaim {
  readonly dir: string;
  release(): void;
}

/** Whether process `pid` runs on this machine (EPERM: it runs, as another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockInfo>;
    return Number.isSafeInteger(v.pid) && (v.pid as number) > 0 && typeof v.host === 'string' && typeof v.started === 'string' ? (v as LockInfo) : null;
  } catch {
    return null;
  }
}

/** The temporary file of `writeFileAtomic` (lib/io): `<name>.tmp-<pid>-<12 hex digits>`. */
const ATOMIC_TEMP = /\.tmp-(\d+)-[0-9a-f]{12}$/;

/** Removes the temporary files in `dir` and `dir/checkpoints` whose writer no longer runs; returns their paths. */
function removeStaleTemps(dir: string): string[] {
  const removed: string[] = [];
  for (const d of [dir, join(dir, 'checkpoints')]) {
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      const m = ATOMIC_TEMP.exec(name);
      if (!m || isAlive(Number(m[1]))) continue;
      rmSync(join(d, name), { force: true });
      removed.push(join(d, name));
    }
  }
  return removed;
}

/**
 * Whether an entry of a directory shows that a run used it: the marker, `checkpoints/`, the
 * lock, or the marker's temporary file (a run killed after taking the lock and before its
 * marker was in place leaves just the lock or that file).
 */
const isRunEntry = (name: string) => name === RUN_MARKER || name === 'checkpoints' || name === LOCK_FILE || (name.startsWith(`${RUN_MARKER}.tmp-`) && ATOMIC_TEMP.test(name));

/** Refuses a directory that exists, is not empty and is not a run's (unless `force`); a lock found there is checked afterwards. */
function checkUsable(dir: string, force: boolean): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new ConfigError(`--out-dir ${dir} is a file, not a directory`);
  const names = readdirSync(dir);
  if (force || names.length === 0 || names.some(isRunEntry)) return;
  throw new ConfigError(
    `--out-dir ${dir} is not empty and is not a tfjax run directory (it has no ${RUN_MARKER} and no checkpoints/): ` +
      'its config.json, metrics.jsonl, eval.json and plots would be replaced. Choose another --out-dir, or pass --force to use it anyway.',
  );
}

/** Creates the lock with O_EXCL, taking over a stale one (`say` gets the notice). */
function lock(path: string, dir: string, say: (s: string) => void): string {
  const text = `${JSON.stringify({ pid: process.pid, host: hostname(), started: new Date().toISOString() } satisfies LockInfo)}\n`;
  for (let tookOver = false; ; tookOver = true) {
    try {
      const fd = openSync(path, 'wx');
      try {
        writeSync(fd, text);
      } finally {
        closeSync(fd);
      }
      return text;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = readLock(path);
    if (!holder) throw new ConfigError(`run directory ${dir}: its lock ${path} cannot be read; if no run is using the directory, remove the lock and run again`);
    const who = `process ${holder.pid} on ${holder.host}, started ${holder.started}`;
    if (holder.host !== hostname())
      throw new ConfigError(`run directory ${dir} is in use by another run (${who}; lock ${path}); if that run has ended, remove the lock and run again`);
    if (isAlive(holder.pid) || tookOver)
      throw new ConfigError(`run directory ${dir} is in use by another run (${who}; lock ${path}); wait for it to end, or choose another --out-dir`);
    say(`notice: taking over the stale lock ${path} (${who}, which no longer runs)`);
    rmSync(path, { force: true });
  }
}

/**
 * Claims `dir` for a run: checks that it may be used, creates it, takes its lock and marks
 * it as a run directory (the marker written atomically, by `writeTextAtomic`). The lock is
 * given up by `release()`, at exit, and on SIGINT/SIGTERM (then the signal is raised again,
 * so the process ends as it would have).
 * Rejects with ConfigError when the directory is not usable or another run holds it.
 */
export async function claimRunDir(dir: string, opts: { force?: boolean; say?: (s: string) => void } = {}): Promise<RunDirClaim> {
  checkUsable(dir, opts.force ?? false);
  const created = !existsSync(dir);
  const markerPath = join(dir, RUN_MARKER);
  const marked = existsSync(markerPath) || existsSync(join(dir, 'checkpoints'));
  const present = new Set(created ? [] : readdirSync(dir));
  const lockPath = join(dir, LOCK_FILE);
  const notWritable = (e: unknown) => {
    const line = systemErrorLine(e);
    return line ? new TrainError(`run directory ${dir} is not writable: ${line}`, { cause: e }) : e;
  };
  const say = opts.say ?? ((s: string) => process.stderr.write(`${s}\n`));
  let text: string;
  try {
    mkdirSync(dir, { recursive: true });
    text = lock(lockPath, dir, say);
  } catch (e) {
    throw notWritable(e);
  }
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    try {
      if (readFileSync(lockPath, 'utf8') === text) rmSync(lockPath);
      // A run that wrote nothing leaves no trace: no marker, and no directory if it made it.
      if (!marked && readdirSync(dir).every((f) => f === RUN_MARKER || present.has(f))) {
        rmSync(markerPath, { force: true });
        if (created) rmdirSync(dir);
      }
    } catch {
      /* already gone, or not ours any more */
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    release();
    process.kill(process.pid, signal);
  };
  process.on('exit', release);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (!marked) await writeTextAtomic(markerPath, `${JSON.stringify({ tfjax: 'run directory', created: new Date().toISOString() })}\n`);
    const stale = removeStaleTemps(dir);
    if (stale.length) say(`removed ${stale.length} temporary file(s) left by an interrupted write (${stale.join(', ')})`);
  } catch (e) {
    release();
    throw notWritable(e);
  }
  return { dir, release };
}
