/**
 * eqx.nn's options and semantics (patrick-kidger/equinox, equinox/nn/*.py and tests/test_nn.py) that
 * tfjax's layers lacked or got wrong: Linear's "scalar" and zero sizes, Conv's 'SAME_LOWER' padding and
 * uppercase padding modes, ConvTranspose's explicit / 'SAME' / 'VALID' padding, LayerNorm's use_weight,
 * RMSNorm's use_bias, Dropout's p, and Lambda. Expected values are worked by hand in the comments.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { NdArray } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();
const E = suite(`nn: Equinox's eqx.nn options [${backend}]`);

const key = random.key(0);
const arr = (v: number[], shape?: number[]) => tf.tensor(v, shape, 'float32') as NdArray;
/** One example's output of `layer` with `params`. */
const run = (layer: nn.Layer, params: unknown, x: NdArray) => layer.apply(params, {}, x)[0];

// ---------------------------------------------------------------- Linear
E('linear: in "scalar" maps [] -> [out] and [...] -> [..., out] (eqx.nn.Linear("scalar", 2))', () => {
  const fc = nn.linear({ in: 'scalar', out: 2 });
  assert.equal(fc.init(key).params.w.shape, [1, 2]);
  const params = { w: arr([2, -3], [1, 2]), b: arr([0.5, 1]) };
  const y = run(fc, params, arr([4], []));
  assert.equal(y.shape, [2]);
  allClose(read(y), [8.5, -11]); // 4 * [2, -3] + [0.5, 1]
  assert.equal(run(fc, params, arr([1, 2, 3], [3])).shape, [3, 2]);
});

E('linear: out "scalar" maps [in] -> [] and [..., in] -> [...] (eqx.nn.Linear(2, "scalar"))', () => {
  const fc = nn.linear({ in: 2, out: 'scalar' });
  assert.equal(fc.init(key).params.b?.shape, [1]);
  const params = { w: arr([1, 2], [2, 1]), b: arr([-1]) };
  const y = run(fc, params, arr([3, 4]));
  assert.equal(y.shape, []);
  allClose(read(y), [10]); // 3 + 8 - 1
  const yb = run(fc, params, arr([3, 4, 0, 1, 1, 1], [3, 2]));
  assert.equal(yb.shape, [3]);
  allClose(read(yb), [10, 1, 2]);
});

E('linear: zero widths are allowed (eqx.nn.Linear(0, 4), Linear(4, 0)); an empty input gives the bias', () => {
  const fc0 = nn.linear({ in: 0, out: 4 });
  const v = fc0.init(key);
  assert.equal(v.params.w.shape, [0, 4]);
  const params = { w: v.params.w, b: arr([1, -2, 3, 0.5]) };
  allClose(read(run(fc0, params, np.zeros([0]))), [1, -2, 3, 0.5]);
  const yb = run(fc0, params, np.zeros([2, 0]));
  assert.equal(yb.shape, [2, 4]);
  allClose(read(yb), [1, -2, 3, 0.5, 1, -2, 3, 0.5]);
  const fcOut0 = nn.linear({ in: 4, out: 0 });
  assert.equal(run(fcOut0, fcOut0.init(key).params, np.ones([4])).shape, [0]);
  assert.throws(() => nn.linear({ in: -1, out: 2 }), /^linear: in must be a non-negative integer or 'scalar', got -1$/);
  assert.throws(() => nn.linear({ in: 2, out: 'vector' as never }), /^linear: out must be a non-negative integer or 'scalar', got vector$/);
});

// ---------------------------------------------------------------- Conv padding
const ones1d = (k: number) => ({ w: np.ones([k, 1, 1]) });

