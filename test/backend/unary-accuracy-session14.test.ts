/**
 * Float32 accuracy of np's unary functions against float64 (Math.*), in ulps:
 *
 * - sin, cos and tan within 1 ulp over every float32 exponent of both signs and at the
 *   float32 values nearest to multiples of π/2 (the hard cases of the range reduction), up to
 *   3.4e38; eagerly, under jit, grad and vmap. On wasm they are our double-precision kernel
 *   (lib/backend/wasm-trig.ts): tfjs wasm's Sin/Cos/Tan were ~2.5e-7 absolute (sin near 2π
 *   1.4e5 ulp, cos near π/2 1.2e6 ulp); tan was sin / cos on every backend (up to 2 ulp).
 * - arctanh, arcsin within 2 ulp (were 3.6e5 and 7 ulp near ±1), cbrt within 1 ulp (15 at
 *   large arguments), sinh and cosh finite up to their overflow (inf from 88.72), arccosh NaN
 *   below -1 (was -inf).
 *
 * On webgpu (SwiftShader) trigonometry is WGSL's approximation (2^-11 absolute): the sin/cos/tan
 * sweeps are skipped there, the composites are checked with wider bounds (WGSL's exp is
 * within 3 + 2|x| ulp: sinh and cosh near 89 multiply two exp(44.7)), and from 2^-122 on
 * (SwiftShader flushes denormals, intermediate ones too, as WGSL allows).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { grad, jit, np, vmap } from '../../lib/index.js';
import { useTestBackend } from '../helpers/backend.js';
import { denseRange, exponentSweep, ulps, worstUlps } from '../helpers/float32-ulps.js';

const backend = await useTestBackend();
const test = suite(`np unary functions within ulps of float64 [${backend}]`);
const gpu = backend === 'webgpu';
if (gpu) console.log('skip: sin, cos and tan sweeps (WGSL trigonometry is approximate: 2^-11 absolute); composites checked with wider bounds');

type Fn = (x: np.NdArray) => np.NdArray;
const valuesOf = async (f: Fn, xs: Float32Array) => (await f(np.array(xs)).data()) as Float32Array;

/** The float32 values nearest k π/2 and their two neighbours each side, for the given k. */
function nearHalfPiMultiples(ks: readonly number[]): Float32Array {
  const out = new Float32Array(ks.length * 5);
  const bits = new Uint32Array(out.buffer);
  ks.forEach((k, i) => {
    out[5 * i] = Math.fround((k * Math.PI) / 2);
    for (const d of [1, 2, 3, 4]) bits[5 * i + d] = bits[5 * i]! + (d <= 2 ? d : -(d - 2));
  });
  return out;
}
const smallKs = Array.from({ length: 40_000 }, (_, i) => i - 20_000);
const largeKs = Array.from({ length: 4_000 }, (_, i) => Math.round((i + 1) * 131.7) * (i % 2 ? -1 : 1)); // up to 5.3e5 (the kernel's bound: 8e5)
const hugeKs = Array.from({ length: 200 }, (_, i) => 2 ** (20 + i * 0.5)); // host-reduced, up to ~2^120 π/2
const TRIG_SETS: [string, Float32Array][] = [
  ['every exponent, both signs, 256 mantissas each', exponentSweep(256)],
  ['nearest k π/2, |k| <= 20000 (with neighbours)', nearHalfPiMultiples(smallKs)],
  ['nearest k π/2, |k| to 5.3e5', nearHalfPiMultiples(largeKs)],
  ['nearest k π/2, k from 2^20 to 2^120', nearHalfPiMultiples(hugeKs)],
  ['0..8 (dense)', denseRange(1e-3, 8, 7919)],
];
const TRIG: [string, Fn, (x: number) => number][] = [
  ['sin', np.sin, Math.sin],
  ['cos', np.cos, Math.cos],
  ['tan', np.tan, Math.tan],
];

for (const [name, f, ref] of gpu ? [] : TRIG)
  for (const [what, xs] of TRIG_SETS)
    test(`${name}: within 1 ulp of float64 over ${what} (${xs.length} values)`, async () => {
      const w = worstUlps(xs, await valuesOf(f, xs), ref);
      assert.ok(w.ulps <= 1, `${name}(${w.x}) = ${w.got}, float64 ${w.want}: ${w.ulps.toFixed(1)} ulp`);
    });

