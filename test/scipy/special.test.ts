/**
 * scipy.special (lib/scipy) against SciPy 1.10's values at float32 inputs
 * (test/fixtures/scipy.json, tools/scipy-fixtures.py), eagerly and for a few under jit;
 * JAX's derivative rules (xlogy, xlog1py, log_ndtr) under grad, jit and vmap; the edge values.
 *
 * Tolerances, per function (rtol relative, atol absolute):
 * - 1e-6 (about 8 ulps): results of a few float32 operations on well-conditioned inputs
 *   (erf, ndtri, expit, logit, xlogy, xlog1py, entr, rel_entr, zeta, norm-like tails).
 * - erfc / ndtr / log_ndtr in the far tail: 4e-6 / 1e-5 / 4e-6: lax.erfc's exp(-z^2) rounds z^2
 *   in float32, a relative error of about 2^-24 z^2 (3e-6 at erfc(9), 9e-6 at ndtr(-12));
 *   results below float32's normal range (ndtr(-37), log_ndtr(15), expit(-90), a denormal
 *   that wasm flushes to 0) get atol 1e-37.
 * - lgamma-based functions: atol 1e-6 + rtol 1e-6 to 5e-6: lax.lgamma (Lanczos) is up to
 *   about 4e-6 off in absolute terms (gammaln(1) = 4.8e-7; betaln(7, 1) 4.4e-6 off), which exp turns into a relative error
 *   (gamma, factorial, comb; gamma(30) = exp(71.3) gets 1 ulp of 71.3: rtol 2e-5).
 * - gammainc / gammaincc: 5e-6 (64 steps of series or continued fraction, Stirling's
 *   prefactor; SciPy's own float32-unrelated error is nil at these inputs).
 * - kl_div: 2e-6, the cancellation p log(p/q) - p + q of a small result.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy, vmap } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { caseOf, cases } from './fixtures.js';

const backend = await useTestBackend();
const test = suite(`scipy.special against SciPy [${backend}]`);
const S = scipy.special;

type Fn = (...xs: NdArray[]) => NdArray;
const read = async (y: NdArray) => Array.from((await (y as tf.Tensor).data()) as Float32Array);

const table: [string, Fn, number, number][] = [
  ['erf', S.erf, 1e-6, 0],
  ['erfc', S.erfc, 4e-6, 0],
  ['erfinv', S.erfinv, 1e-6, 0],
  ['ndtr', S.ndtr, 1e-5, 1e-37],
  ['ndtri', S.ndtri, 1e-6, 0],
  ['log_ndtr', S.logNdtr, 4e-6, 1e-37],
  ['gammaln', S.gammaln, 1e-6, 1e-6],
  ['gamma', S.gamma, 2e-5, 0],
  ['digamma', S.digamma, 1e-6, 1e-6],
  ['betaln', S.betaln, 3e-6, 1e-6],
  ['beta', S.beta, 5e-6, 0],
  ['polygamma', S.polygamma, 2e-6, 0],
  ['zeta', S.zeta, 1e-6, 0],
  ['multigammaln_3', (a) => S.multigammaln(a, 3), 1e-6, 1e-6],
  ['gammainc', S.gammainc, 5e-6, 0],
  ['gammaincc', S.gammaincc, 5e-6, 0],
  ['expit', S.expit, 1e-6, 1e-37],
  ['logit', S.logit, 1e-6, 0],
  ['xlogy', S.xlogy, 1e-6, 0],
  ['xlog1py', S.xlog1py, 1e-6, 0],
  ['entr', S.entr, 1e-6, 0],
  ['rel_entr', S.relEntr, 1e-6, 0],
  ['kl_div', S.klDiv, 2e-6, 0],
  ['factorial', S.factorial, 5e-6, 0],
  ['comb', (n, k) => S.comb(n!, k!), 5e-6, 0],
];
const underJit = new Set(['log_ndtr', 'ndtri', 'gammaln', 'xlogy', 'gammainc', 'betaln']);

for (const [name, f, rtol, atol] of table)
  test(`${name} matches SciPy (rtol ${rtol}${atol ? `, atol ${atol}` : ''})`, async () => {
    const c = caseOf(name);
    const args = c.args.map((a) => np.array(a));
    allClose(await read(f(...args)), c.want, { rtol, atol }, name);
    if (underJit.has(name)) allClose(await read(jit(f)(...args)), c.want, { rtol, atol }, `${name} under jit`);
  });

test('logsumexp: all axes by default, an axis, weights b (negative, zero), returnSign, all -inf rows', async () => {
  const c = cases['logsumexp'] as { a: number[]; b: number[]; want: Record<string, number[] | number[][]> };
  const a = np.reshape(np.array(c.a), [2, 3]);
  const b = np.reshape(np.array(c.b), [2, 3]);
  allClose(await read(S.logsumexp(np.array(c.a.slice(0, 3)))), c.want['all'] as number[]);
  allClose(await read(S.logsumexp(a, 1)), c.want['axis1'] as number[]);
  allClose(await read(S.logsumexp(a, 1, b)), c.want['b_axis1'] as number[]);
  const [value, sign] = S.logsumexp(a, 1, b, false, true);
  const want = c.want['b_axis1_sign'] as number[][];
  allClose(await read(value), want[0]!);
  allClose(await read(sign), want[1]!);
  const [v2, s2] = S.logsumexp(np.array([1, 2]), null, np.array([1, -1]), false, true);
  allClose([...(await read(v2)), ...(await read(s2))], (c.want['b_neg_sign'] as number[][]).flat());
  // SciPy (and JAX without returnSign): a negative weighted sum is NaN.
  assert.ok(Number.isNaN((await read(S.logsumexp(np.array([1, 2]), null, np.array([1, -1]))))[0]!));
  // b = 0 removes its entry, even an inf one.
  allClose(await read(S.logsumexp(np.array([Infinity, 1]), null, np.array([0, 1]))), c.want['b_zero_inf'] as number[]);
  assert.equal(S.logsumexp(a, 1, b, true).shape, [2, 1]);
});

test('logsumexp: finite gradients through all -inf rows and zero weights, also under jit and vmap', async () => {
  const a = np.array([[1, 2, 3], [-Infinity, -Infinity, -Infinity]]);
  const b = np.array([[1, 0, 2], [1, 1, 1]]);
  const f = (x: NdArray) => np.sum(np.where(np.isfinite(S.logsumexp(x, 1, b)), S.logsumexp(x, 1, b), 0));
  const want = [Math.exp(1) / (Math.exp(1) + 2 * Math.exp(3)), 0, (2 * Math.exp(3)) / (Math.exp(1) + 2 * Math.exp(3)), 0, 0, 0];
  allClose(await read(grad(f)(a)), want);
  allClose(await read(jit(grad(f))(a)), want);
  const rows = vmap(grad((x: NdArray) => S.logsumexp(x, 0, np.array([1, 0, 2]))))(np.array([[1, 2, 3], [0, 0, 0]]));
  allClose(await read(rows), [...want.slice(0, 3), 1 / 3, 0, 2 / 3]);
});

test('softmax and logSoftmax: all axes by default (SciPy), or one axis', async () => {
  const x = np.array([[1, 2], [3, 4]]);
  const e = [1, 2, 3, 4].map(Math.exp);
  const total = e.reduce((p, v) => p + v);
  allClose(await read(S.softmax(x)), e.map((v) => v / total));
  allClose(await read(S.logSoftmax(x)), e.map((v) => Math.log(v / total)));
  allClose(await read(S.softmax(x, 1)), [e[0]! / (e[0]! + e[1]!), e[1]! / (e[0]! + e[1]!), e[2]! / (e[2]! + e[3]!), e[3]! / (e[2]! + e[3]!)]);
});

test("xlogy / xlog1py: 0 at x = 0 where log is -inf or NaN (a NaN y stays NaN, JAX as SciPy); JAX's derivative rules at x = 0, under jit and vmap", async () => {
  allClose(await read(S.xlogy(np.array([0, 0, 0]), np.array([0, -1, NaN]))), [0, 0, NaN]);
  allClose(await read(S.xlog1py(np.array([0, 0]), np.array([-1, -3]))), [0, 0]);
  // d/dx xlogy(x, y) = log(y) (the where alone would give 0 at x = 0), d/dy = x / y.
  const dx = grad((x: NdArray) => np.sum(S.xlogy(x, np.array([2, 0.5, 0]))));
  allClose(await read(dx(np.array([0, 0, 0]))), [Math.log(2), Math.log(0.5), -Infinity]);
  allClose(await read(jit(dx)(np.array([0, 0, 0]))), [Math.log(2), Math.log(0.5), -Infinity]);
  const dy = grad((y: NdArray) => np.sum(S.xlogy(np.array([0, 3]), y)));
  allClose(await read(dy(np.array([2, 4]))), [0, 0.75]);
  const dx1p = vmap(grad((x: NdArray) => S.xlog1py(x, np.array(1))));
  allClose(await read(dx1p(np.array([0, 2]))), [Math.log(2), Math.log(2)]);
  const dy1p = grad((y: NdArray) => np.sum(S.xlog1py(np.array([0, 3]), y)));
  allClose(await read(dy1p(np.array([0.5, 1]))), [0, 1.5]);
});

test('logNdtr: accurate far in the lower tail, and its gradient pdf / ndtr there (JAX rule), under jit and vmap', async () => {
  allClose(await read(S.logNdtr(np.array([-20, -40]))), [-203.91715537109702, -804.6084420137538], { rtol: 1e-6 });
  const want = [20.049753068528293, 5.1865039671258515, 0.7978845608028654, 0.0044378390421256665];
  const x = np.array([-20, -5, 0, 3]);
  const d = grad((v: NdArray) => np.sum(S.logNdtr(v)));
  allClose(await read(d(x)), want, { rtol: 2e-5 });
  allClose(await read(jit(d)(x)), want, { rtol: 2e-5 });
  allClose(await read(vmap(grad((v: NdArray) => S.logNdtr(v)))(x)), want, { rtol: 2e-5 });
});

test('erfinv is ±inf at ±1 (lax.erfInv gives NaN), NaN beyond', async () => {
  const y = await read(S.erfinv(np.array([-1, 1, 1.5])));
  assert.equal(y.slice(0, 2), [-Infinity, Infinity]);
  assert.ok(Number.isNaN(y[2]!));
});

test('gammainc and gammaincc: edges as SciPy, and the derivative in x is the gamma density', async () => {
  const p = await read(S.gammainc(np.array([2, 2, 0, -1, 2]), np.array([0, Infinity, 1, 1, -1])));
  allClose(p, [0, 1, 1, NaN, NaN]);
  const q = await read(S.gammaincc(np.array([2, 2, 0]), np.array([0, Infinity, 1])));
  allClose(q, [1, 0, 0]);
  // d/dx P(a, x) = x^(a-1) e^-x / Gamma(a), on both methods' sides of x = a + 1.
  const x = np.array([0.7, 2, 5, 12]);
  const d = await read(grad((v: NdArray) => np.sum(S.gammainc(2.5, v)))(x));
  const density = [0.7, 2, 5, 12].map((v) => Math.exp(1.5 * Math.log(v) - v) / 1.329340388179137);
  allClose(d, density, { rtol: 2e-5 });
});

test('gamma keeps its sign between the poles, is inf at +0 and NaN at the negative poles (JAX); zeta and polygamma at the poles', async () => {
  allClose(await read(S.gamma(np.array([-0.5, -1.5, 0, -2]))), [-3.5449077018110318, 2.363271801207355, Infinity, NaN], { rtol: 2e-6 });
  allClose(await read(S.polygamma(np.array([1, 0.5]), np.array([0, 1]))), [Infinity, NaN]);
  allClose(await read(S.zeta(np.array([1, 0.5]))), [Infinity, NaN]);
});

test('argument checks name the function', () => {
  assert.throws(() => S.multigammaln(np.array(2), 1.5), /multigammaln: d must be a positive integer, got 1.5/);
});

test.run();
