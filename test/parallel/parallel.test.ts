/**
 * lib/parallel: data-parallel steps over worker_threads and tfjs's wasm threads in Node.
 *
 * - the all-reduce communicator on one rank, and its abort;
 * - the MLP: the 2-worker averaged gradient equals the single-process gradient of the
 *   whole batch, and two 2-worker SGD steps equal two single-process steps;
 * - SwAV: the two-phase program on one replica is `swav.trainStep` step for step; with 2
 *   workers the averaged gradient is the mean of the shards' gradients of their own SwAV
 *   losses (shard-local Sinkhorn and BatchNorm: the documented semantics), BatchNorm
 *   running statistics are the mean of the shards', and the update is the optimiser's on
 *   that mean;
 * - lifecycle: no tensor leaks in the workers, close() ends them, a failing replica
 *   rejects the step and releases the others, and a process that never calls close()
 *   still exits by itself (also with `enableWasmThreads(2, { kernelThreads: 2 })`, which must give 2 threads
 *   and correct results).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, valueAndGrad } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import {
  Communicator,
  type HostArray,
  ProgramReplica,
  StepWatchdog,
  abortComm,
  createCommBuffers,
  dataParallel,
  fromHost,
  shardBatch,
  swavProgram,
  toHost,
} from '../../lib/parallel/index.js';
import * as swav from '../../lib/ssl/swav/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { type MlpParams, mlpInit, mlpLoss, swavTestConfig, swavTestOptimizer } from './replicas.js';

const backend = await useTestBackend();
const REPLICAS = new URL('./replicas.ts', import.meta.url);

/** Leaves of a host tree or a tensor tree, as plain number arrays, in tree order. */
function values(t: unknown): number[][] {
  return tree.leaves(t, (x) => x instanceof tf.Tensor || (typeof x === 'object' && x !== null && 'data' in x && 'shape' in x)).map((l) =>
    Array.from(l instanceof tf.Tensor ? l.dataSync() : (l as HostArray).data),
  );
}

function assertTreesClose(actual: unknown, expected: unknown, tol: { rtol: number; atol: number }, what: string) {
  const a = values(actual);
  const e = values(expected);
  assert.is(a.length, e.length, `${what}: number of leaves`);
  const paths = tree.paths(tree.map(() => 0, expected as never));
  a.forEach((x, i) => allClose(x, e[i], tol, `${what} at ${paths[i] ?? i}`));
}

// ---------------------------------------------------------------------------------------------
const Comm = suite('parallel: Communicator');

Comm('one rank: collectives are the identity; abort makes later calls throw', () => {
  const buffers = createCommBuffers(1, 4);
  const c = new Communicator(buffers, 0);
  const x = Float32Array.from([1, 2, 3, 4, 5, 6, 7]);
  assert.equal(Array.from(c.allReduce(x, 'mean')), [1, 2, 3, 4, 5, 6, 7]);
  assert.equal(Array.from(c.broadcast(x)), [1, 2, 3, 4, 5, 6, 7]);
  c.barrier();
  abortComm(buffers);
  assert.throws(() => c.barrier(), /aborted/);
  assert.throws(() => new Communicator(buffers, 1), /rank must be in \[0, 1\)/);
});

Comm('shardBatch splits every leaf along axis 0 and names a batch that does not divide', () => {
  const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
  const y = tf.tensor1d([0, 1, 2, 3], 'int32');
  const [a, b] = shardBatch({ x, y }, 2) as { x: HostArray; y: HostArray }[];
  assert.equal([...a.x.shape], [2, 2]);
  assert.equal(Array.from(a.x.data), [1, 2, 3, 4]);
  assert.equal(Array.from(b.x.data), [5, 6, 7, 8]);
  assert.equal(Array.from(b.y.data), [2, 3]);
  assert.is(b.y.dtype, 'int32');
  assert.throws(() => shardBatch({ x }, 3), /batch size 4 \(at \.x\) is not divisible by the 3 workers/);
  tf.dispose([x, y]);
});

Comm.run();

// ---------------------------------------------------------------------------------------------
const Mlp = suite('parallel: MLP over 2 workers equals one process');

