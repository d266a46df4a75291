/**
 * Session 15's torch.nn modules as layers, against test/fixtures/nn_modules_{rnn,transformer,misc}_session15.json
 * (tools/torch_modules_session15.py, PyTorch 1.13): nn.RNN / LSTM / GRU over whole sequences, RNNCell,
 * TransformerEncoderLayer / DecoderLayer / Encoder, the padding layers, Bilinear, CosineSimilarity,
 * PairwiseDistance, Softmax2d and the shrink / threshold / softmin activations. Each case checks the
 * output and the gradients (inputs and every parameter, under PyTorch's names), eager and under jit;
 * the state-dict import (fromTorch) and export (toTorch) are checked on the same parameters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';
import { close, tensor, toFirst, toLast, torchCases } from './torch-cases.js';

const backend = await useTestBackend();
const S = suite(`nn: torch.nn modules, session 15 [${backend}]`);

const rnnCases = torchCases('nn_modules_rnn_session15.json');
const trCases = torchCases('nn_modules_transformer_session15.json');
/** float32 through softmax and two or three LayerNorms over 4 features: rounding grows past the fixtures' 6 digits. */
const TR_TOL = { rtol: 1e-4, atol: 1e-4 };
const misc = torchCases('nn_modules_misc_session15.json');
type Xs = Record<string, NdArray>;
type Tree = Record<string, unknown>;
const T = (w: NdArray) => np.transpose(w);
const flatCat = (...ts: (NdArray | undefined)[]) => np.concatenate(ts.filter((t): t is NdArray => !!t).map((t) => np.reshape(t, [-1])), 0);
const set = (root: Tree, path: readonly string[], v: unknown) => {
  let o = root;
  for (const k of path.slice(0, -1)) o = (o[k] ??= {}) as Tree;
  o[path[path.length - 1]] = v;
};

/** The recurrent parameters (ours) from PyTorch's names, differentiably: weight_ih_l0_reverse -> l0_reverse.ih.w (transposed). */
function rnnParams(xs: Xs): nn.RnnParams {
  const p: Tree = {};
  for (const [k, v] of Object.entries(xs)) {
    const m = /^(weight|bias)_(ih|hh|hr)(?:_(l\d+(?:_reverse)?))?$/.exec(k);
    if (m) set(p, [...(m[3] ? [m[3]] : []), m[2], m[1] === 'weight' ? 'w' : 'b'], m[1] === 'weight' ? T(v) : v);
  }
  return p as unknown as nn.RnnParams;
}

/** A transformer block's parameters (ours) from PyTorch's names under `pre`, differentiably. */
function blockParams(xs: Xs, pre: string): Tree {
  const p: Tree = {};
  for (const attn of ['self_attn', 'multihead_attn']) {
    const w = xs[`${pre}${attn}.in_proj_weight`];
    if (!w) continue;
    const ws = np.split(w, 3, 0);
    const bs = np.split(xs[`${pre}${attn}.in_proj_bias`], 3, 0);
    ['q', 'k', 'v'].forEach((n, i) => set(p, [attn, n], { w: T(ws[i]), b: bs[i] }));
    set(p, [attn, 'out'], { w: T(xs[`${pre}${attn}.out_proj.weight`]), b: xs[`${pre}${attn}.out_proj.bias`] });
  }
  for (const n of ['linear1', 'linear2']) set(p, [n], { w: T(xs[`${pre}${n}.weight`]), b: xs[`${pre}${n}.bias`] });
  for (const n of ['norm1', 'norm2', 'norm3']) if (xs[`${pre}${n}.weight`]) set(p, [n], { scale: xs[`${pre}${n}.weight`], bias: xs[`${pre}${n}.bias`] });
  for (const n of ['dropout', 'dropout1', 'dropout2', 'dropout3']) p[n] = {};
  return p;
}

