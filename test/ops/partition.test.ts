/**
 * np.partition, argpartition and lexsort: partition's contract (NumPy promises only that: the
 * kth element in sorted place, none larger before it, none smaller after) checked over random
 * arrays with fast-check, eagerly, under jit and vmap; lexsort against NumPy's results
 * (written in by hand) and a stable JS reference; the errors; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, np, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { argpartition, lexsort, partition } from '../../lib/ops/partition.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();

const values = (t: NdArray) => Array.from((t as tf.Tensor).dataSync());
const i32 = (v: number[]) => tf.tensor1d(v, 'int32');

/** NaN-last ascending order, as NumPy sorts. */
const cmp = (p: number, q: number) => (Number.isNaN(p) ? (Number.isNaN(q) ? 0 : 1) : Number.isNaN(q) ? -1 : p - q);
const le = (p: number, q: number) => cmp(p, q) <= 0;

/** Asserts NumPy's partition contract for one row around index k. */
function checkContract(row: number[], input: number[], k: number, what: string): void {
  const sorted = [...input].sort(cmp);
  assert.equal([...row].sort(cmp), sorted, `${what}: a permutation of the input`);
  assert.ok(Object.is(row[k], sorted[k]) || row[k] === sorted[k], `${what}: element ${k} is ${row[k]}, sorted has ${sorted[k]}`);
  row.forEach((v, i) => {
    if (i < k) assert.ok(le(v, row[k]), `${what}: ${v} at ${i} before kth ${row[k]}`);
    if (i > k) assert.ok(le(row[k], v), `${what}: ${v} at ${i} after kth ${row[k]}`);
  });
}

const Partition = suite(`np partition and argpartition: NumPy's contract [${backend}]`);

const rows = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 7 }))
  .chain(([r, n]) =>
    fc.tuple(
      fc.array(fc.array(fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constant(Number.NaN)), { minLength: n, maxLength: n }), { minLength: r, maxLength: r }),
      fc.integer({ min: -n, max: n - 1 }),
    ),
  );

Partition('partition and argpartition meet the contract along the last axis, eagerly and under jit', () => {
  fc.assert(
    fc.property(rows, ([data, kth]) => {
      tf.tidy(() => {
        const n = data[0].length;
        const k = kth < 0 ? kth + n : kth;
        const x = tf.tensor2d(data);
        const parts = [partition(x, kth), jit((a: NdArray) => partition(a, kth))(x) as NdArray, np.takeAlongAxis(x, argpartition(x, kth), -1)];
        for (const [p, what] of parts.map((t, j) => [t, ['partition', 'jit(partition)', 'argpartition'][j]] as const)) {
          const flat = values(p);
          data.forEach((row, r) => checkContract(flat.slice(r * n, (r + 1) * n), row, k, `${what} row ${r}, kth ${kth}`));
        }
        const idx = argpartition(x, kth);
        assert.is((idx as tf.Tensor).dtype, 'int32');
        const flatIdx = values(idx);
        data.forEach((_, r) => assert.equal([...flatIdx.slice(r * n, (r + 1) * n)].sort((p, q) => p - q), [...Array(n).keys()], 'argpartition: a permutation'));
      });
    }),
    { numRuns: 30 },
  );
});

Partition('along another axis, several kth at once, and under vmap', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[3, 9], [1, 7], [2, 8]], undefined, 'int32');
    const p = values(partition(x, 1, 0));
    checkContract([p[0], p[2], p[4]], [3, 1, 2], 1, 'axis 0, column 0');
    checkContract([p[1], p[3], p[5]], [9, 7, 8], 1, 'axis 0, column 1');
    const y = i32([5, 0, 4, 1, 3, 2]);
    const both = values(partition(y, [1, 4]));
    checkContract(both, values(y), 1, 'kth [1, 4], at 1');
    checkContract(both, values(y), 4, 'kth [1, 4], at 4');
    const batched = values(vmap((r: NdArray) => partition(r, 0))(tf.tensor2d([[3, 1, 2], [0, -1, 5]])) as NdArray);
    checkContract(batched.slice(0, 3), [3, 1, 2], 0, 'vmap row 0');
    checkContract(batched.slice(3), [0, -1, 5], 0, 'vmap row 1');
  });
});

