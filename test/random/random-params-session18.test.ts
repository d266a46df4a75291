/**
 * jax.random does not check the values of its samplers' parameters: a zero, negative or NaN
 * shape, rate, degrees of freedom or probability gives whatever the sampler's formula gives
 * (NaN, 0, inf, or ordinary numbers), never an error, and a number parameter the same as a
 * 0-d array (session 18). The expected values follow jax/_src/random.py's formulas (comments
 * name them); shape errors stay errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { NdArray } from '../../lib/core/trace.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const R = suite('random: non-positive and NaN parameters (session 18)');
const key = random.key(1800);
const N = 64;
const read = async (x: NdArray) => Array.from(await (x as tf.Tensor).data());
const [k0, k1] = random.split(key) as [NdArray, NdArray];

/** Asserts every value satisfies `ok`, naming the first that does not. */
async function every(x: NdArray, ok: (v: number) => boolean, what: string): Promise<void> {
  const vs = await read(x);
  assert.ok(vs.length > 0, `${what}: empty`);
  const bad = vs.findIndex((v) => !ok(v));
  assert.is(bad, -1, `${what}: value ${vs[bad]} at ${bad}`);
}

/** Asserts a and b agree within a relative tolerance (same NaN / inf positions). */
async function close(a: NdArray, b: NdArray | number[], what: string, rtol = 1e-6): Promise<void> {
  const [x, y] = [await read(a), Array.isArray(b) ? b : await read(b)];
  assert.is(x.length, y.length, `${what}: lengths`);
  x.forEach((v, i) => {
    const w = y[i]!;
    const same = Object.is(v, w) || (Number.isNaN(v) && Number.isNaN(w)) || Math.abs(v - w) <= rtol * Math.abs(w);
    assert.ok(same, `${what}[${i}]: ${v} vs ${w}`);
  });
}

R('gamma / loggamma: alpha < -2/3 or NaN gives NaN, 0 gives 0 (log: -inf), a number as a 0-d array', async () => {
  // _gamma_one: alpha < 1 is boosted to alpha + 1, d = alpha + 2/3; d < 0 makes every step NaN;
  // alpha = 0 multiplies by U^(1/0) = 0 (exp(log U / 0) = 0 in log space).
  await every(random.gamma(key, -1, [N]), Number.isNaN, 'gamma(-1)');
  await every(random.gamma(key, NaN, [N]), Number.isNaN, 'gamma(NaN)');
  await every(random.gamma(key, 0, [N]), (v) => v === 0, 'gamma(0)');
  await every(random.loggamma(key, 0, [N]), (v) => v === -Infinity, 'loggamma(0)');
  // -2/3 < alpha < 0: d > 0, so a finite Gamma(alpha + 1) sample times U^(1/alpha) >= it.
  const neg = random.gamma(key, -0.5, [N]);
  await every(neg, (v) => v > 0 && Number.isFinite(v), 'gamma(-0.5)');
  await close(neg, random.gamma(key, np.full([], -0.5, 'float32'), [N]), 'gamma(-0.5) number vs 0-d array', 0);
});

R('beta and dirichlet: a zero shape gives 0 (or 1), a negative one NaN', async () => {
  // _beta: exp(log Gamma(a) - max) normalised; log Gamma(0) = -inf.
  await every(random.beta(key, 0, 1, [N]), (v) => v === 0, 'beta(0, 1)');
  await every(random.beta(key, 1, 0, [N]), (v) => v === 1, 'beta(1, 0)');
  await every(random.beta(key, -1, 1, [N]), Number.isNaN, 'beta(-1, 1)');
  const d = await read(random.dirichlet(key, np.array([0, 1, 2]), [N]));
  for (let i = 0; i < N; i++) {
    assert.is(d[3 * i], 0, `dirichlet row ${i}: zero alpha gives 0`);
    assert.ok(Math.abs(d[3 * i + 1]! + d[3 * i + 2]! - 1) < 1e-6, `dirichlet row ${i}: sums to 1`);
  }
});

R('pareto, weibullMin: exp(E / b) and E^(1 / c) scale for any b, c', async () => {
  const e = random.exponential(key, [N]);
  // _pareto: exp(e / b): b = 0 gives inf (e > 0), b < 0 values in (0, 1].
  await every(random.pareto(key, 0, [N]), (v) => v === Infinity, 'pareto(0)');
  await close(random.pareto(key, -1, [N]), np.exp(np.neg(e)), 'pareto(-1)');
  // _weibull_min: (-log1p(-u))^(1 / c) * scale: c = -1 gives 1 / E.
  await close(random.weibullMin(key, 2, -1, [N]), np.div(2, e), 'weibullMin(2, -1)', 1e-5);
});

