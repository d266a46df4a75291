/**
 * `tfjax train --workers N` with a method that keeps a queue per worker (MoCo v2 here, on the
 * tiny preset): the checkpoints hold every worker's queue, so
 *
 * - 3 steps + `--resume` for 3 more end bit for bit where 6 uninterrupted steps end (as
 *   test/train/methods.test.ts checks for BYOL, whose state is the same on every worker);
 * - resuming with another number of workers goes on from the stored queues (new workers
 *   from worker 0's) and says so;
 * - `tfjax export` (like eval and embed) reads worker 0's state, as before.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as checkpoint from '../../lib/checkpoint/index.js';
import { readSafetensorsFile } from '../../lib/io/safetensors-file.js';
import { main } from '../../lib/train/cli.js';
import { loadConfig } from '../../lib/train/config.js';
import { type TrainResult, train } from '../../lib/train/loop.js';
import { useTestBackend } from '../helpers/backend.js';
import { assertSameState, backend, losses, stateBytes } from './cli-run.js';

await useTestBackend();
const root = mkdtempSync(join(tmpdir(), 'tfjax-workers-resume-'));
let counter = 0;
const runDir = () => join(root, `run${counter++}`);

/** MoCo v2 (queue of 32 rows of width 8) on two 28x28 views, no evaluation before training. */
const FLAGS = ['--method', 'mocoV2', '--augment.nmb-crops', '[2]', '--augment.size-crops', '[28]', '--augment.min-scale', '[0.3]', '--augment.max-scale', '[1]', '--backend', backend, '--eval.before', 'false'];
const pairs = (flags: string[]) => flags.flatMap((f, i) => (f.startsWith('--') ? [[f, flags[i + 1]!] as const] : []));

/** `tfjax train --preset tiny` in this process; `said` collects its stderr. */
async function trainHere(dir: string, extra: string[], resume = false, said: string[] = []): Promise<TrainResult> {
  const c = loadConfig({ preset: 'tiny', flags: pairs([...FLAGS, '--out-dir', dir, ...extra]) });
  const err = { write: (s: string) => said.push(s) > 0 } as unknown as NodeJS.WritableStream;
  return train(c, { resume, stderr: err, stdout: { write: () => true } as unknown as NodeJS.WritableStream });
}
const ckpt = (dir: string, step: number) => join(dir, 'checkpoints', `ckpt-${step}.safetensors`);

/** The checkpoint's tensors under `prefix` (e.g. `.modelState.queue`), by the rest of their name. */
async function tensorsUnder(path: string, prefix: string): Promise<Map<string, number[]>> {
  const { tensors } = await readSafetensorsFile(path);
  return new Map(Object.entries(tensors).filter(([n]) => n.startsWith(prefix)).map(([n, t]) => [n.slice(prefix.length), Array.from(t.data as ArrayLike<number>)]));
}

const Resume = suite('tfjax train --workers 2: a queue per worker, and --resume');
const FLAGS6 = ['--steps', '6', '--checkpoint.every', '3'];
const whole = runDir();
const dir = runDir();
/** A copy of `dir` stopped after step 3, for the resume with 4 workers. */
const four = runDir();

Resume('MoCo v2 on 2 workers: 3 steps + --resume for 3 more end bit for bit where 6 uninterrupted steps end', async () => {
  const flags = [...FLAGS6, '--workers', '2'];
  await trainHere(whole, flags);
  await trainHere(dir, [...flags, '--debug.stop-after-step', '3']);
  cpSync(dir, four, { recursive: true });
  const said: string[] = [];
  await trainHere(dir, flags, true, said);
  assert.not.match(said.join(''), 'note:');
  assert.equal(losses(dir), losses(whole));
  assertSameState(await stateBytes(ckpt(dir, 6)), await stateBytes(ckpt(whole, 6)));
  assert.equal(await tensorsUnder(ckpt(dir, 6), '.workerStates'), await tensorsUnder(ckpt(whole, 6), '.workerStates'));
  // The checkpoint holds worker 1's queue next to worker 0's (in `modelState`), and they differ.
  const own0 = await tensorsUnder(ckpt(dir, 3), '.modelState.queue');
  const own1 = await tensorsUnder(ckpt(dir, 3), '.workerStates[0].queue');
  assert.equal([...own1.keys()].sort(), [...own0.keys()].sort());
  assert.ok([...own0].some(([k, v]) => v.some((x, i) => x !== own1.get(k)![i])), "the two workers' queues differ after 3 steps");
  assert.is((await checkpoint.readCheckpointMeta(ckpt(dir, 3)))['workers'], '2');
});

Resume("another number of workers: the stored queues go on (the new workers from worker 0's), and the run says so", async () => {
  const said: string[] = [];
  // One step on 4 workers (each needs 16 / 4 = 4 images), then a checkpoint.
  await trainHere(four, [...FLAGS6, '--workers', '4', '--debug.stop-after-step', '4'], true, said);
  assert.match(said.join(''), `note: ${ckpt(four, 3)} holds the queues of 2 workers and this run has 4: workers 0-1 go on from their own, workers 2-3 start from worker 0's;`);
  // The new checkpoint holds the queues of the 4 workers (workers 1-3 in workerStates).
  const stored = await tensorsUnder(ckpt(four, 4), '.workerStates');
  assert.equal([...new Set([...stored.keys()].map((k) => k.slice(0, 3)))].sort(), ['[0]', '[1]', '[2]']);
  assert.is((await checkpoint.readCheckpointMeta(ckpt(four, 4)))['workers'], '4');
  // A queue is newest row first: after one step, a worker's queue is its new rows, then the rows it started from.
  const rows = async (path: string, prefix: string) => {
    const q = (await tensorsUnder(path, prefix)).get('.embeddings')!;
    return Array.from({ length: q.length / 8 }, (_, i) => q.slice(8 * i, 8 * i + 8).join());
  };
  const before = [await rows(ckpt(four, 3), '.modelState.queue'), await rows(ckpt(four, 3), '.workerStates[0].queue')];
  const after = [await rows(ckpt(four, 4), '.modelState.queue'), ...(await Promise.all([0, 1, 2].map((r) => rows(ckpt(four, 4), `.workerStates[${r}].queue`))))];
  const pushed = after[0]!.findIndex((_, k) => k > 0 && after[0]!.slice(k).join('|') === before[0]!.slice(0, 32 - k).join('|'));
  assert.ok(pushed > 0, 'worker 0 went on from its own queue');
  // Workers 0-3 started from the queues of workers 0, 1, 0, 0.
  [0, 1, 0, 0].forEach((from, r) => assert.equal(after[r]!.slice(pushed), before[from]!.slice(0, 32 - pushed), `worker ${r} started from worker ${from}'s queue`));
});

Resume('tfjax export of a 2-worker checkpoint writes worker 0\'s queue', async () => {
  const out = join(root, 'moco.safetensors');
  assert.is(await main(['export', '--torch', whole, out]), 0);
  const { tensors } = await readSafetensorsFile(out);
  const own0 = await tensorsUnder(ckpt(whole, 6), '.modelState.queue');
  assert.equal(own0.get('.filled'), [32], 'the queue is full');
  // A full queue is written oldest row first: worker 0's rows (newest first), reversed.
  const rows = (q: number[]) => Array.from({ length: 32 }, (_, i) => q.slice(8 * i, 8 * i + 8));
  assert.equal(rows(Array.from(tensors['queue.out']!.data as ArrayLike<number>)), rows(own0.get('.embeddings')!).reverse());
});

Resume.after(() => rmSync(root, { recursive: true, force: true }));
Resume.run();
