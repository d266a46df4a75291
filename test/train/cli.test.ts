/**
 * The `tfjax` CLI end to end, as child processes, on tiny data (the `tiny` preset: a few
 * images per class, a 4-8-8 ConvNet, 16-image batches), in temporary run directories:
 * - a run writes metrics.jsonl, rotated checkpoints, plots and eval.json;
 * - the same config and seed give the same loss curve;
 * - k steps, then a new process with --resume, ends where an uninterrupted run ends
 *   (same losses, bit-identical parameters), also after `kill -9`;
 * - a corrupt or mismatched checkpoint is a clear error (exit 1) and overwrites nothing;
 * - a NaN loss stops the run (exit 1) and keeps the last good checkpoint;
 * - with 2 data-parallel workers (synchronised by default) a run trains the one-thread run's
 *   model (losses and checkpoint within float rounding), reproduces and resumes exactly;
 *   with `--sync false` each worker's statistics are its shard's: not the one-thread run;
 * - config errors exit 2 with the exact message; eval and embed read a run's checkpoint.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readSafetensorsFile, writeSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { type Result, assertCloseModels, assertSameState, backend, ckpts, cli, losses, metrics, ok, snapshotFiles, start, stateBytes, tiny } from './cli-run.js';

const root = mkdtempSync(join(tmpdir(), 'tfjax-cli-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);

// The uninterrupted reference run, shared by the tests below.
const REF = runDir();
let ref: Result;

const Run = suite('tfjax train: a tiny run end to end');

Run.before(async () => {
  ref = await tiny(REF);
});

Run('writes metrics, checkpoints, plots, eval.json and a summary', async () => {
  ok(ref, 'train');
  const recs = metrics(REF);
  const steps = recs.filter((r) => r.type === 'step');
  assert.equal(
    steps.map((r) => r.step),
    [1, 2, 3, 4, 5, 6],
  );
  for (const r of steps) {
    for (const k of ['loss', 'lr', 'codeEntropy', 'time']) assert.type(r[k], 'number', `${k} in ${JSON.stringify(r)}`);
    assert.ok(Number.isFinite(r.loss as number));
  }
  const evals = recs.filter((r) => r.type === 'eval');
  assert.equal(
    evals.map((r) => r.step),
    [0, 6],
  );
  for (const e of evals) for (const k of ['knn5', 'knn20']) assert.ok((e[k] as number) >= 0 && (e[k] as number) <= 1, `${k} ${e[k]}`);
  assert.equal(ckpts(REF), ['ckpt-2.safetensors', 'ckpt-4.safetensors', 'ckpt-6.safetensors']);
  for (const f of ['loss.svg', 'lr.svg', 'knn.svg', 'eval.json', 'config.json']) assert.ok(existsSync(join(REF, f)), f);
  assert.match(readFileSync(join(REF, 'loss.svg'), 'utf8'), '<svg');
  const ev = JSON.parse(readFileSync(join(REF, 'eval.json'), 'utf8'));
  assert.type(ev.after.knn['20'], 'number');
  assert.type(ev.before.knn['20'], 'number');
  assert.equal([ev.steps, ev.totalSteps, ev.stoppedEarly], [6, 6, undefined]);
  assert.match(ref.stdout, /before training \(random\)\s+kNN k=5/);
  assert.match(ref.stdout, /after training\s+kNN k=5/);
  assert.match(ref.stderr, 'step 6/6');
});

Run('the same config and seed give the same loss curve', async () => {
  const dir = runDir();
  ok(await tiny(dir, '--eval.before', 'false'), 'second run');
  assert.equal(losses(dir), losses(REF));
  assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-6.safetensors')), await stateBytes(join(REF, 'checkpoints', 'ckpt-6.safetensors')));
  const other = runDir();
  ok(await tiny(other, '--seed', '1', '--eval.before', 'false'), 'other seed');
  assert.not.equal(losses(other), losses(REF));
});

Run('the time limit stops training, then evaluates; eval.json and the summary say how many steps ran', async () => {
  const dir = runDir();
  const r = await tiny(dir, '--time-limit-minutes', '1e-6', '--eval.before', 'false');
  ok(r, 'time-limited run');
  const recs = metrics(dir);
  assert.equal(recs.filter((x) => x.type === 'step').map((x) => x.step), [1]);
  assert.equal(recs.filter((x) => x.type === 'warning').map((x) => [x.kind, x.step]), [['timeLimit', 1]]);
  assert.equal(ckpts(dir), ['ckpt-1.safetensors']);
  const ev = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
  assert.equal([ev.steps, ev.totalSteps, ev.stoppedEarly], [1, 6, 'timeLimit']);
  assert.type(ev.after.knn['20'], 'number');
  assert.match(r.stdout, /: 1\/6 steps,/);
});

Run('an existing run directory is not overwritten without --resume', async () => {
  const before = snapshotFiles(REF);
  const r = await tiny(REF);
  assert.is(r.code, 2);
  assert.match(r.stderr, `run directory ${REF} already holds checkpoints (newest: ${join(REF, 'checkpoints', 'ckpt-6.safetensors')}); pass --resume to continue it`);
  assert.equal(snapshotFiles(REF), before);
});
Run.run();

// ---------------------------------------------------------------------------------------------
const Resume = suite('tfjax train --resume');

Resume('k steps, then a new process with --resume, ends where the uninterrupted run ends', async () => {
  const dir = runDir();
  const first = await tiny(dir, '--debug.stop-after-step', '3');
  ok(first, 'first part');
  assert.match(first.stderr, 'stopping after step 3 (debug.stopAfterStep)');
  assert.equal(ckpts(dir), ['ckpt-2.safetensors', 'ckpt-3.safetensors']);
  const second = await tiny(dir, '--resume');
  ok(second, 'resumed part');
  assert.match(second.stderr, `resuming ${dir} from ${join(dir, 'checkpoints', 'ckpt-3.safetensors')} (step 3 of 6)`);
  assert.equal(losses(dir), losses(REF));
  assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-6.safetensors')), await stateBytes(join(REF, 'checkpoints', 'ckpt-6.safetensors')));
});

Resume('a checkpoint written before a setting existed (no dataset.imageSize in its config) resumes: the setting takes its default', async () => {
  const dir = runDir();
  ok(await tiny(dir, '--debug.stop-after-step', '3'), 'first part');
  const file = join(dir, 'checkpoints', 'ckpt-3.safetensors');
  const { tensors, metadata } = await readSafetensorsFile(file);
  const config = JSON.parse(metadata['config']!) as { dataset: Record<string, unknown> };
  delete config.dataset['imageSize'];
  await writeSafetensorsFile(file, tensors, { ...metadata, config: JSON.stringify(config) });
  const second = await tiny(dir, '--resume');
  ok(second, 'resumed part');
  assert.equal(losses(dir), losses(REF));
});

Resume('kill -9 after the first checkpoint, then --resume: the same end as an uninterrupted run', async () => {
  const steps = ['--steps', '14', '--checkpoint.every', '3', '--eval.before', 'false'];
  const whole = runDir();
  ok(await tiny(whole, ...steps), 'uninterrupted');
  const dir = runDir();
  const { child, done } = start(['train', '--preset', 'tiny', '--backend', backend, '--out-dir', dir, ...steps]);
  const t0 = Date.now();
  while (!ckpts(dir).length && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 20));
  child.kill('SIGKILL');
  const killed = await done;
  assert.is(killed.signal, 'SIGKILL', `the child ended by itself (code ${killed.code}) before it could be killed`);
  const left = ckpts(dir);
  assert.ok(left.length >= 1 && !left.includes('ckpt-14.safetensors'), `checkpoints after the kill: ${left}`);
  // A kill during a save may leave a temporary file, never a partial ckpt-*.safetensors.
  for (const f of left) await readSafetensorsFile(join(dir, 'checkpoints', f));
  const resumed = await tiny(dir, ...steps, '--resume');
  ok(resumed, 'resumed');
  assert.equal(losses(dir), losses(whole));
  assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-14.safetensors')), await stateBytes(join(whole, 'checkpoints', 'ckpt-14.safetensors')));
});

Resume('a corrupt newest checkpoint: a clear error, exit 1, nothing overwritten', async () => {
  const dir = runDir();
  ok(await tiny(dir, '--debug.stop-after-step', '4', '--eval.before', 'false'), 'first part');
  const newest = join(dir, 'checkpoints', 'ckpt-4.safetensors');
  truncateSync(newest, statSync(newest).size - 10);
  const before = snapshotFiles(dir);
  const r = await tiny(dir, '--resume');
  assert.is(r.code, 1);
  assert.match(r.stderr, `error: checkpoint ${newest}: `);
  assert.match(r.stderr, `--resume stopped; nothing was written or overwritten. Move ${newest} away to resume from ${join(dir, 'checkpoints', 'ckpt-2.safetensors')}.`);
  assert.equal(snapshotFiles(dir), before);
  // Garbage in the header too.
  writeFileSync(newest, 'not a checkpoint at all');
  const again = snapshotFiles(dir);
  const r2 = await tiny(dir, '--resume');
  assert.is(r2.code, 1);
  assert.match(r2.stderr, `error: checkpoint ${newest}: `);
  assert.equal(snapshotFiles(dir), again);
});

Resume('a mismatched checkpoint (another configuration): a clear error, nothing overwritten', async () => {
  const dir = runDir();
  ok(await tiny(dir, '--debug.stop-after-step', '2', '--eval.before', 'false'), 'first part');
  const before = snapshotFiles(dir);
  const shape = await tiny(dir, '--resume', '--swav.projector.out-dim', '4');
  assert.is(shape.code, 1);
  assert.match(
    shape.stderr,
    `error: checkpoint ${join(dir, 'checkpoints', 'ckpt-2.safetensors')}: it was written by a run with a different configuration (at .swav.projector.outDim: 8 vs 4, checkpoint vs now); resume with the configuration in ${join(dir, 'config.json')}, or choose another --out-dir. Nothing was written or overwritten.`,
  );
  const lr = await tiny(dir, '--resume', '--optimizer.lr', '0.2');
  assert.is(lr.code, 1);
  assert.match(lr.stderr, 'it was written by a run with a different configuration (at .optimizer.lr: 0.1 vs 0.2, checkpoint vs now)');
  assert.equal(snapshotFiles(dir), before);
});

Resume('a NaN loss stops the run with a message and keeps the last good checkpoint', async () => {
  const dir = runDir();
  const r = await tiny(dir, '--debug.nan-at-step', '3', '--eval.before', 'false');
  assert.is(r.code, 1);
  const good = join(dir, 'checkpoints', 'ckpt-2.safetensors');
  // NaN views make the loss NaN on cpu; on wasm the loss can stay finite (its maximum /
  // minimum kernels swallow NaN) while the new parameters are NaN: the loop checks both.
  const last = metrics(dir).filter((x) => x.type === 'step').pop()!;
  assert.is(last.step, 3);
  const what = last['nonFinite'] === 'loss' ? 'the loss is NaN' : 'the parameters became NaN or Inf';
  assert.ok(last['nonFinite'] === 'loss' || last['nonFinite'] === 'parameters', String(last['nonFinite']));
  assert.match(r.stderr, `error: ${what} at step 3; stopping the run. The last good checkpoint, ${good} (step 2), is kept;`);
  assert.equal(ckpts(dir), ['ckpt-2.safetensors']);
  assert.not.ok(existsSync(join(dir, 'eval.json')), 'no evaluation of a broken model');
  // The checkpoint is the uninterrupted run's step 2, and resuming without the hook finishes the run.
  assertSameState(await stateBytes(good), await stateBytes(join(REF, 'checkpoints', 'ckpt-2.safetensors')));
  ok(await tiny(dir, '--resume'), 'resume after NaN');
  assert.equal(losses(dir), losses(REF));
});
Resume('a huge learning rate: the run stops at the first non-finite step, and no checkpoint is written', async () => {
  const dir = runDir();
  const r = await tiny(dir, '--optimizer.lr', '1e38', '--eval.before', 'false');
  assert.is(r.code, 1);
  assert.match(r.stderr, /error: the (parameters became NaN or Inf|loss is (NaN|Inf)) at step 2; stopping the run\. No checkpoint was written;/);
  assert.equal(ckpts(dir), []);
});
Resume.run();

// ---------------------------------------------------------------------------------------------
const Parallel = suite('tfjax train --workers 2');
/**
 * How close (relative) 2 synchronised workers stay to one thread over the 6 steps: float
 * rounding of other summation orders, amplified by momentum SGD. Measured on wasm: losses
 * within 2.5e-6, checkpoint tensors within 3.4e-5 of their largest entry (a BatchNorm bias);
 * unsynchronised workers' losses differ by over 1e-2.
 */
