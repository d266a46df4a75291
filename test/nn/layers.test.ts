import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, jvp, vjp, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import * as tree from '../../lib/tree/index.js';
import type { TensorData } from '../../lib/io/safetensors.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { checkGrad, naiveConv, randn, read } from './util.js';

const backend = await useTestBackend();
const L = suite(`nn layers [${backend}]`);

const key = random.key(0);
/** vmap of the layer over single examples equals the layer on the batch. */
function vmapMatches(layer: nn.Layer, x: tf.Tensor, v = layer.init(key), tol = { rtol: 1e-4, atol: 1e-5 }) {
  const [batched] = layer.apply(v.params, v.state, x);
  const mapped = vmap((xi: tf.Tensor) => layer.apply(v.params, v.state, xi)[0], { inAxes: 0 })(x) as tf.Tensor;
  assert.equal(mapped.shape, (batched as tf.Tensor).shape);
  allClose(read(mapped), read(batched), tol);
  return batched as tf.Tensor;
}

L('linear: shapes, one example or a batch, vmap, PyTorch init bounds', () => {
  const lin = nn.linear({ in: 3, out: 4 });
  const v = lin.init(key);
  assert.equal((v.params.w as tf.Tensor).shape, [3, 4]);
  assert.equal((v.params.b as tf.Tensor).shape, [4]);
  const x = randn([5, 3]);
  const y = vmapMatches(lin, x, v);
  assert.equal(y.shape, [5, 4]);
  // y = x @ w + b
  const xs = x.arraySync() as number[][];
  const w = (v.params.w as tf.Tensor).arraySync() as number[][];
  const b = read(v.params.b);
  allClose(read(y), xs.flatMap((r) => b.map((bj, j) => bj + r.reduce((s, xi, i) => s + xi * w[i][j], 0))), { rtol: 1e-5, atol: 1e-6 });
  assert.equal((lin.apply(v.params, v.state, randn([3]))[0] as tf.Tensor).shape, [4]);
  assert.equal((lin.apply(v.params, v.state, randn([2, 5, 3]))[0] as tf.Tensor).shape, [2, 5, 4]);
  assert.throws(() => lin.apply(v.params, v.state, randn([5, 2])), /expected inputs \[\.\.\., 3\]/);
  // kaiming_uniform(a=sqrt 5): U(+-1/sqrt(in)); bias U(+-1/sqrt(in))
  const big = nn.linear({ in: 256, out: 128 }).init(random.key(1));
  const ws = read(big.params.w);
  const bound = 1 / 16;
  assert.ok(ws.every((x) => Math.abs(x) <= bound));
  allClose(ws.reduce((s, x) => s + x * x, 0) / ws.length, bound ** 2 / 3, { rtol: 0.03 });
  assert.ok(read(big.params.b).every((x) => Math.abs(x) <= bound));
  assert.equal(Object.keys(nn.linear({ in: 2, out: 2, bias: false }).init(key).params), ['w']);
});