/** The state dict of a case: its inputs other than `skip`, as concrete tensors. */
function stateDict(c: { inputs: Record<string, { data: number[]; shape: number[] }> }, skip: readonly string[]): Record<string, tf.Tensor> {
  return Object.fromEntries(Object.entries(c.inputs).filter(([k]) => !skip.includes(k)).map(([k, e]) => [k, tensor(e)]));
}

/** fromTorch reads every entry of the case's state dict (and nothing else), and toTorch writes them back unchanged. */
function roundTrip(layer: nn.Layer, dict: Record<string, tf.Tensor>, what: string): nn.Variables {
  const r = new nn.TorchReader(dict);
  const v = layer.fromTorch(r, '');
  assert.equal([...r.used].sort(), Object.keys(dict).sort(), `${what}: fromTorch reads every entry`);
  const out: nn.TorchDict = {};
  layer.toTorch(v, '', out);
  assert.equal(Object.keys(out).sort(), Object.keys(dict).sort(), `${what}: toTorch names`);
  for (const [k, t] of Object.entries(dict)) close(out[k], { data: read(t), shape: t.shape }, `${what}: toTorch ${k}`);
  return v;
}

const rnnLayers: Record<string, [nn.RnnLayer, boolean]> = {
  lstm_basic: [nn.lstm({ in: 3, hidden: 4 }), true],
  lstm_2l_bi_bf: [nn.lstm({ in: 3, hidden: 3, numLayers: 2, bidirectional: true, batchFirst: true, dropout: 0.3 }), true],
  lstm_proj_bi: [nn.lstm({ in: 3, hidden: 5, projSize: 2, bidirectional: true }), true],
  lstm_unbatched_nobias: [nn.lstm({ in: 3, hidden: 4, bias: false }), true],
  gru_2l_bi: [nn.gru({ in: 3, hidden: 3, numLayers: 2, bidirectional: true }), false],
  gru_bf_nobias: [nn.gru({ in: 3, hidden: 4, bias: false, batchFirst: true }), false],
  rnn_tanh_2l: [nn.rnn({ in: 3, hidden: 4, numLayers: 2 }), false],
  rnn_relu_bi: [nn.rnn({ in: 3, hidden: 4, nonlinearity: 'relu', bidirectional: true, batchFirst: true }), false],
};

S('rnn / lstm / gru over sequences (layers, directions, batchFirst, bias, projSize, h0 / c0, one sequence): outputs, hN, cN and gradients as torch', () => {
  for (const [name, [layer, isLstm]] of Object.entries(rnnLayers)) {
    rnnCases.check(name, (xs) => {
      const r = layer.forward(rnnParams(xs), xs.x, { h0: xs.h0, c0: xs.c0 });
      return flatCat(r.output, r.hN, isLstm ? r.cN : undefined);
    });
    const c = rnnCases.cases[name];
    const v = roundTrip(layer, stateDict(c, ['x', 'h0', 'c0']), name);
    const x = tensor(c.inputs.x);
    const [y] = layer.apply(v.params, v.state, x, { h0: c.inputs.h0 && tensor(c.inputs.h0), c0: c.inputs.c0 && tensor(c.inputs.c0) });
    const n = y.shape.reduce((a, b) => a * b, 1);
    close(y, { data: c.out.data.slice(0, n), shape: y.shape }, `${name}: apply after fromTorch`);
  }
});

S('rnnCell (tanh / relu) as torch.nn.RNNCell', () => {
  for (const nonlinearity of ['tanh', 'relu'] as const) {
    const cell = nn.rnnCell({ in: 3, hidden: 4, nonlinearity });
    misc.check(`rnncell_${nonlinearity}`, (xs) => cell.apply(rnnParams(xs) as unknown as nn.RecurrentParams, { h: xs.h }, xs.x)[0]);
  }
  assert.throws(() => nn.rnnCell({ in: 3, hidden: 4, nonlinearity: 'gelu' as 'tanh' }), /rnnCell: nonlinearity must be 'tanh' or 'relu', got 'gelu'/);
});