const SIZES = [12, 16, 5];
const mlpBatch = () => ({ x: tf.randomNormal([8, SIZES[0]], 0, 1, 'float32', 3), y: tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32') });

Mlp('gradient of the whole batch, two SGD steps, flat memory, no leak, close ends the workers', async () => {
  const lr = 0.1;
  const dp = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'mlp', lr, sizes: SIZES }, backend });
  const batch = mlpBatch();
  const loss = mlpLoss(SIZES);
  // The single-process reference.
  let params = mlpInit(SIZES);
  const [l0, g0] = valueAndGrad((p: MlpParams) => loss(p, batch))(params) as [NdArray, MlpParams];
  const got = await dp.grads(batch);
  assertTreesClose(got.grads, g0, { rtol: 1e-5, atol: 1e-6 }, 'averaged gradient');
  allClose(Array.from(got.metrics.loss.data), [(l0 as tf.Tensor).dataSync()[0]], { rtol: 1e-6 });
  const sgdStep = jit((p: MlpParams) => {
    const [, g] = valueAndGrad((q: MlpParams) => loss(q, batch))(p) as [NdArray, MlpParams];
    return tree.map((w: NdArray, d: NdArray) => np.sub(w, np.mul(d, lr)), p, g) as MlpParams;
  });
  const counts: number[][] = [];
  for (let i = 0; i < 3; i++) {
    await dp.step(batch);
    const next = sgdStep(params);
    tf.dispose(Object.values(params) as tf.Tensor[]);
    params = next;
    counts.push(await dp.memory());
  }
  const read = await dp.read();
  assertTreesClose(read.params, params, { rtol: 1e-5, atol: 1e-6 }, 'parameters after 3 steps');
  assert.equal(counts[2], counts[1], `tensors per worker stay flat: ${JSON.stringify(counts)}`);
  assert.equal(counts[0], counts[1], `tensors per worker stay flat: ${JSON.stringify(counts)}`);
  const { leakedTensors } = await dp.close();
  assert.equal(leakedTensors, [0, 0], 'every worker freed everything');
  const closedErr = await dp.step(batch).then(() => null, (e: Error) => e);
  assert.match(closedErr?.message ?? '', /closed/, 'a closed group rejects steps');
  tf.dispose([l0 as tf.Tensor, ...(Object.values(g0) as tf.Tensor[]), ...(Object.values(params) as tf.Tensor[]), batch.x, batch.y]);
  sgdStep.clearCache();
});

Mlp.run();

// ---------------------------------------------------------------------------------------------
const Swav = suite('parallel: SwAV program');

const views = (batch: number, seed: number) => ({
  view1: tf.randomNormal([batch, 8, 8, 3], 0, 1, 'float32', seed),
  view2: tf.randomNormal([batch, 8, 8, 3], 0, 1, 'float32', seed + 1),
});

Swav('one replica: the two-phase program is swav.trainStep, step for step (momentum, weight decay, frozen prototypes)', () => {
  const config = swavTestConfig(2);
  const opt = swavTestOptimizer(0.1, 0.9);
  const program = swavProgram({ config, optimizer: opt, seed: 0 });
  const replica = new ProgramReplica(program, new Communicator(createCommBuffers(1), 0));
  replica.init();
  const ref = program.init();
  let run = { params: ref.params, modelState: ref.state, optState: ref.optState };
  const step = jit(swav.trainStep(config, opt));
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const batch = views(10, 10 * i);
    const report = replica.step(toHost(batch));
    const out = step(run.params, run.modelState, run.optState, batch);
    allClose([report.metrics.loss as number, report.metrics.codeEntropy as number], [(out.metrics.loss as tf.Tensor).dataSync()[0], (out.metrics.codeEntropy as tf.Tensor).dataSync()[0]], { rtol: 1e-5 }, `metrics at step ${i}`);
    tf.dispose([run, out.metrics, batch] as never);
    run = { params: out.params, modelState: out.modelState, optState: out.optState };
  }
  assertTreesClose(replica.params, run.params, { rtol: 1e-5, atol: 1e-6 }, 'parameters');
  assertTreesClose(replica.state, run.modelState, { rtol: 1e-5, atol: 1e-6 }, 'state');
  assertTreesClose(replica.optState, run.optState, { rtol: 1e-5, atol: 1e-6 }, 'optimiser state');
  tf.dispose(run as never);
  step.clearCache();
  replica.dispose();
  assert.ok(tf.memory().numTensors <= before, `no tensor left behind (${tf.memory().numTensors} > ${before})`);
});

