/**
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) convolution on tfjs wasm
 * (lib/backend/wasm-winograd.ts): the forward pass, the input gradient and the filter
 * gradient against float64 references, with the float32 error bounded by γ_k · S, where
 * S is the Winograd formula evaluated on absolute values
 * (|A^T| Σ_c (|G||g||G^T|) ∘ (|B^T||d||B|) |A|) and k counts the roundings one computed
 * term of the sum can carry: c from the channel sum, and for each transform twice its
 * rows' most (lib/backend/winograd-schemes.ts's roundingsPerTerm: one per addition, two
 * more for a coefficient that is not a power of two). For F(2x2) (coefficients 0, ±1, ±½)
 * that is c + 2 + 4 + 4; for F(4x4) c + 8 + 8 + 8. The filter gradient
 * (lib/backend/wasm-winograd-filter-grad.ts) likewise: G^T [Σ over the T tiles of
 * (A dy A^T) ∘ (B^T d B)] G, bounded by γ_k · S with S that formula on absolute values
 * and k = T + the three transforms' roundings.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { grad, np } from '../../lib/index.js';
import { winogradConvIfFaster, winogradConvWasm, winogradInputGradIfFaster, winogradInputGradWasm, winogradTileFor } from '../../lib/backend/wasm-winograd.js';
import { winogradFilterGradIfFaster, winogradFilterGradWasm } from '../../lib/backend/wasm-winograd-filter-grad.js';
import { F2x2, F4x4, type WinogradScheme, roundingsPerTerm, transposed } from '../../lib/backend/winograd-schemes.js';
import { useTestBackend } from '../helpers/backend.js';
import { mulberry32 } from '../helpers/rng.js';

const backend = await useTestBackend();
const test = suite(`wasm Winograd convolution [${backend}]`);

type Pad = readonly [readonly [number, number], readonly [number, number]];
interface Arr {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

function randomArr(shape: number[], rng: () => number): Arr {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < data.length; i++) data[i] = rng() * 2 - 1;
  return { shape, data };
}

/**
 * The direct 3x3 stride-1 convolution in float64 (NHWC, HWIO) of the zero-padded input
 * (padding zeros are multiplied too: 0 * NaN = NaN, as in our kernels), then + bias and
 * ReLU if given.
 */
function conv64(x: Arr, w: Arr, [[pt, pb], [pl, pr]]: Pad, bias?: Float32Array, relu = false): { shape: number[]; data: Float64Array } {
  const [n, h, wd, c] = x.shape as number[];
  const o = w.shape[3]!;
  const ho = h! + pt + pb - 2;
  const wo = wd! + pl + pr - 2;
  const y = new Float64Array(n! * ho * wo * o);
  for (let b = 0; b < n!; b++)
    for (let r = 0; r < ho; r++)
      for (let q = 0; q < wo; q++)
        for (let oc = 0; oc < o; oc++) {
          let s = bias ? bias[oc]! : 0;
          for (let i = 0; i < 3; i++) {
            const xr = r + i - pt;
            for (let j = 0; j < 3; j++) {
              const xc = q + j - pl;
              const inside = xr >= 0 && xr < h! && xc >= 0 && xc < wd!;
              for (let ic = 0; ic < c!; ic++) s += (inside ? x.data[((b * h! + xr) * wd! + xc) * c! + ic]! : 0) * w.data[((i * 3 + j) * c! + ic) * o + oc]!;
            }
          }
          y[((b * ho + r) * wo + q) * o + oc] = relu ? Math.max(0, s) : s;
        }
  return { shape: [n!, ho, wo, o], data: y };
}

/** dx of the same convolution in float64: dx[n, h, w, c] = sum of dy[n, h + pt - i, w + pl - j, o] * w[i, j, c, o]. */
function inputGrad64(dy: Arr, w: Arr, [[pt], [pl]]: Pad, xShape: number[]): Float64Array {
  const [n, h, wd, c] = xShape as [number, number, number, number];
  const [, ho, wo, o] = dy.shape as number[];
  const dx = new Float64Array(n * h * wd * c);
  for (let b = 0; b < n; b++)
    for (let r = 0; r < h; r++)
      for (let q = 0; q < wd; q++)
        for (let ic = 0; ic < c; ic++) {
          let s = 0;
          for (let i = 0; i < 3; i++) {
            const yr = r + pt - i;
            if (yr < 0 || yr >= ho!) continue;
            for (let j = 0; j < 3; j++) {
              const yc = q + pl - j;
              if (yc < 0 || yc >= wo!) continue;
              for (let oc = 0; oc < o!; oc++) s += dy.data[((b * ho! + yr) * wo! + yc) * o! + oc]! * w.data[((i * 3 + j) * c + ic) * o! + oc]!;
            }
          }
          dx[((b * h + r) * wd + q) * c + ic] = s;
        }
  return dx;
}

