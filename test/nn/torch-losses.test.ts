/**
 * nn.F's PyTorch losses (torch.nn.functional's, camelCase) and F.softplus({ beta, threshold })
 * against PyTorch 1.13: values and gradients of sum(out · cot), eager and under jit
 * (test/fixtures/torch_losses_more.json, from tools/torch-fixtures-losses-more.py); the options'
 * errors; BatchNorm's momentum = null and its one-value-per-channel error; optax's
 * klDivergenceWithLogTargets, safeSoftmaxCrossEntropy, multiclass hinge / perceptron losses.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();
const F = nn.F;
const L = nn.losses;

interface Enc {
  shape: number[];
  data: (number | null)[];
  dtype: 'float32' | 'int32';
}
interface Case {
  inputs: string[];
  out: Enc;
  cot: Enc;
  grad: number[];
  grads: Enc[];
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch_losses_more.json', import.meta.url), 'utf8')) as { tensors: Record<string, Enc>; cases: Record<string, Case> };
const tensor = (e: Enc) => tf.tensor(e.data.map((v) => v ?? NaN), e.shape, e.dtype);
const expected = (e: Enc) => e.data.map((v) => v ?? NaN);

type Call = (...xs: NdArray[]) => NdArray;
const CALLS: Record<string, Call> = {
  ce_mean: (x, y) => F.crossEntropy(x, y),
  ce_sum: (x, y) => F.crossEntropy(x, y, { reduction: 'sum' }),
  ce_none: (x, y) => F.crossEntropy(x, y, { reduction: 'none' }),
  ce_weight_mean: (x, y, weight) => F.crossEntropy(x, y, { weight }),
  ce_weight_ls_mean: (x, y, weight) => F.crossEntropy(x, y, { weight, labelSmoothing: 0.1 }),
  ce_weight_ls_none: (x, y, weight) => F.crossEntropy(x, y, { weight, labelSmoothing: 0.1, reduction: 'none' }),
  ce_ls_mean: (x, y) => F.crossEntropy(x, y, { labelSmoothing: 0.2 }),
  ce_ls_sum: (x, y) => F.crossEntropy(x, y, { labelSmoothing: 0.2, reduction: 'sum' }),
  ce_ignore_3: (x, y) => F.crossEntropy(x, np.maximum(y, 0), { ignoreIndex: 3 }),
  ce_nd_weight_mean: (x, y, weight) => F.crossEntropy(x, y, { weight }),
  ce_nd_ls_none: (x, y) => F.crossEntropy(x, y, { labelSmoothing: 0.3, reduction: 'none' }),
  ce_prob_mean: (x, p) => F.crossEntropy(x, p),
  ce_prob_weight_ls_mean: (x, p, weight) => F.crossEntropy(x, p, { weight, labelSmoothing: 0.1 }),
  ce_prob_nd_none: (x, p) => F.crossEntropy(x, p, { reduction: 'none' }),
  ce_unbatched: (x, y) => F.crossEntropy(x, y),
  ce_all_ignored: (x, y) => F.crossEntropy(x, y),
  ce_all_ignored_weight: (x, y, weight) => F.crossEntropy(x, y, { weight }),
  nll_mean: (x, y) => F.nllLoss(x, y),
  nll_weight_sum: (x, y, weight) => F.nllLoss(x, y, { weight, reduction: 'sum' }),
  nll_nd_weight_mean: (x, y, weight) => F.nllLoss(x, y, { weight }),
  nll_weight_none: (x, y, weight) => F.nllLoss(x, y, { weight, reduction: 'none' }),
  bce_mean: (p, t) => F.binaryCrossEntropy(p, t),
  bce_weight_none: (p, t, weight) => F.binaryCrossEntropy(p, t, { weight, reduction: 'none' }),
  bce_clamped: (p, t) => F.binaryCrossEntropy(p, t, { reduction: 'none' }),
  bcel_mean: (x, t) => F.binaryCrossEntropyWithLogits(x, t),
  bcel_pos_weight_none: (x, t, weight, posWeight) => F.binaryCrossEntropyWithLogits(x, t, { weight, posWeight, reduction: 'none' }),
  bcel_extreme_sum: (x, t) => F.binaryCrossEntropyWithLogits(x, t, { reduction: 'sum' }),
  mse_mean: (a, b) => F.mseLoss(a, b),
  mse_sum: (a, b) => F.mseLoss(a, b, { reduction: 'sum' }),
  l1_none: (a, b) => F.l1Loss(a, b, { reduction: 'none' }),
  smooth_l1_beta05_none: (a, b) => F.smoothL1Loss(a, b, { beta: 0.5, reduction: 'none' }),
  smooth_l1_mean: (a, b) => F.smoothL1Loss(a, b),
  smooth_l1_beta0_sum: (a, b) => F.smoothL1Loss(a, b, { beta: 0, reduction: 'sum' }),
  huber_delta07_mean: (a, b) => F.huberLoss(a, b, { delta: 0.7 }),
  huber_none: (a, b) => F.huberLoss(a, b, { reduction: 'none' }),
  kl_batchmean: (q, p) => F.klDiv(q, p, { reduction: 'batchmean' }),
  kl_mean: (q, p) => F.klDiv(q, p),
  kl_none: (q, p) => F.klDiv(q, p, { reduction: 'none' }),
  kl_log_target_sum: (q, p) => F.klDiv(q, p, { reduction: 'sum', logTarget: true }),
  margin_ranking_m03: (a, b, y) => F.marginRankingLoss(a, b, y, { margin: 0.3 }),
  margin_ranking_none: (a, b, y) => F.marginRankingLoss(a, b, y, { reduction: 'none' }),
  hinge_embedding_m08_none: (x, y) => F.hingeEmbeddingLoss(x, y, { margin: 0.8, reduction: 'none' }),
  hinge_embedding_mean: (x, y) => F.hingeEmbeddingLoss(x, y),
  cosine_embedding_m02: (a, b, y) => F.cosineEmbeddingLoss(a, b, y, { margin: 0.2 }),
  cosine_embedding_none: (a, b, y) => F.cosineEmbeddingLoss(a, b, y, { margin: -0.5, reduction: 'none' }),
  triplet_default: (a, p, n) => F.tripletMarginLoss(a, p, n),
  triplet_p1_swap_none: (a, p, n) => F.tripletMarginLoss(a, p, n, { margin: 2, p: 1, swap: true, reduction: 'none' }),
  triplet_p3_sum: (a, p, n) => F.tripletMarginLoss(a, p, n, { margin: 1.5, p: 3, eps: 1e-3, reduction: 'sum' }),
  multi_margin_mean: (x, y) => F.multiMarginLoss(x, y),
  multi_margin_p2_weight_none: (x, y, weight) => F.multiMarginLoss(x, y, { p: 2, margin: 0.5, weight, reduction: 'none' }),
  multi_margin_unbatched: (x, y) => F.multiMarginLoss(x, y),
  soft_margin_mean: (x, y) => F.softMarginLoss(x, y),
  soft_margin_none: (x, y) => F.softMarginLoss(x, y, { reduction: 'none' }),
  poisson_log_mean: (x, t) => F.poissonNllLoss(x, t),
  poisson_full_none: (x, t) => F.poissonNllLoss(x, t, { full: true, reduction: 'none' }),
  poisson_rate_full_sum: (x, t) => F.poissonNllLoss(x, t, { logInput: false, full: true, reduction: 'sum' }),
  gaussian_mean: (x, t, v) => F.gaussianNllLoss(x, t, v),
  gaussian_full_none: (x, t, v) => F.gaussianNllLoss(x, t, v, { full: true, eps: 1e-3, reduction: 'none' }),
  gaussian_homoscedastic_sum: (x, t, v) => F.gaussianNllLoss(x, t, v, { reduction: 'sum' }),
  gaussian_last1_mean: (x, t, v) => F.gaussianNllLoss(x, t, v),
  softplus_default: (x) => F.softplus(x, {}),
  softplus_beta2_threshold5: (x) => F.softplus(x, { beta: 2, threshold: 5 }),
  softplus_beta05: (x) => F.softplus(x, { beta: 0.5 }),
};

// float32 sums of at most 30 terms and logs/exps in another order: a few ulps of the result.
const TOL = { rtol: 2e-5, atol: 2e-6 };
const T = suite(`nn.F: PyTorch's functional losses [${backend}]`);

T('every fixture case has a call, and every call a case', () => {
  assert.equal(Object.keys(fx.cases).sort(), Object.keys(CALLS).sort());
});

for (const [name, c] of Object.entries(fx.cases)) {
  T(`${name}: value and gradients as PyTorch's`, () => {
    tf.tidy(() => {
      const xs = c.inputs.map((k) => tensor(fx.tensors[k]));
      const call = CALLS[name];
      for (const [mode, f] of [['eager', call], ['jit', jit(call)]] as const) {
        const out = f(...xs);
        assert.equal([...out.shape], c.out.shape, `${name} (${mode}): shape`);
        allClose(read(out), expected(c.out), TOL, `${name} (${mode})`);
      }
      if (c.grad.length === 0) return;
      const cot = tensor(c.cot);
      const gs = grad((...args: NdArray[]) => np.sum(np.mul(call(...args), cot)), { argnums: c.grad })(...xs) as NdArray[];
      c.grads.forEach((g, k) => allClose(read(gs[k]), expected(g), TOL, `${name}: d/d input ${c.grad[k]}`));
    });
  });
}

T('crossEntropy and nllLoss: bad shapes, dtypes and options are one-line errors', () => {
  const x = tf.zeros([4, 3]);
  const y = tf.tensor1d([0, 1, 2, 0], 'int32');
  const throwsLike = (f: () => unknown, re: RegExp) => assert.throws(f, (e: Error) => re.test(e.message) && !e.message.includes('\n'));
  throwsLike(() => F.crossEntropy(x, tf.tensor1d([0, 1, 2], 'int32')), /crossEntropy: class-index target must be \[4\] for input \[4,3\], got \[3\]/);
  throwsLike(() => F.crossEntropy(x, tf.tensor1d([0, 1, 2, 0])), /crossEntropy: class-index target must be int32, got float32/);
  throwsLike(() => F.crossEntropy(x, y, { weight: tf.ones([4]) }), /crossEntropy: weight must be \[3\]/);
  throwsLike(() => F.crossEntropy(x, y, { reduction: 'avg' as 'mean' }), /crossEntropy: reduction must be one of 'mean', 'sum', 'none', got "avg"/);
  throwsLike(() => F.crossEntropy(x, y, { labelSmoothing: 1.5 }), /labelSmoothing must be in \[0, 1\]/);
  throwsLike(() => F.crossEntropy(x, tf.zeros([4, 3]), { ignoreIndex: 0 }), /ignoreIndex is not supported with probability targets/);
  throwsLike(() => F.nllLoss(tf.zeros([]), y), /nllLoss: input must be \[C\], \[N, C\] or \[N, C, d1, \.\.\.\]/);
  throwsLike(() => F.klDiv(x, x, { reduction: 'batch' as 'mean' }), /klDiv: reduction must be one of 'mean', 'sum', 'none', 'batchmean'/);
  throwsLike(() => F.gaussianNllLoss(x, x, tf.ones([3])), /gaussianNllLoss: variance \[3\] must have the input's shape \[4,3\]/);
  throwsLike(() => F.multiMarginLoss(x, y, { p: 3 as 1 }), /multiMarginLoss: p must be 1 or 2/);
});

T('crossEntropy: a class index out of range (not ignoreIndex) reads NaN where PyTorch raises; ignored ones add nothing', () => {
  tf.tidy(() => {
    const x = tf.tensor2d([[1, 2, 3], [0, 0, 0], [3, 1, 0]]);
    const none = read(F.crossEntropy(x, tf.tensor1d([3, -100, -1], 'int32'), { reduction: 'none' }));
    assert.ok(Number.isNaN(none[0]) && none[1] === 0 && Number.isNaN(none[2]), `per element: ${none}`);
    // The gradient of a loss with ignored targets is finite (0 for those rows).
    const g = read(grad((v: NdArray) => F.crossEntropy(v, tf.tensor1d([2, -100, 0], 'int32')))(x));
    assert.ok(g.every(Number.isFinite), `finite gradient: ${g}`);
    assert.equal(g.slice(3, 6), [0, 0, 0]);
  });
});

T('binaryCrossEntropyWithLogits equals binaryCrossEntropy of sigmoid, and stays finite where the sigmoid saturates', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([-3, -0.5, 0, 0.7, 4]);
    const t = tf.tensor1d([0, 1, 0.3, 1, 0.2]);
    allClose(read(F.binaryCrossEntropyWithLogits(x, t, { reduction: 'none' })), read(F.binaryCrossEntropy(np.sigmoid(x), t, { reduction: 'none' })), { rtol: 1e-5, atol: 1e-6 });
    allClose(read(F.binaryCrossEntropyWithLogits(tf.tensor1d([-1000]), tf.tensor1d([1]))), [1000], { rtol: 1e-6 });
  });
});

T('softplus without options is jax.nn.softplus; with them PyTorch\'s; beta must not be 0', () => {
  tf.tidy(() => {
    const x = tf.tensor1d([-50, -1, 0, 1, 19.5, 21, 80]);
    const jaxValues = read(F.softplus(x));
    allClose(jaxValues, [1.9287498e-22, Math.log1p(Math.exp(-1)), Math.LN2, Math.log1p(Math.E), 19.5, 21, 80], { rtol: 1e-6 });
    // PyTorch's default threshold 20 gives the same float32 numbers and slopes.
    allClose(read(F.softplus(x, {})), jaxValues, { rtol: 1e-7 });
    allClose(read(grad((v: NdArray) => np.sum(F.softplus(v, {})))(x)), read(grad((v: NdArray) => np.sum(F.softplus(v)))(x)), { rtol: 1e-6, atol: 0 });
    assert.throws(() => F.softplus(x, { beta: 0 }), /softplus: beta must be non-zero/);
  });
});

const B = suite(`nn.batchNorm: PyTorch's momentum = None and batch-size checks [${backend}]`);

B('momentum null keeps the cumulative average of the batch statistics, as PyTorch', () => {
  tf.tidy(() => {
    const bn = nn.batchNorm({ features: 2, momentum: null });
    const v = bn.init(tf.tensor1d([0, 0], 'int32'));
    const batches = [tf.tensor2d([[1, 2], [3, 6]]), tf.tensor2d([[0, 0], [2, -4], [4, 1]]), tf.tensor2d([[5, 5], [7, 9]])];
    let state = v.state;
    for (const x of batches) state = bn.apply(v.params, state, x, { train: true })[1];
    // PyTorch: running = mean over the three batches of (batch mean, unbiased batch variance).
    const means = [[2, 4], [2, -1], [6, 7]];
    const vars = [[2, 8], [4, 7], [2, 8]];
    const avg = (rows: number[][]) => [0, 1].map((j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
    allClose(read(state.mean), avg(means), { rtol: 1e-6 }, 'running mean');
    allClose(read(state.var), avg(vars), { rtol: 1e-6 }, 'running var');
    assert.equal(read(state.numBatchesTracked), [3]);
    // The same under jit, and the count goes to PyTorch's num_batches_tracked.
    const step = jit((s: nn.BatchNormState, x: NdArray) => bn.apply(v.params, s, x, { train: true })[1]);
    const jitted = batches.reduce((s, x) => step(s, x), v.state);
    allClose(read(jitted.mean), avg(means), { rtol: 1e-6 }, 'running mean (jit)');
    const dict: nn.TorchDict = {};
    bn.toTorch({ params: v.params, state }, 'bn.', dict);
    assert.equal(read(dict['bn.num_batches_tracked']), [3]);
    const back = bn.fromTorch(new nn.TorchReader(dict as Record<string, tf.Tensor>), 'bn.');
    assert.equal(read(back.state.numBatchesTracked), [3]);
  });
});

B('a momentum given as a number keeps the state without a counter', () => {
  const v = nn.batchNorm({ features: 2 }).init(tf.tensor1d([0, 0], 'int32'));
  assert.equal(Object.keys(v.state).sort(), ['mean', 'var']);
  assert.throws(() => nn.batchNorm({ features: 2, momentum: 1.5 }), /batchNorm: momentum must be in \[0, 1\] or null/);
});

B('training on one value per channel is PyTorch\'s one-line error; evaluation is fine', () => {
  const bn = nn.batchNorm({ features: 3 });
  const v = bn.init(tf.tensor1d([0, 0], 'int32'));
  assert.throws(
    () => bn.apply(v.params, v.state, tf.ones([1, 3]), { train: true }),
    (e: Error) => e.message === 'batchNorm: expected more than 1 value per channel when training, got input [1,3]',
  );
  assert.throws(() => bn.apply(v.params, v.state, tf.ones([1, 1, 1, 3]), { train: true }), /more than 1 value per channel/);
  assert.equal(bn.apply(v.params, v.state, tf.ones([1, 3]))[0].shape, [1, 3]);
  assert.equal(bn.apply(v.params, v.state, tf.ones([1, 2, 1, 3]), { train: true })[0].shape, [1, 2, 1, 3]);
});

const O = suite(`nn.losses: optax's kl_divergence_with_log_targets, safe_softmax_cross_entropy, multiclass hinge / perceptron [${backend}]`);

O('klDivergenceWithLogTargets equals klDivergence of the exponentiated targets', () => {
  tf.tidy(() => {
    const logq = np.logSoftmax(tf.tensor2d([[0.3, -1, 2], [1, 1, 0]]), -1);
    const logp = np.logSoftmax(tf.tensor2d([[1, 0, -1], [0.5, -2, 0]]), -1);
    allClose(read(L.klDivergenceWithLogTargets(logq, logp)), read(L.klDivergence(logq, np.exp(logp))), { rtol: 1e-5, atol: 1e-7 });
    allClose(read(L.klDivergenceWithLogTargets(logp, logp)), [0, 0], { atol: 1e-7 });
  });
});

O('safeSoftmaxCrossEntropy: 0 where a -inf logit meets a 0 label (softmaxCrossEntropy gives NaN), finite gradient', () => {
  tf.tidy(() => {
    const logits = tf.tensor2d([[-Infinity, 1, 2], [0.5, 0, -1]]);
    const labels = tf.tensor2d([[0, 0.25, 0.75], [1, 0, 0]]);
    const lse = Math.log(Math.exp(1) + Math.exp(2));
    const lse2 = Math.log(Math.exp(0.5) + 1 + Math.exp(-1));
    allClose(read(L.safeSoftmaxCrossEntropy(logits, labels)), [lse - 0.25 - 1.5, lse2 - 0.5], { rtol: 1e-6 });
    assert.ok(Number.isNaN(read(L.softmaxCrossEntropy(logits, labels))[0]), 'the plain form is NaN there');
    const g = read(grad((x: NdArray) => np.sum(L.safeSoftmaxCrossEntropy(x, labels)))(logits));
    const p = [Math.exp(1 - lse), Math.exp(2 - lse)];
    allClose(g.slice(0, 3), [0, p[0] - 0.25, p[1] - 0.75], { rtol: 1e-5, atol: 1e-7 });
    const safe = L.safeSoftmaxCrossEntropy(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[0.2, 0.3, 0.5]]));
    allClose(read(safe), read(L.softmaxCrossEntropy(tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[0.2, 0.3, 0.5]]))), { rtol: 1e-6 });
  });
});

O('multiclassHingeLoss, multiclassPerceptronLoss and perceptronLoss as optax\'s formulas', () => {
  tf.tidy(() => {
    const scores = tf.tensor2d([[2, 1, 0.5], [0, 3, 2.5], [1, 1, 1]]);
    const labels = tf.tensor1d([0, 2, 1], 'int32');
    // max_k(s_k + 1 - [k = y]) - s_y
    allClose(read(L.multiclassHingeLoss(scores, labels)), [2 - 2, 4 - 2.5, 2 - 1], { rtol: 1e-6 });
    allClose(read(L.multiclassPerceptronLoss(scores, labels)), [0, 0.5, 0], { rtol: 1e-6 });
    allClose(read(L.perceptronLoss(tf.tensor1d([2, -1, 0.5, -3]), tf.tensor1d([1, 1, -1, -1]))), [0, 1, 0.5, 0]);
  });
});

T.run();
B.run();
O.run();
