/**
 * JAX-style calls that used to fall into traps: `nn.relu(x)` (and gelu, silu, tanh, identity)
 * returned a layer object instead of jax.nn.relu(x)'s array; `np.softmax` / `np.logSoftmax` of
 * a slice with a +inf entry gave [NaN, 0] / [NaN, -inf] where jax.nn.softmax gives NaN for the
 * whole slice (exp(x - max) with max = inf: inf - inf is NaN, so the sum is NaN).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

await useTestBackend();

const X = [-2, -1, 0, 0.5, 2];
const x = () => tf.tensor(X);
/** jax.nn.gelu(x) (approximate=True, the tanh form) and the exact erf form, float64 NumPy. */
const GELU_TANH = [-0.04540230591222494, -0.1588080093917233, 0, 0.34571400982514394, 1.954597694087775];
const GELU_ERF = [-0.04550026389635842, -0.15865525393145707, 0, 0.34573123063700656, 1.9544997361036416];
const SILU = [-0.2384058440442351, -0.2689414213699951, 0, 0.3112296656009273, 1.7615941559557646];
const TOL = { rtol: 1e-5, atol: 1e-6 };

const A = suite('nn: activations are functions on arrays and layer factories otherwise');

A('nn.relu / silu / tanh / identity / gelu of an array are arrays, as jax.nn', () => {
  const outs: [string, NdArray, number[]][] = [
    ['relu', nn.relu(x()), X.map((v) => Math.max(v, 0))],
    ['silu', nn.silu(x()), SILU],
    ['tanh', nn.tanh(x()), X.map(Math.tanh)],
    ['identity', nn.identity(x()), X],
    ['gelu', nn.gelu(x()), GELU_TANH],
  ];
  for (const [name, y, ref] of outs) {
    assert.ok(y instanceof tf.Tensor, `nn.${name}(x) is an array`);
    assert.equal(y.shape, [5], `nn.${name}(x): shape`);
    allClose(read(y), ref, TOL, `nn.${name}(x)`);
  }
});

A('nn.gelu(x) is the tanh form by default (jax.nn.gelu), exact with approximate: false', () => {
  allClose(read(nn.gelu(x(), { approximate: false })), GELU_ERF, TOL);
  allClose(read(nn.gelu(x(), { approximate: true })), GELU_TANH, TOL);
});

A('the function form works on tracers (jit)', () => {
  allClose(read(jit((a: NdArray) => nn.relu(a))(x())), X.map((v) => Math.max(v, 0)), TOL);
  allClose(read(jit((a: NdArray) => nn.gelu(a))(x())), GELU_TANH, TOL);
});

A('with no argument or a config they are layers, as before (the gelu layer exact by default)', () => {
  const ap = (layer: nn.Layer) => read(layer.apply({}, {}, x())[0]);
  assert.is(nn.relu().kind, 'relu');
  assert.equal(nn.relu().init(tf.tensor([0, 0], [2], 'int32')), { params: {}, state: {} });
  allClose(ap(nn.relu()), X.map((v) => Math.max(v, 0)), TOL);
  allClose(ap(nn.gelu()), GELU_ERF, TOL);
  allClose(ap(nn.gelu({ approximate: true })), GELU_TANH, TOL);
  allClose(ap(nn.silu()), SILU, TOL);
  allClose(ap(nn.tanh()), X.map(Math.tanh), TOL);
  allClose(ap(nn.identity()), X, TOL);
  const model = nn.sequential([nn.linear({ in: 5, out: 3 }), nn.relu()]);
  assert.is(model.kind, 'sequential');
});

A('a JS array or a number is an error naming the activation, not a silent layer', () => {
  const bad = nn.relu as unknown as (v: unknown) => unknown;
  assert.throws(() => bad([1, 2]), /nn\.relu: expected an array/);
  assert.throws(() => bad(3), /nn\.relu: expected an array/);
});

A.run();

const S = suite('np.softmax / np.logSoftmax: JAX semantics at infinities, one implementation with nn');

S('a +inf entry makes its whole slice NaN (as jax.nn.softmax), other slices exact', () => {
  const v = tf.tensor([[Infinity, 1], [1, 2]]);
  for (const [name, y] of [
    ['np.softmax', np.softmax(v)],
    ['np.logSoftmax', np.logSoftmax(v)],
    ['nn.softmax', nn.softmax(v)],
    ['nn.logSoftmax', nn.logSoftmax(v)],
  ] as const) {
    const r = read(y);
    assert.ok(r.slice(0, 2).every(Number.isNaN), `${name}: [inf, 1] -> all NaN, got [${r.slice(0, 2)}]`);
    assert.ok(r.slice(2).every(Number.isFinite), `${name}: [1, 2] stays finite`);
  }
  allClose(read(np.softmax(v)).slice(2), [0.2689414213699951, 0.7310585786300049], TOL);
  allClose(read(np.logSoftmax(v)).slice(2), [-1.3132616875182226, -0.3132616875182226], TOL);
  assert.ok(read(np.softmax(tf.tensor([1, Infinity]), 0)).every(Number.isNaN), 'np.softmax along axis 0');
});

S('an all -inf slice is NaN (JAX: -inf - -inf); one -inf entry is 0 / -inf', () => {
  for (const f of [np.softmax, np.logSoftmax, nn.softmax, nn.logSoftmax]) assert.ok(read(f(tf.tensor([-Infinity, -Infinity]))).every(Number.isNaN));
  assert.equal(Array.from(read(np.softmax(tf.tensor([-Infinity, 0])))), [0, 1]);
  assert.equal(Array.from(read(np.logSoftmax(tf.tensor([-Infinity, 0])))), [-Infinity, 0]);
});

S('np.softmax is nn.softmax (one implementation): where, several axes and null', () => {
  const v = tf.tensor([[1, 2, 3], [4, 5, 7]]);
  const w = tf.tensor([[true, false, true], [false, false, false]], [2, 3], 'bool');
  assert.is(nn.softmax, np.softmax);
  // Row 0 is softmax([1, 3]) on the included entries; row 1 has none included: all 0.
  allClose(read(np.softmax(v, -1, { where: w })), [0.11920292202211755, 0, 0.8807970779778823, 0, 0, 0], TOL);
  assert.equal(Array.from(read(np.logSoftmax(v, -1, { where: w }))).slice(3), [-Infinity, -Infinity, -Infinity]);
  allClose(read(np.softmax(v, null)), read(np.softmax(tf.tensor([1, 2, 3, 4, 5, 7]))), TOL);
  allClose(read(np.logSoftmax(v, [0, 1])), read(np.logSoftmax(tf.tensor([1, 2, 3, 4, 5, 7]))), TOL);
});

S.run();
