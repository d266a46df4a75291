/**
 * np.bincount, digitize, histogram, nonzero, flatnonzero, argwhere and unravelIndex against
 * NumPy (test/fixtures/numpy_counting.json, from tools/numpy-fixtures-counting.py), eagerly and
 * under jit with the static sizes jax.numpy asks for; then JAX's padding (size, fillValue),
 * out-of-range handling, and the errors.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';

await useTestBackend();

interface Arr {
  shape: number[];
  data: number[];
  dtype: 'float32' | 'int32' | 'bool';
}
type Value = Arr | number | boolean | number[];
interface Case {
  fn: string;
  args: Value[];
  kwargs: Record<string, Value>;
  out: Arr[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/numpy_counting.json', import.meta.url), 'utf8')) as { cases: Case[] };

const isArr = (v: Value): v is Arr => typeof v === 'object' && !Array.isArray(v);
const decode = (v: Value) => (isArr(v) ? tf.tensor(v.data, v.shape, v.dtype) : v);
const asList = (r: NdArray | NdArray[]) => (Array.isArray(r) ? r : [r]);

/** The tfjax call for a case; `traced` adds the static sizes jit needs (from NumPy's output). */
function call(c: Case, traced: boolean): (...xs: NdArray[]) => NdArray | NdArray[] {
  const kw = Object.fromEntries(Object.entries(c.kwargs).map(([k, v]) => [k, decode(v)])) as Record<string, never>;
  const outLen = c.out[0].shape[0];
  switch (c.fn) {
    case 'bincount':
      return (x) => np.bincount(x, { ...kw, ...(traced ? { length: outLen } : {}) });
    case 'digitize':
      return (x, bins) => np.digitize(x, bins, c.kwargs.right === true);
    case 'histogram':
      return (x) => np.histogram(x, kw);
    case 'nonzero':
      return (x) => np.nonzero(x, traced ? { size: outLen } : {});
    case 'flatnonzero':
      return (x) => np.flatnonzero(x, traced ? { size: outLen } : {});
    case 'argwhere':
      return (x) => np.argwhere(x, traced ? { size: outLen } : {});
    case 'unravelIndex':
      return (i) => np.unravelIndex(i, c.args[1] as number[]);
    default:
      throw new Error(`no call for ${c.fn}`);
  }
}

function check(actual: NdArray[], c: Case, what: string): void {
  assert.is(actual.length, c.out.length, `${what}: number of outputs`);
  actual.forEach((a, k) => {
    const t = a as tf.Tensor;
    assert.equal([...t.shape], c.out[k].shape, `${what}: output ${k} shape`);
    assert.is(t.dtype, c.out[k].dtype, `${what}: output ${k} dtype`);
    allClose(t.dataSync(), c.out[k].data, { rtol: 1e-5, atol: 1e-6 }, `${what}: output ${k}`);
  });
}

const Numpy = suite('np counting and nonzero: NumPy');
fixture.cases.forEach((c, n) => {
  const label = `${c.fn} #${n} ${JSON.stringify(c.kwargs, (_key, v) => (v && typeof v === 'object' && 'data' in v ? `[${v.shape}]` : v))}`;
  Numpy(label, () => {
    tf.tidy(() => {
      const arrays = c.args.filter(isArr).map(decode) as tf.Tensor[];
      check(asList(call(c, false)(...arrays)), c, 'eager');
      check(asList(jit(call(c, true))(...arrays)), c, 'jit');
    });
  });
});
Numpy.run();

const Jax = suite('np counting and nonzero: jax.numpy semantics');

Jax('nonzero pads with fillValue past the count, and truncates to size', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[0, 5], [7, 0]]);
    const [r, c] = np.nonzero(x, { size: 4, fillValue: -1 }) as tf.Tensor[];
    assert.equal([[...r.dataSync()], [...c.dataSync()]], [[0, 1, -1, -1], [1, 0, -1, -1]]);
    assert.equal([...(np.flatnonzero(x, { size: 1 }) as tf.Tensor).dataSync()], [1]);
    assert.equal([...(jit((a: NdArray) => np.argwhere(a, { size: 3 }))(x) as tf.Tensor).dataSync()], [0, 1, 1, 0, 0, 0]);
  });
});

