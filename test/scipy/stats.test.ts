/**
 * scipy.stats (lib/scipy/stats) against SciPy 1.10's values at float32 inputs
 * (test/fixtures/scipy.json, tools/scipy-fixtures.py): every distribution's functions with
 * loc / scale, outside-support values (-inf log density, 0 density), broadcasting, and
 * gradients under grad, jit and vmap.
 *
 * Tolerances: rtol 1e-6 (about 8 ulps) where the result is a few float32 operations on z =
 * (x - loc) / scale (norm, logistic, laplace, cauchy, expon, uniform, t, geom, bernoulli);
 * rtol 2e-6 and atol 1e-6 for gamma / chi2 / beta (lax.lgamma's absolute error, about 5e-7:
 * beta.logpdf(0, 1, 1) = -4.8e-7, and gammainc's); binom and poisson 5e-6 and 1e-6 (three
 * lgammas of up to 15, each a few e-7 off in absolute terms, then exp); atol 1e-37 elsewhere
 * for results below float32's normal range; the normal CDF's far tail (norm.cdf(-30 -> z = -15.75)) 1e-5, lax.erfc's
 * 2^-24 z^2 (docs/scipy.md).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { type NdArray, grad, jit, np, scipy, vmap } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useTestBackend } from '../helpers/backend.js';
import { caseOf, cases } from './fixtures.js';

const backend = await useTestBackend();
const test = suite(`scipy.stats against SciPy [${backend}]`);
const T = scipy.stats;

type Fn = (...xs: NdArray[]) => NdArray;
const read = async (y: NdArray) => Array.from((await (y as tf.Tensor).data()) as Float32Array);
const dists = T as unknown as Record<string, Record<string, Fn>>;

const toleranceOf = (name: string): { rtol: number; atol: number } => {
  if (/^(binom|poisson)\./.test(name)) return { rtol: 5e-6, atol: 1e-6 };
  if (/^norm\.(cdf|logcdf|sf|logsf)/.test(name)) return { rtol: 1e-5, atol: 1e-37 };
  if (/^(gamma|chi2|beta)\./.test(name)) return { rtol: 2e-6, atol: 1e-6 };
  return { rtol: 1e-6, atol: 1e-37 };
};

const names = Object.keys(cases).filter((n) => n.includes('.'));
test(`each distribution function matches SciPy (${names.length} cases)`, async () => {
  for (const name of names) {
    const [dist, method] = name.split('.') as [string, string];
    const f = dists[dist]?.[method.replace(/_.*/, '')];
    assert.ok(f, `scipy.stats.${dist}.${method} exists`);
    const c = caseOf(name);
    allClose(await read(f(...c.args.map((a) => np.array(a)))), c.want, toleranceOf(name), name);
  }
});

test('multivariateNormal.logpdf: full covariance, batches of x and of covariances, scalar mean and cov', async () => {
  const c = cases['mvn'] as { x: number[]; mean: number[]; cov: number[]; want: number[] };
  const x = np.reshape(np.array(c.x), [3, 3]);
  const cov = np.reshape(np.array(c.cov), [3, 3]);
  allClose(await read(T.multivariateNormal.logpdf(x, np.array(c.mean), cov)), c.want, { rtol: 2e-6 });
  allClose(await read(jit(T.multivariateNormal.logpdf)(x, np.array(c.mean), cov)), c.want, { rtol: 2e-6 });
  // A batch of covariances, one per x.
  const covs = np.stack([cov, cov, cov]);
  allClose(await read(T.multivariateNormal.logpdf(x, np.array(c.mean), covs)), c.want, { rtol: 2e-6 });
  // cov = s (a scalar): s times the identity; a scalar mean: univariate.
  const iso = -0.5 * (3 * Math.log(2 * Math.PI * 2) + (1 + 4 + 9) / 2);
  allClose(await read(T.multivariateNormal.logpdf(np.array([1, 2, 3]), np.array([0, 0, 0]), 2)), [iso]);
  allClose(await read(T.multivariateNormal.logpdf(np.array(1), 0, 4)), [-0.5 * (0.25 + Math.log(8 * Math.PI))]);
});

test('dirichlet.logpdf: columns of x, K - 1 components, -inf off the simplex, alpha checked', async () => {
  const c = cases['dirichlet'] as { x: number[]; alpha: number[]; want: number[] };
  const x = np.reshape(np.array(c.x), [3, 3]);
  allClose(await read(T.dirichlet.logpdf(x, np.array(c.alpha))), c.want, { rtol: 2e-6 });
  allClose(await read(T.dirichlet.logpdf(np.array([0.2, 0.3]), np.array(c.alpha))), [c.want[0]!], { rtol: 2e-6 });
  allClose(await read(T.dirichlet.logpdf(np.array([0.5, 0.6, -0.1]), np.array(c.alpha))), [-Infinity]);
  assert.throws(() => T.dirichlet.logpdf(np.array([0.5, 0.5]), np.array([[1, 1]])), /dirichlet.logpdf: alpha must be 1-D/);
  assert.throws(() => T.dirichlet.logpdf(np.array([0.2, 0.2, 0.2, 0.4]), np.array([1, 1])), /x's first axis must have 2 or 1 entries/);
});

test('outside the support: -inf log densities, 0 densities; loc and scale broadcast', async () => {
  allClose(await read(T.expon.logpdf(np.array([-1, 0]))), [-Infinity, 0]);
  allClose(await read(T.uniform.pdf(np.array([-0.5, 0.5, 1.5]))), [0, 1, 0]);
  allClose(await read(T.gamma.pdf(np.array([-1]), 2)), [0]);
  allClose(await read(T.poisson.pmf(np.array([-1, 1.5]), 2)), [0, 0]);
  const y = T.norm.logpdf(np.reshape(np.array([0, 1, 2]), [3, 1]), np.array([0, 1]), 2);
  assert.equal(y.shape, [3, 2]);
  const z = [0, -0.5, 0.5, 0, 1, 0.5];
  allClose(await read(y), z.map((v) => -0.5 * v * v - Math.log(2) - 0.5 * Math.log(2 * Math.PI)));
});

test('gradients: norm.logpdf in loc and scale under jit and vmap; gamma.logpdf in its shape a', async () => {
  const dLoc = jit(grad((loc: NdArray) => np.sum(T.norm.logpdf(np.array([1, 3]), loc, 2))));
  allClose(await read(dLoc(np.array(0.5))), [(0.5 + 2.5) / 4]);
  const perX = vmap(grad((loc: NdArray, x: NdArray) => T.norm.logpdf(x, loc, 2)), { inAxes: [null, 0] });
  allClose(await read(perX(np.array(0.5), np.array([1, 3]))), [0.5 / 4, 2.5 / 4]);
  const dScale = grad((s: NdArray) => T.norm.logpdf(3, 1, s));
  allClose(await read(dScale(np.array(2))), [-1 / 2 + 4 / 8]);
  // d/da log p = log(z) - digamma(a), z = (x - loc) / scale = 7/3.
  const dA = jit(grad((a: NdArray) => T.gamma.logpdf(2.5, a, -1, 1.5)));
  allClose(await read(dA(np.array(2.5))), [Math.log(7 / 3) - 0.7031566406452432], { rtol: 1e-5 });
});

test.run();
