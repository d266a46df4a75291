/**
 * Attention with masks: nn.F.scaledDotProductAttention against PyTorch 1.13 (boolean masks with
 * True = attend, float masks, isCausal with L != S, a custom scale; a fully masked query row is
 * NaN as PyTorch), the multiHeadAttention layer's keyPaddingMask / attnMask / isCausal against
 * nn.MultiheadAttention (test/fixtures/torch_attention_masks.json, from
 * tools/torch-fixtures-attention-masks.py), values and gradients, eager and under jit; dropout on
 * the attention weights with an explicit key; and jax.nn.dot_product_attention's uniform weights
 * for a fully masked row.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { read } from './util.js';

const backend = await useTestBackend();

interface Enc {
  shape: number[];
  /** NaN as null, infinities as 'inf' / '-inf'. */
  data: (number | null | 'inf' | '-inf')[];
  dtype: 'float32' | 'bool';
}
interface Entry {
  out: Enc;
  cot: Enc;
  grads?: Enc[];
}
interface LayerEntry {
  out: Enc;
  cot: Enc;
  key_padding_mask: Enc | null;
  attn_mask_allowed: Enc | null;
  grads?: Record<'x' | 'qkv.weight', Enc>;
}
interface Fixture {
  q: Enc;
  k: Enc;
  v: Enc;
  mask: Enc;
  mask_nan: Enc;
  float_mask: Enc;
  sdpa: Record<string, Entry>;
  layer: { x: Enc; state_dict: Record<string, Enc>; cases: Record<string, LayerEntry> };
}
const fx = JSON.parse(readFileSync(new URL('../fixtures/torch_attention_masks.json', import.meta.url), 'utf8')) as Fixture;
const values = (e: Enc) => e.data.map((v) => (v === null ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v));
const tensor = (e: Enc) => tf.tensor(values(e), e.shape, e.dtype);
// float32 dot products of 6 terms and a softmax over 5: a few ulps.
const TOL = { rtol: 2e-5, atol: 2e-6 };

const [q, k, v] = [tensor(fx.q), tensor(fx.k), tensor(fx.v)];
const SDPA: Record<string, (q: NdArray, k: NdArray, v: NdArray) => NdArray> = {
  bool_mask: (a, b, c) => nn.F.scaledDotProductAttention(a, b, c, { attnMask: tensor(fx.mask) }),
  bool_mask_full_row_nan: (a, b, c) => nn.F.scaledDotProductAttention(a, b, c, { attnMask: tensor(fx.mask_nan) }),
  causal: (a, b, c) => nn.F.scaledDotProductAttention(a, b, c, { isCausal: true }),
  float_mask_scale: (a, b, c) => nn.F.scaledDotProductAttention(a, b, c, { attnMask: tensor(fx.float_mask), scale: 0.3 }),
  no_mask: (a, b, c) => nn.F.scaledDotProductAttention(a, b, c),
};

const S = suite(`nn.F.scaledDotProductAttention: PyTorch's masks [${backend}]`);

S('every fixture case has a call', () => {
  assert.equal(Object.keys(fx.sdpa).sort(), Object.keys(SDPA).sort());
});

for (const [name, e] of Object.entries(fx.sdpa)) {
  S(`${name}: output${e.grads ? ' and gradients' : ''} as PyTorch's`, () => {
    tf.tidy(() => {
      const f = SDPA[name];
      for (const [mode, g] of [['eager', f], ['jit', jit(f)]] as const) {
        const out = g(q, k, v);
        assert.equal(out.shape, e.out.shape, `${name} (${mode}): shape`);
        allClose(read(out), values(e.out), TOL, `${name} (${mode})`);
      }
      if (!e.grads) return;
      const cot = tensor(e.cot);
      const gs = grad((a: NdArray, b: NdArray, c: NdArray) => np.sum(np.mul(f(a, b, c), cot)), { argnums: [0, 1, 2] })(q, k, v) as NdArray[];
      e.grads.forEach((want, i) => allClose(read(gs[i]), values(want), TOL, `${name}: d/d ${'qkv'[i]}`));
    });
  });
}

