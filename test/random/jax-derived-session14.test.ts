/**
 * jax.random's other samplers, computed with JAX's own constructions from the same draws (JAX 0.7+,
 * jax_threefry_partitionable=True): gumbel, categorical, exponential, laplace, logistic, cauchy,
 * rademacher, maxwell, doubleSidedMaxwell, weibullMin, rayleigh, pareto, lognormal, geometric,
 * triangular, wald, truncatedNormal, choice (with and without replacement, with and without p) and
 * permutation with `independent`. Reference: test/fixtures/jax_derived_session14.json, written by
 * `tools/jax_threefry_reference.py --fixture14` (a NumPy float32 transcription of
 * jax/_src/random.py), for seeds 0, 1, 42, 2^31, -1 and 780233, whose first uniform is 0 (JAX's
 * rayleigh then gives inf, geometric 1).
 *
 * Tolerances: discrete outputs (categorical and choice indices, rademacher, geometric,
 * permutations) must be equal. Float outputs use the same uniform and normal draws (bit for
 * bit, resp. to an ulp), then elementwise float32 math whose transcendental functions (log,
 * log1p, exp, tan, pow) are each within an ulp or two in tfjs, NumPy and XLA: 4 float32 ulp of
 * the value, plus 4 eps absolute where a result near 0 comes from values near 1 (gumbel's
 * -log(t), logistic's log x - log1p(-x)). wald: JAX's root mean + mean^2 y/2 - (mean/2) sqrt(...)
 * cancels (tfjax computes the same root without cancellation), so it is compared to within
 * JAX's own rounding error, 4 eps (mean + mean^2 y) relative to the smaller root.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, vmap } from '../../lib/core/index.js';
import type { NdArray } from '../../lib/core/trace.js';
import * as np from '../../lib/ops/index.js';
import * as random from '../../lib/random/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { ulp } from '../helpers/float32-ulps.js';

const backend = await useTestBackend();

type Nested = number | string | Nested[];
interface Fixture {
  categorical_logits: number[][];
  choice_p: number[];
  seeds: Record<string, Record<string, Nested[]>>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/jax_derived_session14.json', import.meta.url), 'utf8')) as Fixture;
const seeds = Object.entries(fixture.seeds);
const EPS = 2 ** -23;

const values = async (x: unknown) => Array.from(await (x as tf.Tensor).data());
/** The reference values, flattened; the fixture writes infinities as "inf" / "-inf". */
const flat = (x: Nested[]) => (x.flat(4) as (number | string)[]).map((v) => (v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number)));

/** Each value within `ulps` float32 ulp of the reference plus `abs` absolute. */
function assertClose(got: number[], want: number[], what: string, ulps = 4, abs = 0): void {
  assert.is(got.length, want.length, `${what}: length`);
  got.forEach((g, i) => assert.ok(g === want[i] || Math.abs(g - want[i]) <= ulps * ulp(want[i]) + abs, `${what}[${i}]: ${g} vs JAX ${want[i]}`));
}

/** The continuous samplers of one key, by fixture name. */
function continuous(k: NdArray): Record<string, NdArray> {
  return {
    exponential: random.exponential(k, [2, 3]),
    laplace: random.laplace(k, [2, 3]),
    maxwell: random.maxwell(k, [4]),
    double_sided_maxwell: random.doubleSidedMaxwell(k, 1.5, 2, [4]),
    weibull_min: random.weibullMin(k, 2, 1.5, [4]),
    rayleigh: random.rayleigh(k, 3, [4]),
    pareto: random.pareto(k, 2.5, [4]),
    lognormal: random.lognormal(k, 0.7, [4]),
    triangular: random.triangular(k, -1, 0.5, 3, [6]),
  };
}

const R = suite('random: JAX\'s constructions for the derived samplers');

/**
 * The bound for cauchy's tan(y) = sin(y) / cos(y) on this backend: 4 ulp on cpu. tfjs-backend-wasm's
 * Sin and Cos kernels are accurate only to ~2^-22 absolute (sin(-0.0983) is off by 17 ulp, cos
 * near pi/2 by ~1e-7; cpu's are within an ulp), so on wasm the bound adds that error carried
 * through the quotient, 2^-22 (1 + |tan y|) / |cos y|.
 */