E("conv1d: 'SAME_LOWER' puts an odd padding before, 'SAME' after (Equinox's, lax's)", () => {
  const x = arr([1, 2, 3, 4], [4, 1]);
  const same = nn.conv1d({ in: 1, out: 1, kernel: 2, padding: 'SAME', bias: false });
  const lower = nn.conv1d({ in: 1, out: 1, kernel: 2, padding: 'SAME_LOWER', bias: false });
  // A ones kernel of 2 sums neighbours: SAME pads [0, 1] -> x[i] + x[i+1]; SAME_LOWER pads [1, 0] -> x[i-1] + x[i].
  allClose(read(run(same, ones1d(2), x)), [3, 5, 7, 4]);
  allClose(read(run(lower, ones1d(2), x)), [1, 3, 5, 7]);
  const lowerCase = nn.conv1d({ in: 1, out: 1, kernel: 2, padding: 'same_lower', bias: false });
  allClose(read(run(lowerCase, ones1d(2), x)), [1, 3, 5, 7]);
  // Stride 2, kernel 2 on 5: out 3, total padding 1.
  const strided = nn.conv1d({ in: 1, out: 1, kernel: 2, stride: 2, padding: 'SAME_LOWER', bias: false });
  allClose(read(run(strided, ones1d(2), arr([1, 2, 3, 4, 5], [5, 1]))), [1, 5, 9]);
});

E("conv2d: 'SAME_LOWER' per axis, with padding modes too; an unknown padding string is an error", () => {
  const x = np.reshape(np.arange(1, 10, 1, 'float32'), [3, 3, 1]);
  const w = { w: np.ones([2, 2, 1, 1]) };
  const lower = nn.conv2d({ in: 1, out: 1, kernel: 2, padding: 'SAME_LOWER', bias: false });
  // Padded with a zero row on top and a zero column on the left: y[i][j] sums x[i-1..i][j-1..j].
  allClose(read(run(lower, w, x)), [1, 3, 5, 5, 12, 16, 11, 24, 28]);
  const replicate = nn.conv2d({ in: 1, out: 1, kernel: 2, padding: 'SAME_LOWER', paddingMode: 'REPLICATE', bias: false });
  // The top row and left column repeated: y[0][0] = 4 x[0][0], y[0][1] = 2 (1 + 2), y[1][0] = 2 (1 + 4).
  allClose(read(run(replicate, w, x)), [4, 6, 10, 10, 12, 16, 22, 24, 28]);
  assert.throws(() => nn.conv2d({ in: 1, out: 1, kernel: 2, padding: 'FULL' as never }), /^conv2d: padding must be a number, pairs, 'SAME', 'SAME_LOWER' or 'VALID', got 'FULL'$/);
  assert.throws(() => nn.conv1d({ in: 1, out: 1, kernel: 2, padding: 'full' as never }), /^conv1d: padding must be a number, pairs, 'SAME', 'SAME_LOWER' or 'VALID', got 'full'$/);
});

E("conv: Equinox's uppercase padding modes ('CIRCULAR', 'REFLECT', 'ZEROS') are PyTorch's (eqx test_conv_circular)", () => {
  const conv = nn.conv1d({ in: 1, out: 1, kernel: 3, padding: 'SAME', paddingMode: 'CIRCULAR' });
  const { params } = conv.init(key);
  const x = arr([0.3, -1.2, 2.5, 0.7, -0.4, 1.1], [6, 1]);
  // Circular padding makes the convolution commute with rolling the input.
  const y1 = run(conv, params, x);
  const y2 = np.roll(run(conv, params, np.roll(x, 2, 0)), -2, 0);
  allClose(read(y1), read(y2), { atol: 1e-6 });
  const lower = nn.conv1d({ in: 1, out: 1, kernel: 3, padding: 'SAME', paddingMode: 'circular' });
  allClose(read(y1), read(run(lower, params, x)));
  const reflect = nn.conv2d({ in: 1, out: 1, kernel: 3, padding: 1, paddingMode: 'REFLECT', bias: false });
  const x2 = np.reshape(np.arange(1, 10, 1, 'float32'), [3, 3, 1]);
  const w = { w: np.ones([3, 3, 1, 1]) };
  // Reflected around the centre of a 3x3 whose rows sum to 6, 15, 24: the centre output is the sum 45.
  allClose(read(run(reflect, w, x2))[4], 45);
  allClose(read(run(nn.conv2d({ in: 1, out: 1, kernel: 3, padding: 1, paddingMode: 'ZEROS', bias: false }), w, x2))[0], 12); // 1 + 2 + 4 + 5
});

