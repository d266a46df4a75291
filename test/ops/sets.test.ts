/**
 * np.unique, isin, intersect1d, union1d, setdiff1d and setxor1d: NumPy's results for small
 * cases (written in by hand from NumPy 2.x), jax.numpy's size/fillValue padding, eagerly and
 * under jit and vmap; properties against a plain JS reference over random integer arrays;
 * the errors; no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { intersect1d, isin, setdiff1d, setxor1d, union1d, unique } from '../../lib/ops/sets.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

const backend = await useTestBackend();

const values = (t: NdArray) => Array.from((t as tf.Tensor).dataSync());
/** dtype, shape and values of each array, for one assert.equal. */
const described = (r: NdArray | NdArray[]) => (Array.isArray(r) ? r : [r]).map((t) => [(t as tf.Tensor).dtype, [...(t as tf.Tensor).shape], values(t)]);
const i32 = (v: number[]) => tf.tensor1d(v, 'int32');

const Numpy = suite(`np sets: NumPy's results [${backend}]`);

Numpy('unique of a 2-D float array with NaNs: values, index, inverse (x-shaped), counts', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[3, 1, NaN], [3, 2, NaN]]);
    // np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    assert.equal(described(unique(x, { returnIndex: true, returnInverse: true, returnCounts: true })), [
      ['float32', [4], [1, 2, 3, NaN]],
      ['int32', [4], [1, 4, 0, 2]],
      ['int32', [2, 3], [2, 0, 3, 2, 1, 3]],
      ['int32', [4], [1, 1, 2, 2]],
    ]);
    assert.equal(described(unique(x)), [['float32', [4], [1, 2, 3, NaN]]]);
    // Only the parts asked for, in NumPy's order.
    assert.equal(described(unique(i32([3, 4, 1, 3, 1]), { returnCounts: true })), [['int32', [3], [1, 3, 4]], ['int32', [3], [2, 2, 1]]]);
    assert.equal(described(unique(i32([3, 4, 1, 3, 1]), { returnInverse: true })), [['int32', [3], [1, 3, 4]], ['int32', [5], [1, 2, 0, 1, 0]]]);
  });
});

Numpy('unique of bools; equalNan false keeps each NaN', () => {
  tf.tidy(() => {
    assert.equal(described(unique(tf.tensor1d([true, false, true], 'bool'), { returnCounts: true })), [['bool', [2], [0, 1]], ['int32', [2], [1, 2]]]);
    assert.equal(values(unique(tf.tensor1d([NaN, 1, NaN]), { equalNan: false })), [1, NaN, NaN]);
  });
});

