/**
 * jax.scipy names added in session 15, against SciPy 1.10 (test/fixtures/scipy_names_session15.json,
 * tools/scipy_names_session15.py, float32-rounded inputs): stats.gaussianKde, stats.sem,
 * stats.wrapcauchy, integrate.trapezoid, cluster.vq.vq, interpolate.RegularGridInterpolator,
 * signal.fftconvolve / detrend, special.bernoulli.
 *
 * Tolerances: sums of a few dozen float32 terms (kde, sem, trapezoid, convolutions, detrend) are
 * good to a few float32 ulps of their largest term (rtol 1e-5, atol 1e-6); the kde's log density
 * 12 units out is -55 to -300 with lgamma-free terms of that size (rtol 1e-5); the 2-D kde goes
 * through a 2x2 inverse and Cholesky factor (rtol 5e-5); derivatives 1e-4 relative (float32
 * differences of exp terms); Bernoulli numbers are float64 products rounded once (rtol 1e-6).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy, vmap } from '../../lib/index.js';
import { allClose, errorOf } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { readScipyFixture } from './fixtures.js';

const backend = await useTestBackend();
const test = suite(`scipy session 15 names against SciPy [${backend}]`);
const { stats, integrate, interpolate, cluster, signal, special } = scipy;

type Entry = Record<string, number[]>;
const fx = readScipyFixture<Record<string, Entry>>('scipy_names_session15.json');
/** The named array of a fixture entry, with its shape. */
const arr = (e: Entry, k: string): NdArray => np.reshape(np.array(e[k]!), e[`${k}_shape`]!);
const read = async (y: NdArray) => Array.from(await y.data());

test('gaussianKde: pdf, logpdf (far tails), covariance and integrateBox1d for each bandwidth rule', async () => {
  for (const bw of ['scott', 'silverman', 0.3] as const) {
    const e = fx[`kde1_${bw}`]!;
    const kde = stats.gaussianKde(arr(e, 'data'), bw);
    const pts = arr(e, 'points');
    // pdf 12 units out is below float32's range (SciPy: 1e-79): 0 here, so an absolute floor of float32's smallest normal.
    allClose(await read(kde.pdf(pts)), e.pdf!, { rtol: 1e-5, atol: 1.2e-38 }, `pdf ${bw}`);
    allClose(await read(kde.logpdf(pts)), e.logpdf!, { rtol: 1e-5, atol: 0 }, `logpdf ${bw}`);
    allClose(await read(kde.covariance), e.cov!, { rtol: 1e-5, atol: 0 }, `covariance ${bw}`);
    allClose(await read(kde.integrateBox1d(-0.5, 1)), e.box!, { rtol: 1e-5, atol: 1e-7 }, `integrateBox1d ${bw}`);
  }
});

test('gaussianKde: weighted 2-D data, neff, and a single point given as a [d] vector', async () => {
  const e = fx.kde2_weighted!;
  const kde = stats.gaussianKde(arr(e, 'data'), 'scott', arr(e, 'weights'));
  allClose(await read(kde.covariance), e.cov!, { rtol: 5e-5, atol: 0 }, 'covariance');
  allClose(await read(kde.neff), e.neff!, { rtol: 1e-5, atol: 0 }, 'neff');
  allClose(await read(kde.pdf(arr(e, 'points'))), e.pdf!, { rtol: 5e-5, atol: 1.2e-38 }, 'pdf');
  allClose(await read(kde.logpdf(arr(e, 'points'))), e.logpdf!, { rtol: 5e-5, atol: 0 }, 'logpdf');
  allClose(await read(kde.pdf(np.array([0, 1]))), e.pdf![0]!, { rtol: 5e-5, atol: 0 }, 'one point as [d]');
  assert.match(errorOf(() => kde.pdf(np.zeros([3, 2]))), 'points have dimension 3, the dataset has dimension 2');
  assert.match(errorOf(() => stats.gaussianKde(np.array([1]))), 'more than one element');
});

test('gaussianKde: d/dx logpdf (analytic, float64) under grad, jit and vmap', async () => {
  const e = fx.kde1_grad!;
  const kde = stats.gaussianKde(arr(fx.kde1_scott!, 'data'));
  const dlog = vmap(grad((x: NdArray) => np.sum(kde.logpdf(x))));
  allClose(await read(dlog(arr(e, 'points'))), e.grad!, { rtol: 1e-4, atol: 1e-6 }, 'grad');
  const jitted = jit((x: NdArray) => kde.logpdf(x));
  allClose(await read(jitted(arr(fx.kde1_scott!, 'points'))), fx.kde1_scott!.logpdf!, { rtol: 1e-5, atol: 0 }, 'jit');
});

