/**
 * The sweep's additions to scipy.special and scipy.stats against SciPy 1.10 at float32 inputs
 * (test/fixtures/scipy_sweep.json, tools/scipy-sweep-fixtures.py): betainc and what is made of
 * it (beta, t, binom and f cdf / sf), i0 / i0e / i1 / i1e, expi / exp1, spence, gammasgn (JAX's
 * NaN at the poles), truncnorm, vonmises, gennorm, pareto, nbinom, betabinom, multinomial,
 * rankdata and mode.
 *
 * Tolerances (rtol relative, atol absolute):
 * - 1e-6: a few float32 operations (pareto, vonmises, truncnorm's log densities, Bessel's
 *   Chebyshev sums, spence, expi / exp1 by series or continued fraction away from expi's zero).
 * - 1e-5 and atol 1e-6: betainc and its distributions: betaln's lgamma is a few e-7 off in
 *   absolute terms (5e-6 at a = b = 0.1), Stirling's prefactor for a, b = 1000, 1500 is 5e-6 off;
 *   the distributions' cdf / sf get atol 5e-6, as a complement 1 - I carries I's absolute error
 *   (lgamma's, up to 4e-6: f.sf(2, 1, 12) is 3.5e-6 off); the log of a cdf near 1 likewise. f.logpdf: atol 1e-5, its
 *   terms of size (dfn + dfd) / 2 log(...) (up to about 50) cancel to a result near 0.
 * - truncnorm 5e-6: JAX's form norm.logpdf - log mass cancels terms of about 45 at a = 9.
 * - 5e-6 and atol 1e-6: the discrete distributions' three lgammas (as binom.logpmf).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy, vmap } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { readScipyFixture } from './fixtures.js';

const backend = await useTestBackend();
const test = suite(`scipy sweep (betainc, Bessel, exponential integrals, more distributions) against SciPy [${backend}]`);
const S = scipy.special;
const T = scipy.stats;

interface Case {
  readonly args: number[][];
  readonly want: number[];
}
const { cases } = readScipyFixture('scipy_sweep.json');
const caseOf = (name: string) => cases[name] as Case;

type Fn = (...xs: NdArray[]) => NdArray;
const read = async (y: NdArray) => Array.from((await (y as tf.Tensor).data()) as Float32Array);
const run = (f: Fn, c: Case) => f(...c.args.map((a) => np.array(a)));

const specials: [string, Fn, number, number][] = [
  ['betainc', S.betainc, 1e-5, 1e-6],
  ['i0e', S.i0e, 1e-6, 0],
  ['i1e', S.i1e, 1e-6, 0],
  ['i0', S.i0, 1e-6, 0],
  ['i1', S.i1, 1e-6, 0],
  ['exp1', S.exp1, 1e-6, 0],
  ['expi', S.expi, 1e-6, 0],
  ['spence', S.spence, 1e-6, 1e-7],
  ['gammasgn', S.gammasgn, 0, 0],
];

test('special functions match SciPy', async () => {
  for (const [name, f, rtol, atol] of specials) allClose(await read(run(f, caseOf(name))), caseOf(name).want, { rtol, atol }, name);
});

test('gammasgn: JAX’s NaN at the poles, -1 at -0 (SciPy 1.10 gives 0, 0)', async () => {
  allClose(await read(S.gammasgn(np.array([0, -0, -1, -2, -Infinity, Infinity, NaN]))), [1, -1, NaN, NaN, NaN, 1, NaN]);
});

test('betainc: edges, broadcasting, jit and vmap', async () => {
  allClose(await read(S.betainc(2, 3, np.array([0, 1, -0.1, 1.1, NaN]))), [0, 1, NaN, NaN, NaN]);
  // a = 0: all the mass at 0, so 1 for x > 0 (JAX, SciPy >= 1.16); a < 0: NaN.
  allClose(await read(S.betainc(np.array([0, -1]), 2, 0.5)), [1, NaN]);
  const y = S.betainc(np.array([[1], [2]]), np.array([1, 2, 3]), 0.5);
  assert.equal(y.shape, [2, 3]);
  allClose(await read(y), [0.5, 0.75, 0.875, 0.25, 0.5, 0.6875], { rtol: 2e-6 });
  const c = caseOf('betainc');
  allClose(await read(jit(S.betainc)(...c.args.map((a) => np.array(a)) as [NdArray, NdArray, NdArray])), c.want, { rtol: 1e-5, atol: 1e-6 });
  allClose(await read(vmap((x: NdArray) => S.betainc(2, 3, x))(np.array([0.25, 0.5]))), [0.26171875, 0.6875], { rtol: 2e-6 });
});

test('betainc: d/dx is the beta density (JAX’s rule), d/da through the fraction', async () => {
  const dx = caseOf('betainc_dx');
  const [a, b, x] = dx.args.map((v) => np.array(v)) as [NdArray, NdArray, NdArray];
  allClose(await read(grad((v: NdArray) => np.sum(S.betainc(a, b, v)))(x)), dx.want, { rtol: 2e-5 }, 'd/dx');
  // d/da at SciPy's central difference (step 1e-6 in float64); t.cdf's d/dx is t.pdf, in the same pass.
  const da = caseOf('betainc_da');
  const [a2, b2, x2] = da.args.map((v) => np.array(v)) as [NdArray, NdArray, NdArray];
  const tx = np.array([-2, 0.5]);
  const both = (p: NdArray, v: NdArray) => np.add(np.sum(S.betainc(p, b2, x2)), np.sum(T.t.cdf(v, 3)));
  const [ga, gt] = grad(both, { argnums: [0, 1] })(a2, tx) as [NdArray, NdArray];
  allClose(await read(ga), da.want, { rtol: 1e-4, atol: 1e-6 }, 'd/da');
  allClose(await read(gt), await read(T.t.pdf(tx, 3)), { rtol: 2e-5 }, 't.cdf d/dx');
});

const dists = T as unknown as Record<string, Record<string, Fn>>;
const toleranceOf = (name: string): { rtol: number; atol: number } => {
  if (name === 'f.logpdf') return { rtol: 1e-5, atol: 1e-5 };
  if (/^(beta|t|binom|f)\./.test(name)) return { rtol: 1e-5, atol: 5e-6 };
  if (/^(nbinom|betabinom|gennorm)\./.test(name)) return { rtol: 5e-6, atol: 1e-6 };
  if (/^truncnorm\./.test(name)) return { rtol: 5e-6, atol: 1e-7 };
  return { rtol: 1e-6, atol: 1e-37 };
};

const names = Object.keys(cases).filter((n) => n.includes('.'));
test(`distribution functions match SciPy (${names.length} cases)`, async () => {
  for (const name of names) {
    const [dist, method] = name.split('.') as [string, string];
    const f = dists[dist]?.[method.replace(/_.*/, '')];
    assert.ok(f, `scipy.stats.${dist}.${method} exists`);
    allClose(await read(run(f, caseOf(name))), caseOf(name).want, toleranceOf(name), name);
  }
});

