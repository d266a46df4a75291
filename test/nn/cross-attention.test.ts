/**
 * nn.crossAttention (stable-pretraining's `CrossAttention`: q, fused kv, proj) against
 * nn.multiheadAttention with kdim = vdim = contextDim (torch.nn.MultiheadAttention, itself checked
 * against PyTorch in attention-masks.test.ts) given the same weights (k = kv's first half, v its
 * second): outputs, an attention mask and the gradients agree within float32 round-off; also the
 * seed's state-dict names and shapes, dropout's key, and one-line errors. The CrossMAE fixture
 * (test/ssl/cross-mae-session19.test.ts) checks it against a PyTorch transcription of the seed.
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

await useTestBackend();

const [DIM, CTX, HEADS] = [8, 6, 2];
const layer = nn.crossAttention({ dim: DIM, contextDim: CTX, numHeads: HEADS });
const mha = nn.multiheadAttention({ embedDim: DIM, numHeads: HEADS, kdim: CTX, vdim: CTX });
const v = layer.init(random.key(0));
// Non-zero biases, so a misplaced bias half shows.
const params: nn.CrossAttentionParams = {
  q: { w: v.params.q.w, b: random.normal(random.key(1), [DIM]) },
  kv: { w: v.params.kv.w, b: random.normal(random.key(2), [2 * DIM]) },
  proj: { w: v.params.proj.w, b: random.normal(random.key(3), [DIM]) },
};
const half = (x: NdArray, i: number) => np.sliceAxis(x, -1, i * DIM, (i + 1) * DIM);
/** The same weights as torch's MultiheadAttention: k and v are kv's halves (keys first). */
const mhaParams = (p: nn.CrossAttentionParams): nn.MultiheadAttentionParams => ({ q: p.q, k: { w: half(p.kv.w, 0), b: half(p.kv.b!, 0) }, v: { w: half(p.kv.w, 1), b: half(p.kv.b!, 1) }, out: p.proj });
const x = random.normal(random.key(4), [3, 5, DIM]);
const context = random.normal(random.key(5), [3, 7, CTX]);
const read = async (t: NdArray) => Array.from(await (t as tf.Tensor).data());

