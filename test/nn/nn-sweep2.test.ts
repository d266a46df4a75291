/**
 * The second sweep of PyTorch / Equinox / optax pieces, against test/fixtures/nn_sweep2.json (written
 * by tools/torch-fixtures-nn-sweep2.py with PyTorch 1.13): nn.multiheadAttention (cross-attention,
 * torch's masks and weights), weightNorm, spectralNorm, F.pad, embedding max_norm, optax's losses
 * (ntxent, triplet, poly, generalized KL, sparsemax, dice), Equinox's rotary embedding and MLP options.
 * Each case checks outputs and the gradients of sum(out * cos(0.37 i + 0.1)).
 */
import { readFileSync } from 'node:fs';
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

const backend = await useTestBackend();
const S = suite(`nn: second sweep of PyTorch/Equinox/optax pieces [${backend}]`);

type Flat = [number[], number[]];
type Case = Record<string, any>;
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/nn_sweep2.json', import.meta.url), 'utf8')) as { cases: Record<string, Case> };

/** The fixture keeps 6 significant digits; float32 sums of a few dozen terms add a few ulps. */
const TOL = { rtol: 2e-5, atol: 1e-5 };
const tensor = ([v, shape]: Flat, dtype: 'float32' | 'int32' | 'bool' = 'float32') => (dtype === 'bool' ? tf.tensor(v.map(Boolean), shape, 'bool') : tf.tensor(v, shape, dtype));
const cotangent = (shape: readonly number[]) => np.reshape(np.cos(np.add(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), 0.37), 0.1)), shape);
const reader = (sd: Record<string, Flat>) => new nn.TorchReader(Object.fromEntries(Object.entries(sd).map(([k, t]) => [k, tensor(t)])));
const close = (actual: NdArray, expected: Flat, what: string, tol = TOL) => {
  assert.equal(actual.shape, expected[1], `${what}: shape`);
  allClose(read(actual), expected[0], tol, what);
};
/** Gradients of a layer's params in PyTorch's names (through its own toTorch). */
function torchGrads(layer: nn.Layer, g: unknown, state: unknown = {}): nn.TorchDict {
  const out: nn.TorchDict = {};
  layer.toTorch({ params: g, state }, '', out);
  return out;
}

// ---------------------------------------------------------------- multiheadAttention
function mhaLayer(c: Case) {
  const k = c.config;
  return nn.multiheadAttention({ embedDim: k.embed_dim, numHeads: k.num_heads, kdim: k.kdim, vdim: k.vdim, bias: k.bias, addBiasKv: k.add_bias_kv, addZeroAttn: k.add_zero_attn });
}

function checkMha(name: string, useJit: boolean): void {
  const c = cases[name];
  const layer = mhaLayer(c);
  const { params } = layer.fromTorch(reader(c.state_dict), '');
  const q = tensor(c.inputs.query);
  const self = !c.inputs.key;
  const [k, v] = self ? [q, q] : [tensor(c.inputs.key), tensor(c.inputs.value)];
  const opts: nn.MhaOptions = {
    attnMask: c.attn_mask ? tensor(c.attn_mask, c.attn_mask_bool ? 'bool' : 'float32') : undefined,
    keyPaddingMask: c.key_padding_mask ? tensor(c.key_padding_mask, c.kpm_bool ? 'bool' : 'float32') : undefined,
    averageAttnWeights: c.average,
  };
  const gy = cotangent(c.y[1]);
  const loss = (p: nn.MultiheadAttentionParams, qq: NdArray, kk: NdArray, vv: NdArray) => np.sum(np.mul(layer.attend(p, qq, self ? qq : kk, self ? qq : vv, opts).output, gy));
  const body = (p: nn.MultiheadAttentionParams, qq: NdArray, kk: NdArray, vv: NdArray) => {
    const { output, weights } = layer.attend(p, qq, kk, vv, opts);
    return [output, weights, grad(loss, { argnums: [0, 1, 2, 3] })(p, qq, kk, vv)] as const;
  };
  const [y, w, [gp, gq, gk, gv]] = (useJit ? jit(body) : body)(params, q, k, v) as unknown as [NdArray, NdArray, [unknown, NdArray, NdArray, NdArray]];
  const what = `${name}${useJit ? ' (jit)' : ''}`;
  close(y, c.y, `${what}: output`);
  close(w, c.weights, `${what}: attention weights`);
  close(gq, c.grads.query, `${what}: query gradient`);
  if (!self) {
    close(gk, c.grads.key, `${what}: key gradient`);
    close(gv, c.grads.value, `${what}: value gradient`);
  }
  const gt = torchGrads(layer, gp);
  const names = Object.keys(c.grads).filter((n) => !['query', 'key', 'value'].includes(n));
  assert.equal(Object.keys(gt).sort(), names.sort(), `${what}: gradient entries`);
  for (const n of names) close(gt[n], c.grads[n], `${what}: gradient of ${n}`);
}

