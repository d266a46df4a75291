/**
 * saveRotating follows orbax's CheckpointManager.save (session 18): a step at or below the newest
 * checkpoint's step is not saved (orbax's should_save is false: its `last_checkpoint_step < step`
 * condition), nothing is written or removed, and newer checkpoints are never deleted.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { latestCheckpoint, listCheckpoints, load, saveRotating } from '../../lib/checkpoint/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

let dir = '';
const R = suite('checkpoint: saveRotating skips steps <= the newest (orbax)');
R.before.each(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfjax-rotating-'));
});
R.after.each(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stateAt = (step: number) => ({ w: tf.tensor1d([step, -step]), step });
const steps = async () => (await listCheckpoints(dir)).map((c) => c.step);

R('an older step is not saved and deletes nothing newer, even with keep: 1', async () => {
  for (const step of [10, 20]) {
    const s = stateAt(step);
    await saveRotating(dir, step, s, { keep: 2 });
    tf.dispose(s.w);
  }
  const newest = await readFile(join(dir, 'ckpt-20.safetensors'));
  const old = stateAt(5);
  assert.equal(await saveRotating(dir, 5, old, { keep: 1 }), { path: null, removed: [] });
  assert.equal(await steps(), [10, 20]);
  assert.equal(await readFile(join(dir, 'ckpt-20.safetensors')), newest);
  assert.equal((await readdir(dir)).sort(), ['ckpt-10.safetensors', 'ckpt-20.safetensors'], 'no temporary file left');
  tf.dispose([old.w]);
});

R('the newest step itself is not saved again (its file is unchanged)', async () => {
  const first = stateAt(7);
  await saveRotating(dir, 7, first);
  const bytes = await readFile(join(dir, 'ckpt-7.safetensors'));
  const again = { w: tf.tensor1d([100, 200]), step: 7 };
  assert.equal(await saveRotating(dir, 7, again, { keep: 1 }), { path: null, removed: [] });
  assert.equal(await readFile(join(dir, 'ckpt-7.safetensors')), bytes);
  const back = await load<typeof first>((await latestCheckpoint(dir))!, { like: first });
  assert.equal(Array.from(await back.w.data()), [7, -7]);
  tf.dispose([first.w, again.w, back.w]);
});

R('a newer step is saved and rotates the older ones as before', async () => {
  for (const step of [1, 2, 3]) {
    const s = stateAt(step);
    const r = await saveRotating(dir, step, s, { keep: 2 });
    assert.is(r.path, join(dir, `ckpt-${step}.safetensors`));
    tf.dispose(s.w);
  }
  assert.equal(await steps(), [2, 3]);
});

R.run();
