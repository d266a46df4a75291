/**
 * applyIfFinite (optax's `apply_if_finite`): a non-finite gradient leaves the parameters and the
 * inner state unchanged and is counted (consecutive and total); the finite steps give exactly what
 * the plain optimiser gives on them; more than `maxConsecutiveErrors` in a row are applied; one trace.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as optim from '../../lib/optim/index.js';
import * as tree from '../../lib/tree/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { type SmallParams, leafValuesFlat, scopedTests, smallParams0 } from './common.js';

const backend = await useTestBackend();
const test = suite(`optim: applyIfFinite [${backend}]`);

async function read(t: unknown): Promise<unknown> {
  const [ls, def] = tree.flatten<tf.Tensor>(t);
  return tree.unflatten(def, await Promise.all(ls.map(async (x) => Array.from(await x.data(), Number))));
}
const leavesOf = leafValuesFlat;
scopedTests(test);

type P = SmallParams;
const params0 = smallParams0;
/** Gradient of step i; the steps listed in `bad` hold a NaN or an infinity. */
const gradAt = (i: number, bad: ReadonlySet<number>): P => ({
  w: np.array([0.1 * (i + 1), bad.has(i) ? (i % 2 ? Infinity : NaN) : -0.3, 0.2]),
  b: np.array([0.05 * i - 0.1]),
});
const inner = () => optim.adam({ learningRate: 0.1 });

test('a non-finite gradient changes nothing but the counters; the finite steps equal the plain optimiser', async () => {
  const bad = new Set([1, 2, 5]);
  const opt = optim.applyIfFinite(inner(), 3);
  const plain = inner();
  let [p, s] = [params0(), opt.init(params0())];
  let [q, t] = [params0(), plain.init(params0())];
  const counts: number[][] = [];
  for (let i = 0; i < 7; i++) {
    const before = { p: await leavesOf(p), inner: await leavesOf(s.innerState) };
    const [u, s2] = opt.update(gradAt(i, bad), s, p);
    [p, s] = [optim.applyUpdates(p, u), s2];
    counts.push([...(await leavesOf([s.notFiniteCount, s.totalNotFinite, s.lastFinite]))]);
    if (bad.has(i)) {
      assert.equal(await leavesOf(p), before.p, `step ${i}: parameters unchanged`);
      assert.equal(await leavesOf(s.innerState), before.inner, `step ${i}: inner state (Adam's moments and count) unchanged`);
    } else {
      const [v, t2] = plain.update(gradAt(i, bad), t, q);
      [q, t] = [optim.applyUpdates(q, v), t2];
      allClose(await leavesOf(p), await leavesOf(q), { rtol: 0, atol: 0 }, `step ${i}: the plain optimiser on the finite steps`);
      allClose(await leavesOf(s.innerState), await leavesOf(t), { rtol: 0, atol: 0 }, `step ${i}: its state`);
    }
  }
  // [consecutive, total, last finite] after each step.
  assert.equal(counts, [
    [0, 0, 1],
    [1, 1, 0],
    [2, 2, 0],
    [0, 2, 1],
    [0, 2, 1],
    [1, 3, 0],
    [0, 3, 1],
  ]);
});

test('more than maxConsecutiveErrors non-finite steps in a row are applied (optax gives up)', async () => {
  const bad = new Set([0, 1, 2]);
  const opt = optim.applyIfFinite(optim.sgd({ learningRate: 0.1 }), 2);
  let [p, s] = [params0(), opt.init(params0())];
  const finite: boolean[] = [];
  for (let i = 0; i < 3; i++) {
    const [u, s2] = opt.update(gradAt(i, bad), s, p);
    [p, s] = [optim.applyUpdates(p, u), s2];
    finite.push((await leavesOf(p)).every(Number.isFinite));
  }
  assert.equal(finite, [true, true, false], 'the third consecutive error (> 2) is applied');
  assert.equal(await read(s.notFiniteCount), [3]);
});

test('under jit: one trace for finite and non-finite steps, the eager results', async () => {
  const bad = new Set([1]);
  const opt = optim.applyIfFinite(inner(), 1);
  const step = jit((g: P, st: unknown, p: P) => {
    const [u, s2] = opt.update(g, st as ReturnType<typeof opt.init>, p);
    return [optim.applyUpdates(p, u), s2];
  });
  let [p, s] = [params0(), opt.init(params0())];
  let [pe, se] = [params0(), opt.init(params0())];
  for (let i = 0; i < 3; i++) {
    [p, s] = step(gradAt(i, bad), s, p) as [P, typeof s];
    const [u, s2] = opt.update(gradAt(i, bad), se, pe);
    [pe, se] = [optim.applyUpdates(pe, u), s2];
    allClose(await leavesOf([p, s]), await leavesOf([pe, se]), { rtol: 1e-6, atol: 1e-7 }, `step ${i}`);
  }
  assert.is(step.cacheSize(), 1);
});

test('errors', () => {
  assert.throws(() => optim.applyIfFinite(inner(), -1), (e: Error) => e.message === 'applyIfFinite: maxConsecutiveErrors must be an integer >= 0, got -1');
});

test.run();
