/**
 * The transformer-block options NEPA uses, against PyTorch 1.13 transcriptions of
 * stable-pretraining's `backbone/vit.py` and `backbone/pos_embed.py`
 * (test/fixtures/torch_block_options_session19.json, tools/torch_block_options_session19.py):
 * `nn.rotaryEmbedding2d` (the seed's 2-D RoPE: adjacent-channel pairs, row then column halves, its
 * frequency layout), `multiHeadAttention`'s `qkNorm` and `rope: '2d'` (with a causal mask, and the
 * square grid inferred), `nn.swiglu` (gated width floor(2 hidden / 3)), and `vitBlock`'s
 * `mlp: 'swiglu'`, `layerScale` and `attention` together: outputs and the gradients of
 * sum(y * cos(0.37 i + 0.1)), eagerly and under jit; the seed's names and initial values; one-line errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { loadFixture } from '../ssl/fixtures.js';
import { read } from './util.js';

await useTestBackend();

interface Arr {
  data: number[];
  shape: number[];
}
interface RopeCase {
  d: number;
  grid: [number, number];
  base: number;
  x: Arr;
  out: Arr;
  grad: Arr;
}
interface LayerCase {
  inputs: Arr[];
  out: Arr;
  grads: Record<string, Arr>;
  state_dict: Record<string, Arr>;
  dim?: number;
  heads?: number;
}
interface Fixture {
  rope_d12: RopeCase;
  rope_d8: RopeCase;
  attn_qknorm: LayerCase;
  attn_qknorm_rope_causal: LayerCase;
  attn_rope_square: LayerCase;
  swiglu: LayerCase;
  block: LayerCase;
  block_init: { ls1: Arr; swiglu_width: number };
}
const fx = loadFixture<Fixture>('torch_block_options_session19.json');
const tensorOf = (a: Arr) => tf.tensor(a.data, a.shape);
// float32 on both sides from the same (as written) inputs: a few ulps through softmax, LayerNorm and SiLU.
const TOL = { rtol: 1e-4, atol: 1e-5 };
const cotangent = (shape: readonly number[]) => np.reshape(np.cos(np.add(np.mul(np.arange(shape.reduce((a, b) => a * b, 1)), 0.37), 0.1)), shape);

/** Checks y = f(params, x) and the gradients of sum(y * cot) against the case (gradients named as the state dict; `input0` is x's). */
function checkLayer(what: string, layer: nn.Layer, c: LayerCase, opts: nn.AttentionApplyOptions = {}, useJit = false): void {
  const v = layer.fromTorch(new nn.TorchReader(Object.fromEntries(Object.entries(c.state_dict).map(([k, a]) => [k, tensorOf(a)]))), '');
  const x = tensorOf(c.inputs[0]);
  const run = (p: unknown, xi: NdArray) => layer.apply(p, v.state, xi, opts)[0];
  const f = useJit ? jit(run) : run;
  allClose(read(f(v.params, x)), c.out.data, TOL, `${what}: output`);
  const objective = (p: unknown, xi: NdArray) => np.sum(np.mul(run(p, xi), cotangent(c.out.shape)));
  const [gp, gx] = (useJit ? jit(grad(objective, { argnums: [0, 1] })) : grad(objective, { argnums: [0, 1] }))(v.params, x) as [unknown, NdArray];
  allClose(read(gx), c.grads.input0.data, TOL, `${what}: gradient of the input`);
  const g: nn.TorchDict = {};
  layer.toTorch({ params: gp, state: v.state }, '', g);
  for (const [k, want] of Object.entries(c.grads)) if (k !== 'input0') allClose(read(g[k]), want.data, TOL, `${what}: gradient of ${k}`);
}

const Rope = suite('nn.rotaryEmbedding2d: stable-pretraining\'s 2-D RoPE');
for (const name of ['rope_d12', 'rope_d8'] as const) {
  Rope(`${name}: values and gradient as the seed's (eager and jit)`, () => {
    const c = fx[name];
    const x = tensorOf(c.x);
    const f = (xi: NdArray) => nn.rotaryEmbedding2d(xi, c.grid[0], c.grid[1], { theta: c.base });
    allClose(read(f(x)), c.out.data, TOL, `${name} eager`);
    allClose(read(jit(f)(x)), c.out.data, TOL, `${name} jit`);
    const g = grad((xi: NdArray) => np.sum(np.mul(f(xi), cotangent(c.x.shape))))(x);
    allClose(read(g), c.grad.data, TOL, `${name} gradient`);
  });
}
Rope('position 0 is the identity; the head width and the grid are checked in one line', () => {
  const x = random.normal(random.key(0), [1, 8]);
  allClose(read(nn.rotaryEmbedding2d(x, 1, 1)), read(x), { atol: 0 }, 'the first token is not turned');
  assert.is(errorOf(() => nn.rotaryEmbedding2d(np.zeros([6, 6]), 2, 3)), 'rotaryEmbedding2d: expected [..., seq, d] with d a multiple of 4, got [6,6]');
  assert.is(errorOf(() => nn.rotaryEmbedding2d(np.zeros([6, 8]), 3, 3)), 'rotaryEmbedding2d: the grid 3x3 must hold the 6 tokens of [6,8]');
});
Rope.run();

