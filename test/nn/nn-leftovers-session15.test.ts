/**
 * Gaps an audit against Equinox (eqx.nn) and PyTorch found in tfjax's layers: embedding indices out
 * of range (F.embedding raises as PyTorch; the layer clamps as JAX's `weight[x]` in eqx.nn.Embedding),
 * 3-D convolutions and pools, GroupNorm on one unbatched example, RMSNorm over several axes, and
 * Equinox's BatchNorm. Expected values are worked by hand in the comments or come from PyTorch 1.13
 * (test/fixtures/nn-leftovers-session15.json, written by tools/torch-fixtures-nn-leftovers.py).
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();
const E = suite(`nn: leftovers of the Equinox / PyTorch audit [${backend}]`);

const arr = (v: number[], shape?: number[]) => tf.tensor(v, shape, 'float32') as NdArray;
const ints = (v: number[], shape?: number[]) => tf.tensor(v, shape, 'int32') as NdArray;
/** A [3, 2] table whose row r is [2r, 2r + 1]. */
const table = () => arr([0, 1, 2, 3, 4, 5], [3, 2]);

// ---------------------------------------------------------------- Embedding out of range
E("F.embedding: an index outside [0, num) is PyTorch's error, naming the index (not a NaN row)", () => {
  const w = table();
  assert.throws(() => nn.F.embedding(ints([0, 3]), w), /^embedding: index 3 is out of range for a table of 3 rows \(indices must lie in \[0, 3\)\)$/);
  // PyTorch rejects negative indices too (no counting from the end).
  assert.throws(() => nn.F.embedding(ints([1, -1], [1, 2]), w), /^embedding: index -1 is out of range/);
  assert.throws(() => nn.F.embeddingBag(ints([0, 5], [1, 2]), w), /^embeddingBag: index 5 is out of range for a table of 3 rows/);
  allClose(read(nn.F.embedding(ints([2, 0]), w)), [4, 5, 0, 1]);
});

E("embedding layer: out-of-range indices clamp as JAX's weight[x] (eqx.nn.Embedding): -1 is the last row, never NaN", () => {
  const emb = nn.embedding({ num: 3, dim: 2 });
  const y = emb.apply({ w: table() }, {}, ints([0, 3, -1, -7, 9]))[0];
  // 3 -> 2 (clamped), -1 -> 2 (from the end), -7 -> -4 -> 0 (clamped), 9 -> 2
  allClose(read(y), [0, 1, 4, 5, 4, 5, 0, 1, 4, 5]);
});

E('F.embedding under jit (indices traced): out-of-range indices clamp, as JAX, instead of a NaN row', () => {
  const w = table();
  const f = jit((i: NdArray) => nn.F.embedding(i, w, { scaleGradByFreq: true }));
  const y = read(f(ints([1, 5, -1])));
  assert.ok(y.every(Number.isFinite), `finite rows, got ${y.join(', ')}`);
  allClose(y, [2, 3, 4, 5, 4, 5]);
});

// ---------------------------------------------------------------- GroupNorm on one example
/** Hand reference: x [P, C] one example, channel c in group floor(c / (C / G)), biased variance over the group's entries. */
function groupNormRef(x: number[], c: number, groups: number, eps = 1e-5): number[] {
  const per = c / groups;
  const out = x.slice();
  for (let g = 0; g < groups; g++) {
    const idx = x.map((_, i) => i).filter((i) => Math.floor((i % c) / per) === g);
    const mean = idx.reduce((a, i) => a + x[i], 0) / idx.length;
    const variance = idx.reduce((a, i) => a + (x[i] - mean) ** 2, 0) / idx.length;
    for (const i of idx) out[i] = (x[i] - mean) / Math.sqrt(variance + eps);
  }
  return out;
}