const SYNC_REL = 1e-4;
const SYNC_REL_CHECKPOINT = 1e-3;

Parallel('two synchronised workers train the one-thread run: its losses and checkpoint within float rounding; the run reproduces, and k steps + --resume end where it ends', async () => {
  const flags = ['--workers', '2', '--eval.before', 'false'];
  const whole = runDir();
  const w = await tiny(whole, ...flags);
  ok(w, 'two workers');
  assert.match(w.stderr, 'starting 2 data-parallel workers');
  const curve = losses(whole);
  assert.equal(curve.map(([s]) => s), [1, 2, 3, 4, 5, 6]);
  // SyncBN and the distributed Sinkhorn: the whole batch's statistics, as on one thread.
  const one = losses(REF);
  curve.forEach(([s, l], i) => assert.ok(Math.abs((l as number) - (one[i][1] as number)) <= SYNC_REL * Math.abs(one[i][1] as number), `step ${s}: loss ${l} on 2 workers, ${one[i][1]} on one thread`));
  await assertCloseModels(join(whole, 'checkpoints', 'ckpt-6.safetensors'), join(REF, 'checkpoints', 'ckpt-6.safetensors'), SYNC_REL_CHECKPOINT);
  const dir = runDir();
  ok(await tiny(dir, ...flags, '--debug.stop-after-step', '3'), 'first part');
  ok(await tiny(dir, ...flags, '--resume'), 'resumed part');
  assert.equal(losses(dir), curve);
  assertSameState(await stateBytes(join(dir, 'checkpoints', 'ckpt-6.safetensors')), await stateBytes(join(whole, 'checkpoints', 'ckpt-6.safetensors')));
});