L('conv2d: stride, padding, dilation, groups and bias against a reference loop', () => {
  const x = randn([2, 7, 7, 4], 3);
  for (const cfg of [
    { stride: 1, padding: 1, dilation: 1, groups: 1 },
    { stride: 2, padding: 1, dilation: 1, groups: 1 },
    { stride: 1, padding: 2, dilation: 2, groups: 1 },
    { stride: 2, padding: 0, dilation: 1, groups: 2 },
    { stride: 1, padding: 1, dilation: 1, groups: 4 },
  ]) {
    const conv = nn.conv2d({ in: 4, out: 8, kernel: 3, ...cfg });
    const v = conv.init(random.key(cfg.stride + 10 * cfg.groups + 100 * cfg.dilation));
    assert.equal((v.params.w as tf.Tensor).shape, [3, 3, 4 / cfg.groups, 8]);
    const y = vmapMatches(conv, x, v);
    const ref = naiveConv(x, v.params.w as tf.Tensor, v.params.b as tf.Tensor, cfg.stride, cfg.padding, cfg.dilation, cfg.groups);
    assert.equal(y.shape, ref.shape, JSON.stringify(cfg));
    allClose(read(y), ref.data, { rtol: 1e-4, atol: 1e-5 }, JSON.stringify(cfg));
  }
  const c = nn.conv2d({ in: 4, out: 6, kernel: [3, 1], padding: [1, 0], bias: false });
  const v = c.init(key);
  assert.equal(Object.keys(v.params), ['w']);
  assert.equal((c.apply(v.params, v.state, x)[0] as tf.Tensor).shape, [2, 7, 7, 6]);
  assert.throws(() => c.apply(v.params, v.state, randn([2, 7, 7, 3])), /expected 4 input channels/);
  // default init: U(+-1/sqrt(fan_in)), fan_in = in/groups * kh * kw
  const big = nn.conv2d({ in: 32, out: 64, kernel: 3, groups: 2 }).init(random.key(4));
  const bound = 1 / Math.sqrt(16 * 9);
  const ws = read(big.params.w);
  assert.ok(ws.every((w) => Math.abs(w) <= bound));
  allClose(ws.reduce((s, w) => s + w * w, 0) / ws.length, bound ** 2 / 3, { rtol: 0.05 });
  assert.ok(read(big.params.b).every((b) => Math.abs(b) <= bound));
});

L('batchNorm: training and eval numbers with the PyTorch convention', () => {
  const bn = nn.batchNorm({ features: 2 });
  const v = bn.init(key);
  const params = { scale: np.array([2, 0.5]), bias: np.array([1, -1]) };
  const x = np.array([
    [1, 0],
    [2, 0],
    [3, 4],
    [6, 4],
  ]);
  const [y, s1] = bn.apply(params, v.state, x, { train: true });
  // channel 0: mean 3, biased var 3.5, unbiased 14/3; channel 1: mean 2, var 4, unbiased 16/3
  const eps = 1e-5;
  const n0 = (t: number) => ((t - 3) / Math.sqrt(3.5 + eps)) * 2 + 1;
  const n1 = (t: number) => ((t - 2) / Math.sqrt(4 + eps)) * 0.5 - 1;
  allClose(read(y), [n0(1), n1(0), n0(2), n1(0), n0(3), n1(4), n0(6), n1(4)], { rtol: 1e-5, atol: 1e-6 });
  allClose(read(s1.mean), [0.3, 0.2], { rtol: 1e-6 });
  allClose(read(s1.var), [0.9 + (0.1 * 14) / 3, 0.9 + (0.1 * 16) / 3], { rtol: 1e-6 });
  // a second step from that state
  const [, s2] = bn.apply(params, s1, x, { train: true });
  allClose(read(s2.mean), [0.9 * 0.3 + 0.3, 0.9 * 0.2 + 0.2], { rtol: 1e-6 });
  // eval uses the running statistics and leaves them alone
  const [ye, se] = bn.apply(params, s1, x);
  assert.is(se, s1);
  const rv = read(s1.var);
  allClose(read(ye), [1, 0, 2, 0, 3, 4, 6, 4].map((t, i) => (i % 2 === 0 ? ((t - 0.3) / Math.sqrt(rv[0] + eps)) * 2 + 1 : ((t - 0.2) / Math.sqrt(rv[1] + eps)) * 0.5 - 1)), { rtol: 1e-5 });
  // 2d (NHWC): statistics over N, H, W, as BatchNorm1d on the [N*H*W, C] rows
  const bn2 = nn.batchNorm({ features: 3, momentum: 0.2 });
  const v2 = bn2.init(key);
  const x4 = randn([2, 3, 3, 3], 5);
  const [y4, s4] = bn2.apply(v2.params, v2.state, x4, { train: true });
  const [y2, s2d] = bn2.apply(v2.params, v2.state, np.reshape(x4, [18, 3]), { train: true });
  allClose(read(y4), read(y2), { rtol: 1e-5, atol: 1e-6 });
  allClose(read(s4.var), read(s2d.var), { rtol: 1e-6 });
  const cols = [0, 1, 2].map((c) => read(x4).filter((_, i) => i % 3 === c));
  const unb = cols.map((col) => {
    const m = col.reduce((a, b) => a + b, 0) / col.length;
    return col.reduce((a, b) => a + (b - m) ** 2, 0) / (col.length - 1);
  });
  allClose(read(s4.var), unb.map((u) => 0.8 + 0.2 * u), { rtol: 1e-5 });
  assert.throws(() => bn2.apply(v2.params, v2.state, randn([2, 3, 3, 2])), /expected a batch/);
});

