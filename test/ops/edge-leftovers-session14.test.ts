/**
 * Session 14's edge-value leftovers: -0 kept by broadcasting (wasm) and by the odd functions
 * (np.cbrt, np.arcsinh), lax's special values (lgamma(+inf), erfc(+-inf), pow(1, NaN)), the
 * gradient of a logsumexp whose `where` masks a huge entry, and scipy.special.beta's sign
 * rule (JAX's gammasgn product: NaN at the non-positive integers). Expected values are
 * NumPy's / C's / JAX's as each comment says.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, nn, np, scipy } from '../../lib/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';

const backend = await useTestBackend();
const S = suite(`edge leftovers session 14 [${backend}]`);

const F = (v: number[]) => np.array(v, 'float32');
/** Reads asynchronously: webgpu has no synchronous read in Node. */
const read = async (x: NdArray) => Array.from((await (x as tf.Tensor).data()) as ArrayLike<number>);
/** Values with -0 written out, so that assert.equal tells -0 from +0. */
const signed = async (x: NdArray) => (await read(x)).map((v) => (Object.is(v, -0) ? '-0' : v));

S('broadcasting keeps -0 (NumPy and JAX copy the bits)', async () => {
  assert.equal(await signed(np.broadcastTo(np.array(-0), [2])), ['-0', '-0']);
  assert.equal(await signed(np.broadcastTo(F([-0, 1]), [3, 2])), ['-0', 1, '-0', 1, '-0', 1]);
  // A broadcast above rank 4 that does not merge (the elementwise path on every backend).
  const high = await signed(np.broadcastTo(np.reshape(F([-0, 0]), [2, 1, 1, 1, 1]), [2, 2, 1, 2, 1]));
  assert.equal(high, ['-0', '-0', '-0', '-0', 0, 0, 0, 0]);
  // Built on it: np.copysign(0, x) is -0 where x is negative (NumPy: [-0., 0.]).
  assert.equal(await signed(np.copysign(0, F([-1, 1]))), ['-0', 0]);
  // Integer and bool broadcasts are unchanged.
  assert.equal(await read(np.broadcastTo(np.array([3, -4], 'int32'), [2, 2])), [3, -4, 3, -4]);
  assert.equal(await read(np.broadcastTo(np.array([1, 0], 'bool'), [2, 2])), [1, 0, 1, 0]);
});

S('np.cbrt and np.arcsinh keep the sign of -0 (odd functions; NumPy: -0.)', async () => {
  if (backend === 'webgpu') console.log('skip: np.cbrt(+-0) exactly 0 on webgpu (its pow(0, 1/3) is +-1.8e-13)');
  else assert.equal(await signed(np.cbrt(F([-0, 0, -8]))), ['-0', 0, -2]);
  assert.equal(await signed(np.arcsinh(F([-0, 0]))), ['-0', 0]);
  assert.equal(await signed(np.arctanh(F([-0]))), ['-0']);
  // Derivatives at -0 are those at 0: d asinh = 1.
  allClose(await read(grad((x: NdArray) => np.sum(np.arcsinh(x)))(F([-0, 0]))), [1, 1]);
});

S('lax.lgamma(+inf) is +inf and lax.erfc(+-inf) is 0 and 2 (XLA)', async () => {
  assert.equal(await read(lax.lgamma(F([Infinity, -Infinity, 0]))), [Infinity, Infinity, Infinity]);
  allClose(await read(lax.lgamma(F([1e30, 3]))), [6.807755278982137e31, Math.LN2], { rtol: 1e-5 });
  assert.ok(Number.isNaN((await read(lax.lgamma(F([NaN]))))[0]!));
  const e = await read(lax.erfc(F([Infinity, -Infinity, NaN, 0, 12, -12])));
  assert.equal(e.slice(0, 2), [0, 2]);
  assert.ok(Number.isNaN(e[2]!));
  allClose(e.slice(3), [1, 0, 2], { atol: 1e-7 });
  // Finite tail values are unchanged: erfc(4) = 1.5417257900280018e-08 (SciPy).
  allClose(await read(lax.erfc(F([4]))), [1.5417257900280018e-8], { rtol: 1e-5 });
});

S('lax.pow follows C\'s pow: 1 ** NaN = 1, (+-1) ** +-inf = 1 (XLA), as np.power', async () => {
  const x = F([1, 1, 1, -1, -1, -1, 2]);
  const y = F([NaN, Infinity, -Infinity, Infinity, -Infinity, NaN, 3]);
  const want = [1, 1, 1, 1, 1, NaN, 8];
  allClose(await read(lax.pow(x, y)), want);
  allClose(await read(jit((a: NdArray, b: NdArray) => lax.pow(a, b))(x, y)), want);
  allClose(await read(lax.pow(1, F([NaN]))), [1]);
  allClose(await read(np.power(x, y)), want);
});

S('logsumexp with where: a huge masked-out entry has value and gradient 0, not NaN (JAX)', async () => {
  const x = F([1, 100, 2]);
  const mask = np.array([1, 0, 1], 'bool');
  const want = Math.log(Math.exp(1) + Math.exp(2));
  const p = [Math.exp(1 - want), 0, Math.exp(2 - want)];
  allClose(await read(nn.logsumexp(x, -1, { where: mask })), [want]);
  allClose(await read(grad((v: NdArray) => nn.logsumexp(v, -1, { where: mask }))(x)), p);
  allClose(await read(grad((v: NdArray) => scipy.special.logsumexp(v, null, undefined, false, false, mask))(x)), p);
  // With weights too: d/dx log(sum(b exp(x))) = b exp(x) / sum.
  const b = F([2, 3, 1]);
  const wb = Math.log(2 * Math.exp(1) + Math.exp(2));
  allClose(await read(grad((v: NdArray) => nn.logsumexp(v, -1, { b, where: mask }))(x)), [2 * Math.exp(1 - wb), 0, Math.exp(2 - wb)]);
});

S('scipy.special.beta: JAX\'s sign gammasgn(a) gammasgn(b) gammasgn(a + b), NaN at the non-positive integers', async () => {
  const v = await read(scipy.special.beta(F([-1, 2, -0.5, -2, 2, -0.5, -1.5]), F([2, -3, -0.5, 0.5, 3, 0.25, 0.75])));
  assert.ok(v.slice(0, 4).every(Number.isNaN), `got ${v.slice(0, 4)}`);
  // Gamma(a) Gamma(b) / Gamma(a + b) (python's math.gamma).
  if (backend === 'webgpu') console.log('skip: beta(-1.5, 0.75) to 2e-5 on webgpu (its lgamma is off by 6e-5 relative there)');
  else allClose(v.slice(4), [1 / 12, 2.6220575542921205, -0.5990701173677963], { rtol: 2e-5 });
});

S.run();