const T = suite('nn.crossAttention');
T('equals torch MultiheadAttention (kdim = vdim = contextDim) with the same weights; eager and jitted', async () => {
  const want = await read(mha.apply(mhaParams(params), {}, x, { keyValue: context })[0]);
  const [y] = layer.apply(params, v.state, x, { context });
  assert.equal(y.shape, [3, 5, DIM]);
  allClose(await read(y), want, { rtol: 1e-5, atol: 1e-6 });
  const f = jit((p: nn.CrossAttentionParams, xs: NdArray, c: NdArray) => layer.apply(p, v.state, xs, { context: c })[0]);
  allClose(await read(f(params, x, context)), want, { rtol: 1e-5, atol: 1e-6 }, 'jit');
});
T('an attention mask (true: may attend) as torch\'s (true: blocked) negated', async () => {
  const allowed = np.less(random.uniform(random.key(6), [5, 7]), 0.6);
  const m = np.logicalOr(allowed, np.equal(np.arange(7), 0)); // every query keeps a key
  const want = await read(mha.apply(mhaParams(params), {}, x, { keyValue: context, attnMask: np.logicalNot(m) })[0]);
  allClose(await read(layer.apply(params, v.state, x, { context, attnMask: m })[0]), want, { rtol: 1e-5, atol: 1e-6 });
  const plain = await read(layer.apply(params, v.state, x, { context })[0]);
  assert.ok(plain.some((a, i) => Math.abs(a - want[i]) > 1e-3), 'the mask changes the output');
});
T('gradients (parameters, queries, context) as torch MultiheadAttention\'s', async () => {
  const cot = random.normal(random.key(7), [3, 5, DIM]);
  const ours = grad((p: nn.CrossAttentionParams, xs: NdArray, c: NdArray) => np.sum(np.mul(layer.apply(p, v.state, xs, { context: c })[0], cot)), { argnums: [0, 1, 2] })(params, x, context) as [nn.CrossAttentionParams, NdArray, NdArray];
  const theirs = grad((p: nn.CrossAttentionParams, xs: NdArray, c: NdArray) => np.sum(np.mul(mha.apply(mhaParams(p), {}, xs, { keyValue: c })[0], cot)), { argnums: [0, 1, 2] })(params, x, context) as [nn.CrossAttentionParams, NdArray, NdArray];
  const tol = { rtol: 1e-4, atol: 1e-5 };
  for (const [name, a, b] of [['q.w', ours[0].q.w, theirs[0].q.w], ['kv.w', ours[0].kv.w, theirs[0].kv.w], ['kv.b', ours[0].kv.b!, theirs[0].kv.b!], ['proj.w', ours[0].proj.w, theirs[0].proj.w], ['x', ours[1], theirs[1]], ['context', ours[2], theirs[2]]] as const)
    allClose(await read(a), await read(b), tol, name);
});
T("the seed's state-dict names and shapes (PyTorch's [out, in]); round trip", async () => {
  const out: nn.TorchDict = {};
  layer.toTorch({ params, state: v.state }, 'cross_attn.', out);
  assert.equal(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.shape])), {
    'cross_attn.q.weight': [DIM, DIM],
    'cross_attn.q.bias': [DIM],
    'cross_attn.kv.weight': [2 * DIM, CTX],
    'cross_attn.kv.bias': [2 * DIM],
    'cross_attn.proj.weight': [DIM, DIM],
    'cross_attn.proj.bias': [DIM],
  });
  const r = new nn.TorchReader(out as Record<string, tf.Tensor>);
  const back = layer.fromTorch(r, 'cross_attn.');
  assert.is(r.used.size, 6);
  allClose(await read(back.params.kv.w), await read(params.kv.w));
  allClose(await read(back.params.kv.b!), await read(params.kv.b!));
});
T('dropout needs a key in training; without dropout the key is unused', async () => {
  const drop = nn.crossAttention({ dim: DIM, contextDim: CTX, numHeads: HEADS, attnDrop: 0.5 });
  assert.match(errorOf(() => drop.apply(params, v.state, x, { context, train: true })), /^crossAttention: training with dropout needs a PRNG key/);
  const [a] = drop.apply(params, v.state, x, { context, train: true, key: random.key(8) });
  const [b] = drop.apply(params, v.state, x, { context });
  assert.ok((await read(np.max(np.abs(np.sub(a, b))))) [0] > 1e-3, 'dropout active in training');
  allClose(await read(b), await read(layer.apply(params, v.state, x, { context })[0]), { rtol: 1e-6, atol: 1e-7 }, 'inactive in evaluation');
});
T('one-line errors', () => {
  assert.is(errorOf(() => layer.apply(params, v.state, x)), 'crossAttention: apply needs the keys\' and values\' source: { context } [..., M, 6]');
  assert.is(errorOf(() => layer.apply(params, v.state, x, { context: np.zeros([3, 7, 5]) })), "crossAttention: expected a context [3,M,6] (the queries' leading axes), got [3,7,5]");
  assert.is(errorOf(() => layer.apply(params, v.state, x, { context: np.zeros([2, 7, 6]) })), "crossAttention: expected a context [3,M,6] (the queries' leading axes), got [2,7,6]");
  assert.is(errorOf(() => layer.apply(params, v.state, np.zeros([3, 5, 4]), { context })), 'crossAttention: expected queries [..., N, 8], got [3,5,4]');
  assert.is(errorOf(() => nn.crossAttention({ dim: 6, numHeads: 4 })), 'crossAttention: dim 6 is not divisible by numHeads 4');
  assert.is(errorOf(() => nn.crossAttention({ dim: 8, contextDim: 0, numHeads: 2 })), 'crossAttention: contextDim must be a positive integer, got 0');
});
T.run();
