/**
 * The run directory and the CLI's failures (issue 11), end to end as child processes on the
 * `tiny` preset:
 * - a stuck data-parallel worker fails the run (it does not hang it), naming the worker and
 *   the last good checkpoint;
 * - a run holds a lock in its directory: a second run into it is refused, a stale lock is
 *   taken over, the lock goes when the run ends (also on SIGINT); a non-empty directory that
 *   is not a run's is refused unless --force;
 * - expected failures are one line naming the file or path (a read-only run directory, an
 *   unknown dataset, a corrupt eval.json, `embed --out` into a missing directory);
 * - bookkeeping: `--resume` of a finished run changes nothing, stale temporary files are
 *   removed, `embed` replaces a .npy atomically, one image per worker is refused.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, ckpts, cli, metrics, ok, snapshotFiles, start } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfjax-run-dir-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);
const tinyArgs = (dir: string) => ['train', '--preset', 'tiny', '--backend', backend, '--out-dir', dir, '--eval.before', 'false'];

/** `start`, killed after `ms` if it has not ended by then (a hang fails the test, it does not hang it). */
async function bounded(args: string[], ms: number, extra: Parameters<typeof start>[1] = {}) {
  const { child, done } = start(args, extra);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const r = await done;
  clearTimeout(timer);
  assert.is(r.signal, null, `tfjax ${args.join(' ')} did not end by itself within ${ms / 1000} s:\n${r.stderr}`);
  return r;
}

