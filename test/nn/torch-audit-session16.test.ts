/**
 * Session 16's audit of nn.F against the behaviour PyTorch's test_nn.py / common_nn.py check, with
 * test/fixtures/torch-nn-audit-session16.json (tools/torch_nn_audit_session16.py, PyTorch 1.13):
 * losses with reductions, weights, ignore_index and label_smoothing together, pos_weight on images,
 * KL with log targets, Poisson / Gaussian options, margin losses; pooling with padding, dilation,
 * ceil_mode, count_include_pad and return_indices (max_unpool round trips), adaptive pools of
 * non-divisible sizes, interpolate, pixel (un)shuffle, padded convolutions, and BatchNorm's cumulative
 * average (momentum=None). Each case checks outputs and input gradients, eager and under jit.
 * PyTorch's images are channels-first; ours channels-last (toLast / toFirst move axis 1).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { NdArray } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { type Enc, close, tensor, toFirst, toLast, torchCases } from './torch-cases.js';

const backend = await useTestBackend();
const S = suite(`nn.F: PyTorch audit, session 16 [${backend}]`);
const F = nn.F;
const { cases, check } = torchCases('torch-nn-audit-session16.json');

/** A fixture input that gets no gradient (class indices as int32, weights as float32). */
const given = (name: string, key: string, dtype: 'float32' | 'int32' = 'float32') => tensor(cases[name].inputs[key], dtype);
const extra = (name: string, key: string) => cases[name][key] as Enc;
const hwio = (w: NdArray) => np.transpose(w, [2, 3, 1, 0]);

S('cross_entropy / nll_loss: ignore_index with label_smoothing and weight, images, probabilities, unbatched', () => {
  check('ce_ls_ignore_mean', ({ x }) => F.crossEntropy(x, given('ce_ls_ignore_mean', 'y', 'int32'), { ignoreIndex: 1, labelSmoothing: 0.2 }));
  const w = given('ce_ls_ignore_weight_mean', 'w');
  const y = given('ce_ls_ignore_mean', 'y', 'int32');
  check('ce_ls_ignore_weight_mean', ({ x }) => F.crossEntropy(x, y, { weight: w, ignoreIndex: 1, labelSmoothing: 0.3 }));
  check('ce_ls_ignore_weight_sum', ({ x }) => F.crossEntropy(x, y, { weight: w, ignoreIndex: 3, labelSmoothing: 0.1, reduction: 'sum' }));
  check('ce_ignore_weight_none', ({ x }) => F.crossEntropy(x, y, { weight: w, ignoreIndex: 2, reduction: 'none' }));
  const yi = given('ce_img_ignore_ls_mean', 'y', 'int32');
  check('ce_img_ignore_ls_mean', ({ x }) => F.crossEntropy(x, yi, { ignoreIndex: 0, labelSmoothing: 0.25 }));
  check('ce_img_prob_weight_ls_sum', ({ x }) => F.crossEntropy(x, given('ce_img_prob_weight_ls_sum', 't'), { weight: given('ce_img_prob_weight_ls_sum', 'w'), labelSmoothing: 0.15, reduction: 'sum' }));
  check('ce_unbatched_prob_none', ({ x }) => F.crossEntropy(x, given('ce_unbatched_prob_none', 't'), { reduction: 'none', labelSmoothing: 0.1 }));
  check('ce_unbatched_index_ls', ({ x }) => F.crossEntropy(x, given('ce_unbatched_index_ls', 'y', 'int32'), { labelSmoothing: 0.2 }));
  const wn = given('nll_img_weight_ignore_none', 'w');
  check('nll_img_weight_ignore_none', ({ x }) => F.nllLoss(x, given('nll_img_weight_ignore_none', 'y', 'int32'), { weight: wn, ignoreIndex: 2, reduction: 'none' }));
});