E('conv1d / conv2d: a stride and a dilation both above 1 (PyTorch and lax allow it)', () => {
  const conv = nn.conv1d({ in: 1, out: 1, kernel: 2, stride: 2, dilation: 2, bias: false });
  // Windows x[i] + x[i + 2] at i = 0, 2, 4 of 1..7.
  allClose(read(run(conv, ones1d(2), arr([1, 2, 3, 4, 5, 6, 7], [7, 1]))), [4, 8, 12]);
  const conv2 = nn.conv2d({ in: 1, out: 1, kernel: 2, stride: [2, 1], dilation: [1, 2], padding: 1, bias: false });
  const x = np.reshape(np.arange(1, 10, 1, 'float32'), [3, 3, 1]);
  // Padded with zeros to p [5, 5]; windows start at rows 0 and 2 (stride 2) and columns 0..2, each
  // p[r][c] + p[r][c+2] + p[r+1][c] + p[r+1][c+2]: row 0 gives 0+0+0+2, 1+3, 2+0; row 2 gives 5+8, 4+6+7+9, 5+8
  // (torch.nn.functional.conv2d(x, ones, stride=(2, 1), dilation=(1, 2), padding=1) agrees).
  const y = run(conv2, { w: np.ones([2, 2, 1, 1]) }, x);
  assert.equal(y.shape, [2, 3, 1]);
  allClose(read(y), [2, 4, 2, 13, 26, 13]);
});

// ---------------------------------------------------------------- ConvTranspose padding
E('convTranspose2d: explicit [[top, bottom], [left, right]] padding (eqx test_convtranspose_padding)', () => {
  const up = nn.convTranspose2d({ in: 8, out: 3, kernel: 1, stride: 2, padding: [[0, 1], [0, 3]] });
  const { params } = up.init(key);
  // (H - 1) stride + 1 - top - bottom: 16 * 2 + 1 - 1 = 32 and 17 * 2 + 1 - 3 = 32.
  assert.equal(run(up, params, np.ones([17, 18, 8])).shape, [32, 32, 3]);
});

E("convTranspose1d: 'SAME' / 'SAME_LOWER' / 'VALID' as eqx.nn.ConvTranspose", () => {
  const x = arr([1, 2, 3, 4], [4, 1]);
  const w = { w: np.ones([2, 1, 1]) };
  const make = (padding: nn.ConvTranspose1dConfig['padding']) => nn.convTranspose1d({ in: 1, out: 1, kernel: 2, padding, bias: false });
  // Kernel 2, stride 1: the convolution's SAME padding [0, 1] transposes to x[i-1] + x[i]; SAME_LOWER's [1, 0] to x[i] + x[i+1].
  allClose(read(run(make('SAME'), w, x)), [1, 3, 5, 7]);
  allClose(read(run(make('same_lower'), w, x)), [3, 5, 7, 4]);
  allClose(read(run(make('VALID'), w, x)), [1, 3, 5, 7, 4]);
  allClose(read(run(make([1, 0]), w, x)), [3, 5, 7, 4]);
  // 'SAME' gives L stride - outputPadding.
  const up = nn.convTranspose1d({ in: 1, out: 1, kernel: 3, stride: 2, padding: 'SAME' });
  assert.equal(run(up, up.init(key).params, x).shape, [8, 1]);
});

E("convTranspose1d with 'SAME' is the transpose of conv1d with 'SAME' (eqx test_convtranspose_same_padding)", () => {
  const conv = nn.conv1d({ in: 1, out: 1, kernel: 3, stride: 2, padding: 'SAME', dilation: 2, bias: false });
  const convT = nn.convTranspose1d({ in: 1, out: 1, kernel: 3, stride: 2, padding: 'SAME', outputPadding: 1, dilation: 2, bias: false });
  const w = { w: np.ones([3, 1, 1]) };
  // Both maps are linear: their matrices from the basis vectors, as a batch.
  const jac1 = run(conv, w, np.reshape(np.eye(5), [5, 5, 1])); // [5 inputs, 3 outputs, 1]
  assert.equal(jac1.shape, [5, 3, 1]);
  const jac2 = run(convT, w, np.reshape(np.eye(3), [3, 3, 1])); // [3 inputs, 5 outputs, 1]
  assert.equal(jac2.shape, [3, 5, 1]);
  allClose(read(np.transpose(np.squeeze(jac2, -1))), read(np.squeeze(jac1, -1)));
});