L('batchNorm: the returned statistics carry no gradient; jit matches eager', () => {
  const bn = nn.batchNorm({ features: 3 });
  const v = bn.init(key);
  const x = randn([4, 3], 7);
  const [, pull] = vjp((xx: tf.Tensor) => bn.apply(v.params, v.state, xx, { train: true })[1].mean, x);
  allClose(read(pull(np.ones([3]))[0]), new Array(12).fill(0));
  const f = jit((p: any, s: any, xx: tf.Tensor) => bn.apply(p, s, xx, { train: true }));
  const [yj, sj] = f(v.params, v.state, x) as any;
  const [ye, se] = bn.apply(v.params, v.state, x, { train: true });
  allClose(read(yj), read(ye), { rtol: 1e-5, atol: 1e-6 });
  allClose(read(sj.var), read(se.var), { rtol: 1e-6 });
});

L('layerNorm: normalises the last axis; vmap over examples', () => {
  const ln = nn.layerNorm({ features: 5, eps: 1e-6 });
  const v = ln.init(key);
  const x = randn([3, 4, 5], 8);
  const y = vmapMatches(ln, x, v);
  const rows = read(y);
  for (let r = 0; r < 12; r++) {
    const row = rows.slice(r * 5, r * 5 + 5);
    const m = row.reduce((a, b) => a + b, 0) / 5;
    allClose(m, 0, { atol: 1e-5 });
    allClose(row.reduce((a, b) => a + (b - m) ** 2, 0) / 5, 1, { rtol: 1e-3 });
  }
});

L('dropout: identity in eval; keyed and scaled in training', () => {
  const d = nn.dropout({ rate: 0.25 });
  const x = np.ones([4000]);
  assert.is(d.apply({}, {}, x)[0], x);
  assert.throws(() => d.apply({}, {}, x, { train: true }), /needs a PRNG key/);
  const y = read(d.apply({}, {}, x, { train: true, key: random.key(3) })[0]);
  allClose(y.filter((t) => t === 0).length / y.length, 0.25, { atol: 0.03 });
  assert.ok(y.every((t) => t === 0 || Math.abs(t - 4 / 3) < 1e-6));
  assert.equal(read(d.apply({}, {}, x, { train: true, key: random.key(3) })[0]), y);
  assert.not.equal(read(d.apply({}, {}, x, { train: true, key: random.key(4) })[0]), y);
  assert.throws(() => nn.dropout({ rate: 1.01 }), /rate must be in/);
});