/** Products of small dense matrices given as rows. */
const mm = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]) => a.map((row) => b[0]!.map((_, j) => row.reduce((s, v, k) => s + v * b[k]![j]!, 0)));
const T = transposed;
const abs = (a: readonly (readonly number[])[]) => a.map((row) => row.map(Math.abs));
const range = (k: number) => Array.from({ length: k }, (_, i) => i);

type Tile = 2 | 4;
const SCHEMES: Record<Tile, WinogradScheme> = { 2: F2x2, 4: F4x4 };

/** k of the forward's bound: c roundings from the channel sum, and each transform's (both sides). */
const forwardRoundings = (c: number, s: WinogradScheme) => c + 2 * (roundingsPerTerm(s.BT) + roundingsPerTerm(s.G) + roundingsPerTerm(s.AT));
/** k of the filter gradient's bound, T tiles. */
const filterGradRoundings = (tiles: number, s: WinogradScheme) => tiles + 2 * (roundingsPerTerm(s.BT) + roundingsPerTerm(T(s.AT)) + roundingsPerTerm(T(s.G)));

/** S: the Winograd formula on absolute values, for every output (the scale of the error bound). */
function winogradAbsScale(x: Arr, w: Arr, [[pt, pb], [pl, pr]]: Pad, scheme: WinogradScheme): Float64Array {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const { m, alpha } = scheme;
  const [BT, G, AT] = [abs(scheme.BT), abs(scheme.G), abs(scheme.AT)];
  const o = w.shape[3]!;
  const ho = h + pt + pb - 2;
  const wo = wd + pl + pr - 2;
  const u: number[][][][] = []; // [c][o] -> α x α
  for (let ic = 0; ic < c; ic++) {
    u.push([]);
    for (let oc = 0; oc < o; oc++) {
      const g = [0, 1, 2].map((i) => [0, 1, 2].map((j) => Math.abs(w.data[((i * 3 + j) * c + ic) * o + oc]!)));
      u[ic]!.push(mm(mm(G, g), T(G)));
    }
  }
  const xAt = (b: number, r: number, q: number, ic: number) => (r < 0 || r >= h || q < 0 || q >= wd ? 0 : Math.abs(x.data[((b * h + r) * wd + q) * c + ic]!));
  const s = new Float64Array(n * ho * wo * o);
  for (let b = 0; b < n; b++)
    for (let tr = 0; tr < ho; tr += m)
      for (let tc = 0; tc < wo; tc += m) {
        const v = Array.from({ length: c }, (_, ic) => mm(mm(BT, range(alpha).map((i) => range(alpha).map((j) => xAt(b, tr + i - pt, tc + j - pl, ic)))), T(BT)));
        for (let oc = 0; oc < o; oc++) {
          const mt = range(alpha).map((i) => range(alpha).map((j) => v.reduce((acc, vc, ic) => acc + u[ic]![oc]![i]![j]! * vc[i]![j]!, 0)));
          const y = mm(mm(AT, mt), T(AT));
          for (let i = 0; i < m && tr + i < ho; i++) for (let j = 0; j < m && tc + j < wo; j++) s[((b * ho + tr + i) * wo + tc + j) * o + oc] = y[i]![j]!;
        }
      }
  return s;
}

/** dw of the same convolution in float64: dw[i, j, c, o] = sum over n, r, q of x_pad[n, r + i, q + j, c] * dy[n, r, q, o]. */
function filterGrad64(x: Arr, dy: Arr, [[pt], [pl]]: Pad): Float64Array {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [, ho, wo, o] = dy.shape as [number, number, number, number];
  const dw = new Float64Array(9 * c * o);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++)
      for (let b = 0; b < n; b++)
        for (let r = 0; r < ho; r++)
          for (let q = 0; q < wo; q++) {
            const [xr, xc] = [r + i - pt, q + j - pl];
            if (xr < 0 || xr >= h || xc < 0 || xc >= wd) continue;
            for (let ic = 0; ic < c; ic++) {
              const xv = x.data[((b * h + xr) * wd + xc) * c + ic]!;
              for (let oc = 0; oc < o; oc++) dw[((i * 3 + j) * c + ic) * o + oc] += xv * dy.data[((b * ho + r) * wo + q) * o + oc]!;
            }
          }
  return dw;
}

