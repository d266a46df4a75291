/**
 * jax.nn and jax.nn.initializers names against JAX HEAD (jax/_src/nn/functions.py,
 * initializers.py), session 15: the names that were missing (logmeanexp, log1mexp,
 * variance_scaling's 'fan_geo_avg') and JAX's semantics where tfjax differed
 * (initializers.uniform is U[0, scale); dot_product_attention zeroes the outputs of padded
 * queries whenever query_seq_lengths is given, as JAX 0.7.2+; orthogonal of an empty shape is
 * zeros). References are exact float64 values of JAX's formulas, computed here with Math.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as tree from '../../lib/tree/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

await useTestBackend();

/** Each actual within rtol of its expected (infinities and NaN must match exactly). */
function close(actual: readonly number[], expected: readonly number[], rtol: number, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (!Number.isFinite(e)) assert.ok(Object.is(a, e) || (Number.isNaN(a) && Number.isNaN(e)), `${what}[${i}]: ${a} vs ${e}`);
    else assert.ok(Math.abs(a - e) <= rtol * Math.abs(e) + 1e-30, `${what}[${i}]: ${a} vs ${e}`);
  });
}

const F = suite('jax.nn: logmeanexp, log1mexp, dot_product_attention query lengths');

F('log1mexp: log(1 - exp(-x)) accurate near 0 and for large x; -inf at 0, NaN below', () => {
  const xs = [0, 1e-8, 1e-3, 0.3, Math.LN2, 1, 5, 20, 40, -1];
  const ref = xs.map((x) => (x < 0 ? NaN : x < Math.LN2 ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x))));
  // float32 inputs: the reference is taken at the float32 value of x.
  const ref32 = xs.map((x) => Math.fround(x)).map((x) => (x < 0 ? NaN : x < Math.LN2 ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x))));
  close(read(nn.log1mexp(np.array(xs))), ref32, 2e-6, 'log1mexp');
  assert.ok(ref[7]! < 0 && ref[7]! > -3e-9, 'the reference keeps the tiny value at 20');
});

F("log1mexp: JAX's derivative 1 / expm1(x), inf at 0", () => {
  const xs = [0, 1e-3, 0.5, Math.LN2, 2, 10];
  const g = read(grad((x: NdArray) => np.sum(nn.log1mexp(x)))(np.array(xs)));
  close(g, xs.map((x) => 1 / Math.expm1(Math.fround(x))), 2e-6, 'grad log1mexp');
});

F('logmeanexp: logsumexp - log n over axis (default all), keepdims, where; stable for large x', () => {
  const v = [1, 2, 3, 4, 5, 1000];
  const x = np.reshape(np.array(v), [2, 3]);
  const lme = (xs: readonly number[]) => {
    const m = Math.max(...xs);
    return m + Math.log(xs.reduce((s, a) => s + Math.exp(a - m), 0) / xs.length);
  };
  close(read(nn.logmeanexp(x)), [lme(v)], 1e-6, 'all axes');
  assert.equal(nn.logmeanexp(x).shape, []);
  close(read(nn.logmeanexp(x, 1)), [lme([1, 2, 3]), lme([4, 5, 1000])], 1e-6, 'axis 1');
  close(read(nn.logmeanexp(x, 0)), [lme([1, 4]), lme([2, 5]), lme([3, 1000])], 1e-6, 'axis 0');
  assert.equal(nn.logmeanexp(x, 1, { keepdims: true }).shape, [2, 1]);
  // where: n counts only the entries kept (JAX's _count with where).
  const where = np.array([true, false, true]);
  close(read(nn.logmeanexp(x, 1, { where })), [lme([1, 3]), lme([4, 1000])], 1e-6, 'where');
  // No entry at all: -inf - log 0, NaN (as JAX).
  assert.ok(Number.isNaN(read(nn.logmeanexp(x, 1, { where: np.array([false, false, false]) }))[0]!), 'empty where is NaN');
});

F('dotProductAttention: querySeqLengths alone zeroes the padded queries (JAX 0.7.2+)', () => {
  const [b, t, s, n, h] = [2, 4, 3, 2, 3];
  const [q, k, v] = [0, 1, 2].map((i) => random.normal(random.foldIn(random.key(3), i), i === 0 ? [b, t, n, h] : [b, s, n, h]));
  const qLen = tf.tensor([1, 3], [2], 'int32');
  const out = read(nn.dotProductAttention(q!, k!, v!, { querySeqLengths: qLen }));
  // The same with every key valid (explicit full lengths), which zeroes them in every JAX version.
  const full = read(nn.dotProductAttention(q!, k!, v!, { querySeqLengths: qLen, keyValueSeqLengths: tf.tensor([s, s], [2], 'int32') }));
  close(out, full, 1e-6, 'q lengths alone = with full kv lengths');
  const row = n * h;
  for (let bi = 0; bi < b; bi++)
    for (let ti = 0; ti < t; ti++) {
      const vals = out.slice((bi * t + ti) * row, (bi * t + ti + 1) * row);
      const padded = ti >= [1, 3][bi]!;
      assert.is(vals.every((x) => x === 0), padded, `batch ${bi} query ${ti}: ${padded ? 'zero' : 'not zero'}`);
    }
});

