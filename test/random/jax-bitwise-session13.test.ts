/**
 * tfjax's PRNG against JAX 0.5+ (jax_threefry_partitionable=True, the default since 0.5), bit for
 * bit: key(seed), split, foldIn, bits (JAX's uint32 words, read here as int32 >>> 0), uniform and
 * permutation equal JAX's; normal is JAX's formula sqrt(2) erfinv(u) on JAX's float32 uniform u,
 * within 2 ulp of its float64 value (XLA's float32 erfinv is a polynomial, so JAX itself is not
 * reproduced to the last bit). Reference: test/fixtures/jax_prng_session13.json, written by
 * tools/jax_threefry_reference.py (a NumPy transcription of jax/_src/prng.py and random.py,
 * checked against JAX's published values), for seeds 0, 1, 42, 2^31 and -1; also under jit and
 * vmap over keys.
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
  split2: number[][];
  split3: number[][];
  fold_in: Record<string, number[]>;
  bits: Record<string, number[]>;
  uniform6: number[];
  uniform6_m3_5: number[];
  normal6: number[];
  permutation5: number[];
  permutation10: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/jax_prng_session13.json', import.meta.url), 'utf8')) as { seeds: Record<string, SeedCase> };
const seeds = Object.entries(fixture.seeds);

/** The values of x, with int32 words read as JAX's uint32. */
async function words(x: unknown): Promise<number[]> {
  return Array.from(await (x as tf.Tensor).data(), (v) => v >>> 0);
}
const floats = async (x: unknown) => Array.from(await (x as tf.Tensor).data());

/** The float32 one unit in the last place above |x|. */
function ulp(x: number): number {
  const f = new Float32Array([Math.abs(x)]);
  const next = new Float32Array(new Int32Array([new Int32Array(f.buffer)[0] + 1]).buffer)[0];
  return next - f[0];
}

const R = suite('random: bitwise equal to JAX 0.5+ (threefry partitionable)');

R('key(seed) is JAX key data for seeds 0, 1, 42, 2^31, -1', async () => {
  for (const [seed, c] of seeds) assert.equal(await words(random.key(Number(seed))), c.key, `key(${seed})`);
});

R('split(key, 2 | 3) and splitKeys: JAX\'s keys', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await Promise.all(random.split(k, 2).map(words)), c.split2, `split(key(${seed}), 2)`);
    assert.equal(await Promise.all(random.split(k, 3).map(words)), c.split3, `split(key(${seed}), 3)`);
    assert.equal(await words(random.splitKeys(k, 3)), c.split3.flat(), `splitKeys(key(${seed}), 3)`);
    assert.equal(await words(random.splitKeys(k, [1, 3])), c.split3.flat(), `splitKeys(key(${seed}), [1, 3])`);
  }
});

R('foldIn(key, d) is JAX\'s fold_in for d = 0, 1, 7, 2^31, 2^32 - 1', async () => {
  for (const [seed, c] of seeds)
    for (const [d, want] of Object.entries(c.fold_in)) assert.equal(await words(random.foldIn(random.key(Number(seed)), Number(d))), want, `foldIn(key(${seed}), ${d})`);
});

R('bits of shapes [], [3], [2, 3], [5] are JAX\'s random.bits words', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await words(random.bits(k)), c.bits['1'], `bits(key(${seed}), [])`);
    assert.equal(await words(random.bits(k, [3])), c.bits['3'], `bits(key(${seed}), [3])`);
    assert.equal(await words(random.bits(k, [5])), c.bits['5'], `bits(key(${seed}), [5])`);
    const b23 = random.bits(k, [2, 3]);
    assert.equal(b23.shape, [2, 3]);
    assert.equal(await words(b23), c.bits['6'], `bits(key(${seed}), [2, 3])`);
  }
});

R('uniform is JAX\'s float32 uniform, bit for bit ([0, 1) and [-3, 5))', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await floats(random.uniform(k, [2, 3])), c.uniform6, `uniform(key(${seed}))`);
    assert.equal(await floats(random.uniform(k, [6], { minval: -3, maxval: 5 })), c.uniform6_m3_5, `uniform(key(${seed}), -3, 5)`);
  }
  // JAX's documented examples (docs.jax.dev, jax.random): uniform(key(0)) and uniform of split's second key.
  assert.ok(Math.abs((await floats(random.uniform(random.key(0))))[0] - 0.947667) < 1e-6);
  assert.ok(Math.abs((await floats(random.uniform(random.split(random.key(0))[1])))[0] - 0.00729382) < 1e-8);
});

/** Each value within 2 float32 ulp of the float64 reference. */
function assertWithin2Ulp(got: number[], want: number[], what: string): void {
  assert.is(got.length, want.length, what);
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= 2 * ulp(want[i]), `${what}[${i}]: ${g} vs ${want[i]}`));
}

R('normal is sqrt(2) erfinv(u) on JAX\'s uniform u, within 2 ulp of its float64 value', async () => {
  for (const [seed, c] of seeds) assertWithin2Ulp(await floats(random.normal(random.key(Number(seed)), [2, 3])), c.normal6, `normal(key(${seed}))`);
});

R('permutation(key, n) is JAX\'s (one sort round by bits of split\'s second key)', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await floats(random.permutation(k, 5)), c.permutation5, `permutation(key(${seed}), 5)`);
    assert.equal(await floats(random.permutation(k, 10)), c.permutation10, `permutation(key(${seed}), 10)`);
  }
});

R('the same values under jit and under vmap over a stack of keys', async () => {
  const cases = seeds.map(([, c]) => c);
  const keys = tf.tensor2d(cases.map((c) => c.key.map((w) => w | 0)), undefined, 'int32');
  const draw = (k: NdArray) => [random.bits(k, [5]), random.uniform(k, [2, 3]), random.normal(k, [2, 3]), random.splitKeys(k, 3), random.foldIn(k, 7), random.permutation(k, 10)];
  const expected = (c: SeedCase) => [c.bits['5'], c.uniform6, c.normal6, c.split3.flat(), c.fold_in['7'], c.permutation10];
  const jitted = jit(draw);
  const batched = vmap(draw)(keys) as NdArray[];
  const jittedBatched = jit(vmap(draw))(keys) as NdArray[];
  for (const [i, c] of cases.entries()) {
    const want = expected(c);
    const single = jitted(tf.tensor1d(c.key.map((w) => w | 0), 'int32')) as NdArray[];
    for (const [j, out] of [single, batched.map((b) => tf.gather(b as tf.Tensor, i)), jittedBatched.map((b) => tf.gather(b as tf.Tensor, i))].entries()) {
      const [b, u, n, s, f, p] = await Promise.all([words(out[0]), floats(out[1]), floats(out[2]), words(out[3]), words(out[4]), floats(out[5])]);
      const how = ['jit', 'vmap', 'jit(vmap)'][j];
      assert.equal(b, want[0], `${how} bits, key ${c.key}`);
      assert.equal(u, want[1], `${how} uniform, key ${c.key}`);
      assertWithin2Ulp(n, want[2], `${how} normal, key ${c.key}`);
      assert.equal(s, want[3], `${how} splitKeys, key ${c.key}`);
      assert.equal(f, want[4], `${how} foldIn, key ${c.key}`);
      assert.equal(p, want[5], `${how} permutation, key ${c.key}`);
    }
  }
});

R.run();