S('recurrent layers: shapes, default init and errors', () => {
  const lstm = nn.lstm({ in: 3, hidden: 4, numLayers: 2, bidirectional: true, projSize: 2 });
  const { params } = lstm.init(random.key(0));
  assert.equal(Object.keys(params), ['l0', 'l0_reverse', 'l1', 'l1_reverse']);
  assert.equal(params.l1.ih.w.shape, [4, 16], 'layer 1 reads both directions of projected outputs');
  assert.equal(params.l0.hr!.w.shape, [4, 2]);
  const bound = 1 / Math.sqrt(4);
  assert.ok(read(params.l0.hh.b!).every((w) => Math.abs(w) <= bound), 'U(-1/sqrt(hidden), 1/sqrt(hidden))');
  const r = lstm.forward(params, np.ones([5, 2, 3]));
  assert.equal([r.output.shape, r.hN.shape, r.cN!.shape], [[5, 2, 4], [4, 2, 2], [4, 2, 4]]);
  assert.throws(() => lstm.forward(params, np.ones([5, 2, 4])), /lstm: expected inputs \[T, N, 3\]/);
  assert.throws(() => lstm.forward(params, np.ones([5, 2, 3]), { h0: np.zeros([4, 2, 4]) }), /lstm: h0 must be \[4,2,2\]/);
  assert.throws(() => nn.gru({ in: 3, hidden: 4, projSize: 2 } as nn.LstmConfig), /gru: projSize must be an integer in \[0, hidden\) \(LSTM only\)/);
  const gru = nn.gru({ in: 3, hidden: 4, numLayers: 2, dropout: 0.5 });
  const g = gru.init(random.key(1)).params;
  assert.throws(() => gru.forward(g, np.ones([5, 2, 3]), { train: true }), /gru: training with dropout needs a PRNG key/);
  const a = read(gru.forward(g, np.ones([5, 2, 3]), { train: true, key: random.key(2) }).output);
  const b = read(gru.forward(g, np.ones([5, 2, 3])).output);
  assert.not.equal(a, b, 'dropout between the layers in training');
});

const E = 4;
const encLayer = (o: Partial<nn.TransformerLayerConfig> = {}) => nn.transformerEncoderLayer({ dModel: E, nhead: 2, dimFeedforward: 6, ...o });
const decLayer = (o: Partial<nn.TransformerLayerConfig> = {}) => nn.transformerDecoderLayer({ dModel: E, nhead: 2, dimFeedforward: 6, ...o });
const bool = (name: string, key: string) => np.cast(tensor(trCases.cases[name].inputs[key]), 'bool');

