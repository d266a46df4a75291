/**
 * Silent wrong numbers found by attacking the core (issue 11): reductions over empty arrays,
 * the accuracy of float32 sums, NaN through maximum/minimum, log1p/sign/abs/int32 arithmetic,
 * softmax of large logits, and axes arguments that must be rejected. The numerical items are
 * property tests over random shapes (empty ones included) against float64 references computed
 * here (JS numbers), on every backend; results are read with `await t.data()` (webgpu).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, jit, np } from '../../lib/index.js';
import { errorOf } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';

const backend = await useCoreTestBackend();
fc.configureGlobal({ includeErrorInReport: true });
/** Property runs: webgpu (SwiftShader) compiles shaders per shape, so it gets fewer. */
const RUNS = backend === 'webgpu' ? 4 : 20;

type A = NdArray;

/** Asserts that `f` leaves no tensor behind. */
async function noLeak(f: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await f();
  assert.is(tf.memory().numTensors, before, 'tensors leaked');
}

// ---------------------------------------------------------------- item 8

const Axes = suite(`issue 11: axes arguments are checked [${backend}]`);

Axes('issue 11 item 8: transpose with a short permutation and repeated reduction axes throw', () => {
  const x = np.zeros([2, 3, 4]);
  assert.is(errorOf(() => np.transpose(x, [0, 1])), 'transpose: permutation [0,1] does not fit shape [2,3,4] (it must list each axis 0..2 once)');
  assert.is(errorOf(() => jit((v: A) => np.transpose(v, [0, 1]))(x)), 'transpose: permutation [0,1] does not fit shape [2,3,4] (it must list each axis 0..2 once)');
  assert.is(errorOf(() => np.transpose(x, [0, 1, 1])), 'transpose: permutation [0,1,1] does not fit shape [2,3,4] (it must list each axis 0..2 once)');
  const fns: [string, (v: A, axes: number[]) => A][] = [
    ['sum', (v, a) => np.sum(v, a)],
    ['max', (v, a) => np.max(v, a)],
    ['min', (v, a) => np.min(v, a)],
    ['mean', (v, a) => np.mean(v, a)],
    ['variance', (v, a) => np.variance(v, a)],
    ['logsumexp', (v, a) => np.logsumexp(v, a)],
  ];
  for (const [name, f] of fns) {
    assert.is(errorOf(() => f(x, [0, 0])), `${name}: axis 0 is repeated in [0,0]`);
    assert.is(errorOf(() => f(x, [1, -2])), `${name}: axis 1 is repeated in [1,-2]`);
    assert.is(errorOf(() => jit((v: A) => f(v, [2, 2]))(x)), `${name}: axis 2 is repeated in [2,2]`);
  }
  x.dispose();
});

Axes.run();