Swav('2 workers: mean of the shards\' gradients (shard-local Sinkhorn and BatchNorm), mean BatchNorm statistics, the optimiser on the mean', async () => {
  const lr = 0.1;
  const momentum = 0.9;
  const dp = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'swav', lr, momentum }, backend });
  const batch = views(12, 7);
  // The reference, in this process: the program's phases on each shard, averaged by hand.
  const program = swavProgram({ config: swavTestConfig(), optimizer: swavTestOptimizer(lr, momentum), seed: 0 });
  const init = program.init();
  const gradsJit = jit(program.grads);
  const shards = (shardBatch(batch, 2) as unknown[]).map((s) => fromHost<swav.SwavInput>(s));
  const per = shards.map((s) => gradsJit(init.params, init.state, s));
  const mean = (a: NdArray, b: NdArray) => (a as tf.Tensor).dtype === 'float32' ? np.div(np.add(a, b), 2) : a;
  const meanGrads = tree.map<swav.SwavParams>(mean, per[0].grads, per[1].grads);
  const meanState = tree.map<swav.SwavState>(mean, per[0].state, per[1].state);
  const meanLoss = ((per[0].metrics!.loss as tf.Tensor).dataSync()[0] + (per[1].metrics!.loss as tf.Tensor).dataSync()[0]) / 2;

  const got = await dp.grads(batch);
  assertTreesClose(got.grads, meanGrads, { rtol: 1e-4, atol: 1e-6 }, 'averaged gradient');
  allClose(Array.from(got.metrics.loss.data), [meanLoss], { rtol: 1e-5 }, 'averaged loss');

  const { metrics } = await dp.step(batch);
  allClose([metrics.loss as number], [meanLoss], { rtol: 1e-5 }, 'step loss');
  const expected = tf.tidy(() => program.update(init.params, init.optState, meanGrads, init.state, per[0].carry, meanState, { loss: tf.scalar(meanLoss) }) as never) as unknown as { params: unknown; optState: unknown };
  const read = await dp.read();
  assertTreesClose(read.params, expected.params, { rtol: 1e-4, atol: 1e-6 }, 'parameters after the step');
  assertTreesClose(read.optState, expected.optState, { rtol: 1e-4, atol: 1e-6 }, 'optimiser state after the step');
  assertTreesClose(read.state, meanState, { rtol: 1e-5, atol: 1e-6 }, 'BatchNorm statistics (mean over replicas) and step');
  // Not the whole batch's gradient: Sinkhorn and BatchNorm saw only their shard.
  const full = gradsJit(init.params, init.state, batch);
  const diff = Math.max(...values(full.grads).flatMap((g, i) => g.map((v, j) => Math.abs(v - values(meanGrads)[i][j]))));
  assert.ok(diff > 1e-4, `shard-local statistics give a different gradient from the whole batch's (max diff ${diff})`);

  assert.equal((await dp.close()).leakedTensors, [0, 0]);
  tf.dispose([init, per, meanGrads, meanState, expected, shards, batch, full] as never);
  gradsJit.clearCache();
});

Swav.run();

// ---------------------------------------------------------------------------------------------
const Life = suite('parallel: failures and exit');

Life('a replica that throws rejects the step with its message, releases the others, and close() still ends the workers', async () => {
  const dp = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'failing' }, backend });
  const x = tf.ones([2, 2]);
  const err = await dp.step({ x }).then(() => null, (e: Error) => e);
  assert.ok(err, 'the step rejected');
  assert.match(err!.message, /this loss always fails/);
  const again = await dp.memory().then(() => null, (e: Error) => e);
  assert.ok(again, 'a failed group rejects later calls');
  await dp.close();
  x.dispose();
});

Life('a missing replica module fails dataParallel() with the reason', async () => {
  const err = await dataParallel({ workers: 2, module: new URL('./no-such-replica.ts', import.meta.url), backend }).then(() => null, (e: Error) => e);
  assert.ok(err);
  assert.match(err!.message, /failed to start/);
});

Life('a worker that exits while starting, without a word, fails dataParallel() (it does not wait forever)', async () => {
  const err = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'exits' }, backend }).then(() => null, (e: Error) => e);
  assert.ok(err);
  assert.match(err!.message, /failed to start: it exited \(code 3\) before it was ready/);
});