R('chisquare, t, f, generalizedNormal: 2 Gamma(df / 2) etc. for any df, p', async () => {
  // _chisquare: 2 exp(loggamma(df / 2)): df = -1 is 2 Gamma(-1/2), finite and positive.
  await close(random.chisquare(key, -1, [N]), np.mul(random.gamma(key, -0.5, [N]), 2), 'chisquare(-1)');
  // _t: n sqrt((df / 2) / Gamma(df / 2)): df = 0 gives 0 / 0.
  await every(random.t(key, 0, [N]), Number.isNaN, 't(0)');
  // _f: (chi2(dfnum) / dfnum) / (chi2(dfden) / dfden): dfnum = 0 gives 0 / 0.
  await every(random.f(key, 0, 3, [N]), Number.isNaN, 'f(0, 3)');
  // _generalized_normal: r Gamma(1 / p)^(1 / p): p = 0 gives Gamma(inf) = inf, so +-inf.
  await every(random.generalizedNormal(key, 0, [N]), (v) => Math.abs(v) === Infinity, 'generalizedNormal(0)');
});

R('wald: a mean <= 0 gives what JAX\'s root formula gives on the same draws', async () => {
  const mean = [-2, -1, -0.5, 0, NaN];
  const mu = np.broadcastTo(np.reshape(np.array(mean), [5, 1]), [5, N]);
  const got = random.wald(key, mu);
  // _wald: v = normal(k1), z = uniform(k2), y = v^2,
  // x = mu + mu^2 y / 2 - mu / 2 sqrt(4 mu y + mu^2 y^2), x if z <= mu / (mu + x) else mu^2 / x.
  const [v, z] = [await read(random.normal(k0, [5, N])), await read(random.uniform(k1, [5, N]))];
  const want = v.map((vi, i) => {
    const m = mean[Math.floor(i / N)]!;
    const y = vi * vi;
    const x = m + (m * m * y) / 2 - (m / 2) * Math.sqrt(4 * m * y + m * m * y * y);
    return z[i]! <= m / (m + x) ? x : (m * m) / x;
  });
  assert.ok(want.some(Number.isFinite), 'some finite JAX values for negative means (the check can fail)');
  await close(got, want, 'wald', 1e-4);
});

R('geometric: p outside (0, 1] gives floor(log u / log1p(-p)) + 1 (NaN -> 0)', async () => {
  // _geometric: p = 2 makes log1p(-p) NaN, which converts to int 0.
  await every(random.geometric(key, 2, [N]), (v) => v === 0, 'geometric(2)');
  const u = await read(random.uniform(key, [N]));
  const want = u.map((ui) => Math.floor(Math.log(ui === 0 ? 1 : ui) / Math.log(2)) + 1);
  const got = await read(random.geometric(key, -1, [N]));
  assert.equal(got, want, 'geometric(-1)');
  assert.ok(got.some((g) => g < 1), 'geometric(-1) has counts below 1 (the check can fail)');
});

R('ball: p = 0 gives NaN, d = 0 an empty [..., 0] array', async () => {
  await every(random.ball(key, 3, 0, [4]), Number.isNaN, 'ball(p = 0)');
  assert.equal(random.ball(key, 0, 2, [4]).shape, [4, 0]);
});

R('truncatedNormal: an empty interval gives the float32 below upper, a NaN bound NaN', async () => {
  // _truncated_normal: u = max(a, ...) = a, then clip to (nextafter(lower), nextafter(upper, -inf)).
  await every(random.truncatedNormal(key, 1, 0, [N]), (v) => v === -(2 ** -149), 'truncatedNormal(1, 0)');
  await every(random.truncatedNormal(key, [N], 1, 1), (v) => v === 1 - 2 ** -24, 'truncatedNormal(shape, 1, 1)');
  await every(random.truncatedNormal(key, NaN, 1, [N]), Number.isNaN, 'truncatedNormal(NaN, 1)');
});

R('shape errors stay errors', () => {
  assert.throws(() => random.gamma(key, np.array([1, 2, 3]), [2]), /broadcast/);
  assert.throws(() => random.pareto(key, -1, [-1]), /shape/);
  assert.throws(() => random.ball(key, -1), /d must be a non-negative integer/);
  assert.throws(() => random.ball(key, 1.5), /d must be a non-negative integer/);
});

R.run();