L('activations and l2Normalize', () => {
  const x = np.array([-2, -1, 0, 1, 2]);
  const ap = (l: nn.Layer) => read(l.apply({}, {}, x)[0]);
  allClose(ap(nn.relu()), [0, 0, 0, 1, 2]);
  allClose(ap(nn.gelu()), [-0.04550026, -0.15865525, 0, 0.84134475, 1.95449974], { rtol: 1e-5, atol: 1e-6 });
  allClose(ap(nn.silu()), [-2, -1, 0, 1, 2].map((t) => t / (1 + Math.exp(-t))), { rtol: 1e-5, atol: 1e-6 });
  const l2 = nn.l2Normalize();
  const z = l2.apply({}, {}, np.array([[3, 4], [0, 0], [1e-13, 0]]))[0];
  allClose(read(z), [0.6, 0.8, 0, 0, 0.1, 0], { rtol: 1e-5, atol: 1e-7 }); // x / max(||x||, 1e-12)
  const g = vjp((t: tf.Tensor) => nn.F.l2Normalize(t), np.zeros([2, 3]))[1](np.ones([2, 3]))[0];
  assert.ok(read(g).every(Number.isFinite));
  allClose(read(nn.l2Normalize({ axis: 0 }).apply({}, {}, np.array([[3, 1], [4, 0]]))[0]), [0.6, 1, 0.8, 0], { rtol: 1e-6 });
});

L('pooling: max/avg with PyTorch padding, global pools, one example or a batch', () => {
  const x = tf.reshape(tf.range(0, 2 * 5 * 5 * 2, 1, 'float32'), [2, 5, 5, 2]);
  const mp = vmapMatches(nn.maxPool2d({ kernel: 3, stride: 2, padding: 1 }), x);
  assert.equal(mp.shape, [2, 3, 3, 2]);
  // channel 0 of image 0 holds 0, 2, 4, ... row-major: window max is its bottom-right element
  const img0 = read(mp).filter((_, i) => i % 2 === 0).slice(0, 9);
  assert.equal(img0, [12, 16, 18, 32, 36, 38, 42, 46, 48]);
  const ap = vmapMatches(nn.avgPool2d({ kernel: 2 }), x);
  assert.equal(ap.shape, [2, 2, 2, 2]);
  allClose(read(ap).slice(0, 2), [(0 + 2 + 10 + 12) / 4, (1 + 3 + 11 + 13) / 4]);
  const gp = vmapMatches(nn.globalAvgPool(), x);
  allClose(read(gp).slice(0, 2), [24, 25]);
  const gm = vmapMatches(nn.globalMaxPool(), x);
  allClose(read(gm).slice(0, 2), [48, 49]);
  assert.equal((nn.flatten().apply({}, {}, x)[0] as tf.Tensor).shape, [2, 50]);
});

/** A naive multi-head self-attention on one [T, D] example with timm's qkv layout. */
function naiveAttention(x: number[][], p: any, heads: number): number[][] {
  const wq = (p.qkv.w as tf.Tensor).arraySync() as number[][];
  const bq = read(p.qkv.b);
  const wo = (p.proj.w as tf.Tensor).arraySync() as number[][];
  const bo = read(p.proj.b);
  const d = x[0].length;
  const hd = d / heads;
  const qkv = x.map((r) => bq.map((b, j) => b + r.reduce((s, xi, i) => s + xi * wq[i][j], 0)));
  const out = x.map(() => new Array(d).fill(0));
  for (let h = 0; h < heads; h++) {
    const q = qkv.map((r) => r.slice(h * hd, (h + 1) * hd));
    const k = qkv.map((r) => r.slice(d + h * hd, d + (h + 1) * hd));
    const v = qkv.map((r) => r.slice(2 * d + h * hd, 2 * d + (h + 1) * hd));
    q.forEach((qi, t) => {
      const sc = k.map((kj) => qi.reduce((s, a, i) => s + a * kj[i], 0) / Math.sqrt(hd));
      const m = Math.max(...sc);
      const e = sc.map((s) => Math.exp(s - m));
      const z = e.reduce((a, b) => a + b, 0);
      for (let i = 0; i < hd; i++) out[t][h * hd + i] = e.reduce((s, ej, j) => s + (ej / z) * v[j][i], 0);
    });
  }
  return out.map((r) => bo.map((b, j) => b + r.reduce((s, xi, i) => s + xi * wo[i][j], 0)));
}