S('binary_cross_entropy(_with_logits): broadcast weights, pos_weight [C, 1, 1] on images, both together', () => {
  check('bce_weight_row_sum', ({ p }) => F.binaryCrossEntropy(p, given('bce_weight_row_sum', 't'), { weight: given('bce_weight_row_sum', 'w'), reduction: 'sum' }));
  check('bce_weight_col_none', ({ p }) => F.binaryCrossEntropy(p, given('bce_weight_col_none', 't'), { weight: given('bce_weight_col_none', 'w'), reduction: 'none' }));
  check('bcel_pos_weight_img_mean', ({ x }) => F.binaryCrossEntropyWithLogits(x, given('bcel_pos_weight_img_mean', 't'), { posWeight: given('bcel_pos_weight_img_mean', 'pw') }));
  const n = 'bcel_weight_pos_weight_sum';
  check(n, ({ x }) => F.binaryCrossEntropyWithLogits(x, given(n, 't'), { weight: given(n, 'w'), posWeight: given(n, 'pw'), reduction: 'sum' }));
});

S('smooth_l1 beta, huber delta, l1; kl_div log_target batchmean, zero targets, 3-d; poisson full; gaussian var shapes and clamp', () => {
  check('smooth_l1_beta2_sum', ({ a, b }) => F.smoothL1Loss(a, b, { beta: 2, reduction: 'sum' }));
  check('huber_delta25_none', ({ a, b }) => F.huberLoss(a, b, { delta: 2.5, reduction: 'none' }));
  check('l1_bcast_mean', ({ a, b }) => F.l1Loss(a, b));
  check('kl_log_target_batchmean', ({ i }) => F.klDiv(i, given('kl_log_target_batchmean', 't'), { reduction: 'batchmean', logTarget: true }));
  check('kl_zero_target_sum', ({ i }) => F.klDiv(i, given('kl_zero_target_sum', 't'), { reduction: 'sum' }));
  check('kl_none_3d', ({ i }) => F.klDiv(i, given('kl_none_3d', 't'), { reduction: 'none' }));
  check('poisson_rate_eps_full_mean', ({ r }) => F.poissonNllLoss(r, given('poisson_rate_eps_full_mean', 't'), { logInput: false, full: true, eps: 0.1 }));
  check('poisson_log_full_sum', ({ r }) => F.poissonNllLoss(r, given('poisson_log_full_sum', 't'), { full: true, reduction: 'sum' }));
  check('gaussian_var_vec_full_sum', ({ i, v }) => F.gaussianNllLoss(i, given('gaussian_var_vec_full_sum', 't'), v, { full: true, reduction: 'sum' }));
  check('gaussian_var_clamped_none', ({ i, v }) => F.gaussianNllLoss(i, given('gaussian_var_clamped_none', 't'), v, { eps: 0.05, reduction: 'none' }));
});

S('margin losses: ranking, hinge embedding, cosine embedding (unbatched too), multi-margin p=2, multilabel, triplet p=1, soft margin', () => {
  check('margin_ranking_m05_sum', ({ a, b }) => F.marginRankingLoss(a, b, given('margin_ranking_m05_sum', 'y'), { margin: 0.5, reduction: 'sum' }));
  check('hinge_embedding_m2_sum', ({ a }) => F.hingeEmbeddingLoss(a, given('hinge_embedding_m2_sum', 'y'), { margin: 2, reduction: 'sum' }));
  check('cosine_embedding_unbatched', ({ a, b }) => F.cosineEmbeddingLoss(a, b, given('cosine_embedding_unbatched', 'y'), { margin: -0.2 }));
  check('cosine_embedding_m03_sum', ({ a, b }) => F.cosineEmbeddingLoss(a, b, given('cosine_embedding_m03_sum', 'y'), { margin: 0.3, reduction: 'sum' }));
  const mm = 'multi_margin_p2_m05_weight_sum';
  check(mm, ({ x }) => F.multiMarginLoss(x, given(mm, 'y', 'int32'), { p: 2, margin: 0.5, weight: given(mm, 'w'), reduction: 'sum' }));
  check('multilabel_margin_none_2d', ({ x }) => F.multilabelMarginLoss(x, given('multilabel_margin_none_2d', 'y', 'int32'), { reduction: 'none' }));
  const ms = 'multilabel_soft_weight_none';
  check(ms, ({ x }) => F.multilabelSoftMarginLoss(x, given(ms, 't'), { weight: given(ms, 'w'), reduction: 'none' }));
  check('triplet_p1_m2_sum', ({ a, p, n }) => F.tripletMarginLoss(a, p, n, { margin: 2, p: 1, reduction: 'sum' }));
  check('soft_margin_sum_3d', ({ x }) => F.softMarginLoss(x, given('soft_margin_sum_3d', 'y'), { reduction: 'sum' }));
});

