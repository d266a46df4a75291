/**
 * nn against PyTorch's and jax.nn's semantics where they have options beyond the defaults:
 * pooling's ceil_mode / count_include_pad / divisor_override / padding pairs, adaptive pooling
 * to sizes that do not divide the input, Conv2d(padding='same'), calculate_gain, JAX's
 * variance-scaling and orthogonal initialisers, mish and squareplus. PyTorch 1.13 numbers come
 * from test/fixtures/torch_nn_semantics.json (tools/torch-fixtures-nn-semantics.py).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();
const T = suite(`nn: PyTorch / jax.nn semantics [${backend}]`);

interface Enc {
  shape: number[];
  data: number[];
}
interface Fixture {
  x: Enc;
  pools: Record<string, Enc>;
  conv_same: { w: Enc; b: Enc; y: Enc };
  layer_norm: { weight: Enc; bias: Enc; y: Enc; y_no_affine_3d: Enc };
  gains: Record<string, number>;
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch_nn_semantics.json', import.meta.url), 'utf8')) as Fixture;
const tensor = (e: Enc) => tf.tensor(e.data, e.shape);
const x = tensor(fx.x); // [2, 7, 6, 3] NHWC

const apply = (layer: nn.Layer, input: NdArray) => layer.apply({}, {}, input)[0];

const POOLS: Record<string, nn.Layer> = {
  max_k3_s2_p1_ceil: nn.maxPool2d({ kernel: 3, stride: 2, padding: 1, ceilMode: true }),
  max_k2_s2_ceil: nn.maxPool2d({ kernel: 2, stride: 2, ceilMode: true }),
  max_k32_s21_p10: nn.maxPool2d({ kernel: [3, 2], stride: [2, 1], padding: [1, 0] }),
  avg_k3_s2_p1_exclude_pad: nn.avgPool2d({ kernel: 3, stride: 2, padding: 1, countIncludePad: false }),
  avg_k3_s2_p1_ceil: nn.avgPool2d({ kernel: 3, stride: 2, padding: 1, ceilMode: true }),
  avg_k3_s2_p1_ceil_exclude_pad: nn.avgPool2d({ kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avg_k2_s2_divisor3: nn.avgPool2d({ kernel: 2, stride: 2, divisorOverride: 3 }),
  avg_k3_s3_p1_ceil: nn.avgPool2d({ kernel: 3, stride: 3, padding: 1, ceilMode: true }),
  adaptive_avg_3x4: nn.adaptiveAvgPool2d({ output: [3, 4] }),
  adaptive_avg_5xNone: nn.adaptiveAvgPool2d({ output: [5, null] }),
  adaptive_max_3x4: nn.adaptiveMaxPool2d({ output: [3, 4] }),
  adaptive_avg_1: nn.adaptiveAvgPool2d({ output: 1 }),
};

// Float32 sums of at most 9 terms in a different order: a few ulps.
const TOL = { rtol: 1e-5, atol: 1e-6 };

for (const [name, layer] of Object.entries(POOLS)) {
  T(`pooling ${name} matches torch.nn.functional`, () => {
    const expected = fx.pools[name]!;
    const y = apply(layer, x);
    assert.equal(y.shape, expected.shape, `${name}: shape`);
    allClose(read(y), expected.data, TOL, name);
  });
}

T('pooling options under jit and on one HWC example (vmap over the batch)', () => {
  const layer = POOLS.avg_k3_s2_p1_ceil_exclude_pad!;
  const expected = fx.pools.avg_k3_s2_p1_ceil_exclude_pad!;
  allClose(read(jit((v: NdArray) => apply(layer, v))(x)), expected.data, TOL, 'jit');
  allClose(read(vmap((v: NdArray) => apply(layer, v))(x)), expected.data, TOL, 'vmap');
  const adaptive = POOLS.adaptive_max_3x4!;
  allClose(read(vmap((v: NdArray) => apply(adaptive, v))(x)), fx.pools.adaptive_max_3x4!.data, TOL, 'adaptive vmap');
});

T('pooling: bad options are one-line errors', () => {
  assert.throws(() => nn.avgPool2d({ kernel: 2, divisorOverride: 0 }), /divisorOverride must be > 0/);
  assert.throws(() => apply(nn.maxPool2d({ kernel: 9 }), x), /window 9 is larger than the padded input 7/);
  assert.throws(() => nn.adaptiveAvgPool2d({ output: [0, 2] }), /adaptiveAvgPool2d: output/);
});

T("conv2d padding 'same' (PyTorch's lowercase) with an even, dilated kernel", () => {
  const conv = nn.conv2d({ in: 3, out: 4, kernel: 4, dilation: 2, padding: 'same' });
  const params = { w: tensor(fx.conv_same.w), b: tensor(fx.conv_same.b) };
  const y = conv.apply(params, {}, x)[0];
  assert.equal(y.shape, fx.conv_same.y.shape);
  allClose(read(y), fx.conv_same.y.data, { rtol: 1e-5, atol: 1e-5 });
  const small = nn.conv2d({ in: 3, out: 4, kernel: 2, dilation: 2, padding: 'valid' });
  assert.equal(small.apply(small.init(random.key(0)).params, {}, x)[0].shape, [2, 5, 4, 4], "'valid': no padding");
});

T('layerNorm over several trailing axes (nn.LayerNorm([6, 3]) and LayerNorm([7, 6, 3], elementwise_affine=False))', () => {
  const ln = nn.layerNorm({ features: [6, 3] });
  const torchDict = { weight: tensor(fx.layer_norm.weight), bias: tensor(fx.layer_norm.bias) };
  const v = ln.fromTorch(new nn.TorchReader(torchDict), '');
  // 18-term float32 means: a few ulps of outputs of size ~3.
  allClose(read(ln.apply(v.params, v.state, x)[0]), fx.layer_norm.y.data, { rtol: 1e-5, atol: 1e-5 });
  assert.equal(ln.init(random.key(0)).params.scale!.shape, [6, 3]);
  const plain = nn.layerNorm({ features: [7, 6, 3], affine: false });
  allClose(read(plain.apply({}, {}, x)[0]), fx.layer_norm.y_no_affine_3d.data, { rtol: 1e-5, atol: 1e-5 });
  assert.throws(() => ln.apply(v.params, v.state, np.zeros([2, 6, 4])), /layerNorm: expected inputs \[\.\.\., 6, 3\], got/);
});

T('calculateGain: the convolutions are linear (gain 1), as torch.nn.init; unknown names throw', () => {
  for (const [name, gain] of Object.entries(fx.gains)) assert.ok(Math.abs(nn.init.calculateGain(name as nn.init.Nonlinearity) - gain) < 1e-12, name);
  assert.throws(() => nn.init.calculateGain('softmax' as nn.init.Nonlinearity), /unsupported nonlinearity "softmax"/);
});

const stats = (a: NdArray) => {
  const v = read(a);
  const mean = v.reduce((s, t) => s + t, 0) / v.length;
  const std = Math.sqrt(v.reduce((s, t) => s + (t - mean) ** 2, 0) / v.length);
  return { mean, std, maxAbs: Math.max(...v.map(Math.abs)) };
};

T("varianceScaling: JAX's fans from the shape, the truncated normal's 0.8796 correction, the uniform's bound", () => {
  // HWIO [3, 3, 32, 64]: fan_in = 3*3*32 = 288, fan_out = 576 (JAX's in_axis=-2, out_axis=-1).
  assert.equal(nn.init.computeFans([3, 3, 32, 64]), { fanIn: 288, fanOut: 576 });
  const shape = [3, 3, 32, 64];
  const fans = nn.init.computeFans(shape);
  const he = stats(nn.init.heNormal()(random.key(0), shape, fans));
  // 36,864 draws: the sample std is within ~0.4% of the true one; 2% is a wide margin, and
  // without the correction it would be 12% low.
  assert.ok(Math.abs(he.std / Math.sqrt(2 / 288) - 1) < 0.02, `he_normal std ${he.std}`);
  assert.ok(he.maxAbs <= (2 * Math.sqrt(2 / 288)) / 0.87962566103423978 + 1e-6, 'truncated at 2 stds of the underlying normal');
  const glorot = stats(nn.init.glorotUniform()(random.key(1), shape, fans));
  const bound = Math.sqrt(3 / ((288 + 576) / 2));
  assert.ok(glorot.maxAbs <= bound && glorot.maxAbs > 0.99 * bound, `glorot_uniform bound ${glorot.maxAbs} vs ${bound}`);
  const lecun = stats(nn.init.varianceScaling(1, 'fan_out', 'normal')(random.key(2), shape, fans));
  assert.ok(Math.abs(lecun.std / Math.sqrt(1 / 576) - 1) < 0.02, `fan_out normal std ${lecun.std}`);
  assert.throws(() => nn.init.lecunNormal()(random.key(0), [5], { fanIn: 5, fanOut: 5 }), /at least 2-D/);
});

T('orthogonal: orthonormal columns (or rows when there are fewer), times the scale', () => {
  for (const shape of [[64, 32], [16, 48], [3, 3, 4, 8]]) {
    const w = nn.init.orthogonal(2)(random.key(3), shape, { fanIn: 0, fanOut: 0 });
    assert.equal(w.shape, shape);
    const cols = shape[shape.length - 1]!;
    const m = np.reshape(w, [-1, cols]);
    const [rows] = m.shape;
    const gram = rows! >= cols ? np.matmul(np.transpose(m), m) : np.matmul(m, np.transpose(m));
    const n = Math.min(rows!, cols);
    allClose(read(gram), read(np.mul(np.eye(n), 4)), { atol: 1e-4, rtol: 0 }, `gram of ${shape}`);
  }
});

T('mish and squareplus (jax.nn) against float64 formulas', () => {
  const xs = [-20, -3, -0.5, 0, 0.7, 4, 25];
  const sp = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));
  allClose(read(nn.mish(np.array(xs))), xs.map((v) => v * Math.tanh(sp(v))), { rtol: 1e-5, atol: 1e-7 });
  allClose(read(nn.squareplus(np.array(xs))), xs.map((v) => (v + Math.sqrt(v * v + 4)) / 2), { rtol: 1e-5, atol: 1e-7 });
  allClose(read(nn.squareplus(np.array(xs), 1)), xs.map((v) => (v + Math.sqrt(v * v + 1)) / 2), { rtol: 1e-5, atol: 1e-7 });
  allClose(read(nn.hardSwish(np.array(xs))), read(nn.hardSilu(np.array(xs))), { rtol: 0, atol: 0 });
});

T.run();
