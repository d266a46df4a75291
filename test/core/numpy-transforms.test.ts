/**
 * issue 16's differentiable jax.numpy functions under the transformations, as property
 * tests on random inputs (fast-check seeds a host generator): for f(x...) and a random
 * cotangent R, the scalar s = sum(f(x...) R)
 *
 *  - grad against a central finite difference along a random direction u, fourth order,
 *    (8(s(h)-s(-h)) - (s(2h)-s(-2h))) / 12h, evaluated in float32 with h = 1e-2: truncation
 *    ~h^4 f^(5), roundoff ~eps |s| / h ~ 1e-5 |s|, so 1e-2 relative + 1e-2 absolute only
 *    absorbs float32 evaluation, while a wrong rule is off by O(1);
 *  - JVP against VJP: <R, J u> from `jvp` = <J^T R, u> from `vjp` (float32 rounding only);
 *  - `vmap(f)` over a stacked batch of 2 against f on each slice;
 *  - `jit(f)` against f.
 * Inputs stay away from each function's kinks (sort ties, fmax ties, cbrt at 0, ...), where
 * a finite difference does not measure a derivative.
 */
import { suite } from 'uvu';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, grad, jit, jvp, np, vjp, vmap } from '../../lib/index.js';
import { allClose } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';
import { mulberry32 } from '../helpers/rng.js';

const backend = await useCoreTestBackend();
fc.configureGlobal({ includeErrorInReport: true });
/** webgpu (SwiftShader in CI) compiles shaders for every new kernel shape: one case there. */
const RUNS = backend === 'webgpu' ? 1 : 4;
const SHAPE = [3, 4];
const N = 12;

type Rng = () => number;
function rngOf(seed: number): Rng {
  return mulberry32(seed);
}
const uniform = (lo: number, hi: number) => (r: Rng) => Array.from({ length: N }, () => lo + (hi - lo) * r());
/** |x| in [lo, hi] with a random sign: away from 0. */
const awayFromZero = (lo: number, hi: number) => (r: Rng) => uniform(lo, hi)(r).map((v) => (r() < 0.5 ? -v : v));
/** Distinct values at least 0.2 apart (no ties for sort and topK, even after a step of 2h). */
const distinct = (r: Rng) => {
  const order = Array.from({ length: N }, (_, i) => i).sort(() => r() - 0.5);
  return order.map((k) => 0.3 * k - 1.5 + 0.05 * r());
};

interface Spec {
  name: string;
  /** One generator per argument (each of shape SHAPE); `second` makes argument 1 from argument 0 (kept apart). */
  args: ((r: Rng) => number[])[];
  f: (...xs: NdArray[]) => NdArray;
  second?: (x: number[], r: Rng) => number[];
}