S('a fully masked row is NaN (PyTorch) in F.scaledDotProductAttention, the values\' mean in jax-style nn.dotProductAttention', () => {
  tf.tidy(() => {
    const torchStyle = read(SDPA.bool_mask_full_row_nan(q, k, v)); // [2, 2, 4, 4]: query 2 of every head
    for (let i = 0; i < torchStyle.length; i++) assert.is(Number.isNaN(torchStyle[i]), Math.floor(i / 4) % 4 === 2, `entry ${i}`);
    // JAX's layout [B, T, N, H] (value shaped as key: v = k here); its masked logits are a large
    // finite negative, so the fully masked query gets uniform weights: the values' mean.
    const toJax = (x: NdArray) => np.transpose(x, [0, 2, 1, 3]);
    const jaxOut = read(toJax(nn.dotProductAttention(toJax(q), toJax(k), toJax(k), { mask: tensor(fx.mask_nan) }))); // [2, 2, 4, 6]
    const meanK = read(np.mean(k, 2)); // [2, 2, 6]
    for (let bh = 0; bh < 4; bh++) allClose(jaxOut.slice((bh * 4 + 2) * 6, (bh * 4 + 3) * 6), meanK.slice(bh * 6, (bh + 1) * 6), { rtol: 1e-5, atol: 1e-6 }, `jax: batch-head ${bh}, query 2`);
    const torchK = read(nn.F.scaledDotProductAttention(q, k, k, { attnMask: tensor(fx.mask_nan) }));
    torchK.forEach((t, i) => {
      if (Math.floor(i / 6) % 4 === 2) assert.ok(Number.isNaN(t), `torch-style entry ${i} is NaN`);
      else allClose([jaxOut[i]], [t], TOL, `jax = torch on the other rows (entry ${i})`);
    });
  });
});

S('dropout on the attention weights: entries are 0 or w / (1 - p), fixed by the key; errors without a key or with isCausal and a mask', () => {
  tf.tidy(() => {
    const eye = np.eye(5); // v = I: the output is the weight matrix itself
    const weights = read(nn.F.scaledDotProductAttention(q, k, eye));
    const p = 0.4;
    const drop = (key: NdArray) => read(nn.F.scaledDotProductAttention(q, k, eye, { dropoutP: p, dropoutKey: key }));
    const a = drop(random.key(1));
    let zeros = 0;
    a.forEach((x, i) => {
      if (x === 0) zeros++;
      else allClose([x], [weights[i] / (1 - p)], { rtol: 1e-5 }, `kept entry ${i}`);
    });
    assert.ok(zeros > 0.2 * a.length && zeros < 0.6 * a.length, `dropped ${zeros} of ${a.length}`);
    assert.equal(drop(random.key(1)), a, 'the same key, the same mask');
    assert.not.equal(drop(random.key(2)), a, 'another key, another mask');
    allClose(read(nn.F.scaledDotProductAttention(q, k, eye, { dropoutP: 0, dropoutKey: random.key(1) })), weights, { rtol: 0, atol: 0 });
  });
  assert.throws(() => nn.F.scaledDotProductAttention(q, k, v, { dropoutP: 0.1 }), /dropoutP > 0 needs a PRNG key/);
  assert.throws(() => nn.F.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: tensor(fx.mask) }), /attnMask must not be set when isCausal/);
  assert.throws(() => nn.F.scaledDotProductAttention(q, tf.zeros([2, 2, 5, 3]), v), /need query \[\.\.\., L, E\], key \[\.\.\., S, E\]/);
});

const M = suite(`nn.multiHeadAttention: masks as nn.MultiheadAttention [${backend}]`);
const layer = nn.multiHeadAttention({ dim: 8, numHeads: 2 });
const sd = Object.fromEntries(Object.entries(fx.layer.state_dict).map(([name, e]) => [name, tensor(e)]));
const { params, state } = layer.fromTorch(new nn.TorchReader(sd), '');
const x = tensor(fx.layer.x);
const maskOpts = (e: LayerEntry): nn.AttentionApplyOptions => ({
  ...(e.key_padding_mask ? { keyPaddingMask: tensor(e.key_padding_mask) } : {}),
  ...(e.attn_mask_allowed ? { attnMask: tensor(e.attn_mask_allowed) } : {}),
});