test('sem: axes, ddof, NaN propagated and omitted', async () => {
  const e = fx.sem!;
  const x = arr(e, 'x');
  allClose(await read(stats.sem(x)), e.axis0!, { rtol: 1e-6, atol: 0 });
  allClose(await read(stats.sem(x, 1)), e.axis1!, { rtol: 1e-6, atol: 0 });
  allClose(await read(stats.sem(x, null)), e.flat!, { rtol: 1e-6, atol: 0 });
  allClose(await read(stats.sem(x, -1, 0)), e.ddof0!, { rtol: 1e-6, atol: 0 });
  assert.equal(stats.sem(x, 1, 1, { keepdims: true }).shape, [3, 1]);
  allClose(await read(stats.sem(arr(e, 'xnan'))), e.nan_propagate!, { rtol: 1e-6, atol: 0 });
  allClose(await read(stats.sem(arr(e, 'xnan'), 0, 1, { nanPolicy: 'omit' })), e.nan_omit!, { rtol: 1e-6, atol: 0 });
});

test('wrapcauchy: density on [0, 2 pi], -inf outside, NaN for c outside (0, 1); derivative in x', async () => {
  const e = fx.wrapcauchy!;
  allClose(await read(stats.wrapcauchy.logpdf(arr(e, 'x'), arr(e, 'c'))), e.logpdf!, { rtol: 1e-6, atol: 1e-7 });
  allClose(await read(stats.wrapcauchy.pdf(arr(e, 'x'), arr(e, 'c'))), e.pdf!, { rtol: 1e-6, atol: 0 });
  // JAX compares x <= 2 pi in float32, where 2 pi rounds up to 6.2831855: that x is inside (SciPy, in float64: outside), with f(0)'s value.
  const ends = await read(stats.wrapcauchy.logpdf(np.array([0, 2 * Math.PI]), 0.5));
  allClose(ends, [ends[0]!, ends[0]!], { rtol: 1e-6, atol: 0 });
  assert.ok(Number.isFinite(ends[1]!));
  // d/dx log f = -2 c sin x / (1 + c^2 - 2 c cos x)
  const [x, c] = [1.2, 0.4];
  const want = (-2 * c * Math.sin(x)) / (1 + c * c - 2 * c * Math.cos(x));
  allClose(await read(grad((v: NdArray) => stats.wrapcauchy.logpdf(v, c))(np.array(x))), want, { rtol: 1e-5, atol: 0 });
});

test('integrate.trapezoid: sample points, spacing, axis', async () => {
  const e = fx.trapezoid!;
  const y = arr(e, 'y');
  allClose(await read(integrate.trapezoid(y, arr(e, 'x'))), e.with_x!, { rtol: 1e-5, atol: 1e-6 });
  allClose(await read(integrate.trapezoid(y, null, 0.5)), e.dx!, { rtol: 1e-5, atol: 1e-6 });
  allClose(await read(integrate.trapezoid(y, null, 1, 0)), e.axis0!, { rtol: 1e-5, atol: 1e-6 });
});

test('cluster.vq.vq: nearest code and its distance, 2-D and 1-D (ties to the first code)', async () => {
  const e = fx.vq!;
  const [code, dist] = cluster.vq.vq(arr(e, 'obs'), arr(e, 'book'));
  assert.equal(code.dtype, 'int32');
  assert.equal(await read(code), e.code);
  allClose(await read(dist), e.dist!, { rtol: 1e-6, atol: 0 });
  const [code1, dist1] = cluster.vq.vq(arr(e, 'obs1'), arr(e, 'book1'));
  assert.equal(await read(code1), e.code1);
  allClose(await read(dist1), e.dist1!, { rtol: 1e-6, atol: 0 });
  assert.match(errorOf(() => cluster.vq.vq(np.zeros([2, 3]), np.zeros([3]))), 'same rank');
});

test('interpolate.RegularGridInterpolator: linear, nearest, NaN fill, extrapolation, trailing axes, gradient', async () => {
  const e = fx.rgi!;
  const grid = [arr(e, 'gx'), arr(e, 'gy')];
  const lin = new interpolate.RegularGridInterpolator(grid, arr(e, 'values'));
  allClose(await read(lin.call(arr(e, 'xi'))), e.linear!, { rtol: 1e-6, atol: 1e-6 }, 'linear');
  allClose(await read(lin.call(arr(e, 'xi_near'), 'nearest')), e.nearest!, { rtol: 1e-7, atol: 0 }, 'nearest');
  const ext = new interpolate.RegularGridInterpolator(grid, arr(e, 'values'), 'linear', false, null);
  allClose(await read(ext.call(arr(e, 'xi'))), e.extrapolate!, { rtol: 1e-5, atol: 1e-6 }, 'extrapolate');
  const trail = new interpolate.RegularGridInterpolator(grid, arr(e, 'values3'), 'linear', false, 0);
  const got = trail.call(arr(e, 'xi'));
  assert.equal(got.shape, [9, 2]);
  allClose(await read(got), e.trailing!, { rtol: 1e-6, atol: 1e-6 }, 'trailing');
  // one array per axis, broadcast
  const xi = arr(e, 'xi');
  const cols = [np.reshape(np.sliceAxis(xi, 1, 0, 1), [9]), np.reshape(np.sliceAxis(xi, 1, 1, 2), [9])];
  allClose(await read(lin.call(cols)), e.linear!, { rtol: 1e-6, atol: 1e-6 }, 'list of coordinates');
  const g = grad((p: NdArray) => np.sum(lin.call(p)))(arr(e, 'gpoint'));
  allClose(await read(g), e.grad!, { rtol: 1e-4, atol: 1e-5 }, 'gradient');
  assert.match(errorOf(() => new interpolate.RegularGridInterpolator(grid, arr(e, 'values'), 'cubic' as 'linear')), "method must be 'linear' or 'nearest'");
});

