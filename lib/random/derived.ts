/**
 * jax.random's further distributions, each a transformation of the uniform, normal and gamma
 * samplers (so they run under jit and vmap, with keys batched or not): logistic, lognormal,
 * rademacher, pareto, weibullMin, rayleigh, maxwell, doubleSidedMaxwell, chisquare, f, t,
 * geometric, triangular, generalizedNormal, ball, wald. Shape parameters are not
 * differentiated (shapeParam); location and scale are plain arithmetic on the samples.
 */
import { type NdArray, scope, type Shape } from '../core/index.js';
import * as np from '../ops/index.js';
import { exponential, gamma, nthKey, positiveUnit, shapeParam } from './distributions.js';
import { type Key, normal, splitKeys, uniform } from './keys.js';
import { sampleShape } from './shapes.js';

/** A parameter as a float32 array (a number converted first, so the arithmetic on it is float32, as JAX's). */
const asFloat32 = (x: number | NdArray): NdArray => np.cast(typeof x === 'number' ? np.full([], x, 'float32') : x, 'float32');



/**
 * Standard logistic samples (mean 0, variance pi^2 / 3), as jax.random.logistic (JAX 0.7+):
 * log(u) - log1p(-u) with u = uniform(key, shape, tiny, 1).
 */
export function logistic(key: Key, shape: Shape = []): NdArray {
  return scope(() => {
    const u = positiveUnit(key, shape);
    return np.sub(np.log(u), np.log1p(np.neg(u)));
  });
}

/** exp(z sigma) for standard normal z: log-normal with location 0 and scale `sigma` (default 1), as jax.random.lognormal. */
export function lognormal(key: Key, sigma: number | NdArray = 1, shape?: Shape): NdArray {
  const s = sampleShape('lognormal', shape, sigma);
  return scope(() => np.exp(np.mul(normal(key, s), sigma)));
}

/** -1 or 1 with equal probability, int32: 2 bernoulli(key, 0.5) - 1, as jax.random.rademacher. */
export function rademacher(key: Key, shape: Shape = []): NdArray {
  return scope(() => np.sub(np.mul(np.cast(np.less(uniform(key, shape), 0.5), 'int32'), 2), 1));
}

/** Pareto samples with scale 1 and shape `b`: exp(E / b), E standard exponential (support x >= 1), as jax.random.pareto. */
export function pareto(key: Key, b: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('pareto', shape, b);
  return scope(() => np.exp(np.div(exponential(key, s), shapeParam(b, s))));
}

/**
 * Weibull samples, (-log1p(-u))^(1 / concentration) * scale, as jax.random.weibull_min (a
 * number concentration's reciprocal is taken in double precision, as Python's 1.0 / c).
 */
export function weibullMin(key: Key, scale: number | NdArray, concentration: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('weibullMin', shape, scale, concentration);
  return scope(() => {
    const c = shapeParam(concentration, s);
    const power = typeof concentration === 'number' ? 1 / concentration : np.reciprocal(c);
    return np.mul(np.pow(exponential(key, s), power), asFloat32(scale));
  });
}

/** Rayleigh samples, scale * sqrt(-2 log u) with u = uniform(key, shape), as jax.random.rayleigh (u = 0, probability 2^-23, gives inf, as JAX). */
export function rayleigh(key: Key, scale: number | NdArray = 1, shape?: Shape): NdArray {
  const s = sampleShape('rayleigh', shape, scale);
  return scope(() => np.mul(np.sqrt(np.mul(np.log(uniform(key, s)), -2)), asFloat32(scale)));
}

/** Maxwell samples: the norm of three standard normals, normal(key, [...shape, 3]) (jax.random.maxwell). */
export function maxwell(key: Key, shape: Shape = []): NdArray {
  return scope(() => np.sqrt(np.sum(np.square(normal(key, [...shape, 3])), -1)));
}

/**
 * Double-sided Maxwell samples: loc + scale * (a Maxwell sample with a random sign). As
 * jax.random.double_sided_maxwell, `shape` (default []) is added in front of the broadcast
 * shape of loc and scale: loc [3] with shape [2] gives [2, 3]. (With shape [] JAX doubles the
 * parameters' shape, [3, 3]; here it is their shape, [3].)
 */
