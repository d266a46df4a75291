/**
 * jax.nn parity (lib/nn/jax-nn.ts, lib/nn/functional.ts, lib/nn/init.ts): softmax / logSoftmax
 * with `where`, logsumexp with `b`, `returnSign`, `where` and JAX's axis=None default,
 * oneHot's `dtype` / `axis` and out-of-range rows, standardize with `where` and a given mean,
 * dotProductAttention's sequence lengths and local window, and the initializers
 * (orthogonal's columnAxis, deltaOrthogonal, batchAxis, truncatedNormal), against float64
 * NumPy references from JAX's formulas (test/fixtures/jax_nn.json, tools/jax_nn_fixtures.py).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

await useTestBackend();

interface Enc {
  shape: number[];
  data: (number | string | boolean)[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/jax_nn.json', import.meta.url), 'utf8')) as Record<string, Enc>;
const t = (name: string) => tf.tensor(fx[name].data.map(Number), fx[name].shape);
const mask = (name: string) => tf.tensor(fx[name].data as boolean[], fx[name].shape, 'bool');
const expected = (name: string) => fx[name].data.map(Number);
const check = (got: NdArray, name: string, tol = 1e-5) => {
  assert.equal(got.shape, fx[name].shape, `${name}: shape`);
  allClose(read(got), expected(name), { rtol: tol, atol: tol }, name);
};
const FANS = { fanIn: 1, fanOut: 1 };

const S = suite('nn: jax.nn parity');

S('softmax / logSoftmax with where: excluded entries 0 / -inf, an empty row all 0 / -inf', () => {
  const x = t('x');
  const w = mask('where');
  check(nn.softmax(x, -1, { where: w }), 'softmax_where');
  check(nn.softmax(x, 0, { where: w }), 'softmax_where_axis0');
  check(nn.logSoftmax(x, -1, { where: w }), 'log_softmax_where');
  check(jit((a: NdArray) => nn.softmax(a, -1, { where: w }))(x), 'softmax_where');
  // JAX's custom JVP: y (dx - sum(y dx)) over the included entries; 0 on excluded ones and on the empty row.
  const c = tf.tensor([1, 2, 3, 4]);
  const g = read(grad((a: NdArray) => np.sum(np.mul(nn.softmax(a, -1, { where: w }), c)))(x));
  const y = expected('softmax_where');
  const ref = y.map((yi, i) => {
    const row = Math.floor(i / 4);
    const dot = [0, 1, 2, 3].reduce((s, j) => s + y[row * 4 + j] * (j + 1), 0);
    return yi * ((i % 4) + 1 - dot);
  });
  allClose(g, ref, { rtol: 1e-5, atol: 1e-6 }, 'softmax where grad');
});

S('softmax / logSoftmax: a +inf entry makes its slice NaN, as JAX', () => {
  assert.ok(read(nn.softmax(tf.tensor([Infinity, 1]))).every(Number.isNaN));
  assert.ok(read(nn.logSoftmax(tf.tensor([Infinity, 1]))).every(Number.isNaN));
  allClose(read(nn.softmax(tf.tensor([[1, 2], [3, 4]]), null)), read(np.softmax(tf.tensor([1, 2, 3, 4]))));
});

S('logsumexp: axis null by default, b, returnSign, where', () => {
  const x = t('x');
  check(nn.logsumexp(x), 'lse_all');
  check(nn.logsumexp(x, 0), 'lse_axis0');
  check(nn.logsumexp(x, -1, { b: t('b') }), 'lse_b');
  const [out, sign] = nn.logsumexp(x, -1, { b: t('b'), returnSign: true });
  check(out, 'lse_b_abs');
  check(sign, 'lse_b_sign');
  check(nn.logsumexp(x, 1, { where: mask('where') }), 'lse_where');
  assert.equal(nn.logsumexp(x, 1, { keepdims: true }).shape, [3, 1]);
  // b = 0 drops an entry even where x is +inf.
  allClose(read(nn.logsumexp(tf.tensor([Infinity, 1]), -1, { b: tf.tensor([0, 1]) })), [1]);
});

S('logsumexp: an all -inf row is -inf with zero derivatives; +inf stays +inf', () => {
  const x = tf.tensor([[-Infinity, -Infinity], [0, 1]]);
  const out = read(nn.logsumexp(x, -1));
  assert.is(out[0], -Infinity);
  const g = read(grad((a: NdArray) => np.sum(nn.logsumexp(a, -1)))(x));
  allClose(g, [0, 0, 1 / (1 + Math.E), Math.E / (1 + Math.E)], { atol: 1e-6 });
  assert.is(read(nn.logsumexp(tf.tensor([Infinity, 1])))[0], Infinity);
});

S('oneHot: dtype, axis, out-of-range and negative indices give zero rows, float labels', () => {
  const labels = tf.tensor([-1, 3, 1, 0], [4], 'int32');
  const h = nn.oneHot(labels, 3);
  assert.equal(h.shape, [4, 3]);
  assert.equal(read(h), [0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
  const h0 = nn.oneHot(labels, 3, { axis: 0, dtype: 'int32' });
  assert.is(h0.dtype, 'int32');
  assert.equal(h0.shape, [3, 4]);
  assert.equal(read(h0), [0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0]);
  assert.equal(nn.oneHot(tf.tensor([[0, 1]], [1, 2], 'int32'), 3, { axis: 1 }).shape, [1, 3, 2]);
  assert.equal(read(nn.oneHot(tf.tensor([0, 2, 1.5]), 3)), [1, 0, 0, 0, 0, 1, 0, 0, 0]);
  assert.throws(() => nn.oneHot(labels, 3, { axis: 2 }), /axis/);
});

S('standardize: where picks the statistics; a given mean alone uses mean(x^2) - mean^2', () => {
  const x = t('x');
  check(nn.standardize(x, { where: mask('where') }), 'standardize_where', 1e-4);
  check(nn.standardize(x, { mean: tf.scalar(0.5) }), 'standardize_mean', 1e-4);
});

S('dotProductAttention: sequence lengths, local windows, grouped-query heads', () => {
  const [q, k, v] = [t('q'), t('k'), t('v')];
  const qLen = tf.tensor([2, 3], [2], 'int32');
  const kvLen = tf.tensor([4, 2], [2], 'int32');
  check(nn.dotProductAttention(q, k, v, { querySeqLengths: qLen, keyValueSeqLengths: kvLen }), 'attention_lengths', 1e-4);
  check(nn.dotProductAttention(q, k, v, { keyValueSeqLengths: kvLen, isCausal: true }), 'attention_kv_length_causal', 1e-4);
  check(nn.dotProductAttention(q, k, v, { querySeqLengths: qLen }), 'attention_q_length_only', 1e-4);
  check(nn.dotProductAttention(q, k, v, { mask: mask('amask'), localWindowSize: [1, 0] }), 'attention_window_mask', 1e-4);
  check(nn.dotProductAttention(q, k, v, { localWindowSize: 1 }), 'attention_window_sym', 1e-4);
  assert.throws(() => nn.dotProductAttention(q, k, v, { mask: tf.ones([1, 1, 3, 5]) }), /mask must be boolean/);
  assert.throws(() => nn.dotProductAttention(q, k, v, { keyValueSeqLengths: tf.tensor([4, 2]) }), /keyValueSeqLengths must be int32 \[2\]/);
});

S('initializers: orthogonal columnAxis, deltaOrthogonal, batchAxis fans, truncatedNormal', () => {
  const o = nn.init.orthogonal(2, 0)(random.key(0), [3, 5], FANS);
  // The 3 vectors along axis 0 are orthogonal with norm 2: W W^T = 4 I.
  allClose(read(np.matmul(o, np.transpose(o))), [4, 0, 0, 0, 4, 0, 0, 0, 4], { atol: 1e-5 });
  const o3 = nn.init.orthogonal(1, 1)(random.key(1), [2, 3, 4], FANS);
  const flat = np.reshape(np.moveaxis(o3, 1, -1), [8, 3]);
  allClose(read(np.matmul(np.transpose(flat), flat)), [1, 0, 0, 0, 1, 0, 0, 0, 1], { atol: 1e-5 });

  const d = nn.init.deltaOrthogonal()(random.key(2), [3, 4, 2, 3], FANS);
  assert.equal(d.shape, [3, 4, 2, 3]);
  const dv = read(d);
  const centre = (1 * 4 + 1) * 6; // kernel position ((3 - 1) // 2, (4 - 1) // 2)
  assert.ok(dv.every((val, i) => (i >= centre && i < centre + 6) || val === 0), 'zero away from the centre');
  const c = np.reshape(tf.tensor(dv.slice(centre, centre + 6)), [2, 3]);
  allClose(read(np.matmul(c, np.transpose(c))), [1, 0, 0, 1], { atol: 1e-5 });
  assert.throws(() => nn.init.deltaOrthogonal()(random.key(2), [3, 3], FANS), /3-D, 4-D or 5-D/);
  assert.throws(() => nn.init.deltaOrthogonal()(random.key(2), [3, 3, 4, 2], FANS), /fan_in must be less or equal/);

  assert.equal(nn.init.computeFans([2, 3, 4, 5], { batchAxis: [0], inAxis: 1 }), { fanIn: 12, fanOut: 20 });
  assert.equal(nn.init.computeFans([2, 3, 4, 5], { inAxis: [0, 1], outAxis: -1 }), { fanIn: 24, fanOut: 20 });
  // He uniform with a batch axis: bound sqrt(6 / fan_in), fan_in = 3 * 4 = 12 (the batch axis of 50 not counted).
  const he = read(nn.init.heUniform({ batchAxis: [0] })(random.key(3), [50, 3, 4, 5], FANS));
  const bound = Math.sqrt(6 / 12);
  assert.ok(he.every((val) => Math.abs(val) <= bound) && Math.max(...he.map(Math.abs)) > 0.9 * bound, 'he_uniform bound');

  const tn = read(nn.init.truncatedNormal(0.5, { lower: -1, upper: 1 })(random.key(4), [2000], FANS));
  assert.ok(tn.every((val) => Math.abs(val) <= 0.5 + 1e-6), 'truncated to [-0.5, 0.5]');
  assert.ok(Math.max(...tn) > 0.45, 'reaches the bound');
  const sd = read(nn.init.normal()(random.key(5), [4000], FANS));
  const std = Math.sqrt(sd.reduce((s, val) => s + val * val, 0) / sd.length);
  assert.ok(Math.abs(std - 0.01) < 0.001, `normal() std ${std}`);
});

S('swish is silu', () => {
  const x = tf.tensor([-2, 0, 3]);
  allClose(read(nn.swish(x)), read(np.silu(x)));
});

S.run();
