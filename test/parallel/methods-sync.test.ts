/**
 * Synchronised SSL: each of the nine methods' tiny step (test/parallel/methods-sync-fns.ts:
 * Linear-BatchNorm-ReLU encoder, small heads, SGD with momentum, batch 8) run
 * (a) in one process on the whole batch, (b) under `vmap(axisName)` over 2 shards with the
 * methods' `axisName` (SyncBN, gathered negatives, all-reduced statistics and centre,
 * distributed Sinkhorn) and gradients averaged, (c) under `pmap` over 2 workers (SwAV,
 * SimCLR, BYOL, DINO and MoCo v2, one pool, one program stepping all five):
 * - losses and gradients of each of 3 steps, parameters and state (BatchNorm running
 *   statistics, teachers, DINO's centre) after them agree within 1e-5 (leaf-wise relative to
 *   the leaf's scale; gradients norm-wise over the tree); the workers' copies bitwise equal;
 * - MoCo v2 and NNCLR keep a queue per member (as the seed under DDP): their first step (empty
 *   queue) is the one-process step, each member's queue then holds its own shard's rows of the
 *   one-process queue, and vmap = pmap for the later steps;
 * - `ssl.trainStep(method, opt, { axisName })` under vmap is that synchronised step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vmap } from '../../lib/core/index.js';
import { pmap } from '../../lib/parallel/index.js';
import * as random from '../../lib/random/index.js';
import * as ssl from '../../lib/ssl/index.js';
import * as tree from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { bitwiseEqual, leafValues, member, normError, relClose } from './compare.js';
import { AXIS, INPUT, NAMES, type Vars, method, optimizer, stepMethods } from './methods-sync-fns.js';

const detected = await useTestBackend();
const backend = detected === 'cpu' ? 'cpu' : 'wasm';

const N = 8;
const SHARDS = 2;
const STEPS = 3;
const REL = 1e-5;
/** Methods with a per-member queue. */
const QUEUED = ['mocoV2', 'nnclr'];
/** The methods also run under pmap. */
const PMAPPED = ['swav', 'simclr', 'byol', 'dino', 'mocoV2'];

type Step = { loss: tf.Tensor; grads: unknown; params: unknown; state: Record<string, unknown>; optState: unknown };
type Steps = Record<string, Step>;

const pick = <T>(r: Readonly<Record<string, T>>, names: readonly string[]) => Object.fromEntries(names.map((n) => [n, r[n]])) as Record<string, T>;
const varsOf = (r: Readonly<Record<string, Vars>>) => Object.fromEntries(Object.entries(r).map(([n, s]) => [n, { params: s.params, state: s.state, optState: s.optState }]));

/** Each method's starting point (the same for every run). */
const start: Record<string, Vars> = Object.fromEntries(
  NAMES.map((name, i) => {
    const { params, state } = method(name).init(random.key(10 + i));
    return [name, { params, state, optState: optimizer.init(params) }];
  }),
);

/** Two views [N, INPUT] per method and step. */
const batches = Array.from({ length: STEPS }, (_, s) =>
  Object.fromEntries(NAMES.map((name, i) => [name, { view1: tf.randomNormal([N, INPUT], 0, 1, 'float32', 100 * s + 2 * i), view2: tf.randomNormal([N, INPUT], 0, 1, 'float32', 100 * s + 2 * i + 1) }])),
);
const sharded = (b: unknown) => tree.map((v: tf.Tensor) => tf.reshape(v, [SHARDS, N / SHARDS, ...v.shape.slice(1)]), b);

/** Per method: its queue mapped over the members (axis 0), everything else the same on all of them (null). */
const stateAxes = (name: string) => (QUEUED.includes(name) ? Object.fromEntries(Object.keys(start[name].state as object).map((k) => [k, k === 'queue' ? 0 : null])) : null);
const varsAxes = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, { params: null, state: stateAxes(n), optState: null }]));
const outAxes = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, { loss: null, grads: null, params: null, optState: null, state: stateAxes(n) }]));
/** The starting variables with each queue copied to every member. */
const withMemberQueues = (names: readonly string[]) =>
  Object.fromEntries(
    names.map((n) => {
      const v = start[n];
      const s = v.state as Record<string, unknown>;
      return [n, QUEUED.includes(n) ? { ...v, state: { ...s, queue: tree.map((l: tf.Tensor) => tf.stack([l, l]), s.queue) } } : v];
    }),
  );