for (const name of ['mha_self', 'mha_cross', 'mha_biaskv', 'mha_unbatched'])
  S(`multiheadAttention ${name} matches nn.MultiheadAttention (output, weights, gradients)`, () => checkMha(name, false));
S('multiheadAttention mha_cross under jit', () => checkMha('mha_cross', true));

S('multiheadAttention: state-dict round trip; apply with keyValue is attend; errors name the shape', () => {
  const c = cases.mha_cross;
  const layer = mhaLayer(c);
  const v = layer.fromTorch(reader(c.state_dict), '');
  const out: nn.TorchDict = {};
  layer.toTorch(v, '', out);
  assert.equal(Object.keys(out).sort(), Object.keys(c.state_dict).sort());
  for (const [k, t] of Object.entries(c.state_dict as Record<string, Flat>)) assert.equal(read(out[k]), read(tensor(t)), `round trip ${k}`);
  const [q, k, val] = ['query', 'key', 'value'].map((n) => tensor(c.inputs[n]));
  const [y] = layer.apply(v.params, v.state, q, { keyValue: [k, val] });
  assert.equal(y.shape, c.y[1], 'apply with keyValue: [N, L, embedDim]');
  allClose(read(y), read(layer.attend(v.params, q, k, val).output), { rtol: 1e-6, atol: 1e-6 }, 'apply = attend');
  assert.throws(() => layer.attend(v.params, q, q, val), /multiheadAttention: key must be \[2,S,4\], got \[2,2,6\]/);
  assert.throws(() => layer.attend(v.params, q, k, val, { attnMask: np.zeros([3, 2, 4]) }), /attnMask must be \[2,4\] or \[6,2,4\]/);
  assert.throws(() => nn.multiHeadAttention({ embedDim: 8, numHeads: 2 } as never), /torch\.nn\.MultiheadAttention with embedDim, kdim, vdim is nn\.multiheadAttention/);
  const drop = nn.multiheadAttention({ embedDim: 6, numHeads: 3, dropout: 0.5 });
  const dp = drop.init(random.key(0)).params;
  assert.throws(() => drop.attend(dp, q, q, q, { train: true }), /multiheadAttention: training with dropout needs a PRNG key/);
  const kept = read(drop.attend(dp, q, q, q, { train: true, key: random.key(1), averageAttnWeights: false }).weights);
  const full = read(drop.attend(dp, q, q, q, { averageAttnWeights: false }).weights);
  assert.ok(kept.some((x) => x === 0), 'dropout zeroes some weights in training');
  kept.forEach((x, i) => assert.ok(x === 0 || Math.abs(x - 2 * full[i]) < 1e-5, 'kept weights are scaled by 1 / (1 - p), as torch returns them'));
  const fresh = nn.multiheadAttention({ embedDim: 8, numHeads: 2 }).init(random.key(0)).params;
  const bound = Math.sqrt(6 / (8 + 24)); // xavier_uniform over the packed [3E, E] weight
  const m = Math.max(...read(fresh.q.w).map(Math.abs));
  assert.ok(m <= bound && m > 0.7 * bound, `in_proj init bound ${m} vs ${bound}`);
  assert.equal(read(fresh.q.b!), new Array(8).fill(0), 'in_proj_bias starts at zero');
  assert.equal(read(fresh.out.b!), new Array(8).fill(0), 'out_proj.bias starts at zero');
});