S('transformerEncoderLayer / DecoderLayer / Encoder (post- and pre-norm, relu / gelu, masks, batchFirst, one example): as torch', () => {
  const enc = encLayer();
  trCases.check('enc_post_kpm', (xs) => enc.apply(blockParams(xs, ''), {}, xs.x, { srcKeyPaddingMask: bool('enc_post_kpm', 'kpm') })[0], TR_TOL);
  const pre = encLayer({ activation: 'gelu', batchFirst: true, normFirst: true, layerNormEps: 1e-3 });
  trCases.check('enc_pre_gelu_causal_bf', (xs) => pre.apply(blockParams(xs, ''), {}, xs.x, { isCausal: true })[0], TR_TOL);
  trCases.check('enc_float_mask_unbatched', (xs) => enc.apply(blockParams(xs, ''), {}, xs.x, { srcMask: tensor(trCases.cases.enc_float_mask_unbatched.inputs.m) })[0], TR_TOL);
  const dec = decLayer({ batchFirst: true });
  trCases.check('dec_post_bf', (xs) => dec.apply(blockParams(xs, ''), {}, xs.x, { memory: xs.memory, tgtMask: nn.causalMask(3), memoryKeyPaddingMask: bool('dec_post_bf', 'mkpm') })[0], TR_TOL);
  const decPre = decLayer({ normFirst: true });
  trCases.check('dec_pre', (xs) => decPre.apply(blockParams(xs, ''), {}, xs.x, { memory: xs.memory })[0], TR_TOL);
  const stack = nn.transformerEncoder({ layer: { dModel: E, nhead: 2, dimFeedforward: 6, batchFirst: true }, numLayers: 2, norm: true });
  const stackParams = (xs: Xs) => ({ layers: [blockParams(xs, 'layers.0.'), blockParams(xs, 'layers.1.')], norm: { scale: xs['norm.weight'], bias: xs['norm.bias'] } });
  trCases.check('encoder_2_norm', (xs) => stack.apply(stackParams(xs), { layers: [{}, {}], norm: {} }, xs.x, { srcKeyPaddingMask: bool('encoder_2_norm', 'kpm') })[0], TR_TOL);
  // state-dict import and export
  for (const [name, layer, skip] of [['dec_post_bf', dec, ['x', 'memory', 'mkpm']], ['encoder_2_norm', stack, ['x', 'kpm']]] as [string, nn.Layer, string[]][]) {
    const c = trCases.cases[name];
    const v = roundTrip(layer, stateDict(c, skip), name);
    const opts: nn.TransformerDecoderOptions & nn.TransformerEncoderOptions = name === 'dec_post_bf' ? { memory: tensor(c.inputs.memory), tgtIsCausal: true, memoryKeyPaddingMask: bool(name, 'mkpm') } : { srcKeyPaddingMask: bool(name, 'kpm') };
    close(jit((p: unknown, x: NdArray) => layer.apply(p, v.state, x, opts)[0])(v.params, tensor(c.inputs.x)), c.out, `${name}: apply after fromTorch (jit)`);
  }
});