Numpy('isin: element-shaped, any shape of test elements, invert; NaN is in nothing', () => {
  tf.tidy(() => {
    assert.equal(described(isin(tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32'), i32([4, 1, 1]))), [['bool', [2, 2], [1, 0, 0, 1]]]);
    assert.equal(values(isin(tf.tensor1d([1, NaN]), tf.tensor1d([NaN, 1]), { invert: true })), [0, 1]);
    assert.equal(values(isin(i32([1, 2]), tf.tensor1d([2.5, 1]))), [1, 0]);
    assert.equal(values(isin(i32([1, 2]), i32([]))), [0, 0]);
  });
});

Numpy('intersect1d, union1d, setdiff1d, setxor1d: sorted unique results, NaN as NumPy', () => {
  tf.tidy(() => {
    const a = i32([1, 2, 3, 4, 4]);
    const b = tf.tensor2d([[3, 4], [5, 6]], undefined, 'int32');
    assert.equal(described([intersect1d(a, b), union1d(a, b), setdiff1d(a, b), setxor1d(a, b)]), [
      ['int32', [2], [3, 4]],
      ['int32', [6], [1, 2, 3, 4, 5, 6]],
      ['int32', [2], [1, 2]],
      ['int32', [4], [1, 2, 5, 6]],
    ]);
    // np.setxor1d([1, nan, 2], [2, 3]); np.intersect1d([1, nan, 2, 2], [nan, 2]); np.union1d([nan, 1], [nan, 0]); np.setdiff1d([nan, 1, 1, 3], [nan, 3])
    assert.equal(values(setxor1d(tf.tensor1d([1, NaN, 2]), tf.tensor1d([2, 3]))), [1, 3, NaN]);
    assert.equal(values(intersect1d(tf.tensor1d([1, NaN, 2, 2]), tf.tensor1d([NaN, 2]))), [2]);
    assert.equal(values(union1d(tf.tensor1d([NaN, 1]), tf.tensor1d([NaN, 0]))), [0, 1, NaN]);
    assert.equal(values(setdiff1d(tf.tensor1d([NaN, 1, 1, 3]), tf.tensor1d([NaN, 3]))), [1, NaN]);
    // Mixed dtypes promote: int32 with float32 gives float32.
    assert.equal(described(union1d(i32([2]), tf.tensor1d([0.5]))), [['float32', [2], [0.5, 2]]]);
    assert.equal(described(intersect1d(i32([]), i32([1]))), [['int32', [0], []]]);
  });
});

Numpy.run();

const Jax = suite(`np sets: jax.numpy's size and fillValue, jit and vmap [${backend}]`);

Jax('unique with size pads with the smallest value (counts 0) or fillValue, and truncates', () => {
  tf.tidy(() => {
    const x = i32([3, 4, 1, 3, 1]);
    // The examples of jax.numpy.unique's documentation.
    assert.equal(values(unique(x, { size: 5 })), [1, 3, 4, 1, 1]);
    assert.equal(values(unique(x, { size: 5, fillValue: 0 })), [1, 3, 4, 0, 0]);
    assert.equal(values(unique(x, { size: 2 })), [1, 3]);
    assert.equal(described(unique(x, { size: 5, fillValue: -1, returnIndex: true, returnInverse: true, returnCounts: true })), [
      ['int32', [5], [1, 3, 4, -1, -1]],
      ['int32', [5], [2, 0, 1, 2, 2]],
      ['int32', [5], [1, 2, 0, 1, 0]],
      ['int32', [5], [2, 2, 1, 0, 0]],
    ]);
    assert.equal(described(unique(x, { size: 0, returnIndex: true, returnCounts: true })), [['int32', [0], []], ['int32', [0], []], ['int32', [0], []]]);
    assert.equal(values(unique(i32([]), { size: 2, fillValue: 7 })), [7, 7]);
  });
});

Jax('the two-array operations with size: JAX padding defaults', () => {
  tf.tidy(() => {
    const a = i32([1, 2, 3, 4]);
    const b = i32([3, 4, 5, 6]);
    assert.equal(values(union1d(a, b, { size: 8, fillValue: 0 })), [1, 2, 3, 4, 5, 6, 0, 0]);
    assert.equal(values(union1d(a, b, { size: 8 })), [1, 2, 3, 4, 5, 6, 1, 1]);
    assert.equal(values(setdiff1d(a, b, { size: 4, fillValue: 0 })), [1, 2, 0, 0]);
    assert.equal(values(setdiff1d(a, b, { size: 1 })), [1]);
    assert.equal(values(setdiff1d(i32([5, 6]), b, { size: 3 })), [0, 0, 0]); // JAX pads setdiff1d with 0
    assert.equal(values(intersect1d(a, b, { size: 4 })), [3, 4, 3, 3]); // the smallest common value
    assert.equal(values(intersect1d(i32([7]), b, { size: 2 })), [0, 0]); // none in common: 0
    assert.equal(values(setxor1d(a, b, { size: 6, fillValue: -1 })), [1, 2, 5, 6, -1, -1]);
    assert.equal(values(setxor1d(a, b, { size: 5 })), [1, 2, 5, 6, 1]);
  });
});

Jax('under jit (with size) the results equal the eager ones', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[3, 1, NaN], [3, 2, NaN]]);
    const opts = { size: 6, fillValue: -1, returnIndex: true, returnInverse: true, returnCounts: true } as const;
    assert.equal(described(jit((v: NdArray) => unique(v, opts))(x)), described(unique(x, opts)));
    const a = i32([4, 1, 1, 9]);
    const b = i32([9, 2, 4]);
    const f = jit((p: NdArray, q: NdArray) => [intersect1d(p, q, { size: 3 }), union1d(p, q, { size: 6 }), setdiff1d(p, q, { size: 3 }), setxor1d(p, q, { size: 3 }), isin(p, q)]);
    assert.equal(described(f(a, b) as NdArray[]), [
      ['int32', [3], [4, 9, 4]],
      ['int32', [6], [1, 2, 4, 9, 1, 1]],
      ['int32', [3], [1, 0, 0]],
      ['int32', [3], [1, 2, 1]],
      ['bool', [4], [1, 0, 0, 1]],
    ]);
  });
});