E("groupNorm({ batched: false }): one channels-last example [H, W, C] (Equinox's per-example GroupNorm), also [C]", () => {
  const x = np.reshape(np.sin(np.mul(np.arange(3 * 2 * 4), 1.3)), [3, 2, 4]);
  const gn = nn.groupNorm({ groups: 2, channels: 4, batched: false });
  const v = gn.init(tf.tensor([0, 0], [2], 'int32') as never);
  const y = gn.apply(v.params, v.state, x)[0];
  assert.equal(y.shape, [3, 2, 4]);
  allClose(read(y), groupNormRef(read(x), 4, 2), { rtol: 1e-4, atol: 1e-5 });
  // vmap over examples equals the batched layer
  const batched = nn.groupNorm({ groups: 2, channels: 4 });
  const xs = np.stack([x, np.mul(x, 3)], 0);
  allClose(read(vmap((e: NdArray) => gn.apply(v.params, v.state, e)[0])(xs)), read(batched.apply(v.params, v.state, xs)[0]), { rtol: 1e-5, atol: 1e-6 });
  // a vector: each group of C / G entries normalised (eqx.nn.GroupNorm on shape (C,))
  const vec = arr([1, 3, -2, 6]);
  allClose(read(gn.apply(v.params, v.state, vec)[0]), [-1, 1, -1, 1], { rtol: 1e-4, atol: 1e-5 });
});

E("groupNorm without channels when affine is false (Equinox's channelwise_affine=False): C from the input", () => {
  const gn = nn.groupNorm({ groups: 3, affine: false });
  const v = gn.init(tf.tensor([0, 0], [2], 'int32') as never);
  assert.equal(v.params, {});
  const x = np.reshape(np.cos(np.arange(2 * 5 * 6)), [2, 5, 6]);
  const y = gn.apply(v.params, v.state, x)[0];
  const ref = [0, 1].flatMap((n) => groupNormRef(read(x).slice(n * 30, n * 30 + 30), 6, 3));
  allClose(read(y), ref, { rtol: 1e-4, atol: 1e-5 });
  assert.throws(() => gn.apply(v.params, v.state, np.ones([2, 4])), /^groupNorm: channels \(4\) must be divisible by groups \(3\)$/);
  assert.throws(() => nn.groupNorm({ groups: 2 }), /^groupNorm: channels is needed for the affine parameters \(or give affine: false\)$/);
});

// ---------------------------------------------------------------- RMSNorm over several axes
E("rmsNorm({ dim: [2, 3] }): the mean square over the last two axes, scale and bias of that shape (eqx.nn.RMSNorm(shape), torch's normalized_shape)", () => {
  const norm = nn.rmsNorm({ dim: [2, 3], eps: 1e-5, bias: true });
  const v = norm.init(tf.tensor([0, 0], [2], 'int32') as never);
  assert.equal(v.params.scale?.shape, [2, 3]);
  assert.equal(v.params.bias?.shape, [2, 3]);
  const x = np.reshape(np.sin(np.arange(4 * 6)), [4, 2, 3]);
  const scale = arr([1, 2, 3, -1, 0.5, 1], [2, 3]);
  const bias = arr([0, 0.1, 0, 0, -0.2, 0], [2, 3]);
  const y = norm.apply({ scale, bias }, {}, x)[0];
  assert.equal(y.shape, [4, 2, 3]);
  const [xs, sc, bs] = [read(x), read(scale), read(bias)];
  const ref = xs.map((xi, i) => {
    const block = xs.slice(i - (i % 6), i - (i % 6) + 6);
    const rms = Math.sqrt(block.reduce((a, b) => a + b * b, 0) / 6 + 1e-5);
    return (xi / rms) * sc[i % 6] + bs[i % 6];
  });
  allClose(read(y), ref, { rtol: 1e-5, atol: 1e-6 });
  // one example of exactly that shape (Equinox's call), and the shape checked
  allClose(read(norm.apply({ scale, bias }, {}, np.reshape(np.sin(np.arange(6)), [2, 3]))[0]), ref.slice(0, 6), { rtol: 1e-5, atol: 1e-6 });
  assert.throws(() => norm.apply({ scale, bias }, {}, np.ones([4, 3, 2])), /^rmsNorm: expected inputs \[\.\.\., 2, 3\], got \[4,3,2\]$/);
  const out: nn.TorchDict = {};
  norm.toTorch({ params: { scale, bias }, state: {} }, '', out);
  assert.equal(out.weight.shape, [2, 3]);
});