if (!gpu)
  test('sin, cos, tan: special values, signed zeros, short arrays (1, 3, 5 and 0 elements)', async () => {
    const xs = new Float32Array([NaN, Infinity, -Infinity, 0, -0, 3.4028234663852886e38, -1e30]);
    for (const [name, f, ref] of TRIG) {
      const y = await valuesOf(f, xs);
      assert.ok(y.slice(0, 3).every(Number.isNaN), `${name} of NaN, ±inf: ${y.slice(0, 3)}`);
      assert.ok(Object.is(y[3], name === 'cos' ? 1 : 0) && Object.is(y[4], name === 'cos' ? 1 : -0), `${name}(±0): ${y[3]}, ${y[4]}`);
      assert.ok(ulps(y[5]!, ref(xs[5]!)) <= 1 && ulps(y[6]!, ref(xs[6]!)) <= 1, `${name} at 3.4e38, -1e30: ${y[5]}, ${y[6]}`);
      for (const n of [1, 3, 5]) {
        const v = Float32Array.from({ length: n }, (_, i) => 6.2831855 + i);
        const got = await valuesOf(f, v);
        v.forEach((x, i) => assert.ok(ulps(got[i]!, ref(x)) <= 1, `${name}(${x}) of ${n} = ${got[i]}`));
      }
      assert.equal((await f(np.zeros([0, 3])).data()).length, 0);
    }
  });

if (!gpu)
  test('sin, cos, tan under jit, grad and vmap: the same accurate values', async () => {
    const xs = nearHalfPiMultiples([1, 2, 3, 4, 1000, -77, 40_001]);
    const x = np.array(xs);
    const sinPlusCosOfTwiceHalf = (v: np.NdArray) => np.add(np.sin(np.mul(v, 1)), np.mul(np.cos(v), 0));
    const check = (label: string, got: ArrayLike<number>, ref: (x: number) => number) =>
      xs.forEach((v, i) => assert.ok(ulps(got[i]!, ref(v)) <= 1, `${label}(${v}) = ${got[i]}, float64 ${ref(v)}`));
    check('jit sin chain', (await jit(sinPlusCosOfTwiceHalf)(x).data()) as Float32Array, Math.sin);
    check('jit tan', (await jit((v: np.NdArray) => np.tan(v))(x).data()) as Float32Array, Math.tan);
    check('grad sin = cos', (await grad((v: np.NdArray) => np.sum(np.sin(v)))(x).data()) as Float32Array, Math.cos);
    check('grad cos = -sin', (await grad((v: np.NdArray) => np.sum(np.cos(v)))(x).data()) as Float32Array, (v) => -Math.sin(v));
    const tanGrad = (v: number) => 1 + Math.fround(Math.tan(v)) ** 2;
    const gotTan = (await grad((v: np.NdArray) => np.sum(np.tan(v)))(x).data()) as Float32Array;
    xs.forEach((v, i) => assert.ok(ulps(gotTan[i]!, tanGrad(v)) <= 2, `grad tan(${v}) = ${gotTan[i]}, 1 + tan^2 ${tanGrad(v)}`));
    const batched = (await vmap((v: np.NdArray) => np.sin(v))(np.reshape(x, [7, 5])).data()) as Float32Array;
    check('vmap sin', batched, Math.sin);
  });

// ---------- composites ----------