/** A pooling case's values and its int32 indices (PyTorch's, channels first) against ours. */
function checkIndexed(name: string, f: (x: NdArray) => [NdArray, NdArray]): void {
  check(name, ({ x }) => toFirst(f(toLast(x))[0]));
  close(toFirst(f(toLast(given(name, 'x')))[1]), (cases[name].extra_out as Enc[])[0], `${name}: indices`, { rtol: 0, atol: 0 });
}

S('max / avg pooling: dilation with padding, ceil_mode, count_include_pad=False, return_indices; max_unpool round trips', () => {
  checkIndexed('maxpool2d_dil2_pad1_idx', (x) => F.maxPool2d(x, { kernel: 3, stride: 2, padding: 1, dilation: 2, returnIndices: true }));
  checkIndexed('maxpool2d_k3_s2_p1_ceil_idx', (x) => F.maxPool2d(x, { kernel: 3, stride: 2, padding: 1, ceilMode: true, returnIndices: true }));
  checkIndexed('maxpool1d_k3_s2_p1_ceil_idx', (x) => F.maxPool1d(x, { kernel: 3, stride: 2, padding: 1, ceilMode: true, returnIndices: true }));
  checkIndexed('adaptive_max2d_idx_7x6_to_4x4', (x) => F.adaptiveMaxPool2d(x, { output: [4, 4], returnIndices: true }));
  const idx = toLast(tensor(extra('unpool2d_pad1_roundtrip', 'indices'), 'int32'));
  check('unpool2d_pad1_roundtrip', ({ v }) => toFirst(F.maxUnpool2d(toLast(v), idx, { kernel: 3, stride: 2, padding: 1, outputSize: [7, 6] })));
  const idx2 = toLast(tensor(extra('unpool2d_rect_default_size', 'indices'), 'int32'));
  check('unpool2d_rect_default_size', ({ v }) => toFirst(F.maxUnpool2d(toLast(v), idx2, { kernel: [2, 3], stride: [2, 2] })));
  check('avgpool2d_k3_s2_p1_ceil_excl', ({ x }) => toFirst(F.avgPool2d(toLast(x), { kernel: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false })));
  check('avgpool2d_rect_p_incl', ({ x }) => toFirst(F.avgPool2d(toLast(x), { kernel: [3, 2], stride: [1, 2], padding: [1, 1] })));
  check('avgpool1d_k4_s3_p2_ceil_excl', ({ x }) => toFirst(F.avgPool1d(toLast(x), { kernel: 4, stride: 3, padding: 2, ceilMode: true, countIncludePad: false })));
  check('adaptive_avg2d_7x6_to_5x4', ({ x }) => toFirst(F.adaptiveAvgPool2d(toLast(x), { output: [5, 4] })));
  check('adaptive_avg1d_9_to_4', ({ x }) => toFirst(F.adaptiveAvgPool1d(toLast(x), { output: 4 })));
  check('lppool2d_p1_5_s1', ({ x }) => toFirst(F.lpPool2d(toLast(x), { normType: 1.5, kernel: 2, stride: 1 })));
});

