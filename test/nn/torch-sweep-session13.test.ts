/**
 * Session 13's PyTorch sweep, against test/fixtures/nn_session13.json (tools/torch-fixtures-nn-session13.py,
 * PyTorch 1.13): max pooling's dilation and return_indices, LP pooling, avg_pool2d's ceil_mode corners,
 * BatchNorm(track_running_stats=False), LayerNorm without bias, nn.MultiheadAttention with
 * batch_first=False, Embedding(scale_grad_by_freq), the multilabel losses and conv padding='same'
 * with even kernels. Each case checks outputs and the gradients of sum(out * cos(0.37 i + 0.1)),
 * eager and under jit. PyTorch's inputs are channels-first; ours channels-last.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';
import { type Enc, close, tensor, toFirst, toLast, torchCases } from './torch-cases.js';

const backend = await useTestBackend();
const S = suite(`nn: PyTorch sweep, session 13 [${backend}]`);
const F = nn.F;

const { cases, check } = torchCases('nn_session13.json');
const reader = (sd: Record<string, Enc>) => new nn.TorchReader(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, tensor(t)])));

// ---------------------------------------------------------------- pooling
const POOLS: Record<string, (x: NdArray) => NdArray> = {
  maxpool2d_dil2: (x) => nn.maxPool2d({ kernel: 3, stride: 1, padding: 1, dilation: 2 }).apply({}, {}, x)[0],
  maxpool2d_dil2_s2_ceil: (x) => F.maxPool2d(x, { kernel: [3, 2], stride: 2, padding: 1, dilation: [2, 3], ceilMode: true }),
  maxpool2d_idx_ceil: (x) => F.maxPool2d(x, { kernel: 2, stride: 2, padding: 1, ceilMode: true }),
  lppool2d_p2: (x) => nn.lpPool2d({ normType: 2, kernel: [3, 2], stride: 2 }).apply({}, {}, x)[0],
  lppool2d_p3_ceil: (x) => F.lpPool2d(x, { normType: 3, kernel: 2, stride: 2, ceilMode: true }),
  avgpool2d_ceil_nopad: (x) => F.avgPool2d(x, { kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }),
  avgpool2d_ceil_divisor: (x) => F.avgPool2d(x, { kernel: [2, 3], stride: 2, padding: 1, ceilMode: true, divisorOverride: 5 }),
};
for (const [name, f] of Object.entries(POOLS)) S(`${name}: as PyTorch (values, gradients)`, () => check(name, ({ x }) => toFirst(f(toLast(x)))));

const POOLS_1D: Record<string, (x: NdArray) => NdArray> = {
  maxpool1d_dil3_idx: (x) => nn.maxPool1d({ kernel: 3, stride: 2, padding: 1, dilation: 3, ceilMode: true }).apply({}, {}, x)[0],
  lppool1d_p1_5: (x) => nn.lpPool1d({ normType: 1.5, kernel: 3, stride: 2 }).apply({}, {}, x)[0],
};
for (const [name, f] of Object.entries(POOLS_1D)) S(`${name}: as PyTorch (values, gradients)`, () => check(name, ({ x }) => toFirst(f(toLast(x)))));

S('maxPool2d / maxPool1d returnIndices: the flat input position of each maximum, as PyTorch', () => {
  const cfgs: Record<string, nn.MaxPoolConfig> = {
    maxpool2d_dil2: { kernel: 3, stride: 1, padding: 1, dilation: 2 },
    maxpool2d_dil2_s2_ceil: { kernel: [3, 2], stride: 2, padding: 1, dilation: [2, 3], ceilMode: true },
    maxpool2d_idx_ceil: { kernel: 2, stride: 2, padding: 1, ceilMode: true },
  };
  for (const [name, cfg] of Object.entries(cfgs)) {
    const c = cases[name];
    const [values, indices] = F.maxPool2d(toLast(tensor(c.inputs.x)), { ...cfg, returnIndices: true });
    assert.is(indices.dtype, 'int32');
    close(toFirst(values), c.out, `${name}: values`);
    assert.equal(read(toFirst(indices)), c.indices!.data, `${name}: indices`);
    // one example (HWC) gives the same
    const [, one] = F.maxPool2d(np.squeeze(toLast(tensor(c.inputs.x)), 0), { ...cfg, returnIndices: true });
    assert.equal(read(one), read(np.squeeze(indices, 0)), `${name}: one HWC example`);
  }
  const c = cases.maxpool1d_dil3_idx;
  const [v1, i1] = F.maxPool1d(toLast(tensor(c.inputs.x)), { kernel: 3, stride: 2, padding: 1, dilation: 3, ceilMode: true, returnIndices: true });
  close(toFirst(v1), c.out, 'maxPool1d values');
  assert.equal(read(toFirst(i1)), c.indices!.data, 'maxPool1d indices');
});

S('max pooling: a tie goes to the first maximum (row-major), which alone gets the gradient, as PyTorch', () => {
  const x = tf.tensor([1, 3, 3, 0, 2, 3, 1, 3], [1, 2, 4, 1]);
  const [, idx] = F.maxPool2d(x, { kernel: 2, returnIndices: true });
  assert.equal(read(idx), [1, 2]);
  const gradOf = (f: (a: NdArray) => NdArray, a: NdArray) => read(grad((v: NdArray) => np.sum(f(v)))(a));
  assert.equal(gradOf((a) => nn.maxPool2d({ kernel: 2 }).apply({}, {}, a)[0], x), [0, 1, 1, 0, 0, 0, 0, 0], 'maxPool2d');
  assert.equal(gradOf((a) => F.maxPool2d(a, { kernel: 2, dilation: [1, 1], returnIndices: true })[0], x), [0, 1, 1, 0, 0, 0, 0, 0], 'returnIndices');
  assert.equal(gradOf((a) => nn.maxPool2d({ kernel: 2 }).apply({}, {}, a)[0], np.full([1, 2, 2, 1], 3)), [1, 0, 0, 0], 'all equal');
  // torch: F.max_pool2d(x, (2, 3)) and F.adaptive_max_pool2d(x, 1) give [0, 1, 0, 0, 0, 0]; (1, 2) bins overlap: [0, 2, 0, ...]
  const y = tf.tensor([0, 3, 1, 3, 0, 3], [1, 2, 3, 1]);
  assert.equal(gradOf((a) => nn.maxPool2d({ kernel: [2, 3] }).apply({}, {}, a)[0], y), [0, 1, 0, 0, 0, 0], 'maxPool2d 2x3');
  assert.equal(gradOf((a) => nn.adaptiveMaxPool2d({ output: 1 }).apply({}, {}, a)[0], y), [0, 1, 0, 0, 0, 0], 'adaptiveMaxPool2d');
  assert.equal(gradOf((a) => nn.adaptiveMaxPool2d({ output: [1, 2] }).apply({}, {}, a)[0], y), [0, 2, 0, 0, 0, 0], 'adaptiveMaxPool2d overlapping bins');
  assert.equal(gradOf((a) => nn.adaptiveMaxPool1d({ output: 1 }).apply({}, {}, a)[0], np.reshape(y, [1, 6, 1])), [0, 1, 0, 0, 0, 0], 'adaptiveMaxPool1d');
  // a NaN in a window is its maximum, wherever it stands (PyTorch's scan: val > max || isnan(val))
  const withNan = tf.tensor([NaN, 1, 2, 0, 5, 3, NaN, 4], [1, 2, 4, 1]);
  assert.equal(read(nn.maxPool2d({ kernel: 2 }).apply({}, {}, withNan)[0]).map(Number.isNaN), [true, true]);
  assert.equal(read(F.maxPool2d(withNan, { kernel: 2, returnIndices: true })[1]), [0, 6]);
});

// ---------------------------------------------------------------- BatchNorm(track_running_stats=False)
S('batchNorm trackRunningStats false: batch statistics in evaluation too, no state (PyTorch)', () => {
  const c = cases.bn_no_stats_eval;
  const bn = nn.batchNorm({ features: 3, trackRunningStats: false });
  const v = bn.fromTorch(reader({ weight: c.weight as Enc, bias: c.bias as Enc }), '');
  assert.equal(Object.keys(bn.init(random.key(0)).state), []);
  for (const train of [false, true]) {
    check('bn_no_stats_eval', ({ x }) => {
      const [y, s] = bn.apply(v.params, v.state, toLast(x), { train });
      assert.equal(Object.keys(s), [], 'no running statistics');
      return toFirst(y);
    });
  }
  const out: nn.TorchDict = {};
  bn.toTorch(v, '', out);
  assert.equal(Object.keys(out).sort(), c.state_keys as string[], 'the state dict has only weight and bias');
  assert.throws(() => bn.apply(v.params, v.state, np.ones([1, 3])), /more than 1 value per channel/);
});

S('layerNorm bias false: a scale alone over the last axes, as nn.LayerNorm(bias=False)', () => {
  const ln = nn.layerNorm({ features: [2, 3], bias: false });
  const v = ln.init(random.key(0));
  assert.equal(Object.keys(v.params), ['scale']);
  const x = random.normal(random.key(1), [4, 2, 3]);
  const scale = np.reshape(np.arange(0, 6, 1, 'float32'), [2, 3]);
  const [y] = ln.apply({ scale }, {}, x);
  const mu = np.mean(x, [1, 2], true);
  const variance = np.var(x, [1, 2], true);
  allClose(read(y), read(np.mul(np.div(np.sub(x, mu), np.sqrt(np.add(variance, 1e-5))), scale)), { rtol: 1e-5, atol: 1e-5 }, 'values');
  const out: nn.TorchDict = {};
  ln.toTorch({ params: { scale }, state: {} }, 'ln.', out);
  assert.equal(Object.keys(out), ['ln.weight']);
  assert.equal(read(ln.fromTorch(new nn.TorchReader(out as Record<string, tf.Tensor>), 'ln.').params.scale!), read(scale));
});

// ---------------------------------------------------------------- MultiheadAttention, batch_first=False
S('multiheadAttention batchFirst false: [L, N, E] in and out, weights [N, H, L, S] as torch', () => {
  const c = cases.mha_seq_first;
  const mha = nn.multiheadAttention({ embedDim: 8, numHeads: 2, kdim: 6, vdim: 5, batchFirst: false });
  const { params } = mha.fromTorch(reader(c.state_dict as Record<string, Enc>), '');
  const kpm = tf.tensor((c.kpm as Enc).data.map(Boolean), (c.kpm as Enc).shape, 'bool');
  const opts = { keyPaddingMask: kpm, averageAttnWeights: false };
  check('mha_seq_first', ({ query, key, value }) => mha.attend(params, query, key, value, opts).output, { rtol: 1e-4, atol: 2e-5 });
  const { weights } = mha.attend(params, tensor(c.inputs.query), tensor(c.inputs.key), tensor(c.inputs.value), opts);
  close(weights, c.weights as Enc, 'weights', { rtol: 1e-4, atol: 2e-5 });
  const [y] = mha.apply(params, {}, tensor(c.inputs.query), { keyValue: [tensor(c.inputs.key), tensor(c.inputs.value)], keyPaddingMask: kpm });
  close(y, c.out, 'apply', { rtol: 1e-4, atol: 2e-5 });
  assert.throws(() => mha.attend(params, np.ones([4, 2, 8]), np.ones([2, 3, 6]), np.ones([3, 2, 5, 1])), /batchFirst false.*\[L, N, E\]/);
});

// ---------------------------------------------------------------- Embedding(scale_grad_by_freq)
S('embedding scaleGradByFreq: each row gradient divided by its count, as PyTorch (with paddingIdx)', () => {
  for (const [name, paddingIdx] of [['emb_freq', undefined], ['emb_freq_pad', 3]] as const) {
    const c = cases[name];
    const emb = nn.embedding({ num: 6, dim: 3, scaleGradByFreq: true, paddingIdx });
    const idx = tensor(c.idx as Enc, 'int32');
    check(name, ({ w }) => emb.apply({ w }, {}, idx)[0]);
  }
});

// ---------------------------------------------------------------- multilabel losses
S('multilabelSoftMarginLoss: as F.multilabel_soft_margin_loss (weight, reductions)', () => {
  check('mlsm_mean', ({ x, y }) => F.multilabelSoftMarginLoss(x, y));
  check('mlsm_weight_none', ({ x, y, weight }) => F.multilabelSoftMarginLoss(x, y, { weight, reduction: 'none' }));
  check('mlsm_weight_sum', ({ x, y, weight }) => F.multilabelSoftMarginLoss(x, y, { weight, reduction: 'sum' }));
  assert.throws(() => F.multilabelSoftMarginLoss(np.ones([2, 3]), np.ones([2, 3]), { weight: np.ones([2]) }), /weight must be \[3\]/);
});

S('multilabelMarginLoss: as F.multilabel_margin_loss (targets end at the first -1)', () => {
  const t = (name: string) => tensor(cases[name].target as Enc, 'int32');
  check('mlm_mean', ({ x }) => F.multilabelMarginLoss(x, t('mlm_mean')));
  check('mlm_none', ({ x }) => F.multilabelMarginLoss(x, t('mlm_none'), { reduction: 'none' }));
  check('mlm_1d', ({ x }) => F.multilabelMarginLoss(x, t('mlm_1d')));
  assert.throws(() => F.multilabelMarginLoss(np.ones([2, 3]), np.ones([2, 3])), /target must be int32/);
});

// ---------------------------------------------------------------- conv padding='same', even kernels
const CONVS: Record<string, () => nn.Layer> = {
  conv2d_same_k4_d2_reflect: () => nn.conv2d({ in: 2, out: 3, kernel: [4, 2], padding: 'same', dilation: [1, 2], paddingMode: 'reflect' }),
  conv2d_same_k4_circular: () => nn.conv2d({ in: 2, out: 2, kernel: 4, padding: 'same', paddingMode: 'circular' }),
  conv2d_same_k2_depthwise: () => nn.conv2d({ in: 2, out: 4, kernel: 2, padding: 'same', groups: 2 }),
  conv1d_same_k4_replicate: () => nn.conv1d({ in: 2, out: 3, kernel: 4, padding: 'same', dilation: 2, paddingMode: 'replicate' }),
};
for (const [name, make] of Object.entries(CONVS))
  S(`${name}: PyTorch's padding='same' (the extra pad after) and padding_mode`, () => {
    const layer = make();
    const { params } = layer.fromTorch(reader(cases[name].state_dict as Record<string, Enc>), '');
    check(name, ({ x }) => toFirst(layer.apply(params, {}, toLast(x))[0]), { rtol: 1e-4, atol: 2e-5 });
  });

S.run();