const apart = (x: number[], r: Rng) => x.map((v) => v + (r() < 0.5 ? -1 : 1) * (0.2 + 0.8 * r()));
const SPECS: Spec[] = [
  { name: 'tan', args: [uniform(-1.2, 1.2)], f: np.tan },
  { name: 'arcsin', args: [uniform(-0.9, 0.9)], f: np.arcsin },
  { name: 'arccos', args: [uniform(-0.9, 0.9)], f: np.arccos },
  { name: 'arctan', args: [uniform(-3, 3)], f: np.arctan },
  { name: 'arctan2', args: [awayFromZero(0.3, 2), awayFromZero(0.3, 2)], f: (y, x) => np.arctan2(y, x) },
  { name: 'sinh', args: [uniform(-2, 2)], f: np.sinh },
  { name: 'cosh', args: [uniform(-2, 2)], f: np.cosh },
  { name: 'arcsinh', args: [uniform(-3, 3)], f: np.arcsinh },
  { name: 'arccosh', args: [uniform(1.2, 4)], f: np.arccosh },
  { name: 'arctanh', args: [uniform(-0.8, 0.8)], f: np.arctanh },
  { name: 'log2', args: [uniform(0.2, 3)], f: np.log2 },
  { name: 'log10', args: [uniform(0.2, 3)], f: np.log10 },
  { name: 'exp2', args: [uniform(-2, 2)], f: np.exp2 },
  { name: 'cbrt', args: [awayFromZero(0.2, 2)], f: np.cbrt },
  { name: 'logaddexp', args: [uniform(-3, 3), uniform(-3, 3)], f: (x, y) => np.logaddexp(x, y) },
  { name: 'copysign', args: [awayFromZero(0.1, 2), awayFromZero(0.1, 1)], f: (x, y) => np.copysign(x, y) },
  { name: 'fmax', args: [uniform(-2, 2)], second: apart, f: (x, y) => np.fmax(x, y) },
  { name: 'fmin', args: [uniform(-2, 2)], second: apart, f: (x, y) => np.fmin(x, y) },
  { name: 'clip with array bounds', args: [uniform(-2, 2)], second: apart, f: (x, lo) => np.clip(x, lo, np.add(lo, 0.1)) },
  { name: 'prod axis 1', args: [uniform(-2, 2)], f: (x) => np.prod(x, 1, true) },
  { name: 'prod all', args: [uniform(0.5, 1.5)], f: (x) => np.prod(x) },
  { name: 'cumsum axis 1', args: [uniform(-2, 2)], f: (x) => np.cumsum(x, 1) },
  { name: 'cumprod axis 0', args: [uniform(-2, 2)], f: (x) => np.cumprod(x, 0) },
  { name: 'std axis 0, ddof 1', args: [uniform(-2, 2)], f: (x) => np.std(x, 0, false, 1) },
  { name: 'average with weights', args: [uniform(-2, 2), uniform(0.5, 2)], f: (x, w) => np.average(x, 1, w) },
  { name: 'nanmean, nanvar', args: [uniform(-2, 2)], f: (x) => np.add(np.nanmean(x, 1), np.nanvar(x, 1)) },
  { name: 'nansum, nanmax', args: [uniform(-2, 2), distinct], f: (x, y) => np.mul(np.nansum(x, 0), np.nanmax(y, 0)) },
  { name: 'sort axis 1', args: [distinct], f: (x) => np.sort(x, 1) },
  { name: 'topK values', args: [distinct], f: (x) => np.topK(x, 2)[0] },
  { name: 'remainder (x away from jumps)', args: [uniform(0.2, 0.7)], f: (x) => np.remainder(np.add(x, 3), 1.25) },
];

/** Arguments as host arrays for one seed. */
function draw(s: Spec, seed: number): number[][] {
  const r = rngOf(seed);
  const xs = s.args.map((g) => g(r));
  if (s.second) xs.push(s.second(xs[0]!, r));
  return xs;
}

const T = (v: number[], shape = SHAPE) => tf.tensor(v, shape);
const dotOf = async (a: tf.Tensor, b: tf.Tensor) => {
  const [x, y] = [await a.data(), await b.data()];
  return Array.from(x).reduce((acc, v, i) => acc + v * y[i]!, 0);
};

async function checkDerivatives(s: Spec, seed: number): Promise<void> {
  const xs = draw(s, seed).map((v) => T(v));
  const r = rngOf(seed ^ 0x5bd1e995);
  const out = s.f(...xs) as tf.Tensor;
  const R = tf.tensor(Array.from({ length: out.size }, () => r() - 0.5), out.shape);
  const us = xs.map(() => T(Array.from({ length: N }, () => r() - 0.5)));
  const loss = (...a: NdArray[]) => np.sum(np.mul(s.f(...a), R));
  // grad against a finite difference along u
  const g = grad(loss, { argnums: xs.map((_, i) => i) })(...xs) as tf.Tensor[];
  let gu = 0;
  for (let i = 0; i < xs.length; i++) gu += await dotOf(g[i]!, us[i]!);
  const h = 1e-2;
  const at = async (e: number) => {
    const moved = xs.map((x, i) => tf.add(x, tf.mul(us[i]!, e)));
    const v = (await (loss(...moved) as tf.Tensor).data())[0]!;
    tf.dispose(moved);
    return v;
  };
  const fd = (8 * ((await at(h)) - (await at(-h))) - ((await at(2 * h)) - (await at(-2 * h)))) / (12 * h);
  allClose(gu, fd, { rtol: 1e-2, atol: 1e-2 }, `${s.name}: grad . u against a finite difference (seed ${seed})`);
  // JVP against VJP
  const [, tOut] = jvp(s.f, xs, us) as [tf.Tensor, tf.Tensor];
  const [, back] = vjp(s.f, ...xs);
  const cts = back(R) as tf.Tensor[];
  let vjpU = 0;
  for (let i = 0; i < xs.length; i++) vjpU += await dotOf(cts[i]!, us[i]!);
  allClose(await dotOf(R, tOut), vjpU, { rtol: 1e-4, atol: 1e-4 }, `${s.name}: <R, J u> = <J^T R, u> (seed ${seed})`);
}

