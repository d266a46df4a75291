/**
 * Session 15, users of `tfjax train` who read only README.md and docs/training.md,
 * docs/checkpoint.md, docs/evaluation.md:
 * - a run killed right after it took the lock, before its marker was in place, leaves a
 *   directory that the next run takes over (stale lock notice), not one it refuses; the marker
 *   is written by the atomic writer (a rename: never through whatever is at its path);
 * - a key repeated in a `--config` file is an error naming the file and the path (JSON.parse
 *   would silently keep the last value, as unknown keys would be silently dropped);
 * - SIGTERM in the middle of a run (NNCLR: a queue and a predictor): the lock goes, the
 *   checkpoints are whole, and `--resume` ends bit for bit where the uninterrupted run ends;
 * - `tfjax eval` reproduces the run's own evaluation; `export --torch CHECKPOINT` (as the
 *   usage says) writes what `export --torch RUN_DIR` writes; `--run FILE` and an output path
 *   under a file are one-line usage errors naming them; so are an option given twice
 *   (`--config a.json --config b.json`) and `--run` with `--checkpoint`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { parseArgs } from '../../lib/train/cli.js';
import { ConfigError, resolveConfig } from '../../lib/train/config.js';
import { LOCK_FILE, RUN_MARKER, claimRunDir } from '../../lib/train/run-dir.js';
import { assertSameState, backend, ckpts, cli, losses, ok, start, stateBytes } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfjax-session15-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);
/** A pid that no longer runs: a child's, after it has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
const firstLine = (s: string) => s.split('\n')[0];

// ---------------------------------------------------------------------------------------------
const Dir = suite('user runs: a run killed before its directory was marked');

Dir('a directory holding only a stale lock (or the marker\'s temporary file) is taken over with a notice, not refused', async () => {
  const dir = runDir();
  mkdirSync(dir);
  const dead = deadPid();
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
  const said: string[] = [];
  const claim = await claimRunDir(dir, { say: (s) => said.push(s) });
  assert.equal(said, [`notice: taking over the stale lock ${join(dir, LOCK_FILE)} (process ${dead} on ${hostname()}, started 2026-01-01T00:00:00.000Z, which no longer runs)`]);
  assert.ok(existsSync(join(dir, RUN_MARKER)), 'the directory is marked');
  claim.release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)), 'the lock is released');

  // A SIGTERM during the marker's write: the lock is released, the temporary file stays.
  const other = runDir();
  mkdirSync(other);
  const temp = `${RUN_MARKER}.tmp-${dead}-0123456789ab`;
  writeFileSync(join(other, temp), '{"tfjax"');
  const said2: string[] = [];
  const claim2 = await claimRunDir(other, { say: (s) => said2.push(s) });
  assert.equal(said2, [`removed 1 temporary file(s) left by an interrupted write (${join(other, temp)})`]);
  assert.equal(readdirSync(other).sort(), [RUN_MARKER, LOCK_FILE].sort());
  claim2.release();
});

Dir('the marker is written by the atomic writer: it replaces what is at its path (a dangling link), never writes through it', async () => {
  const dir = runDir();
  mkdirSync(dir);
  const outside = join(root, `outside-${counter++}`);
  symlinkSync(outside, join(dir, RUN_MARKER));
  const claim = await claimRunDir(dir, { force: true, say: () => undefined });
  try {
    assert.not.ok(existsSync(outside), `the marker was written through the link into ${outside}`);
    assert.ok(lstatSync(join(dir, RUN_MARKER)).isFile(), 'the marker is a file of its own');
    assert.is((JSON.parse(readFileSync(join(dir, RUN_MARKER), 'utf8')) as { tfjax: string }).tfjax, 'run directory');
    assert.equal(readdirSync(dir).sort(), [RUN_MARKER, LOCK_FILE].sort(), 'no temporary file left');
  } finally {
    claim.release();
  }
});
Dir.run();

// ---------------------------------------------------------------------------------------------
const Files = suite('user runs: config files');

const errorOf = (r: E.Either<string, unknown>): string => {
  if (E.isRight(r)) throw new assert.Assertion({ message: 'expected a configuration error', actual: 'valid', expects: 'error', operator: 'error' });
  return r.left;
};
const configFile = (text: string) => {
  const p = join(root, `config-${counter++}.json`);
  writeFileSync(p, text);
  return p;
};

Files('a key repeated in one object is an error naming the file and the path, not a value dropped unseen', () => {
  const top = configFile('{"steps": 3, "steps": 300}');
  assert.is(errorOf(resolveConfig({ file: top })), `config ${top}: at (the root) the key "steps" appears twice`);
  const nested = configFile('{"optimizer": {"lr": 0.1, "name": "adam", "lr": 0.5}}');
  assert.is(errorOf(resolveConfig({ file: nested })), `config ${nested}: at .optimizer the key "lr" appears twice`);
  const deep = configFile('{"eval": {"ks": [5]}, "simclr": {"projector": {"dims": [16, 8], "dims": [32, 8]}}}');
  assert.is(errorOf(resolveConfig({ file: deep })), `config ${deep}: at .simclr.projector the key "dims" appears twice`);
  // The same key in two objects, and a key's name as a value, are not repeats.
  const fine = configFile('{"steps": 8, "optimizer": {"warmupSteps": 2}, "checkpoint": {"every": 2}, "eval": {"every": 2}, "outDir": "steps"}');
  const c = resolveConfig({ file: fine });
  assert.ok(E.isRight(c) && c.right.steps === 8 && c.right.outDir === 'steps', JSON.stringify(c));
});

Files('an option given twice (--config a.json --config b.json) is a usage error, not the first file dropped unseen', () => {
  const usage = (argv: string[]) => {
    try {
      parseArgs(argv);
    } catch (e) {
      assert.instance(e, ConfigError);
      return (e as Error).message;
    }
    throw new assert.Assertion({ message: `parseArgs(${argv.join(' ')}) accepted it`, actual: 'accepted', expects: 'error', operator: 'error' });
  };
  assert.is(usage(['train', '--config', 'a.json', '--config', 'b.json']), '--config given twice (a.json, then b.json): give it once');
  assert.is(usage(['--preset', 'tiny', '--preset=quick']), '--preset given twice (tiny, then quick): give it once');
  assert.is(usage(['embed', '--run', 'runs/x', '--out', 'a.npy', '--out', 'b.npy']), '--out given twice (a.npy, then b.npy): give it once');
  // A configuration flag given twice is two layers: the last wins, as documented (flags in order).
  assert.equal(parseArgs(['--steps', '3', '--steps', '4']).flags, [['--steps', '3'], ['--steps', '4']]);
});
Files.run();

// ---------------------------------------------------------------------------------------------
const Term = suite('user runs: SIGTERM mid-run, --resume, then eval and export of the result');

const TWO_VIEWS = ['--augment.nmb-crops', '[2]', '--augment.size-crops', '[28]', '--augment.min-scale', '[0.3]', '--augment.max-scale', '[1]'];
const nnclr = ['train', '--preset', 'tiny', '--method', 'nnclr', ...TWO_VIEWS, '--backend', backend, '--eval.before', 'false', '--steps', '6', '--log.every', '3'];
const whole = runDir();

Term('SIGTERM after the first checkpoint: the lock is released, no partial checkpoint; --resume ends bit for bit as the uninterrupted run', async () => {
  ok(await cli([...nnclr, '--out-dir', whole]), 'uninterrupted');
  const dir = runDir();
  const { child, done } = start([...nnclr, '--out-dir', dir]);
  const t0 = Date.now();
  while (!ckpts(dir).length && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGTERM');
  const killed = await done;
  assert.is(killed.signal, 'SIGTERM', `the child ended by itself (code ${killed.code}) before it could be stopped`);
  assert.not.ok(existsSync(join(dir, LOCK_FILE)), 'SIGTERM releases the lock');
  assert.not.ok(ckpts(dir).includes('ckpt-6.safetensors'), `checkpoints after SIGTERM: ${ckpts(dir)}`);
  for (const f of ckpts(dir)) await readSafetensorsFile(join(dir, 'checkpoints', f));
  const resumed = await cli([...nnclr, '--out-dir', dir, '--resume']);
  ok(resumed, 'resumed');
  assert.not.match(resumed.stderr, 'stale lock');
  assert.equal(losses(dir), losses(whole));
  assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-6.safetensors')), await stateBytes(join(whole, 'checkpoints', 'ckpt-6.safetensors')));
});

Term('tfjax eval of the run reproduces its eval.json; export --torch CHECKPOINT (not only RUN_DIR) exports that checkpoint', async () => {
  const ckpt = join(whole, 'checkpoints', 'ckpt-6.safetensors');
  const ev = await cli(['eval', '--run', whole]);
  ok(ev, 'eval');
  const after = (JSON.parse(readFileSync(join(whole, 'eval.json'), 'utf8')) as { after: { knn: Record<string, number> } }).after.knn;
  assert.is(ev.stdout.trim(), `${ckpt} (step 6): kNN k=5 ${(100 * after['5']!).toFixed(2)}%, kNN k=20 ${(100 * after['20']!).toFixed(2)}%`);
  const out = join(root, 'nnclr.safetensors');
  const r = await cli(['export', '--torch', ckpt, out]);
  ok(r, 'export --torch CHECKPOINT');
  const { tensors, metadata } = await readSafetensorsFile(out);
  assert.is(r.stdout, `wrote ${Object.keys(tensors).length} tensors of nnclr (step 6) in stable-pretraining's state-dict layout to ${out}\n`);
  assert.equal([metadata['checkpoint'], metadata['method'], metadata['step']], [ckpt, 'nnclr', '6']);
  assert.ok(tensors['backbone.conv1.weight'] && tensors['projector.0.weight'] && tensors['predictor.0.weight'], Object.keys(tensors).join(', '));
});

Term('--run FILE, and an output path under a file: one line naming them, exit 2', async () => {
  const ckpt = join(whole, 'checkpoints', 'ckpt-6.safetensors');
  const ev = await cli(['eval', '--run', ckpt]);
  assert.is(ev.code, 2, ev.stderr);
  assert.is(firstLine(ev.stderr), `--run ${ckpt} is a file, not a run directory (--checkpoint ${ckpt} reads one checkpoint file)`);
  const under = join(whole, 'config.json', 'emb.npy');
  const em = await cli(['embed', '--run', whole, '--out', under]);
  assert.is(em.code, 2, em.stderr);
  assert.is(firstLine(em.stderr), `embed --out ${under}: ${join(whole, 'config.json')} is a file, not a directory`);
  const both = await cli(['eval', '--run', whole, '--checkpoint', ckpt]);
  assert.is(both.code, 2, both.stderr);
  assert.is(firstLine(both.stderr), 'eval takes --run DIR or --checkpoint FILE, not both');
});
Term.after(() => rmSync(root, { recursive: true, force: true }));
Term.run();
