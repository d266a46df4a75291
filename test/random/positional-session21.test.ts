/**
 * Session 21: jax.random.uniform and jax.random.choice called with JAX's positional arguments
 * (`uniform(key, shape, dtype, minval, maxval)`, `choice(key, a, shape, replace, p, axis)`),
 * as a port from Python writes them. The options object was the only form, and a JS caller's
 * positional `false` or `'float32', -1, 1` was silently ignored (repeats without replacement,
 * draws in [0, 1)).
 */
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';

await useTestBackend();
const R = suite('random: JAX positional arguments (session 21)');
const values = async (x: unknown) => Array.from(await (x as tf.Tensor).data());

R('uniform(key, shape, dtype, minval, maxval) is uniform(key, shape, { minval, maxval })', async () => {
  const k = random.key(3);
  const positional = await values(random.uniform(k, [64], 'float32', -3, -2));
  assert.equal(positional, await values(random.uniform(k, [64], { minval: -3, maxval: -2 })));
  assert.ok(positional.every((v) => v >= -3 && v < -2));
  assert.equal(await values(random.uniform(k, [4], 'float32')), await values(random.uniform(k, [4])));
  assert.is(errorOf(() => random.uniform(k, [2], 'int32')), 'random.uniform: dtype must be float32 (a float dtype, as jax.random.uniform), got int32');
});

R('choice(key, a, shape, replace, p, axis) is choice(key, a, shape, { replace, p, axis })', async () => {
  const k = random.key(1);
  const perm = await values(random.choice(k, 6, [6], false));
  assert.equal([...perm].sort(), [0, 1, 2, 3, 4, 5]);
  assert.equal(perm, await values(random.choice(k, 6, [6], { replace: false })));
  const p = np.array([0, 0.5, 0.5, 0]);
  const withP = await values(random.choice(k, 4, [2], false, p));
  assert.equal(withP, await values(random.choice(k, 4, [2], { replace: false, p })));
  assert.equal([...withP].sort(), [1, 2]);
  const rows = random.choice(k, np.reshape(np.arange(6), [2, 3]), [3], false, undefined, 1);
  assert.equal((rows as tf.Tensor).shape, [2, 3]);
  // Along axis 1 without replacement: each row is a permutation of its own entries.
  const r = await values(rows);
  assert.equal([r.slice(0, 3).sort(), r.slice(3).sort()], [[0, 1, 2], [3, 4, 5]]);
  assert.is(errorOf(() => random.choice(k, 3, [5], false)), 'random.choice: cannot take 5 samples from 3 without replacement');
});

R.run();