L('multiHeadAttention: timm layout against a naive loop; vmap over examples', () => {
  const attn = nn.multiHeadAttention({ dim: 6, numHeads: 2 });
  const v = attn.init(random.key(5));
  const x = randn([3, 4, 6], 9);
  const y = vmapMatches(attn, x, v);
  assert.equal(y.shape, [3, 4, 6]);
  const x0 = (x.arraySync() as number[][][])[1];
  allClose(read(y).slice(24, 48), naiveAttention(x0, v.params, 2).flat(), { rtol: 1e-4, atol: 1e-5 });
  assert.throws(() => nn.multiHeadAttention({ dim: 6, numHeads: 4 }), /not divisible/);
});

L('mlp and sequential: shapes, vmap, PyTorch names', () => {
  const m = nn.mlp({ in: 4, hidden: 8, out: 3 });
  const vm = m.init(key);
  assert.equal(Object.keys(vm.params).sort(), ['fc1', 'fc2']);
  vmapMatches(m, randn([5, 4]), vm);
  const deep = nn.mlp({ in: 4, hidden: [8, 8], out: 2, activation: 'relu' });
  assert.equal(Object.keys(deep.init(key).params).sort(), ['fc1', 'fc2', 'fc3']);
  const seq = nn.sequential([nn.linear({ in: 4, out: 8 }), nn.batchNorm({ features: 8 }), nn.relu(), nn.linear({ in: 8, out: 2 })]);
  const v = seq.init(key);
  assert.ok(Array.isArray(v.params) && v.params.length === 4);
  const [y, s] = seq.apply(v.params, v.state, randn([6, 4]), { train: true });
  assert.equal((y as tf.Tensor).shape, [6, 2]);
  assert.not.equal(read(s[1].mean), read(v.state[1].mean));
  const names = Object.keys(nn.exportTorchStateDict(seq, v)).sort();
  assert.equal(names, ['0.bias', '0.weight', '1.bias', '1.num_batches_tracked', '1.running_mean', '1.running_var', '1.weight', '3.bias', '3.weight']);
  const named = nn.sequential({ fc: nn.linear({ in: 4, out: 2 }), act: nn.relu() });
  const vn = named.init(key);
  assert.equal(Object.keys(vn.params).sort(), ['act', 'fc']);
  assert.equal(Object.keys(nn.exportTorchStateDict(named, vn)).sort(), ['fc.bias', 'fc.weight']);
  // a dropout inside gets its own key; without train it is inactive
  const withDrop = nn.sequential([nn.linear({ in: 4, out: 64 }), nn.dropout({ rate: 0.5 })]);
  const vd = withDrop.init(key);
  const xd = randn([2, 4]);
  allClose(read(withDrop.apply(vd.params, vd.state, xd)[0]), read(np.add(np.matmul(xd, vd.params[0].w), vd.params[0].b)), { rtol: 1e-6 });
  const yd = read(withDrop.apply(vd.params, vd.state, xd, { train: true, key: random.key(1) })[0]);
  assert.ok(yd.filter((t) => t === 0).length > 20);
});