function cauchyBound(want: number): number {
  if (backend !== 'wasm') return 4 * ulp(want);
  return 4 * ulp(want) + (2 ** -22 * (1 + Math.abs(want))) * Math.sqrt(1 + want * want);
}

/** Each cauchy value within cauchyBound of JAX's. */
function assertCauchy(got: number[], want: number[], what: string): void {
  got.forEach((g, i) => assert.ok(Math.abs(g - want[i]) <= cauchyBound(want[i]), `${what}[${i}]: ${g} vs JAX ${want[i]}`));
}

R('exponential, laplace, maxwell, doubleSidedMaxwell, weibullMin, rayleigh, pareto, lognormal, triangular: JAX\'s within 4 ulp; cauchy within tan\'s bound', async () => {
  for (const [seed, c] of seeds) {
    for (const [name, x] of Object.entries(continuous(random.key(Number(seed))))) assertClose(await values(x), flat(c[name]!), `${name}(key(${seed}))`);
    assertCauchy(await values(random.cauchy(random.key(Number(seed)), [2, 3])), flat(c.cauchy!), `cauchy(key(${seed}))`);
  }
});

R('gumbel and logistic: JAX\'s within 4 ulp + 4 eps', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assertClose(await values(random.gumbel(k, [2, 3])), flat(c.gumbel!), `gumbel(key(${seed}))`, 4, 4 * EPS);
    assertClose(await values(random.logistic(k, [2, 3])), flat(c.logistic!), `logistic(key(${seed}))`, 4, 4 * EPS);
  }
});

R('truncatedNormal: JAX\'s formula (number bounds within 2 ulp, array bounds within 4 ulp)', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assertClose(await values(random.truncatedNormal(k, [6])), flat(c.truncated_normal!), `truncatedNormal(key(${seed}))`, 2);
    assertClose(await values(random.truncatedNormal(k, [6], -1, 3)), flat(c.truncated_normal_m1_3!), `truncatedNormal(key(${seed}), -1, 3)`, 2);
    assertClose(await values(random.truncatedNormal(k, [6], 0, Infinity)), flat(c.truncated_normal_0_inf!), `truncatedNormal(key(${seed}), 0, inf)`, 2);
    const arr = random.truncatedNormal(k, np.array([-1, 0]), 1, [3, 2]);
    assert.equal(arr.shape, [3, 2]);
    assertClose(await values(arr), flat(c.truncated_normal_arrays!), `truncatedNormal(key(${seed}), [-1, 0], 1, [3, 2])`, 4);
  }
});

R('wald: JAX\'s draws and root, within JAX\'s cancellation error', async () => {
  for (const [seed, c] of seeds) {
    const got = await values(random.wald(random.key(Number(seed)), 1.5, [6]));
    const want = flat(c.wald!);
    const y = flat(c.wald_y!);
    got.forEach((g, i) => {
      const root = Math.min(want[i], 1.5 ** 2 / want[i]);
      const rel = (4 * EPS * (1.5 + 1.5 ** 2 * y[i])) / root + 4 * EPS;
      assert.ok(Math.abs(g - want[i]) <= rel * want[i], `wald(key(${seed}))[${i}]: ${g} vs JAX ${want[i]}`);
    });
  }
});

R('rademacher and geometric: JAX\'s integers', async () => {
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await values(random.rademacher(k, [8])), c.rademacher, `rademacher(key(${seed}))`);
    assert.equal(await values(random.geometric(k, 0.3, [8])), c.geometric, `geometric(key(${seed}), 0.3)`);
    assert.equal(await values(random.geometric(k, 0.01, [8])), c.geometric_small_p, `geometric(key(${seed}), 0.01)`);
  }
});

