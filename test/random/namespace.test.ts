/**
 * The `random` namespace lists the public samplers and key functions only: the modules'
 * internal helpers (checkKey, nthKey, positiveUnit, shapeParam) are not part of it (as
 * jax.random exposes no such helpers), and no public export of the modules is left out.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as random from '../../lib/random/index.js';
import * as binomial from '../../lib/random/binomial.js';
import * as derived from '../../lib/random/derived.js';
import * as distributions from '../../lib/random/distributions.js';
import * as keyData from '../../lib/random/key-data.js';
import * as keys from '../../lib/random/keys.js';
import * as poisson from '../../lib/random/poisson.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

const INTERNAL = ['checkKey', 'nthKey', 'positiveUnit', 'shapeParam'];
const R = suite('random: the public namespace');

R('internal helpers are not in the namespace', () => {
  for (const name of INTERNAL) assert.not.ok(name in random, `random.${name} should not be public`);
});

R('the helpers still exist in their defining modules (internal imports keep working)', () => {
  assert.type(keys.checkKey, 'function');
  assert.type(distributions.nthKey, 'function');
  assert.type(distributions.positiveUnit, 'function');
  assert.type(distributions.shapeParam, 'function');
});

R('every other export of the modules is public', () => {
  const all = [keys, distributions, derived, poisson, binomial, keyData].flatMap((m) => Object.keys(m));
  const expected = [...new Set(all)].filter((n) => !INTERNAL.includes(n)).sort();
  assert.equal(Object.keys(random).sort(), expected);
  for (const name of ['key', 'split', 'foldIn', 'normal', 'uniform', 'categorical', 'PRNGKey', 'keyData']) assert.type((random as Record<string, unknown>)[name], 'function', name);
});

R.run();