F.run();

const I = suite('jax.nn.initializers: uniform, variance_scaling fan_geo_avg, orthogonal');
const KEY = random.key(7);

I('uniform(scale = 1e-2) is U[0, scale): random.uniform(key) * scale, as JAX', () => {
  const u = read(nn.init.uniform()(KEY, [200]));
  const base = read(random.uniform(KEY, [200]));
  assert.equal(u, base.map((x) => Math.fround(x * Math.fround(1e-2))), 'default scale 1e-2, bitwise');
  assert.ok(u.every((x) => x >= 0 && x < 1e-2), 'in [0, 0.01)');
  const u10 = read(nn.init.uniform(10)(KEY, [3, 4]));
  assert.equal(u10, read(random.uniform(KEY, [3, 4])).map((x) => Math.fround(x * 10)), 'scale 10');
  assert.ok(u10.every((x) => x >= 0 && x < 10));
});

I('uniformRange(a, b) is U[a, b) (PyTorch uniform_), the recurrent cells\' default bound', () => {
  assert.equal(read(nn.init.uniformRange(-0.5, 0.5)(KEY, [50])), read(random.uniform(KEY, [50], { minval: -0.5, maxval: 0.5 })));
  const cell = nn.gruCell({ in: 3, hidden: 16 });
  const ws = tree.leaves<NdArray>(cell.init(KEY).params).flatMap((w) => read(w));
  assert.ok(ws.every((w) => Math.abs(w) <= 0.25) && ws.some((w) => w < -0.05), 'U(-1/sqrt(16), 1/sqrt(16))');
});

I("variance_scaling 'fan_geo_avg': variance scale / sqrt(fan_in fan_out), JAX's float32 arithmetic", () => {
  const shape = [3, 3, 4, 8]; // fan_in 36, fan_out 72
  const f32 = Math.fround;
  const variance = f32(2 / Math.sqrt(36 * 72));
  const got = read(nn.init.varianceScaling(2, 'fan_geo_avg', 'normal')(KEY, shape));
  assert.equal(got, read(random.normal(KEY, shape)).map((x) => f32(x * f32(Math.sqrt(variance)))), 'normal, bitwise');
  const tn = read(nn.init.varianceScaling(1, 'fan_geo_avg', 'truncated_normal')(KEY, shape));
  const v1 = f32(1 / Math.sqrt(36 * 72));
  assert.equal(tn, read(random.truncatedNormal(KEY, shape, -2, 2)).map((x) => f32(x * f32(f32(Math.sqrt(v1)) / f32(0.87962566103423978)))), 'truncated normal');
  assert.throws(() => nn.init.varianceScaling(1, 'fan_geo' as 'fan_avg', 'normal'), /mode must be 'fan_in', 'fan_out', 'fan_avg' or 'fan_geo_avg', got "fan_geo"/);
  assert.throws(() => nn.init.varianceScaling(1, 'toString' as 'fan_avg', 'normal'), /mode must be/);
});

I('orthogonal: random.orthogonal(key, rows, (), cols) reshaped, as JAX; an empty shape gives zeros', () => {
  assert.equal(read(nn.init.orthogonal()(KEY, [5, 3])), read(random.orthogonal(KEY, 5, [], 3)));
  assert.equal(read(nn.init.orthogonal(2)(KEY, [2, 6])), read(random.orthogonal(KEY, 2, [], 6)).map((x) => Math.fround(2 * x)));
  const e = nn.init.orthogonal()(KEY, [0, 3]);
  assert.equal([e.shape, e.dtype], [[0, 3], 'float32']);
  const e2 = nn.init.orthogonal()(KEY, [2, 0, 4]);
  assert.equal(e2.shape, [2, 0, 4]);
});

I("a dtype third, as jax.nn.initializers' init(key, shape, dtype): honoured by the constants, float32 checked by the random ones", async () => {
  const key = random.key(0);
  for (const init of [nn.init.kaimingUniform(), nn.init.varianceScaling(2, 'fan_in', 'truncated_normal'), nn.init.xavierNormal(), nn.init.orthogonal()]) {
    const [plain, typed] = [init(key, [4, 3]), init(key, [4, 3], 'float32')];
    assert.equal(Array.from(await typed.data()), Array.from(await plain.data()));
    assert.ok((await typed.data()).every(Number.isFinite));
    assert.throws(() => init(key, [4, 3], 'int32'), /draws float32 values, got dtype 'int32'/);
    tf.dispose([plain, typed] as tf.Tensor[]);
  }
  const z = nn.init.constant(3)(key, [2], 'int32');
  assert.is(z.dtype, 'int32');
  assert.equal(Array.from(await z.data()), [3, 3]);
  assert.is(nn.init.zeros(key, [2], 'bool').dtype, 'bool');
});

I.run();
