/**
 * random.randint against JAX 0.5+'s int32 jax.random.randint (jax_threefry_partitionable=True),
 * bit for bit: k1, k2 = split(key), two words per sample reduced modulo the span in uint32
 * arithmetic (jax/_src/random.py `_randint`). Reference: test/fixtures/jax_prng_session13.json
 * (`randint`, seeds 0, 1, 42), written by tools/jax_threefry_reference.py; eager, under jit and
 * under vmap over keys. choice(key, n, shape) with replacement and no `p` is JAX's
 * randint(key, shape, 0, n), so it follows.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jit, vmap } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';

await useTestBackend();

interface SeedCase {
  key: number[];
  /** "minval,maxval" -> shape ("[]", "[5]", "[2,3]") -> the int32 values, flattened. */
  randint: Record<string, Record<string, number[]>>;
  /** randint(key, [2, 3], minval [[0], [-5]], maxval [10, 100, 2^31 - 1]), flattened. */
  randint_arrays: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/jax_prng_session13.json', import.meta.url), 'utf8')) as { seeds: Record<string, Partial<SeedCase>> };
const seeds = Object.entries(fixture.seeds).filter((e): e is [string, SeedCase] => e[1].randint !== undefined);
const SHAPES: Record<string, number[]> = { '[]': [], '[5]': [5], '[2,3]': [2, 3] };
const bounds = (b: string) => b.split(',').map(Number) as [number, number];
const ints = async (x: unknown) => Array.from(await (x as tf.Tensor).data());
const keyOf = (c: SeedCase) => tf.tensor1d(c.key.map((w) => w | 0), 'int32');

const R = suite('random.randint: bitwise equal to JAX 0.5+ (int32)');

R('fixture covers seeds 0, 1, 42 and the bounds asked for', () => {
  assert.equal(seeds.map(([s]) => s).sort(), ['0', '1', '42']);
  for (const b of ['0,10', '-5,5', '0,2147483647', '-2147483648,2147483647', '3,3']) assert.ok(seeds[0][1].randint[b], b);
});

R('eager: JAX\'s values and shapes for every seed, shape and bounds', async () => {
  for (const [seed, c] of seeds)
    for (const [b, byShape] of Object.entries(c.randint))
      for (const [name, want] of Object.entries(byShape)) {
        const x = random.randint(keyOf(c), SHAPES[name], ...bounds(b));
        assert.equal(x.shape, SHAPES[name], `shape, seed ${seed} [${b}) ${name}`);
        assert.is(x.dtype, 'int32');
        assert.equal(await ints(x), want, `randint(key(${seed}), ${name}, ${b})`);
      }
});

R('jit, vmap over a stack of keys and jit(vmap) give the same values', async () => {
  const keys = tf.stack(seeds.map(([, c]) => keyOf(c)));
  for (const b of Object.keys(seeds[0][1].randint)) {
    const draw = (k: NdArray) => random.randint(k, [2, 3], ...bounds(b));
    const batched = vmap(draw)(keys) as tf.Tensor;
    const jittedBatched = jit(vmap(draw))(keys) as tf.Tensor;
    assert.equal(batched.shape, [seeds.length, 2, 3]);
    for (const [i, [seed, c]] of seeds.entries()) {
      const want = c.randint[b]['[2,3]'];
      assert.equal(await ints(jit(draw)(keyOf(c))), want, `jit, seed ${seed}, ${b}`);
      assert.equal(await ints(tf.gather(batched, i)), want, `vmap, seed ${seed}, ${b}`);
      assert.equal(await ints(tf.gather(jittedBatched, i)), want, `jit(vmap), seed ${seed}, ${b}`);
    }
  }
});

const MIN = () => tf.tensor2d([[0], [-5]], [2, 1], 'int32');
const MAX = () => tf.tensor1d([10, 100, 2 ** 31 - 1], 'int32');

R('array bounds broadcasting to shape: JAX\'s values, eager, jit, vmap over keys', async () => {
  const keys = tf.stack(seeds.map(([, c]) => keyOf(c)));
  const draw = (k: NdArray) => random.randint(k, [2, 3], MIN(), MAX());
  const batched = vmap(draw)(keys) as tf.Tensor;
  for (const [i, [seed, c]] of seeds.entries()) {
    assert.equal(await ints(draw(keyOf(c))), c.randint_arrays, `eager, seed ${seed}`);
    assert.equal(await ints(jit(draw)(keyOf(c))), c.randint_arrays, `jit, seed ${seed}`);
    assert.equal(await ints(tf.gather(batched, i)), c.randint_arrays, `vmap, seed ${seed}`);
  }
});

R('vmap over the bounds (the key shared) equals one draw per bound', async () => {
  const [seed, c] = seeds[0];
  const k = keyOf(c);
  const his = tf.tensor2d([[10, 100, 2 ** 31 - 1], [3, 3, 3], [1000, -7, 50]], [3, 3], 'int32');
  for (const f of [vmap((hi: NdArray) => random.randint(k, [2, 3], MIN(), hi)), jit(vmap((hi: NdArray) => random.randint(k, [2, 3], MIN(), hi)))]) {
    const got = f(his) as tf.Tensor;
    for (let i = 0; i < 3; i++) assert.equal(await ints(tf.gather(got, i)), await ints(random.randint(k, [2, 3], MIN(), tf.gather(his, i))), `row ${i}, seed ${seed}`);
  }
  // keys and bounds both batched
  const keys = tf.stack(seeds.map(([, sc]) => keyOf(sc)));
  const both = vmap((kk: NdArray, hi: NdArray) => random.randint(kk, [2, 3], MIN(), hi))(keys, his) as tf.Tensor;
  for (const [i, [, sc]] of seeds.entries()) assert.equal(await ints(tf.gather(both, i)), await ints(random.randint(keyOf(sc), [2, 3], MIN(), tf.gather(his, i))), `keys and bounds, row ${i}`);
});

R('choice(key, n, shape) with replacement is JAX\'s randint(key, shape, 0, n)', async () => {
  for (const [seed, c] of seeds) assert.equal(await ints(random.choice(keyOf(c), 10, [2, 3])), c.randint['0,10']['[2,3]'], `choice, seed ${seed}`);
});

R('bounds outside int32 are a one-line error', () => {
  const k = random.key(0);
  assert.throws(() => random.randint(k, [2], 0, 2 ** 31 + 1), /random\.randint: bounds must be integers in the int32 range/);
  assert.throws(() => random.randint(k, [2], -(2 ** 31) - 1, 0), /random\.randint: bounds must be integers in the int32 range/);
});

R.run();