Parallel('a NaN step stops a 2-worker run (checked when the parameters are read) and keeps the last good checkpoint; with --sync false its steps differ from one thread', async () => {
  const dir = runDir();
  // tiny logs every step, so the parameters are read (and checked) after every step.
  const r = await tiny(dir, '--workers', '2', '--sync', 'false', '--debug.nan-at-step', '3', '--eval.before', 'false');
  assert.is(r.code, 1);
  // Unsynchronised, each worker's BatchNorm and Sinkhorn see half the batch: not the one-thread run's losses.
  const before = losses(dir).slice(0, 2);
  before.forEach(([s, l], i) => assert.ok(Math.abs((l as number) - (losses(REF)[i][1] as number)) > 100 * SYNC_REL * Math.abs(l as number), `step ${s}: ${l} with --sync false`));
  const last = metrics(dir).filter((x) => x.type === 'step').pop()!;
  assert.is(last.step, 3);
  assert.ok(last['nonFinite'] === 'loss' || last['nonFinite'] === 'parameters', String(last['nonFinite']));
  assert.match(r.stderr, `at step 3; stopping the run. The last good checkpoint, ${join(dir, 'checkpoints', 'ckpt-2.safetensors')} (step 2), is kept;`);
  assert.equal(ckpts(dir), ['ckpt-2.safetensors']);
  assert.not.ok(existsSync(join(dir, 'eval.json')), 'no evaluation of a broken model');
});