Jax('vmap with size: one padded result per row', () => {
  tf.tidy(() => {
    const rows = tf.tensor2d([[1, 1, 2], [3, 3, 3]]);
    assert.equal(described(vmap((r: NdArray) => unique(r, { size: 3, fillValue: 0, returnCounts: true }))(rows) as NdArray[]), [
      ['float32', [2, 3], [1, 2, 0, 3, 0, 0]],
      ['int32', [2, 3], [2, 1, 0, 3, 0, 0]],
    ]);
    assert.equal(described(vmap((r: NdArray) => isin(r, tf.tensor1d([2, 3])))(rows)), [['bool', [2, 3], [0, 0, 1, 1, 1, 1]]]);
    assert.equal(described(vmap((r: NdArray) => setdiff1d(r, tf.tensor1d([1]), { size: 2, fillValue: -1 }))(rows)), [['float32', [2, 2], [2, -1, 3, -1]]]);
  });
});

Jax('errors: size under tracing, axis, empty input without fillValue, bad size', () => {
  tf.tidy(() => {
    assert.is(errorOf(() => jit((v: NdArray) => unique(v))(i32([1]))), "unique: pass size: the number of results sets the result's shape, and x's values are traced (jit, vmap or grad)");
    assert.is(errorOf(() => jit((p: NdArray, q: NdArray) => intersect1d(p, q))(i32([1]), i32([1]))), "intersect1d: pass size: the number of results sets the result's shape, and the inputs' values are traced (jit, vmap or grad)");
    assert.is(errorOf(() => vmap((r: NdArray) => union1d(r, r))(tf.tensor2d([[1]]))), "union1d: pass size: the number of results sets the result's shape, and the inputs' values are traced (jit, vmap or grad)");
    assert.is(errorOf(() => unique(i32([1]), { axis: 0, size: 1 })), 'unique: size is not supported with an axis');
    assert.is(errorOf(() => unique(i32([]), { size: 2 })), 'unique: pass fillValue: the input is empty, so there is no smallest value to pad 2 entries with');
    assert.is(errorOf(() => unique(i32([1]), { size: -1 })), 'unique: size must be a non-negative integer, got -1');
  });
});

Jax('no tensors leak, eagerly or from a jitted call made again', () => {
  const x = i32([3, 4, 1, 3, 1]);
  const y = i32([1, 5]);
  const f = jit((p: NdArray, q: NdArray) => [unique(p, { size: 4, returnInverse: true, returnCounts: true })[0], setxor1d(p, q, { size: 4 })]);
  tf.dispose(f(x, y) as tf.Tensor[]);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    unique(x, { returnIndex: true, returnInverse: true, returnCounts: true });
    [intersect1d, union1d, setdiff1d, setxor1d].forEach((op) => op(x, y));
    isin(x, y);
  });
  tf.dispose(f(x, y) as tf.Tensor[]);
  assert.is(tf.memory().numTensors, before);
  tf.dispose([x, y]);
});

Jax.run();

const Props = suite(`np sets: properties against a JS reference [${backend}]`);

const smallInts = fc.array(fc.integer({ min: -3, max: 4 }), { minLength: 1, maxLength: 9 });
const sortedSet = (v: Iterable<number>) => [...new Set(v)].sort((p, q) => p - q);

Props('unique: sorted distinct values, first indices, inverse rebuilds x, counts', () => {
  fc.assert(
    fc.property(smallInts, (v) => {
      tf.tidy(() => {
        const [u, index, inverse, counts] = unique(i32(v), { returnIndex: true, returnInverse: true, returnCounts: true }).map(values);
        assert.equal(u, sortedSet(v));
        assert.equal(index, u.map((w) => v.indexOf(w)));
        assert.equal(inverse.map((k) => u[k]), v);
        assert.equal(counts, u.map((w) => v.filter((e) => e === w).length));
        const size = v.length + 1;
        assert.equal(values(unique(i32(v), { size, fillValue: 99 })), [...u, ...new Array<number>(size - u.length).fill(99)]);
      });
    }),
    { numRuns: 25 },
  );
});

Props('the two-array operations equal JS set arithmetic', () => {
  fc.assert(
    fc.property(smallInts, smallInts, (p, q) => {
      tf.tidy(() => {
        const [a, b] = [i32(p), i32(q)];
        assert.equal(values(intersect1d(a, b)), sortedSet(p.filter((e) => q.includes(e))));
        assert.equal(values(union1d(a, b)), sortedSet([...p, ...q]));
        assert.equal(values(setdiff1d(a, b)), sortedSet(p.filter((e) => !q.includes(e))));
        assert.equal(values(setxor1d(a, b)), sortedSet([...p.filter((e) => !q.includes(e)), ...q.filter((e) => !p.includes(e))]));
        assert.equal(values(isin(a, b)), p.map((e) => (q.includes(e) ? 1 : 0)));
      });
    }),
    { numRuns: 20 },
  );
});

Props.run();