S('interpolate: sizes and per-axis scale factors, nearest-exact / area downsampling, volumes (trilinear); pixel (un)shuffle', () => {
  const i = (name: string, opts: Parameters<typeof F.interpolate>[1]) => check(name, ({ x }) => toFirst(F.interpolate(toLast(x), opts)));
  i('interp_bilinear_size_ac', { size: [5, 4], mode: 'bilinear', alignCorners: true });
  i('interp_bicubic_s1_5', { scaleFactor: 1.5, mode: 'bicubic' });
  i('interp_nearest_s_pair', { scaleFactor: [2, 0.5] });
  i('interp_bilinear_s_pair', { scaleFactor: [1.5, 0.7], mode: 'bilinear' });
  i('interp_nearest_exact_down', { size: [2, 3], mode: 'nearest-exact' });
  i('interp_area_down_odd', { size: [2, 3], mode: 'area' });
  // volumes [N, D, H, W, C]: 'trilinear', and 'nearest' / 'area' over three axes
  i('interp_trilinear_size', { size: [3, 2, 5], mode: 'trilinear' });
  i('interp_trilinear_s_ac', { scaleFactor: [1.5, 2, 0.75], mode: 'trilinear', alignCorners: true });
  i('interp_nearest_3d', { scaleFactor: [2, 1, 0.5] });
  i('interp_area_3d', { size: [1, 2, 3], mode: 'area' });
  assert.throws(() => F.interpolate(np.ones([1, 2, 2, 2, 1]), { size: 3, mode: 'bilinear' }), /interpolate: mode 'bilinear' needs \[N, H, W, C\] \(channels last\), got \[1,2,2,2,1\]/);
  assert.throws(() => F.interpolate(np.ones([1, 2, 2, 1]), { size: 3, mode: 'trilinear' }), /mode 'trilinear' needs \[N, D, H, W, C\]/);
  close(toFirst(F.pixelShuffle(toLast(given('pixel_shuffle_3', 'x')), 3)), cases.pixel_shuffle_3.out, 'pixel_shuffle_3');
  close(toFirst(F.pixelUnshuffle(toLast(given('pixel_unshuffle_2_rect', 'x')), 2)), cases.pixel_unshuffle_2_rect.out, 'pixel_unshuffle_2_rect');
});

S('conv2d / conv1d padding modes reflect / circular / replicate with stride and dilation: F and the layer as PyTorch', () => {
  for (const [mode, stride, dil] of [['reflect', 2, 1], ['circular', 1, 2], ['replicate', 2, 2]] as const) {
    const name = `conv2d_${mode}_s${stride}_d${dil}`;
    check(name, ({ x, b }) => toFirst(F.conv2d(toLast(x), hwio(given(name, 'w')), b, { stride, dilation: dil, padding: 2, paddingMode: mode })));
    const layer = nn.conv2d({ in: 2, out: 3, kernel: 3, stride, dilation: dil, padding: 2, paddingMode: mode });
    const params = { w: hwio(given(name, 'w')), b: given(name, 'b') };
    close(toFirst(layer.apply(params, {}, toLast(given(name, 'x')))[0]), cases[name].out, `${name}: the layer`);
  }
  const c1 = 'conv1d_circular_groups';
  const w1 = np.transpose(tensor(extra(c1, 'w')), [2, 1, 0]);
  check(c1, ({ x }) => toFirst(F.conv1d(toLast(x), w1, tensor(extra(c1, 'b')), { padding: 2, paddingMode: 'circular', groups: 2 })));
});

S('batchNorm: momentum null is the cumulative average over the training batches; [N, C, L] training with momentum 0.3', () => {
  const c = cases.bn_cumulative;
  const bn = nn.batchNorm({ features: 3, momentum: null });
  let { params, state } = bn.init(random.key(0));
  for (const k of ['x0', 'x1']) state = bn.apply(params, state, toLast(tensor(c.inputs[k])), { train: true })[1];
  close(state.mean, extra('bn_cumulative', 'running_mean'), 'running mean');
  close(state.var, extra('bn_cumulative', 'running_var'), 'running var');
  assert.is((state as { numBatchesTracked?: NdArray }).numBatchesTracked?.dataSync()[0], c.num_batches as number, 'batches tracked');
  close(toFirst(bn.apply(params, state, toLast(tensor(c.inputs.x2)))[0]), c.out, 'eval output');
  const bn1 = nn.batchNorm({ features: 2, momentum: 0.3 });
  const v = bn1.init(random.key(0));
  const n = 'bn1d_3d_train_m03';
  check(n, ({ x }) => toFirst(bn1.apply(v.params, v.state, toLast(x), { train: true })[0]));
  const [, s1] = bn1.apply(v.params, v.state, toLast(given(n, 'x')), { train: true });
  close(s1.mean, extra(n, 'running_mean'), `${n}: running mean`);
  close(s1.var, extra(n, 'running_var'), `${n}: running var`);
});

S("F.logsigmoid is PyTorch's spelling of F.logSigmoid", async () => {
  const x = np.array([-30, -1, 0, 2, 40]);
  const got = await F.logsigmoid(x).data();
  const want = await F.logSigmoid(x).data();
  assert.equal(Array.from(got), Array.from(want));
  assert.ok(Math.abs(got[1] - Math.log(1 / (1 + Math.E))) < 1e-6);
});

S.run();