L('PyTorch layouts: export and load round trip; errors name the entry', () => {
  const layers: [string, nn.Layer, number[]][] = [
    ['linear', nn.linear({ in: 3, out: 5 }), [2, 3]],
    ['conv', nn.conv2d({ in: 4, out: 6, kernel: 3, groups: 2, padding: 1 }), [1, 5, 5, 4]],
    ['attn', nn.multiHeadAttention({ dim: 4, numHeads: 2 }), [2, 3, 4]],
    ['ln', nn.layerNorm({ features: 4 }), [2, 4]],
  ];
  for (const [name, layer, shape] of layers) {
    const v = layer.init(random.key(2));
    const sd = nn.exportTorchStateDict(layer, v);
    const back = nn.loadTorchStateDict(layer, sd);
    tree.map((a: tf.Tensor, b: tf.Tensor) => assert.equal(read(a), read(b), name), v.params, back.params);
    const x = randn(shape);
    allClose(read(layer.apply(back.params, back.state, x)[0]), read(layer.apply(v.params, v.state, x)[0]), { rtol: 1e-6 }, name);
  }
  const lin = nn.linear({ in: 3, out: 5 });
  const sd = nn.exportTorchStateDict(lin, lin.init(key));
  assert.equal(sd.weight.shape, [5, 3]); // PyTorch's [out, in]
  const conv = nn.conv2d({ in: 4, out: 6, kernel: [3, 2], groups: 2 });
  assert.equal(nn.exportTorchStateDict(conv, conv.init(key)).weight.shape, [6, 2, 3, 2]); // OIHW
  // a hand-made PyTorch weight: W[o][i] = 10 o + i acts as x @ W^T
  const w = tf.tensor([[0, 1, 2], [10, 11, 12]]);
  const v = nn.loadTorchStateDict(nn.linear({ in: 3, out: 2 }), { weight: w, bias: tf.tensor([0.5, -0.5]) });
  allClose(read(nn.linear({ in: 3, out: 2 }).apply(v.params, v.state, np.array([[1, 1, 1]]))[0]), [3.5, 32.5]);
  assert.throws(() => nn.loadTorchStateDict(lin, { weight: tf.zeros([3, 5]), bias: tf.zeros([5]) }), /'weight' has shape \[3,5\], expected \[5,3\]/);
  assert.throws(() => nn.loadTorchStateDict(lin, { weight: tf.zeros([5, 3]) }), /no entry 'bias'/);
  assert.throws(() => nn.loadTorchStateDict(lin, { weight: tf.zeros([5, 3]), bias: tf.zeros([5]), extra: tf.zeros([1]) }), /1 entry is not used by linear: extra/);
  nn.loadTorchStateDict(lin, { weight: tf.zeros([5, 3]), bias: tf.zeros([5]), extra: tf.zeros([1]) }, { strict: false });
});

L('issue 11 item 13: loadTorchStateDict frees everything when a load fails and names an entry of the wrong dtype', () => {
  const enc = nn.encoder('convnet_small');
  const v = enc.init(random.key(0));
  const sd = nn.exportTorchStateDict(enc, v);
  const names = Object.keys(sd);
  const last = names.filter((n) => n.endsWith('weight')).at(-1)!;
  const [bad, asInt] = [tf.zeros([1]), tf.cast(sd[last], 'int32')];
  const asData = (t: tf.Tensor) => ({ dtype: 'float32' as const, shape: [...t.shape], data: t.dataSync() as Float32Array });
  const failing: [string, Record<string, tf.Tensor | TensorData>, RegExp][] = [
    ['a wrong shape late in the dict', { ...sd, [last]: bad }, /has shape \[1\]/],
    ['entries as {dtype, shape, data}, one unused', { ...Object.fromEntries(names.map((n) => [n, asData(sd[n])])), extra: asData(sd[last]) }, /1 entry is not used/],
    ['an int32 weight', { ...sd, [last]: asInt }, new RegExp(`^loadTorchStateDict: '${last.replace(/\./g, '\\.')}' has dtype int32, expected float32$`)],
  ];
  for (const [what, dict, message] of failing) {
    const before = tf.memory().numTensors;
    assert.throws(() => nn.loadTorchStateDict(enc, dict), message, what);
    assert.is(tf.memory().numTensors, before, `${what}: tensors left by the failed load`);
  }
  const lin = nn.linear({ in: 3, out: 2 });
  const before = tf.memory().numTensors;
  const ones = (shape: number[]) => ({ dtype: 'float32' as const, shape, data: new Float32Array(shape[0] * (shape[1] ?? 1)).fill(1) });
  const ok = nn.loadTorchStateDict(lin, { weight: ones([2, 3]), bias: ones([2]) });
  assert.is(tf.memory().numTensors, before + 2, 'a successful load keeps its 2 variables only');
  tf.dispose([...tree.leaves(ok), ...tree.leaves(v), ...Object.values(sd), bad, asInt] as tf.Tensor[]);
});