/** A sharded step's loss and gradients against a reference step's. */
function checkStep(how: string, name: string, got: Step, want: Step, step: number) {
  relClose(got.loss, want.loss, REL, `${how} ${name}: loss of step ${step}`);
  // Norm-wise: per leaf, BatchNorm's backward leaves relative differences of a few 1e-6 of a
  // leaf's largest entry between summation orders.
  const ge = normError(got.grads, want.grads);
  assert.ok(ge <= REL, `${how} ${name}: gradients of step ${step}: norm-wise relative error ${ge}`);
}

/** Parameters, optimiser state and method state (BatchNorm statistics, teacher, centre) against a reference's. */
function checkVariables(how: string, name: string, got: Step, want: Step, after: string, skipState: readonly string[] = []) {
  relClose(got.params, want.params, REL, `${how} ${name}: parameters ${after}`);
  // The momentum traces are sums of gradients: norm-wise, as the gradients (a bias followed by
  // BatchNorm, e.g. SwAV's projector's first, has a gradient of 0 in exact arithmetic, so
  // its trace is rounding noise of either sign).
  const te = normError(got.optState, want.optState);
  assert.ok(te <= REL, `${how} ${name}: optimiser state ${after}: norm-wise relative error ${te}`);
  const keep = (s: Record<string, unknown>) => Object.fromEntries(Object.entries(s).filter(([k]) => !skipState.includes(k)));
  relClose(keep(got.state), keep(want.state), REL, `${how} ${name}: state ${after}`);
}

/**
 * Member r's queue holds its own shard's rows of the one-process queue, and no more. A batch is
 * pushed row by row, its last row newest (lib/ssl/methods/queue.ts), so the whole batch's rows
 * stand reversed at the queue's front, and member r's reversed shard is the whole queue's rows
 * from (SHARDS - 1 - r) * rows.
 */
function checkMemberQueues(how: string, name: string, queue: { embeddings: tf.Tensor; filled: tf.Tensor }, whole: { embeddings: tf.Tensor; filled: tf.Tensor }) {
  const rows = N / SHARDS;
  for (let r = 0; r < SHARDS; r++) {
    const own = tf.tidy(() => tf.reshape(tf.slice(queue.embeddings, [r, 0, 0], [1, rows, -1]), [rows, -1]));
    const fromWhole = tf.tidy(() => tf.slice(whole.embeddings, [(SHARDS - 1 - r) * rows, 0], [rows, -1]));
    relClose(own, fromWhole, REL, `${how} ${name}: member ${r}'s queue`);
    tf.dispose([own, fromWhole]);
  }
  assert.equal(leafValues(queue.filled)[0], [rows, rows], `${how} ${name}: each member's queue holds its ${rows} rows`);
}

// (a) one process, the whole batch: every method, 3 steps.
const one: Steps[] = [];
for (let s = 0; s < STEPS; s++) one.push(stepMethods(varsOf(one.at(-1) ?? start), batches[s]) as unknown as Steps);

const Sync = suite(`sync: the nine SSL methods' tiny step, 1 process = vmap(axisName) over ${SHARDS} shards [${backend}]`);

// (b) vmap over 2 shards, kept for the pmap comparison of the queued methods.
const viaVmap: Steps[] = [];

