/**
 * np.insert and np.deleteAt (NumPy's insert and delete): NumPy's results for small cases
 * (written in by hand from NumPy 2.x), eagerly, under jit (static and traced insert indices),
 * vmap and grad; properties against a JS reference over random 1-D cases; the errors; no
 * tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { deleteAt, insert } from '../../lib/ops/insert-delete.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();

const described = (t: NdArray) => [(t as tf.Tensor).dtype, [...(t as tf.Tensor).shape], Array.from((t as tf.Tensor).dataSync())];
const i32 = (v: number[]) => tf.tensor1d(v, 'int32');
const m = () => tf.tensor2d([[1, 2], [3, 4], [5, 6]], undefined, 'int32');

const Numpy = suite(`np insert and deleteAt: NumPy's results [${backend}]`);

Numpy('insert: one index takes a block, several take a slice each (stable for repeats), no axis flattens', () => {
  tf.tidy(() => {
    const x = i32([0, 1, 2, 3, 4]);
    const v = i32([10, 20, 30]);
    assert.equal(described(insert(x, [1, 1, 3], v)), ['int32', [8], [0, 10, 20, 1, 2, 30, 3, 4]]);
    assert.equal(described(insert(x, [3, 1, 1], v)), ['int32', [8], [0, 20, 30, 1, 2, 10, 3, 4]]);
    assert.equal(described(insert(tf.tensor1d([1, 2, 3]), [1], tf.tensor1d([5, 6]))), ['float32', [5], [1, 5, 6, 2, 3]]);
    assert.equal(described(insert(x, 5, 9)), ['int32', [6], [0, 1, 2, 3, 4, 9]]);
    assert.equal(described(insert(m(), 1, i32([7, 8]), 0)), ['int32', [4, 2], [1, 2, 7, 8, 3, 4, 5, 6]]);
    assert.equal(described(insert(m(), 2, tf.tensor2d([[7, 8]], undefined, 'int32'), 0)), ['int32', [4, 2], [1, 2, 3, 4, 7, 8, 5, 6]]);
    assert.equal(described(insert(m(), [0, 2], i32([7, 8]), 1)), ['int32', [3, 4], [7, 1, 2, 8, 7, 3, 4, 8, 7, 5, 6, 8]]);
    assert.equal(described(insert(m(), [2, 0], tf.tensor2d([[7, 8]], undefined, 'int32'), 1)), ['int32', [3, 4], [8, 1, 2, 7, 8, 3, 4, 7, 8, 5, 6, 7]]);
    assert.equal(described(insert(m(), -1, 0)), ['int32', [7], [1, 2, 3, 4, 5, 0, 6]]);
    // A scalar index moves the values' first axis to `axis`: np.insert([[1,1],[2,2],[3,3]], 1, [1,2,3], axis=1).
    assert.equal(described(insert(tf.tensor2d([[1, 1], [2, 2], [3, 3]]), 1, tf.tensor1d([1, 2, 3]), 1)), ['float32', [3, 3], [1, 1, 1, 2, 2, 2, 3, 3, 3]]);
    // A concrete int32 array index, 0-d and 1-d; values cast to x's dtype.
    assert.equal(described(insert(x, tf.scalar(2, 'int32'), 2.7)), ['int32', [6], [0, 1, 2, 2, 3, 4]]);
    assert.equal(described(insert(x, i32([0, 5]), i32([-1, -2]))), ['int32', [7], [-1, 0, 1, 2, 3, 4, -2]]);
    assert.equal(described(insert(x, [], 1)), ['int32', [5], [0, 1, 2, 3, 4]]);
  });
});

Numpy('deleteAt: numbers, negative and repeated indices, slices, arrays; no axis flattens', () => {
  tf.tidy(() => {
    const x = i32([0, 1, 2, 3, 4]);
    assert.equal(described(deleteAt(m(), 1, 0)), ['int32', [2, 2], [1, 2, 5, 6]]);
    assert.equal(described(deleteAt(m(), [0, -1], 1)), ['int32', [3, 0], []]);
    assert.equal(described(deleteAt(x, { start: 1, stop: 4 })), ['int32', [2], [0, 4]]);
    assert.equal(described(deleteAt(x, np.slice(null, null, 2))), ['int32', [2], [1, 3]]);
    assert.equal(described(deleteAt(x, { step: -2 })), ['int32', [2], [1, 3]]);
    assert.equal(described(deleteAt(m(), [1, 1, 4])), ['int32', [4], [1, 3, 4, 6]]);
    assert.equal(described(deleteAt(x, i32([-5]))), ['int32', [4], [1, 2, 3, 4]]);
    assert.equal(described(deleteAt(x, [])), ['int32', [5], [0, 1, 2, 3, 4]]);
  });
});

Numpy.run();

const Transforms = suite(`np insert and deleteAt: jit, vmap, grad [${backend}]`);

Transforms('under jit: static indices, and a traced insert index (clipped into range, as JAX)', () => {
  tf.tidy(() => {
    const x = i32([0, 1, 2, 3, 4]);
    assert.equal(described(jit((a: NdArray) => insert(a, [1, 1, 3], 9))(x) as NdArray), ['int32', [8], [0, 9, 9, 1, 2, 9, 3, 4]]);
    assert.equal(described(jit((a: NdArray) => deleteAt(a, [0, 2]))(x) as NdArray), ['int32', [3], [1, 3, 4]]);
    const f = jit((a: NdArray, i: NdArray) => insert(a, i, i32([7, 8, 9])));
    assert.equal(described(f(x, i32([4, 0, 5])) as NdArray), ['int32', [8], [8, 0, 1, 2, 3, 7, 4, 9]]);
    assert.equal(described(f(x, i32([-1, 1, 99])) as NdArray), ['int32', [8], [0, 8, 1, 2, 3, 7, 4, 9]]);
    const g = jit((a: NdArray, i: NdArray) => insert(a, i, i32([7, 8])));
    assert.equal(described(g(x, tf.scalar(-2, 'int32')) as NdArray), ['int32', [7], [0, 1, 2, 7, 8, 3, 4]]);
  });
});

Transforms('vmap over x and the values; grad reaches x and the inserted values', () => {
  tf.tidy(() => {
    const rows = tf.tensor2d([[1, 2], [3, 4]]);
    assert.equal(described(vmap((r: NdArray) => insert(r, 1, 0))(rows) as NdArray), ['float32', [2, 3], [1, 0, 2, 3, 0, 4]]);
    assert.equal(described(vmap((r: NdArray, v: NdArray) => insert(r, [0, 2], v))(rows, tf.tensor2d([[5, 6], [7, 8]])) as NdArray), ['float32', [2, 4], [5, 1, 2, 6, 7, 3, 4, 8]]);
    assert.equal(described(vmap((r: NdArray) => deleteAt(r, 0))(rows) as NdArray), ['float32', [2, 1], [2, 4]]);
    const w = tf.tensor1d([1, 2, 3, 4, 5]);
    const gx = grad((a: NdArray) => np.sum(np.mul(insert(a, [0, 2], 5), w)))(tf.tensor1d([1, 2, 3])) as tf.Tensor;
    assert.equal(Array.from(gx.dataSync()), [2, 3, 5]);
    const gv = grad((v: NdArray) => np.sum(np.mul(insert(tf.tensor1d([1, 2, 3]), [0, 2], v), w)))(tf.tensor1d([0, 0])) as tf.Tensor;
    assert.equal(Array.from(gv.dataSync()), [1, 4]);
    const gd = grad((a: NdArray) => np.sum(np.mul(deleteAt(a, 1), tf.tensor1d([1, 2]))))(tf.tensor1d([1, 2, 3])) as tf.Tensor;
    assert.equal(Array.from(gd.dataSync()), [1, 0, 2]);
  });
});

Transforms('errors name the function, the index and the axis length', () => {
  tf.tidy(() => {
    const x = i32([0, 1, 2]);
    assert.is(errorOf(() => insert(x, 4, 1)), 'insert: index 4 is out of bounds for axis 0 with size 3');
    assert.is(errorOf(() => insert(m(), [-4], 1, 0)), 'insert: index -4 is out of bounds for axis 0 with size 3');
    assert.is(errorOf(() => deleteAt(x, 3)), 'deleteAt: index 3 is out of bounds for axis 0 with size 3');
    assert.is(errorOf(() => deleteAt(m(), [0, -3], 1)), 'deleteAt: index -3 is out of bounds for axis 1 with size 2');
    assert.is(errorOf(() => deleteAt(x, 1.5)), 'deleteAt: index 1.5 is not an integer');
    assert.is(errorOf(() => deleteAt(x, { step: 0 })), 'sliceAxis: step must be a nonzero integer, got 0');
    assert.is(errorOf(() => insert(x, tf.tensor1d([1]), 1)), 'insert: index must be an int32 array of rank 0 or 1, got float32 [1]');
    assert.is(errorOf(() => insert(m(), [0, 1], i32([1, 2, 3]), 0)), 'insert: values of shape [3] do not broadcast to the inserted shape [2,2]');
    assert.is(errorOf(() => jit((a: NdArray, i: NdArray) => deleteAt(a, i))(x, i32([0]))), "deleteAt: index values are traced (jit, vmap or grad); the result's length depends on them, so pass numbers or a concrete array");
    assert.is(errorOf(() => deleteAt(x, 0, 1)), 'deleteAt: axis 1 is out of range for an array of rank 1');
  });
});

Transforms('no tensors leak, eagerly or from a jitted call made again', () => {
  const x = i32([0, 1, 2, 3]);
  const i = i32([3, 0]);
  const f = jit((a: NdArray, j: NdArray) => deleteAt(insert(a, j, 9), [0, -1]));
  tf.dispose(f(x, i) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    insert(x, [1, 1], i32([5, 6]));
    insert(x, i, 9);
    deleteAt(x, { start: 1 });
    deleteAt(x, i);
  });
  tf.dispose(f(x, i) as tf.Tensor);
  assert.is(tf.memory().numTensors, before);
  tf.dispose([x, i]);
});

Transforms.run();

const Props = suite(`np insert and deleteAt: properties against a JS reference [${backend}]`);

/** NumPy's insert of one value per index into a 1-D list (indices already in [0, n]), stable for repeats. */
function insertRef(x: number[], at: number[], vals: number[]): number[] {
  const order = at.map((a, j) => [a, j]).sort((p, q) => p[0] - q[0] || p[1] - q[1]);
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i <= x.length; i++) {
    while (k < order.length && order[k][0] === i) out.push(vals[order[k++][1]]);
    if (i < x.length) out.push(x[i]);
  }
  return out;
}

const cases = fc
  .array(fc.integer({ min: -50, max: 50 }), { minLength: 1, maxLength: 8 })
  .chain((x) => fc.tuple(fc.constant(x), fc.array(fc.integer({ min: -x.length, max: x.length }), { minLength: 2, maxLength: 5 })));

Props('insert equals the reference, eagerly and with traced indices; deleteAt of the new positions gives x back', () => {
  fc.assert(
    fc.property(cases, ([x, idx]) => {
      tf.tidy(() => {
        const n = x.length;
        const vals = idx.map((_, j) => 100 + j);
        const expected = insertRef(x, idx.map((i) => (i < 0 ? i + n : i)), vals);
        assert.equal(Array.from((insert(i32(x), idx, i32(vals)) as tf.Tensor).dataSync()), expected);
        assert.equal(Array.from((jit((a: NdArray, i: NdArray) => insert(a, i, i32(vals)))(i32(x), i32(idx)) as tf.Tensor).dataSync()), expected);
        const inserted = expected.flatMap((v, k) => (v >= 100 ? [k] : []));
        assert.equal(Array.from((deleteAt(i32(expected), inserted) as tf.Tensor).dataSync()), x);
      });
    }),
    { numRuns: 30 },
  );
});

Props.run();
