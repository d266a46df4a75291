/**
 * pmap over worker threads, and programs that give the same result whatever the number of
 * workers:
 * - each collective over 2 workers equals the same function under vmap(axisName) (and the
 *   explicit reduction), bitwise equal on the workers; JAX's transposes under pmap;
 * - errors: a leading axis that does not match the workers, a missing export;
 * - faults: a worker that throws while the other waits in a collective, a worker whose
 *   thread ends mid-step: the call fails with that worker's error, nothing hangs, no
 *   tensor leaks in this process;
 * - SwAV's tiny step with SyncBN and distributed Sinkhorn: one process on the whole batch
 *   = vmap(axisName) over 2 shards = pmap over 2 workers (losses, gradients, parameters,
 *   BatchNorm running statistics after 3 steps), and the workers' copies bitwise equal.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, pmean, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import { dataParallel, fromHost, pmap } from '../../lib/parallel/index.js';
import * as random from '../../lib/random/index.js';
import * as swav from '../../lib/ssl/swav/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { randomViews } from '../ssl/tiny-swav.js';
import { bitwiseEqual, leafValues, member, normError, relClose } from './compare.js';
import { AXIS, collectives, gradients, swavConfig, swavOptimizer, swavStep } from './pmap-fns.js';
import { swavTestConfig, swavTestOptimizer } from './replicas.js';

const detected = await useTestBackend();
// The workers run cpu or wasm (webgpu stays in the main thread).
const backend = detected === 'cpu' ? 'cpu' : 'wasm';
const FNS = new URL('./pmap-fns.ts', import.meta.url);
const fn = (name: string) => ({ module: FNS, name });

/** Awaits p, failing (instead of hanging) if it has not settled after `ms`. */
async function settles<T>(p: Promise<T>, ms: number, what: string): Promise<PromiseSettledResult<T>> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)));
  try {
    return await Promise.race([p.then((value) => ({ status: 'fulfilled' as const, value }), (reason) => ({ status: 'rejected' as const, reason })), guard]);
  } finally {
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- collectives

const Collectives = suite(`pmap: collectives over 2 workers [${backend}]`);

Collectives('psum, pmean, pmax, pmin, allGather, axisIndex, ppermute, psumScatter (float32, int32, bool): as under vmap(axisName), bitwise equal on both workers', async () => {
  const f = pmap(fn('collectives'), { axisName: AXIS, workers: 2, backend });
  try {
    const x = np.array([[1.5, -2, 3], [0.25, 4, -1]]);
    const got = await f(x);
    const want = vmap(collectives, { axisName: AXIS })(x);
    relClose(got, want, 0, 'pmap vs vmap');
    assert.equal(leafValues(got.sum), [[1.75, 2, 2, 1.75, 2, 2]]);
    assert.equal(got.tiled.shape, [2, 6]);
    assert.equal(leafValues(got.index), [[0, 1]]);
    assert.equal([got.intSum.dtype, got.positive.dtype], ['int32', 'bool']);
    assert.equal(leafValues(got.intSum), [[7, 8, 8, 7, 8, 8]]);
    for (const k of ['sum', 'mean', 'max', 'min', 'gathered', 'tiled']) bitwiseEqual(member(got[k], 0), member(got[k], 1), k);
    assert.equal(leafValues(got.swapped), [[0.25, 4, -1, 1.5, -2, 3]]);
    assert.equal(leafValues(got.toSecond), [[0, 0, 0, 1, -2, 3]]);
    // Member i keeps row i of the members' sum: row 0 the sum of x, row 1 twice it.
    assert.equal(leafValues(got.scattered), [[1.75, 2, 2, 3.5, 4, 4]]);
    assert.equal(leafValues(got.scatteredTiled), [[1.75, 2, 2, -1.75, -2, -2]]);
  } finally {
    assert.equal((await f.close()).leakedTensors, [0, 0]);
  }
});

Collectives("gradients through psum, allGather, ppermute and psumScatter follow JAX's transposes, as under vmap", async () => {
  const f = pmap(fn('gradients'), { axisName: AXIS, workers: 2, backend, inAxes: [0, null] });
  try {
    const x = np.array([[1, -2], [3, 0.5]]);
    const w = np.array([[1, 2], [3, 4]]);
    const got = await f(x, w);
    relClose(got, vmap(gradients, { axisName: AXIS, inAxes: [0, null] })(x, w), 1e-6, 'pmap vs vmap');
    // psum's cotangent is psummed: 2 workers' losses each count every x: 2 * 2x.
    assert.equal(leafValues(got.psum), [[4, -8, 12, 2]]);
    // allGather's is this worker's slice of the summed cotangent: 2 * w[rank].
    assert.equal(leafValues(got.gather), [[2, 4, 6, 8]]);
    // w is every member's [2, 2]: a member's [2] output meets the column sums [4, 6].
    // ppermute's cotangent comes back along the inverse permutation: member 0 gets member 1's [4, 6].
    assert.equal(leafValues(got.permute), [[4, 6, 0, 0]]);
    // psumScatter's is the all-gathered cotangent: member 0's loss reads row 0 (sum of v), member 1's row 1 (sum of v^2).
    assert.equal(leafValues(got.scatter), [[4 + 4 * 2 * 1, 6 + 6 * 2 * -2, 4 + 4 * 2 * 3, 6 + 6 * 2 * 0.5]]);
  } finally {
    await f.close();
  }
});

Collectives('bad calls: a leading axis that is not the number of workers, a missing export', async () => {
  const f = pmap(fn('collectives'), { axisName: AXIS, workers: 2, backend });
  const err = await f(np.ones([3, 2])).then(() => null, (e: Error) => e.message);
  assert.is(err, 'pmap: the argument at [0] has 3 entries on its leading axis, but there are 2 workers (one entry each; reshape a batch to [2, batch / 2, ...])');
  await f.close();
  const g = pmap(fn('noSuchFunction'), { axisName: AXIS, workers: 2, backend });
  const missing = await g(np.ones([2])).then(() => null, (e: Error) => e.message);
  assert.match(missing ?? '', /^parallel: worker \d failed to start: pmap: .*pmap-fns\.ts has no exported function 'noSuchFunction'$/);
  await g.close();
});

// ---------------------------------------------------------------- faults

const Faults = suite(`pmap: a failing worker fails the call [${backend}]`);

for (const [name, expected] of [
  ['throwsOnSecond', /^parallel: worker 1: worker 1 gave up before its psum$/],
  ['exitsOnSecond', /^parallel: worker 1 exited \(code 7\) with calls pending$/],
] as const) {
  Faults(`${name}: the call rejects with worker 1's error while worker 0 waits in a collective; later calls too; no leak here`, async () => {
    const x = np.array([[1, 2], [3, 4]]);
    const before = tf.memory().numTensors;
    const f = pmap(fn(name), { axisName: AXIS, workers: 2, backend });
    const r = await settles(f(x), 60_000, `pmap(${name})`);
    assert.is(r.status, 'rejected');
    assert.match((r as PromiseRejectedResult).reason.message, expected);
    const again = await settles(f(x), 5_000, 'a later call');
    assert.is((again as PromiseRejectedResult).reason?.message, (r as PromiseRejectedResult).reason.message);
    await settles(f.close(), 10_000, 'close');
    assert.is(tf.memory().numTensors, before);
  });
}

// ---------------------------------------------------------------- SyncBN and distributed Sinkhorn

const Pieces = suite(`sync: batchNorm({ axisName }) and sinkhorn({ axisName }) over shards = the whole batch [${backend}]`);

Pieces("SyncBN: outputs, running statistics (identical on every shard) and input gradients are the whole batch's", () => {
  const x = tf.randomNormal([6, 2, 2, 3], 1, 2, 'float32', 5); // 6 images, channels last
  const bn = nn.batchNorm({ features: 3 });
  const syncBn = nn.batchNorm({ features: 3, axisName: AXIS });
  const { params, state } = bn.init(random.key(0));
  const [y, s] = bn.apply(params, state, x, { train: true });
  const shards = tf.reshape(x, [3, 2, 2, 2, 3]);
  const [ys, ss] = vmap((xs: NdArray) => syncBn.apply(params, state, xs, { train: true }), { axisName: AXIS, outAxes: [0, null] })(shards);
  relClose(tf.reshape(ys, [6, 2, 2, 3]), y, 1e-5, 'normalised outputs');
  relClose(ss, s, 1e-5, 'running statistics (unbatched: the same on every shard)');
  // The axis may also come with the call (every BatchNorm of a model at once).
  const [, s2] = vmap((xs: NdArray) => bn.apply(params, state, xs, { train: true, axisName: AXIS }), { axisName: AXIS, outAxes: [0, null] })(shards);
  relClose(s2, s, 1e-5, 'running statistics with ApplyOptions.axisName');
  // Gradient of the whole batch's loss: grad inside vmap with pmean, as a data-parallel step takes it.
  const w = tf.randomNormal([6, 2, 2, 3], 0, 1, 'float32', 6);
  const loss = (xs: NdArray, ws: NdArray, axisName?: string) => np.mean(np.mul(bn.apply(params, state, xs, { train: true, axisName })[0], ws));
  const g = grad((xs: NdArray) => loss(xs, w))(x);
  const gs = vmap((xs: NdArray, ws: NdArray) => grad((v: NdArray) => pmean(loss(v, ws, AXIS), AXIS))(xs), { axisName: AXIS })(shards, tf.reshape(w, [3, 2, 2, 2, 3]));
  // Each shard's mean is over a third of the batch: its gradient is 3x the whole batch's per element.
  relClose(np.div(tf.reshape(gs, [6, 2, 2, 3]), 3), g, 1e-5, 'input gradients');
});

Pieces("distributed Sinkhorn: each shard's codes are its rows of the whole batch's codes", () => {
  const scores = tf.randomUniform([8, 5], -1, 1, 'float32', 9);
  const whole = swav.sinkhorn(scores, { epsilon: 0.05, iterations: 3 });
  const codes = vmap((s: NdArray) => swav.sinkhorn(s, { epsilon: 0.05, iterations: 3, axisName: AXIS }), { axisName: AXIS })(tf.reshape(scores, [4, 2, 5]));
  relClose(tf.reshape(codes, [8, 5]), whole, 1e-5, 'codes');
  // Without the axis, each shard would be normalised alone: not the whole batch's codes.
  const local = vmap((s: NdArray) => swav.sinkhorn(s, { epsilon: 0.05, iterations: 3 }))(tf.reshape(scores, [4, 2, 5]));
  assert.ok(leafValues(tf.reshape(local, [8, 5]))[0].some((v, i) => Math.abs(v - leafValues(whole)[0][i]) > 1e-3), 'shard-local codes differ');
});

// ---------------------------------------------------------------- SwAV: 1 process = vmap = pmap

const Sync = suite(`sync: SwAV tiny step, 1 process = vmap(axisName) over 2 shards = pmap over 2 workers [${backend}]`);

Sync('losses, gradients, parameters and BatchNorm running statistics after 3 steps within 1e-5; workers bitwise equal', async () => {
  const { params: p0, state: s0 } = swav.init(random.key(3), swavConfig);
  const o0 = swavOptimizer.init(p0);
  const batches = [0, 1, 2].map((i) => {
    const [view1, view2] = randomViews(20 + i, 2, 8, 8);
    return { view1, view2 };
  });
  const sharded = (b: { view1: NdArray; view2: NdArray }) => tree.map((v: tf.Tensor) => tf.reshape(v, [2, 4, ...v.shape.slice(1)]), b);
  type Step = ReturnType<typeof swavStep>;
  /** A sharded step's loss and gradients against the one-process step's. */
  const checkStep = (how: string, r: Step, i: number) => {
    relClose(r.loss, one[i].loss, 1e-5, `${how}: loss of step ${i + 1}`);
    // Gradients norm-wise: the projector's pre-BatchNorm bias has a gradient of exactly 0 in
    // exact arithmetic (rounding noise of 1e-7 here), and per leaf BatchNorm's backward
    // leaves relative differences up to 2e-5 between summation orders.
    const ge = normError(r.grads, one[i].grads);
    assert.ok(ge <= 1e-5, `${how}: gradients of step ${i + 1}: norm-wise relative error ${ge}`);
  };
  /** Parameters and BatchNorm running statistics after the last step against the one-process ones. */
  const checkEnd = (how: string, r: Step) => {
    // The pre-BatchNorm projector bias moves by weight decay plus its gradient, which is 0 in
    // exact arithmetic: its rounding noise differs between summation orders (up to 1.03e-5 of
    // the leaf's largest entry in one element), so that leaf is compared norm-wise.
    relClose(r.params, one[2].params, 1e-5, `${how}: parameters after 3 steps`, ['.projector[0].b']);
    relClose(r.state, one[2].state, 1e-5, `${how}: BatchNorm running statistics after 3 steps`);
  };

  // (a) one process, the whole batch.
  const one: Step[] = [];
  for (const b of batches) {
    const prev = one.at(-1) ?? { params: p0, state: s0, optState: o0 };
    one.push(swavStep(prev.params, prev.state, prev.optState, b));
  }

  // (b) vmap over 2 shards: every output is the same for both members (unbatched: outAxes null).
  const vstep = vmap((p: swav.SwavParams, s: swav.SwavState, o: unknown, b: swav.SwavInput) => swavStep(p, s, o, b, AXIS), {
    inAxes: [null, null, null, 0],
    outAxes: null,
    axisName: AXIS,
  });
  let v = { params: p0, state: s0, optState: o0 as unknown };
  for (let i = 0; i < 3; i++) {
    const r = vstep(v.params, v.state, v.optState, sharded(batches[i])) as Step;
    checkStep('vmap', r, i);
    v = r;
  }
  checkEnd('vmap', v as Step);

  // (c) pmap over 2 workers.
  const pstep = pmap(fn('swavStepOverWorkers'), { axisName: AXIS, workers: 2, backend, inAxes: [null, null, null, 0] });
  try {
    let w = { params: p0, state: s0, optState: o0 as unknown };
    for (let i = 0; i < 3; i++) {
      const r = await pstep(w.params, w.state, w.optState, sharded(batches[i]));
      bitwiseEqual(member(r, 0), member(r, 1), `pmap step ${i + 1}`);
      const r0 = member(r, 0) as Step;
      checkStep('pmap', r0, i);
      w = r0;
    }
    checkEnd('pmap', w as Step);
  } finally {
    assert.equal((await pstep.close()).leakedTensors, [0, 0]);
  }
});

// ---------------------------------------------------------------- the documented example

const Docs = suite('docs/parallel.md: the pmap example');

Docs('is examples/pmap.ts, runs, and prints the same loss and parameters three ways', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const md = readFileSync(`${root}docs/parallel.md`, 'utf8');
  const block = /<!-- example: examples\/pmap\.ts -->\n```ts\n([\s\S]*?)```/.exec(md);
  assert.ok(block, 'docs/parallel.md has the marked example');
  assert.is(block![1], readFileSync(`${root}examples/pmap.ts`, 'utf8'));
  // One file per process: the cpu and wasm runs of this file may run at the same time.
  const file = `${root}examples/.pmap-run-${process.pid}.ts`;
  writeFileSync(file, block![1].replace("from 'tfjax/parallel'", "from '../lib/parallel/index.js'").replace("from 'tfjax'", "from '../lib/index.js'"));
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8', cwd: root });
    assert.match(out, /pmap loss per worker Float32Array\(2\) \[ 511\.5, 511\.5 \]/);
    assert.match(out, /vmap loss 511\.5 one process 511\.5/);
    const nums = (s: string) => [...s.matchAll(/-?\d+\.\d+/g)].map((m) => Number(m[0]));
    const [pw, one] = out.slice(out.indexOf('pmap w')).split('one process').map(nums);
    allClose(pw, [...one, ...one], { rtol: 1e-6 }, 'both workers hold the one-process parameters');
  } finally {
    rmSync(file, { force: true });
  }
});

