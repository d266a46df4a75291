/**
 * Regression tests from a hunt against NumPy's and JAX's indexing semantics
 * (jax/tests/lax_numpy_indexing_test.py): boolean masks that do not match their axes, scalar
 * booleans, out-of-bound integers (JAX clamps), JAX's mode names, traced multiply/min/max with
 * repeated indices, take/takeAlongAxis modes, put's default mode and np.ix_. Expected values
 * are NumPy's (written next to each case) or, where they differ, JAX's.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();

const iota = (shape: number[]) => tf.reshape(tf.range(0, shape.reduce((a, b) => a * b, 1), 1, 'float32'), shape);
const vals = (t: NdArray) => Array.from((t as tf.Tensor).dataSync());
const shape = (t: NdArray) => [...(t as tf.Tensor).shape];
const bools = (b: boolean[], s?: number[]) => tf.tensor(b, s, 'bool');
const ints = (v: number[] | number[][]) => tf.tensor(v, undefined, 'int32');

const masks = suite('boolean masks and scalar booleans (NumPy, JAX)');

masks('a mask must match the axes it indexes (JAX testBooleanIndexingShapeMismatch); an empty mask need not (NumPy)', () => {
  tf.tidy(() => {
    // jnp.arange(4)[jnp.array([True, False])] -> IndexError "boolean index did not match shape"
    assert.match(errorOf(() => np.index(iota([4]), bools([true, false]))), /index entry 0 is a boolean mask of shape \[2\], which does not match the indexed axes \[4\]/);
    assert.match(errorOf(() => np.at(iota([2, 3]), ':', bools([true, false])).set(0)), /index entry 1 is a boolean mask of shape \[2\], which does not match the indexed axes \[3\]/);
    // NumPy: np.zeros(shape)[np.empty(mask_shape, bool)].shape (JAX testEmptyBooleanIndexing)
    const cases: [number[], number[], number[]][] = [[[3], [0], [0]], [[3, 4], [0], [0, 4]], [[3, 4], [0, 4], [0]], [[3, 4], [3, 0], [0]], [[3, 4, 5], [3, 0], [0, 5]]];
    for (const [xs, ms, want] of cases) assert.equal(shape(np.index(iota(xs), tf.zeros(ms, 'bool'))), want, `[${xs}][empty ${ms}]`);
  });
});

masks('scalar booleans add an axis of length 1 (true) or 0 (false), as NumPy and JAX testScalarBooleanIndexing', () => {
  tf.tidy(() => {
    const x = iota([2, 3, 4, 5]);
    const T = true;
    const F = false;
    // np.zeros((2, 3, 4, 5))[idx].shape for each of JAX's cases
    const cases: [np.Index[], number[]][] = [
      [[T], [1, 2, 3, 4, 5]],
      [[F], [0, 2, 3, 4, 5]],
      [['...', T], [2, 3, 4, 5, 1]],
      [['...', F], [2, 3, 4, 5, 0]],
      [[0, ':2', T], [1, 2, 4, 5]],
      [[0, ':2', F], [0, 2, 4, 5]],
      [[':2', 0, T], [2, 1, 4, 5]],
      [[':2', 0, F], [2, 0, 4, 5]],
      [[':2', ints([0, 2]), T], [2, 2, 4, 5]],
      [[ints([1, 0]), ':', T], [2, 3, 4, 5]],
      [[T, ':', T, ':', tf.scalar(true, 'bool')], [1, 2, 3, 4, 5]],
    ];
    for (const [idx, want] of cases) assert.equal(shape(np.index(x, ...idx)), want, JSON.stringify(idx.map((e) => (e instanceof tf.Tensor ? 'array' : e))));
    // x[True] is x[None]; x[0, :2, True][0, 1, 2, 0] is x[0, 1, 2, 0] = 20 + 10 = 30
    assert.equal(vals(np.index(x, T)), vals(x));
    assert.equal(vals(np.index(x, 0, ':2', T))[(1 * 4 + 2) * 5], 30);
    // JAX testBooleanIndexingWithNone / ...WithNoneAndEllipsis / ...WithEllipsisAndNone
    const y = iota([2, 3]);
    assert.equal([shape(np.index(y, null, bools([true, false]))), vals(np.index(y, null, bools([true, false])))], [[1, 1, 3], [0, 1, 2]]);
    assert.equal([shape(np.index(y, null, '...', bools([true, false, false]))), vals(np.index(y, null, '...', bools([true, false, false])))], [[1, 2, 1], [0, 3]]);
    assert.equal(shape(np.index(y, '...', null, bools([true, false, false]))), [2, 1, 1]);
  });
});

masks('scalar booleans in updates (JAX testScalarBoolUpdate)', () => {
  tf.tidy(() => {
    const x = iota([2, 3]);
    // x = np.arange(6.).reshape(2, 3); x[True] = [7, 8, 9] -> every row [7, 8, 9]; x[False] = 1 -> unchanged
    assert.equal(vals(np.at(x, true).set(tf.tensor1d([7, 8, 9]))), [7, 8, 9, 7, 8, 9]);
    assert.equal(vals(np.at(x, false).set(1)), [0, 1, 2, 3, 4, 5]);
    // x[:, 1, True] += 10 -> column 1 plus 10
    assert.equal(vals(np.at(x, ':', 1, true).add(10)), [0, 11, 2, 3, 14, 5]);
  });
});

masks.run();

const bounds = suite('out-of-bound integers and JAX mode names');

bounds('an integer out of bounds clamps on reads, fills with mode fill, and is dropped by updates (JAX; NumPy raises)', () => {
  tf.tidy(() => {
    const x = iota([3, 2]);
    // jnp.arange(6.).reshape(3, 2)[5] -> row 2; [-7] -> row 0; [1, 9] -> x[1, 1]
    assert.equal(vals(np.index(x, 5)), [4, 5]);
    assert.equal(vals(np.index(x, -7)), [0, 1]);
    assert.equal(vals(np.index(x, 1, 9)), [3]);
    assert.equal(shape(np.index(x, 1, 9)), []);
    assert.equal(vals(jit((a: NdArray) => np.index(a, '...', -3))(x)), [0, 2, 4]);
    assert.equal(vals(np.at(x, 3).get({ mode: 'fill', fillValue: -1 })), [-1, -1]);
    // x.at[3].set(9) and x.at[-4].add(9): dropped
    assert.equal(vals(np.at(x, 3).set(9)), vals(x));
    assert.equal(vals(np.at(x, -4).add(9)), vals(x));
    assert.equal(vals(np.at(x, 3).set(9, { mode: 'clip' })), [0, 1, 2, 3, 9, 9]);
    // An empty axis has nothing to clamp to: JAX raises too (testIndexingEmptyDimension).
    assert.match(errorOf(() => np.index(tf.zeros([2, 0]), 0, 0)), /index 0 is out of bounds for axis 1 with size 0/);
  });
});

bounds("get and the updates take JAX's mode names; another mode is an error", () => {
  tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3, 4, 5]);
    const i = ints([0, 7, -1]);
    // XLA's gather clamps under promise_in_bounds; 'drop' reads the fill (GatherScatterMode.FILL_OR_DROP)
    assert.equal(vals(np.at(x, i).get({ mode: 'promise_in_bounds' })), [1, 5, 5]);
    assert.equal(vals(np.at(x, i).get({ mode: 'drop', fillValue: 0 })), [1, 0, 5]);
    // 'fill' and 'promise_in_bounds' updates drop (FILL_OR_DROP; XLA's scatter skips out-of-bound updates)
    assert.equal(vals(np.at(x, i).set(0, { mode: 'fill' })), [0, 2, 3, 4, 0]);
    assert.equal(vals(np.at(x, i).add(10, { mode: 'promise_in_bounds' })), [11, 2, 3, 4, 15]);
    assert.match(errorOf(() => np.at(x, i).set(0, { mode: 'bogus' as 'drop' })), /at\(\.\.\.\)\.set: mode must be one of 'drop', 'fill', 'promise_in_bounds', 'clip', got 'bogus'/);
    assert.match(errorOf(() => np.at(x, i).get({ mode: 'wrap' as 'clip' })), /at\(\.\.\.\)\.get: mode must be one of .* got 'wrap'/);
  });
});

bounds('index arrays out of bounds: JAX testIndexOutOfBounds', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3, 4, 5], 'int32');
    const idx = ints([-10, -6, -5, -4, 0, 3, 4, 5, 6, 100]);
    const imin = -(2 ** 31);
    assert.equal(vals(np.at(x, idx).get({ mode: 'clip' })), [1, 1, 1, 2, 1, 4, 5, 5, 5, 5]);
    assert.equal(vals(np.at(x, idx).get({ mode: 'fill' })), [imin, imin, 1, 2, 1, 4, 5, imin, imin, imin]);
    assert.equal(vals(np.at(x, idx).get({ mode: 'fill', fillValue: 7 })), [7, 7, 1, 2, 1, 4, 5, 7, 7, 7]);
  });
});

bounds.run();

const traced = suite('traced indices: multiply, divide, power, min, max with repeated positions');

traced('under jit and vmap they equal the eager result (ufunc.at; JAX scatter_mul/min/max), values and derivatives', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3, 4, 5]);
    const i = ints([0, 2, 0, 7, -1, 2]);
    const u = tf.tensor1d([2, 3, 4, 40, 0.5, 1.5]);
    const w = tf.tensor1d([1, 2, 3, 4, 5]);
    // NumPy: y = x.copy(); np.<ufunc>.at(y, [0, 2, 0, -1, 2], [2, 3, 4, 0.5, 1.5]) (7 is dropped, as JAX)
    const want = {
      multiply: [8, 2, 13.5, 4, 2.5],
      divide: [0.125, 2, 3 / 4.5, 4, 10],
      power: [1, 2, 3 ** 4.5, 4, Math.sqrt(5)],
      min: [1, 2, 1.5, 4, 0.5],
      max: [4, 2, 3, 4, 5],
    };
    for (const op of ['multiply', 'divide', 'power', 'min', 'max'] as const) {
      const f = (a: NdArray, j: NdArray, b: NdArray) => np.at(a, j)[op](b);
      allClose(vals(f(x, i, u)), want[op], { rtol: 1e-5 }, `${op} eager`);
      allClose(vals(jit(f)(x, i, u)), want[op], { rtol: 1e-5 }, `${op} jit`);
      const loss = (a: NdArray, b: NdArray, j: NdArray) => np.sum(np.mul(f(a, j, b), w));
      const [gx, gu] = [grad(loss, { argnums: [0, 1] })(x, u, i) as NdArray[], jit(grad(loss, { argnums: [0, 1] }))(x, u, i) as NdArray[]];
      const eager = grad((a: NdArray, b: NdArray) => loss(a, b, i), { argnums: [0, 1] })(x, u) as NdArray[];
      allClose(vals(gx[0]), vals(eager[0]), { rtol: 1e-4 }, `${op} d/dx traced`);
      allClose(vals(gx[1]), vals(eager[1]), { rtol: 1e-4 }, `${op} d/du traced`);
      allClose(vals(gu[1]), vals(eager[1]), { rtol: 1e-4 }, `${op} d/du jit`);
    }
    // vmap with batched indices: each row's repeated positions merge
    const rows = vmap((j: NdArray) => np.at(tf.zeros([3]), j).max(tf.tensor1d([1, 2])))(ints([[0, 0], [1, 2]]));
    assert.equal(vals(rows), [2, 0, 0, 0, 1, 2]);
    const ix = jit((a: NdArray, j: NdArray, b: NdArray) => np.at(a, j).min(b))(tf.tensor1d([1, 2, 3], 'int32'), ints([0, 0, 2]), tf.tensor1d([7, -9, -1], 'int32'));
    assert.equal([vals(ix), (ix as tf.Tensor).dtype], [[-9, 2, -1], 'int32']);
  });
});

traced.run();

const takes = suite('take, takeAlongAxis, put, ix_ (jax.numpy options)');

takes("take's modes fill (fillValue), clip and wrap; JS index arrays (jnp.take, numpy.take)", () => {
  tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3, 4, 5], 'int32');
    const idx = ints([-10, -6, -5, -4, 0, 3, 4, 5, 6, 100]);
    // np.take(x, idx, mode='clip') / mode='wrap'
    assert.equal(vals(np.take(x, idx, 0, 'clip')), [1, 1, 1, 1, 1, 4, 5, 5, 5, 5]);
    assert.equal(vals(np.take(x, idx, null, { mode: 'wrap' })), [1, 5, 1, 2, 1, 4, 5, 1, 2, 1]);
    assert.equal(vals(jit((a: NdArray, j: NdArray) => np.take(a, j, 0, 'wrap'))(x, idx)), [1, 5, 1, 2, 1, 4, 5, 1, 2, 1]);
    assert.equal(vals(np.take(x, idx, 0, { fillValue: 0 })), [0, 0, 1, 2, 1, 4, 5, 0, 0, 0]);
    assert.equal(vals(np.take(iota([2, 2]), [1, 0], 1)), [1, 0, 3, 2]);
    assert.match(errorOf(() => np.take(x, idx, 0, 'raise' as 'clip')), /take: mode must be 'fill', 'clip' or 'wrap', got 'raise'/);
  });
});

takes('takeAlongAxis: axis -1 by default, null flattens, mode clip, fillValue (jnp.take_along_axis)', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    assert.equal(vals(np.takeAlongAxis(x, ints([[2, 0], [1, 1]]))), [3, 1, 5, 5]);
    // np.take_along_axis(x, [5, 0, -1], axis=None) -> [6, 1, 6]
    assert.equal(vals(np.takeAlongAxis(x, ints([5, 0, -1]), null)), [6, 1, 6]);
    // JAX mode 'clip': negative indices count from the end, then clamp: [[2, -1, 5, -9]] -> columns [2, 2, 2, 0]
    assert.equal(vals(np.takeAlongAxis(x, ints([[2, -1, 5, -9]]), 1, { mode: 'clip' })), [3, 3, 3, 1, 6, 6, 6, 4]);
    assert.equal(vals(np.takeAlongAxis(x, ints([[7], [0]]), 1, { fillValue: 0 })), [0, 4]);
    assert.match(errorOf(() => np.takeAlongAxis(x, ints([[0]]), null)), /takeAlongAxis: indices must be 1-D when axis is null/);
  });
});

takes("put's default mode: negative indices count from the end (NumPy, jnp.put's mode None)", () => {
  tf.tidy(() => {
    // np.put(np.zeros(4), [-1, 1], [5, 6]) -> [0, 6, 0, 5]; jnp.put also clamps [9, -9] to the ends
    assert.equal(vals(np.put(tf.zeros([4]), ints([-1, 1]), tf.tensor1d([5, 6]))), [0, 6, 0, 5]);
    assert.equal(vals(np.put(tf.zeros([4]), ints([9, -9]), tf.tensor1d([7, 8]))), [8, 0, 0, 7]);
    // mode 'clip' clamps negative indices to 0: np.put(np.zeros(4), [-1, 7], [5, 6], mode='clip') -> [5, 0, 0, 6]
    assert.equal(vals(np.put(tf.zeros([4]), ints([-1, 7]), tf.tensor1d([5, 6]), 'clip')), [5, 0, 0, 6]);
    // no values: unchanged (NumPy, JAX)
    assert.equal(vals(np.put(tf.zeros([2]), ints([0, 1]), tf.zeros([0]))), [0, 0]);
  });
});

takes('ix_: open-mesh index arrays (numpy.ix_), for reads and updates', () => {
  tf.tidy(() => {
    const m = iota([4, 5]);
    // np.arange(20).reshape(4, 5)[np.ix_([0, 2], [1, 3])] -> [[1, 3], [11, 13]]
    const picked = np.index(m, ...np.ix_([0, 2], [1, 3]));
    assert.equal([shape(picked), vals(picked)], [[2, 2], [1, 3, 11, 13]]);
    // booleans give their true positions: m[np.ix_([True, False, False, True], [4, 0])] -> [[4, 0], [19, 15]]
    assert.equal(vals(np.index(m, ...np.ix_([true, false, false, true], ints([4, 0])))), [4, 0, 19, 15]);
    assert.equal(np.ix_([0, 2], [1, 3, 4], ints([])).map(shape), [[2, 1, 1], [1, 3, 1], [1, 1, 0]]);
    assert.equal(vals(np.at(tf.zeros([3, 3]), ...np.ix_([0, 2], [0, 2])).set(1)), [1, 0, 1, 0, 0, 0, 1, 0, 1]);
    assert.match(errorOf(() => np.ix_([[0, 2]])), /ix_: argument 0 must be a 1-D index array/);
  });
});

takes.run();
