/**
 * The run directory and the CLI's failures (issue 11), end to end as child processes on the
 * `tiny` preset:
 * - a stuck data-parallel worker fails the run (it does not hang it), naming the worker and
 *   the last good checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { backend, ckpts, start } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfjax-run-dir-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);
const tinyArgs = (dir: string) => ['train', '--preset', 'tiny', '--backend', backend, '--out-dir', dir, '--eval.before', 'false'];

/** `start`, killed after `ms` if it has not ended by then (a hang fails the test, it does not hang it). */
async function bounded(args: string[], ms: number) {
  const { child, done } = start(args);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const r = await done;
  clearTimeout(timer);
  assert.is(r.signal, null, `tfjax ${args.join(' ')} did not end by itself within ${ms / 1000} s:\n${r.stderr}`);
  return r;
}

/** The lines of stderr that are not progress lines; an error must be exactly one. */
const errorLines = (stderr: string) => stderr.split('\n').filter((l) => l && !/^(step \d|training |starting |evaluating |plots: |  )/.test(l));

// ---------------------------------------------------------------------------------------------
const Workers = suite('tfjax train --workers: failures');

Workers('issue 11 item 11: a stuck worker fails the run with one line naming it and the last good checkpoint; the workers are stopped, exit 1', async () => {
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

Workers.after(() => rmSync(root, { recursive: true, force: true }));
Workers.run();