// ---------------------------------------------------------------- Norms
E('layerNorm: weight: false keeps the bias alone (eqx.nn.LayerNorm(use_weight=False, use_bias=True))', () => {
  const ln = nn.layerNorm({ features: 2, weight: false });
  const v = ln.init(key);
  assert.equal(Object.keys(v.params), ['bias']);
  // [1, 3]: mean 2, variance 1 -> [-1, 1] / sqrt(1 + 1e-5), then + bias.
  const y = run(ln, { bias: arr([10, 20]) }, arr([1, 3]));
  const n = 1 / Math.sqrt(1 + 1e-5);
  allClose(read(y), [10 - n, 20 + n]);
  const dict: nn.TorchDict = {};
  ln.toTorch({ params: { bias: arr([10, 20]) }, state: {} }, '', dict);
  assert.equal(Object.keys(dict), ['bias']);
  const back = ln.fromTorch(new nn.TorchReader(dict as Record<string, tf.Tensor>), '');
  allClose(read(back.params.bias), [10, 20]);
  const neither = nn.layerNorm({ features: [2, 2], weight: false, bias: false });
  assert.equal(neither.init(key).params, {});
});

E("rmsNorm: bias: true adds a learnt shift (eqx.nn.RMSNorm's use_bias), eps as given (Equinox's 1e-5)", () => {
  const rms = nn.rmsNorm({ dim: 2, eps: 1e-5, bias: true });
  const v = rms.init(key);
  assert.equal(Object.keys(v.params).sort(), ['bias', 'scale']);
  allClose(read(v.params.bias), [0, 0]);
  // [3, 4]: mean square 12.5 -> [3, 4] / sqrt(12.5 + 1e-5) * [2, 1] + [1, -1].
  const r = 1 / Math.sqrt(12.5 + 1e-5);
  allClose(read(run(rms, { scale: arr([2, 1]), bias: arr([1, -1]) }, arr([3, 4]))), [6 * r + 1, 4 * r - 1]);
  const dict: nn.TorchDict = {};
  rms.toTorch({ params: { scale: arr([2, 1]), bias: arr([1, -1]) }, state: {} }, 'n.', dict);
  assert.equal(Object.keys(dict).sort(), ['n.bias', 'n.weight']);
  allClose(read(rms.fromTorch(new nn.TorchReader(dict as Record<string, tf.Tensor>), 'n.').params.bias), [1, -1]);
});

// ---------------------------------------------------------------- Dropout, Lambda
E("dropout: p is rate's other name and defaults to 0.5, as eqx.nn.Dropout's and torch's", () => {
  const x = np.ones([2000]);
  const kept = (layer: nn.Layer) => read(layer.apply({}, {}, x, { train: true, key })[0]).filter((v) => v !== 0);
  const half = kept(nn.dropout());
  // 2000 Bernoulli(0.5) draws keep 1000 ± 22 (one standard deviation); each kept one is scaled by 2.
  assert.ok(Math.abs(half.length - 1000) < 120, `kept ${half.length} of 2000`);
  allClose(half.slice(0, 5), [2, 2, 2, 2, 2]);
  const p = kept(nn.dropout({ p: 0.1 }));
  assert.ok(Math.abs(p.length - 1800) < 80, `kept ${p.length} of 2000`);
  allClose(p.slice(0, 3), [1 / 0.9, 1 / 0.9, 1 / 0.9]);
  assert.throws(() => nn.dropout({ rate: 0.1, p: 0.1 }), /^dropout: give rate or p, not both$/);
  assert.throws(() => nn.dropout({ p: 2 }), /^dropout: rate must be in \[0, 1\], got 2$/);
});

E('lambda: a function as a layer in sequential (eqx.nn.Lambda)', () => {
  const model = nn.sequential([nn.linear({ in: 2, out: 2 }), nn.lambda((x) => np.mul(x, 3))]);
  const { params, state } = model.init(key);
  const [y] = model.apply(params, state, arr([1, -1]));
  const direct = np.mul(run(nn.linear({ in: 2, out: 2 }), params[0], arr([1, -1])), 3);
  allClose(read(y), read(direct));
  assert.throws(() => nn.lambda(3 as never), /^lambda: expected a function of the input, got 3$/);
});

E.run();