for (const [name, e] of Object.entries(fx.layer.cases)) {
  M(`${name}: output${e.grads ? ' and gradients' : ''} as PyTorch's`, () => {
    tf.tidy(() => {
      const opts = maskOpts(e);
      const f = (p: nn.AttentionParams, input: NdArray) => layer.apply(p, state, input, opts)[0];
      allClose(read(f(params, x)), values(e.out), TOL, `${name} (eager)`);
      allClose(read(jit(f)(params, x)), values(e.out), TOL, `${name} (jit)`);
      if (!e.grads) return;
      const cot = tensor(e.cot);
      const [gp, gx] = grad((p: nn.AttentionParams, input: NdArray) => np.sum(np.mul(f(p, input), cot)), { argnums: [0, 1] })(params, x) as [nn.AttentionParams, NdArray];
      allClose(read(gx), values(e.grads.x), TOL, `${name}: d/dx`);
      allClose(read(np.transpose(gp.qkv.w)), values(e.grads['qkv.weight']), TOL, `${name}: d/d qkv.weight`);
    });
  });
}

M('one example [T, dim] with a keyPaddingMask [T] equals its row of the batch (and vmap over the batch)', () => {
  tf.tidy(() => {
    const e = fx.layer.cases.padding_and_mask;
    const opts = maskOpts(e);
    const full = read(layer.apply(params, state, x, opts)[0]);
    const pad = tensor(e.key_padding_mask!);
    const one = (i: number) => read(layer.apply(params, state, np.squeeze(np.sliceAxis(x, 0, i, i + 1), 0), { ...opts, keyPaddingMask: np.squeeze(np.sliceAxis(pad, 0, i, i + 1), 0) })[0]);
    allClose(one(2), full.slice(2 * 40, 3 * 40), TOL, 'example 2');
    const mapped = vmap((xi: NdArray, pi: NdArray) => layer.apply(params, state, xi, { attnMask: opts.attnMask, keyPaddingMask: pi })[0])(x, pad);
    allClose(read(mapped), full, TOL, 'vmap');
  });
});

M('isCausal equals a lower-triangular attnMask; a float keyPaddingMask of -inf equals the boolean one', () => {
  tf.tidy(() => {
    const causal = read(layer.apply(params, state, x, { isCausal: true })[0]);
    allClose(causal, read(layer.apply(params, state, x, { attnMask: np.cast(np.tri(5, 5), 'bool') })[0]), { rtol: 0, atol: 0 });
    const pad = tensor(fx.layer.cases.padding.key_padding_mask!);
    const asFloat = np.where(pad, -Infinity, 0);
    allClose(read(layer.apply(params, state, x, { keyPaddingMask: asFloat })[0]), values(fx.layer.cases.padding.out), TOL);
  });
});

M('attnDrop / projDrop act only in training, need a key there, and are fixed by it', () => {
  tf.tidy(() => {
    const drop = nn.multiHeadAttention({ dim: 8, numHeads: 2, attnDrop: 0.3, projDrop: 0.2 });
    const evalOut = read(drop.apply(params, state, x)[0]);
    allClose(evalOut, read(layer.apply(params, state, x)[0]), { rtol: 0, atol: 0 }, 'eval: no dropout');
    assert.throws(() => drop.apply(params, state, x, { train: true }), /multiHeadAttention: training with dropout needs a PRNG key/);
    const a = read(drop.apply(params, state, x, { train: true, key: random.key(3) })[0]);
    assert.equal(read(drop.apply(params, state, x, { train: true, key: random.key(3) })[0]), a);
    assert.not.equal(a, evalOut);
    assert.ok(a.some((t) => t === 0), 'projDrop zeroes outputs');
  });
  assert.throws(() => nn.multiHeadAttention({ dim: 8, numHeads: 2, attnDrop: 1 }), /attnDrop must be in \[0, 1\)/);
  assert.throws(() => layer.apply(params, state, x, { keyPaddingMask: tf.zeros([3, 4], 'bool') }), /keyPaddingMask must be \[3,5\] \(true = padding\), got \[3,4\]/);
});

S.run();
M.run();
