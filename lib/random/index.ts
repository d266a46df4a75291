/**
 * Explicit, splittable PRNG keys (after `jax.random`). There is no hidden global seed:
 * every sampler takes a key, and the same key gives the same numbers on every backend
 * and in every process (the bits are Threefry-2x32/20 computed on the host, see
 * `lib/core/prims/random.ts`).
 *
 * A key is an int32 array of shape [2]. Every function here also accepts a stack of
 * keys [..., 2] (results gain those leading dims), and works under `vmap` and `jit`.
 *
 * How streams are derived (the counter of each Threefry block is (i, salt)):
 * - samplers use salt 0: word i of `bits(key, shape)` comes from counter (floor(i/2), 0);
 * - `split(key, n)` uses salt 0xffffffff: key j is the two words of counter (j, 0xffffffff);
 * - `foldIn(key, d)` uses salt d + 1 (d an integer in [0, 2^32 - 3]): the two words of
 *   counter (0, d + 1).
 * So a key's samples, its children from `split` and its `foldIn`s never share a counter.
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
export { type Key, type UniformOptions, bernoulli, bits, erfinv, foldIn, key, normal, permutation, randint, split, splitKeys, truncatedNormal, uniform } from './keys.js';
export {
  type ChoiceOptions,
  type CovFactorMethod,
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
export { PRNGKey, clone, keyData, wrapKeyData } from './key-data.js';