/** The lines of stderr that are not progress lines; an error must be exactly one. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l && !/^(step \d|training |starting |evaluating |resuming |plots: |  )/.test(l));

// ---------------------------------------------------------------------------------------------
const Workers = suite('tfjax train --workers: failures');

Workers('issue 11 items 11 and 16: a stuck worker fails the run with one line naming it and the last good checkpoint; the workers are stopped, exit 1', async () => {
  const dir = runDir();
  const watchdog = ['--parallel.step-timeout-factor', '2', '--parallel.step-timeout-min-seconds', '0.5'];
  const r = await bounded([...tinyArgs(dir), '--workers', '2', '--debug.stall-worker-at-step', '4', ...watchdog], 240_000);
  assert.is(r.code, 1, r.stderr);
  const good = join(dir, 'checkpoints', 'ckpt-2.safetensors');
  const lines = errorLines(r.stderr);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error: parallel: worker 1 did not finish the step within \d+\.\d s \(the median step took \d+\.\d\d s\); the workers were stopped\. /);
  assert.ok(lines[0]!.endsWith(`Step 4 failed; the last good checkpoint is ${good} (step 2): --resume continues from it.`), lines[0]);
  assert.equal(ckpts(dir), ['ckpt-2.safetensors']);
});

Workers.run();

// ---------------------------------------------------------------------------------------------
const Lock = suite('tfjax train: the run directory is locked and recognised');

const lockOf = (dir: string) => join(dir, 'run.lock');
const writeLock = (dir: string, pid: number) => writeFileSync(lockOf(dir), JSON.stringify({ pid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
/** A pid that no longer runs: a child's, after it has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const until = async (what: () => boolean, ms: number) => {
  const t0 = Date.now();
  while (!what() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
  return what();
};

Lock('issue 11 item 12: a second run into the directory of a run in progress is refused; the first keeps it, and its lock goes on SIGINT', async () => {
  const dir = runDir();
  const first = start([...tinyArgs(dir), '--steps', '1000']);
  const kill = setTimeout(() => first.child.kill('SIGKILL'), 240_000);
  try {
    assert.ok(await until(() => existsSync(lockOf(dir)), 120_000), `the first run holds ${lockOf(dir)}`);
    const held = JSON.parse(readFileSync(lockOf(dir), 'utf8')) as { pid: number; host: string; started: string };
    assert.is(held.pid, first.child.pid);
    assert.is(held.host, hostname());
    const second = await bounded(tinyArgs(dir), 120_000);
    assert.is(second.code, 2, second.stderr);
    assert.equal(errorLines(second.stderr), [
      `run directory ${dir} is in use by another run (process ${held.pid} on ${held.host}, started ${held.started}; lock ${lockOf(dir)}); wait for it to end, or choose another --out-dir`,
      '(tfjax --help shows the usage and the configuration)',
    ]);
    assert.ok(await until(() => existsSync(join(dir, 'metrics.jsonl')) && metrics(dir).some((r) => r.type === 'step'), 120_000), 'the first run trains');
    first.child.kill('SIGINT');
    const r = await first.done;
    assert.is(r.signal, 'SIGINT', `the first run ended by the signal (code ${r.code})\n${r.stderr}`);
    assert.not.ok(existsSync(lockOf(dir)), 'the lock is removed on SIGINT');
    assert.is(metrics(dir).filter((m) => m.type === 'start').length, 1, 'one run wrote metrics.jsonl');
  } finally {
    clearTimeout(kill);
  }
});

Lock('issue 11 item 12: a live lock is refused and nothing is written; a stale one (its process has ended) is taken over with a notice and removed at the end', async () => {
  const dir = runDir();
  mkdirSync(dir);
  writeFileSync(join(dir, '.tfjax-run'), '{}\n');
  writeLock(dir, process.pid);
  const before = snapshotFiles(dir);
  const live = await bounded(tinyArgs(dir), 120_000);
  assert.is(live.code, 2, live.stderr);
  assert.match(live.stderr, `run directory ${dir} is in use by another run (process ${process.pid} on ${hostname()}, started 2026-01-01T00:00:00.000Z; lock ${lockOf(dir)})`);
  assert.equal(snapshotFiles(dir), before, 'nothing written');
  const dead = deadPid();
  writeLock(dir, dead);
  const stale = await bounded([...tinyArgs(dir), '--steps', '3'], 240_000);
  ok(stale, 'a run over a stale lock');
  assert.match(stale.stderr, `notice: taking over the stale lock ${lockOf(dir)} (process ${dead} on ${hostname()}, started 2026-01-01T00:00:00.000Z, which no longer runs)`);
  assert.equal(ckpts(dir), ['ckpt-2.safetensors', 'ckpt-3.safetensors']);
  assert.not.ok(existsSync(lockOf(dir)), 'the lock is removed at the end');
});

Lock('issue 11 item 12: a non-empty directory that is not a run is refused (nothing replaced) unless --force, which replaces only tfjax files', async () => {
  const dir = runDir();
  mkdirSync(dir);
  writeFileSync(join(dir, 'notes.txt'), 'mine\n');
  writeFileSync(join(dir, 'config.json'), '{"my": "own config"}\n');
  const before = snapshotFiles(dir);
  const r = await bounded(tinyArgs(dir), 120_000);
  assert.is(r.code, 2, r.stderr);
  assert.is(
    errorLines(r.stderr)[0],
    `--out-dir ${dir} is not empty and is not a tfjax run directory (it has no .tfjax-run and no checkpoints/): its config.json, metrics.jsonl, eval.json and plots would be replaced. Choose another --out-dir, or pass --force to use it anyway.`,
  );
  assert.equal(snapshotFiles(dir), before, 'nothing replaced');
  const forced = await bounded([...tinyArgs(dir), '--steps', '3', '--force'], 240_000);
  ok(forced, '--force');
  assert.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine\n');
  assert.is((JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { steps: number }).steps, 3);
  assert.ok(existsSync(join(dir, '.tfjax-run')), 'now marked as a run directory');
});

Lock.run();

// ---------------------------------------------------------------------------------------------
const Errors = suite('tfjax: expected failures are one line naming the file');

Errors('issue 11 item 16: a run directory that cannot be written: one line naming it (EACCES), exit 1', async () => {
  const parent = runDir();
  mkdirSync(parent);
  chmodSync(root, 0o755);
  chmodSync(parent, 0o555);
  const dir = join(parent, 'run');
  // Root may write anywhere: then the run goes as the unprivileged user 'nobody'.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const r = await bounded(tinyArgs(dir), 120_000, asNobody);
  assert.is(r.code, 1, r.stderr);
  assert.equal(errorLines(r.stderr), [`error: run directory ${dir} is not writable: cannot mkdir ${dir}: permission denied (EACCES)`]);
});

Errors('issue 11 item 16: an unknown dataset name: one line listing the known ones, exit 1, no run directory left', async () => {
  const dir = runDir();
  const r = await bounded([...tinyArgs(dir), '--dataset.name', 'no-such-set'], 120_000);
  assert.is(r.code, 1, r.stderr);
  assert.equal(errorLines(r.stderr), ['error: dataset "no-such-set" is neither a known dataset (fashion-mnist, mnist) nor a folder of images']);
  assert.not.ok(existsSync(dir), 'the directory the failed run created is removed');
});

Errors('issue 11 item 16: embed --out into a missing directory: one line naming it, exit 2, before any work', async () => {
  const out = join(root, 'no-such-dir', 'emb.npy');
  const r = await cli(['embed', '--run', join(root, 'no-run'), '--out', out, '--backend', backend]);
  assert.is(r.code, 2, r.stderr);
  assert.is(r.stderr.split('\n')[0], `embed --out ${out}: the directory ${join(root, 'no-such-dir')} does not exist`);
});

Errors('issue 11 item 16: a corrupt eval.json on --resume: one line naming it, exit 1, nothing written', async () => {
  const dir = runDir();
  ok(await bounded([...tinyArgs(dir), '--eval.before', 'true', '--debug.stop-after-step', '2'], 240_000), 'first part');
  const evalPath = join(dir, 'eval.json');
  writeFileSync(evalPath, '{"before": {"knn": ');
  const before = snapshotFiles(dir);
  const r = await bounded([...tinyArgs(dir), '--resume'], 120_000);
  assert.is(r.code, 1, r.stderr);
  const lines = errorLines(r.stderr);
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, `error: ${evalPath}: not valid JSON (`);
  assert.ok(lines[0]!.endsWith('); --resume stopped; nothing was written. Move it away to resume without the evaluation before training (the file is rewritten at the end).'), lines[0]);
  assert.equal(snapshotFiles(dir), before);
});

Errors.run();

// ---------------------------------------------------------------------------------------------
const Books = suite('tfjax: the bookkeeping of a run directory');

const DONE = runDir();
Books.before(async () => {
  ok(await bounded([...tinyArgs(DONE), '--steps', '3'], 240_000), 'a finished run');
});

Books('issue 11 item 17: --resume of a finished run says so and exits 0 changing nothing; temporary files left by a killed write are removed', async () => {
  const dead = deadPid();
  const stale = [join(DONE, `metrics.jsonl.tmp-${dead}-ba9876543210`), join(DONE, 'checkpoints', `ckpt-4.safetensors.tmp-${dead}-0123456789ab`)];
  // A writer that still runs (this process) keeps its temporary file.
  const live = join(DONE, `eval.json.tmp-${process.pid}-00112233aabb`);
  for (const f of [...stale, live]) writeFileSync(f, 'partial');
  const before = snapshotFiles(DONE);
  const r = await bounded([...tinyArgs(DONE), '--steps', '3', '--resume'], 120_000);
  ok(r, 'resume of a finished run');
  assert.match(
    r.stderr,
    `run ${DONE} is already complete (checkpoint ${join(DONE, 'checkpoints', 'ckpt-3.safetensors')} is step 3 of 3 and metrics.jsonl records the end); nothing was run or changed.`,
  );
  assert.match(r.stderr, `removed 2 temporary file(s) left by an interrupted write (${stale.join(', ')})`);
  for (const f of stale) delete before[f];
  assert.equal(snapshotFiles(DONE), before, 'only the stale temporary files went');
  assert.equal(metrics(DONE).map((m) => m.type).filter((t) => t !== 'step'), ['start', 'eval', 'end']);
  rmSync(live);
});

Books('issue 11 item 17: embed --out FILE.npy replaces the files atomically (a reader of the old file, a hard link, keeps its bytes) and leaves no temporary file', async () => {
  const dir = join(root, 'embed');
  mkdirSync(dir);
  const out = join(dir, 'emb.npy');
  const labels = join(dir, 'emb.labels.npy');
  for (const f of [out, labels]) {
    writeFileSync(f, 'old bytes');
    linkSync(f, `${f}.old`);
  }
  ok(await bounded(['embed', '--run', DONE, '--out', out, '--split', 'train', '--backend', backend], 120_000), 'embed');
  for (const f of [out, labels]) {
    assert.is(readFileSync(`${f}.old`, 'utf8'), 'old bytes', `${f}: the old file is untouched`);
    assert.is(readFileSync(f).subarray(1, 6).toString('latin1'), 'NUMPY', `${f}: the new file`);
  }
  assert.equal(readdirSync(dir).sort(), ['emb.labels.npy', 'emb.labels.npy.old', 'emb.npy', 'emb.npy.old']);
});

Books('issue 11 item 17: one image per worker (BatchNorm over one sample) is refused; fewer than 8 per unsynchronised worker warn', async () => {
  const one = await bounded([...tinyArgs(runDir()), '--workers', '16'], 120_000);
  assert.is(one.code, 2, one.stderr);
  assert.is(one.stderr.split('\n')[0], "config: at .workers expected at most 8 (each worker's BatchNorm and Sinkhorn need at least 2 of the 16 images of a batch), got 16");
  const single = await bounded([...tinyArgs(runDir()), '--batch-size', '1'], 120_000);
  assert.is(single.code, 2, single.stderr);
  assert.is(single.stderr.split('\n')[0], 'config: at .batchSize expected at least 2 (BatchNorm and Sinkhorn need batch statistics), got 1');
  const dir = runDir();
  // Synchronised workers' statistics are the whole batch's (8 images: no warning); each of these sees its 4.
  const few = await bounded([...tinyArgs(dir), '--workers', '2', '--sync', 'false', '--batch-size', '8', '--steps', '3'], 240_000);
  ok(few, 'four images per worker');
  const warning = 'each of the 2 workers trains on 4 images (batch 8, sync false): batch statistics (BatchNorm, Sinkhorn, negatives) over fewer than 8 images are noisy; use --sync true, fewer workers or a larger --batch-size';
  assert.match(few.stderr, `warning: ${warning}`);
  assert.equal(metrics(dir).filter((m) => m.type === 'warning' && m['kind'] === 'smallBatch').map((m) => m['message']), [warning]);
});

Books.after(() => rmSync(root, { recursive: true, force: true }));
Books.run();