// ---------------------------------------------------------------- Equinox's BatchNorm
/** (x - mean) / sqrt(var + 1e-5) per channel of x [N, C] given row-major. */
const bnRef = (x: number[], mean: number[], variance: number[]) => x.map((v, i) => (v - mean[i % mean.length]) / Math.sqrt(variance[i % mean.length] + 1e-5));
// channel 0: [1, 2, 3, 6] (mean 3, biased variance 3.5); channel 1: [0, 0, 2, 2] (mean 1, variance 1)
const bnX = [1, 0, 2, 0, 3, 2, 6, 2];

E("batchNorm({ mode: 'ema' }): eqx.nn.BatchNorm(mode='ema'): the first batch fills the statistics, then training normalises with the updated running ones", () => {
  const bn = nn.batchNorm({ features: 2, mode: 'ema', momentum: 0.9, affine: false });
  const v = bn.init(tf.tensor([0, 0], [2], 'int32') as never);
  const [y1, s1] = bn.apply(v.params, v.state, arr(bnX, [4, 2]), { train: true });
  allClose(read(y1), bnRef(bnX, [3, 1], [3.5, 1]), { rtol: 1e-5, atol: 1e-6 });
  allClose(read(s1.mean), [3, 1]);
  allClose(read(s1.var), [3.5, 1]);
  const x2 = bnX.map((t) => 2 * t); // batch mean [6, 2], variance [14, 4]
  const [y2, s2] = bn.apply(v.params, s1, arr(x2, [4, 2]), { train: true });
  // Equinox's momentum weighs the old value: 0.1 * batch + 0.9 * running
  allClose(read(s2.mean), [3.3, 1.1], { rtol: 1e-6, atol: 1e-6 });
  allClose(read(s2.var), [4.55, 1.3], { rtol: 1e-6, atol: 1e-6 });
  allClose(read(y2), bnRef(x2, [3.3, 1.1], [4.55, 1.3]), { rtol: 1e-5, atol: 1e-6 });
  const [yEval, sEval] = bn.apply(v.params, s2, arr(bnX, [4, 2]));
  allClose(read(yEval), bnRef(bnX, [3.3, 1.1], [4.55, 1.3]), { rtol: 1e-5, atol: 1e-6 });
  assert.is(sEval, s2);
});