R('categorical: JAX\'s indices (rows, a leading sample dim, axis 0, without replacement)', async () => {
  const logits = np.array(fixture.categorical_logits);
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await values(random.categorical(k, logits)), c.categorical_rows, `key(${seed}) rows`);
    assert.equal(await values(random.categorical(k, logits, -1, [4, 3])), flat(c.categorical_shape_4_3!), `key(${seed}) [4, 3]`);
    assert.equal(await values(random.categorical(k, logits, 0, [2, 5])), flat(c.categorical_axis0!), `key(${seed}) axis 0`);
    assert.equal(await values(random.categorical(k, logits, -1, [3, 3], false)), flat(c.categorical_noreplace_3_3!), `key(${seed}) without replacement`);
  }
});

R('choice: JAX\'s indices with and without replacement, with and without p', async () => {
  const p = np.array(fixture.choice_p);
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await values(random.choice(k, 7, [2, 3])), flat(c.choice_replace!), `key(${seed}) replace`);
    assert.equal(await values(random.choice(k, 7, [4], { replace: false })), c.choice_noreplace, `key(${seed}) no replace`);
    assert.equal(await values(random.choice(k, 7, [2, 4], { p })), flat(c.choice_p_replace!), `key(${seed}) p, replace`);
    assert.equal(await values(random.choice(k, 7, [5], { replace: false, p })), c.choice_p_noreplace, `key(${seed}) p, no replace`);
    // choosing from an array takes those entries
    const picked = random.choice(k, np.mul(np.arange(7), 10), [2, 4], { p });
    assert.equal(await values(picked), flat(c.choice_p_replace!).map((i) => 10 * i));
  }
});

R('permutation with independent: JAX\'s per-fibre shuffle along axis 1 and 0', async () => {
  const x = np.reshape(np.arange(12), [3, 4]);
  for (const [seed, c] of seeds) {
    const k = random.key(Number(seed));
    assert.equal(await values(random.permutation(k, x, 1, true)), flat(c.permutation_independent_axis1!), `key(${seed}) axis 1`);
    assert.equal(await values(random.permutation(k, x, 0, true)), flat(c.permutation_independent_axis0!), `key(${seed}) axis 0`);
  }
});

R('the same values under jit and under vmap over keys', async () => {
  const cases = seeds.map(([, c]) => c);
  const stacked = tf.stack(seeds.map(([s]) => random.key(Number(s)) as tf.Tensor));
  const p = np.array(fixture.choice_p);
  const draw = (k: NdArray) => [random.cauchy(k, [2, 3]), random.laplace(k, [2, 3]), random.choice(k, 7, [2, 4], { p }), random.geometric(k, 0.3, [8]), random.truncatedNormal(k, [6], -1, 3)];
  const want = (c: Record<string, Nested[]>) => [flat(c.cauchy!), flat(c.laplace!), flat(c.choice_p_replace!), c.geometric as number[], flat(c.truncated_normal_m1_3!)];
  for (const [how, out] of [['vmap', vmap(draw)(stacked)], ['jit(vmap)', jit(vmap(draw))(stacked)]] as const) {
    for (const [i, c] of cases.entries()) {
      const [cy, lp, ch, ge, tn] = await Promise.all((out as NdArray[]).map((o) => values(tf.gather(o as tf.Tensor, i))));
      const w = want(c);
      assertCauchy(cy!, w[0]!, `${how} cauchy`);
      assertClose(lp!, w[1]!, `${how} laplace`);
      assert.equal(ch, w[2], `${how} choice`);
      assert.equal(ge, w[3], `${how} geometric`);
      assertClose(tn!, w[4]!, `${how} truncatedNormal`, 2);
    }
  }
});

R('erfinv(+-1) is +-inf (as lax.erf_inv), not NaN; its gradient inside stays finite', async () => {
  assert.equal(await values(random.erfinv(np.array([-1, 1, 0]))), [-Infinity, Infinity, 0]);
  // d erfinv(x)/dx = sqrt(pi)/2 exp(erfinv(x)^2); erfinv(0.5) = 0.4769362762044699
  const slope = await values(grad((x: NdArray) => np.sum(random.erfinv(x)))(np.array([0.5, 0])));
  assertClose(slope, [(Math.sqrt(Math.PI) / 2) * Math.exp(0.4769362762044699 ** 2), Math.sqrt(Math.PI) / 2], 'erfinv gradient', 8);
});

R.run();