const NEAR_ONE: [string, Float32Array][] = [
  ['every exponent below 1, both signs', exponentSweep(256).filter((v) => Math.abs(v) < 1)],
  ['0.5..1 (every 97th float32)', denseRange(0.5, 1, 97)],
  ['-0.5..-1 (every 97th float32)', denseRange(-0.5, -1, 97)],
  ['the last 20000 float32 below 1', denseRange(1 - 20_000 * 2 ** -24, 1, 1)],
  ['the last 20000 float32 above -1', denseRange(-1 + 20_000 * 2 ** -24, -1, 1)],
];
/** name, function, reference, sets, bound (cpu and wasm; webgpu, where exp and log are WGSL's). */
const COMPOSITES: [string, Fn, (x: number) => number, [string, Float32Array][], number, number][] = [
  ['arctanh', np.arctanh, Math.atanh, NEAR_ONE, 2, 8],
  ['arcsin', np.arcsin, Math.asin, NEAR_ONE, 2.5, 8],
  ['cbrt', np.cbrt, Math.cbrt, [['every exponent, both signs', exponentSweep(128)]], 1, 4],
  ['sinh', np.sinh, Math.sinh, [['to the overflow, 80..89.42', denseRange(80, 89.41, 97)], ['-80..-89.42', denseRange(-80, -89.41, 97)]], 2, 256],
  ['cosh', np.cosh, Math.cosh, [['to the overflow, 80..89.42', denseRange(80, 89.41, 97)], ['-80..-89.42', denseRange(-80, -89.41, 97)]], 2, 256],
  ['arccosh', np.arccosh, Math.acosh, [['every exponent, both signs (NaN below 1)', exponentSweep(64).filter((v) => Math.abs(v) < 1e18)]], 3, 8],
];
for (const [name, f, ref, sets, bound, gpuBound] of COMPOSITES)
  for (const [what, all] of sets) {
    const xs = gpu ? all.filter((v) => !(Math.abs(v) < 2 ** -122)) : all; // (and not 0: tfjs webgpu pow(0, 1/3) is 1.2e-13)
    test(`${name}: within ${gpu ? gpuBound : bound} ulp of float64 over ${what} (${xs.length} values)`, async () => {
      const w = worstUlps(xs, await valuesOf(f, xs), ref);
      assert.ok(w.ulps <= (gpu ? gpuBound : bound), `${name}(${w.x}) = ${w.got}, float64 ${w.want}: ${w.ulps.toFixed(1)} ulp`);
    });
  }

test('arctanh, arcsin, cbrt, sinh, cosh, arccosh: gradients and edge values', async () => {
  const at = (f: Fn, xs: number[]) => grad((v: np.NdArray) => np.sum(f(v)))(np.array(xs)).data();
  const close = (got: ArrayLike<number>, want: number[], label: string) =>
    want.forEach((w, i) => assert.ok(Math.abs(got[i]! - w) <= 1e-5 * Math.abs(w) + 1e-7, `${label}: ${got[i]} for ${w}`));
  const xs = [0.3, -0.7, 0.999, -0.9999];
  close(await at(np.arctanh, xs), xs.map((v) => 1 / ((1 - Math.fround(v)) * (1 + Math.fround(v)))), 'd arctanh');
  close(await at(np.arcsin, xs), xs.map((v) => 1 / Math.sqrt((1 - Math.fround(v)) * (1 + Math.fround(v)))), 'd arcsin');
  close(await at(np.cbrt, [8, -0.001, 1e30]), [1 / 12, 1 / (3 * 0.01), 1 / (3 * 1e20)], 'd cbrt');
  close(await at(np.sinh, [1, -2, 89]), [Math.cosh(1), Math.cosh(2), Math.cosh(89)], 'd sinh');
  close(await at(np.cosh, [1, -2, 89]), [Math.sinh(1), Math.sinh(-2), Math.sinh(89)], 'd cosh');
  close(await jit(grad((v: np.NdArray) => np.sum(np.sinh(v))))(np.array([89.4, -89])).data(), [Math.cosh(89.4), Math.cosh(89)], 'jit d sinh');
  const edges = await np.arctanh(np.array([1, -1, 0, -0, 1.5, NaN])).data();
  assert.equal([...edges].map(String), ['Infinity', '-Infinity', '0', '0', 'NaN', 'NaN']);
  assert.ok(Object.is(edges[3], -0), 'arctanh(-0) = -0');
  // (webgpu: tfjs's pow(0, 1/3) is 1.2e-13 there, before and after the Newton step.)
  const small = await np.cbrt(np.array(gpu ? [Infinity, -Infinity, NaN] : [0, -0, Infinity, -Infinity, NaN])).data();
  assert.equal([...small].map(String), [...(gpu ? [] : ['0', '0']), 'Infinity', '-Infinity', 'NaN']);
  assert.ok(Number.isNaN((await np.arccosh(np.array([-2925.7])).data())[0]!), 'arccosh below -1 is NaN');
});

test.run();