E("batchNorm({ mode: 'batch' }): batch statistics in training; inference debiases the EMA (default momentum 0.99 on the old value)", () => {
  const bn = nn.batchNorm({ features: 2, mode: 'batch', affine: false });
  const v = bn.init(tf.tensor([0, 0], [2], 'int32') as never);
  // before any training: hidden mean 0, var 1, counter 0 -> those statistics as they are
  allClose(read(bn.apply(v.params, v.state, arr(bnX, [4, 2]))[0]), bnRef(bnX, [0, 0], [1, 1]), { rtol: 1e-5, atol: 1e-6 });
  const [y1, s1] = bn.apply(v.params, v.state, arr(bnX, [4, 2]), { train: true });
  allClose(read(y1), bnRef(bnX, [3, 1], [3.5, 1]), { rtol: 1e-5, atol: 1e-6 });
  // hidden = 0.99 hidden + 0.01 batch (biased variance): mean [0.03, 0.01], var [0.99 + 0.035, 0.99 + 0.01]
  allClose(read(s1.mean), [0.03, 0.01], { rtol: 1e-5, atol: 1e-7 });
  allClose(read(s1.var), [1.025, 1], { rtol: 1e-6, atol: 1e-6 });
  // inference divides by 1 - 0.99^1 = 0.01: mean [3, 1], var [102.5, 100]
  allClose(read(bn.apply(v.params, s1, arr(bnX, [4, 2]))[0]), bnRef(bnX, [3, 1], [102.5, 100]), { rtol: 1e-4, atol: 1e-6 });
  // PyTorch's names hold the statistics inference uses; reading them back restores the state
  const dict: nn.TorchDict = {};
  bn.toTorch({ params: v.params, state: s1 }, '', dict);
  allClose(read(dict.running_var), [102.5, 100], { rtol: 1e-4 });
  assert.equal(read(dict.num_batches_tracked), [1]);
  const back = bn.fromTorch(new nn.TorchReader(dict as Record<string, tf.Tensor>), '').state;
  allClose(read(back.mean), read(s1.mean), { rtol: 1e-5, atol: 1e-7 });
  allClose(read(back.var), read(s1.var), { rtol: 1e-5 });
  // a batch of one is allowed (Equinox's statistics are 0 variance), unlike PyTorch's
  assert.ok(read(bn.apply(v.params, v.state, arr([1, 2], [1, 2]), { train: true })[0]).every((t) => t === 0));
  // the gradient flows through the batch statistics, as Equinox's
  const g = grad((x: NdArray) => np.sum(np.mul(bn.apply(v.params, v.state, x, { train: true })[0], arr([1, 0, 0, 0, 0, 0, 0, 0], [4, 2]))))(arr(bnX, [4, 2]));
  assert.ok(Math.abs(read(g)[2]) > 1e-3, 'the other rows of channel 0 get gradient through the mean and variance');
  assert.throws(() => nn.batchNorm({ features: 2, mode: 'ema', momentum: null }), /^batchNorm: mode 'ema' needs momentum in \[0, 1\] \(Equinox's, the old value's weight\), got null$/);
  assert.throws(() => nn.batchNorm({ features: 2, mode: 'legacy' as never }), /^batchNorm: mode must be 'ema' or 'batch' \(Equinox's\), got 'legacy'$/);
});

// ---------------------------------------------------------------- 3-D convolutions and pools
type Flat = [number[], number[]];
interface Case {
  config: Record<string, number | (number | null)[] | boolean | string>;
  x: Flat;
  y: Flat;
  gx: Flat;
  state_dict: Record<string, Flat>;
  grads: Record<string, Flat>;
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/nn-leftovers-session15.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };
/** 6 significant digits in the fixture, float32 sums of up to ~60 products in another order. */
const TOL = { rtol: 2e-5, atol: 1e-5 };
const tensor = ([v, shape]: Flat) => tf.tensor(v, shape);
/** PyTorch's [N, C, D, H, W] <-> our [N, D, H, W, C]. */
const toLast = (x: NdArray) => np.transpose(x, [0, 2, 3, 4, 1]);
const toFirst = (x: NdArray) => np.transpose(x, [0, 4, 1, 2, 3]);
const cotangent = (shape: readonly number[]) => np.reshape(np.cos(np.add(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), 0.37), 0.1)), shape);
const cfg = (c: Case, k: string) => c.config[k] as never;