/** The filter gradient's scale: |G^T| Σ over tiles of (|A||dy||A^T|) ∘ (|B^T||d||B|) |G|, and the number of tiles. */
function filterGradAbsScale(x: Arr, dy: Arr, [[pt], [pl]]: Pad, scheme: WinogradScheme): { scale: Float64Array; tiles: number } {
  const [n, h, wd, c] = x.shape as [number, number, number, number];
  const [, ho, wo, o] = dy.shape as [number, number, number, number];
  const { m, alpha } = scheme;
  const [BT, G, AT] = [abs(scheme.BT), abs(scheme.G), abs(scheme.AT)];
  const A = T(AT); // |A|, α x m
  const xAt = (b: number, r: number, q: number, ic: number) => (r < 0 || r >= h || q < 0 || q >= wd ? 0 : Math.abs(x.data[((b * h + r) * wd + q) * c + ic]!));
  const dyAt = (b: number, r: number, q: number, oc: number) => (r >= ho || q >= wo ? 0 : Math.abs(dy.data[((b * ho + r) * wo + q) * o + oc]!));
  const planes = alpha * alpha;
  const w = new Float64Array(planes * c * o);
  let tiles = 0;
  for (let b = 0; b < n; b++)
    for (let tr = 0; tr < ho; tr += m)
      for (let tc = 0; tc < wo; tc += m) {
        tiles++;
        const v = Array.from({ length: c }, (_, ic) => mm(mm(BT, range(alpha).map((i) => range(alpha).map((j) => xAt(b, tr + i - pt, tc + j - pl, ic)))), T(BT)));
        const g = Array.from({ length: o }, (_, oc) => mm(mm(A, range(m).map((i) => range(m).map((j) => dyAt(b, tr + i, tc + j, oc)))), AT));
        for (let ic = 0; ic < c; ic++) for (let oc = 0; oc < o; oc++) for (let k = 0; k < planes; k++) w[(ic * o + oc) * planes + k] += v[ic]![Math.floor(k / alpha)]![k % alpha]! * g[oc]![Math.floor(k / alpha)]![k % alpha]!;
      }
  const scale = new Float64Array(9 * c * o);
  for (let ic = 0; ic < c; ic++)
    for (let oc = 0; oc < o; oc++) {
      const wm = range(alpha).map((i) => range(alpha).map((j) => w[(ic * o + oc) * planes + i * alpha + j]!));
      const s = mm(mm(T(G), wm), G);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) scale[((i * 3 + j) * c + ic) * o + oc] = s[i]![j]!;
    }
  return { scale, tiles };
}

function checkFilterGrad(x: Arr, dy: Arr, pad: Pad, tile: Tile, what: string, gated = false): void {
  const got = run(x, dy, (xt, dyt) => (gated ? winogradFilterGradIfFaster(xt, dyt, [3, 3, x.shape[3]!, dy.shape[3]!], [1, 1], pad) : winogradFilterGradWasm(xt, dyt, pad, tile)));
  const { scale, tiles } = filterGradAbsScale(x, dy, pad, SCHEMES[tile]);
  assertBounded(got, filterGrad64(x, dy, pad), scale, filterGradRoundings(tiles, SCHEMES[tile]), `${what} F(${tile}x${tile}) filter gradient`);
}

/** The transposed filter of the input gradient (flipped, channel axes swapped), as the scale's filter. */
function flipSwap(w: Arr): Arr {
  const [, , c, o] = w.shape as number[];
  const data = new Float32Array(w.data.length);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let ic = 0; ic < c!; ic++) for (let oc = 0; oc < o!; oc++) data[((i * 3 + j) * o! + oc) * c! + ic] = w.data[(((2 - i) * 3 + (2 - j)) * c! + ic) * o! + oc]!;
  return { shape: [3, 3, o!, c!], data };
}

/** Asserts |got - want| <= γ_k · scale everywhere, naming the worst element. */
function assertBounded(got: Float32Array, want: Float64Array, scale: Float64Array, k: number, what: string): void {
  assert.is(got.length, want.length, `${what}: size`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < got.length; i++) {
    const excess = Math.abs(got[i]! - want[i]!) / (gamma(k) * scale[i]! + Number.MIN_VALUE);
    if (!(excess <= worst)) [worst, at] = [excess, i];
  }
  assert.ok(worst <= 1, `${what}: element ${at} is ${got[at]}, float64 gives ${want[at]}: ${worst.toFixed(2)}x the bound γ_${k} · ${scale[at]}`);
}