Parallel('workers must divide the batch', async () => {
  const r = await tiny(runDir(), '--workers', '3');
  assert.is(r.code, 2);
  assert.is(r.stderr.split('\n')[0], 'config: at .workers expected a divisor of .batchSize (16), got 3');
});

Parallel.run();

// ---------------------------------------------------------------------------------------------
const Other = suite('tfjax: config errors, help, eval, embed');

Other('a wrong config value exits 2 with the exact message', async () => {
  const file = join(root, 'bad.json');
  writeFileSync(file, JSON.stringify({ optimizer: { lr: 'fast' } }));
  const r = await cli(['train', '--config', file]);
  assert.is(r.code, 2);
  assert.is(r.stderr.split('\n')[0], `config ${file}: at .optimizer.lr expected a positive number, got "fast"`);
  const f = await cli(['train', '--preset', 'tiny', '--batch-size', 'big']);
  assert.is(f.code, 2);
  assert.is(f.stderr.split('\n')[0], 'config flag --batch-size: at .batchSize expected a positive integer, got "big"');
  const u = await cli(['train', '--preset', 'tiny', '--swav.prototypes', '10']);
  assert.is(u.code, 2);
  assert.match(u.stderr.split('\n')[0]!, 'config flag --swav.prototypes: at .swav.prototypes unknown key (known: encoder, encoderOptions, embedDim, projector, numPrototypes,');
  const c = await cli(['fit']);
  assert.is(c.code, 2);
  assert.is(c.stderr.split('\n')[0], "unknown command 'fit' (expected train, eval, embed, export, help)");
});

