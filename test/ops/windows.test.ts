/**
 * lib/ops/windows.ts against NumPy 2.4 (values computed with numpy and written in by hand):
 * the cosine windows are NumPy's float64 values rounded to float32, so they must agree to
 * float32 rounding (rtol 1e-7; the ends of blackman, -1.4e-17, exactly); kaiser and i0 are
 * computed in float32 (a Chebyshev series of 30 terms and an exp), a few ulps from NumPy's
 * rounded float64 results: rtol 1e-6.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, vmap } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { bartlett, blackman, hamming, hanning, i0, kaiser } from '../../lib/ops/windows.js';
import { useTestBackend } from '../helpers/backend.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { eagerAndJit } from '../helpers/eager-and-jit.js';

const backend = await useTestBackend();
const S = suite(`np windows and i0 [${backend}]`);

/** Asserts that a window of M samples has NumPy's values, and leaves only itself behind. */
async function window(make: (M: number) => tf.Tensor, M: number, values: number[], rtol = 1e-7): Promise<void> {
  const before = tf.memory().numTensors;
  const w = make(M);
  assert.equal(w.shape, [values.length], `${make.name}(${M}): shape`);
  assert.is(w.dtype, 'float32', `${make.name}(${M}): dtype`);
  allClose(await w.data(), values, { rtol, atol: 0 }, `${make.name}(${M})`);
  assert.is(tf.memory().numTensors, before + 1, `${make.name}(${M}): one tensor made`);
  w.dispose();
}

S('M <= 0 gives an empty window and M = 1 gives [1], for every window', async () => {
  for (const make of [bartlett, blackman, hamming, hanning, (M: number) => kaiser(M, 3)]) {
    await window(make, -1, []);
    await window(make, 0, []);
    await window(make, 1, [1]);
  }
});

S('bartlett: triangle with zero ends', async () => {
  await window(bartlett, 2, [0, 0]);
  await window(bartlett, 5, [0, 0.5, 1, 0.5, 0]);
  await window(bartlett, 6, [0, 0.4000000059604645, 0.800000011920929, 0.800000011920929, 0.4000000059604645, 0]);
});

S("blackman, hamming, hanning: NumPy's cosine sums (blackman's ends are -1.4e-17, not 0)", async () => {
  await window(blackman, 2, [-1.3877787807814457e-17, -1.3877787807814457e-17]);
  await window(blackman, 5, [-1.3877787807814457e-17, 0.3400000035762787, 1, 0.3400000035762787, -1.3877787807814457e-17]);
  await window(blackman, 6, [-1.3877787807814457e-17, 0.20077013969421387, 0.8492298722267151, 0.8492298722267151, 0.20077013969421387, -1.3877787807814457e-17]);
  await window(hamming, 5, [0.07999999821186066, 0.5400000214576721, 1, 0.5400000214576721, 0.07999999821186066]);
  await window(hamming, 6, [0.07999999821186066, 0.39785218238830566, 0.9121478199958801, 0.9121478199958801, 0.39785218238830566, 0.07999999821186066]);
  await window(hanning, 5, [0, 0.5, 1, 0.5, 0]);
  await window(hanning, 6, [0, 0.345491498708725, 0.9045084714889526, 0.9045084714889526, 0.345491498708725, 0]);
});

S('kaiser: i0(beta sqrt(1 - t^2)) / i0(beta); beta = 0 is rectangular', async () => {
  await window((M) => kaiser(M, 5), 4, [0.036710891872644424, 0.7753220796585083, 0.7753220796585083, 0.036710891872644424], 1e-6);
  await window((M) => kaiser(M, 14), 7, [7.726866897428408e-6, 0.03288552537560463, 0.4627164900302887, 1, 0.4627164900302887, 0.03288552537560463, 7.726866897428408e-6], 1e-6);
  await window((M) => kaiser(M, 0), 5, [1, 1, 1, 1, 1]);
});

S('i0: both Chebyshev ranges, even, up to float32 overflow; NaN stays NaN, inf gives inf', async () => {
  const x = tf.tensor1d([0, 1, -2, 3, 7.9, 8, 8.1, 20, 50, 88, 90, 91, 92, 100, -Infinity, NaN]);
  // NumPy's values (float64, rounded); NumPy gives NaN at +-inf (inf / inf in its formula), JAX and tfjax inf.
  const want = [1, 1.2660658359527588, 2.279585361480713, 4.880792617797852, 389.4062805175781, 427.5641174316406, 469.5006103515625, 43558284, 2.9325537298906664e20, 7.034019512534214e36, 5.139238582071915e37, 1.3892714327032782e38, Infinity, Infinity, Infinity, NaN];
  await eagerAndJit('i0', i0, [x], { shape: [16], dtype: 'float32', values: want }, { rtol: 1e-6, atol: 0 });
  const i = tf.tensor2d([[0, 1], [2, 3]], undefined, 'int32');
  await eagerAndJit('i0 int32', i0, [i], { shape: [2, 2], dtype: 'float32', values: [1, 1.2660658359527588, 2.279585361480713, 4.880792617797852] }, { rtol: 1e-6, atol: 0 });
  tf.dispose([x, i]);
});

S("i0: its derivative is i1 (central differences of NumPy's i0 in float64), finite at 0; vmap", async () => {
  const d = grad((v: NdArray) => i0(v));
  const at = async (x: number) => {
    const g = d(tf.scalar(x)) as tf.Tensor;
    const [v] = await g.data();
    g.dispose();
    return v;
  };
  allClose(await at(1), 0.5651591039934623, { rtol: 1e-5, atol: 0 });
  allClose(await at(10), 2670.9883036573956, { rtol: 1e-5, atol: 0 });
  allClose(await at(-10), -2670.9883036573956, { rtol: 1e-5, atol: 0 });
  allClose(await at(0), 0, { rtol: 0, atol: 1e-6 });
  const v = vmap((x: NdArray) => i0(x))(tf.tensor1d([1, 10])) as tf.Tensor;
  allClose(await v.data(), [1.2660658359527588, 2815.716628466254], { rtol: 1e-6, atol: 0 });
  v.dispose();
});

S('errors: one line naming the function and M', () => {
  assert.is(errorOf(() => hanning(2.5)), 'hanning: M must be an integer, got 2.5');
  assert.is(errorOf(() => bartlett(NaN)), 'bartlett: M must be an integer, got NaN');
  assert.is(errorOf(() => kaiser(1.5, 2)), 'kaiser: M must be an integer, got 1.5');
});

S.run();
