/**
 * Session 14's PyTorch gaps, against test/fixtures/nn_session14.json (tools/torch_session14_fixtures.py,
 * PyTorch 1.13): F.embedding_bag / nn.EmbeddingBag (modes, offsets, 2-D input, per_sample_weights,
 * padding_idx, include_last_offset, max_norm), InstanceNorm with track_running_stats, and adaptive max
 * pooling with return_indices. Each case checks outputs and the gradients of sum(out · cos(0.37 i + 0.1)),
 * eager and under jit. PyTorch's inputs are channels-first; ours channels-last.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';
import { type Enc, close, cotangent, tensor, toFirst, toLast, torchCases } from './torch-cases.js';

const backend = await useTestBackend();
const S = suite(`nn: PyTorch gaps, session 14 [${backend}]`);
const F = nn.F;

const { cases, check } = torchCases('nn_session14.json');

// ---------------------------------------------------------------- EmbeddingBag
const bagCases = Object.keys(cases).filter((k) => k.startsWith('bag_') && k !== 'bag_module_init');

S('F.embeddingBag: sum / mean / max, offsets, 2-D input, paddingIdx, includeLastOffset, perSampleWeights, maxNorm, as PyTorch', () => {
  assert.ok(bagCases.length >= 11, 'every fixture case is checked');
  for (const name of bagCases) {
    const c = cases[name];
    const input = tensor(c.input as Enc, 'int32');
    const offsets = c.offsets ? tensor(c.offsets as Enc, 'int32') : undefined;
    const opts = {
      mode: c.mode as nn.EmbeddingBagMode,
      offsets,
      paddingIdx: c.padding_idx as number | undefined,
      includeLastOffset: name.includes('last_offset'),
      maxNorm: name.includes('maxnorm') ? 1.5 : undefined,
    };
    check(name, ({ weight, psw }) => F.embeddingBag(input, weight, { ...opts, perSampleWeights: psw }));
  }
});

S('nn.embeddingBag layer: apply takes offsets and perSampleWeights; padding row zero at init; PyTorch names', () => {
  const c = cases.bag_sum_psw_2d_pad;
  const layer = nn.embeddingBag({ num: 7, dim: 3, mode: 'sum', paddingIdx: 6 });
  const w = tensor(c.inputs.weight);
  const [y] = layer.apply({ w }, {}, tensor(c.input as Enc, 'int32'), { perSampleWeights: tensor(c.inputs.psw) });
  close(y, c.out, 'layer output');
  const m = cases.bag_mean_offsets;
  const [ym] = nn.embeddingBag({ num: 7, dim: 3 }).apply({ w: tensor(m.inputs.weight) }, {}, tensor(m.input as Enc, 'int32'), { offsets: tensor(m.offsets as Enc, 'int32') });
  close(ym, m.out, 'default mode is mean');
  const padded = nn.embeddingBag({ num: 7, dim: 3, paddingIdx: -5 }).init(random.key(0));
  assert.equal(read(padded.params.w).slice(6, 9), (cases.bag_module_init.pad_row as Enc).data, 'row 2 (-5) starts at zero');
  const out: nn.TorchDict = {};
  layer.toTorch({ params: { w }, state: {} }, 'bag.', out);
  assert.equal(Object.keys(out), (cases.bag_module_init.state_keys as string[]).map((k) => `bag.${k}`));
  assert.equal(read(layer.fromTorch(new nn.TorchReader(out as Record<string, tf.Tensor>), 'bag.').params.w), read(w));
});

S('F.embeddingBag: bad input is a one-line error naming it', () => {
  const w = np.ones([5, 2]);
  const i1 = np.array([0, 1, 2], 'int32');
  const offsets = np.array([0, 2], 'int32');
  assert.throws(() => F.embeddingBag(i1, w), /1-D input needs int32 1-D offsets, got none/);
  assert.throws(() => F.embeddingBag(np.array([[0, 1]], 'int32'), w, { offsets }), /offsets must be omitted for 2-D input/);
  assert.throws(() => F.embeddingBag(np.array([0, 1]), w, { offsets }), /input must be int32, got float32/);
  assert.throws(() => F.embeddingBag(i1, w, { offsets, mode: 'mean', perSampleWeights: np.ones([3]) }), /perSampleWeights is only supported with mode 'sum'/);
  assert.throws(() => F.embeddingBag(i1, w, { offsets, mode: 'sum', perSampleWeights: np.ones([2]) }), /perSampleWeights \[2\] must have the input's shape \[3\]/);
  assert.throws(() => F.embeddingBag(i1, w, { offsets, mode: 'max', scaleGradByFreq: true }), /mode 'max' does not support scaleGradByFreq/);
  assert.throws(() => F.embeddingBag(i1, w, { offsets, mode: 'prod' as nn.EmbeddingBagMode }), /mode must be 'sum', 'mean' or 'max', got 'prod'/);
  assert.throws(() => F.embeddingBag(np.zeros([1, 1, 1], 'int32'), w), /input must be 1-D \(with offsets\) or 2-D, got \[1,1,1\]/);
});

// ---------------------------------------------------------------- InstanceNorm(track_running_stats=True)
S('instanceNorm trackRunningStats: running statistics updated in training, used in evaluation, as PyTorch', () => {
  for (const [name, channels, affine, momentum] of [
    ['inorm1d_track', 3, false, 0.3],
    ['inorm2d_track_affine', 4, true, 0.1],
  ] as const) {
    const c = cases[name] as unknown as Record<string, Enc & Record<string, Enc>>;
    const layer = nn.instanceNorm({ channels, affine, trackRunningStats: true, momentum: name === 'inorm1d_track' ? momentum : undefined });
    assert.is((c.momentum as unknown as number), momentum);
    const v0 = layer.init(random.key(0));
    const params = affine ? { scale: tensor(c.weight), bias: tensor(c.bias) } : v0.params;
    const train = (p: nn.BatchNormParams, x: NdArray) => {
      const [y, s] = layer.apply(p, v0.state, toLast(x), { train: true });
      return { y: toFirst(y), s };
    };
    const { y: y1, s: s1 } = train(params, tensor(c.x1));
    close(y1, c.y1, `${name}: training output`);
    close(s1.mean!, c.mean1, `${name}: running mean after one step`);
    close(s1.var!, c.var1, `${name}: running var after one step`);
    // gradients of the training output w.r.t. x (and weight, bias)
    const loss = (a: { x: NdArray; p: nn.BatchNormParams }) => {
      const y = toFirst(layer.apply(a.p, v0.state, toLast(a.x), { train: true })[0]);
      return np.sum(np.mul(y, cotangent(y.shape)));
    };
    for (const [label, g] of [['eager', grad(loss)({ x: tensor(c.x1), p: params })], ['jit', jit(grad(loss))({ x: tensor(c.x1), p: params })]] as const) {
      close(g.x, c.grads1.x, `${name}: d/dx (${label})`, { rtol: 1e-4, atol: 5e-5 });
      if (affine) {
        close(g.p.scale!, c.grads1.weight, `${name}: d/dweight (${label})`, { rtol: 1e-4, atol: 5e-5 });
        close(g.p.bias!, c.grads1.bias, `${name}: d/dbias (${label})`, { rtol: 1e-4, atol: 5e-5 });
      }
    }
    const [, s2] = layer.apply(params, s1, toLast(tensor(c.x2)), { train: true });
    close(s2.mean!, c.mean2, `${name}: running mean after two steps`);
    close(s2.var!, c.var2, `${name}: running var after two steps`);
    const evalLoss = (x: NdArray) => toFirst(layer.apply(params, s2, toLast(x))[0]);
    close(evalLoss(tensor(c.xe)), c.ye, `${name}: evaluation with the running statistics`);
    const ge = grad((x: NdArray) => np.sum(np.mul(evalLoss(x), cotangent(c.ye.shape))))(tensor(c.xe));
    close(ge, c.gradse.x, `${name}: evaluation d/dx`);
    const out: nn.TorchDict = {};
    layer.toTorch({ params, state: s2 }, '', out);
    assert.equal(Object.keys(out).sort(), c.state_keys as unknown as string[]);
    const back = layer.fromTorch(new nn.TorchReader(out as Record<string, tf.Tensor>), '');
    assert.equal(read(back.state.var!), read(s2.var!), 'fromTorch reads the running statistics');
  }
});

S('instanceNorm trackRunningStats: momentum null averages every batch; errors', () => {
  const layer = nn.instanceNorm({ channels: 2, trackRunningStats: true, momentum: null });
  const v = layer.init(random.key(0));
  const xs = [random.normal(random.key(1), [3, 4, 2]), random.normal(random.key(2), [2, 5, 2])];
  let s = v.state;
  for (const x of xs) s = layer.apply(v.params, s, x, { train: true })[1];
  const batchMean = (x: NdArray) => np.mean(np.mean(x, 1), 0);
  const batchVar = (x: NdArray, n = x.shape.at(1) ?? 0) => np.mean(np.mul(np.var(x, 1), n / (n - 1)), 0);
  allClose(read(s.mean!), read(np.div(np.add(batchMean(xs[0]), batchMean(xs[1])), 2)), { rtol: 1e-5, atol: 1e-6 }, 'mean of the batch means');
  allClose(read(s.var!), read(np.div(np.add(batchVar(xs[0]), batchVar(xs[1])), 2)), { rtol: 1e-5, atol: 1e-6 }, 'mean of the batch variances');
  assert.equal(read(s.numBatchesTracked!), [2]);
  assert.throws(() => layer.apply(v.params, v.state, np.ones([2, 1, 2]), { train: true }), /more than 1 spatial element when training, got input \[2,1,2\]/);
  assert.throws(() => layer.apply(v.params, {}, np.ones([2, 3, 2])), /trackRunningStats needs the state from init/);
  assert.throws(() => nn.instanceNorm({ channels: 2, trackRunningStats: true, momentum: 2 }), /momentum must be in \[0, 1\] or null/);
  // without trackRunningStats, evaluation still normalises each example (no state)
  const plain = nn.instanceNorm({ channels: 2 });
  assert.equal(Object.keys(plain.init(random.key(0)).state), []);
});

// ---------------------------------------------------------------- adaptive max pooling with indices
S('F.adaptiveMaxPool2d / 1d returnIndices: values, flat per-plane indices and gradients, as PyTorch', () => {
  const two: Record<string, nn.AdaptivePoolConfig['output']> = { amp2d_3x2: [3, 2], amp2d_4x4: 4, amp2d_none_3: [null, 3] };
  for (const [name, output] of Object.entries(two)) {
    const c = cases[name];
    check(name, ({ x }) => toFirst(F.adaptiveMaxPool2d(toLast(x), { output, returnIndices: true })[0]));
    const [values, indices] = F.adaptiveMaxPool2d(toLast(tensor(c.inputs.x)), { output, returnIndices: true });
    assert.is(indices.dtype, 'int32');
    assert.equal(read(toFirst(indices)), c.indices!.data, `${name}: indices`);
    // the layer without indices agrees, and one HWC example gives the same
    close(toFirst(nn.adaptiveMaxPool2d({ output }).apply({}, {}, toLast(tensor(c.inputs.x)))[0]), c.out, `${name}: layer`);
    const [, one] = F.adaptiveMaxPool2d(np.take(toLast(tensor(c.inputs.x)), 0, 0), { output, returnIndices: true });
    assert.equal(read(one), read(np.take(indices, 0, 0)), `${name}: one HWC example`);
    assert.equal(read(values).length, c.out.data.length);
  }
  for (const [name, output] of [['amp1d_4', 4], ['amp1d_7', 7]] as const) {
    const c = cases[name];
    check(name, ({ x }) => toFirst(F.adaptiveMaxPool1d(toLast(x), { output, returnIndices: true })[0]));
    const [, indices] = F.adaptiveMaxPool1d(toLast(tensor(c.inputs.x)), { output, returnIndices: true });
    assert.equal(read(toFirst(indices)), c.indices!.data, `${name}: indices`);
    close(toFirst(F.adaptiveMaxPool1d(toLast(tensor(c.inputs.x)), { output })), c.out, `${name}: without indices`);
  }
});

// ---------------------------------------------------------------- torch.nn.functional audit
const INTERP: Record<string, nn.InterpolateOptions> = {
  interp_nearest_s1_7: { scaleFactor: 1.7, mode: 'nearest' },
  interp_nearest_size: { size: [7, 3], mode: 'nearest' },
  interp_nearest_exact_s0_6: { scaleFactor: 0.6, mode: 'nearest-exact' },
  interp_nearest_exact_size: { size: [6, 9], mode: 'nearest-exact' },
  interp_bilinear_s1_5: { scaleFactor: 1.5, mode: 'bilinear', alignCorners: false },
  interp_bilinear_s1_5_ac: { scaleFactor: 1.5, mode: 'bilinear', alignCorners: true },
  interp_bilinear_size_down: { size: [3, 2], mode: 'bilinear', alignCorners: false },
  interp_bilinear_s2_3: { scaleFactor: [2, 0.7], mode: 'bilinear', alignCorners: false },
  interp_bicubic_s1_5: { scaleFactor: 1.5, mode: 'bicubic', alignCorners: false },
  interp_bicubic_size_ac: { size: [7, 4], mode: 'bicubic', alignCorners: true },
  interp_bicubic_s0_6: { scaleFactor: 0.6, mode: 'bicubic', alignCorners: false },
  interp_area_size: { size: [3, 2], mode: 'area' },
  interp_area_s2: { scaleFactor: 2, mode: 'area' },
  interp1d_linear_s2_5: { scaleFactor: 2.5, mode: 'linear', alignCorners: false },
  interp1d_linear_size_ac: { size: 4, mode: 'linear', alignCorners: true },
  interp1d_nearest_s0_5: { scaleFactor: 0.5, mode: 'nearest' },
  interp1d_area_size: { size: 4, mode: 'area' },
};
S('F.interpolate: nearest, nearest-exact, (bi)linear, bicubic and area with size / scaleFactor / alignCorners, as PyTorch', () => {
  for (const [name, opts] of Object.entries(INTERP)) check(name, ({ x }) => toFirst(F.interpolate(toLast(x), opts)));
  assert.throws(() => F.interpolate(np.ones([1, 4, 1]), { size: 2, mode: 'bicubic' }), /mode 'bicubic' needs \[N, H, W, C\]/);
  assert.throws(() => F.interpolate(np.ones([1, 4, 4, 1]), { size: 2, mode: 'area', alignCorners: false }), /alignCorners applies to the linear modes only, not 'area'/);
  // 'trilinear' (session 16) takes volumes [N, D, H, W, C] only; an unknown mode is one line
  assert.throws(() => F.interpolate(np.ones([1, 4, 4, 1]), { size: 2, mode: 'trilinear' }), /mode 'trilinear' needs \[N, D, H, W, C\]/);
  assert.throws(() => F.interpolate(np.ones([1, 4, 4, 1]), { size: 2, mode: 'cubic' as nn.InterpolateMode }), /mode must be one of .*got 'cubic'/);
});

S('F.pad (reflect, replicate, circular, negative widths), F.pixelShuffle / pixelUnshuffle, as PyTorch', () => {
  for (const name of Object.keys(cases).filter((k) => k.startsWith('pad_'))) {
    const c = cases[name];
    check(name, ({ x }) => F.pad(x, c.pad as number[], { mode: c.mode as nn.F.TorchPadMode }));
  }
  check('pixel_shuffle_2', ({ x }) => toFirst(F.pixelShuffle(toLast(x), 2)));
  check('pixel_unshuffle_2', ({ x }) => toFirst(F.pixelUnshuffle(toLast(x), 2)));
});

S('F.normalize(x, { p, dim, eps }) as torch.nn.functional.normalize; a zero slice has finite gradients', () => {
  check('normalize_default', ({ x }) => F.normalize(x));
  check('normalize_p1_dim2', ({ x }) => F.normalize(x, { p: 1, dim: 2 }));
  check('normalize_p3_dim0', ({ x }) => F.normalize(x, { p: 3, dim: 0, eps: 0.5 }));
  // torch: F.normalize(zeros(2, 3), p=p) is 0 with gradient cot / eps
  for (const p of [1, 2, 3, Infinity]) {
    const g = grad((x: NdArray) => np.sum(np.mul(F.normalize(x, { p, eps: 0.5 }), np.reshape(np.arange(6, undefined, undefined, 'float32'), [2, 3]))))(np.zeros([2, 3]));
    assert.equal(read(g), [0, 2, 4, 6, 8, 10], `p=${p}`);
  }
  assert.throws(() => F.normalize(np.ones([2, 2]), { p: 0 }), /normalize: p must be positive, got 0/);
});

S('F.embedding(input, weight, { paddingIdx, maxNorm, normType }) as PyTorch', () => {
  for (const name of ['f_embedding_maxnorm_pad', 'f_embedding_plain']) {
    const input = tensor(cases[name].input as Enc, 'int32');
    const opts = name === 'f_embedding_plain' ? {} : { paddingIdx: 2, maxNorm: 1, normType: 1 };
    check(name, ({ weight }) => F.embedding(input, weight, opts));
  }
  assert.throws(() => F.embedding(np.array([0]), np.ones([2, 2])), /embedding: indices must be int32, got float32/);
});

S.run();