// ---------------------------------------------------------------- weightNorm / spectralNorm
/** The wrapped layer of a case and the maps between PyTorch's channels-first data and ours. */
function wrapped(c: Case): { inner: nn.Layer; toOurs: (x: NdArray) => NdArray; toTorch: (y: NdArray) => NdArray } {
  const first = (y: NdArray) => np.transpose(y, y.shape.length === 3 ? [0, 2, 1] : [0, 3, 1, 2]);
  const last = (y: NdArray) => np.transpose(y, y.shape.length === 3 ? [0, 2, 1] : [0, 2, 3, 1]);
  const sd = c.state_dict as Record<string, Flat>;
  const w = (sd.weight_orig ?? sd.weight_v)[1]; // spectral_norm's weight_v is its vector v
  const channels = { toOurs: last, toTorch: first };
  switch (c.kind) {
    case 'linear':
      return { inner: nn.linear({ in: w[1], out: w[0] }), toOurs: (t) => t, toTorch: (t) => t };
    case 'conv2d':
      return { inner: nn.conv2d({ in: w[1], out: w[0], kernel: w[2] }), ...channels };
    case 'convTranspose1d':
      return { inner: nn.convTranspose1d({ in: w[0], out: w[1], kernel: w[2] }), ...channels };
    case 'convTranspose2d':
      return { inner: nn.convTranspose2d({ in: w[0], out: w[1], kernel: w[2] }), ...channels };
    default:
      throw new Error(`unknown kind ${c.kind}`);
  }
}

for (const name of ['wn_linear', 'wn_linear_dim1', 'wn_conv_none', 'wn_convt_dim0'])
  S(`weightNorm ${name} matches torch.nn.utils.weight_norm (output, gradients of x, weight_g, weight_v, bias)`, () => {
    const c = cases[name];
    const { inner, toOurs, toTorch } = wrapped(c);
    const layer = nn.weightNorm(inner as nn.Layer<{ w: NdArray }>, { dim: c.dim });
    const v = layer.fromTorch(reader(c.state_dict), '');
    const x = tensor(c.x);
    const f = (p: unknown, xx: NdArray) => toTorch(layer.apply(p as never, v.state, toOurs(xx))[0]);
    close(f(v.params, x), c.y, `${name}: output`);
    const [gp, gx] = grad((p: unknown, xx: NdArray) => np.sum(np.mul(f(p, xx), cotangent(c.y[1]))), { argnums: [0, 1] })(v.params, x) as [unknown, NdArray];
    close(gx, c.grads.x, `${name}: x gradient`);
    const gt = torchGrads(layer, gp);
    for (const n of ['weight_g', 'weight_v', 'bias']) close(gt[n], c.grads[n], `${name}: gradient of ${n}`);
    const back = torchGrads(layer, v.params);
    for (const n of Object.keys(c.state_dict)) close(back[n], c.state_dict[n], `${name}: round trip ${n}`);
  });

S('weightNorm: init starts at the layer weight (g = ||w|| per output unit); Equinox axis -1 is the last axis', () => {
  const base = nn.linear({ in: 3, out: 4 });
  const wn = nn.weightNorm(base);
  const v = wn.init(random.key(1));
  assert.equal(v.params.g.shape, [1, 4]);
  allClose(read(v.params.g), read(np.linalg.vectorNorm(v.params.v, { axis: 0 })), { rtol: 1e-6 }, 'g = column norms');
  const x = random.normal(random.key(2), [2, 3]);
  allClose(read(wn.apply(v.params, v.state, x)[0]), read(base.apply({ w: v.params.v, b: v.params.b }, {}, x)[0]), { rtol: 1e-5, atol: 1e-6 }, 'same function at init');
  assert.equal(nn.weightNorm(base, { axis: -1 }).init(random.key(1)).params.g.shape, [3, 1], 'axis -1: one norm per input (the last PyTorch axis)');
  assert.equal(nn.weightNorm(base, { dim: -1 }).init(random.key(1)).params.g.shape, [], 'torch dim -1: the whole weight');
  assert.throws(() => nn.weightNorm(nn.layerNorm({ features: 3 }) as never).init(random.key(0)), /weightNorm: layer kind 'layerNorm' has no weight parameter 'w'/);
  const mine = { ...base, kind: 'myLinear' };
  assert.throws(() => nn.weightNorm(mine).init(random.key(0)), /weightNorm: no PyTorch weight layout known for layer kind 'myLinear'; give \{ layout \}/);
  assert.equal(nn.weightNorm(mine, { layout: [1, 0] }).init(random.key(1)).params.g.shape, [1, 4], 'layout given: as linear');
});

