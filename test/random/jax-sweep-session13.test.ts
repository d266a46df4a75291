/**
 * jax.random argument semantics (after JAX's random.py and tests/random_lax_test.py):
 * uniform's range where maxval <= minval (JAX's max(minval, ...) gives minval, no error),
 * randint's non-integer bounds (truncated toward zero, as JAX's astype(int)), choice with no
 * draws from an empty population (JAX: an error only when samples are taken), and key(seed)'s
 * key data for seeds outside the int32 range (JAX's testPRNGSeedsAndKeys, non-jitted).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit } from '../../lib/core/index.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import { useTestBackend } from '../helpers/backend.js';
import { errorOf } from '../helpers/assert.js';
import { read } from './moments.js';

await useTestBackend();

const R = suite('random: jax.random argument semantics (session 13)');
const key = random.key(0);

R('uniform: maxval <= minval gives minval everywhere, as JAX (no error); a NaN bound gives NaN', () => {
  for (const [lo, hi] of [[1, 1], [0, 0], [2, -3], [-0.5, -0.5]]) {
    const u = random.uniform(key, [4], { minval: lo, maxval: hi });
    assert.equal([u.shape, u.dtype], [[4], 'float32']);
    assert.equal(read(u), Array(4).fill(lo), `uniform(minval ${lo}, maxval ${hi})`);
  }
  // Batched keys and jit keep the shape.
  const keys = random.splitKeys(key, 3);
  assert.equal(read(random.uniform(keys, [2], { minval: 5, maxval: 5 })), Array(6).fill(5));
  assert.equal(read(jit((k: NdArray) => random.uniform(k, [2], { minval: 0, maxval: 0 }))(key)), [0, 0]);
  assert.ok(read(random.uniform(key, [2], { minval: 0, maxval: NaN })).every(Number.isNaN));
  // An ordinary range still draws inside it.
  const v = read(random.uniform(key, [100], { minval: 2, maxval: 3 }));
  assert.ok(v.every((x) => x >= 2 && x < 3) && new Set(v).size > 90);
});

R('randint: non-integer bounds are truncated toward zero, as JAX casts them to int', () => {
  assert.equal(read(random.randint(key, [50], 0.5, 3.9)), read(random.randint(key, [50], 0, 3)));
  assert.equal(read(random.randint(key, [50], -2.7, 0)), read(random.randint(key, [50], -2, 0)));
  assert.equal(read(random.randint(key, [3], 4.2, 1.5)), [4, 4, 4]); // maxval <= minval: minval
  assert.match(errorOf(() => random.randint(key, [2], 0, Infinity)), /^random\.randint: bounds must be integers in the int32 range \(non-integers are truncated\), got 0, Infinity$/);
  assert.match(errorOf(() => random.randint(key, [2], NaN, 3)), /^random\.randint: bounds must be integers in the int32 range/);
});

R('choice: no draws from an empty population is an empty result; draws from one are an error (as JAX)', () => {
  const a = random.choice(key, 0, [0]);
  assert.equal([a.shape, a.dtype], [[0], 'int32']);
  const b = random.choice(key, np.zeros([0, 3]), [0]);
  assert.equal([b.shape, b.dtype], [[0, 3], 'float32']);
  for (const replace of [true, false]) {
    const c = random.choice(key, 3, [2, 0], { replace, p: np.array([0.2, 0.3, 0.5]) });
    assert.equal(c.shape, [2, 0]);
  }
  assert.match(errorOf(() => random.choice(key, 0, [1])), /^random\.choice: need a positive population size, got 0$/);
  assert.match(errorOf(() => random.choice(key, np.zeros([0]), [2])), /population size, got 0/);
  // Draws from a non-empty population are unchanged.
  assert.ok(read(random.choice(key, 4, [20])).every((i) => Number.isInteger(i) && i >= 0 && i < 4));
});

R('key(seed): JAX\'s key data for seeds beyond int32 (testPRNGSeedsAndKeys, non-jitted)', () => {
  const u32 = (k: NdArray) => read(k).map((w) => w >>> 0);
  assert.equal(u32(random.key(2 ** 31 - 1 + 100)), [0, 2147483747]);
  assert.equal(u32(random.key(-(2 ** 31) - 100)), [4294967295, 2147483548]);
  assert.equal(u32(random.PRNGKey(-3)), [4294967295, 4294967293]);
  assert.equal(u32(random.key(2 ** 40 + 5)), [256, 5]);
});

R.run();