test('signal.fftconvolve: inputs neither larger in every dimension, and valid with swapped inputs', async () => {
  const e = fx.fftconvolve!;
  const [a, b, c, d] = [arr(e, 'a'), arr(e, 'b'), arr(e, 'c'), arr(e, 'd')];
  const full = signal.fftconvolve(a, b);
  assert.equal(full.shape, e.full_ab_shape);
  allClose(await read(full), e.full_ab!, { rtol: 1e-5, atol: 1e-6 }, 'full [3,1] * [1,4]');
  allClose(await read(signal.fftconvolve(a, b, 'same')), e.same_ab!, { rtol: 1e-5, atol: 1e-6 }, 'same [3,1] * [1,4]');
  allClose(await read(signal.fftconvolve(c, d)), e.full_cd!, { rtol: 1e-5, atol: 1e-6 }, 'full [2,5] * [4,2]');
  const same = signal.fftconvolve(c, d, 'same');
  assert.equal(same.shape, e.same_cd_shape);
  allClose(await read(same), e.same_cd!, { rtol: 1e-5, atol: 1e-6 }, 'same [2,5] * [4,2]');
  allClose(await read(signal.fftconvolve(arr(e, 'f1'), arr(e, 'f2'), 'valid')), e.valid_12!, { rtol: 1e-5, atol: 1e-6 }, 'valid swapped');
  allClose(await read(signal.fftconvolve(arr(e, 'f1'), arr(e, 'f2'), 'same')), e.same_12!, { rtol: 1e-5, atol: 1e-6 }, 'same smaller first');
});

test('signal.detrend: linear, constant, breakpoints (a one-point piece), axis', async () => {
  const e = fx.detrend!;
  const y = arr(e, 'y');
  allClose(await read(signal.detrend(y, 0)), e.linear0!, { rtol: 1e-5, atol: 2e-6 }, 'linear axis 0');
  allClose(await read(signal.detrend(y, -1, 'constant')), e.constant!, { rtol: 1e-5, atol: 2e-6 }, 'constant');
  allClose(await read(signal.detrend(y, 0, 'linear', [3, 6])), e.bp!, { rtol: 1e-5, atol: 2e-6 }, 'breakpoints');
  allClose(await read(signal.detrend(y)), e.last!, { rtol: 1e-5, atol: 2e-6 }, 'last axis');
  allClose(await read(signal.detrend(np.array([1, 4, 8, 8, 9]))), [-1, 0, 2, 0, -1], { rtol: 0, atol: 2e-6 }, "JAX's docstring");
  assert.match(errorOf(() => signal.detrend(y, 0, 'linear', [9])), 'breakpoints must lie in [0, 7]');
});

test('special.bernoulli: B_0 .. B_90 (inf beyond float32 from B_86)', async () => {
  const want = fx.bernoulli!.b90!;
  allClose(await read(special.bernoulli(90)), want, { rtol: 1e-6, atol: 0 });
  allClose(await read(special.bernoulli(0)), [1], { rtol: 0, atol: 0 });
  allClose(await read(special.bernoulli(1)), [1, -0.5], { rtol: 0, atol: 0 });
  assert.match(errorOf(() => special.bernoulli(-1)), 'non-negative integer');
});

test('exp1(inf) = 0 and expi(-inf) = -0 (SciPy 1.10; E1 decays as e^-x / x), with derivative 0 there', async () => {
  const e1 = await read(special.exp1(np.array([Infinity, 100, 1])));
  assert.ok(Object.is(e1[0], 0), `exp1(inf): got ${e1[0]}`);
  allClose(e1.slice(1), [0, 0.21938393], { rtol: 1e-6, atol: 0 });
  const ei = await read(special.expi(np.array([-Infinity, -1])));
  assert.ok(Object.is(ei[0], -0), `expi(-inf): got ${ei[0]}`);
  allClose(ei[1]!, -0.21938393, { rtol: 1e-6, atol: 0 });
  const d = await read(grad((x: NdArray) => np.sum(special.exp1(x)))(np.array([Infinity, 1])));
  allClose(d, [0, -Math.exp(-1)], { rtol: 1e-5, atol: 0 }, "exp1'");
});

test.run();
