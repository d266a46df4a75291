/**
 * Dropout and stochastic depth in the ViT and the ResNets, as timm's: `F.dropPath` (per-sample,
 * scale_by_keep), `nn.dropPathRates` (timm's linear rule), `vitBlock`'s `dropPath`, `attnDrop`,
 * `projDrop`, `nn.vit`'s `posDropRate`, `projDropRate`, `attnDropRate`, `dropPathRate`, and the
 * ResNets' `dropPathRate` (each block's residual branch before the shortcut).
 * PyTorch's random draws cannot be replayed, so the checks are the semantics: identity in
 * evaluation and at rate 0, which samples a branch keeps and how it scales them, the per-block
 * rates, the drop frequency against a binomial bound, jit = eager for one key, and one-line errors.
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
import { randn, read } from './util.js';

await useTestBackend();

/** Rows (samples along axis 0) of a [N, ...] array as flat number lists. */
const rowsOf = (x: NdArray): number[][] => {
  const n = x.shape[0];
  const v = read(x);
  const w = v.length / n;
  return Array.from({ length: n }, (_, i) => v.slice(i * w, (i + 1) * w));
};
const near = (a: number[], b: number[], tol = 1e-5) => a.every((v, i) => Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])));

const Dp = suite('F.dropPath: stochastic depth per sample (timm)');
Dp('each sample is zeroed whole or scaled by 1 / (1 - rate); the drop frequency is the rate (binomial bound)', () => {
  const n = 4000;
  const rate = 0.3;
  const x = np.add(np.abs(randn([n, 3, 2], 3)), 0.1); // no zeros, so a zero row means dropped
  const y = nn.F.dropPath(random.key(7), x, rate);
  const [xs, ys] = [rowsOf(x), rowsOf(y)];
  let dropped = 0;
  ys.forEach((row, i) => {
    if (row.every((v) => v === 0)) dropped++;
    else assert.ok(near(row, xs[i].map((v) => v / (1 - rate))), `sample ${i} is kept and scaled by 1 / 0.7`);
  });
  // Binomial(4000, 0.3): standard deviation 29; 5 of them.
  assert.ok(Math.abs(dropped - rate * n) < 5 * Math.sqrt(n * rate * (1 - rate)), `${dropped} of ${n} dropped at rate 0.3`);
});
Dp('rate 0 is the identity, rate 1 zeros; the same key the same mask; the gradient is the mask over 1 - rate', () => {
  const x = randn([8, 5], 2);
  assert.is(nn.F.dropPath(random.key(1), x, 0), x);
  assert.ok(read(nn.F.dropPath(random.key(1), x, 1)).every((v) => v === 0));
  allClose(read(nn.F.dropPath(random.key(4), x, 0.5)), read(nn.F.dropPath(random.key(4), x, 0.5)), { atol: 0 });
  const g = grad((xi: NdArray) => np.sum(nn.F.dropPath(random.key(4), xi, 0.5)))(x);
  const kept = rowsOf(nn.F.dropPath(random.key(4), np.onesLike(x), 0.5)).map((r) => r[0]);
  rowsOf(g).forEach((row, i) => assert.ok(row.every((v) => v === kept[i]), `gradient of sample ${i}`));
  assert.ok(kept.includes(0) && kept.includes(2), 'both outcomes among 8 samples at rate 0.5');
});
Dp("dropPathRates: timm's torch.linspace(0, rate, n)", () => {
  allClose(nn.dropPathRates(0.7, 3), [0, 0.35, 0.7], { atol: 1e-12 });
  assert.equal(nn.dropPathRates(0.5, 1), [0]);
  allClose(nn.dropPathRates(0.1, 8).at(-1)!, 0.1, { atol: 1e-12 });
});
Dp('a bad rate or a scalar is a one-line error', () => {
  assert.is(errorOf(() => nn.F.dropPath(random.key(0), randn([2, 2]), 1.5)), 'dropPath: rate must be in [0, 1], got 1.5');
  assert.is(errorOf(() => nn.F.dropPath(random.key(0), np.array(1), 0.5)), 'dropPath: expected a batch axis first, got a scalar');
});
Dp.run();