const MAKERS: Record<string, (c: Case) => nn.Layer> = {
  conv3d: (c) =>
    nn.conv3d({
      in: cfg(c, 'in_channels'), out: cfg(c, 'out_channels'), kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'),
      dilation: cfg(c, 'dilation'), groups: cfg(c, 'groups'), bias: cfg(c, 'bias'), paddingMode: cfg(c, 'padding_mode'),
    }),
  ct3d: (c) =>
    nn.convTranspose3d({
      in: cfg(c, 'in_channels'), out: cfg(c, 'out_channels'), kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'),
      outputPadding: cfg(c, 'output_padding'), dilation: cfg(c, 'dilation'), groups: cfg(c, 'groups'), bias: cfg(c, 'bias'),
    }),
  maxpool3d: (c) => nn.maxPool3d({ kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'), dilation: cfg(c, 'dilation'), ceilMode: cfg(c, 'ceil_mode') }),
  avgpool3d: (c) =>
    nn.avgPool3d({
      kernel: cfg(c, 'kernel_size'), stride: cfg(c, 'stride'), padding: cfg(c, 'padding'), ceilMode: cfg(c, 'ceil_mode'),
      countIncludePad: cfg(c, 'count_include_pad'), divisorOverride: cfg(c, 'divisor_override'),
    }),
  adaptiveavg3d: (c) => nn.adaptiveAvgPool3d({ output: cfg(c, 'output_size') }),
  adaptivemax3d: (c) => nn.adaptiveMaxPool3d({ output: cfg(c, 'output_size') }),
};
const makerOf = (name: string) => MAKERS[name.replace(/_.*/, '')];
const paramsOf = (layer: nn.Layer, c: Case) => layer.fromTorch(new nn.TorchReader(Object.fromEntries(Object.entries(c.state_dict).map(([k, v]) => [k, tensor(v)]))), '').params;

/** One case against PyTorch: output, and the gradients of the input and the weights (PyTorch's layouts), eager or under jit. */
function check(name: string, c: Case, useJit: boolean): void {
  const layer = makerOf(name)(c);
  const params = paramsOf(layer, c);
  const forward = (p: unknown, x: NdArray) => toFirst(layer.apply(p, {}, toLast(x))[0]);
  const gy = cotangent(c.y[1]);
  const loss = (p: unknown, x: NdArray) => np.sum(np.mul(forward(p, x), gy));
  const both = (p: unknown, x: NdArray) => [forward(p, x), ...grad(loss, { argnums: [0, 1] })(p, x)];
  const [y, gp, gx] = (useJit ? jit(both) : both)(params, tensor(c.x)) as [NdArray, unknown, NdArray];
  const what = `${name}${useJit ? ' (jit)' : ''}`;
  assert.equal(y.shape, c.y[1], `${what}: output shape`);
  allClose(read(y), c.y[0], TOL, `${what}: output`);
  allClose(read(gx), c.gx[0], TOL, `${what}: gradient of the input`);
  const gTorch: nn.TorchDict = {};
  layer.toTorch({ params: gp, state: {} }, '', gTorch);
  assert.equal(Object.keys(gTorch).sort(), Object.keys(c.grads).sort(), `${what}: gradient entries`);
  for (const [k, v] of Object.entries(c.grads)) allClose(read(gTorch[k]), v[0], TOL, `${what}: gradient of ${k}`);
}

for (const [name, c] of Object.entries(cases)) E(`${name} matches PyTorch's nn.${name.replace(/_.*/, '')} (output, input and weight gradients)`, () => check(name, c, false));
for (const name of ['conv3d_groups_dilated', 'ct3d_groups', 'avgpool3d_exclude_pad']) E(`${name} under jit`, () => check(name, cases[name], true));

E('conv3d: one DHWC example equals the batched call (and vmap); fromTorch / toTorch round-trip; the init bound is PyTorch\'s', () => {
  const c = cases.conv3d_strided;
  const layer = makerOf('conv3d')(c);
  const params = paramsOf(layer, c);
  const xs = toLast(tensor(c.x));
  const two = np.concatenate([xs, np.mul(xs, -2)], 0);
  const batched = layer.apply(params, {}, two)[0];
  allClose(read(layer.apply(params, {}, np.squeeze(xs, 0))[0]), read(batched).slice(0, batched.size / 2), { rtol: 1e-6, atol: 1e-6 });
  allClose(read(vmap((x: NdArray) => layer.apply(params, {}, x)[0])(two)), read(batched), { rtol: 1e-6, atol: 1e-6 });
  const out: nn.TorchDict = {};
  layer.toTorch({ params, state: {} }, '', out);
  for (const [k, t] of Object.entries(c.state_dict)) assert.equal(read(out[k]), read(tensor(t)), `round trip ${k}`);
  const w = nn.conv3d({ in: 4, out: 6, kernel: [2, 3, 3], groups: 2 }).init(tf.tensor([0, 7], [2], 'int32') as never).params.w;
  assert.equal(w.shape, [2, 3, 3, 2, 6]);
  const bound = 1 / Math.sqrt(2 * 18);
  const m = Math.max(...read(w).map(Math.abs));
  assert.ok(m <= bound && m > 0.8 * bound, `max |w| ${m} should be just under ${bound}`);
});

E("conv3d: 'SAME' / 'SAME_LOWER' / 'VALID' and explicit sides (Equinox's); convTranspose3d 'SAME' inverts the shape", () => {
  const x = np.reshape(np.cos(np.arange(2 * 5 * 4 * 6 * 1)), [2, 5, 4, 6, 1]);
  const w = np.ones([2, 2, 2, 1, 1]);
  // an even kernel: 'SAME' pads [0, 1] per axis, 'SAME_LOWER' [1, 0]; explicit sides give the same numbers
  const same = nn.F.conv3d(x, w, null, { padding: 'SAME' });
  assert.equal(same.shape, [2, 5, 4, 6, 1]);
  allClose(read(same), read(nn.F.conv3d(x, w, null, { padding: [[0, 1], [0, 1], [0, 1]] })), { rtol: 1e-6, atol: 1e-6 });
  allClose(read(nn.F.conv3d(x, w, null, { padding: 'same_lower' })), read(nn.F.conv3d(x, w, null, { padding: [[1, 0], [1, 0], [1, 0]] })), { rtol: 1e-6, atol: 1e-6 });
  assert.equal(nn.F.conv3d(x, w, null, { padding: 'VALID', stride: 2 }).shape, [2, 2, 2, 3, 1]);
  // a hand-checked entry: the 2x2x2 window sum at the origin
  const x0 = read(x);
  const at = (d: number, h: number, ww: number) => x0[((d * 4 + h) * 6 + ww)];
  const corner = [0, 1].flatMap((d) => [0, 1].flatMap((h) => [0, 1].map((ww) => at(d, h, ww)))).reduce((a, b) => a + b, 0);
  allClose([read(same)[0]], [corner], { rtol: 1e-5, atol: 1e-6 });
  const up = nn.F.convTranspose3d(np.ones([1, 3, 2, 4, 1]), np.ones([3, 3, 3, 1, 1]), null, { stride: 2, padding: 'SAME' });
  assert.equal(up.shape, [1, 6, 4, 8, 1]);
  assert.throws(() => nn.F.conv3d(x, np.ones([2, 2, 2, 3, 1]), null), /^conv3d: expected w \[kd, kh, kw, 1\/groups, out\] for input \[2,5,4,6,1\] \(NDHWC\) and groups 1, got w \[2,2,2,3,1\]$/);
  assert.throws(() => nn.conv3d({ in: 1, out: 1, kernel: 3, stride: 0 }).apply({ w: np.ones([3, 3, 3, 1, 1]) }, {}, x), /^conv3d: stride must be a positive integer or three, got 0$/);
});

E('3-D pools: one DHWC example; F forms equal the layers', () => {
  const x = np.reshape(np.sin(np.arange(4 * 4 * 4 * 2)), [4, 4, 4, 2]);
  const y = nn.F.maxPool3d(x, { kernel: 2 });
  assert.equal(y.shape, [2, 2, 2, 2]);
  // the first window of channel 0: max over d, h, w in {0, 1} of sin(2 (16 d + 4 h + w))
  const x0 = read(x);
  const first = Math.max(...[0, 1].flatMap((d) => [0, 1].flatMap((h) => [0, 1].map((w) => x0[2 * (16 * d + 4 * h + w)]))));
  allClose([read(y)[0]], [first], { rtol: 1e-6, atol: 1e-6 });
  allClose(read(nn.F.avgPool3d(x, { kernel: [4, 1, 1] })), read(np.mean(x, 0)), { rtol: 1e-5, atol: 1e-6 });
  allClose(read(nn.F.adaptiveAvgPool3d(x, { output: 1 })), read(np.mean(x, [0, 1, 2])), { rtol: 1e-5, atol: 1e-6 });
  allClose(read(nn.F.adaptiveMaxPool3d(x, { output: 1 })), read(np.max(x, [0, 1, 2])), { rtol: 1e-6, atol: 1e-6 });
});

E.run();