test('multinomial.logpmf: counts along the last axis, -inf where they do not sum to n', async () => {
  const c = cases['multinomial'] as { x: number[]; p: number[]; want: number[] };
  const x = np.reshape(np.array(c.x), [4, 3]);
  allClose(await read(T.multinomial.logpmf(x, 5, np.array(c.p))), c.want, { rtol: 5e-6, atol: 1e-6 });
  allClose(await read(T.multinomial.pmf(np.array([1, 1, 1]), 4, np.array(c.p))), [0]);
  assert.throws(() => T.multinomial.logpmf(np.array(3), 3, np.array([1])), /multinomial.logpmf: x must have a last axis/);
});

test('rankdata: every method, flattened and along an axis; NaN propagates; bad method named', async () => {
  const c = cases['rankdata'] as Record<string, number[]>;
  const x = np.reshape(np.array(c['x']!), [4, 5]);
  for (const m of ['average', 'min', 'max', 'dense', 'ordinal'] as const) {
    const flat = T.rankdata(x, m);
    assert.equal(flat.shape, [20]);
    assert.is(flat.dtype, 'float32');
    allClose(await read(flat), c[m]!, {}, m);
    allClose(await read(T.rankdata(x, m, { axis: 1 })), c[`${m}_axis1`]!, {}, `${m} axis 1`);
  }
  allClose(await read(T.rankdata(x, 'average', { axis: 0 })), c['average_axis0']!);
  allClose(await read(jit((v: NdArray) => T.rankdata(v, 'min'))(x)), c['min']!);
  allClose(await read(T.rankdata(np.array([[1, NaN, 2], [3, 1, 2]]), 'average', { axis: 1 })), [NaN, NaN, NaN, 3, 1, 2]);
  assert.throws(() => T.rankdata(x, 'first' as 'min'), /rankdata: unknown method 'first'/);
});

