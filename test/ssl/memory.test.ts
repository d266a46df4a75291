/**
 * The memory bank: FIFO order newest first, the fill count and the valid rows, a batch larger
 * than the memory, pushes switched off, banks, one trace under jit whatever the fill level,
 * cosine nearest neighbours among the valid rows, and the errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, scope } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as ssl from '../../lib/ssl/index.js';
import * as tree from '../../lib/tree/index.js';
import { errorOf, toNested } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const free = (...trees: unknown[]) => tf.dispose(tree.leaves<tf.Tensor>(trees));
const nested = (x: NdArray) => toNested(x as tf.Tensor);
/** Batch `i` of `b` rows of width 2: row r is [10 i + r, -(10 i + r)]. */
const batchOf = (i: number, b: number) => tf.tensor(Array.from({ length: b }, (_, r) => [10 * i + r, -(10 * i + r)]));

// ---------------------------------------------------------------------------------------------
const Queue = suite('ssl memory: a FIFO queue as explicit state');

Queue('pushes go in front, the oldest rows drop out, filled counts up to the size', async () => {
  const before = tf.memory().numTensors;
  let m = ssl.initMemory(5, 2);
  const expected: number[][] = [];
  for (let i = 0; i < 4; i++) {
    const b = batchOf(i, 2);
    const next = scope(() => ssl.pushMemory(m, b));
    free(m, b);
    m = next;
    expected.unshift(...[0, 1].map((r) => [10 * i + r, -(10 * i + r)]));
    const want = expected.slice(0, 5);
    while (want.length < 5) want.push([0, 0]);
    assert.equal(await nested(m.embeddings), want, `after push ${i}`);
    assert.is(await nested(m.filled), Math.min(2 * (i + 1), 5));
    const { rows, valid } = scope(() => ssl.readMemory(m));
    const full = scope(() => ssl.memoryFull(m));
    assert.ok(rows === m.embeddings, 'readMemory gives the rows as they are');
    assert.equal(Array.from(await (valid as tf.Tensor).data()), [0, 1, 2, 3, 4].map((r) => (r < Math.min(2 * (i + 1), 5) ? 1 : 0)));
    assert.is((await (full as tf.Tensor).data())[0], i >= 2 ? 1 : 0);
    free(valid, full);
  }
  free(m);
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
});

Queue('a batch larger than the memory keeps its last rows (the seed\'s OrderedQueue)', async () => {
  const m = ssl.initMemory(3, 2);
  const b = batchOf(1, 5);
  const next = scope(() => ssl.pushMemory(m, b));
  assert.equal(await nested(next.embeddings), [12, 13, 14].map((x) => [x, -x]));
  assert.is(await nested(next.filled), 3);
  free(m, b, next);
});

Queue('active = false leaves the memory as it was; banks share one fill count', async () => {
  const m = ssl.initMemory(4, 2, 3);
  assert.equal((m.embeddings as tf.Tensor).shape, [3, 4, 2]);
  const batch = tf.stack([batchOf(1, 2), batchOf(2, 2), batchOf(3, 2)]);
  const [off, on] = [false, true].map((a) => {
    const flag = tf.scalar(a, 'bool');
    const r = scope(() => ssl.pushMemory(m, batch, flag));
    flag.dispose();
    return r;
  });
  assert.equal(await nested(off.embeddings), await nested(m.embeddings));
  assert.is(await nested(off.filled), 0);
  assert.equal(await nested(on.embeddings), [1, 2, 3].map((i) => [[10 * i, -10 * i], [10 * i + 1, -(10 * i + 1)], [0, 0], [0, 0]]));
  assert.is(await nested(on.filled), 2);
  free(m, batch, off, on);
});

Queue('under jit: one trace from empty to full, the eager values', async () => {
  const step = jit((m: ssl.MemoryState, b: NdArray) => ssl.pushMemory(m, b));
  let traced = ssl.initMemory(6, 2);
  let eager = ssl.initMemory(6, 2);
  for (let i = 0; i < 5; i++) {
    const b = batchOf(i, 4);
    const [t, e] = [step(traced, b) as ssl.MemoryState, scope(() => ssl.pushMemory(eager, b))];
    free(traced, eager, b);
    [traced, eager] = [t, e];
    assert.equal(await nested(traced.embeddings), await nested(eager.embeddings));
    assert.is(await nested(traced.filled), await nested(eager.filled));
  }
  assert.is(step.cacheSize(), 1);
  free(traced, eager);
});

Queue('errors', () => {
  const m = ssl.initMemory(4, 3);
  assert.is(errorOf(() => ssl.pushMemory(m, tf.zeros([2, 2]))), 'pushMemory: the memory holds [4,3] so the batch must be [B,3], got [2,2]');
  assert.is(errorOf(() => ssl.pushMemory(m, tf.zeros([2]))), 'pushMemory: the memory holds [4,3] so the batch must be [B,3], got [2]');
  assert.is(errorOf(() => ssl.initMemory(0, 3)), 'initMemory: size must be an integer >= 1, got 0');
  assert.is(errorOf(() => ssl.initMemory(4, 3, 1.5)), 'initMemory: banks must be an integer >= 1, got 1.5');
  free(m);
});

Queue.run();

// ---------------------------------------------------------------------------------------------
const Neighbours = suite('ssl memory: cosine nearest neighbours (NNCLR)');

Neighbours('each query gets the valid support row of highest cosine, whatever its length; no gradient', async () => {
  const support = tf.tensor([
    [10, 0], // direction (1, 0), long
    [0, 0.1], // direction (0, 1), short
    [-1, -1],
    [1, 0.2], // closest to (1, 0.25) by cosine, but marked invalid below
  ]);
  const query = tf.tensor([
    [1, 0.25],
    [0.2, 3],
    [-2, -1.5],
  ]);
  const all = scope(() => ssl.nearestNeighbour(query, support));
  assert.equal(await nested(all), [[1, 0.2], [0, 0.1], [-1, -1]].map((r) => r.map(Math.fround)));
  const valid = tf.tensor([true, true, true, false], undefined, 'bool');
  const some = scope(() => ssl.nearestNeighbour(query, support, valid));
  assert.equal(await nested(some), [[10, 0], [0, 0.1], [-1, -1]].map((r) => r.map(Math.fround)));
  const g = grad((q: NdArray, s: NdArray) => np.sum(ssl.nearestNeighbour(q, s, valid)), { argnums: [0, 1] })(query, support) as NdArray[];
  for (const x of g) assert.ok(((await nested(x)) as number[][]).flat().every((v) => v === 0));
  assert.is(
    errorOf(() => ssl.nearestNeighbour(query, tf.zeros([4, 3]))),
    'nearestNeighbour: query [N, D] and support [M, D] must be matrices of one width, got [3,2] and [4,3]',
  );
  assert.is(errorOf(() => ssl.nearestNeighbour(query, support, tf.zeros([3], 'bool'))), 'nearestNeighbour: valid must be [4] (one flag per support row), got [3]');
  free(support, query, all, valid, some, g);
});

Neighbours.run();