const Attn = suite("nn.multiHeadAttention: qkNorm and rope '2d' (the seed's Attention)");
Attn('qkNorm: LayerNorm without affine (eps 1e-5) on each head\'s q and k', () => checkLayer('attn_qknorm', nn.multiHeadAttention({ dim: 8, numHeads: 2, qkNorm: true }), fx.attn_qknorm));
Attn("qkNorm then rope '2d' on a 2x3 grid, causal: eager and jit", () => {
  const layer = nn.multiHeadAttention({ dim: 8, numHeads: 2, qkNorm: true, rope: '2d' });
  checkLayer('attn_qknorm_rope_causal', layer, fx.attn_qknorm_rope_causal, { isCausal: true, grid: [2, 3] });
  checkLayer('attn_qknorm_rope_causal jit', layer, fx.attn_qknorm_rope_causal, { isCausal: true, grid: [2, 3] }, true);
});
Attn("rope '2d' without a grid: the square one (9 tokens, 3x3), head width 8", () => checkLayer('attn_rope_square', nn.multiHeadAttention({ dim: 8, numHeads: 1, rope: '2d' }), fx.attn_rope_square));
Attn('bad options and a missing grid are one-line errors', () => {
  assert.is(errorOf(() => nn.multiHeadAttention({ dim: 8, numHeads: 4, rope: '2d' })), "multiHeadAttention: rope '2d' needs a head width (dim / numHeads) that is a multiple of 4, got 2");
  assert.is(errorOf(() => nn.multiHeadAttention({ dim: 8, numHeads: 2, rope: '1d' as never })), "multiHeadAttention: rope must be '2d' (or absent), got 1d");
  assert.is(errorOf(() => nn.multiHeadAttention({ dim: 8, numHeads: 2, qkNorm: { eps: 0 } })), 'multiHeadAttention: qkNorm.eps must be a finite number > 0, got 0');
  const layer = nn.multiHeadAttention({ dim: 8, numHeads: 2, rope: '2d' });
  const v = layer.init(random.key(1));
  assert.is(errorOf(() => layer.apply(v.params, v.state, np.zeros([1, 6, 8]))), "multiHeadAttention: rope '2d' needs apply's grid [gh, gw] for 6 tokens (not a perfect square)");
});
Attn.run();

const Ff = suite("nn.swiglu and vitBlock's mlp / layerScale / attention options (the seed's TransformerBlock)");
Ff('swiglu(6, 16, 5): gated width int(32 / 3) = 10, no biases, as the seed\'s', () => {
  const layer = nn.swiglu({ in: 6, hidden: 16, out: 5 });
  assert.equal(fx.swiglu.state_dict['w1.weight'].shape, [10, 6]);
  checkLayer('swiglu', layer, fx.swiglu);
});
Ff('the whole block (QK-Norm, RoPE, SwiGLU, LayerScale, causal): output and gradients (ls1, ls2, norm1, qkv, w1), eager and jit', () => {
  const block = nn.vitBlock(8, 1, 32, { eps: 1e-5, linearInit: {}, mlp: 'swiglu', layerScale: 0.3, attention: { qkNorm: true, rope: '2d' } });
  checkLayer('block', block, fx.block, { isCausal: true, grid: [2, 3] });
  checkLayer('block jit', block, fx.block, { isCausal: true, grid: [2, 3] }, true);
});
Ff("init: the seed's names (ls1, ls2 bare parameters, mlp.w1..w3, the rope.inv_freq buffer), ls = layer_scale_init, SwiGLU width 42 at dim 16", () => {
  const block = nn.vitBlock(8, 1, 32, { eps: 1e-5, linearInit: {}, mlp: 'swiglu', layerScale: 0.3, attention: { qkNorm: true, rope: '2d' } });
  const v = block.init(random.key(2));
  const block16 = nn.vitBlock(16, 2, 64, { mlp: 'swiglu', layerScale: 1e-5 });
  const v16 = block16.init(random.key(3));
  const d16: nn.TorchDict = {};
  block16.toTorch(v16, '', d16);
  allClose(read(d16.ls1), fx.block_init.ls1.data, { atol: 0 }, 'ls1 starts at layer_scale_init');
  assert.equal(d16['mlp.w1.weight'].shape, [fx.block_init.swiglu_width, 16]);
  const d: nn.TorchDict = {};
  block.toTorch(v, '', d);
  assert.equal(Object.keys(d).sort(), Object.keys(fx.block.state_dict).sort());
  for (const [k, a] of Object.entries(fx.block.state_dict)) assert.equal(d[k].shape, a.shape, k);
  allClose(read(d['attn.rope.inv_freq']), fx.block.state_dict['attn.rope.inv_freq'].data, { rtol: 1e-6 }, 'inv_freq');
  tf.dispose([...Object.values(d), ...Object.values(d16)] as tf.Tensor[]);
});
Ff('without the options the block is as before: fc1 / fc2, no ls; bad options are one-line errors', () => {
  const d: nn.TorchDict = {};
  const block = nn.vitBlock(8, 2, 16);
  block.toTorch(block.init(random.key(4)), '', d);
  assert.equal(Object.keys(d).sort(), ['attn.proj.bias', 'attn.proj.weight', 'attn.qkv.bias', 'attn.qkv.weight', 'mlp.fc1.bias', 'mlp.fc1.weight', 'mlp.fc2.bias', 'mlp.fc2.weight', 'norm1.bias', 'norm1.weight', 'norm2.bias', 'norm2.weight']);
  assert.is(errorOf(() => nn.vitBlock(8, 2, 16, { mlp: 'relu' as never })), "vitBlock: mlp must be 'gelu' or 'swiglu', got relu");
  assert.is(errorOf(() => nn.vitBlock(8, 2, 16, { layerScale: NaN })), 'vitBlock: layerScale must be a finite number, got NaN');
  assert.is(errorOf(() => nn.swiglu({ in: 4, hidden: 1 })), 'swiglu: hidden 1 leaves no gated unit (floor(2 * 1 / 3) = 0)');
});
Ff.run();