export function doubleSidedMaxwell(key: Key, loc: number | NdArray, scale: number | NdArray, shape: Shape = []): NdArray {
  if (!Array.isArray(shape)) throw new Error(`random.doubleSidedMaxwell: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  const params = sampleShape('doubleSidedMaxwell', undefined, loc, scale);
  const s = [...shape, ...params];
  return scope(() => {
    const keys = splitKeys(key, 2);
    const signed = np.mul(maxwell(nthKey(keys, 0), s), rademacher(nthKey(keys, 1), s));
    return np.add(np.mul(signed, scale), loc);
  });
}

/** Chi-square samples with `df` degrees of freedom: 2 Gamma(df / 2). */
export function chisquare(key: Key, df: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('chisquare', shape, df);
  return scope(() => np.mul(gamma(key, np.div(shapeParam(df, s), 2), s), 2));
}

/** F samples: (X1 / dfnum) / (X2 / dfden) for independent chi-squares X1, X2. */
export function f(key: Key, dfnum: number | NdArray, dfden: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('f', shape, dfnum, dfden);
  return scope(() => {
    const keys = splitKeys(key, 2);
    const num = np.div(chisquare(nthKey(keys, 0), dfnum, s), shapeParam(dfnum, s));
    const den = np.div(chisquare(nthKey(keys, 1), dfden, s), shapeParam(dfden, s));
    return np.div(num, den);
  });
}

/** Student's t samples: z / sqrt(X / df) for standard normal z and chi-square X. */
export function t(key: Key, df: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('t', shape, df);
  return scope(() => {
    const keys = splitKeys(key, 2);
    return np.div(normal(nthKey(keys, 0), s), np.sqrt(np.div(chisquare(nthKey(keys, 1), df, s), shapeParam(df, s))));
  });
}

/**
 * Trials up to and including the first success of probability p (support 1, 2, ...), int32, as
 * jax.random.geometric: floor(log u / log1p(-p)) + 1 with u = uniform(key, shape), u = 0 read
 * as 1 (JAX 0.10.2+; before, JAX's u = 0 gave an overflowing count).
 */
export function geometric(key: Key, p: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('geometric', shape, p);
  return scope(() => {
    const q = np.log1p(np.neg(np.broadcastTo(np.stopGradient(asFloat32(p)), s)));
    const u = uniform(key, s);
    return np.cast(np.add(np.floor(np.div(np.log(np.where(np.equal(u, 0), 1, u)), q)), 1), 'int32');
  });
}

/** Triangular samples on [left, right] with the given mode, by inverting the distribution function (jax.random.triangular's float32 formula). */
export function triangular(key: Key, left: number | NdArray, mode: number | NdArray, right: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('triangular', shape, left, mode, right);
  return scope(() => triangularOf(uniform(key, s), asFloat32(left), asFloat32(mode), asFloat32(right)));
}

/** The triangular inverse CDF at u, in JAX's order of float32 operations. */
function triangularOf(u: NdArray, left: NdArray, mode: NdArray, right: NdArray): NdArray {
  const width = np.sub(right, left);
  const cut = np.div(np.sub(mode, left), width);
  const low = np.add(left, np.sqrt(np.mul(np.mul(u, width), np.sub(mode, left))));
  const high = np.sub(right, np.sqrt(np.mul(np.mul(np.sub(1, u), width), np.sub(right, mode))));
  return np.where(np.less(u, cut), low, high);
}

/** Generalized normal samples, density proportional to exp(-|x|^p): a random sign times Gamma(1/p)^(1/p). */
export function generalizedNormal(key: Key, p: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('generalizedNormal', shape, p);
  return scope(() => {
    const keys = splitKeys(key, 2);
    const pp = shapeParam(p, s);
    const magnitude = np.pow(gamma(nthKey(keys, 0), np.reciprocal(pp), s), np.reciprocal(pp));
    return np.mul(magnitude, np.cast(rademacher(nthKey(keys, 1), s), 'float32'));
  });
}

/**
 * Points uniform in the unit p-norm ball of dimension d, [...shape, d] (Barthe et al. 2005:
 * generalized normals normalised, scaled by an exponential's share).
 */
export function ball(key: Key, d: number, p = 2, shape: Shape = []): NdArray {
  if (!Number.isInteger(d) || d < 0) throw new Error(`random.ball: d must be a non-negative integer, got ${d}`);
  return scope(() => {
    const keys = splitKeys(key, 2);
    const g = generalizedNormal(nthKey(keys, 0), p, [...shape, d]);
    const e = exponential(nthKey(keys, 1), shape);
    const norm = np.pow(np.add(np.sum(np.pow(np.abs(g), p), -1), e), 1 / p);
    return np.div(g, np.expandDims(norm, -1));
  });
}

/**
 * Wald (inverse Gaussian) samples with the given mean and shape 1 (Michael, Schucany & Haas
 * 1976). The smaller root mu + (mu / 2)(r - sqrt(4r + r^2)), r = mu z^2, is computed as
 * 4 mu / (sqrt(4 + r) + sqrt(r))^2 (the same number, without JAX's cancellation, which loses
 * all digits for means above ~1e4 in float32). The draws are jax.random.wald's (the normal from
 * split(key)'s first key, the uniform from its second, the same acceptance test), so the
 * samples agree with JAX's up to JAX's rounding error. A mean <= 0 or NaN gives what JAX's
 * formula gives (mostly NaN; finite where 4 mu y + mu^2 y^2 >= 0).
 */
export function wald(key: Key, mean: number | NdArray, shape?: Shape): NdArray {
  const s = sampleShape('wald', shape, mean);
  return scope(() => {
    const keys = splitKeys(key, 2);
    const mu = shapeParam(mean, s);
    const y = np.square(normal(nthKey(keys, 0), s));
    const muY = np.mul(mu, y);
    const stable = np.div(np.mul(mu, 4), np.square(np.add(np.sqrt(np.add(muY, 4)), np.sqrt(muY))));
    // A mean <= 0 (no Wald distribution): JAX's formula itself, mu + mu^2 y / 2 - (mu / 2) sqrt(4 mu y + mu^2 y^2).
    const direct = np.sub(np.add(mu, np.div(np.mul(mu, muY), 2)), np.mul(np.div(mu, 2), np.sqrt(np.add(np.mul(muY, 4), np.square(muY)))));
    const x = np.where(np.greater(mu, 0), stable, direct);
    const u = uniform(nthKey(keys, 1), s);
    return np.where(np.lessEqual(u, np.div(mu, np.add(mu, x))), x, np.div(np.square(mu), x));
  });
}