Life('issue 11 item 11: a worker stuck in a step fails the group after the time limit, naming it; the workers are stopped', async () => {
  // Rank 1 stalls in step 3 (for 120 s: if the watchdog failed, the step would end late and this test fail, not hang).
  const stepTimeout = { factor: 3, minSeconds: 0.5, firstStepSeconds: 120 };
  const dp = await dataParallel({ workers: 2, module: REPLICAS, arg: { kind: 'stalls', rank: 1, atStep: 3, seconds: 120 }, backend, stepTimeout });
  const x = tf.ones([4, 2]);
  for (let i = 0; i < 2; i++) assert.type((await dp.step({ x })).metrics.loss, 'number');
  const err = await dp.step({ x }).then(() => null, (e: Error) => e);
  assert.ok(err, 'the stuck step rejected');
  assert.match(err!.message, /^parallel: worker 1 did not finish the step within \d+\.\d s \(the median step took \d+\.\d\d s\); the workers were stopped$/);
  const again = await dp.memory().then(() => null, (e: Error) => e);
  assert.is(again?.message, err!.message, 'the group stays failed with that error');
  await dp.close();
  x.dispose();
});

Life('the step time limit: the first step gets its own, later ones factor x the median, at least minSeconds', () => {
  const w = new StepWatchdog({ factor: 10, minSeconds: 1, firstStepSeconds: 30 });
  assert.is(w.limitMs(), 30_000);
  w.record(5000);
  assert.is(w.limitMs(), 50_000);
  w.record(100);
  w.record(200);
  assert.is(w.medianMs(), 200);
  assert.is(w.limitMs(), 2000);
  w.record(10);
  assert.is(w.limitMs(), 1500, 'the median of 10, 100, 200, 5000 is 150 ms');
  w.record(10);
  w.record(10);
  assert.is(w.limitMs(), 1000, 'never below minSeconds');
  assert.throws(() => new StepWatchdog({ factor: 0 }), /stepTimeout\.factor must be a positive number, got 0/);
});

/** Runs exit-child.ts; resolves to its exit code, output and time. */
function runChild(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./exit-child.ts', import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, ms: performance.now() - t0 });
    });
  });
}

Life('a process that never calls close() exits by itself (with enableWasmThreads(2, { kernelThreads: 2 }) on wasm: 2 threads, correct matmul, our kernels on the shared heap and on 2 threads)', async () => {
  const threads = backend === 'wasm' ? 2 : 0;
  const r = await runChild([backend, String(threads)], 90_000);
  assert.is(r.code, 0, `the child exited with ${r.code} after ${Math.round(r.ms)} ms:\n${r.out}`);
  assert.match(r.out, /@@step \{"loss":/);
  if (threads) {
    const m = /@@threads (.*)/.exec(r.out);
    assert.ok(m, r.out);
    const info = JSON.parse(m![1]) as { threads: number; kernelThreads: number; maxErr: number; convErr: number; usedOurs: boolean };
    assert.is(info.threads, 2, 'XNNPACK runs 2 threads');
    assert.is(info.kernelThreads, 2, 'our kernels run on 2 threads');
    assert.ok(info.maxErr < 1e-4, `threaded matmul error ${info.maxErr}`);
    assert.ok(info.usedOurs, "our wasm convolution kernel ran on the threaded build's shared heap");
    assert.ok(info.convErr < 1e-5, `our convolution against XNNPACK's on the threaded build: ${info.convErr}`);
  }
});

Life('enableWasmThreads(1, { kernelThreads: 2 }) on wasm: the threaded build with XNNPACK on 1 thread, our kernels on 2 threads on its shared heap, and the process still exits by itself', async () => {
  if (backend !== 'wasm') return;
  const r = await runChild([backend, '1', '2'], 90_000);
  assert.is(r.code, 0, `the child exited with ${r.code} after ${Math.round(r.ms)} ms:\n${r.out}`);
  assert.match(r.out, /@@step \{"loss":/);
  const m = /@@threads (.*)/.exec(r.out);
  assert.ok(m, r.out);
  const info = JSON.parse(m![1]) as { threads: number; kernelThreads: number; maxErr: number; convErr: number; usedOurs: boolean };
  assert.is(info.threads, 1, 'XNNPACK runs 1 thread');
  // Our kernel threads need a shared heap: 2 here means the threaded build started.
  assert.is(info.kernelThreads, 2, 'our kernels run on 2 threads');
  assert.ok(info.maxErr < 1e-4, `matmul error ${info.maxErr}`);
  assert.ok(info.usedOurs && info.convErr < 1e-5, `our convolution against XNNPACK's: ${info.convErr}`);
});

Life.run();