const tensor = (a: Arr) => tf.tensor4d(a.data, a.shape as [number, number, number, number]);

/** Runs f on fresh tensors of x and w, returns its float32 result, and checks that nothing leaked. */
function run(x: Arr, w: Arr, f: (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor | null): Float32Array {
  const before = tf.memory().numTensors;
  const [xt, wt] = [tensor(x), tensor(w)];
  const y = f(xt, wt);
  assert.ok(y, 'Winograd did not run');
  const out = y!.dataSync() as Float32Array;
  [xt, wt, y!].forEach((t) => t.dispose());
  assert.is(tf.memory().numTensors, before, 'tensors leaked');
  return out;
}

function checkForward(x: Arr, w: Arr, pad: Pad, tile: Tile, what: string, bias?: Float32Array, relu = false): void {
  const got = run(x, w, (xt, wt) => tf.tidy(() => winogradConvWasm(xt, wt, { padding: pad, relu, tile }, bias && tf.tensor1d(bias))));
  const ref = conv64(x, w, pad, bias, relu);
  const scale = winogradAbsScale(x, w, pad, SCHEMES[tile]);
  if (bias) scale.forEach((v, i) => (scale[i] = v + Math.abs(bias[i % w.shape[3]!]!)));
  assertBounded(got, ref.data, scale, forwardRoundings(x.shape[3]!, SCHEMES[tile]) + (bias ? 1 : 0), `${what} F(${tile}x${tile}) forward`);
}

function checkInputGrad(dy: Arr, w: Arr, pad: Pad, xShape: number[], tile: Tile, what: string, gated = false): void {
  const got = run(dy, w, (dyt, wt) => (gated ? winogradInputGradIfFaster(dyt, wt, [1, 1], pad) : winogradInputGradWasm(dyt, wt, pad, tile)));
  const dxPad: Pad = [[2 - pad[0][0], 2 - pad[0][1]], [2 - pad[1][0], 2 - pad[1][1]]];
  assertBounded(got, inputGrad64(dy, w, pad, xShape), winogradAbsScale(dy, flipSwap(w), dxPad, SCHEMES[tile]), forwardRoundings(dy.shape[3]!, SCHEMES[tile]), `${what} F(${tile}x${tile}) input gradient`);
}

test('the tile: F(4x4) where it needs fewer multiplies (partial tiles counted whole), F(2x2) on a tie (5x5, 6x6) and below 3x3', () => {
  const cases: [number, number, Tile][] = [[1, 1, 2], [2, 2, 2], [2, 8, 2], [3, 3, 4], [4, 4, 4], [5, 5, 2], [6, 6, 2], [7, 7, 4], [8, 8, 4], [16, 16, 4], [32, 32, 4], [6, 8, 4], [10, 10, 4]];
  for (const [ho, wo, tile] of cases) assert.is(winogradTileFor(ho, wo), tile, `${ho}x${wo}`);
});

if (backend !== 'wasm') {
  test('routes nothing off the wasm backend', () => {
    const x = tf.zeros([1, 8, 8, 64]) as tf.Tensor4D;
    const w = tf.zeros([3, 3, 64, 64]) as tf.Tensor4D;
    assert.is(winogradConvIfFaster(x, w, [1, 1], [[1, 1], [1, 1]]), null);
    assert.is(winogradInputGradIfFaster(x, w, [1, 1], [[1, 1], [1, 1]]), null);
    tf.dispose([x, w]);
  });
} else {
  // ResNet-18's 3x3 stride-1 layers (low-resolution stem: 32, 16, 8, 4 pixels at 64, 128,
  // 256, 512 channels, "same" padding), the spatial size and batch scaled down where the
  // float64 reference would be slow, every channel count kept. The stem (3 -> 64) is not
  // Winograd's (input channels must be a multiple of 4).
  const RESNET: [number, number, number][] = [
    [2, 8, 64],
    [1, 8, 128],
    [1, 8, 256],
    [1, 4, 512],
  ];
  test("ResNet-18's 3x3 stride-1 layers: forward, input and filter gradients within the float32 bound, routed and with each tile", () => {
    const rng = mulberry32(1);
    for (const [n, s, c] of RESNET) {
      const x = randomArr([n, s, s, c], rng);
      const w = randomArr([3, 3, c, c], rng);
      const same: Pad = [[1, 1], [1, 1]];
      const routed = winogradTileFor(s, s);
      const what = `[${n},${s},${s},${c}] x ${c}`;
      const got = run(x, w, (xt, wt) => winogradConvIfFaster(xt, wt, [1, 1], same));
      assertBounded(got, conv64(x, w, same).data, winogradAbsScale(x, w, same, SCHEMES[routed]), forwardRoundings(c, SCHEMES[routed]), `${what} routed F(${routed}x${routed}) forward`);
      checkForward(x, w, same, routed === 4 ? 2 : 4, what);
      const dy = randomArr([n, s, s, c], rng);
      checkInputGrad(dy, w, same, [n, s, s, c], routed, what, true);
      // The filter gradient is routed at every layer (F(4x4) at 8x8 and 4x4: at 512 channels F(2x2) only ties with the direct kernel).
      checkFilterGrad(x, dy, same, routed, what, true);
    }
  });

  test('np.conv2d and its gradient run Winograd on a routed 3x3 stride-1 layer (the same bits)', () => {
    const rng = mulberry32(2);
    const x = randomArr([2, 6, 6, 64], rng);
    const w = randomArr([3, 3, 64, 64], rng);
    const [xt, wt] = [tensor(x), tensor(w)];
    const pad: Pad = [[1, 1], [1, 1]];
    const viaNp = np.conv2d(xt, wt, { padding: 1 }) as tf.Tensor;
    const direct = winogradConvWasm(xt, wt, { padding: pad });
    assert.equal(Array.from(viaNp.dataSync()), Array.from(direct.dataSync()));
    const dx = grad((a: tf.Tensor) => np.sum(np.mul(np.conv2d(a, wt, { padding: 1 }), viaNp)))(xt) as tf.Tensor;
    const dxW = winogradInputGradWasm(viaNp as tf.Tensor4D, wt, pad);
    assert.equal(Array.from(dx.dataSync()), Array.from(dxW.dataSync()));
    tf.dispose([xt, wt, viaNp, direct, dx, dxW]);
  });

  const shapeArb = fc.record({
    n: fc.integer({ min: 1, max: 3 }),
    h: fc.integer({ min: 1, max: 11 }),
    w: fc.integer({ min: 1, max: 11 }),
    c: fc.constantFrom(4, 8, 12, 16),
    o: fc.constantFrom(4, 8, 12, 20),
    pad: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    epilogue: fc.constantFrom('none', 'bias', 'bias+relu'),
    tile: fc.constantFrom<Tile>(2, 4),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }).filter(({ h, w, pad: [t, b, l, r] }) => h + t + b >= 3 && w + l + r >= 3);

  test('property: random shapes, paddings 0-2, odd and even sizes, bias and ReLU: forward within the bound', () => {
    fc.assert(
      fc.property(shapeArb, ({ n, h, w, c, o, pad: [t, b, l, r], epilogue, tile, seed }) => {
        const rng = mulberry32(seed);
        const bias = epilogue === 'none' ? undefined : randomArr([o], rng).data;
        checkForward(randomArr([n, h, w, c], rng), randomArr([3, 3, c, o], rng), [[t, b], [l, r]], tile, `n ${n}, ${h}x${w}, ${c} -> ${o}, padding ${[t, b, l, r]}, ${epilogue}`, bias, epilogue === 'bias+relu');
      }),
      { numRuns: 40 },
    );
  });

  test('property: random shapes and paddings 0-2: input gradient within the bound', () => {
    fc.assert(
      fc.property(shapeArb, ({ n, h, w, c, o, pad: [t, b, l, r], tile, seed }) => {
        const rng = mulberry32(seed);
        const dy = randomArr([n, h + t + b - 2, w + l + r - 2, o], rng);
        checkInputGrad(dy, randomArr([3, 3, c, o], rng), [[t, b], [l, r]], [n, h, w, c], tile, `n ${n}, ${h}x${w}, ${c} -> ${o}, padding ${[t, b, l, r]}`);
      }),
      { numRuns: 30 },
    );
  });

  test('property: random shapes and paddings 0-2: filter gradient within the bound', () => {
    fc.assert(
      fc.property(shapeArb, ({ n, h, w, c, o, pad: [t, b, l, r], tile, seed }) => {
        const rng = mulberry32(seed);
        const dy = randomArr([n, h + t + b - 2, w + l + r - 2, o], rng);
        checkFilterGrad(randomArr([n, h, w, c], rng), dy, [[t, b], [l, r]], tile, `n ${n}, ${h}x${w}, ${c} -> ${o}, padding ${[t, b, l, r]}`);
      }),
      { numRuns: 30 },
    );
  });

  test('NaN and infinities: non-finite wherever the float64 direct sum is (NaN where it is NaN); elsewhere only within a non-finite input\'s F(4x4) tile', () => {
    // F(2x2): exactly where the direct sum is non-finite (V's rows and columns 0-2 read d's
    // 0-2 only, and 1-3 only 1-3). F(4x4): its transforms mix the 6x6 window, so other
    // outputs of a tile whose window holds a non-finite input may be NaN, never another tile's.
    // An infinite input may meet its negation in the output transform (NaN where the direct sum gives ±inf).
    fc.assert(
      fc.property(shapeArb, fc.array(fc.tuple(fc.nat(), fc.constantFrom(NaN, Infinity, -Infinity), fc.boolean()), { minLength: 1, maxLength: 3 }), ({ n, h, w, c, o, pad: [t, b, l, r], tile, seed }, specials) => {
        const rng = mulberry32(seed);
        const x = randomArr([n, h, w, c], rng);
        const wt = randomArr([3, 3, c, o], rng);
        for (const [at, v, inFilter] of specials) (inFilter ? wt : x).data[at % (inFilter ? wt : x).data.length] = v;
        const pad: Pad = [[t, b], [l, r]];
        const got = run(x, wt, (xt, wtt) => winogradConvWasm(xt, wtt, { padding: pad, tile }));
        const ref = conv64(x, wt, pad).data;
        const [ho, wo] = [h + t + b - 2, w + l + r - 2];
        /** Whether the tile of output (img, row, col) reads a non-finite input in its (tile + 2)² window. */
        const windowNonFinite = (img: number, row: number, col: number) => {
          const [r0, c0] = [row - (row % tile) - t, col - (col % tile) - l];
          for (let i = Math.max(0, r0); i < Math.min(h, r0 + tile + 2); i++) for (let j = Math.max(0, c0); j < Math.min(w, c0 + tile + 2); j++) for (let ch = 0; ch < c; ch++) if (!Number.isFinite(x.data[((img * h + i) * w + j) * c + ch]!)) return true;
          return false;
        };
        for (let i = 0; i < ref.length; i++) {
          if (Number.isNaN(ref[i]!)) assert.ok(Number.isNaN(got[i]!), `element ${i}: ${got[i]} where float64 gives NaN`);
          else if (!Number.isFinite(ref[i]!)) assert.not.ok(Number.isFinite(got[i]!), `element ${i}: ${got[i]} where float64 gives ${ref[i]}`);
          else if (!Number.isFinite(got[i]!)) {
            const q = Math.floor(i / o);
            const [img, row, col] = [Math.floor(q / (ho * wo)), Math.floor(q / wo) % ho, q % wo];
            assert.ok(tile === 4 && windowNonFinite(img, row, col), `element ${i}: ${got[i]} where float64 gives ${ref[i]} (F(${tile}x${tile}))`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  test('bad input: one-line errors naming the shapes', () => {
    const x = tf.zeros([1, 6, 6, 8]) as tf.Tensor4D;
    const w5 = tf.zeros([5, 5, 8, 8]) as tf.Tensor4D;
    const w3 = tf.zeros([3, 3, 8, 8]) as tf.Tensor4D;
    assert.throws(() => winogradConvWasm(x, w5, { padding: [[1, 1], [1, 1]] }), /winogradConvWasm: input \[1,6,6,8\] and filter \[5,5,8,8\].*not a 3x3 convolution/);
    assert.throws(() => winogradConvWasm(x, w3, { padding: [[-1, 1], [1, 1]] }), /padding >= 0/);
    assert.is(winogradConvIfFaster(x, w3, [2, 2], [[1, 1], [1, 1]]), null, 'stride 2 is not Winograd');
    assert.throws(() => winogradFilterGradWasm(x, x, [[0, 0], [0, 0]]), /winogradFilterGradWasm: x \[1,6,6,8\] with padding \[0,0,0,0\] and dy \[1,6,6,8\] are not a 3x3 stride-1 convolution's/);
    tf.dispose([x, w5, w3]);
  });
}

test.run();
