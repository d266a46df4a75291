/**
 * jax.nn against JAX's definitions (jax/_src/nn/functions.py, initializers.py), session 14:
 * every activation's values and derivatives under grad, vmap and jit, with JAX's rules at
 * the kinks (relu' = 0 at 0, relu6' = 0 at 0 and 6, ties of max / min split 0.5 / 0.5);
 * log_sigmoid = -softplus(-x) (derivative 1/2 at 0); 
 * softmax / log_softmax / logsumexp / standardize over axis tuples with `where`;
 * dot_product_attention with a bias, masks, grouped heads, fully masked rows and no batch;
 * and the initializers: JAX's float32 formulas on random's stream (bitwise), fans and
 * standard deviations, orthogonal's QR convention, delta_orthogonal's centre, the
 * `(key, shape)` call without fans. References: test/fixtures/jax_nn_session14.json from
 * tools/jax_nn_session14.py (float64 NumPy transcriptions of JAX's formulas).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

await useTestBackend();

interface Enc {
  shape: number[];
  data: (number | string | boolean)[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/jax_nn_session14.json', import.meta.url), 'utf8')) as Record<string, Enc>;
const t = (name: string) => tf.tensor(fx[name].data.map(Number), fx[name].shape);
const boolMask = (name: string) => tf.tensor(fx[name].data as boolean[], fx[name].shape, 'bool');
const expected = (name: string) => fx[name].data.map(Number);
const check = (got: NdArray, name: string, tol = 1e-5) => {
  assert.equal(got.shape, fx[name].shape, `${name}: shape`);
  allClose(read(got), expected(name), { rtol: tol, atol: tol }, name);
};
const f32 = Math.fround;
const bitwise = (got: NdArray, want: NdArray, what: string) => {
  const [a, b] = [read(got), read(want)];
  assert.equal(got.shape, want.shape, `${what}: shape`);
  const differing = a.filter((v, i) => v !== b[i]).length;
  assert.is(differing, 0, `${what}: ${differing} of ${a.length} entries differ from JAX's formula`);
};

const ACTIVATIONS: Record<string, (x: NdArray) => NdArray> = {
  relu: (x) => nn.relu(x),
  relu6: nn.relu6,
  sigmoid: nn.sigmoid,
  log_sigmoid: nn.logSigmoid,
  softplus: (x) => nn.softplus(x),
  soft_sign: nn.softSign,
  silu: (x) => nn.silu(x),
  gelu_tanh: (x) => nn.gelu(x),
  gelu_exact: (x) => nn.F.gelu(x, { approximate: false }),
  elu: (x) => nn.elu(x),
  celu: (x) => nn.celu(x, 0.5),
  selu: nn.selu,
  leaky_relu: (x) => nn.leakyRelu(x, 0.2),
  hard_tanh: nn.hardTanh,
  hard_sigmoid: nn.hardSigmoid,
  hard_silu: nn.hardSwish,
  squareplus: (x) => nn.squareplus(x, 2),
  mish: nn.mish,
  sparse_sigmoid: nn.sparseSigmoid,
};

const A = suite('nn: jax.nn activations (session 14)');

A('values and derivatives (grad, vmap of grad, jit of grad) with JAX’s rules at the kinks', () => {
  const x = t('x');
  for (const [name, f] of Object.entries(ACTIVATIONS)) {
    check(f(x), name);
    const d = grad((a: NdArray) => np.sum(f(a)));
    check(d(x), `${name}_grad`);
    check(vmap(grad(f))(x), `${name}_grad`);
    check(jit(d)(x), `${name}_grad`);
  }
});

A('log_sigmoid is -softplus(-x): derivative 1/2 at 0 (not 1), finite far out', () => {
  const g = read(grad((a: NdArray) => np.sum(nn.logSigmoid(a)))(tf.tensor([0, -100, 100])));
  allClose(g, [0.5, 1, 0], { atol: 1e-7 });
  allClose(read(nn.logSigmoid(tf.tensor([-100, 100]))), [-100, 0], { atol: 1e-7 });
});

A('binary cross-entropy from logits through log_sigmoid: derivative sigmoid(x) - y at x = 0', () => {
  // optax.sigmoid_binary_cross_entropy and PyTorch's BCE-with-logits: d/dx = sigmoid(x) - y, -0.5 for y = 1 at x = 0.
  const y = tf.tensor([1, 0, 0.3]);
  const zero = tf.zeros([3]);
  allClose(read(grad((x: NdArray) => np.sum(nn.losses.sigmoidBinaryCrossEntropy(x, y)))(zero)), [-0.5, 0.5, 0.2], { atol: 1e-6 });
  allClose(read(grad((x: NdArray) => nn.F.binaryCrossEntropyWithLogits(x, y))(zero)), [-0.5 / 3, 0.5 / 3, 0.2 / 3], { atol: 1e-6 });
});

A('glu along axis 0; an odd axis is an error', () => {
  check(nn.glu(t('glu_x'), 0), 'glu_axis0');
  assert.throws(() => nn.glu(t('glu_x'), 1), /even size/);
});

const S = suite('nn: softmax family and standardize over axis tuples (session 14)');

S('softmax / log_softmax / logsumexp over axis tuples, with where', () => {
  const s = t('s');
  const w = boolMask('s_where');
  check(nn.softmax(s, [1, 2], { where: w }), 'softmax_12_where');
  check(nn.logSoftmax(s, [0, 2], { where: w }), 'log_softmax_02_where');
  check(nn.softmax(s, [0, 2]), 'softmax_02');
  check(nn.logsumexp(s, [0, 2]), 'logsumexp_02');
});

S('standardize over axis tuples: where picks the statistics; epsilon', () => {
  const s = t('s');
  check(nn.standardize(s, { axis: [0, 2], where: boolMask('s_where') }), 'standardize_02_where', 1e-4);
  check(nn.standardize(s, { axis: [1, 2], epsilon: 0.5 }), 'standardize_12_eps', 1e-4);
});

const D = suite('nn: dot_product_attention (session 14)');

D('bias, boolean mask [B, 1, T, S] over grouped heads, fully masked rows average the values', () => {
  const [q, k, v, bias, mask] = [t('q'), t('k'), t('v'), t('bias'), boolMask('mask')];
  check(nn.dotProductAttention(q, k, v, { bias, mask }), 'att_bias_mask', 1e-4);
  check(nn.dotProductAttention(q, k, v, { scale: 0.7, isCausal: true }), 'att_scale_causal', 1e-4);
  check(nn.dotProductAttention(q, k, v, { bias, isCausal: true, localWindowSize: [1, 0], keyValueSeqLengths: tf.tensor([3, 5], [2], 'int32') }), 'att_causal_window_kvlen', 1e-4);
  const lens = { querySeqLengths: tf.tensor([1, 3], [2], 'int32'), keyValueSeqLengths: tf.tensor([5, 2], [2], 'int32') };
  check(nn.dotProductAttention(q, k, v, { mask, ...lens }), 'att_mask_qlen_kvlen', 1e-4);
  check(jit((a: NdArray, b: NdArray, c: NdArray) => nn.dotProductAttention(a, b, c, { bias, mask }))(q, k, v), 'att_bias_mask', 1e-4);
});

D('unbatched [T, N, H] inputs with a bias [N, T, S]', () => {
  const sq = (x: NdArray) => np.squeeze(np.sliceAxis(x, 0, 0, 1), 0);
  check(nn.dotProductAttention(sq(t('q')), sq(t('k')), sq(t('v')), { bias: sq(t('bias')) }), 'att_unbatched_bias', 1e-4);
});

D('gradients stay finite through a fully masked row', () => {
  const [q, k, v, mask] = [t('q'), t('k'), t('v'), boolMask('mask')];
  const g = grad((a: NdArray, b: NdArray) => np.sum(np.square(nn.dotProductAttention(a, b, v, { mask }))), { argnums: [0, 1] })(q, k) as NdArray[];
  for (const gi of g) assert.ok(read(gi).every(Number.isFinite), 'finite gradient');
  // A query row with every key masked does not depend on the query.
  const gq = read(g[0]);
  const row = (b: number, tq: number) => Array.from({ length: 8 }, (_, i) => gq[((b * 3 + tq) * 4) * 2 + i]);
  assert.ok(row(0, 1).every((val) => val === 0), 'masked row: zero gradient for its query');
});

const I = suite('nn.init: jax.nn.initializers (session 14)');

const KEY = random.key(42);

I('variance_scaling uniform is JAX’s U[-1, 1) · sqrt(3 var) in float32, bit for bit', () => {
  // glorot_uniform on [64, 48]: var = 1 / 56; he_uniform on HWIO [3, 3, 4, 8]: var = 2 / 36.
  const u = (shape: number[]) => random.uniform(KEY, shape, { minval: -1, maxval: 1 });
  bitwise(nn.init.glorotUniform()(KEY, [64, 48]), np.mul(u([64, 48]), f32(Math.sqrt(f32(3 * f32(1 / 56))))), 'glorot_uniform');
  bitwise(nn.init.heUniform()(KEY, [3, 3, 4, 8]), np.mul(u([3, 3, 4, 8]), f32(Math.sqrt(f32(3 * f32(2 / 36))))), 'he_uniform');
  bitwise(nn.init.lecunUniform()(KEY, [10, 7]), np.mul(u([10, 7]), f32(Math.sqrt(f32(3 * f32(1 / 10))))), 'lecun_uniform');
});

I('variance_scaling (truncated) normal: stddev sqrt(var) / .87962566103423978 in float32, bit for bit', () => {
  const stdT = (v: number) => f32(f32(Math.sqrt(f32(v))) / f32(0.87962566103423978));
  const tn = (shape: number[]) => random.truncatedNormal(KEY, -2, 2, shape);
  bitwise(nn.init.heNormal()(KEY, [3, 3, 4, 8]), np.mul(tn([3, 3, 4, 8]), stdT(2 / 36)), 'he_normal');
  bitwise(nn.init.glorotNormal()(KEY, [64, 48]), np.mul(tn([64, 48]), stdT(1 / 56)), 'glorot_normal');
  bitwise(nn.init.lecunNormal()(KEY, [10, 7]), np.mul(tn([10, 7]), stdT(1 / 10)), 'lecun_normal');
  const vs = nn.init.varianceScaling(3, 'fan_out', 'normal');
  bitwise(vs(KEY, [5, 6, 7]), np.mul(random.normal(KEY, [5, 6, 7]), f32(Math.sqrt(f32(3 / 35)))), 'variance_scaling normal fan_out (7 outputs x 5 receptive)');
});

I('variance_scaling: fans of conv kernels (HWIO, in/out/batch axes) and the resulting spreads', () => {
  const sd = (x: NdArray) => {
    const a = read(x);
    const m = a.reduce((s, v) => s + v, 0) / a.length;
    return Math.sqrt(a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length);
  };
  // HWIO [3, 3, 16, 32]: fan_in 144, fan_out 288; 4608 samples give the std to about 1%.
  const shape = [3, 3, 16, 32];
  const cases: [nn.init.Initializer, number, string][] = [
    [nn.init.heNormal(), Math.sqrt(2 / 144), 'he_normal'],
    [nn.init.varianceScaling(1, 'fan_out', 'truncated_normal'), Math.sqrt(1 / 288), 'fan_out truncated'],
    [nn.init.varianceScaling(2, 'fan_avg', 'uniform'), Math.sqrt(2 / 216), 'fan_avg uniform'],
    [nn.init.lecunNormal({ inAxis: 2, outAxis: 3 }), Math.sqrt(1 / 144), 'lecun_normal'],
  ];
  for (const [init, want, what] of cases) {
    const got = sd(init(random.key(7), shape));
    assert.ok(Math.abs(got / want - 1) < 0.04, `${what}: std ${got} vs ${want}`);
  }
  const bound = Math.sqrt(3 * (2 / 216));
  assert.ok(read(nn.init.varianceScaling(2, 'fan_avg', 'uniform')(random.key(7), shape)).every((v) => Math.abs(v) <= bound), 'uniform bound');
  // JAX's test shapes: in (0, 1), out (-2, -1); in 0, out (2, 3), batch 1.
  assert.equal(nn.init.computeFans([2, 3, 4, 5], { inAxis: [0, 1], outAxis: [-2, -1] }), { fanIn: 6, fanOut: 20 });
  assert.equal(nn.init.computeFans([2, 3, 4, 5], { inAxis: 0, outAxis: [2, 3], batchAxis: 1 }), { fanIn: 2, fanOut: 20 });
  assert.equal(nn.init.varianceScaling(1, 'fan_avg', 'truncated_normal', { inAxis: 0, outAxis: [2, 3], batchAxis: 1 })(KEY, [2, 3, 4, 5]).shape, [2, 3, 4, 5]);
  assert.throws(() => nn.init.varianceScaling(1, 'fan_avg', 'truncated_normal')(KEY, [5]), /1-dimensional weight \[5\]: it must be at least 2-D/);
});

I('(key, shape) without fans: the fan-based initialisers take JAX’s fans from the shape', () => {
  // kaiming_normal(fan_in, relu) on [in 50, out 40]: std sqrt(2) / sqrt(50), as with the fans given.
  const given = nn.init.kaimingNormal({ nonlinearity: 'relu' })(KEY, [50, 40], { fanIn: 50, fanOut: 40 });
  bitwise(nn.init.kaimingNormal({ nonlinearity: 'relu' })(KEY, [50, 40]), given, 'kaiming_normal without fans');
  bitwise(nn.init.xavierUniform()(KEY, [3, 3, 4, 8]), nn.init.xavierUniform()(KEY, [3, 3, 4, 8], { fanIn: 36, fanOut: 72 }), 'xavier_uniform HWIO');
  assert.throws(() => nn.init.torchDefaultBias(KEY, [4]), /torchDefaultBias: needs the layer's fans/);
});

I('constant, zeros, ones, normal, truncated_normal (no correction), uniform', () => {
  assert.equal(read(nn.init.constant(-7)(KEY, [2, 3])), [-7, -7, -7, -7, -7, -7]);
  assert.equal(read(nn.init.zeros(KEY, [2])), [0, 0]);
  assert.equal(read(nn.init.ones(KEY, [1, 2])), [1, 1]);
  bitwise(nn.init.normal(5)(KEY, [2, 3]), np.mul(random.normal(KEY, [2, 3]), 5), 'normal(5)');
  bitwise(nn.init.truncatedNormal(5)(KEY, [2, 3]), np.mul(random.truncatedNormal(KEY, -2, 2, [2, 3]), 5), 'truncated_normal(5)');
  bitwise(nn.init.truncatedNormal(0.5, { lower: -1, upper: 3 })(KEY, [40]), np.mul(random.truncatedNormal(KEY, -1, 3, [40]), 0.5), 'truncated_normal bounds');
});

I('orthogonal: JAX’s sign-fixed QR of normal(key, [rows, cols]), transposed when rows < cols', () => {
  for (const [shape, col] of [[[5, 3], -1], [[3, 5], -1], [[2, 3, 4], 1], [[4, 6], 0]] as [number[], number][]) {
    const w = nn.init.orthogonal(1, col)(KEY, shape);
    assert.equal(w.shape, shape);
    const c = col < 0 ? col + shape.length : col;
    const cols = shape[c];
    const rows = shape.reduce((p, d) => p * d, 1) / cols;
    let qm = np.reshape(np.moveaxis(w, c, -1), [rows, cols]);
    if (rows < cols) qm = np.transpose(qm);
    const a = random.normal(KEY, rows < cols ? [cols, rows] : [rows, cols]);
    // Q^T A = R: upper triangular with a positive diagonal (JAX multiplies Q by sign(diag R)).
    const r = read(np.matmul(np.transpose(qm), a));
    const n = Math.min(rows, cols);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const v = r[i * n + j];
        if (i > j) assert.ok(Math.abs(v) < 1e-4, `${shape}: R[${i}, ${j}] = ${v} below the diagonal`);
        if (i === j) assert.ok(v > 0, `${shape}: R[${i}, ${i}] = ${v} must be positive`);
      }
  }
  assert.throws(() => nn.init.orthogonal()(KEY, [5]), /at least 2-D/);
});

I('delta_orthogonal: 3-D and 5-D kernels, the orthogonal matrix at ((k - 1) // 2, ...)', () => {
  const d3 = read(nn.init.deltaOrthogonal(2)(KEY, [4, 3, 3]));
  const centre3 = read(nn.init.orthogonal(2)(KEY, [3, 3]));
  assert.equal(d3.slice(9, 18), centre3, 'centre (4 - 1) // 2 = 1');
  assert.ok([...d3.slice(0, 9), ...d3.slice(18)].every((v) => v === 0), 'zero elsewhere');
  const d5 = read(nn.init.deltaOrthogonal()(KEY, [2, 3, 3, 2, 4]));
  const at = ((0 * 3 + 1) * 3 + 1) * 8; // ((2 - 1) // 2, (3 - 1) // 2, (3 - 1) // 2)
  assert.equal(d5.slice(at, at + 8), read(nn.init.orthogonal()(KEY, [2, 4])));
  assert.is(d5.filter((v) => v !== 0).length, 8);
  assert.throws(() => nn.init.deltaOrthogonal()(KEY, [3, 4, 2]), /fan_in must be less or equal/);
  assert.throws(() => nn.init.deltaOrthogonal()(KEY, [1, 1, 1, 1, 2, 2]), /3-D, 4-D or 5-D/);
});

A.run();
S.run();
D.run();
I.run();