for (const name of ['sn_linear', 'sn_conv', 'sn_convt'])
  S(`spectralNorm ${name} matches torch.nn.utils.spectral_norm (training step: output, u, v, gradients; then eval)`, () => {
    const c = cases[name];
    const { inner, toOurs, toTorch } = wrapped(c);
    const layer = nn.spectralNorm(inner as nn.Layer<{ w: NdArray }>, { nPowerIterations: c.iters });
    const v = layer.fromTorch(reader(c.state_dict), '');
    const x = tensor(c.x);
    const f = (p: unknown, xx: NdArray, train: boolean, s = v.state) => {
      const [y, s2] = layer.apply(p as never, s, toOurs(xx), { train });
      return [toTorch(y), s2] as const;
    };
    const [y, s1] = f(v.params, x, true);
    close(y, c.y, `${name}: training output`);
    close(s1.u, c.u, `${name}: u after the power iterations`);
    close(s1.v, c.v, `${name}: v after the power iterations`);
    const [yj, sj] = jit((p: unknown, xx: NdArray) => f(p, xx, true))(v.params, x) as unknown as [NdArray, nn.SpectralNormState<unknown>];
    close(yj, c.y, `${name}: training output under jit`);
    close(sj.u, c.u, `${name}: u under jit`);
    const [gp, gx] = grad((p: unknown, xx: NdArray) => np.sum(np.mul(f(p, xx, true)[0], cotangent(c.y[1]))), { argnums: [0, 1] })(v.params, x) as [unknown, NdArray];
    close(gx, c.grads.x, `${name}: x gradient`);
    const gt = torchGrads(layer, gp, s1);
    for (const n of ['weight_orig', 'bias']) close(gt[n], c.grads[n], `${name}: gradient of ${n}`);
    const [yEval, s2] = f(v.params, x, false, s1);
    close(yEval, c.y_eval, `${name}: eval output (stored u, v)`);
    assert.ok(s2.u === s1.u, `${name}: eval leaves u, v as they are`);
  });

// ---------------------------------------------------------------- F.pad, embedding max_norm, torch triplet
for (const name of ['pad_constant', 'pad_reflect', 'pad_replicate', 'pad_circular', 'pad_circular2d'])
  S(`F.pad ${name} matches torch.nn.functional.pad (values, gradient)`, () => {
    const c = cases[name];
    const f = (x: NdArray) => nn.F.pad(x, c.pad, { mode: c.mode, value: c.value });
    const x = tensor(c.x);
    close(f(x), c.y, `${name}: output`);
    close(grad((xx: NdArray) => np.sum(np.mul(f(xx), cotangent(c.y[1]))))(x), c.grads.x, `${name}: gradient`);
  });

S('F.pad: errors in one line (odd length, reflect width, too many axes)', () => {
  const x = np.zeros([1, 2, 3]);
  assert.throws(() => nn.F.pad(x, [1, 1, 1]), /pad: pad must hold integer \(before, after\) pairs for at most 3 axes of \[1,2,3\], got \[1, 1, 1\]/);
  assert.throws(() => nn.F.pad(x, [3, 0], { mode: 'reflect' }), /pad: mode 'reflect' needs widths below the axis size 3 \(axis 2 of \[1,2,3\]\), got \(3, 0\)/);
  assert.throws(() => nn.F.pad(x, [1, 1, 1, 1, 1, 1], { mode: 'replicate' }), /pad: mode 'replicate' pads at most the last 3 axes and not all of them/);
});

