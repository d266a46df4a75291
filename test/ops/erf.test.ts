/**
 * np.erf on every backend: one float32 scheme (lib/backend/erf-approximation.ts) as a SIMD
 * loop on wasm and as tfjs operations on cpu and webgpu, whose own Erf kernel (Abramowitz and
 * Stegun 7.1.26, absolute error ~1e-7) gave erf(1e-8) = 1.228e-8 and erf(1e-30) = 1e-9.
 * Measured in float32 ulps against a float64 erf that is itself checked against Python's
 * math.erf (test/fixtures/erf-reference.json, tools/erf-reference.py). Bound: 2 ulp where
 * the backend's exp is within 1 ulp (cpu: float64 Math.exp rounded; wasm: our SIMD exp,
 * test/backend/wasm-math.test.ts); webgpu's exp is only specified to 3 + 2|x| ulp (WGSL),
 * which erf's tail (x^2 <= 16) weighs by erfc: 4 ulp there. WGSL also lets a GPU flush
 * denormals to zero (SwiftShader does), intermediate ones too: x P(x^2) is a denormal for
 * |x| below ~2^-123, and erf(x) then comes out as x. There the sweeps start at 2^-122.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, lax, np } from '../../lib/index.js';
import { erfHost } from '../../lib/core/lower/host-random.js';
import { useTestBackend } from '../helpers/backend.js';
import { denseRange, exponentSweep, ulps, worstUlps } from '../helpers/float32-ulps.js';

const backend = await useTestBackend();
const test = suite(`np.erf, float32 within ulps of float64 [${backend}]`);
const MAX_ULP = backend === 'webgpu' ? 4 : 2;

const reference = JSON.parse(readFileSync(new URL('../fixtures/erf-reference.json', import.meta.url), 'utf8')) as { x: number[]; erf: number[]; erfc: number[] };

async function erfOf(xs: Float32Array, mode: 'eager' | 'jit' = 'eager'): Promise<Float32Array> {
  const x = tf.tensor1d(xs);
  const y = (mode === 'eager' ? np.erf(x) : jit((v: tf.Tensor) => np.erf(v))(x)) as tf.Tensor;
  const out = (await y.data()) as Float32Array;
  tf.dispose([x, y]);
  return out;
}

test('the float64 reference agrees with Python math.erf to 1e-13 (relative)', () => {
  reference.x.forEach((x, i) => {
    const want = reference.erf[i]!;
    const got = erfHost(x);
    assert.ok(Math.abs(got - want) <= 1e-13 * Math.abs(want), `erf(${x}): ${got}, Python ${want}`);
  });
});

const sweeps: [string, Float32Array][] = [
  ['every exponent, both signs, 64 mantissas each', exponentSweep(64)],
  ['near 0 and the denormals (relative accuracy: tfjs cpu was 9% off at 1e-8)', denseRange(2 ** -149, 1e-3, 1_600_033)],
  ['the boundary of the two branches, 0.87..0.88', denseRange(0.87, 0.88, 11)],
  ['the tail 0.875..4.5', denseRange(0.875, 4.5, 4001)],
  ['the tail, negative', denseRange(-0.875, -4.5, 8009)],
];
const normal = (xs: Float32Array) => (backend === 'webgpu' ? xs.filter((x) => !(Math.abs(x) < 2 ** -122)) : xs);
for (const [name, all] of sweeps)
  test(`within ${MAX_ULP} ulp over ${name} (${all.length} values)`, async () => {
    const xs = normal(all);
    const w = worstUlps(xs, await erfOf(xs), erfHost);
    assert.ok(w.ulps <= MAX_ULP, `erf(${w.x}) = ${w.got}, float64 ${w.want}: ${w.ulps.toFixed(2)} ulp`);
  });

test('special values: ±0 keep their sign, ±inf give ±1, NaN stays NaN, beyond 3.92 exactly ±1', async () => {
  const y = await erfOf(new Float32Array([0, -0, Infinity, -Infinity, NaN, 3.92, 10, -1e30]));
  assert.ok(Object.is(y[0], 0) && Object.is(y[1], -0), `erf(±0) = ${y[0]}, ${y[1]}`);
  assert.equal([...y.slice(2, 4)], [1, -1]);
  assert.ok(Number.isNaN(y[4]!), `erf(NaN) = ${y[4]}`);
  assert.equal([...y.slice(5)], [1, 1, -1]);
});

test('jit gives the eager values (the fused loop on wasm, the same operations elsewhere)', async () => {
  // 8192 values (the fused loop's minimum size) across both branches and beyond, and the specials.
  const xsFull = new Float32Array([...new Float32Array(8188).map((_, i) => (i - 4094) / 800), 0, -0, Infinity, NaN]);
  const [e, j] = [await erfOf(xsFull), await erfOf(xsFull, 'jit')];
  for (let i = 0; i < e.length; i++) assert.ok(Object.is(e[i], j[i]), `erf(${xsFull[i]}): eager ${e[i]}, jit ${j[i]}`);
});

test("the derivative is 2/sqrt(pi) exp(-x^2), and np.gelu (exact, PyTorch's default) is accurate near 0 (PyTorch's x Phi(x))", async () => {
  const xs = [1e-6, 0.3, -1.2, 2.5];
  const g = grad((x: tf.Tensor) => np.sum(np.erf(x)))(tf.tensor1d(xs));
  const dg = await g.data();
  xs.forEach((x, i) => assert.ok(ulps(dg[i]!, (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x)) <= 4, `erf'(${x}) = ${dg[i]}`));
  // GELU(x) = x (1 + erf(x / sqrt 2)) / 2: near 0 it is x / 2 + x^2 / sqrt(2 pi); tfjs cpu's erf gave 5e-9 for x = 1e-8 (relative error 1).
  const small = [1e-8, -1e-5, 1e-3];
  const gx = tf.tensor1d(small);
  const gy = np.gelu(gx);
  const y = await gy.data();
  small.forEach((x, i) => {
    const want = (x / 2) * (1 + erfHost(x / Math.SQRT2));
    assert.ok(Math.abs(y[i]! - want) <= 4e-7 * Math.abs(want), `gelu(${x}) = ${y[i]}, float64 ${want}`);
  });
  tf.dispose([g, gx, gy]);
});

test('lax.erfc keeps its relative accuracy in the tail (exp(-x^2) from an exact square: a rounded x^2 gave 3e-6 at x = 9)', async () => {
  const at = reference.x.map((x, i) => [x, reference.erfc[i]!] as const).filter(([x]) => x >= 0.5 && x <= 9.5);
  const x = tf.tensor1d(at.map(([v]) => v));
  const y = lax.erfc(x) as tf.Tensor;
  const got = await y.data();
  // Numerical Recipes' erfcc: 1.2e-7 relative in exact arithmetic, plus a few float32 roundings.
  at.forEach(([v, want], i) => assert.ok(Math.abs(got[i]! - want) <= 1e-6 * want, `erfc(${v}) = ${got[i]}, Python ${want}`));
  tf.dispose([x, y]);
});

test.run();
