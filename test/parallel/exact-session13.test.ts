/**
 * Distributed runs are exact (session 13):
 * - `dataParallel` over 2 workers running a synchronised `methodProgram` (DINO: all-reduced
 *   centre, EMA teacher, SyncBN) is the one-process `ssl.trainStep` on the whole batch:
 *   losses, parameters, state and optimiser state after 2 steps within 1e-5;
 * - resuming a run from `read()` continues it exactly (bitwise), MoCo v2's per-worker queues
 *   included (`read()` returns every worker's state, `load` gives each its own);
 * - `load` rejects values that do not fit the replicas (shape, structure) with a one-line
 *   error naming the leaf, and the group keeps working;
 * - a pmap worker that never answers fails the call after `stepTimeout`, naming it; no hang.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type DataParallelVariables, dataParallel, fromHost, pmap } from '../../lib/parallel/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { bitwiseEqual, normError, relClose } from './compare.js';
import { INPUT, method, optimizer } from './methods-sync-fns.js';

const detected = await useTestBackend();
// The workers run cpu or wasm (webgpu stays in the main thread).
const backend = detected === 'cpu' ? 'cpu' : 'wasm';
const FNS = new URL('./exact-session13-fns.ts', import.meta.url);
const N = 8;
const REL = 1e-5;

/** Two views [N, INPUT] per step. */
const batches = Array.from({ length: 3 }, (_, s) => ({ view1: tf.randomNormal([N, INPUT], 0, 1, 'float32', 50 + 2 * s), view2: tf.randomNormal([N, INPUT], 0, 1, 'float32', 51 + 2 * s) }));

/** Awaits p, failing (instead of hanging) if it has not settled after `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, guard]);
  } finally {
    clearTimeout(timer);
  }
}

const Exact = suite(`exact distributed runs, 2 workers [${backend}]`);

Exact('dataParallel(methodProgram(DINO, { axisName })): 2 steps = ssl.trainStep on the whole batch (loss, params, teacher, centre, BN statistics, momentum)', async () => {
  const m = method('dino');
  let { params, state } = m.init(random.key(0));
  let optState = optimizer.init(params);
  const step = ssl.trainStep(m, optimizer);
  const dp = await dataParallel({ workers: 2, module: FNS, arg: { name: 'dino' }, backend });
  try {
    for (let s = 0; s < 2; s++) {
      const { metrics } = await dp.step(batches[s]);
      const one = step(params, state, optState, batches[s]);
      relClose(tf.scalar(metrics.loss as number), one.metrics.loss, REL, `loss of step ${s + 1}`);
      ({ params, state, optState } = one);
    }
    const got = fromHost<DataParallelVariables>(await dp.read());
    relClose(got.params, params, REL, 'parameters after 2 steps');
    relClose(got.state, state, REL, 'state (teacher, centre, BatchNorm statistics) after 2 steps');
    const e = normError(got.optState, optState);
    assert.ok(e <= REL, `momentum after 2 steps: norm-wise relative error ${e}`);
    bitwiseEqual(got.states[1], got.states[0], 'the workers hold the same state');
  } finally {
    assert.equal((await dp.close()).leakedTensors, [0, 0]);
  }
});

Exact("resuming MoCo v2 from read() is exact, each worker's queue included; a load that does not fit is rejected and changes nothing", async () => {
  const arg = { name: 'mocoV2' };
  const first = await dataParallel({ workers: 2, module: FNS, arg, backend });
  let checkpoint: DataParallelVariables;
  let after: DataParallelVariables;
  try {
    for (let s = 0; s < 2; s++) await first.step(batches[s]);
    checkpoint = await first.read();
    await first.step(batches[2]);
    after = await first.read();
  } finally {
    assert.equal((await first.close()).leakedTensors, [0, 0]);
  }
  // The workers' queues differ (each holds its own shard's keys): a rank-0 copy would not resume.
  const queues = checkpoint.states.map((st) => fromHost<{ queue: { embeddings: tf.Tensor } }>(st).queue.embeddings.dataSync());
  assert.ok(queues[0].some((v, i) => v !== queues[1][i]), 'the two workers hold different queues');

  const resumed = await dataParallel({ workers: 2, module: FNS, arg, backend });
  try {
    const params = checkpoint.params as Record<string, unknown>;
    const wrong = { shape: [3], dtype: 'float32', data: new Float32Array(3) };
    const badShape = await resumed.load({ ...checkpoint, params: { ...params, encoder: { ...(params.encoder as object), bn: { scale: wrong, bias: wrong } } } }).then(() => null, (e: Error) => e);
    assert.is(badShape?.message, "parallel: worker 0: load: params at .encoder.bn.bias is float32[3], the replica's is float32[16]");
    const { projector: _dropped, ...missing } = params;
    const badTree = await resumed.load({ params: { ...missing } }).then(() => null, (e: Error) => e);
    assert.match(badTree?.message ?? '', /^parallel: worker 0: load: the given params and the replica's have different structures at the root: an object with keys \[encoder\] vs an object with keys \[encoder, projector\]$/);
    const badStates = await resumed.load({ states: [checkpoint.state] }).then(() => null, (e: Error) => e);
    assert.is(badStates?.message, 'dataParallel: load: states must hold one state per worker (2), got 1');
    await resumed.load(checkpoint);
    await resumed.step(batches[2]);
    const got = await resumed.read();
    bitwiseEqual(fromHost(got), fromHost(after), 'the resumed run after step 3');
  } finally {
    assert.equal((await resumed.close()).leakedTensors, [0, 0]);
  }
});

Exact('pmap: a worker that never answers fails the call after stepTimeout, naming it; close() ends the group', async () => {
  const f = pmap({ module: FNS, name: 'stuckOnSecond' }, { axisName: 'workers', workers: 2, backend, stepTimeout: { firstStepSeconds: 2, minSeconds: 2 } });
  const x = tf.ones([2, 3]);
  try {
    const err = await within(f(x).then(() => null, (e: Error) => e), 15_000, 'the stuck call');
    assert.is(err?.message, 'parallel: worker 1 did not finish the call within 2.0 s (the limit of the first call, which traces and compiles); the workers were stopped');
    const again = await f(x).then(() => null, (e: Error) => e);
    assert.is(again?.message, err!.message, 'the group stays failed with that error');
  } finally {
    await within(f.close(), 10_000, 'close()');
    x.dispose();
  }
});

Exact.run();
