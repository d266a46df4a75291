/**
 * np.index (x[idx]) and np.at (JAX's x.at[idx] updates) against NumPy's results
 * (test/fixtures/numpy_indexing.json, written by tools/numpy-fixtures-indexing.py; repeated
 * indices follow ufunc.at), eagerly, under jit, vmap and grad; then JAX's own semantics
 * NumPy lacks (out-of-bound entries clamp on get, drop on update) and the errors.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, jvp, vmap } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();

interface Arr {
  shape: number[];
  data: number[];
}
type Encoded = null | '...' | { int: number } | { slice: [number | null, number | null, number | null] } | { array: unknown; dtype: 'int32' | 'bool' };
interface GetCase {
  name: string;
  x: Arr;
  index: Encoded[];
  out: Arr;
}
interface UpdateCase extends GetCase {
  op: 'set' | 'add' | 'subtract' | 'multiply' | 'divide' | 'power' | 'min' | 'max' | 'apply';
  values?: Arr;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/numpy_indexing.json', import.meta.url), 'utf8')) as { gets: GetCase[]; updates: UpdateCase[] };

const tensor = (a: Arr) => tf.tensor(a.data, a.shape, 'float32');
function decode(e: Encoded): np.Index {
  if (e === null || e === '...') return e;
  if ('int' in e) return e.int;
  if ('slice' in e) return np.slice(...e.slice);
  return tf.tensor(e.array as number[], undefined, e.dtype);
}
const indexOf = (c: GetCase) => c.index.map(decode);
const traceable = (c: GetCase) => !c.index.some((e) => e !== null && typeof e === 'object' && 'array' in e && e.dtype === 'bool');

function check(actual: NdArray, expected: Arr, what: string): void {
  assert.equal([...(actual as tf.Tensor).shape], expected.shape, `${what}: shape`);
  allClose((actual as tf.Tensor).dataSync(), expected.data, { atol: 1e-5, rtol: 1e-5 }, what);
}

function update(x: NdArray, c: UpdateCase, v: NdArray | undefined, options: np.UpdateOptions = {}): NdArray {
  const ref = np.at(x, ...indexOf(c));
  if (c.op === 'apply') return ref.apply(np.square, options);
  return ref[c.op](v!, options);
}

const gets = suite('np.index: NumPy');
for (const c of fixture.gets) {
  gets(c.name, () => {
    tf.tidy(() => {
      const x = tensor(c.x);
      check(np.index(x, ...indexOf(c)), c.out, 'eager');
      if (!traceable(c)) return;
      check(jit((a: NdArray) => np.index(a, ...indexOf(c)))(x), c.out, 'jit');
      // vmap over a stack of x and 2x: each member's result, the second doubled.
      const both = vmap((a: NdArray) => np.index(a, ...indexOf(c)))(np.stack([x, np.mul(x, 2)]));
      check(np.index(both, 0), c.out, 'vmap member 0');
      check(np.index(both, 1), { shape: c.out.shape, data: c.out.data.map((v) => 2 * v) }, 'vmap member 1');
    });
  });
}
gets.run();

const updates = suite('np.at: NumPy (ufunc.at for repeated indices)');
for (const c of fixture.updates) {
  updates(c.name, () => {
    tf.tidy(() => {
      const x = tensor(c.x);
      const v = c.values && tensor(c.values);
      check(update(x, c, v), c.out, 'eager');
      if (!traceable(c)) return;
      check(jit((a: NdArray, b: NdArray) => update(a, c, b))(x, v ?? tf.scalar(0)), c.out, 'jit');
      const both = vmap((a: NdArray) => update(a, c, v))(np.stack([x, x]));
      check(np.index(both, 1), c.out, 'vmap');
    });
  });
}
updates.run();

const jax = suite('np.at: JAX semantics');

jax('get clamps out-of-bound index arrays; fill mode reads the fill value', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([10, 20, 30]);
    allClose((np.index(x, [5, -7, 1]) as tf.Tensor).dataSync(), [30, 10, 20]);
    allClose((np.at(x, [5, 1]).get({ mode: 'fill', fillValue: -1 }) as tf.Tensor).dataSync(), [-1, 20]);
    assert.ok(Number.isNaN((np.at(x, [3]).get({ mode: 'fill' }) as tf.Tensor).dataSync()[0]));
    assert.equal((np.at(tf.tensor1d([1, 2], 'int32'), [2]).get({ mode: 'fill' }) as tf.Tensor).dataSync()[0], -(2 ** 31));
  });
});

jax('updates drop out-of-bound entries (eager and traced); mode clip clamps them', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([0, 1, 2, 3]);
    const i = tf.tensor1d([1, 4, -5, -1], 'int32');
    const v = tf.tensor1d([10, 20, 30, 40]);
    allClose((np.at(x, i).set(v) as tf.Tensor).dataSync(), [0, 10, 2, 40]);
    allClose((np.at(x, i).add(v) as tf.Tensor).dataSync(), [0, 11, 2, 43]);
    allClose((jit((a: NdArray, j: NdArray, b: NdArray) => np.at(a, j).set(b))(x, i, v) as tf.Tensor).dataSync(), [0, 10, 2, 40]);
    allClose((jit((a: NdArray, j: NdArray, b: NdArray) => np.at(a, j).add(b))(x, i, v) as tf.Tensor).dataSync(), [0, 11, 2, 43]);
    allClose((np.at(x, i).set(v, { mode: 'clip' }) as tf.Tensor).dataSync(), [30, 10, 2, 40]);
  });
});

jax('repeated indices: set keeps the last write; traced indices keep exactly one of them', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([0, 0, 0]);
    const i = tf.tensor1d([2, 0, 2, 2], 'int32');
    const v = tf.tensor1d([1, 2, 3, 4]);
    allClose((np.at(x, i).set(v) as tf.Tensor).dataSync(), [2, 0, 4]);
    const traced = (jit((a: NdArray, j: NdArray, b: NdArray) => np.at(a, j).set(b))(x, i, v) as tf.Tensor).dataSync();
    assert.equal([traced[0], traced[1]], [2, 0]);
    assert.ok([1, 3, 4].includes(traced[2]), `position 2 took one of its writes, got ${traced[2]}`);
  });
});

jax('traced indices: apply needs uniqueIndices; multiply, with it or without, equals the eager result', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3]);
    const i = tf.tensor1d([2, 0], 'int32');
    const f = (unique: boolean) => jit((a: NdArray, j: NdArray) => np.at(a, j).multiply(tf.tensor1d([10, 100]), { uniqueIndices: unique }));
    assert.match(errorOf(() => jit((a: NdArray, j: NdArray) => np.at(a, j).apply(np.exp))(x, i)), /at\(\.\.\.\)\.apply: the indices are traced .* uniqueIndices: true/);
    allClose((f(false)(x, i) as tf.Tensor).dataSync(), [100, 2, 30]);
    allClose((f(true)(x, i) as tf.Tensor).dataSync(), [100, 2, 30]);
  });
});

jax('vmap over the indices as well as the array', () => {
  tf.tidy(() => {
    const xs = tf.tensor2d([[0, 1, 2], [3, 4, 5]]);
    const is = tf.tensor2d([[0, 0], [2, 1]], [2, 2], 'int32');
    const vs = tf.tensor2d([[7, 8], [9, 6]]);
    allClose((vmap((a: NdArray, j: NdArray, b: NdArray) => np.at(a, j).set(b))(xs, is, vs) as tf.Tensor).dataSync(), [8, 1, 2, 3, 6, 9]);
    allClose((vmap((a: NdArray, j: NdArray, b: NdArray) => np.at(a, j).add(b))(xs, is, vs) as tf.Tensor).dataSync(), [15, 1, 2, 3, 10, 14]);
    allClose((vmap((a: NdArray, j: NdArray) => np.index(a, j))(xs, is) as tf.Tensor).dataSync(), [0, 0, 5, 4]);
  });
});

jax('gradients: get scatters back, set routes the cotangent to the values, repeated entries sum', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([1, 2, 3, 4]);
    const w = tf.tensor1d([1, 10, 100]);
    // d/dx sum(w * x[[3, 0, 3]]) = add.at(zeros, [3, 0, 3], w)
    allClose((grad((a: NdArray) => np.sum(np.mul(w, np.index(a, [3, 0, 3]))))(x) as tf.Tensor).dataSync(), [10, 0, 0, 101]);
    // y = x.at[[1, 2]].set(v): dy/dx zero there, dy/dv the cotangent there.
    const loss = (a: NdArray, v: NdArray) => np.sum(np.mul(tf.tensor1d([1, 2, 3, 4]), np.at(a, [1, 2]).set(v)));
    const [gx, gv] = grad(loss, { argnums: [0, 1] })(x, tf.tensor1d([5, 6])) as tf.Tensor[];
    allClose(gx.dataSync(), [1, 0, 0, 4]);
    allClose(gv.dataSync(), [2, 3]);
    // multiply at repeated positions: x0 * 2 * 3, so d/dx0 = 6 and d/dv = x0 times the other factor.
    const [mx, mv] = grad((a: NdArray, v: NdArray) => np.sum(np.at(a, [0, 0]).multiply(v)), { argnums: [0, 1] })(x, tf.tensor1d([2, 3])) as tf.Tensor[];
    allClose(mx.dataSync(), [6, 1, 1, 1]);
    allClose(mv.dataSync(), [3, 2]);
    // jvp of min: the tangent follows whichever side is smaller.
    const [, t] = jvp((a: NdArray) => np.at(a, [1, 2]).min(tf.tensor1d([0, 9])), [x], [tf.tensor1d([1, 1, 1, 1])]);
    allClose((t as tf.Tensor).dataSync(), [1, 0, 1, 1]);
  });
});

jax('grad through traced set with repeated indices: only the kept write gets the cotangent', () => {
  tf.tidy(() => {
    const i = tf.tensor1d([1, 1], 'int32');
    const g = jit(grad((v: NdArray, j: NdArray) => np.sum(np.at(tf.zeros([3]), j).set(v))))(tf.tensor1d([5, 6]), i) as tf.Tensor;
    const gs = [...g.dataSync()].sort();
    assert.equal(gs, [0, 1]);
  });
});

jax('values broadcast to the indexed shape and take the array dtype', () => {
  tf.tidy(() => {
    const x = tf.zeros([2, 3], 'int32');
    const y = np.at(x, ':', 1).set(2.7) as tf.Tensor;
    assert.equal(y.dtype, 'int32');
    assert.equal([...y.dataSync()], [0, 2, 0, 0, 2, 0]);
    const rows = np.at(tf.zeros([2, 3]), 0).add(tf.tensor1d([1, 2, 3])) as tf.Tensor;
    allClose(rows.dataSync(), [1, 2, 3, 0, 0, 0]);
  });
});

jax('bool arrays: set, max and add keep the bool dtype (add is a logical or)', () => {
  tf.tidy(() => {
    const b = tf.tensor1d([false, false, true, true], 'bool');
    const set = np.at(b, [0, 3]).set(tf.tensor1d([1, 0])) as tf.Tensor;
    assert.equal([set.dtype, [...set.dataSync()]], ['bool', [1, 0, 1, 0]]);
    assert.equal([...(np.at(b, 1).max(1) as tf.Tensor).dataSync()], [0, 1, 1, 1]);
    assert.equal([...(np.at(b, [0, 0, 2]).add(1) as tf.Tensor).dataSync()], [1, 0, 1, 1]);
    assert.equal([...(jit((m: NdArray, i: NdArray) => np.at(m, i).set(0))(b, tf.tensor1d([2], 'int32')) as tf.Tensor).dataSync()], [0, 0, 0, 1]);
  });
});

jax('no tensors leak, eagerly or from a jitted update called again', () => {
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const j = tf.tensor1d([1], 'int32');
  const f = jit((a: NdArray, i: NdArray) => np.at(a, i).add(1));
  tf.dispose(f(x, j) as tf.Tensor);
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    np.index(x, '::-1', [1, 0]);
    np.at(x, [0, 0], 1).set(tf.tensor1d([5, 6]));
    np.at(x, [0, 0], 1).multiply(2);
  });
  tf.dispose(f(x, j) as tf.Tensor);
  assert.is(tf.memory().numTensors, before);
  tf.dispose([x, j]);
});

jax.run();

const dtypes = suite('np.index: strided slices keep int32 and bool');

dtypes('int32 and bool with steps (1-D, 2-D, negative steps), eagerly and under jit: values and dtype as NumPy', async () => {
  const ints = tf.tensor(Array.from({ length: 12 }, (_, i) => i * 3 - 7), [3, 4], 'int32');
  const flags = tf.tensor([true, false, false, true, true, true, false, false, true, false, true, false], [3, 4], 'bool');
  const flags6 = tf.tensor(Array.from({ length: 24 }, (_, i) => i % 3 === 0), [2, 1, 2, 3, 1, 2], 'bool');
  // NumPy: a = np.arange(12).reshape(3, 4) * 3 - 7; a[::2, 1::2], a.ravel()[::5], a[::-2, ::3]
  const flat = np.ravel(ints);
  const S = np.slice;
  const cases: [NdArray, ReturnType<typeof S>[], string, number[], number[]][] = [
    [ints, [S(null, null, 2), S(1, null, 2)], 'a[::2, 1::2]', [2, 2], [-4, 2, 20, 26]],
    [flat, [S(null, null, 5)], 'a.ravel()[::5]', [3], [-7, 8, 23]],
    [ints, [S(null, null, -2), S(null, null, 3)], 'a[::-2, ::3]', [2, 2], [17, 26, -7, 2]],
    [flags, [S(null, null, 2), S(1, null, 2)], 'flags[::2, 1::2]', [2, 2], [0, 1, 0, 0]],
    // No entries picked: tfjs wasm's gather from the empty unit-stride cut returned a rank-4 view.
    [flags6, [S(1), S(), S(null, null, 2), S(), S(1, null, 3)], 'flags6[1:, :, ::2, :, 1::3]', [1, 1, 1, 3, 0, 2], []],
  ];
  const before = tf.memory().numTensors;
  for (const [x, idx, what, shape, want] of cases) {
    const f = (v: NdArray) => np.index(v, ...idx);
    const jf = jit(f);
    // Eager intermediates are the caller's to free (README: wrap eager code in `scope`).
    for (const [how, y] of [['eager', tf.tidy(() => f(x) as tf.Tensor)], ['jit', jf(x)]] as const) {
      const t = y as tf.Tensor;
      assert.is(t.dtype, (x as tf.Tensor).dtype, `${how} ${what}: dtype`);
      assert.equal(t.shape, shape, `${how} ${what}: shape`);
      assert.equal(Array.from(await t.data()), want, `${how} ${what}: values`);
      t.dispose();
    }
    jf.clearCache();
  }
  assert.is(tf.memory().numTensors, before, 'no tensor leaks');
  tf.dispose([ints, flags, flags6, flat as tf.Tensor]);
});

dtypes.run();

const takes = suite('np.take, np.takeAlongAxis: jax.numpy semantics');

takes('no axis flattens (NumPy); out-of-bound indices read the fill (NaN, the most negative int32, true), negative ones wrap; eagerly and under jit', async () => {
  const x = tf.tensor([[1, 2], [3, 4]]);
  const xi = tf.tensor([[1, 2], [3, 4]], undefined, 'int32');
  const xb = tf.tensor([false, false], undefined, 'bool');
  const i = tf.tensor([3, -1, 4, -5], undefined, 'int32');
  const jt = jit((a: NdArray, b: NdArray) => np.take(a, b));
  const cases: [string, () => NdArray, number[]][] = [
    // jnp.take(x, [3, -1, 4, -5]) (mode 'fill'): [4, 4, nan, nan]
    ['float32', () => np.take(x, i), [4, 4, NaN, NaN]],
    ['float32 under jit', () => jt(x, i), [4, 4, NaN, NaN]],
    ['int32', () => np.take(xi, i), [4, 4, -(2 ** 31), -(2 ** 31)]],
    ['bool', () => np.take(xb, tf.tensor([0, 2], undefined, 'int32')), [0, 1]],
    // along axis 1: jnp.take(x, [1, 2], axis=1) -> [[2, nan], [4, nan]]
    ['axis 1', () => np.take(x, tf.tensor([1, 2], undefined, 'int32'), 1), [2, NaN, 4, NaN]],
    // jnp.take_along_axis(x, [[0, 2], [-1, 1]], axis=1) -> [[1, nan], [4, 4]]
    ['takeAlongAxis', () => np.takeAlongAxis(x, tf.tensor([[0, 2], [-1, 1]], undefined, 'int32'), 1), [1, NaN, 4, 4]],
  ];
  for (const [what, f, want] of cases) {
    const y = tf.tidy(() => f() as tf.Tensor);
    assert.equal(Array.from(await y.data()), want, what);
    y.dispose();
  }
  jt.clearCache();
  tf.dispose([x, xi, xb, i]);
});

takes.run();

const errors = suite('np.index / np.at: errors name what is wrong');

errors('bad indices', () => {
  tf.tidy(() => {
    const x = tf.zeros([2, 3]);
    // An integer out of bounds clamps (JAX; indexing-hunt.test.ts), except on an empty axis.
    assert.match(errorOf(() => np.index(tf.zeros([2, 0]), 0, 0)), /index 0 is out of bounds for axis 1 with size 0/);
    assert.match(errorOf(() => np.index(x, 0, 0, 0)), /too many indices for an array of shape \[2,3\]: 3 axes indexed/);
    assert.match(errorOf(() => np.index(x, '...', '...')), /at most one '\.\.\.'/);
    assert.match(errorOf(() => np.index(x, '1:x')), /index entry 0 is '1:x', not a slice/);
    assert.match(errorOf(() => np.index(x, 0.5)), /index entry 0 is 0\.5, not an integer/);
    assert.match(errorOf(() => np.index(x, '::0')), /step 0/);
    assert.match(errorOf(() => np.index(x, { begin: 1 } as unknown as np.Slice)), /index entry 0 is not an index/);
    assert.match(errorOf(() => np.index(x, tf.tensor1d([0.5]))), /index entry 0 is a float32 array; index arrays must be int32 or bool/);
    assert.match(errorOf(() => np.index(x, [0, 1], [0, 1, 2])), /index: shapes \[2\] and \[3\] cannot be broadcast together/);
    assert.match(errorOf(() => jit((m: NdArray) => np.index(x, m))(tf.tensor1d([true, false], 'bool'))), /boolean mask whose values are traced \(jit, vmap or grad\): its true count sets the result's shape/);
    assert.match(errorOf(() => np.at(x, 0).set(tf.zeros([2]))), /at\(\.\.\.\)\.set: values of shape \[2\] do not broadcast to the indexed shape \[3\]/);
  });
});

errors.run();
