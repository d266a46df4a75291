/**
 * Explicit, splittable PRNG keys (after `jax.random`). There is no hidden global seed:
 * every sampler takes a key, and the same key gives the same numbers on every backend
 * and in every process (the bits are Threefry-2x32/20 computed on the host, see
 * `lib/core/prims/random.ts`).
 *
 * A key is an int32 array of shape [2]. Every function here also accepts a stack of
 * keys [..., 2] (results gain those leading dims), and works under `vmap` and `jit`.
 *
 * The streams are JAX 0.5+'s (jax_threefry_partitionable = True), block c being Threefry at the
 * counter (0, c) under the key:
 * - word j of `bits(key, shape)` is the xor of the two words of block j;
 * - key j of `split(key, n)` is block j; `foldIn(key, d)` is block d (so it equals split's key d);
 * - `uniform` is JAX's (23 bits), `normal` JAX's sqrt(2) erfinv(u), `permutation` JAX's sort;
 * - the other samplers (but the gamma family, binomial, poisson, orthogonal) compute JAX's own
 *   constructions from those draws, with JAX's key splitting (docs/random.md).
 * Never reuse a key for two purposes: split it.
 *
 * @example
 * import * as random from 'tfjax/random';
 * const key = random.key(0);
 * const [k1, k2] = random.split(key);
 * const x = random.normal(k1, [3, 4]);
 * const perm = random.permutation(k2, 10);
 */
// Explicit lists: the modules' internal helpers (checkKey, nthKey, positiveUnit, shapeParam) stay out of the namespace.
export { type BernoulliMode, type Key, type UniformOptions, bernoulli, bits, erfinv, foldIn, key, normal, permutation, randint, split, splitKeys, truncatedNormal, uniform } from './keys.js';
export {
  type ChoiceOptions,
  type CovFactorMethod,
  type GumbelMode,
  beta,
  categorical,
  cauchy,
  choice,
  dirichlet,
  exponential,
  gamma,
  gumbel,
  laplace,
  loggamma,
  multivariateNormal,
} from './distributions.js';
export { ball, chisquare, doubleSidedMaxwell, f, generalizedNormal, geometric, logistic, lognormal, maxwell, pareto, rademacher, rayleigh, t, triangular, wald, weibullMin } from './derived.js';
export { orthogonal, poisson } from './poisson.js';
export { binomial, multinomial } from './binomial.js';
export { PRNGKey, clone, keyData, keyImpl, wrapKeyData } from './key-data.js';
