/**
 * Checkpoints of a real training state (parameters, BatchNorm state, an optimiser chain with
 * int32 step counts, a PRNG key, the data position): bitwise resume, dtypes, leaks, loading into
 * another structure, rotation, and a process killed in the middle of a save.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CheckpointError, latestCheckpoint, listCheckpoints, load, save, saveRotating } from '../../lib/checkpoint/index.js';
import { scope, valueAndGrad } from '../../lib/core/index.js';
import { epochPermutation, numBatches } from '../../lib/data/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as random from '../../lib/random/index.js';
import { leaves, paths } from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();

let dir = '';
const setup = async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfjax-resume-'));
};
const teardown = async () => {
  await rm(dir, { recursive: true, force: true });
};
const disposeTree = (t: unknown) => leaves(t).forEach((l) => l instanceof tf.Tensor && !l.isDisposed && l.dispose());

// A small classifier with BatchNorm, trained by clip + AdamW on a cosine schedule.
const model = nn.sequential([nn.linear({ in: 4, out: 8 }), nn.batchNorm({ features: 8 }), nn.relu(), nn.linear({ in: 8, out: 3 })]);
const opt = optim.chain(optim.clipByGlobalNorm(1), optim.adamw({ learningRate: optim.cosineDecay({ init: 0.1, decaySteps: 10 }) }));
const N = 10;
const BATCH = 4;
const SEED = 7;

function initState() {
  const v = model.init(random.key(0));
  return { params: v.params, modelState: v.state, optState: opt.init(v.params), key: random.key(1), data: { epoch: 0, batch: 0 }, step: 0 };
}
type State = ReturnType<typeof initState>;

/** One training step; the batch comes from the data position, the noise from the key. */
function trainStep(s: State, xs: tf.Tensor, ys: tf.Tensor): State {
  return scope((): State => {
    const perm = epochPermutation(N, SEED, s.data.epoch);
    const idx = tf.tensor1d(Array.from(perm.subarray(s.data.batch * BATCH, Math.min(N, (s.data.batch + 1) * BATCH))), 'int32');
    const x = tf.gather(xs, idx);
    const y = tf.gather(ys, idx);
    const [next, noiseKey] = random.split(s.key);
    const loss = (p: State['params'], ms: State['modelState']) => {
      const noisy = np.add(x, np.mul(random.normal(noiseKey, [x.shape[0], 4]), 0.01));
      const [logits, newState] = model.apply(p, ms, noisy, { train: true });
      return [np.mean(nn.losses.softmaxCrossEntropyWithIntegerLabels(logits, y)), newState] as const;
    };
    const [[, modelState], g] = valueAndGrad(loss, { hasAux: true })(s.params, s.modelState) as [[unknown, State['modelState']], State['params']];
    const [updates, optState] = opt.update(g, s.optState, s.params);
    const batch = (s.data.batch + 1) % numBatches(N, BATCH);
    return {
      params: optim.applyUpdates(s.params, updates),
      modelState,
      optState,
      key: next as tf.Tensor,
      data: { epoch: batch === 0 ? s.data.epoch + 1 : s.data.epoch, batch },
      step: s.step + 1,
    };
  });
}

function train(s: State, steps: number, xs: tf.Tensor, ys: tf.Tensor): State {
  for (let i = 0; i < steps; i++) {
    const next = trainStep(s, xs, ys);
    disposeTree(s);
    s = next;
  }
  return s;
}

/** Every leaf equal, tensors bitwise and with the same dtype, in tree order. */
async function sameState(a: unknown, b: unknown) {
  assert.equal(paths(a), paths(b));
  const la = leaves(a);
  const lb = leaves(b);
  for (let i = 0; i < la.length; i++) {
    const [x, y] = [la[i], lb[i]];
    if (x instanceof tf.Tensor && y instanceof tf.Tensor) {
      assert.is(y.dtype, x.dtype, paths(a)[i]);
      assert.equal(y.shape, x.shape, paths(a)[i]);
      assert.equal(Array.from(await y.data()), Array.from(await x.data()), paths(a)[i]);
    } else assert.is(y, x, paths(a)[i]);
  }
}

// ---------------------------------------------------------------------------------------------

const Resume = suite(`checkpoint: resuming a training state [${backend}]`);
Resume.before(setup);
Resume.after(teardown);

Resume('save at step 4, load, train 3 more: bitwise equal to 7 uninterrupted steps; dtypes kept; no leaks', async () => {
  const xs = tf.randomNormal([N, 4], 0, 1, 'float32', 3);
  const ys = tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32');
  const straight = train(initState(), 7, xs, ys);

  const p = join(dir, 'run', 'ckpt.safetensors');
  const mid = train(initState(), 4, xs, ys);
  assert.equal(mid.data, { epoch: 1, batch: 1 }); // 3 batches per epoch (4, 4, then 2 kept)
  const like = initState();
  const before = tf.memory().numTensors;
  await save(p, mid);
  assert.is(tf.memory().numTensors, before, 'save creates no tensors');
  const loaded = await load<State>(p, { like });
  assert.is(tf.memory().numTensors, before + leaves(like).filter((l) => l instanceof tf.Tensor).length, 'load creates only the leaves');
  await sameState(mid, loaded);
  // int32 step counts and key, float32 moments: each as the optimiser made it.
  const dtypes = new Map(paths(loaded).map((q, i) => [q, (leaves(loaded)[i] as tf.Tensor).dtype]));
  assert.is(dtypes.get('.key'), 'int32');
  assert.is(dtypes.get('.optState[1][0].count'), 'int32');
  assert.is(dtypes.get('.optState[1][2].count'), 'int32');
  assert.is(dtypes.get('.optState[1][0].mu[0].w'), 'float32');
  disposeTree(like);

  const resumed = train(loaded, 3, xs, ys);
  await sameState(straight, resumed);
  disposeTree([straight, mid, resumed, xs, ys]);
});