Sync('losses and gradients of 3 steps, parameters and state after them within 1e-5; queued methods: step 1, and each member its own queue', () => {
  const vstep = vmap((v: Record<string, Vars>, b: unknown) => stepMethods(v, b as never, AXIS), { inAxes: [varsAxes(NAMES), 0], outAxes: outAxes(NAMES), axisName: AXIS });
  let v: Record<string, Vars> = withMemberQueues(NAMES);
  for (let s = 0; s < STEPS; s++) {
    const r = vstep(v, sharded(batches[s])) as Steps;
    viaVmap.push(r);
    for (const name of NAMES) {
      if (QUEUED.includes(name) && s > 0) continue;
      checkStep('vmap', name, r[name], one[s][name], s + 1);
    }
    v = varsOf(r);
  }
  for (const name of NAMES) {
    if (QUEUED.includes(name)) {
      checkVariables('vmap', name, viaVmap[0][name], one[0][name], 'after step 1', ['queue']);
      checkMemberQueues('vmap', name, viaVmap[0][name].state.queue as never, one[0][name].state.queue as never);
      for (const s of viaVmap.map((x) => x[name])) assert.ok(Number.isFinite(leafValues(s.loss)[0][0]), `vmap ${name}: finite loss`);
    } else {
      checkVariables('vmap', name, viaVmap[STEPS - 1][name], one[STEPS - 1][name], `after ${STEPS} steps`);
    }
  }
});

Sync('ssl.trainStep(method, opt, { axisName }) under vmap is the same synchronised step (SimCLR, SwAV: one step)', () => {
  for (const name of ['simclr', 'swav']) {
    const step = ssl.trainStep(method(name), optimizer, { axisName: AXIS });
    const v = start[name];
    const r = vmap((p: unknown, s: unknown, o: unknown, b: unknown) => step(p, s, o, b as never), { inAxes: [null, null, null, 0], outAxes: null, axisName: AXIS })(v.params, v.state, v.optState, sharded(batches[0][name])) as { params: unknown; state: Record<string, unknown>; optState: unknown; metrics: { loss: tf.Tensor } };
    relClose(r.metrics.loss, one[0][name].loss, REL, `trainStep ${name}: loss`);
    checkVariables('trainStep', name, { ...r, loss: r.metrics.loss, grads: null }, one[0][name], 'after step 1');
  }
});

Sync(`pmap over ${SHARDS} workers (${PMAPPED.join(', ')}): the same steps, the workers' copies bitwise equal`, async () => {
  const pstep = pmap({ module: new URL('./methods-sync-fns.ts', import.meta.url), name: 'stepMethodsOverWorkers' }, { axisName: AXIS, workers: SHARDS, backend, inAxes: [varsAxes(PMAPPED), 0] });
  try {
    let w = pick(withMemberQueues(PMAPPED), PMAPPED);
    for (let s = 0; s < STEPS; s++) {
      const r = (await pstep(w, sharded(pick(batches[s], PMAPPED)))) as Steps;
      const next: Record<string, Vars> = {};
      for (const name of PMAPPED) {
        const both = r[name];
        const [m0, m1] = [member(both, 0), member(both, 1)] as Step[];
        const queued = QUEUED.includes(name);
        // Everything but a queue is replicated: bitwise the same on both workers.
        const shared = (m: Step) => ({ ...m, state: { ...m.state, queue: null } });
        bitwiseEqual(queued ? shared(m0) : m0, queued ? shared(m1) : m1, `pmap ${name} step ${s + 1}`);
        // Queued methods against vmap (the same per-member semantics), the others against one process.
        checkStep('pmap', name, m0, queued ? viaVmap[s][name] : one[s][name], s + 1);
        if (s === STEPS - 1) checkVariables('pmap', name, m0, queued ? viaVmap[s][name] : one[s][name], `after ${STEPS} steps`, queued ? ['queue'] : []);
        if (queued) relClose(both.state.queue, viaVmap[s][name].state.queue, REL, `pmap ${name}: the members' queues after step ${s + 1}`);
        next[name] = { params: m0.params, optState: m0.optState, state: queued ? { ...m0.state, queue: both.state.queue } : m0.state };
      }
      w = next;
    }
  } finally {
    assert.equal((await pstep.close()).leakedTensors, [0, 0]);
  }
});

Sync.run();