for (const name of ['emb_maxnorm', 'emb_maxnorm_l1'])
  S(`embedding maxNorm ${name} matches nn.Embedding(max_norm) (rows, gradient, renormalised table)`, () => {
    const c = cases[name];
    const emb = nn.embedding({ num: 5, dim: 3, maxNorm: c.max_norm, normType: c.norm_type });
    const w = tensor(c.weight);
    const idx = tensor(c.indices, 'int32');
    const f = (ww: NdArray) => emb.apply({ w: ww }, {}, idx)[0];
    close(f(w), c.y, `${name}: rows`);
    close(grad((ww: NdArray) => np.sum(np.mul(f(ww), cotangent(c.y[1]))))(w), c.grads.weight, `${name}: table gradient (unscaled, as PyTorch)`);
    close(nn.F.embeddingRenorm(w, idx, c.max_norm, c.norm_type), c.weight_after, `${name}: the table PyTorch holds afterwards`);
  });

S('F.tripletMarginLoss(swap, p = 1) matches PyTorch', () => {
  const c = cases.torch_triplet_swap;
  const [a, p, n] = ['a', 'p', 'n'].map((k) => tensor(c.inputs[k]));
  const f = (aa: NdArray, pp: NdArray, nn_: NdArray) => nn.F.tripletMarginLoss(aa, pp, nn_, { margin: 0.7, p: 1, swap: true, reduction: 'none' });
  close(f(a, p, n), c.y, 'loss');
  const gs = grad((aa: NdArray, pp: NdArray, nn_: NdArray) => np.sum(np.mul(f(aa, pp, nn_), cotangent(c.y[1]))), { argnums: [0, 1, 2] })(a, p, n) as NdArray[];
  ['a', 'p', 'n'].forEach((k, i) => close(gs[i], c.grads[k], `gradient of ${k}`));
});

// ---------------------------------------------------------------- optax losses and Equinox's rotary embedding
/** A transcribed case: f of the case's inputs (float ones differentiated), value and gradients. */
function checkFormula(name: string, f: (...xs: NdArray[]) => NdArray, names: string[], ints: string[] = [], tol = TOL): void {
  const c = cases[name];
  const xs = names.map((k) => tensor(c.inputs[k], ints.includes(k) ? 'int32' : 'float32'));
  close(f(...xs), c.y, `${name}: value`, tol);
  const floats = names.map((k, i) => (ints.includes(k) ? -1 : i)).filter((i) => i >= 0);
  const g = grad((...fs: NdArray[]) => {
    const all = xs.map((x, i) => (floats.includes(i) ? fs[floats.indexOf(i)] : x));
    return np.sum(np.mul(f(...all), cotangent(c.y[1])));
  }, { argnums: floats.map((_, i) => i) })(...floats.map((i) => xs[i])) as NdArray[];
  floats.forEach((i, j) => close(g[j], c.grads[names[i]], `${name}: gradient of ${names[i]}`, tol));
}

S('losses.ntxent matches optax.ntxent (value, gradient)', () => checkFormula('ntxent', (e, l) => nn.losses.ntxent(e, l, cases.ntxent.temperature), ['embeddings', 'labels'], ['labels']));
S('losses.tripletMarginLoss matches optax.losses.triplet_margin_loss (normDegree 4)', () =>
  checkFormula('optax_triplet', (a, p, n) => nn.losses.tripletMarginLoss(a, p, n, { normDegree: 4, margin: 0.8 }), ['a', 'p', 'n']));