const Block = suite("nn.vitBlock: dropPath, attnDrop, projDrop (timm's Block)");
const dim = 8;
const plain = nn.vitBlock(dim, 2, 16);
const v = plain.init(random.key(3));
const x = randn([64, 5, dim], 4);
const evalOut = read(plain.apply(v.params, v.state, x)[0]);
Block('in evaluation, and in training at rate 0, a block with the options is the plain block', () => {
  const dropping = nn.vitBlock(dim, 2, 16, { dropPath: 0.5, attnDrop: 0.2, projDrop: 0.2 });
  allClose(read(dropping.apply(v.params, v.state, x)[0]), evalOut, { atol: 0 }, 'evaluation');
  const zero = nn.vitBlock(dim, 2, 16, { dropPath: 0, attnDrop: 0, projDrop: 0 });
  allClose(read(zero.apply(v.params, v.state, x, { train: true, key: random.key(1) })[0]), evalOut, { atol: 0 }, 'training at rate 0');
});
Block('dropPath 1 drops both residual branches: the block is the identity in training', () => {
  const block = nn.vitBlock(dim, 2, 16, { dropPath: 1 });
  allClose(read(block.apply(v.params, v.state, x, { train: true, key: random.key(2) })[0]), read(x), { atol: 0 });
});
Block('dropPath 0.5: each sample is one of the four keep / drop outcomes of the two branches, branches doubled', () => {
  const block = nn.vitBlock(dim, 2, 16, { dropPath: 0.5 });
  const out = rowsOf(block.apply(v.params, v.state, x, { train: true, key: random.key(5) })[0]);
  // The branches evaluated deterministically: y = x + 2 attn(norm1 x) or x; out = y + 2 mlp(norm2 y) or y.
  const attnOnly = (xi: NdArray) => {
    const [h] = nn.layerNorm({ features: dim, eps: 1e-6 }).apply((v.params as any).norm1, {}, xi);
    return nn.multiHeadAttention({ dim, numHeads: 2 }).apply((v.params as any).attn, {}, h)[0];
  };
  const mlpOnly = (yi: NdArray) => {
    const [h] = nn.layerNorm({ features: dim, eps: 1e-6 }).apply((v.params as any).norm2, {}, yi);
    return nn.mlp({ in: dim, hidden: 16, out: dim, activation: 'gelu' }).apply((v.params as any).mlp, {}, h)[0];
  };
  const yKept = np.add(x, np.mul(attnOnly(x), 2));
  const candidates = [x, yKept].flatMap((y) => [rowsOf(y), rowsOf(np.add(y, np.mul(mlpOnly(y), 2)))]);
  const seen = new Set<number>();
  out.forEach((row, i) => {
    const which = candidates.findIndex((c) => near(row, c[i], 1e-4));
    assert.ok(which >= 0, `sample ${i} is none of the four outcomes`);
    seen.add(which);
  });
  assert.is(seen.size, 4, 'all four outcomes among 64 samples');
});
Block('training with dropPath needs a key; bad rates are one-line errors', () => {
  const block = nn.vitBlock(dim, 2, 16, { dropPath: 0.1 });
  assert.is(errorOf(() => block.apply(v.params, v.state, x, { train: true })), 'vitBlock: training with dropPath needs a PRNG key: apply(params, state, x, { train: true, key })');
  assert.is(errorOf(() => nn.vitBlock(dim, 2, 16, { dropPath: -0.1 })), 'vitBlock: dropPath must be a number in [0, 1], got -0.1');
  assert.is(errorOf(() => nn.vitBlock(dim, 2, 16, { attnDrop: 2 })), 'vitBlock: attnDrop must be a number in [0, 1], got 2');
});
Block.run();

