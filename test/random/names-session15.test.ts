/**
 * jax.random names against JAX HEAD (jax/_src/random/core.py), session 15: key_impl, the one
 * key helper that was missing (tfjax has only JAX's default implementation, threefry2x32),
 * and that every public sampler name of jax.random has its camelCase function here.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();
const R = suite('random: jax.random names (session 15)');

R("keyImpl: 'threefry2x32' for a key or a stack of keys; a non-key is an error", () => {
  assert.is(random.keyImpl(random.key(0)), 'threefry2x32');
  assert.is(random.keyImpl(random.splitKeys(random.key(0), 3)), 'threefry2x32');
  assert.throws(() => random.keyImpl(np.array([1, 2, 3], 'int32')), /random\.keyImpl: a key is an int32 array of shape \[2\]/);
});

R('every public name of jax.random (but key_dtype, random_gamma_p) is a function of the namespace', () => {
  const jaxNames = `PRNGKey ball bernoulli binomial beta bits categorical cauchy chisquare choice clone dirichlet
    double_sided_maxwell exponential f fold_in gamma generalized_normal geometric gumbel key key_data key_impl
    laplace logistic loggamma lognormal maxwell multinomial multivariate_normal normal orthogonal pareto
    permutation poisson rademacher randint rayleigh split t triangular truncated_normal uniform wald weibull_min
    wrap_key_data`.split(/\s+/);
  const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  const ns = random as unknown as Record<string, unknown>;
  const missing = jaxNames.filter((n) => typeof ns[camel(n)] !== 'function');
  assert.equal(missing, []);
});

R.run();