Jax('no nonzero entries, or size 0: empty results (NumPy and JAX), eagerly and under jit; an update of an empty array is a no-op', () => {
  tf.tidy(() => {
    const zeros = tf.zeros([2, 3]);
    const coords = np.nonzero(zeros);
    assert.equal(coords.map((c) => (c as tf.Tensor).shape), [[0], [0]]);
    assert.equal(coords.map((c) => (c as tf.Tensor).dtype), ['int32', 'int32']);
    assert.equal((np.argwhere(zeros) as tf.Tensor).shape, [0, 2]);
    assert.equal((np.flatnonzero(zeros) as tf.Tensor).shape, [0]);
    const some = tf.tensor([0, 3, 0, 4]);
    assert.equal(np.nonzero(some, { size: 0 }).map((c) => (c as tf.Tensor).shape), [[0]]);
    assert.equal((jit((x: NdArray) => np.flatnonzero(x, { size: 0 }))(some) as tf.Tensor).shape, [0]);
    // An array with no entries ([0, 3], [0]): empty coordinates; with a size, only padding (it threw in unravelIndex).
    for (const shape of [[0, 3], [0]]) {
      const none = tf.zeros(shape, 'int32');
      assert.equal(np.nonzero(none).map((c) => (c as tf.Tensor).shape), shape.map(() => [0]), `nonzero of [${shape}]`);
      assert.equal((np.argwhere(none) as tf.Tensor).shape, [0, shape.length], `argwhere of [${shape}]`);
      assert.equal((np.flatnonzero(none) as tf.Tensor).shape, [0]);
      const padded = jit((x: NdArray) => np.nonzero(x, { size: 2, fillValue: -1 }))(none) as tf.Tensor[];
      assert.equal(padded.map((c) => [...c.dataSync()]), shape.map(() => [-1, -1]), `padded nonzero of [${shape}]`);
    }
    // jnp.zeros(0).at[jnp.array([0, 2])].set(1.0): every index out of bounds, dropped.
    const empty = np.at(tf.zeros([0]), tf.tensor([0, 2], undefined, 'int32')).set(1) as tf.Tensor;
    assert.equal(empty.shape, [0]);
    // A read that clamps cannot take entries of an empty axis.
    assert.match(errorOf(() => np.index(tf.zeros([0]), tf.tensor([0], undefined, 'int32'))), /index: cannot take entries of an empty axis \(shape \[0\]\)/);
  });
});

Jax('bincount clips negative values to 0 and drops those past length; histogram ignores values outside the range', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([-2, 0, 1, 5, 9], 'int32');
    assert.equal([...(np.bincount(x, { length: 6 }) as tf.Tensor).dataSync()], [2, 1, 0, 0, 0, 1]);
    const [h] = np.histogram(tf.tensor1d([-5, 0, 0.5, 1, 7]), { bins: 2, range: [0, 1] }) as tf.Tensor[];
    assert.equal([...h.dataSync()], [1, 2]);
  });
});

Jax('unravelIndex clamps out-of-range indices and wraps negative ones, as JAX', () => {
  tf.tidy(() => {
    const [r, c] = np.unravelIndex(tf.tensor1d([-1, 6, -9], 'int32'), [2, 3]) as tf.Tensor[];
    assert.equal([[...r.dataSync()], [...c.dataSync()]], [[1, 1, 0], [2, 2, 0]]);
  });
});

Jax('bincount and histogram are differentiable in their weights', () => {
  tf.tidy(() => {
    const labels = tf.tensor1d([0, 2, 2], 'int32');
    const g = grad((w: NdArray) => np.sum(np.mul(np.bincount(labels, { weights: w, length: 3 }), tf.tensor1d([1, 10, 100]))))(tf.tensor1d([1, 1, 1])) as tf.Tensor;
    assert.equal([...g.dataSync()], [1, 100, 100]);
    const hg = grad((w: NdArray) => np.sum(np.histogram(tf.tensor1d([0.1, 0.9]), { bins: 2, range: [0, 1], weights: w })[0]))(tf.tensor1d([3, 4])) as tf.Tensor;
    assert.equal([...hg.dataSync()], [1, 1]);
  });
});

Jax('errors: sizes under jit, dtypes and shapes', () => {
  tf.tidy(() => {
    assert.match(errorOf(() => jit((x: NdArray) => np.bincount(x))(tf.tensor1d([1], 'int32'))), /bincount: pass length: .* traced/);
    assert.match(errorOf(() => jit((x: NdArray) => np.nonzero(x))(tf.tensor1d([1]))), /nonzero: pass size: .* traced/);
    assert.match(errorOf(() => np.bincount(tf.tensor1d([1.5]))), /bincount: x must be a 1-D int32 array, got float32 \[1\]/);
    assert.match(errorOf(() => np.histogram(tf.tensor1d([1]), { bins: 0 })), /histogram: bins must be a positive integer, got 0/);
    assert.match(errorOf(() => np.histogram(tf.tensor1d([1]), { range: [2, 1] })), /histogram: range \[2, 1\] must be finite with lo <= hi/);
    assert.match(errorOf(() => np.nonzero(tf.scalar(1))), /nonzero: x must have at least one axis/);
  });
});

Jax.run();
