/**
 * pmap against JAX's pmap semantics (tests/pmap_test.py, jax/_src/lax/parallel.py):
 * - the number of workers is the mapped axis's size when not given (JAX: one device per entry);
 * - inAxes / outAxes other than 0 (negative ones count from the end), outAxes null for a
 *   result every worker holds, staticBroadcastedArgnums for non-array arguments;
 * - collectives with JAX's dtypes (pmean of int32 is float32, psum of bool counts), pytrees,
 *   a psum inside a scan body, ppermute's zeros: the same as under vmap(axisName);
 * - bad options are one-line errors before any worker starts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import { pmap } from '../../lib/parallel/index.js';
import { errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { leafValues, relClose } from './compare.js';
import { AXIS, intCollectives, jaxCollectives } from './pmap-jax-fns.js';

const detected = await useTestBackend();
// The workers run cpu or wasm (webgpu stays in the main thread).
const backend = detected === 'cpu' ? 'cpu' : 'wasm';
const FNS = new URL('./pmap-jax-fns.ts', import.meta.url);
const fn = (name: string) => ({ module: FNS, name });

/** Awaits p, which must fail with exactly `message`. */
async function rejects(p: Promise<unknown>, message: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    return assert.is((e as Error).message, message);
  }
  assert.unreachable(`expected: ${message}`);
}

const Pmap = suite(`pmap-jax [${backend}]`);

Pmap('workers default to the mapped size (3 here); JAX dtypes, pytrees, a static argument, a psum in a scan: as under vmap', async () => {
  const f = pmap(fn('jaxCollectives'), { axisName: AXIS, backend, inAxes: [0, null], staticBroadcastedArgnums: 1 });
  assert.is(f.workers, 0, 'not known before the first call');
  try {
    const x = np.array([[1, -2], [3, 4], [-5, 6]]);
    const got = await f(x, { scale: 10 });
    assert.is(f.workers, 3);
    relClose(got, vmap(jaxCollectives, { axisName: AXIS, inAxes: [0, null] })(x, { scale: 10 }), 0, 'pmap vs vmap');
    assert.equal(leafValues(got.scaled), [[10, -20, 30, 40, -50, 60]], 'the static argument reached every worker');
    assert.equal([got.meanInt.dtype, got.countPositive.dtype, got.anyPositive.dtype], ['float32', 'int32', 'bool']);
    assert.equal(leafValues(got.meanInt), [[-1 / 3, 8 / 3, -1 / 3, 8 / 3, -1 / 3, 8 / 3].map(Math.fround)]);
    assert.equal(leafValues(got.countPositive), [[2, 2, 2, 2, 2, 2]]);
    assert.equal(leafValues(got.index), [[0, 1, 2]]);
    assert.equal(leafValues(got.tree.b[0]), [[-2, 16, -2, 16, -2, 16]]);
    assert.equal(got.gathered.g.shape, [3, 2, 3]);
    assert.equal(leafValues(got.shifted), [[0, 0, 1, -2, 3, 4]]);
    // The first entries sum to -1, the second to 8.
    assert.equal(leafValues(got.scanned), [[7, 7, 7]]);
    // Another static value is another trace on the workers; a different mapped size is an error.
    assert.equal(leafValues((await f(x, { scale: 1 })).scaled), [[1, -2, 3, 4, -5, 6]]);
    await rejects(f(np.ones([2, 2]), { scale: 1 }), 'pmap: the argument at [0] has 2 entries on its leading axis, but there are 3 workers (one entry each; reshape a batch to [3, batch / 3, ...])');
  } finally {
    assert.equal((await f.close()).leakedTensors, [0, 0, 0]);
  }
});

Pmap('int32 collectives between workers are exact past 2^24 (sums wrap, as in XLA), as under vmap', async () => {
  const f = pmap(fn('intCollectives'), { axisName: AXIS, backend });
  try {
    const x = np.array([[16777217, -(2 ** 31), 2 ** 31 - 1, -16777219], [16777219, 5, 2 ** 31 - 1, -16777218]], 'int32');
    const got = await f(x);
    relClose(got, vmap(intCollectives, { axisName: AXIS })(x), 0, 'pmap vs vmap');
    assert.equal(leafValues(got.sum)[0]!.slice(0, 4), [33554436, -(2 ** 31) + 5, -2, -33554437]);
    assert.equal(leafValues(got.max)[0]!.slice(0, 4), [16777219, 5, 2 ** 31 - 1, -16777218]);
    assert.equal(leafValues(got.min)[0]!.slice(0, 4), [16777217, -(2 ** 31), 2 ** 31 - 1, -16777219]);
    assert.equal(leafValues(got.shifted), [[16777219, 5, 2 ** 31 - 1, -16777218, 16777217, -(2 ** 31), 2 ** 31 - 1, -16777219]]);
  } finally {
    assert.equal((await f.close()).leakedTensors, [0, 0]);
  }
});

Pmap('inAxes -1 slices the last axis; outAxes 1 stacks there, null returns the result every worker holds', async () => {
  const f = pmap(fn('sliceAndIndex'), { axisName: AXIS, backend, workers: 2, inAxes: -1, outAxes: { x: 1, index: 0, total: null } });
  try {
    const x = np.array([[1, 2], [3, 4], [5, 6]]);
    const got = await f(x);
    // Worker k gets column k ([3]) and returns it; stacked at axis 1 it is x again.
    assert.equal(got.x.shape, [3, 2]);
    assert.equal(leafValues(got.x), [[1, 2, 3, 4, 5, 6]]);
    assert.equal(leafValues(got.index), [[0, 1]]);
    assert.equal(got.total.shape, []);
    assert.equal(leafValues(got.total), [[21]]);
  } finally {
    await f.close();
  }
});

Pmap('bad options and arguments are one-line errors before any worker starts', async () => {
  const one = np.ones([2]);
  await rejects(pmap(fn('sliceAndIndex'), { axisName: AXIS, backend, inAxes: null })(one), 'pmap: no argument is mapped (every inAxes is null); give the number of workers with { workers }');
  await rejects(pmap(fn('sliceAndIndex'), { axisName: AXIS, backend, inAxes: 1 })(one), 'pmap: inAxes 1 for the argument at [0] is out of range for its rank 1');
  await rejects(pmap(fn('sliceAndIndex'), { axisName: AXIS, backend })(3), 'pmap: the argument at [0] is mapped (inAxes 0) but is not an array with an axis to map');
  assert.is(errorOf(() => pmap(fn('sliceAndIndex'), { axisName: AXIS, staticBroadcastedArgnums: [-1] })), 'pmap: staticBroadcastedArgnums must be non-negative integer positions, got [-1]');
  assert.is(errorOf(() => pmap(fn('sliceAndIndex'), { axisName: AXIS, workers: 0 })), 'pmap: workers must be an integer >= 1, got 0');
  tf.dispose(one);
});

Pmap.run();