Sync("dataParallel's swavProgram({ sync: true }) over 2 workers: the step of one process on the whole batch", async () => {
  const [lr, momentum] = [0.1, 0.9];
  const dp = await dataParallel({ workers: 2, module: new URL('./replicas.ts', import.meta.url), arg: { kind: 'swav', lr, momentum, sync: true }, backend });
  try {
    const start = fromHost<{ params: swav.SwavParams; state: swav.SwavState }>(await dp.read());
    const step = swav.trainStep(swavTestConfig(), swavTestOptimizer(lr, momentum));
    let [params, state, optState] = [start.params, start.state, swavTestOptimizer(lr, momentum).init(start.params)];
    for (const seed of [40, 41]) {
      const [view1, view2] = randomViews(seed, 2, 8, 8);
      const { metrics } = await dp.step({ view1, view2 });
      const one = step(params, state, optState, { view1, view2 });
      allClose(metrics.loss as number, one.metrics.loss.dataSync()[0], { rtol: 1e-5 }, `loss (batch ${seed})`);
      [params, state, optState] = [one.params, one.modelState, one.optState];
    }
    const got = fromHost<{ params: unknown; state: unknown }>(await dp.read());
    relClose(got.params, params, 1e-5, 'parameters after 2 steps');
    relClose(got.state, state, 1e-5, 'BatchNorm running statistics after 2 steps');
  } finally {
    assert.equal((await dp.close()).leakedTensors, [0, 0]);
  }
});

Collectives.run();
Docs.run();
Faults.run();
Pieces.run();
Sync.run();