const Vit = suite("nn.vit: posDropRate, projDropRate, attnDropRate, dropPathRate (timm's VisionTransformer)");
const opts = { imgSize: 8, patchSize: 4, embedDim: dim, depth: 2, numHeads: 2 };
const images = randn([6, 8, 8, 3], 9);
Vit('dropPathRate rises over the blocks from 0: at rate 1 with depth 2 the last block is skipped, the first runs whole', () => {
  const enc = nn.vit('vit_dp', { ...opts, dropPathRate: 1 });
  const vv = enc.init(random.key(1));
  const one = nn.vit('vit_one', { ...opts, depth: 1 });
  const params1 = { ...vv.params, blocks: [vv.params.blocks[0]] };
  const want = read(one.apply(params1, { ...vv.state, blocks: [vv.state.blocks[0]] }, images)[0]);
  allClose(read(enc.apply(vv.params, vv.state, images, { train: true, key: random.key(3) })[0]), want, { rtol: 1e-6, atol: 1e-6 });
  // in evaluation both blocks run
  const plainVit = nn.vit('vit_plain', opts);
  allClose(read(enc.apply(vv.params, vv.state, images)[0]), read(plainVit.apply(vv.params, vv.state, images)[0]), { atol: 0 });
});
Vit('posDropRate 1 zeroes the tokens entering the blocks (class token and positions included)', () => {
  const enc = nn.vit('vit_pos', { ...opts, posDropRate: 1 });
  const vv = enc.init(random.key(2));
  const tokens = np.zeros([6, 1 + 4, dim]);
  const want = read(np.squeeze(np.sliceAxis(enc.encodeTokens(vv.params, vv.state, tokens, { classToken: false }), 1, 0, 1), 1));
  allClose(read(enc.apply(vv.params, vv.state, images, { train: true, key: random.key(4) })[0]), want, { rtol: 1e-6, atol: 1e-6 });
});
Vit('every rate at 0.3 in training: jitted = eager for one key, another key differs, evaluation untouched, gradients finite', () => {
  const enc = nn.vit('vit_all', { ...opts, posDropRate: 0.3, projDropRate: 0.3, attnDropRate: 0.3, dropPathRate: 0.3 });
  const vv = enc.init(random.key(5));
  const run = (p: unknown, key: NdArray) => enc.apply(p, vv.state, images, { train: true, key })[0] as NdArray;
  const eager = read(run(vv.params, random.key(6)));
  allClose(read(jit(run)(vv.params, random.key(6))), eager, { rtol: 1e-5, atol: 1e-6 }, 'jit');
  assert.ok(!near(read(run(vv.params, random.key(7))), eager, 1e-3), 'another key draws other masks');
  allClose(read(enc.apply(vv.params, vv.state, images)[0]), read(nn.vit('vit_eval', opts).apply(vv.params, vv.state, images)[0]), { atol: 0 }, 'evaluation');
  const g = grad((p: unknown) => np.sum(np.square(run(p, random.key(6)))))(vv.params) as { pos_embed: tf.Tensor };
  assert.ok(read(g.pos_embed).every(Number.isFinite));
  assert.equal(enc.options.dropPathRate, 0.3);
});
Vit('a rate outside [0, 1] is a one-line error naming the option', () => {
  assert.is(errorOf(() => nn.vit('vit_bad', { ...opts, dropPathRate: 1.5 })), 'vit_bad options: at .dropPathRate expected a number in [0, 1], got 1.5');
});
Vit.run();

const Res = suite("nn.resnet18: dropPathRate (timm's ResNet drop_path_rate)");
Res('at rate 1 the last block is always dropped: its parameters get zero gradients, the first block (rate 0) does not; evaluation untouched', () => {
  const images = randn([4, 8, 8, 3], 11);
  const dropping = nn.encoder('resnet18', { lowResolution: true, dropPathRate: 1, zeroInitLast: false });
  const plainNet = nn.encoder('resnet18', { lowResolution: true, zeroInitLast: false });
  const vv = plainNet.init(random.key(3));
  const lossOf = (net: nn.Encoder) => (p: any) => np.sum(np.square(net.apply(p, vv.state, images, { train: true, key: random.key(8) })[0]));
  const gd = grad(lossOf(dropping))(vv.params) as any;
  const gp = grad(lossOf(plainNet))(vv.params) as any;
  const norm = (t: NdArray) => read(t).reduce((a, b) => a + Math.abs(b), 0);
  assert.is(norm(gd.layer4[1].conv1.w), 0, 'layer4.1 (rate 1) is dropped for every sample');
  assert.ok(norm(gp.layer4[1].conv1.w) > 0, 'without stochastic depth it learns');
  assert.ok(norm(gd.layer1[0].conv1.w) > 0, 'layer1.0 (rate 0) always runs');
  allClose(read(dropping.apply(vv.params, vv.state, images)[0]), read(plainNet.apply(vv.params, vv.state, images)[0]), { atol: 0 }, 'evaluation');
  assert.is(errorOf(() => dropping.apply(vv.params, vv.state, images, { train: true })), 'basicBlock: training with dropPath needs a PRNG key: apply(params, state, x, { train: true, key })');
  assert.is(errorOf(() => nn.encoder('resnet18', { dropPathRate: -1 })), 'resnet18 options: at .dropPathRate expected a number in [0, 1], got -1');
});
Res.run();
