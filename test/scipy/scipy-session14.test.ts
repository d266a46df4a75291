/**
 * jax.scipy's edge values, from JAX's own tests (lax_scipy_test.py, lax_scipy_special_functions_test.py,
 * scipy_stats_test.py) against SciPy 1.10 at float32 inputs (test/fixtures/scipy_session14.json,
 * tools/scipy_session14.py; where JAX's semantics differ from SciPy 1.10's the generator writes JAX's):
 * gamma's poles and signed zeros, gammaln(inf), gammainc / gammaincc / betainc at their parameter
 * limits, erfc / ndtr / log_ndtr / norm at ±inf, quantiles outside [0, 1], beta with invalid
 * shapes or scale, xlogy / xlog1py with a NaN y, and logsumexp's `where`; the added gumbel_r,
 * gumbel_l, bernoulli.ppf, boxcox, boxcox1p, poch, loggamma, comb(repetition) and 3-D convolutions.
 *
 * Tolerances: the edges are exact (0, 1, ±inf, NaN) and compared exactly; the finite values
 * around them are a few float32 operations (rtol 1e-6); gamma(30) is exp of lgamma(30) = 71.3,
 * whose float32 ulp alone is 7.6e-6, so its relative error is about 1e-5 (rtol 2e-5); gammaln
 * near its zero at -2.5 (-0.056) has lgamma's absolute error, a few e-8 (atol 1e-7); betainc at
 * a or b = eps is betaln's lgamma, a few e-7 absolute (rtol 1e-5, atol 1e-6).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { readScipyFixture } from './fixtures.js';

const backend = await useTestBackend();
const test = suite(`scipy edge values from JAX's tests against SciPy [${backend}]`);
const S = scipy.special;
const T = scipy.stats;

interface Case {
  readonly args: number[][];
  readonly want: number[];
}
interface Conv3d {
  readonly op: 'convolve' | 'correlate';
  readonly mode: 'full' | 'same' | 'valid';
  readonly a: number[];
  readonly a_shape: number[];
  readonly b: number[];
  readonly b_shape: number[];
  readonly want: number[];
  readonly shape: number[];
}
const fixture = readScipyFixture<{ cases: Record<string, Case>; conv3d: Conv3d[] }>('scipy_session14.json');
const cases = fixture.cases;

type Fn = (...xs: NdArray[]) => NdArray;
const read = async (y: NdArray) => Array.from((await (y as tf.Tensor).data()) as Float32Array);

/** Runs f on the named case's inputs and compares with its values (NaN and infinities must match exactly). */
async function check(name: string, f: Fn, rtol = 1e-6, atol = 0): Promise<void> {
  const c = cases[name];
  if (!c) throw new Error(`no case ${name} in test/fixtures/scipy_session14.json`);
  const got = await read(f(...c.args.map((a) => np.array(a))));
  got.forEach((g, i) => {
    const w = c.want[i]!;
    const where = `${name} at (${c.args.map((a) => a[i]).join(', ')})`;
    if (!Number.isFinite(w)) assert.ok(Object.is(g, w) || (Number.isNaN(w) && Number.isNaN(g)), `${where}: got ${g}, want ${w}`);
  });
  allClose(got, c.want, { rtol, atol }, name);
}

test('gamma: NaN at the negative integers and -inf, -inf at -0 (JAX), inf at +0 and inf', async () => {
  await check('gamma', S.gamma, 2e-5);
  // JAX's testGammaSign: sign(gamma) equals gammasgn just off the poles too.
  const offPoles = np.array([Math.fround(-5 - 4.8e-7), Math.fround(-4 + 4.8e-7), Math.fround(-3 - 2.4e-7)]);
  assert.equal(await read(np.sign(S.gamma(offPoles))), await read(S.gammasgn(offPoles)));
});

test('gammaln(inf) is inf', async () => {
  await check('gammaln', S.gammaln, 1e-6, 1e-7);
});

test('gammainc and gammaincc at JAX testGammaIncBoundaryValues samples', async () => {
  await check('gammainc', S.gammainc);
  await check('gammaincc', S.gammaincc);
});

test('betainc at a, b in {NaN, -0.5, inf, 0, eps, 1} (JAX testBetaIncBoundaryValues)', async () => {
  await check('betainc', S.betainc, 1e-5, 1e-6);
  // The same limits under jit (the edges are selects, not host branches).
  const c = cases.betainc!;
  const jitted = jit((a: NdArray, b: NdArray, x: NdArray) => S.betainc(a, b, x));
  const got = await read(jitted(...(c.args.map((a) => np.array(a)) as [NdArray, NdArray, NdArray])));
  allClose(got, c.want, { rtol: 1e-5, atol: 1e-6 }, 'betainc under jit');
});

test('erfc, ndtr, log_ndtr and norm at ±inf (JAX testIssue972: norm.cdf(inf) = 1)', async () => {
  await check('erfc', S.erfc);
  await check('ndtr', S.ndtr);
  await check('log_ndtr', S.logNdtr);
  await check('norm.cdf', T.norm.cdf);
  await check('norm.logcdf', T.norm.logcdf);
  await check('norm.sf', T.norm.sf);
});

test('expon.ppf, cauchy.ppf and cauchy.isf are NaN for q outside [0, 1]', async () => {
  await check('expon.ppf', T.expon.ppf);
  await check('cauchy.ppf', T.cauchy.ppf, 1e-6, 1e-6);
  await check('cauchy.isf', T.cauchy.isf, 1e-6, 1e-6);
});

