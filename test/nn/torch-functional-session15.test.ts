/**
 * Session 15's torch.nn.functional names, against test/fixtures/nn_functional_session15.json
 * (tools/torch_functional_session15.py, PyTorch 1.13): the shrink / threshold / softmin / rrelu /
 * prelu activations, hardtanh's range, channel_shuffle, local_response_norm, pdist,
 * cosine_similarity, triplet_margin_with_distance_loss, unfold / fold, affine_grid and grid_sample.
 * Each case checks outputs and the gradients of sum(out · cos(0.37 i + 0.1)), eager and under jit.
 * PyTorch's images are channels-first; ours channels-last (toLast / toFirst move axis 1).
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
const S = suite(`nn.F: torch.nn.functional names, session 15 [${backend}]`);
const F = nn.F;

const { cases, check } = torchCases('nn_functional_session15.json');
const layers = torchCases('nn_functional_layers_session15.json');

S('hardshrink, softshrink, tanhshrink, threshold, softmin, rrelu (eval), hardtanh range, prelu: as PyTorch', () => {
  check('hardshrink', ({ x }) => F.hardshrink(x));
  check('hardshrink_1', ({ x }) => F.hardshrink(x, 1));
  check('softshrink', ({ x }) => F.softshrink(x));
  check('softshrink_1_2', ({ x }) => F.softshrink(x, 1.2));
  check('tanhshrink', ({ x }) => F.tanhshrink(x));
  check('threshold', ({ x }) => F.threshold(x, 0.1, 20));
  check('softmin_last', ({ x }) => F.softmin(x));
  check('softmin_0', ({ x }) => F.softmin(x, 0));
  check('rrelu_eval', ({ x }) => F.rrelu(x));
  check('rrelu_eval_bounds', ({ x }) => F.rrelu(x, { lower: 0.1, upper: 0.5 }));
  check('hardtanh_range', ({ x }) => F.hardTanh(x, -0.5, 2));
  // PyTorch's prelu weight is per channel on axis 1; ours on the last axis
  check('prelu_channels', ({ x, w }) => toFirst(F.prelu(toLast(x), w)));
  check('prelu_one', ({ x, w }) => toFirst(F.prelu(toLast(x), w)));
  assert.throws(() => F.prelu(tf.ones([2, 3]), tf.ones([2])), /prelu: weight \[2\] must have 1 or 3/);
  assert.throws(() => F.softshrink(tf.ones([2]), -1), /lambd must be >= 0/);
});

S('rrelu in training draws slopes in [lower, upper] with the key; gumbelSoftmax soft and straight-through hard', () => {
  const x = np.negative(np.ones([2000]));
  const y = read(F.rrelu(x, { training: true, key: random.key(3), lower: 0.2, upper: 0.4 }));
  assert.ok(y.every((v) => v <= -0.2 && v >= -0.4), 'slopes within the bounds');
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  assert.ok(Math.abs(mean + 0.3) < 0.01, `mean slope ${-mean} near 0.3`);
  assert.throws(() => F.rrelu(x, { training: true }), /needs a key/);
  const logits = tf.tensor([[1, 2, 0.5], [0.1, -1, 3]]);
  const key = random.key(7);
  const g = random.gumbel(key, [2, 3]);
  close(F.gumbelSoftmax(key, logits, { tau: 0.5 }), { data: read(np.softmax(np.div(np.add(logits, g), 0.5), -1)), shape: [2, 3] }, 'soft sample');
  const hard = F.gumbelSoftmax(key, logits, { tau: 0.5, hard: true });
  const arg = read(np.argmax(np.add(logits, g), -1));
  assert.equal(read(hard), arg.flatMap((a) => [0, 1, 2].map((j) => (j === a ? 1 : 0))), 'one-hot of the argmax');
  // the straight-through gradient is the soft sample's
  const w = tf.tensor([[0.3, -1, 2], [1, 0.5, -0.2]]);
  const gh = grad((l: NdArray) => np.sum(np.mul(F.gumbelSoftmax(key, l, { tau: 0.5, hard: true }), w)))(logits);
  const gs = grad((l: NdArray) => np.sum(np.mul(F.gumbelSoftmax(key, l, { tau: 0.5 }), w)))(logits);
  allClose(read(gh), read(gs), { atol: 1e-6 }, 'hard gradient');
  assert.equal(read(np.sum(F.gumbelSoftmax(key, logits, { axis: 0 }), 0)).map((v) => Math.round(v * 1e5) / 1e5), [1, 1, 1]);
});

S('channelShuffle and localResponseNorm, channels last, as PyTorch', () => {
  const c = cases.channel_shuffle;
  close(toFirst(F.channelShuffle(toLast(tensor(c.inputs.x)), 3)), c.out, 'channel_shuffle');
  check('lrn_3', ({ x }) => toFirst(F.localResponseNorm(toLast(x), 3)));
  check('lrn_4_opts', ({ x }) => toFirst(F.localResponseNorm(toLast(x), 4, { alpha: 0.5, beta: 0.6, k: 2 })));
  check('lrn_2_rank3', ({ x }) => toFirst(F.localResponseNorm(toLast(x), 2, { alpha: 1 })));
  assert.throws(() => F.channelShuffle(tf.ones([1, 2, 2, 5]), 2), /divisible by groups 2/);
});

S('pdist (p 2, 1, 3, inf; zero distance), cosineSimilarity (dim, broadcast, eps), tripletMarginWithDistanceLoss', () => {
  for (const name of Object.keys(cases).filter((k) => k.startsWith('pdist_'))) {
    const p = cases[name].p === 'inf' ? Infinity : (cases[name].p as number);
    check(name, ({ x }) => F.pdist(x, p));
  }
  check('cosine_default', ({ a, b }) => F.cosineSimilarity(a, b));
  check('cosine_dim0_bcast', ({ a, b }) => F.cosineSimilarity(a, b, { dim: 0 }));
  check('cosine_dim0_bcast_on_dim', ({ a, b }) => F.cosineSimilarity(a, b, { dim: 0 }));
  check('cosine_small_eps', ({ a, b }) => F.cosineSimilarity(a, b, { dim: -1, eps: 0.5 }));
  check('triplet_dist_default', ({ a, p, n }) => F.tripletMarginWithDistanceLoss(a, p, n));
  const cosd = (u: NdArray, v: NdArray) => np.sub(1, F.cosineSimilarity(u, v));
  check('triplet_dist_cos_swap_sum', ({ a, p, n }) => F.tripletMarginWithDistanceLoss(a, p, n, { distanceFunction: cosd, margin: 0.5, swap: true, reduction: 'sum' }));
});

S('unfold / fold channels last: columns [N, L, C·kh·kw] with PyTorch’s feature order, options as PyTorch', () => {
  check('unfold_k2', ({ x }) => toFirst(F.unfold(toLast(x), 2)));
  const opts = { dilation: [1, 2], padding: [1, 0], stride: [2, 1] } as const;
  check('unfold_opts', ({ x }) => toFirst(F.unfold(toLast(x), [2, 3], opts)));
  check('fold_k2_s1', ({ c }) => toFirst(F.fold(toLast(c), [4, 5], 2)));
  check('fold_opts', ({ c }) => toFirst(F.fold(toLast(c), [5, 6], [2, 3], opts)));
  const x = tensor(cases.unfold_k2.inputs.x);
  assert.equal(F.unfold(np.squeeze(toLast(x), 0), 2).shape, [20, 8], 'one example [H, W, C]');
  assert.throws(() => F.fold(tf.ones([1, 5, 8]), [4, 5], 2), /must be \[N, 12 \(the blocks\)/);
});

S('affineGrid and gridSample (bilinear / nearest × zeros / border / reflection × alignCorners) as PyTorch', () => {
  for (const ac of [false, true]) {
    const name = ac ? 'affine_grid_True' : 'affine_grid_False';
    const size = cases[name].size as number[];
    check(name, ({ t }) => F.affineGrid(t, [size[0], size[2], size[3], size[1]], ac));
  }
  const names = Object.keys(cases).filter((k) => k.startsWith('grid_'));
  assert.equal(names.length, 12);
  for (const name of names) {
    const c = cases[name];
    const opts = { mode: c.mode as nn.F.GridSampleMode, paddingMode: c.padding_mode as nn.F.GridPaddingMode, alignCorners: c.align_corners as boolean };
    check(name, ({ x, g }) => toFirst(F.gridSample(toLast(x), g, opts)), { rtol: 1e-4, atol: 1e-4 });
  }
  assert.throws(() => F.gridSample(tf.ones([1, 2, 2, 1]), tf.ones([1, 2, 2, 3])), /grid must be \[1, Ho, Wo, 2\]/);
});

S('F.conv2d / conv1d / convTranspose1d with explicit weights (PyTorch’s weights transposed), channels last', () => {
  const { check: c } = layers;
  const hwio = (w: NdArray) => np.transpose(w, [2, 3, 1, 0]);
  c('conv2d_opts', ({ x, w, b }) => toFirst(F.conv2d(toLast(x), hwio(w), b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 })));
  c('conv2d_same', ({ x, w }) => toFirst(F.conv2d(toLast(x), hwio(w), null, { padding: 'same' })));
  c('conv1d_opts', ({ x, w, b }) => toFirst(F.conv1d(toLast(x), np.transpose(w, [2, 1, 0]), b, { stride: 2, padding: 1, dilation: 2, groups: 2 })));
  c('conv_transpose1d_opts', ({ x, w, b }) => toFirst(F.convTranspose1d(toLast(x), np.transpose(w, [2, 0, 1]), b, { stride: 2, padding: 1, outputPadding: 1, groups: 2 })));
  assert.throws(() => F.conv2d(tf.ones([1, 4, 4, 3]), tf.ones([3, 3, 3])), /conv2d: w must be \[kh, kw, in\/groups, out\]/);
});

S('F.groupNorm, instanceNorm, batchNorm (running statistics; training), maxUnpool2d, bilinear: as PyTorch', () => {
  const { cases: lc, check: c } = layers;
  c('group_norm', ({ x, w, b }) => toFirst(F.groupNorm(toLast(x), 2, w, b)));
  c('instance_norm', ({ x, w, b }) => toFirst(F.instanceNorm(toLast(x), { weight: w, bias: b, eps: 1e-3 })));
  const rm = tensor(lc.batch_norm_eval.running_mean as Enc);
  const rv = tensor(lc.batch_norm_eval.running_var as Enc);
  c('batch_norm_eval', ({ x, w, b }) => toFirst(F.batchNorm(toLast(x), rm, rv, { weight: w, bias: b })));
  c('batch_norm_train', ({ x, w, b }) => toFirst(F.batchNorm(toLast(x), null, null, { weight: w, bias: b, training: true, eps: 1e-3 })));
  const idx = toLast(tensor(lc.max_unpool2d.indices as Enc, 'int32'));
  c('max_unpool2d', ({ v }) => toFirst(F.maxUnpool2d(toLast(v), idx, { kernel: 2, stride: 2, outputSize: [4, 5] })));
  // our maxPool2d's indices are PyTorch's
  const [, ours] = F.maxPool2d(toLast(tensor(lc.max_unpool2d.x as Enc)), { kernel: 2, returnIndices: true });
  assert.equal(read(ours), read(idx), 'F.maxPool2d returnIndices');
  c('bilinear', ({ a, b, w, c: bias }) => F.bilinear(a, b, w, bias));
  assert.throws(() => F.batchNorm(tf.ones([2, 3]), null, null), /needs runningMean and runningVar/);
  assert.throws(() => F.groupNorm(tf.ones([2, 3, 5]), 2), /divisible by groups 2/);
});

S('channel dropouts zero whole channels; alphaDropout keeps SELU statistics with PyTorch’s affine map', () => {
  const x = np.add(np.ones([4, 3, 3, 50]), 0);
  const y = F.dropout2d(random.key(1), x, 0.4);
  const v = read(y);
  for (let n = 0; n < 4; n++)
    for (let ch = 0; ch < 50; ch++) {
      const vals = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((p) => v[(n * 9 + p) * 50 + ch]);
      assert.ok(vals.every((q) => q === vals[0]) && (vals[0] === 0 || Math.abs(vals[0] - 1 / 0.6) < 1e-6), 'one mask per example and channel');
    }
  assert.equal(F.dropout1d(random.key(1), tf.ones([5, 4]), 0.5).shape, [5, 4], 'one example [L, C]');
  const alpha = -1.0507009873554805 * 1.6732632423543772;
  const p = 0.2;
  const a = 1 / Math.sqrt((1 - p) * (1 + p * alpha * alpha));
  const xs = random.normal(random.key(2), [20000]);
  const ys = read(F.alphaDropout(random.key(3), xs, p));
  const xv = read(xs);
  let dropped = 0;
  ys.forEach((q, i) => {
    const kept = Math.abs(q - (a * xv[i] - a * alpha * p)) < 1e-5;
    if (!kept) dropped++, assert.ok(Math.abs(q - (a * alpha - a * alpha * p)) < 1e-5, `entry ${i} is kept or dropped`);
  });
  assert.ok(Math.abs(dropped / 20000 - p) < 0.015, `dropped fraction ${dropped / 20000}`);
  const mean = ys.reduce((s, q) => s + q, 0) / ys.length;
  const variance = ys.reduce((s, q) => s + (q - mean) ** 2, 0) / ys.length;
  assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance} kept at 0, 1`);
});

S('regressions: interpolate recomputeScaleFactor, gelu approximate "none" / "tanh", pairwiseDistance keepdim', () => {
  const { check: c } = layers;
  c('interp_bilinear_recompute', ({ x }) => toFirst(F.interpolate(toLast(x), { scaleFactor: 1.5, mode: 'bilinear', recomputeScaleFactor: true })));
  c('interp_nearest_recompute', ({ x }) => toFirst(F.interpolate(toLast(x), { scaleFactor: 1.7, recomputeScaleFactor: true })));
  c('gelu_none', ({ x }) => F.gelu(x, { approximate: 'none' }));
  c('gelu_tanh', ({ x }) => F.gelu(x, { approximate: 'tanh' }));
  c('pairwise_keepdim', ({ a, b }) => F.pairwiseDistance(a, b, { p: 1.5, keepdim: true }));
});

S('F.upsampleBilinear (alignCorners true) / upsampleNearest / upsample, and maxUnpool1d, as PyTorch', () => {
  const { cases: lc, check: c } = layers;
  c('upsample_bilinear', ({ x }) => toFirst(F.upsampleBilinear(toLast(x), { scaleFactor: 2 })));
  c('upsample_nearest', ({ x }) => toFirst(F.upsampleNearest(toLast(x), { size: [5, 7] })));
  c('upsample_nearest', ({ x }) => toFirst(F.upsample(toLast(x), { size: [5, 7] })));
  const idx = toLast(tensor(lc.max_unpool1d.indices as Enc, 'int32'));
  const [, ours] = F.maxPool1d(toLast(tensor(lc.max_unpool1d.x as Enc)), { kernel: 2, returnIndices: true });
  assert.equal(read(ours), read(idx), 'F.maxPool1d returnIndices');
  c('max_unpool1d', ({ v }) => toFirst(F.maxUnpool1d(toLast(v), idx, { kernel: 2, outputSize: 7 })));
});

S.run();