S('losses.polyLossCrossEntropy matches optax.poly_loss_cross_entropy (epsilon -1)', () => checkFormula('poly_loss', (l, y) => nn.losses.polyLossCrossEntropy(l, y, -1), ['logits', 'labels']));
S('losses.generalizedKlDivergence (= convexKlDivergence) matches optax', () => {
  checkFormula('generalized_kl', nn.losses.generalizedKlDivergence, ['logp', 'targets']);
  assert.ok(nn.losses.convexKlDivergence === nn.losses.generalizedKlDivergence);
});
S('sparsemax matches optax.projections.projection_simplex (values, Jacobian-vector products); rows sum to 1', () => {
  checkFormula('sparsemax', nn.sparsemax, ['z']);
  allClose(read(np.sum(nn.sparsemax(tensor(cases.sparsemax.inputs.z)), -1)), [1, 1, 1, 1], { rtol: 1e-6, atol: 1e-6 }, 'row sums');
});
S('losses.multiclassSparsemaxLoss and sparsemaxLoss match optax', () => {
  checkFormula('multiclass_sparsemax_loss', nn.losses.multiclassSparsemaxLoss, ['scores', 'labels'], ['labels']);
  checkFormula('sparsemax_loss', nn.losses.sparsemaxLoss, ['logits', 'labels'], ['labels']);
});
S('losses.diceLoss matches optax.losses.dice_loss (class weights, Tversky alpha/beta, ignoreBackground, sum; binary with sigmoid)', () => {
  const c = cases.dice;
  checkFormula('dice', (p, t) => nn.losses.diceLoss(p, t, { classWeights: np.array(c.class_weights), smooth: c.smooth, alpha: c.alpha, beta: c.beta, reduction: 'sum', ignoreBackground: true }), ['predictions', 'targets']);
  checkFormula('dice_binary', (p, t) => nn.losses.diceLoss(p, t), ['predictions', 'targets']);
});
S('rotaryEmbedding matches eqx.nn.RotaryPositionalEmbedding (half rotation); the layer checks embeddingSize', () => {
  checkFormula('rope', (x) => nn.rotaryEmbedding(x, { theta: cases.rope.theta }), ['x']);
  const layer = nn.rotaryPositionalEmbedding({ embeddingSize: 6, theta: 100 });
  const x = tensor(cases.rope.inputs.x);
  const heads = np.stack([x, np.mul(x, 2)]); // [2, seq, d]: leading axes share the positions
  close(layer.apply({}, {}, heads)[0], [[...cases.rope.y[0], ...cases.rope.y[0].map((v: number) => 2 * v)], [2, ...cases.rope.y[1]]], 'batched over heads');
  assert.throws(() => layer.apply({}, {}, np.zeros([3, 4])), /rotaryPositionalEmbedding: x.shape\[-1\] must be 6, got \[3,4\]/);
  assert.throws(() => nn.rotaryPositionalEmbedding({ embeddingSize: 5 }), /embeddingSize must be even, got 5/);
});

// ---------------------------------------------------------------- Equinox's MLP options
S('mlp with widthSize / depth is eqx.nn.MLP: depth + 1 layers, relu between, finalActivation, finalBias, scalar in/out', () => {
  const m = nn.mlp({ in: 'scalar', out: 'scalar', widthSize: 4, depth: 2, finalActivation: 'tanh', finalBias: false });
  const { params } = m.init(random.key(0));
  assert.equal(Object.keys(params), ['fc1', 'fc2', 'fc3']);
  assert.equal([params.fc1.w.shape, params.fc2.w.shape, params.fc3.w.shape], [[1, 4], [4, 4], [4, 1]]);
  assert.ok(params.fc1.b && params.fc2.b && !params.fc3.b, 'use_bias on hidden layers, use_final_bias off on the last');
  const x = np.array([0.5, -1, 2]);
  const [y] = m.apply(params, {}, x);
  const lin = (h: NdArray, p: { w: NdArray; b?: NdArray }) => nn.F.linear(h, p.w, p.b);
  const expected = np.squeeze(np.tanh(lin(np.relu(lin(np.relu(lin(np.expandDims(x, -1), params.fc1)), params.fc2)), params.fc3)), -1);
  assert.equal(y.shape, [3]);
  allClose(read(y), read(expected), { rtol: 1e-6, atol: 1e-6 }, 'relu between, tanh at the end');
  const d0 = nn.mlp({ in: 3, out: 2, widthSize: 8, depth: 0, bias: false });
  assert.equal(Object.keys(d0.init(random.key(0)).params), ['fc1'], 'depth 0: one Linear');
  assert.ok(d0.init(random.key(0)).params.fc1.b, 'depth 0: its bias is the final bias (default on)');
  assert.throws(() => nn.mlp({ in: 3, out: 2, hidden: 4, depth: 1, widthSize: 4 }), /mlp: give hidden, or widthSize and depth \(Equinox\), not both/);
  assert.throws(() => nn.mlp({ in: 3, out: 2, widthSize: 4 }), /mlp: depth must be a non-negative integer, got undefined/);
  const custom = nn.mlp({ in: 2, out: 2, hidden: 3, activation: (h) => np.mul(h, 0) });
  const cv = custom.init(random.key(0)).params;
  allClose(read(custom.apply(cv, {}, np.ones([2]))[0]), read(cv.fc2.b), { rtol: 1e-6 }, 'a function as the activation');
});

S.run();