test('beta.pdf is NaN for shapes or scale <= 0 (JAX testBetaLogPdfNegativeConstants / NegativeScale)', async () => {
  await check('beta.pdf_negative_shapes', T.beta.pdf);
  await check('beta.pdf_negative_scale', T.beta.pdf);
  await check('beta.pdf_ends', T.beta.pdf);
  await check('beta.logpdf_zero_shape', T.beta.logpdf);
});

test('xlogy and xlog1py propagate a NaN y even at x = 0 (JAX, as SciPy); 0 at x = 0 otherwise', async () => {
  await check('xlogy', S.xlogy);
  await check('xlog1py', S.xlog1py);
  // JAX's testGradOfXlogyAtZero: d/dx = log y, d/dy = 0 at x = 0.
  allClose(await read(grad((x: NdArray) => S.xlogy(x, 3))(np.array(0))), [Math.log(3)], { rtol: 1e-6 });
  allClose(await read(grad((y: NdArray) => S.xlogy(0, y))(np.array(3))), [0]);
});

test('logsumexp where: only the true entries, -inf for none, zero gradient off the mask (JAX)', async () => {
  const x = np.array([0, 0, 0, 0, 100]);
  const mask = np.less(np.arange(5), 4);
  const lse = (v: NdArray) => S.logsumexp(v, null, undefined, false, false, mask);
  allClose(await read(lse(x)), [Math.log(4)], { rtol: 1e-6 });
  // JAX's testLogSumExpWhereGrad: [0.25, 0.25, 0.25, 0.25, 0], not NaN for the large masked-out entry.
  allClose(await read(grad(lse)(x)), [0.25, 0.25, 0.25, 0.25, 0], { rtol: 1e-6 });
  assert.equal(await read(S.logsumexp(np.array([1, 2]), null, undefined, false, false, np.array([false, false]))), [-Infinity]);
  // With b, keepdims and returnSign: row 0 keeps 1 * e^1 only, row 1 keeps 1 * e^3.
  const [value, sign] = S.logsumexp(np.array([[1, 2], [3, 4]]), 1, np.array([1, -2]), true, true, np.array([true, false]));
  assert.equal(value.shape, [2, 1]);
  allClose(await read(value), [1, 3], { rtol: 1e-6 });
  assert.equal(await read(sign), [1, 1]);
});

test('stats.gumbelR and gumbelL: every function against SciPy, NaN for scale <= 0, ppf NaN at 0 and 1 (JAX)', async () => {
  for (const name of ['gumbel_r', 'gumbel_l'] as const) {
    const dist = name === 'gumbel_r' ? T.gumbelR : T.gumbelL;
    // Tails: exp(-exp(30)) and its logs are exact zeros / huge negatives in both; atol 1e-37 for the underflowed densities.
    for (const m of ['logpdf', 'pdf', 'cdf', 'logcdf', 'sf', 'logsf'] as const) await check(`${name}.${m}`, dist[m], 1e-6, 1e-37);
    // ppf: gumbel_l's takes log1p(-q), so q = 1e-6 keeps its digits (1 - q in float32 would be 2.6e-2 off in the quantile).
    await check(`${name}.ppf`, dist.ppf, 1e-6);
    await check(`${name}.logpdf_bad_scale`, dist.logpdf);
  }
});

test('bernoulli.ppf, boxcox, boxcox1p, poch, loggamma, comb with repetition', async () => {
  await check('bernoulli.ppf', T.bernoulli.ppf);
  await check('boxcox', S.boxcox, 1e-6, 1e-7);
  await check('boxcox1p', S.boxcox1p, 1e-6, 1e-7);
  // poch: a ratio of two gammas, each exp of lgamma (a few e-7 relative each).
  await check('poch', S.poch, 2e-6);
  await check('loggamma', S.loggamma, 1e-6, 1e-6);
  await check('comb_repetition', (n, k) => S.comb(n!, k!, { repetition: true }), 5e-6);
});

test('signal.convolve / correlate in 3-D, every mode, either input larger, method fft (JAX testConvolutions)', async () => {
  for (const c of fixture.conv3d) {
    const a = np.reshape(np.array(c.a), c.a_shape);
    const b = np.reshape(np.array(c.b), c.b_shape);
    const label = `${c.op} ${c.mode} [${c.a_shape}] * [${c.b_shape}]`;
    for (const method of ['auto', 'fft'] as const) {
      const y = scipy.signal[c.op](a, b, c.mode, method);
      assert.equal(y.shape, c.shape, label);
      // Quarter-integer inputs: every product and partial sum is exact in float32.
      allClose(await read(y), c.want, { rtol: 0, atol: 0 }, `${label} (${method})`);
    }
  }
  // d/da sum(convolve(a, b, 'full')): each entry of a meets every entry of b once, so the gradient is sum(b) everywhere.
  const c = fixture.conv3d.find((v) => v.op === 'convolve' && v.mode === 'full' && v.a_shape[0] === 3)!;
  const b = np.reshape(np.array(c.b), c.b_shape);
  const g = jit(grad((a: NdArray) => np.sum(scipy.signal.convolve(a, b, 'full'))))(np.zeros(c.a_shape));
  allClose(await read(g), new Array(18).fill(c.b.reduce((t, v) => t + v, 0)), { rtol: 1e-6 });
});

test.run();