Other('--help prints the usage and exits 0', async () => {
  const r = await cli(['--help']);
  assert.is(r.code, 0);
  assert.match(r.stdout, 'usage:');
  assert.match(r.stdout, 'optimizer.lr');
});

Other('eval and embed read the newest checkpoint of a run; flags override its stored configuration', async () => {
  const ev = await cli(['eval', '--run', REF, '--backend', backend]);
  ok(ev, 'eval');
  assert.match(ev.stdout, `${join(REF, 'checkpoints', 'ckpt-6.safetensors')} (step 6): kNN k=5 `);
  const k3 = await cli(['eval', '--run', REF, '--backend', backend, '--eval.ks', '[3]']);
  ok(k3, 'eval --eval.ks [3]');
  assert.match(k3.stdout, `${join(REF, 'checkpoints', 'ckpt-6.safetensors')} (step 6): kNN k=3 `);
  const out = join(root, 'emb.safetensors');
  const em = await cli(['embed', '--run', REF, '--out', out, '--backend', backend]);
  ok(em, 'embed');
  const { tensors } = await readSafetensorsFile(out);
  assert.equal(tensors['embeddings']!.shape, [10000, 8]);
  assert.equal(tensors['labels']!.shape, [10000]);
  const npy = join(root, 'emb.npy');
  ok(await cli(['embed', '--run', REF, '--out', npy, '--split', 'train', '--backend', backend]), 'embed npy');
  const bytes = readFileSync(npy);
  assert.is(bytes.subarray(1, 6).toString('latin1'), 'NUMPY');
  assert.match(bytes.subarray(10, 128).toString('latin1'), "'shape': (80, 8)");
  assert.ok(existsSync(join(root, 'emb.labels.npy')));
});

Other('eval of a corrupt checkpoint: exit 1 and a clear error', async () => {
  const bad = join(root, 'ckpt-1.safetensors');
  writeFileSync(bad, Buffer.alloc(64, 7));
  const r = await cli(['eval', '--checkpoint', bad, '--backend', backend]);
  assert.is(r.code, 1);
  assert.match(r.stderr, `error: checkpoint ${bad}: `);
});
Other.after(() => rmSync(root, { recursive: true, force: true }));
Other.run();