async function checkVmapJit(s: Spec, seed: number): Promise<void> {
  const a = draw(s, seed);
  const b = draw(s, seed + 1);
  const stacked = a.map((v, i) => tf.tensor([...v, ...b[i]!], [2, ...SHAPE]));
  const batched = vmap(s.f)(...stacked) as tf.Tensor;
  const each = [a, b].map((xs) => s.f(...xs.map((v) => T(v))) as tf.Tensor);
  allClose(Array.from(await batched.data()), [...(await each[0]!.data()), ...(await each[1]!.data())], { rtol: 1e-5, atol: 1e-5 }, `${s.name}: vmap against a loop`);
  const jitted = jit(s.f)(...a.map((v) => T(v))) as tf.Tensor;
  allClose(Array.from(await jitted.data()), Array.from(await each[0]!.data()), { rtol: 1e-5, atol: 1e-5 }, `${s.name}: jit against eager`);
}

const Derivatives = suite(`numpy functions: grad, jvp/vjp [${backend}]`);
const Batching = suite(`numpy functions: vmap, jit [${backend}]`);
for (const s of SPECS) {
  Derivatives(s.name, async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => checkDerivatives(s, seed)), { numRuns: RUNS });
  });
  Batching(s.name, async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (seed) => checkVmapJit(s, seed)), { numRuns: RUNS });
  });
}

/** Functions with integer or bool results, on int32 data (|x| < 2^24: exact on webgpu too), under vmap and jit. */
const INTEGER_VALUED: [string, (x: NdArray, y: NdArray) => NdArray][] = [
  ['argmin, argsort', (x) => np.add(np.argmin(x, 0), np.mul(np.argsort(x, 0), 10))],
  ['searchsorted', (x, y) => np.searchsorted(np.sort(np.reshape(x, [-1])), y)],
  ['any, all, countNonzero', (x, y) => np.add(np.cast(np.logicalAnd(np.any(x, 0), np.all(y, 0)), 'int32'), np.countNonzero(np.sub(x, y), 0))],
  ['floorDivide, remainder', (x, y) => np.add(np.floorDivide(x, np.add(np.abs(y), 1)), np.remainder(x, np.sub(0, np.add(np.abs(y), 1))))],
  ['cumsum, prod', (x, y) => np.add(np.cumsum(x, 1), np.prod(np.remainder(y, 3), 1, true))],
  ['bitwise', (x, y) => np.bitwiseXor(np.bitwiseOr(x, np.leftShift(y, 3)), np.bitwiseAnd(np.rightShift(x, 2), np.bitwiseNot(y)))],
];
const Integer = suite(`numpy integer-valued functions: vmap, jit [${backend}]`);
for (const [name, f] of INTEGER_VALUED) {
  Integer(name, async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 ** 31 - 1 }), async (seed) => {
        const r = rngOf(seed);
        const ints = () => Array.from({ length: 2 * N }, () => Math.floor(r() * 2001) - 1000);
        const [x, y] = [tf.tensor(ints(), [2, ...SHAPE], 'int32'), tf.tensor(ints(), [2, ...SHAPE], 'int32')];
        const slice = (i: number) => [x, y].map((t) => tf.squeeze(tf.slice(t, [i, 0, 0], [1, ...SHAPE]), [0])) as [NdArray, NdArray];
        const eager = [0, 1].map((i) => f(...slice(i)) as tf.Tensor);
        const loop = [...(await eager[0]!.data()), ...(await eager[1]!.data())];
        const batched = vmap(f)(x, y) as tf.Tensor;
        allClose(Array.from(await batched.data()), loop, { rtol: 0, atol: 0 }, `${name}: vmap against a loop`);
        const jitted = [0, 1].map((i) => jit(f)(...slice(i)) as tf.Tensor);
        allClose([...(await jitted[0]!.data()), ...(await jitted[1]!.data())], loop, { rtol: 0, atol: 0 }, `${name}: jit against eager`);
        tf.dispose([x, y, batched, ...jitted, ...eager]);
      }),
      { numRuns: RUNS },
    );
  });
}

Derivatives.run();
Batching.run();
Integer.run();