test('mode: smallest most frequent value and its count along an axis, or flattened; keepdims', async () => {
  const c = cases['mode'] as { x: number[]; axis0: number[][]; axis1: number[][]; none: number[][] };
  const x = np.reshape(np.array(c.x), [3, 6]);
  for (const [axis, want] of [[0, c.axis0], [1, c.axis1], [-1, c.axis1], [null, c.none]] as const) {
    const [m, n] = T.mode(x, axis);
    assert.is(n.dtype, 'int32');
    allClose(await read(m), want[0]!, {}, `mode axis ${axis}`);
    allClose(await read(n), want[1]!, {}, `count axis ${axis}`);
  }
  const [m, n] = T.mode(x, 1, true);
  assert.equal([m.shape, n.shape], [[3, 1], [3, 1]]);
  assert.throws(() => T.mode(x, 2), /mode: axis 2 is out of range/);
});

const signalFixture = readScipyFixture<{ cases: { map_coordinates: Record<string, number[]> } }>('scipy_signal.json');

test('ndimage.mapCoordinates: orders 0 (halves away from 0, JAX) and 1, every mode (JAX: constant, wrap = SciPy grid-constant, grid-wrap), cval', async () => {
  const c = signalFixture.cases.map_coordinates;
  const img = np.reshape(np.array(c['img']!), [4, 5]);
  const coords = np.reshape(np.array(c['coords']!), [2, 11]);
  for (const order of [0, 1] as const) {
    for (const mode of ['constant', 'nearest', 'wrap', 'mirror', 'reflect'] as const) {
      const y = scipy.ndimage.mapCoordinates(img, coords, order, mode, 0.75);
      assert.equal(y.shape, [11]);
      allClose(await read(y), c[`${order}_${mode}`]!, { rtol: 1e-6, atol: 1e-6 }, `order ${order} ${mode}`);
    }
  }
  // A list of coordinate arrays, jit, and the gradient with respect to the image (the linear weights).
  const rows = np.array([0.25]);
  const cols = np.array([1.5]);
  const f = (im: NdArray) => np.sum(scipy.ndimage.mapCoordinates(im, [rows, cols], 1, 'nearest'));
  allClose(await read(jit(f)(img)), [0.375 * ((c['img']![1]! + c['img']![2]!)) + 0.125 * (c['img']![6]! + c['img']![7]!)], { rtol: 1e-6 });
  const g = await read(grad(f)(img));
  allClose([g[1]!, g[2]!, g[6]!, g[7]!, g[0]!], [0.375, 0.375, 0.125, 0.125, 0]);
  // Order 0 rounds -0.5 to -1 (JAX's lax.round; SciPy gives 0): with 'wrap' the last entry.
  allClose(await read(scipy.ndimage.mapCoordinates(np.array([1, 2, 3]), [np.array([-0.5, 0.5])], 0, 'wrap')), [3, 2]);
  // int32 input: rounded, int32 out.
  const yi = scipy.ndimage.mapCoordinates(np.array([0, 10, 20], 'int32'), [np.array([0.26, 1.5])], 1);
  assert.is(yi.dtype, 'int32');
  allClose(await read(yi), [3, 15]);
  assert.throws(() => scipy.ndimage.mapCoordinates(img, [rows], 1), /mapCoordinates: coordinates must have one entry per input axis \(2\), got 1/);
  assert.throws(() => scipy.ndimage.mapCoordinates(img, coords, 3), /mapCoordinates: order must be 0 or 1, got 3/);
  assert.throws(() => scipy.ndimage.mapCoordinates(img, coords, 1, 'grid-wrap' as 'wrap'), /mapCoordinates: mode must be one of/);
});

test.run();