Resume('loading into another structure is one line naming the file and the first differing path', async () => {
  const p = join(dir, 'other.safetensors');
  const state = initState();
  await save(p, state);
  const sgd = optim.sgd({ learningRate: 0.1, momentum: 0.9 });
  const fresh = { sgdState: sgd.init(state.params), params: model.init(random.key(0)).params, key: tf.zeros([2]) };
  const cases: [unknown, string][] = [
    [{ ...state, optState: fresh.sgdState }, 'at .optState expected an array of length 3, found an array of length 2'],
    [{ ...state, params: fresh.params, step: '0' }, 'at .step expected a string, found a number (0)'],
    [{ ...state, key: fresh.key }, 'at .key expected shape [2] float32, found [2] int32'],
    [{ ...state, data: { epoch: 0 } }, 'at .data.batch expected nothing (the key is not in `like`), found a number (0)'],
  ];
  const before = tf.memory().numTensors;
  for (const [like, reason] of cases) {
    try {
      await load(p, { like });
      assert.unreachable('expected a CheckpointError');
    } catch (e) {
      assert.instance(e, CheckpointError);
      assert.is((e as Error).message, `checkpoint ${p}: ${reason}`);
    }
  }
  assert.is(tf.memory().numTensors, before, 'failed loads create no tensors');
  disposeTree([state, fresh]);
});

Resume.run();

// ---------------------------------------------------------------------------------------------

const Crash = suite(`checkpoint: crashes and rotation [${backend}]`);
Crash.before(setup);
Crash.after(teardown);

const ROOT = new URL('../../', import.meta.url);

/**
 * A child process that starts `saveRotating(dir, 2, ...)` of a tree whose second tensor never
 * finishes reading, so it hangs with the header and the first tensor written; killed then.
 */
function childSaving(run: string): ReturnType<typeof spawn> {
  const code = `
    import * as tf from '@tensorflow/tfjs-core';
    import { setBackend } from ${JSON.stringify(new URL('lib/backend/node.ts', ROOT).href)};
    import { saveRotating } from ${JSON.stringify(new URL('lib/checkpoint/index.ts', ROOT).href)};
    await setBackend('cpu');
    const hang = tf.tensor1d([0]);
    hang.data = () => new Promise(() => {});
    await saveRotating(${JSON.stringify(run)}, 2, { a: tf.fill([4096], 2), z: hang, step: 2 }, { keep: 1 });`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: new URL('.', ROOT), stdio: 'ignore' });
}

/** Waits until `dir` holds a temporary file with at least `bytes` bytes; returns its name. */
async function partialFile(run: string, bytes: number): Promise<string> {
  for (let i = 0; i < 300; i++) {
    for (const n of await readdir(run)) if (n.includes('.tmp-') && (await stat(join(run, n))).size >= bytes) return n;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the child never started writing');
}

Crash('a process killed mid-save leaves the previous checkpoint intact and the latest', async () => {
  const run = join(dir, 'run');
  const old = { a: tf.fill([4096], 1), z: tf.tensor1d([1]), step: 1 };
  await saveRotating(run, 1, old, { keep: 1 });
  const oldBytes = await readFile(join(run, 'ckpt-1.safetensors'));

  const child = childSaving(run);
  const exited = new Promise((r) => child.on('exit', r));
  const tmp = await partialFile(run, 4096 * 4);
  child.kill('SIGKILL');
  await exited;

  assert.equal((await readdir(run)).sort(), ['ckpt-1.safetensors', tmp]);
  assert.ok(tmp.startsWith('ckpt-2.safetensors.tmp-'), tmp);
  assert.equal(await readFile(join(run, 'ckpt-1.safetensors')), oldBytes);
  assert.equal((await listCheckpoints(run)).map((c) => c.step), [1]);
  const latest = await latestCheckpoint(run);
  assert.is(latest, join(run, 'ckpt-1.safetensors'));
  const back = await load<typeof old>(latest!, { like: old });
  await sameState(old, back);

  // The next save goes through and rotates as usual (the dead writer's temporary file is left alone).
  const next = await saveRotating(run, 3, old, { keep: 1 });
  assert.equal(next.removed, [join(run, 'ckpt-1.safetensors')]);
  assert.is(await latestCheckpoint(run), join(run, 'ckpt-3.safetensors'));
  disposeTree([old, back]);
});

Crash('saveRotating keeps the last N by step; each kept file loads', async () => {
  const run = join(dir, 'rot');
  const s = { w: tf.tensor1d([0]), step: 0 };
  for (let step = 1; step <= 5; step++) {
    const t = { w: tf.tensor1d([step]), step };
    await saveRotating(run, step * 100, t, { keep: 3 });
    disposeTree(t);
  }
  assert.equal((await listCheckpoints(run)).map((c) => c.step), [300, 400, 500]);
  for (const { path, step } of await listCheckpoints(run)) {
    const back = await load<typeof s>(path, { like: s });
    assert.is(back.step * 100, step);
    assert.equal(Array.from(await back.w.data()), [step / 100]);
    disposeTree(back);
  }
  disposeTree(s);
});

Crash.run();