L('gradients: finite differences through grad for every layer with parameters', () => {
  const r = (shape: number[], seed: number) => randn(shape, seed);
  const cases: [string, nn.Layer, number[], boolean][] = [
    ['linear', nn.linear({ in: 3, out: 4 }), [5, 3], false],
    ['conv s2 groups', nn.conv2d({ in: 4, out: 4, kernel: 3, stride: 2, padding: 1, groups: 2 }), [2, 5, 5, 4], false],
    ['conv dilation', nn.conv2d({ in: 2, out: 3, kernel: 3, dilation: 2, padding: 2 }), [1, 6, 6, 2], false],
    ['batchNorm train', nn.batchNorm({ features: 3 }), [6, 3], true],
    ['batchNorm 2d train', nn.batchNorm({ features: 2 }), [2, 3, 3, 2], true],
    ['layerNorm', nn.layerNorm({ features: 4 }), [3, 4], false],
    ['mlp', nn.mlp({ in: 3, hidden: 5, out: 2 }), [4, 3], false],
    ['attention', nn.multiHeadAttention({ dim: 4, numHeads: 2 }), [2, 3, 4], false],
  ];
  cases.forEach(([name, layer, shape, train], i) => {
    const v = layer.init(random.key(i + 20));
    // perturb scale/bias away from 1/0 so their gradients are generic
    const params = tree.map((p: tf.Tensor) => np.add(p, np.mul(r(p.shape, 50 + i), 0.3)), v.params);
    const x = r(shape, 30 + i);
    const outShape = (layer.apply(params, v.state, x, { train })[0] as tf.Tensor).shape;
    const w1 = r(outShape, 40 + i);
    const w2 = r(outShape, 60 + i);
    const loss = ([p, xx]: [any, tf.Tensor]) => {
      const y = layer.apply(p, v.state, xx, { train })[0];
      return np.add(np.sum(np.mul(y, w1)), np.mul(np.sum(np.mul(np.square(y), w2)), 0.1));
    };
    checkGrad(loss, [params, x], { checks: 8, what: name });
    // forward mode agrees with reverse mode: <J t, u> = <t, J^T u>
    const f = (xx: tf.Tensor) => layer.apply(params, v.state, xx, { train })[0];
    const t = r(shape, 70 + i);
    const [, jt] = jvp(f, [x], [t]);
    const [, pull] = vjp(f, x);
    const lhs = read(np.sum(np.mul(jt, w1)))[0];
    const rhs = read(np.sum(np.mul(pull(w1)[0], t)))[0];
    allClose(lhs, rhs, { rtol: 1e-3, atol: 1e-4 }, `${name}: jvp vs vjp`);
  });
});

L('init statistics: kaiming normal (fan out), truncated normal (timm), xavier', () => {
  const k = random.key(11);
  const s = (xs: number[]) => Math.sqrt(xs.reduce((a, b) => a + b * b, 0) / xs.length);
  const kn = read(nn.init.kaimingNormal({ mode: 'fanOut', nonlinearity: 'relu' })(k, [3, 3, 64, 128], { fanIn: 576, fanOut: 1152 }));
  allClose(s(kn), Math.sqrt(2 / 1152), { rtol: 0.02 });
  const tn = read(nn.init.truncNormal(0.02)(k, [200, 200], { fanIn: 200, fanOut: 200 }));
  allClose(s(tn), 0.02, { rtol: 0.02 });
  const tn2 = read(nn.init.truncNormal(1, { a: -1, b: 1 })(k, [10000], { fanIn: 1, fanOut: 1 }));
  assert.ok(tn2.every((t) => t >= -1 && t <= 1));
  const xu = read(nn.init.xavierUniform()(k, [100, 300], { fanIn: 100, fanOut: 300 }));
  const b = Math.sqrt(6 / 400);
  assert.ok(xu.every((t) => Math.abs(t) <= b));
  allClose(nn.init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3));
});

L.run();
