/**
 * The jax.nn-style functions (lib/nn/functional.ts): dotProductAttention, gelu, logSigmoid,
 * leakyRelu, standardize against float64 NumPy references (test/fixtures/numpy_nn.json,
 * written by tools/numpy-fixtures-nn.py), their gradients against finite differences, and
 * attention under vmap and jit.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import * as nn from '../../lib/nn/index.js';
import * as np from '../../lib/ops/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { checkGrad, read } from './util.js';

await useTestBackend();

interface Enc {
  shape: number[];
  data: number[];
}
const { cases } = JSON.parse(readFileSync(new URL('../fixtures/numpy_nn.json', import.meta.url), 'utf8')) as { cases: Record<string, { inputs: Enc[]; out: Enc }> };
const tensor = (e: Enc, dtype: 'float32' | 'bool' = 'float32') => tf.tensor(e.data, e.shape, dtype);

const CALLS: Record<string, (xs: Enc[]) => NdArray> = {
  attention: ([q, k, v]) => nn.dotProductAttention(tensor(q), tensor(k), tensor(v)),
  attention_bias_mask_scale: ([q, k, v, b, m]) => nn.dotProductAttention(tensor(q), tensor(k), tensor(v), { bias: tensor(b), mask: tensor(m, 'bool'), scale: 0.3 }),
  attention_causal_unbatched: ([q, k, v]) => nn.dotProductAttention(tensor(q), tensor(k), tensor(v), { isCausal: true }),
  gelu_tanh: ([x]) => nn.F.gelu(tensor(x)),
  log_sigmoid: ([x]) => nn.logSigmoid(tensor(x)),
  leaky_relu: ([x]) => nn.leakyRelu(tensor(x), 0.2),
  standardize: ([x]) => nn.standardize(tensor(x), { axis: 0 }),
  softplus: ([x]) => nn.softplus(tensor(x)),
  elu: ([x]) => nn.elu(tensor(x), 0.7),
  selu: ([x]) => nn.selu(tensor(x)),
  celu: ([x]) => nn.celu(tensor(x), 1.5),
  relu6: ([x]) => nn.relu6(tensor(x)),
  hard_tanh: ([x]) => nn.hardTanh(tensor(x)),
  hard_sigmoid: ([x]) => nn.hardSigmoid(tensor(x)),
  hard_silu: ([x]) => nn.hardSilu(tensor(x)),
  soft_sign: ([x]) => nn.softSign(tensor(x)),
  glu: ([x]) => nn.glu(tensor(x)),
};

const S = suite('nn: jax.nn-style functions');

S('every fixture case has a call', () => {
  assert.equal(Object.keys(CALLS).sort(), Object.keys(cases).sort());
});

for (const [name, c] of Object.entries(cases)) {
  S(`${name} vs NumPy`, async () => {
    tf.engine().startScope();
    const out = CALLS[name](c.inputs) as tf.Tensor;
    assert.equal(out.shape, c.out.shape, `${name}: shape`);
    allClose(await out.data(), c.out.data, { rtol: 1e-5, atol: 1e-5 }, name);
    tf.engine().endScope();
  });
}

S('gelu: approximate by default, exact on request (and the layer exact by default, as PyTorch)', () => {
  const x = tf.tensor([-2, -0.5, 0, 1, 3]);
  const exact = read(np.gelu(x));
  allClose(read(nn.F.gelu(x, { approximate: false })), exact);
  const layer = nn.gelu();
  allClose(read(layer.apply({}, {}, x)[0] as tf.Tensor), exact);
  allClose(read(nn.gelu({ approximate: true }).apply({}, {}, x)[0] as tf.Tensor), read(nn.F.gelu(x)));
  // The two forms differ, by less than 1e-3 here.
  const gap = Math.max(...read(np.abs(np.sub(nn.F.gelu(x), np.gelu(x)))));
  assert.ok(gap > 1e-5 && gap < 1e-3, `gap ${gap}`);
});

S('gradients against finite differences', () => {
  const q = tf.randomNormal([1, 3, 2, 4], 0, 1, 'float32', 1);
  const k = tf.randomNormal([1, 5, 1, 4], 0, 1, 'float32', 2);
  const v = tf.randomNormal([1, 5, 1, 4], 0, 1, 'float32', 3);
  const w = tf.randomNormal([1, 3, 2, 4], 0, 1, 'float32', 4);
  const loss = (a: { q: NdArray; k: NdArray; v: NdArray }) => np.sum(np.mul(nn.dotProductAttention(a.q, a.k, a.v, { isCausal: true }), w));
  checkGrad(loss, { q, k, v }, { checks: 8, what: 'dotProductAttention' });
  const x = tf.tensor([[-3, -0.7, 0.2, 1.5], [0.3, 2, -1, 0.5]]);
  checkGrad((a: NdArray) => np.sum(np.mul(nn.F.gelu(a), x)), x, { what: 'gelu' });
  checkGrad((a: NdArray) => np.sum(nn.logSigmoid(a)), x, { what: 'logSigmoid' });
  checkGrad((a: NdArray) => np.sum(np.mul(nn.leakyRelu(a), a)), x, { what: 'leakyRelu' });
  checkGrad((a: NdArray) => np.sum(np.mul(nn.standardize(a), x)), x, { what: 'standardize' });
});

S('the activations: gradients against finite differences away from kinks; relu6 and hardTanh flat outside, as jax.nn', async () => {
  const x = tf.tensor([[-3.1, -0.7, 0.2, 1.5], [0.3, 2.2, -1.3, 0.5]]);
  for (const [what, f] of [
    ['softplus', nn.softplus],
    ['elu', (a: NdArray) => nn.elu(a, 0.7)],
    ['selu', nn.selu],
    ['celu', (a: NdArray) => nn.celu(a, 1.5)],
    ['softSign', nn.softSign],
    ['hardSilu', nn.hardSilu],
    ['glu', (a: NdArray) => nn.glu(a)],
  ] as const)
    checkGrad((a: NdArray) => np.sum(np.mul(f(a), f(a))), x, { what });
  const g6 = grad((a: NdArray) => np.sum(nn.relu6(a)))(tf.tensor([-1, 0, 3, 6, 7])) as tf.Tensor;
  assert.equal(Array.from(await g6.data()), [0, 0, 1, 0, 0]);
  const gt = grad((a: NdArray) => np.sum(nn.hardTanh(a)))(tf.tensor([-2, -0.5, 0.5, 2])) as tf.Tensor;
  assert.equal(Array.from(await gt.data()), [0, 1, 1, 0]);
  const big = nn.softplus(tf.tensor([100, -30])) as tf.Tensor;
  allClose(await big.data(), [100, Math.exp(-30)], { rtol: 1e-6, atol: 0 }, 'softplus at 100 and -30 (no overflow, no loss of the small value)');
  assert.throws(() => nn.glu(tf.ones([2, 3])), /glu: axis -1 of shape \[2,3\] must exist and have an even size/);
  tf.dispose([x, g6, gt, big]);
});

S('attention under vmap and jit, and masked rows stay finite', () => {
  const q = tf.randomNormal([3, 2, 4, 4], 0, 1, 'float32', 5); // vmapped over 3 of [T, N, H]
  const k = tf.randomNormal([3, 5, 2, 4], 0, 1, 'float32', 6);
  const f = (a: NdArray, b: NdArray) => nn.dotProductAttention(a, b, b);
  allClose(read(vmap(f)(q, k) as tf.Tensor), read(f(q, k)), { rtol: 1e-5, atol: 1e-6 });
  allClose(read(jit(f)(q, k) as tf.Tensor), read(f(q, k)), { rtol: 1e-5, atol: 1e-6 });
  const none = tf.zeros([1, 1, 2, 5], 'bool');
  assert.ok(read(nn.dotProductAttention(q, k, k, { mask: none })).every(Number.isFinite));
  const k3 = tf.zeros([3, 5, 3, 4]);
  assert.throws(() => nn.dotProductAttention(q, k3, k3), /N must be a multiple of K/);
  assert.throws(() => nn.dotProductAttention(q, k, k3), /dotProductAttention: need query \[B, T, N, H\]/);
});

S.run();