Partition('errors: kth out of bounds, axis out of range', () => {
  tf.tidy(() => {
    const x = i32([1, 2, 3, 4]);
    assert.is(errorOf(() => partition(x, 4)), 'partition: kth 4 is out of bounds for axis 0 with size 4');
    assert.is(errorOf(() => argpartition(x, [0, -5])), 'argpartition: kth -5 is out of bounds for axis 0 with size 4');
    assert.is(errorOf(() => partition(x, 0, 1)), 'partition: axis 1 is out of range for an array of rank 1');
  });
});

Partition.run();

const Lexsort = suite(`np lexsort [${backend}]`);

Lexsort("NumPy's results: last key primary, stable, a list or a 2-D array of keys, another axis", () => {
  tf.tidy(() => {
    const a = i32([1, 5, 1, 4, 3, 4, 4]);
    const b = i32([9, 4, 0, 4, 0, 2, 1]);
    // np.lexsort((b, a)) and np.lexsort((a, b)).
    assert.equal(values(lexsort([b, a])), [2, 0, 4, 6, 5, 3, 1]);
    assert.equal(values(lexsort([a, b])), [2, 4, 6, 5, 3, 1, 0]);
    assert.equal(values(lexsort(tf.stack([b, a]))), [2, 0, 4, 6, 5, 3, 1]);
    assert.is((lexsort([b, a]) as tf.Tensor).dtype, 'int32');
    // Mixed dtypes and NaN last: np.lexsort(([0., nan, 1., 2.], [1, 0, 0, 1])).
    assert.equal(values(lexsort([tf.tensor1d([0, NaN, 1, 2]), i32([1, 0, 0, 1])])), [2, 1, 0, 3]);
    // np.lexsort([[[1, 2], [2, 1]], [[0, 0], [1, 0]]], axis=0) and axis=-1.
    const k0 = tf.tensor2d([[1, 2], [2, 1]]);
    const k1 = tf.tensor2d([[0, 0], [1, 0]]);
    assert.equal(values(lexsort([k0, k1], 0)), [0, 1, 1, 0]);
    assert.equal(values(lexsort([k0, k1])), [0, 1, 1, 0]);
    assert.equal(values(jit((p: NdArray, q: NdArray) => lexsort([p, q]))(b, a) as NdArray), [2, 0, 4, 6, 5, 3, 1]);
    assert.equal(values(vmap((p: NdArray, q: NdArray) => lexsort([p, q]))(tf.stack([b, a]), tf.stack([a, b])) as NdArray), [2, 0, 4, 6, 5, 3, 1, 2, 4, 6, 5, 3, 1, 0]);
  });
});

Lexsort('equals a stable JS sort by (last key, ..., first key) over random keys', () => {
  const keys = fc.integer({ min: 1, max: 6 }).chain((n) => fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }), { minLength: 1, maxLength: 3 }));
  fc.assert(
    fc.property(keys, (ks) => {
      tf.tidy(() => {
        const n = ks[0].length;
        const expected = [...Array(n).keys()].sort((i, j) => {
          for (let k = ks.length - 1; k >= 0; k--) if (ks[k][i] !== ks[k][j]) return ks[k][i] - ks[k][j];
          return i - j;
        });
        assert.equal(values(lexsort(ks.map((k) => i32(k)))), expected);
      });
    }),
    { numRuns: 30 },
  );
});

Lexsort('errors: no keys, mismatched shapes, 0-d keys', () => {
  tf.tidy(() => {
    assert.is(errorOf(() => lexsort([])), 'lexsort: no keys given');
    assert.is(errorOf(() => lexsort([i32([1, 2]), i32([1, 2, 3])])), 'lexsort: key 1 has shape [3], key 0 [2]; all keys must have one shape');
    assert.is(errorOf(() => lexsort(i32([3, 1, 2]))), 'lexsort: keys must have at least one axis, got 0-d keys');
  });
});

Lexsort('no tensors leak, eagerly or from a jitted call made again', () => {
  const x = tf.tensor2d([[3, 1, 2], [1, 1, 0]]);
  const f = jit((a: NdArray) => [partition(a, 1), argpartition(a, -1), lexsort(a)]);
  tf.dispose(f(x) as tf.Tensor[]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    partition(x, 1);
    argpartition(x, [0, 2], -1);
    lexsort(x);
  });
  tf.dispose(f(x) as tf.Tensor[]);
  assert.is(tf.memory().numTensors, before);
  tf.dispose(x);
});

Lexsort.run();
