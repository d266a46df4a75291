/**
 * The distributions of lib/random/derived.ts: sample moments of 20,000 draws (fixed keys) within
 * 5 standard errors of the exact values, supports and dtypes, and the same values under jit and
 * vmap over keys.
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { N, checkFrequency, checkMoments, read, sameUnderTransforms } from './moments.js';

await useTestBackend();
const R = suite('random: derived distributions');
const k = (i: number) => random.key(100 + i);

R('logistic, lognormal, rademacher: mean and variance', () => {
  checkMoments('logistic', read(random.logistic(k(1), [N])), 0, Math.PI ** 2 / 3);
  const s2 = 0.25; // sigma 0.5
  checkMoments('lognormal(0.5)', read(random.lognormal(k(2), 0.5, [N])), Math.exp(s2 / 2), (Math.exp(s2) - 1) * Math.exp(s2));
  const r = random.rademacher(k(3), [N]) as tf.Tensor;
  assert.is(r.dtype, 'int32');
  assert.ok(read(r).every((v) => v === 1 || v === -1));
  checkFrequency('rademacher = 1', read(r).filter((v) => v === 1).length, N, 0.5);
});

R('pareto, weibullMin, rayleigh, maxwell, doubleSidedMaxwell', () => {
  const b = 9;
  const xs = read(random.pareto(k(4), b, [N]));
  assert.ok(xs.every((x) => x >= 1), 'pareto support x >= 1');
  checkMoments('pareto(9)', xs, b / (b - 1), b / ((b - 1) ** 2 * (b - 2)));
  checkMoments('weibullMin(1, 2)', read(random.weibullMin(k(5), 1, 2, [N])), Math.sqrt(Math.PI) / 2, 1 - Math.PI / 4);
  checkMoments('weibullMin(3, 1) = 3 exponential', read(random.weibullMin(k(6), 3, 1, [N])), 3, 9);
  checkMoments('rayleigh(2)', read(random.rayleigh(k(7), 2, [N])), 2 * Math.sqrt(Math.PI / 2), ((4 - Math.PI) / 2) * 4);
  checkMoments('maxwell', read(random.maxwell(k(8), [N])), 2 * Math.sqrt(2 / Math.PI), 3 - 8 / Math.PI);
  checkMoments('doubleSidedMaxwell(1, 2)', read(random.doubleSidedMaxwell(k(9), 1, 2, [N])), 1, 3 * 4);
});

R('chisquare, f, t: mean and variance', () => {
  checkMoments('chisquare(3)', read(random.chisquare(k(10), 3, [N])), 3, 6);
  const [d1, d2] = [5, 20];
  checkMoments('f(5, 20)', read(random.f(k(11), d1, d2, [N])), d2 / (d2 - 2), (2 * d2 ** 2 * (d1 + d2 - 2)) / (d1 * (d2 - 2) ** 2 * (d2 - 4)));
  checkMoments('t(10)', read(random.t(k(12), 10, [N])), 0, 10 / 8);
});

R('geometric (int32, support 1, 2, ...), triangular, wald', () => {
  const g = random.geometric(k(13), 0.3, [N]) as tf.Tensor;
  assert.is(g.dtype, 'int32');
  assert.ok(read(g).every((v) => Number.isInteger(v) && v >= 1));
  checkMoments('geometric(0.3)', read(g), 1 / 0.3, 0.7 / 0.09);
  assert.ok(read(random.geometric(k(14), 1, [100])).every((v) => v === 1), 'geometric(1) is always 1');
  const [a, c, b] = [-1, 0.5, 3];
  const tri = read(random.triangular(k(15), a, c, b, [N]));
  assert.ok(tri.every((x) => x >= a && x <= b));
  checkMoments('triangular(-1, 0.5, 3)', tri, (a + b + c) / 3, (a * a + b * b + c * c - a * b - a * c - b * c) / 18);
  checkMoments('wald(1)', read(random.wald(k(16), 1, [N])), 1, 1);
  checkMoments('wald(0.5)', read(random.wald(k(17), 0.5, [N])), 0.5, 0.125);
});

R('generalizedNormal (p = 2: variance 1/2; p = 1: Laplace), loggamma', () => {
  checkMoments('generalizedNormal(2)', read(random.generalizedNormal(k(18), 2, [N])), 0, 0.5);
  checkMoments('generalizedNormal(1)', read(random.generalizedNormal(k(19), 1, [N])), 0, 2);
  checkMoments('loggamma(1) = log exponential', read(random.loggamma(k(20), 1, [N])), -0.5772156649, Math.PI ** 2 / 6);
});

R('ball: inside the unit ball, uniform (E|x|^2 = d / (d + 2) for p = 2; |x|_1 <= 1 for p = 1)', () => {
  const d = 3;
  const pts = random.ball(k(21), d, 2, [N]) as tf.Tensor;
  assert.equal(pts.shape, [N, d]);
  const sq = read(np.sum(np.square(pts), -1));
  assert.ok(sq.every((v) => v <= 1 + 1e-6));
  // |x| has density d r^(d-1) on [0, 1]: E|x|^2 = d / (d + 2), E|x|^4 = d / (d + 4).
  checkMoments('ball(3) |x|^2', sq, d / (d + 2), d / (d + 4) - (d / (d + 2)) ** 2);
  const l1 = read(np.sum(np.abs(random.ball(k(22), 2, 1, [1000])), -1));
  assert.ok(l1.every((v) => v <= 1 + 1e-6));
});

R('parameters broadcast to the sample shape; arrays of parameters', () => {
  const xs = random.chisquare(k(23), np.array([1, 8]), [N, 2]) as tf.Tensor;
  const v = read(xs);
  checkMoments('chisquare([1, 8])[0]', v.filter((_, i) => i % 2 === 0), 1, 2);
  checkMoments('chisquare([1, 8])[1]', v.filter((_, i) => i % 2 === 1), 8, 16);
  assert.equal((random.lognormal(k(24), np.array([0.1, 0.2, 0.3])) as tf.Tensor).shape, [3]);
  // As jax.random, parameter values are not checked (geometric(1.5) gives 0s: see random-params-session18).
  assert.throws(() => random.ball(k(25), -1), /random.ball: d must be a non-negative integer, got -1/);
});

R('deterministic per key; the same values under jit and under vmap over keys', () => {
  const samplers: [string, (key: NdArray) => NdArray][] = [
    ['logistic', (key) => random.logistic(key, [4])],
    ['t', (key) => random.t(key, 5, [4])],
    ['f', (key) => random.f(key, 3, 7, [4])],
    ['geometric', (key) => random.geometric(key, 0.2, [4])],
    ['triangular', (key) => random.triangular(key, 0, 1, 2, [4])],
    ['ball', (key) => random.ball(key, 3, 2, [2])],
    ['wald', (key) => random.wald(key, 2, [4])],
    ['doubleSidedMaxwell', (key) => random.doubleSidedMaxwell(key, 0, 1, [4])],
  ];
  sameUnderTransforms(samplers);
});

R.run();