S('transformer layers: torch defaults, clones, dropout in training, errors', () => {
  const layer = nn.transformerEncoderLayer({ dModel: 8, nhead: 2 });
  const v = layer.init(random.key(0));
  assert.equal(v.params.linear1.w.shape, [8, 2048], 'dim_feedforward 2048');
  const x = random.normal(random.key(1), [3, 2, 8]);
  const evalY = read(layer.apply(v.params, v.state, x)[0]);
  assert.equal(read(layer.apply(v.params, v.state, x)[0]), evalY, 'eval is deterministic');
  assert.not.equal(read(layer.apply(v.params, v.state, x, { train: true, key: random.key(2) })[0]), evalY, 'dropout 0.1 in training');
  assert.throws(() => layer.apply(v.params, v.state, x, { train: true }), /needs a PRNG key/);
  const stack = nn.transformerEncoder({ layer: { dModel: 8, nhead: 2, dimFeedforward: 16 }, numLayers: 3 });
  const s = stack.init(random.key(3)).params;
  assert.equal(read(s.layers[2].linear1.w), read(s.layers[0].linear1.w), 'layers start as clones, as torch');
  assert.throws(() => layer.apply(v.params, v.state, np.ones([3, 2, 7])), /transformerEncoderLayer: expected inputs \[L, N, 8\]/);
  assert.throws(() => nn.transformerDecoderLayer({ dModel: 8, nhead: 2 }).apply(v.params, v.state, x), /needs the encoder's output: \{ memory \}/);
  assert.throws(() => nn.transformerEncoderLayer({ dModel: 8, nhead: 2, activation: 'tanh' as 'relu' }), /activation must be 'relu', 'gelu' or a function/);
});

S('padding layers (channels last) as torch.nn.ConstantPad / ZeroPad2d / ReflectionPad / ReplicationPad', () => {
  const chLast = (layer: nn.Layer) => (xs: Xs) => toFirst(layer.apply({}, {}, toLast(xs.x))[0]);
  const layers: Record<string, nn.Layer> = {
    constant_pad2d: nn.constantPad2d({ padding: [1, 2, 0, 3], value: 0.5 }),
    zero_pad2d_crop: nn.zeroPad2d({ padding: [-1, 2, 1, 0] }),
    constant_pad1d: nn.constantPad1d({ padding: 2, value: -1 }),
    constant_pad3d: nn.constantPad3d({ padding: [1, 0, 0, 1, 1, 0], value: 2 }),
    reflection_pad1d: nn.reflectionPad1d({ padding: [2, 1] }),
    reflection_pad2d: nn.reflectionPad2d({ padding: [1, 3, 2, 0] }),
    reflection_pad3d: nn.reflectionPad3d({ padding: 1 }),
    replication_pad1d: nn.replicationPad1d({ padding: [3, 1] }),
    replication_pad2d: nn.replicationPad2d({ padding: [2, 0, 1, 3] }),
    replication_pad3d: nn.replicationPad3d({ padding: [1, 0, 2, 1, 0, 1] }),
  };
  for (const [name, layer] of Object.entries(layers)) misc.check(name, chLast(layer));
  // one example [C, H, W] in torch, [H, W, C] here
  misc.check('reflection_pad2d_unbatched', (xs) => np.moveaxis(nn.reflectionPad2d({ padding: 1 }).apply({}, {}, np.moveaxis(xs.x, 0, -1))[0], -1, 0));
  assert.throws(() => nn.reflectionPad2d({ padding: [1, 2] }), /reflectionPad2d: padding must be an integer or 4 integers/);
  assert.throws(() => nn.replicationPad1d({ padding: 1 }).apply({}, {}, np.ones([4])), /replicationPad1d: expected channels-last inputs/);
});

S('bilinear, cosineSimilarity, pairwiseDistance, softmax2d and the shrink / threshold / softmin modules as torch', () => {
  const bil = nn.bilinear({ in1: 3, in2: 2, out: 4 });
  misc.check('bilinear', (xs) => bil.apply({ w: xs.weight, b: xs.bias }, {}, xs.x1, { x2: xs.x2 })[0]);
  const v = roundTrip(bil, stateDict(misc.cases.bilinear, ['x1', 'x2']), 'bilinear');
  close(bil.apply(v.params, {}, tensor(misc.cases.bilinear.inputs.x1), { x2: tensor(misc.cases.bilinear.inputs.x2) })[0], misc.cases.bilinear.out, 'bilinear after fromTorch');
  assert.throws(() => bil.apply(v.params, {}, np.ones([5, 3])), /bilinear: apply needs the second input/);
  misc.check('cosine_similarity', (xs) => nn.cosineSimilarity().apply({}, {}, xs.x1, { x2: xs.x2 })[0]);
  misc.check('pairwise_distance_p1_keepdim', (xs) => nn.pairwiseDistance({ p: 1, keepdim: true }).apply({}, {}, xs.x1, { x2: xs.x2 })[0]);
  misc.check('softmax2d', (xs) => toFirst(nn.softmax2d().apply({}, {}, toLast(xs.x))[0]));
  const act = (layer: nn.Layer) => (xs: Xs) => layer.apply({}, {}, xs.x)[0];
  misc.check('hardshrink', act(nn.hardshrink({ lambd: 0.7 })));
  misc.check('softshrink', act(nn.softshrink({ lambd: 0.3 })));
  misc.check('tanhshrink', act(nn.tanhshrink()));
  misc.check('threshold', act(nn.threshold({ threshold: 0.1, value: 20 })));
  misc.check('softmin', act(nn.softmin({ dim: 1 })));
  misc.check('hardshrink', (xs) => nn.hardshrink(xs.x, { lambd: 0.7 }));
  assert.throws(() => nn.threshold().apply({}, {}, np.ones([2])), /threshold: needs \{ threshold, value \}/);
});

S.run();
