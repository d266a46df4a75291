/**
 * Every primitive of the closed set (lib/core/primitive.ts), on random shapes and
 * parameters drawn by fast-check:
 *
 *  - impl: the tfjs kernels against a float64 reference written here on the host;
 *  - reverse mode: <J^T v, u> from `vjp` against a central finite difference of the
 *    float64 host reference, (8(s(h)-s(-h)) - (s(2h)-s(-2h))) / 12h with s(e) = <v, ref(x + e u)>
 *    and h = 1e-3 (truncation O(h^4) ~ 1e-12, roundoff ~ 1e-13: the FD is exact to float32
 *    precision, so the tolerance only has to absorb the float32 evaluation of the rules);
 *  - JVP against VJP: <v, J u> from `jvp` = <J^T v, u> from `vjp`;
 *  - `vmap(f)(xs)` against stacking f over the slices, with random in-axes (some arguments
 *    unmapped), so every batching rule sees its batch dim in every position;
 *  - `jit(f)` against f.
 * Non-differentiable primitives (comparisons, argmax, random_*, floor/round/sign, ...) get
 * impl + vmap + jit (and a check that their derivative is zero).
 *
 * The list of specs is checked against the closed set, so a new primitive without a test
 * fails here.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { grad, jit, jvp, np, vjp, vmap } from '../../lib/index.js';
import type { DType } from '../../lib/core/aval.js';
import { allPrimitives } from '../../lib/core/primitive.js';
import { BINARY, COLLECTIVE, OTHER, type Params, type Prim, UNARY } from '../../lib/core/prim-types.js';
import { type NdArray, bind } from '../../lib/core/trace.js';
import { allClose } from '../helpers/assert.js';
import { useCoreTestBackend } from './setup.js';
import { mulberry32 } from '../helpers/rng.js';

const backend = await useCoreTestBackend();
// Failing properties report the underlying error (uvu prints only the message).
fc.configureGlobal({ includeErrorInReport: true });
/**
 * Random cases per primitive. On webgpu (SwiftShader in CI) every new kernel shape compiles
 * shaders at about 1 s each, so there the suite runs a few cases per primitive with small
 * shapes; cpu and wasm run the full property suite.
 */
const RUNS = backend === 'webgpu' ? 2 : 25;
const MAXDIM = backend === 'webgpu' ? 3 : 4;

// =====================================================================================
// Host arrays (float64) and small helpers
// =====================================================================================

interface H {
  readonly shape: number[];
  readonly dtype: DType;
  readonly data: number[];
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
function unravel(i: number, s: readonly number[]): number[] {
  const idx = new Array<number>(s.length);
  for (let d = s.length - 1; d >= 0; d--) {
    idx[d] = i % s[d];
    i = Math.floor(i / s[d]);
  }
  return idx;
}
function ravel(idx: readonly number[], s: readonly number[]): number {
  let i = 0;
  for (let d = 0; d < s.length; d++) i = i * s[d] + idx[d];
  return i;
}
const mk = (shape: number[], dtype: DType, data?: number[]): H => ({ shape, dtype, data: data ?? new Array(size(shape)).fill(0) });
const mapH = (x: H, f: (v: number) => number, dtype: DType = x.dtype): H => mk(x.shape, dtype, x.data.map(f));

/** Seeded PRNG (mulberry32): the values of a case; fast-check draws shapes, params and the seed. */
function rng(seed: number) {
  const next = mulberry32(seed);
  return { next, uniform: (lo: number, hi: number) => lo + (hi - lo) * next(), int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo)) };
}
type Rng = ReturnType<typeof rng>;

/**
 * How an argument's values are drawn. Differentiable arguments stay away from kinks and
 * singularities by more than the FD step (|x| >= 0.3 for 'nonzero', gaps of 0.2 on 'gridA'
 * vs 'gridB'), so the FD of the reference is valid.
 */
type Fill = 'real' | 'distinct' | 'pos' | 'nonzero' | 'half' | 'gridA' | 'gridB' | 'ties' | 'quarter' | 'special' | 'bool' | 'key' | `int:${number}:${number}` | `unique:${number}`;
function draw(fill: Fill, r: Rng): number {
  switch (fill) {
    case 'real':
      return Math.fround(r.uniform(-1, 1));
    case 'pos':
      return Math.fround(r.uniform(0.5, 2));
    case 'half':
      return Math.fround(r.uniform(-0.5, 1));
    case 'nonzero':
      return Math.fround((r.next() < 0.5 ? -1 : 1) * r.uniform(0.3, 1.3));
    case 'gridA':
      return Math.fround(0.4 * r.int(-3, 4) + 0.1);
    case 'gridB':
      return Math.fround(0.4 * r.int(-3, 4) + 0.3);
    case 'ties':
      return r.int(-1, 2);
    case 'quarter':
      return 0.25 * r.int(-12, 13);
    case 'special':
      return [0, -1.5, 2.5, Infinity, -Infinity, NaN][r.int(0, 6)];
    case 'bool':
      return r.int(0, 2);
    case 'key':
      return r.int(-(2 ** 31), 2 ** 31);
    case 'distinct':
      throw new Error('internal: distinct values are drawn per array (fillArg)');
    default: {
      const [, lo, hi] = fill.split(':').map(Number);
      return r.int(lo, hi);
    }
  }
}

interface ArgT {
  readonly shape: number[];
  readonly dtype: DType;
  readonly fill: Fill;
}
interface Template {
  readonly args: ArgT[];
  readonly params: Params;
}
const arg = (shape: number[], fill: Fill = 'real', dtype: DType = fill === 'bool' ? 'bool' : fill === 'key' || fill.startsWith('int') || fill.startsWith('unique') ? 'int32' : 'float32'): ArgT => ({ shape, dtype, fill });
function fillArg(a: ArgT, r: Rng): H {
  const n = size(a.shape);
  if (a.fill === 'distinct') {
    // A shuffled grid with step 0.1 and jitter 0.02: every two values differ by more than 0.06,
    // far more than the FD perturbation (4e-3), so max/min never switch inside the FD stencil.
    const vals = Array.from({ length: n }, (_, i) => Math.fround(0.1 * (i - n / 2) + r.uniform(-0.02, 0.02)));
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(0, i + 1);
      [vals[i], vals[j]] = [vals[j], vals[i]];
    }
    return mk([...a.shape], a.dtype, vals);
  }
  if (a.fill.startsWith('unique:')) {
    // n distinct integers below the bound: a random prefix of a shuffled range.
    const pool = Array.from({ length: Number(a.fill.slice(7)) }, (_, i) => i);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = r.int(0, i + 1);
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    return mk([...a.shape], a.dtype, pool.slice(0, n));
  }
  return mk([...a.shape], a.dtype, Array.from({ length: n }, () => draw(a.fill, r)));
}

function toTensor(x: H): tf.Tensor {
  if (x.dtype === 'float32') return tf.tensor(Float32Array.from(x.data), x.shape, 'float32');
  if (x.dtype === 'int32') return tf.tensor(Int32Array.from(x.data), x.shape, 'int32');
  return tf.tensor(Uint8Array.from(x.data), x.shape, 'bool');
}
async function fromTensor(t: NdArray): Promise<H> {
  const tt = t as tf.Tensor;
  return mk([...tt.shape], tt.dtype as DType, Array.from(await tt.data(), Number));
}

/** Stacks equal-shaped host arrays along a new axis. */
function stackH(xs: H[], axis: number): H {
  const s = xs[0].shape;
  const shape = [...s.slice(0, axis), xs.length, ...s.slice(axis)];
  const out = mk(shape, xs[0].dtype);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const b = idx[axis];
    idx.splice(axis, 1);
    out.data[i] = xs[b].data[ravel(idx, s)];
  }
  return out;
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + v * b[i], 0);
const absDot = (a: readonly number[], b: readonly number[]) => a.reduce((s, v, i) => s + Math.abs(v * b[i]), 0);

// =====================================================================================
// Float64 reference implementations
// =====================================================================================

/** Rank-equal broadcasting of n operands. */
function broadcastRef(xs: H[], f: (...v: number[]) => number, dtype: DType): H {
  const shape = xs[0].shape.map((_, i) => Math.max(...xs.map((x) => x.shape[i])));
  const out = mk(shape, dtype);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = f(...xs.map((x) => x.data[ravel(idx.map((v, d) => (x.shape[d] === 1 ? 0 : v)), x.shape)]));
  }
  return out;
}

/** erf by its Taylor series (float64-accurate for |x| <= 3, which covers the test domain). */
function erf(x: number): number {
  if (Math.abs(x) > 3) return Math.sign(x) * (1 - 2.2e-5); // not used with the test fills
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
/** Round half to even, as tfjs (and numpy) do. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

const UNARY_REF: Record<(typeof UNARY)[number], (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  expm1: Math.expm1,
  sqrt: Math.sqrt,
  rsqrt: (x) => 1 / Math.sqrt(x),
  tanh: Math.tanh,
  logistic: (x) => 1 / (1 + Math.exp(-x)),
  relu: (x) => Math.max(x, 0),
  abs: Math.abs,
  sign: Math.sign,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  erf,
  atan: Math.atan,
  floor: Math.floor,
  round: roundHalfEven,
  not: (x) => (x ? 0 : 1),
  is_finite: (x) => (Number.isFinite(x) ? 1 : 0),
};
const BINARY_REF: Record<(typeof BINARY)[number], (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: Math.pow,
  max: Math.max,
  min: Math.min,
  eq: (x, y) => +(x === y),
  ne: (x, y) => +(x !== y),
  lt: (x, y) => +(x < y),
  le: (x, y) => +(x <= y),
  gt: (x, y) => +(x > y),
  ge: (x, y) => +(x >= y),
  and: (x, y) => +(!!x && !!y),
  or: (x, y) => +(!!x || !!y),
};
const COMPARISON = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'and', 'or']);

function reduceRef(x: H, axes: number[], init: number, f: (a: number, b: number) => number): H {
  const shape = x.shape.filter((_, i) => !axes.includes(i));
  const out = mk(shape, x.dtype, new Array(size(shape)).fill(init));
  x.data.forEach((v, i) => {
    const idx = unravel(i, x.shape).filter((_, d) => !axes.includes(d));
    const o = ravel(idx, shape);
    out.data[o] = f(out.data[o], v);
  });
  return out;
}
function argmaxRef(x: H, axis: number): H {
  const shape = x.shape.filter((_, i) => i !== axis);
  const best = new Array(size(shape)).fill(-Infinity);
  const out = mk(shape, 'int32');
  x.data.forEach((v, i) => {
    const idx = unravel(i, x.shape);
    const k = idx[axis];
    idx.splice(axis, 1);
    const o = ravel(idx, shape);
    if (v > best[o]) {
      best[o] = v;
      out.data[o] = k; // first index of the maximum
    }
  });
  return out;
}
function transposeRef(x: H, perm: number[]): H {
  const shape = perm.map((p) => x.shape[p]);
  const out = mk(shape, x.dtype);
  for (let i = 0; i < out.data.length; i++) {
    const j = unravel(i, shape);
    const src = new Array<number>(perm.length);
    perm.forEach((p, k) => (src[p] = j[k]));
    out.data[i] = x.data[ravel(src, x.shape)];
  }
  return out;
}
function broadcastInDimRef(x: H, shape: number[], dims: number[]): H {
  const out = mk(shape, x.dtype);
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    out.data[i] = x.data[ravel(dims.map((d, k) => (x.shape[k] === 1 ? 0 : idx[d])), x.shape)];
  }
  return out;
}
function sliceRef(x: H, start: number[], limit: number[], st: number[]): H {
  const shape = x.shape.map((_, i) => Math.ceil((limit[i] - start[i]) / st[i]));
  const out = mk(shape, x.dtype);
  for (let i = 0; i < out.data.length; i++) out.data[i] = x.data[ravel(unravel(i, shape).map((j, d) => start[d] + j * st[d]), x.shape)];
  return out;
}
function padRef(x: H, low: number[], high: number[], interior: number[], value: number): H {
  const shape = x.shape.map((d, i) => low[i] + high[i] + d + Math.max(0, d - 1) * interior[i]);
  const out = mk(shape, x.dtype, new Array(size(shape)).fill(value));
  x.data.forEach((v, i) => (out.data[ravel(unravel(i, x.shape).map((j, d) => low[d] + j * (interior[d] + 1)), shape)] = v));
  return out;
}
function concatRef(xs: H[], axis: number): H {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
  const out = mk(shape, xs[0].dtype);
  let off = 0;
  for (const x of xs) {
    x.data.forEach((v, i) => {
      const idx = unravel(i, x.shape);
      idx[axis] += off;
      out.data[ravel(idx, shape)] = v;
    });
    off += x.shape[axis];
  }
  return out;
}
function gatherRef(x: H, ind: H, axis: number): H {
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const out = mk(shape, x.dtype);
  const ni = ind.shape.length;
  for (let i = 0; i < out.data.length; i++) {
    const idx = unravel(i, shape);
    const k = ind.data[ravel(idx.slice(axis, axis + ni), ind.shape)];
    out.data[i] = x.data[ravel([...idx.slice(0, axis), k, ...idx.slice(axis + ni)], x.shape)];
  }
  return out;
}
function scatterAddRef(u: H, ind: H, axis: number, sz: number): H {
  const ni = ind.shape.length;
  const shape = [...u.shape.slice(0, axis), sz, ...u.shape.slice(axis + ni)];
  const out = mk(shape, u.dtype);
  u.data.forEach((v, i) => {
    const idx = unravel(i, u.shape);
    const k = ind.data[ravel(idx.slice(axis, axis + ni), ind.shape)];
    out.data[ravel([...idx.slice(0, axis), k, ...idx.slice(axis + ni)], shape)] += v;
  });
  return out;
}
function dotRef(a: H, b: H, tA: boolean, tB: boolean): H {
  const r = a.shape.length;
  const batch = a.shape.slice(0, r - 2);
  const [m, k] = tA ? [a.shape[r - 1], a.shape[r - 2]] : [a.shape[r - 2], a.shape[r - 1]];
  const n = tB ? b.shape[r - 2] : b.shape[r - 1];
  const out = mk([...batch, m, n], a.dtype);
  const nb = size(batch);
  for (let bi = 0; bi < nb; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          const av = a.data[bi * m * k + (tA ? q * m + i : i * k + q)];
          const bv = b.data[bi * k * n + (tB ? j * k + q : q * n + j)];
          s += av * bv;
        }
        out.data[bi * m * n + i * n + j] = s;
      }
  return out;
}

type ConvP = {
  strides: [number, number];
  padding: [[number, number], [number, number]];
  dilation: [number, number];
  groups: number;
};
/** Calls visit(xIndex, wIndex, yIndex) for every product term of the grouped convolution. */
function convTerms(xs: number[], ws: number[], p: ConvP, visit: (xi: number, wi: number, yi: number) => void): number[] {
  const [n, h, w] = xs;
  const [kh, kw, ci, co] = ws;
  const ho = Math.floor((h + p.padding[0][0] + p.padding[0][1] - p.dilation[0] * (kh - 1) - 1) / p.strides[0]) + 1;
  const wo = Math.floor((w + p.padding[1][0] + p.padding[1][1] - p.dilation[1] * (kw - 1) - 1) / p.strides[1]) + 1;
  const cog = co / p.groups;
  for (let b = 0; b < n; b++)
    for (let oh = 0; oh < ho; oh++)
      for (let ow = 0; ow < wo; ow++)
        for (let o = 0; o < co; o++) {
          const g = Math.floor(o / cog);
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++) {
              const y = oh * p.strides[0] + i * p.dilation[0] - p.padding[0][0];
              const x = ow * p.strides[1] + j * p.dilation[1] - p.padding[1][0];
              if (y < 0 || y >= h || x < 0 || x >= w) continue;
              for (let q = 0; q < ci; q++) visit(ravel([b, y, x, g * ci + q], xs), ravel([i, j, q, o], ws), ravel([b, oh, ow, o], [n, ho, wo, co]));
            }
        }
  return [n, ho, wo, co];
}
function convRef(x: H, w: H, p: ConvP): H {
  const terms: [number, number, number][] = [];
  const shape = convTerms(x.shape, w.shape, p, (a, b, c) => terms.push([a, b, c]));
  const out = mk(shape, 'float32');
  for (const [a, b, c] of terms) out.data[c] += x.data[a] * w.data[b];
  return out;
}
function convBpInputRef(dy: H, w: H, p: ConvP & { inputShape: number[] }): H {
  const out = mk([...p.inputShape], 'float32');
  convTerms(p.inputShape, w.shape, p, (a, b, c) => (out.data[a] += dy.data[c] * w.data[b]));
  return out;
}
function convBpFilterRef(x: H, dy: H, p: ConvP & { filterShape: number[] }): H {
  const out = mk([...p.filterShape], 'float32');
  convTerms(x.shape, p.filterShape, p, (a, b, c) => (out.data[b] += x.data[a] * dy.data[c]));
  return out;
}

/** Threefry-2x32 with 20 rounds, written from the Random123 paper (independent of lib/). */
function threefry(k0: number, k1: number, c0: number, c1: number): [number, number] {
  const R = [13, 15, 26, 6, 17, 29, 16, 24];
  const ks = [k0 >>> 0, k1 >>> 0, (0x1bd11bda ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let r = 0; r < 20; r++) {
    x0 = (x0 + x1) >>> 0;
    x1 = ((x1 << R[r % 8]) | (x1 >>> (32 - R[r % 8]))) >>> 0;
    x1 = (x1 ^ x0) >>> 0;
    if (r % 4 === 3) {
      const s = (r + 1) / 4;
      x0 = (x0 + ks[s % 3]) >>> 0;
      x1 = (x1 + ks[(s + 1) % 3] + s) >>> 0;
    }
  }
  return [x0, x1];
}
/**
 * The n words of key k, as JAX 0.5+ (threefry partitionable) lays them out: salt 0, word i is
 * the xor of the two words at counter (0, i); salt s > 0, words 2i, 2i + 1 are the two words at
 * counter (0, s - 1 + i) (split: s = 1; foldIn(d): s = d + 1).
 */
function wordsRef(k0: number, k1: number, n: number, salt: number): number[] {
  if (salt === 0) return Array.from({ length: n }, (_, i) => (threefry(k0, k1, 0, i)[0] ^ threefry(k0, k1, 0, i)[1]) >>> 0);
  return Array.from({ length: n }, (_, i) => threefry(k0, k1, 0, salt - 1 + (i >> 1))[i & 1]);
}
/** JAX's float32 uniform of a word: 23 mantissa bits. */
const unit23 = (w: number) => (w >>> 9) * 2 ** -23;
/** erf^-1 by Newton's method on the float64 erf. */
function erfinv(y: number): number {
  let x = 0;
  for (let i = 0; i < 100; i++) {
    const step = (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
    x -= step;
    if (Math.abs(step) < 1e-15) break;
  }
  return x;
}
/**
 * random_normal from word i: JAX's sqrt(2) erfinv(u), u = max(lo, fl32(2 unit23 + lo)) with
 * lo = nextafter(-1, 0) in float32, or with bounds jax.random.truncated_normal's float32 uniform
 * u = max(a, fl32(fl32(unit23 fl32(b - a)) + a)) over a = fl32(erf(fl32(lower / sqrt2))), b likewise
 * (the caller, random.truncatedNormal, clamps inside the bounds).
 */
function normalRef(key: H, p: { shape: number[]; salt: number; lower?: number; upper?: number }): H {
  const n = size(p.shape);
  const out = mk([...key.shape.slice(0, -1), ...p.shape], 'float32');
  const bounded = p.lower !== undefined || p.upper !== undefined;
  const lower = p.lower ?? -Infinity;
  const upper = p.upper ?? Infinity;
  const erf32 = (bound: number) => (Math.abs(bound) === Infinity ? Math.sign(bound) : Math.fround(erf(Math.fround(Math.fround(bound) / Math.fround(Math.SQRT2)))));
  const [a, b] = [erf32(lower), erf32(upper)];
  for (let k = 0; k < key.data.length / 2; k++) {
    const w = wordsRef(key.data[2 * k], key.data[2 * k + 1], n, p.salt);
    const lo32 = -1 + 2 ** -24;
    for (let i = 0; i < n; i++) {
      const u1 = unit23(w[i]);
      out.data[k * n + i] = bounded
        ? Math.SQRT2 * erfinv(Math.max(a, Math.fround(Math.fround(u1 * Math.fround(b - a)) + a)))
        : Math.SQRT2 * erfinv(Math.max(lo32, Math.fround(2 * u1 + lo32)));
    }
  }
  return out;
}
/** random_permutation: JAX's _shuffle of arange(n): (for n >= 2) key, sub = split(key); sort by sub's n words (ties by index). */
function permutationRef(key: H, p: { n: number; salt: number }): H {
  const out = mk([...key.shape.slice(0, -1), p.n], 'int32');
  for (let k = 0; k < key.data.length / 2; k++) {
    let order = Array.from({ length: p.n }, (_, i) => i);
    if (p.n >= 2) {
      const sub = wordsRef(key.data[2 * k], key.data[2 * k + 1], 4, 1).slice(2);
      const w = wordsRef(sub[0], sub[1], p.n, p.salt);
      order = order.sort((a, b) => w[a] - w[b] || a - b);
    }
    order.forEach((v, i) => (out.data[k * p.n + i] = v));
  }
  return out;
}

/**
 * random_randint: JAX's int32 _randint in BigInt arithmetic: k1, k2 = split(key); span =
 * uint32(maxval - minval) (1 where maxval <= minval; + 1 for maxval = 2^31, clipped first);
 * m = (2^16 rem span)^2 mod 2^32 rem span; offset = ((h rem span) m + (l rem span)) mod 2^32 rem span
 * (rem by 0: the dividend, as XLA); minval + offset wrapped to int32.
 */
function randintRef(key: H, p: { shape: number[]; salt: number; minval: number; maxval: number }): H {
  const n = size(p.shape);
  const out = mk([...key.shape.slice(0, -1), ...p.shape], 'int32');
  const U = 2n ** 32n;
  const rem = (a: bigint, b: bigint) => (b === 0n ? a : a % b);
  const hiClip = Math.min(p.maxval, 2 ** 31 - 1);
  const span = hiClip <= p.minval ? 1n : BigInt(hiClip - p.minval + (p.maxval > hiClip ? 1 : 0)) % U;
  const m0 = rem(2n ** 16n, span);
  const m = rem((m0 * m0) % U, span);
  for (let k = 0; k < key.data.length / 2; k++) {
    const sub = wordsRef(key.data[2 * k], key.data[2 * k + 1], 4, 1);
    const [h, l] = [wordsRef(sub[0], sub[1], n, p.salt), wordsRef(sub[2], sub[3], n, p.salt)];
    for (let i = 0; i < n; i++) {
      const off = rem((rem(BigInt(h[i]), span) * m + rem(BigInt(l[i]), span)) % U, span);
      out.data[k * n + i] = Number(BigInt.asIntN(32, BigInt(p.minval) + off));
    }
  }
  return out;
}

/** random_bits: for each key, the words of wordsRef. */
function randomRef(key: H, p: { shape: number[]; salt: number }, uniform: boolean): H {
  const n = size(p.shape);
  const nk = key.data.length / 2;
  const out = mk([...key.shape.slice(0, -1), ...p.shape], uniform ? 'float32' : 'int32');
  for (let k = 0; k < nk; k++)
    wordsRef(key.data[2 * k], key.data[2 * k + 1], n, p.salt).forEach((w, i) => (out.data[k * n + i] = uniform ? unit23(w) : w | 0));
  return out;
}

/** argsort: per row of the last axis, the stable order (NaN last; descending: larger first, NaN first, ties still in index order). */
function argsortRef(x: H, descending: boolean): H {
  const n = x.shape[x.shape.length - 1];
  const out = mk(x.shape, 'int32');
  const key = (v: number) => (Number.isNaN(v) ? [1, 0] : [0, descending ? -v : v]);
  for (let r = 0; r < x.data.length / n; r++) {
    const row = x.data.slice(r * n, (r + 1) * n);
    const ix = row.map((_, i) => i).sort((i, j) => {
      const [a, b] = [key(row[i]), key(row[j])];
      const nanFirst = descending ? -1 : 1;
      return a[0] !== b[0] ? nanFirst * (a[0] - b[0]) : a[1] !== b[1] ? a[1] - b[1] : i - j;
    });
    ix.forEach((v, i) => (out.data[r * n + i] = v));
  }
  return out;
}

/** random_fold_in: per broadcast (key, data) pair, the two words of Threefry at counter (0, data as uint32). */
function foldInRef(key: H, data: H): H {
  const lead = key.shape.slice(0, -1);
  const word = (j: number) => mk(lead, 'int32', key.data.filter((_, i) => i % 2 === j));
  const half = (j: number) => broadcastRef([word(0), word(1), data], (k0, k1, d) => threefry(k0, k1, 0, d >>> 0)[j] | 0, 'int32');
  const [w0, w1] = [half(0), half(1)];
  return mk([...w0.shape, 2], 'int32', w0.data.flatMap((v, i) => [v, w1.data[i]]));
}

// =====================================================================================
// Specs: how to draw a case of each primitive, and its reference
// =====================================================================================

interface Spec {
  readonly prim: Prim;
  /** Test name (a primitive may have several specs, e.g. with ties). */
  readonly name: string;
  readonly arb: fc.Arbitrary<Template>;
  readonly ref: (args: H[], params: any) => H;
  /** Arguments to differentiate (default: every float32 argument). */
  readonly diff?: number[];
  /** Skip the finite-difference check (ties: the derivative is a convention there), keep JVP vs VJP. */
  readonly noFD?: boolean;
  /** Not differentiable: impl, vmap and jit only (plus a zero derivative where input and output are float). */
  readonly nonDiff?: boolean;
  /** Tolerance of the impl against the float64 reference. */
  readonly tol?: { rtol: number; atol: number };
  /** In-axes vmap may use for the arguments: any (default), or only 0 / null (see random_*). */
  readonly vmapAxes?: 'any' | 'leading';
}

const dimA = fc.integer({ min: 1, max: MAXDIM });
const shapeA = (minRank = 0, maxRank = 3) => fc.array(dimA, { minLength: minRank, maxLength: maxRank });
/** Shape with some dims replaced by 1 (a broadcasting operand). */
const squash = (s: number[]) => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((m) => s.map((d, i) => (m[i] ? 1 : d)));
const perm = (n: number) => fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n });
const subset = (n: number, min = 1) => fc.subarray([...Array(n).keys()], { minLength: min }).map((a) => [...a].sort((x, y) => x - y));

/** Transcendental kernels (exp, tanh, erf, ...) in float32 are accurate to a few ulps; erf in tfjs is a 1e-7 approximation. */
const TRANSCENDENTAL = { rtol: 2e-5, atol: 2e-6 };
/**
 * WGSL only promises sin and cos to an absolute error of 2^-11 on [-pi, pi] (WGSL spec,
 * "Floating Point Accuracy"); SwiftShader's are off by up to ~3e-5 here.
 */
const WGSL_SIN_COS = { rtol: 0, atol: 2 ** -11 };
/** WGSL's tan is inherited from sin / cos: 2^-11 (1 + tan^2) on the draws' [-1, 1], below 2^-9. */
const WGSL_TAN = { rtol: 0, atol: 2 ** -9 };

function unarySpec(p: (typeof UNARY)[number]): Spec {
  const fills: Partial<Record<(typeof UNARY)[number], Fill>> = {
    log: 'pos', sqrt: 'pos', rsqrt: 'pos', log1p: 'half', abs: 'nonzero', relu: 'nonzero', sign: 'quarter', floor: 'quarter', round: 'quarter', not: 'bool', is_finite: 'special',
  };
  const nonDiff = ['sign', 'floor', 'round', 'not', 'is_finite'].includes(p);
  const outDtype: DType = p === 'is_finite' || p === 'not' ? 'bool' : 'float32';
  return {
    prim: p,
    name: p,
    arb: shapeA().map((s) => ({ args: [arg(s, fills[p] ?? 'real')], params: {} })),
    ref: ([x]) => mapH(x, UNARY_REF[p], outDtype),
    nonDiff,
    tol: backend === 'webgpu' && (p === 'sin' || p === 'cos') ? WGSL_SIN_COS : backend === 'webgpu' && p === 'tan' ? WGSL_TAN : TRANSCENDENTAL,
  };
}

function binarySpec(p: (typeof BINARY)[number], ties = false): Spec {
  const cmp = COMPARISON.has(p);
  const fills: [Fill, Fill] =
    p === 'and' || p === 'or' ? ['bool', 'bool']
    : cmp || ties ? ['ties', 'ties']
    : p === 'div' ? ['real', 'nonzero']
    : p === 'pow' ? ['pos', 'real']
    : p === 'max' || p === 'min' ? ['gridA', 'gridB']
    : ['real', 'real'];
  return {
    prim: p,
    name: ties ? `${p} (ties: derivative split equally)` : p,
    arb: shapeA().chain((s) => fc.tuple(squash(s), squash(s))).map(([a, b]) => ({ args: [arg(a, fills[0]), arg(b, fills[1])], params: {} })),
    ref: ([x, y]) => broadcastRef([x, y], BINARY_REF[p], cmp ? 'bool' : x.dtype),
    nonDiff: cmp,
    noFD: ties,
    tol: p === 'pow' ? TRANSCENDENTAL : undefined,
  };
}

function reduceSpec(p: 'reduce_sum' | 'reduce_max' | 'reduce_min', ties = false): Spec {
  const [init, f] = p === 'reduce_sum' ? [0, (a: number, b: number) => a + b] : p === 'reduce_max' ? [-Infinity, Math.max] : [Infinity, Math.min];
  return {
    prim: p,
    name: ties ? `${p} (ties: derivative split equally)` : p,
    arb: shapeA(1, 3).chain((s) => fc.tuple(fc.constant(s), subset(s.length))).map(([s, axes]) => ({
      args: [arg(s, ties ? 'ties' : p === 'reduce_sum' ? 'real' : 'gridA')],
      params: { axes },
    })),
    ref: ([x], { axes }) => reduceRef(x, axes, init, f),
    noFD: ties || p !== 'reduce_sum',
    tol: { rtol: 1e-5, atol: 1e-5 },
  };
}

/** Max/min of distinct values: FD is valid when every value is at least the FD step from the others. */
function distinctReduceSpec(p: 'reduce_max' | 'reduce_min'): Spec {
  const base = reduceSpec(p);
  return { ...base, name: `${p} (distinct values)`, noFD: false, arb: base.arb.map((t) => ({ ...t, args: [arg(t.args[0].shape, 'distinct')] })) };
}

/** Convolutions with one group and unit dilation: strides 1-3 and kernels 1-4 per axis, paddings 0-2, inputs `extra` larger than the smallest. */
const plainConvArb = (ci: fc.Arbitrary<number>, co: fc.Arbitrary<number>, maxExtra = 4): fc.Arbitrary<{ xs: number[]; ws: number[]; p: ConvP }> =>
  fc
    .record({ n: fc.integer({ min: 1, max: 2 }), ci, co, k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })), s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }), extra: fc.tuple(fc.integer({ min: 0, max: maxExtra }), fc.integer({ min: 0, max: maxExtra })) })
    .map(({ n, ci, co, k, s, pad, extra }) => ({
      xs: [n, Math.max(1, k[0] - pad[0]! - pad[1]!) + extra[0], Math.max(1, k[1] - pad[2]! - pad[3]!) + extra[1], ci],
      ws: [k[0], k[1], ci, co],
      p: { strides: s, padding: [[pad[0]!, pad[1]!], [pad[2]!, pad[3]!]], dilation: [1, 1], groups: 1 } as ConvP,
    }));

const convArb = (minHW = 1): fc.Arbitrary<{ xs: number[]; ws: number[]; p: ConvP }> =>
  fc
    .record({
      n: fc.integer({ min: 1, max: 2 }),
      groups: fc.integer({ min: 1, max: 3 }),
      depthwise: fc.boolean(),
      ci: fc.integer({ min: 1, max: 2 }),
      cog: fc.integer({ min: 1, max: 2 }),
      kh: fc.integer({ min: 1, max: 3 }),
      kw: fc.integer({ min: 1, max: 3 }),
      strided: fc.boolean(),
      s: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
      pad: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
      extra: fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })),
    })
    .map((c) => {
      const ci = c.depthwise ? 1 : c.ci;
      const groups = c.depthwise ? Math.max(2, c.groups) : c.groups;
      // tfjs needs the strides or the dilations to be all 1.
      const strides: [number, number] = c.strided ? c.s : [1, 1];
      const dilation: [number, number] = c.strided ? [1, 1] : c.d;
      const padding: [[number, number], [number, number]] = [[c.pad[0], c.pad[1]], [c.pad[2], c.pad[3]]];
      const need = (k: number, d: number, lo: number, hi: number) => Math.max(minHW, d * (k - 1) + 1 - lo - hi);
      const h = need(c.kh, dilation[0], padding[0][0], padding[0][1]) + c.extra[0];
      const w = need(c.kw, dilation[1], padding[1][0], padding[1][1]) + c.extra[1];
      return { xs: [c.n, h, w, groups * ci], ws: [c.kh, c.kw, ci, groups * c.cog], p: { strides, padding, dilation, groups } };
    });
const convOut = (xs: number[], ws: number[], p: ConvP) => convTerms(xs, ws, p, () => {});

/**
 * KNOWN LIMITATION on webgpu (see the explicit test "random keys computed on the device"):
 * the random primitives read their key on the host (dataSync), which fails for a key that
 * lives on the GPU; vmap over a key axis other than 0 transposes the keys on the device
 * first. So on webgpu the key (and fold_in's data, read the same way) is mapped over axis 0 (or
 * not mapped) only.
 */
const KEY_AXES = backend === 'webgpu' ? 'leading' : 'any';

const specs: Spec[] = [
  ...UNARY.map((p) => unarySpec(p)),
  ...BINARY.map((p) => binarySpec(p)),
  binarySpec('max', true),
  binarySpec('min', true),
  {
    prim: 'select',
    name: 'select',
    arb: shapeA().chain((s) => fc.tuple(squash(s), squash(s), squash(s))).map(([p, a, b]) => ({ args: [arg(p, 'bool'), arg(a), arg(b)], params: {} })),
    ref: ([p, a, b]) => broadcastRef([p, a, b], (c, x, y) => (c ? x : y), 'float32'),
    diff: [1, 2],
  },
  {
    prim: 'cast',
    name: 'cast',
    arb: fc
      .tuple(shapeA(), fc.constantFrom<DType>('float32', 'int32', 'bool'), fc.constantFrom<DType>('float32', 'int32', 'bool'))
      .map(([s, from, to]) => ({ args: [arg(s, from === 'float32' ? 'real' : from === 'int32' ? 'int:-3:4' : 'bool', from)], params: { dtype: to } })),
    // float -> int truncates toward zero; anything -> bool is "not zero".
    ref: ([x], { dtype }) => mapH(x, (v) => (dtype === 'int32' ? Math.trunc(v) : dtype === 'bool' ? +(v !== 0) : v), dtype),
  },
  {
    prim: 'stop_gradient',
    name: 'stop_gradient',
    arb: shapeA().map((s) => ({ args: [arg(s)], params: {} })),
    ref: ([x]) => x,
    nonDiff: true,
  },
  reduceSpec('reduce_sum'),
  reduceSpec('reduce_max'),
  reduceSpec('reduce_min'),
  distinctReduceSpec('reduce_max'),
  distinctReduceSpec('reduce_min'),
  reduceSpec('reduce_max', true),
  reduceSpec('reduce_min', true),
  {
    prim: 'reduce_logsumexp',
    name: 'reduce_logsumexp',
    arb: shapeA(1, 3).chain((s) => fc.tuple(fc.constant(s), subset(s.length))).map(([s, axes]) => ({ args: [arg(s, 'real')], params: { axes } })),
    // log(exp(a) + exp(b)) in float64, from -inf.
    ref: ([x], { axes }) => reduceRef(x, axes, -Infinity, (a, b) => (a === -Infinity ? b : Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))))),
    tol: TRANSCENDENTAL,
  },
  {
    prim: 'argmax',
    name: 'argmax (with ties: the first index wins)',
    arb: shapeA(1, 3).chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }))).map(([s, axis]) => ({ args: [arg(s, 'ties')], params: { axis } })),
    ref: ([x], { axis }) => argmaxRef(x, axis),
    nonDiff: true,
  },
  {
    prim: 'argsort',
    name: 'argsort (stable, with ties, infinities and NaN; both directions; float32 and int32)',
    arb: fc
      .tuple(shapeA(1, 3), fc.constantFrom<Fill>('ties', 'special', 'real', 'int:-3:3'), fc.boolean())
      .map(([s, fill, descending]) => ({ args: [arg(s, fill)], params: { descending } })),
    ref: ([x], { descending }) => argsortRef(x, descending),
    nonDiff: true,
    tol: { rtol: 0, atol: 0 },
  },
  {
    prim: 'reshape',
    name: 'reshape',
    arb: shapeA(0, 3).chain((s) => {
      const n = size(s);
      const divisors = [...Array(n).keys()].map((i) => i + 1).filter((d) => n % d === 0);
      return fc.tuple(fc.constant(s), fc.constantFrom(...divisors), fc.boolean()).map(([s, d, extra]) => ({
        args: [arg(s)],
        params: { shape: extra ? [d, 1, n / d] : [n / d, d] },
      }));
    }),
    ref: ([x], { shape }) => mk(shape, x.dtype, x.data),
  },
  {
    prim: 'transpose',
    name: 'transpose',
    arb: shapeA(1, 4).chain((s) => fc.tuple(fc.constant(s), perm(s.length))).map(([s, p]) => ({ args: [arg(s)], params: { perm: p } })),
    ref: ([x], { perm }) => transposeRef(x, perm),
  },
  {
    // wasm's own kernel (lib/backend/wasm-transpose.ts): leading axes kept, two blocks of
    // axes swapped, each block's size a multiple of 4 (several matrices, blocks of 1-2 axes).
    prim: 'transpose',
    name: 'transpose, a swap of two axis blocks of sizes multiple of 4 (the wasm kernel)',
    arb: fc
      .record({ lead: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), r: fc.constantFrom([4], [8], [2, 2], [3, 4], [12]), c: fc.constantFrom([4], [8], [2, 6], [16], [1, 4]) })
      .map(({ lead, r, c }) => {
        const k = lead.length;
        const perm = [...lead.keys(), ...c.map((_, i) => k + r.length + i), ...r.map((_, i) => k + i)];
        return { args: [arg([...lead, ...r, ...c])], params: { perm } };
      }),
    ref: ([x], { perm }) => transposeRef(x, perm),
  },
  {
    prim: 'broadcast_in_dim',
    name: 'broadcast_in_dim',
    arb: shapeA(0, 3)
      .chain((shape) => fc.tuple(fc.constant(shape), subset(shape.length, 0)))
      .chain(([shape, dims]) => fc.tuple(fc.constant(shape), fc.constant(dims), squash(dims.map((d) => shape[d]))))
      .map(([shape, dims, src]) => ({ args: [arg(src)], params: { shape, dims } })),
    ref: ([x], { shape, dims }) => broadcastInDimRef(x, shape, dims),
  },
  {
    prim: 'slice',
    name: 'slice (strided)',
    arb: shapeA(1, 3)
      .chain((s) =>
        fc.tuple(
          fc.constant(s),
          fc.tuple(...s.map((d) => fc.integer({ min: 0, max: d - 1 }).chain((st) => fc.tuple(fc.constant(st), fc.integer({ min: st + 1, max: d }), fc.integer({ min: 1, max: 3 }))))),
        ),
      )
      .map(([s, axes]) => ({ args: [arg(s)], params: { start: axes.map((a) => a[0]), limit: axes.map((a) => a[1]), strides: axes.map((a) => a[2]) } })),
    ref: ([x], { start, limit, strides }) => sliceRef(x, start, limit, strides),
  },
  {
    prim: 'pad',
    name: 'pad (low, high, interior, value)',
    arb: shapeA(1, 3)
      .chain((s) => {
        const v = fc.array(fc.integer({ min: 0, max: 2 }), { minLength: s.length, maxLength: s.length });
        return fc.tuple(fc.constant(s), v, v, v, fc.constantFrom(0, -1.5));
      })
      .map(([s, low, high, interior, value]) => ({ args: [arg(s)], params: { low, high, interior, value } })),
    ref: ([x], { low, high, interior, value }) => padRef(x, low, high, interior, value),
  },
  {
    prim: 'concatenate',
    name: 'concatenate',
    arb: shapeA(1, 3)
      .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }), fc.array(dimA, { minLength: 1, maxLength: 3 })))
      .map(([s, axis, lens]) => ({ args: lens.map((n) => arg(s.map((d, i) => (i === axis ? n : d)))), params: { axis } })),
    ref: (xs, { axis }) => concatRef(xs, axis),
  },
  {
    prim: 'gather',
    name: 'gather',
    arb: shapeA(1, 3)
      .chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: 0, max: s.length - 1 }), shapeA(0, 2)))
      .map(([s, axis, is]) => ({ args: [arg(s), arg(is, `int:0:${s[axis]}`)], params: { axis } })),
    ref: ([x, i], { axis }) => gatherRef(x, i, axis),
    diff: [0],
  },
  {
    prim: 'scatter_add',
    name: 'scatter_add (repeated indices accumulate)',
    arb: fc
      .tuple(shapeA(0, 2), shapeA(0, 2), shapeA(0, 1), fc.integer({ min: 1, max: 4 }))
      .map(([pre, is, post, sz]) => ({ args: [arg([...pre, ...is, ...post]), arg(is, `int:0:${sz}`)], params: { axis: pre.length, size: sz } })),
    ref: ([u, i], { axis, size }) => scatterAddRef(u, i, axis, size),
    diff: [0],
  },
  {
    prim: 'scatter',
    name: 'scatter (distinct indices: each overwrites its entry)',
    arb: fc
      .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 6 }))
      .map(([sz, m]) => ({ args: [arg([sz], 'int:-9:9'), arg([Math.min(m, sz)], `unique:${sz}`), arg([Math.min(m, sz)], 'int:-9:9')], params: {} })),
    ref: ([o, i, u]) => {
      const out = mk([...o.shape], 'int32', [...o.data]);
      i.data.forEach((k, j) => (out.data[k] = u.data[j]));
      return out;
    },
    nonDiff: true,
  },
  {
    prim: 'dot',
    name: 'dot (every transpose flag, batch dims)',
    arb: fc
      .record({ batch: shapeA(0, 2), m: dimA, k: dimA, n: dimA, tA: fc.boolean(), tB: fc.boolean() })
      .map(({ batch, m, k, n, tA, tB }) => ({
        args: [arg([...batch, ...(tA ? [k, m] : [m, k])]), arg([...batch, ...(tB ? [n, k] : [k, n])])],
        params: { transposeA: tA, transposeB: tB },
      })),
    ref: ([a, b], { transposeA, transposeB }) => dotRef(a, b, transposeA, transposeB),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    prim: 'conv',
    name: 'conv (stride, padding, dilation, groups, depthwise)',
    arb: convArb().map(({ xs, ws, p }) => ({ args: [arg(xs), arg(ws)], params: p })),
    ref: ([x, w], p) => convRef(x, w, p),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    // wasm's own kernel (lib/backend/wasm-conv.ts): output channels in tiles of 8 and 4,
    // output columns in tiles of 4 and a remainder, the padding applied before it.
    prim: 'conv',
    name: 'conv, output channels a multiple of 4 (the wasm kernel)',
    arb: plainConvArb(fc.integer({ min: 1, max: 9 }), fc.constantFrom(4, 8, 12), 9).map(({ xs, ws, p }) => ({ args: [arg(xs), arg(ws)], params: p })),
    ref: ([x, w], p) => convRef(x, w, p),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    prim: 'conv_bp_input',
    name: 'conv_bp_input (stride, padding, dilation, groups, depthwise)',
    arb: convArb().map(({ xs, ws, p }) => ({ args: [arg(convOut(xs, ws, p)), arg(ws)], params: { ...p, inputShape: xs } })),
    ref: ([dy, w], p) => convBpInputRef(dy, w, p),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    // wasm's own kernel (lib/backend/wasm-conv.ts) when the result's channels are a
    // multiple of 4: one pass per stride phase, phases without taps when s > k.
    prim: 'conv_bp_input',
    name: 'conv_bp_input, strides 1-3, input channels 1-2 or a multiple of 4 (the wasm stride-phase passes)',
    arb: plainConvArb(fc.constantFrom(1, 2, 4, 8), fc.integer({ min: 1, max: 5 })).map(({ xs, ws, p }) => ({ args: [arg(convOut(xs, ws, p)), arg(ws)], params: { ...p, inputShape: xs } })),
    ref: ([dy, w], p) => convBpInputRef(dy, w, p),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    prim: 'conv_bp_filter',
    name: 'conv_bp_filter (stride, padding, dilation, groups, depthwise)',
    arb: convArb().map(({ xs, ws, p }) => ({ args: [arg(xs), arg(convOut(xs, ws, p))], params: { ...p, filterShape: ws } })),
    ref: ([x, dy], p) => convBpFilterRef(x, dy, p),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  {
    // wasm's own SIMD kernel (lib/backend/wasm-filter-grad.ts) takes output channels in
    // multiples of 4 and input channels in tiles of 4 plus a remainder of 1-3.
    prim: 'conv_bp_filter',
    name: 'conv_bp_filter, output channels a multiple of 4 (the wasm kernel)',
    arb: plainConvArb(fc.integer({ min: 1, max: 9 }), fc.constantFrom(4, 8, 12)).map(({ xs, ws, p }) => ({ args: [arg(xs), arg(convOut(xs, ws, p))], params: { ...p, filterShape: ws } })),
    ref: ([x, dy], p) => convBpFilterRef(x, dy, p),
    tol: { rtol: 1e-5, atol: 1e-5 },
  },
  ...(['random_bits', 'random_uniform'] as const).map(
    (p): Spec => ({
      prim: p,
      name: p,
      arb: fc
        .tuple(shapeA(0, 1), shapeA(0, 2), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
        .map(([lead, shape, salt]) => ({ args: [arg([...lead, 2], 'key')], params: { shape, salt } })),
      ref: ([k], params) => randomRef(k, params, p === 'random_uniform'),
      nonDiff: true,
      tol: { rtol: 0, atol: 0 },
      vmapAxes: KEY_AXES,
    }),
  ),
  {
    prim: 'random_normal',
    name: 'random_normal (unbounded and truncated)',
    arb: fc
      .tuple(shapeA(0, 1), shapeA(0, 2), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom(undefined, -2, -0.5), fc.constantFrom(undefined, 1, 2.5))
      .map(([lead, shape, salt, lower, upper]) => ({
        args: [arg([...lead, 2], 'key')],
        params: { shape, salt, ...(lower === undefined ? {} : { lower }), ...(upper === undefined ? {} : { upper }) },
      })),
    ref: ([k], params) => normalRef(k, params),
    nonDiff: true,
    vmapAxes: KEY_AXES,
    // The impl computes in float64 and rounds; its erfinv (truncated case) is a polynomial with ~1e-7 relative error.
    tol: { rtol: 1e-6, atol: 1e-6 },
  },
  {
    prim: 'random_permutation',
    name: 'random_permutation',
    arb: fc
      .tuple(shapeA(0, 1), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 2 ** 31 - 1 }))
      .map(([lead, n, salt]) => ({ args: [arg([...lead, 2], 'key')], params: { n, salt } })),
    ref: ([k], params) => permutationRef(k, params),
    nonDiff: true,
    vmapAxes: KEY_AXES,
  },
  {
    prim: 'random_randint',
    name: 'random_randint (JAX\'s int32 randint)',
    arb: fc
      .tuple(shapeA(0, 1), shapeA(0, 2), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.constantFrom<[number, number]>([0, 10], [-5, 5], [3, 3], [7, -2], [0, 2 ** 31 - 1], [-(2 ** 31), 2 ** 31 - 1], [-(2 ** 31), 2 ** 31], [-100, 2 ** 31]))
      .map(([lead, shape, salt, [minval, maxval]]) => ({ args: [arg([...lead, 2], 'key')], params: { shape, salt, minval, maxval } })),
    ref: ([k], params) => randintRef(k, params),
    nonDiff: true,
    tol: { rtol: 0, atol: 0 },
    vmapAxes: KEY_AXES,
  },
  {
    prim: 'random_fold_in',
    name: 'random_fold_in (key and int32 data broadcasting)',
    // webgpu moves int32 axes through float32 (lower/webgpu.ts), so there data stays below 2^24.
    arb: shapeA(0, 2)
      .chain((s) => fc.tuple(squash(s), squash(s)))
      .map(([ks, ds]) => ({ args: [arg([...ks, 2], 'key'), arg(ds, backend === 'webgpu' ? 'int:-1000:1000' : 'key')], params: {} })),
    ref: ([k, d]) => foldInRef(k, d),
    nonDiff: true,
    tol: { rtol: 0, atol: 0 },
    vmapAxes: KEY_AXES,
  },
];

// =====================================================================================
// The checks
// =====================================================================================

const isFloat = (d: DType) => d === 'float32';

/** Compares two host arrays: same shape and dtype, values close (exact for int/bool). */
function closeH(actual: H, expected: H, tol: { rtol: number; atol: number }, what: string): void {
  assert.equal(actual.shape, expected.shape, `${what}: shape`);
  assert.is(actual.dtype, expected.dtype, `${what}: dtype`);
  const exact = !isFloat(expected.dtype);
  // Reference values are float64: compare against their float32 rounding.
  allClose(actual.data, expected.data.map((v) => (exact ? v : Math.fround(v))), exact ? { rtol: 0, atol: 0 } : tol, what);
}

/** Runs an async body, disposing every tensor it created (results are read as host arrays). */
async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  tf.engine().startScope();
  try {
    return await fn();
  } finally {
    tf.engine().endScope();
  }
}

const apply = (spec: Spec, params: Params) => (...xs: NdArray[]) => bind(spec.prim, xs, params);

async function checkImpl(spec: Spec, t: Template, args: H[]): Promise<void> {
  const out = await fromTensor(apply(spec, t.params)(...args.map(toTensor)));
  closeH(out, spec.ref(args, t.params), spec.tol ?? { rtol: 1e-5, atol: 1e-6 }, `${spec.name}: impl vs float64 reference`);
}

/** vjp against central finite differences of the float64 reference, and jvp against vjp. */
async function checkDerivatives(spec: Spec, t: Template, args: H[], r: Rng): Promise<void> {
  const outAval = spec.ref(args, t.params);
  const diff = (spec.diff ?? t.args.map((a, i) => (isFloat(a.dtype) ? i : -1)).filter((i) => i >= 0)).filter((i) => isFloat(t.args[i].dtype));
  const f = apply(spec, t.params);
  const tensors = args.map(toTensor);
  const merge = (ds: NdArray[]) => tensors.map((x, i) => (diff.includes(i) ? ds[diff.indexOf(i)] : x));
  const g = (...ds: NdArray[]) => f(...merge(ds));
  if (spec.nonDiff || !isFloat(outAval.dtype) || diff.length === 0) {
    // Zero derivative: the cotangent of every float input is zero.
    if (isFloat(outAval.dtype) && diff.length) {
      const [, pull] = vjp(g, ...diff.map((i) => tensors[i]));
      for (const c of pull(toTensor(mapH(outAval, () => 1)))) allClose((await fromTensor(c)).data, 0, { rtol: 0, atol: 0 }, `${spec.name}: derivative must be zero`);
    }
    return;
  }
  const v = mapH(outAval, () => r.uniform(-1, 1));
  const us = diff.map((i) => mapH(args[i], () => r.uniform(-1, 1)));
  const [out, pull] = vjp(g, ...diff.map((i) => tensors[i]));
  closeH(await fromTensor(out), outAval, spec.tol ?? { rtol: 1e-5, atol: 1e-6 }, `${spec.name}: vjp primal output`);
  const cts = await Promise.all((pull(toTensor(v)) as NdArray[]).map(fromTensor));
  cts.forEach((c, k) => assert.equal(c.shape, args[diff[k]].shape, `${spec.name}: cotangent ${k} shape`));
  const viaVjp = cts.reduce((s, c, k) => s + dot(c.data, us[k].data), 0);
  const [, tangent] = jvp(g, diff.map((i) => tensors[i]), us.map(toTensor));
  const tan = await fromTensor(tangent as NdArray);
  assert.equal(tan.shape, outAval.shape, `${spec.name}: tangent shape`);
  const viaJvp = dot(v.data, tan.data);
  // The scale of the inner products: float32 rules are accurate to a few ulps per accumulated
  // term (at most ~50 terms here), ~1e-5 of this scale; 1e-4 leaves room for cancellation.
  const scale = absDot(v.data, tan.data) + cts.reduce((s, c, k) => s + absDot(c.data, us[k].data), 0) + 1e-3;
  const tol = 1e-4 * scale;
  assert.ok(Math.abs(viaJvp - viaVjp) <= tol, `${spec.name}: <v, J u> = ${viaJvp} (jvp) but <J^T v, u> = ${viaVjp} (vjp); tolerance ${tol}`);
  if (spec.noFD) return;
  const h = 1e-3;
  const s = (e: number) => dot(v.data, spec.ref(args.map((a, i) => (diff.includes(i) ? mk(a.shape, a.dtype, a.data.map((x, j) => x + e * us[diff.indexOf(i)].data[j])) : a)), t.params).data);
  const fd = (8 * (s(h) - s(-h)) - (s(2 * h) - s(-2 * h))) / (12 * h);
  assert.ok(Math.abs(fd - viaVjp) <= tol, `${spec.name}: reverse mode <J^T v, u> = ${viaVjp}, finite differences (float64) ${fd}; tolerance ${tol}`);
}

/** vmap(f) over random in-axes (some arguments unmapped) against stacking f over the slices. */
async function checkVmap(spec: Spec, t: Template, r: Rng, batch: number): Promise<void> {
  const f = apply(spec, t.params);
  let axes = t.args.map((a, i) => (r.next() < 0.3 ? null : spec.vmapAxes === 'leading' ? 0 : r.int(0, a.shape.length + 1)));
  if (axes.every((a) => a === null)) axes = axes.map((_, i) => (i === 0 ? 0 : null));
  const slices = Array.from({ length: batch }, () => t.args.map((a) => fillArg(a, r)));
  // Unmapped arguments take slice 0's value for every slice.
  slices.forEach((sl) => sl.forEach((_, i) => axes[i] === null && (sl[i] = slices[0][i])));
  const batched = t.args.map((_, i) => (axes[i] === null ? slices[0][i] : stackH(slices.map((sl) => sl[i]), axes[i]!)));
  const out = await fromTensor(vmap(f, { inAxes: axes })(...batched.map(toTensor)) as NdArray);
  const each = await Promise.all(slices.map((sl) => fromTensor(f(...sl.map(toTensor)))));
  closeH(out, stackH(each, 0), { rtol: 1e-5, atol: 1e-5 }, `${spec.name}: vmap with inAxes [${axes.map(String)}] vs stacked slices`);
}

/** jit(f) against f (a fresh jit per case, so each case traces and replays). */
async function checkJit(spec: Spec, t: Template, args: H[]): Promise<void> {
  const f = apply(spec, t.params);
  const tensors = args.map(toTensor);
  const eager = await fromTensor(f(...tensors));
  const jf = jit(f);
  const a = await fromTensor(jf(...tensors));
  const b = await fromTensor(jf(...tensors));
  assert.is(jf.cacheSize(), 1);
  closeH(a, eager, { rtol: 1e-6, atol: 1e-6 }, `${spec.name}: jit vs eager`);
  closeH(b, eager, { rtol: 1e-6, atol: 1e-6 }, `${spec.name}: jit replay vs eager`);
}

async function checkAll(spec: Spec, t: Template, seed: number, batch: number, withVmap = true): Promise<void> {
  await tidyAsync(async () => {
    const r = rng(seed);
    const args = t.args.map((a) => fillArg(a, r));
    await checkImpl(spec, t, args);
    await checkDerivatives(spec, t, args, r);
    if (withVmap) await checkVmap(spec, t, r, batch);
    await checkJit(spec, t, args);
  });
}

function propertyTest(s: ReturnType<typeof suite>, spec: Spec, runs = RUNS): void {
  s(spec.name, async () => {
    await fc.assert(
      fc.asyncProperty(spec.arb, fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 3 }), (t, seed, batch) => checkAll(spec, t, seed, batch)),
      { numRuns: runs },
    );
  });
}

// =====================================================================================
// Suites
// =====================================================================================

const Coverage = suite(`primitives: coverage of the closed set [${backend}]`);

Coverage('every primitive of the closed set has a property test, and is registered', () => {
  const closed = [...UNARY, ...BINARY, ...OTHER] as Prim[];
  const tested = new Set(specs.map((s) => s.prim));
  const missing = closed.filter((p) => !tested.has(p));
  assert.equal(missing, [], `primitives without a property test: ${missing.join(', ')}`);
  // Collectives need a named axis: their property tests are in collectives.test.ts.
  assert.equal([...allPrimitives()].sort(), [...closed, ...COLLECTIVE].sort(), 'registered primitives = the closed set');
});

Coverage.run();

const groups: [string, (s: Spec) => boolean][] = [
  ['elementwise unary', (s) => (UNARY as readonly string[]).includes(s.prim)],
  ['elementwise binary, select, cast, stop_gradient', (s) => (BINARY as readonly string[]).includes(s.prim) || ['select', 'cast', 'stop_gradient'].includes(s.prim)],
  ['reductions', (s) => ['reduce_sum', 'reduce_max', 'reduce_min', 'reduce_logsumexp', 'argmax', 'argsort'].includes(s.prim)],
  ['structural', (s) => ['reshape', 'transpose', 'broadcast_in_dim', 'slice', 'pad', 'concatenate'].includes(s.prim)],
  ['indexing', (s) => ['gather', 'scatter_add', 'scatter'].includes(s.prim)],
  ['dot and conv', (s) => ['dot', 'conv', 'conv_bp_input', 'conv_bp_filter'].includes(s.prim)],
  ['random', (s) => s.prim.startsWith('random_')],
];
const grouped = new Set<Spec>();
for (const [name, pick] of groups) {
  const s = suite(`primitives: ${name} [${backend}]`);
  for (const spec of specs.filter(pick)) {
    grouped.add(spec);
    propertyTest(s, spec);
  }
  s.run();
}
if (grouped.size !== specs.length) throw new Error(`specs in no suite: ${specs.filter((s) => !grouped.has(s)).map((s) => s.name).join(', ')}`);

// ---------------------------------------------------------------- explicit cases

const Explicit = suite(`primitives: explicit cases [${backend}]`);

const f32 = (data: number[], shape?: number[]) => tf.tensor(data, shape, 'float32');

Explicit('reductions with ties share the derivative equally (max, min, and binary max/min)', async () => {
  const x = f32([1, 3, 3, -2, -2, 0], [2, 3]);
  const gmax = grad((x: NdArray) => bind('reduce_sum', [bind('reduce_max', [x], { axes: [1] })], { axes: [0] }))(x) as tf.Tensor;
  assert.equal(Array.from(await gmax.data()), [0, 0.5, 0.5, 0, 0, 1]);
  const gmin = grad((x: NdArray) => bind('reduce_sum', [bind('reduce_min', [x], { axes: [1] })], { axes: [0] }))(x) as tf.Tensor;
  assert.equal(Array.from(await gmin.data()), [1, 0, 0, 0.5, 0.5, 0]);
  const gall = grad((x: NdArray) => bind('reduce_max', [x], { axes: [0, 1] }))(f32([2, 2, 2, 2], [2, 2])) as tf.Tensor;
  assert.equal(Array.from(await gall.data()), [0.25, 0.25, 0.25, 0.25]);
  const [ga, gb] = grad((a: NdArray, b: NdArray) => bind('reduce_sum', [bind('max', [a, b])], { axes: [0] }), { argnums: [0, 1] })(f32([1, 2, 3]), f32([1, 5, 0])) as tf.Tensor[];
  assert.equal(Array.from(await ga.data()), [0.5, 0, 1]);
  assert.equal(Array.from(await gb.data()), [0.5, 1, 0]);
});

Explicit('NaN stays NaN: relu of a NaN with its sign bit set, sums and maxima over row blocks (every backend, both wasm routes)', async () => {
  const negNaN = new Float32Array(new Uint32Array([0xffc00000]).buffer)[0]!;
  for (const shape of [[2, 3], [64, 16, 4]]) {
    // [64, 16, 4]: wasm's generated loops; [2, 3]: its fallbacks (last dims not a multiple of 4).
    const n = shape.reduce((a, d) => a * d, 1);
    const v = Array.from({ length: n }, (_, i) => (i % 3) - 1);
    v[0] = negNaN;
    v[1] = NaN;
    const x = f32(v, shape);
    const relu = await (bind('relu', [x], {}) as tf.Tensor).data();
    assert.ok(Number.isNaN(relu[0]!) && Number.isNaN(relu[1]!), `relu of NaNs on ${shape}: ${relu[0]}, ${relu[1]}`);
    const lead = shape.slice(0, -1).map((_, i) => i);
    for (const prim of ['reduce_sum', 'reduce_max'] as const) {
      const r = await (bind(prim, [x], { axes: lead }) as tf.Tensor).data();
      assert.ok(Number.isNaN(r[0]!) && Number.isNaN(r[1]!), `${prim} over rows of a column with NaN on ${shape}: ${Array.from(r)}`);
    }
  }
});

Explicit('dot: all four transpose flags against the reference, with batch dims, and their gradients', async () => {
  const r = rng(7);
  for (const tA of [false, true])
    for (const tB of [false, true]) {
      const t: Template = { args: [arg(tA ? [2, 3, 4] : [2, 4, 3]), arg(tB ? [2, 5, 3] : [2, 3, 5])], params: { transposeA: tA, transposeB: tB } };
      const spec = specs.find((s) => s.prim === 'dot')!;
      await checkAll(spec, t, r.int(0, 1e9), 2);
    }
});

Explicit('gather and scatter_add with batched indices (both operands batched, and indices only)', async () => {
  const gatherSpec = specs.find((s) => s.prim === 'gather')!;
  const scatterSpec = specs.find((s) => s.prim === 'scatter_add')!;
  const x = f32([0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15], [2, 2, 3]); // batch of 2 of [2, 3]
  const idx = tf.tensor([[2, 0], [1, 1]], [2, 2], 'int32'); // per-example indices into axis 1
  const out = vmap((x: NdArray, i: NdArray) => bind('gather', [x, i], { axis: 1 }))(x, idx) as tf.Tensor;
  assert.equal(out.shape, [2, 2, 2]);
  assert.equal(Array.from(await out.data()), [2, 0, 5, 3, 11, 11, 14, 14]);
  const only = vmap((i: NdArray) => bind('gather', [f32([10, 20, 30]), i], { axis: 0 }))(idx) as tf.Tensor;
  assert.equal(Array.from(await only.data()), [30, 10, 20, 20]);
  const upd = f32([1, 2, 3, 4], [2, 2]);
  const sc = vmap((u: NdArray, i: NdArray) => bind('scatter_add', [u, i], { axis: 0, size: 3 }))(upd, idx) as tf.Tensor;
  assert.equal(Array.from(await sc.data()), [2, 0, 1, 0, 7, 0]);
  // And the property checks with the index argument always mapped.
  for (let k = 0; k < 3; k++) {
    await checkAll(gatherSpec, { args: [arg([3, 4]), arg([2, 3], 'int:0:4')], params: { axis: 1 } }, 100 + k, 3);
    await checkAll(scatterSpec, { args: [arg([2, 3, 2]), arg([3], 'int:0:3')], params: { axis: 1, size: 3 } }, 200 + k, 2);
  }
});

Explicit('gather from an array with no entries keeps its result shape (flip, take and index of empty arrays)', async () => {
  // tfjs wasm's GatherV2 returned its internal rank-4 view ([1, 1, 0, 3]) when x had no entries.
  for (const dtype of ['float32', 'int32', 'bool'] as const) {
    const g = bind('gather', [tf.zeros([2, 0], dtype), tf.tensor1d([1, 0, 1], 'int32')], { axis: 0 }) as tf.Tensor;
    assert.equal([g.shape, g.dtype], [[3, 0], dtype], `gather ${dtype}`);
    const e = tf.zeros([0, 3], dtype);
    for (const [what, y] of [
      ['flip', np.flip(e)],
      ['jit flip', jit((v: NdArray) => np.flip(v, 1))(e)],
      ['take', np.take(e, tf.tensor1d([2, 0], 'int32'), 1)],
      ['index', np.index(e, ':', '::-1')],
    ] as const)
      assert.equal([(y as tf.Tensor).shape, (y as tf.Tensor).dtype], [what === 'take' ? [0, 2] : [0, 3], dtype], `${what} ${dtype}`);
  }
});

Explicit('float32 arithmetic on rank 7 arrays', async () => {
  // tfjs wasm's XNNPACK add/sub/mul/div take at most 6 dims: at rank 7 they left the output unwritten.
  const shape = [2, 1, 2, 1, 2, 1, 3];
  const x = f32(Array.from({ length: 24 }, (_, i) => i - 11.5), shape);
  const y = f32(Array.from({ length: 12 }, (_, i) => (i % 5) + 1), [1, 2, 1, 2, 1, 1, 3]);
  const out = [2, 2, 2, 2, 2, 1, 3];
  const at = (d: number[], s: number[], idx: number[]) => d[idx.reduce((f, v, k) => f * s[k] + (s[k] === 1 ? 0 : v), 0)];
  const coords = (flat: number) => out.map((_, k) => Math.floor(flat / out.slice(k + 1).reduce((a, b) => a * b, 1)) % out[k]);
  const [xd, yd] = [Array.from(x.dataSync()), Array.from(y.dataSync())];
  const ref = (f: (a: number, b: number) => number) => Array.from({ length: 96 }, (_, i) => Math.fround(f(at(xd, shape, coords(i)), at(yd, [1, 2, 1, 2, 1, 1, 3], coords(i)))));
  for (const [p, f] of [['add', (a: number, b: number) => a + b], ['sub', (a: number, b: number) => a - b], ['mul', (a: number, b: number) => a * b], ['div', (a: number, b: number) => a / b], ['max', Math.max], ['min', Math.min], ['pow', (a: number, b: number) => a ** b]] as const) {
    const r = bind(p, [x, y]) as tf.Tensor;
    assert.equal(r.shape, out, p);
    // pow is exp(b log a) on some backends: the transcendental tolerance of the elementwise tests above.
    const tol = p === 'pow' ? TRANSCENDENTAL : { rtol: 1e-6, atol: 0 };
    allClose(await r.data(), ref(f), tol, p);
    allClose(await (bind(p, [x, x]) as tf.Tensor).data(), xd.map((v) => Math.fround(f(v, v))), tol, `${p} (same shapes)`);
  }
  // webgpu: np.sort of a rank-6 array still fails there (its select and reductions refuse rank 7; docs/backends.md).
  if (backend === 'webgpu') return;
  const sorted = np.sort(f32(Array.from({ length: 48 }, (_, i) => ((i * 29) % 48) - 20), [2, 2, 1, 3, 2, 2]), 3) as tf.Tensor;
  const sd = Array.from(await sorted.data());
  for (let i = 0; i < 48; i++) if (Math.floor(i / 4) % 3 !== 2) assert.ok(sd[i]! <= sd[i + 4]!, `sorted along axis 3 at ${i}`);
});

Explicit('pad with interior padding and a value, and its transpose (a strided slice)', async () => {
  const x = f32([1, 2, 3, 4], [2, 2]);
  const y = bind('pad', [x], { low: [1, 0], high: [0, 2], interior: [1, 2], value: -1 }) as tf.Tensor;
  assert.equal(y.shape, [4, 6]);
  assert.equal(Array.from(await y.data()), [-1, -1, -1, -1, -1, -1, 1, -1, -1, 2, -1, -1, -1, -1, -1, -1, -1, -1, 3, -1, -1, 4, -1, -1]);
  const g = grad((x: NdArray) => bind('reduce_sum', [bind('mul', [bind('pad', [x], { low: [1, 0], high: [0, 2], interior: [1, 2], value: -1 }), f32(Array.from({ length: 24 }, (_, i) => i), [4, 6])])], { axes: [0, 1] }))(x) as tf.Tensor;
  assert.equal(Array.from(await g.data()), [6, 9, 18, 21]);
});

Explicit('strided slice and broadcast_in_dim', async () => {
  const x = f32(Array.from({ length: 20 }, (_, i) => i), [4, 5]);
  const s = bind('slice', [x], { start: [1, 0], limit: [4, 5], strides: [2, 3] }) as tf.Tensor;
  assert.equal(s.shape, [2, 2]);
  assert.equal(Array.from(await s.data()), [5, 8, 15, 18]);
  const b = bind('broadcast_in_dim', [f32([1, 2], [2, 1])], { shape: [3, 2, 2], dims: [1, 2] }) as tf.Tensor;
  assert.equal(Array.from(await b.data()), [1, 1, 2, 2, 1, 1, 2, 2, 1, 1, 2, 2]);
});

Explicit('rank 5 and 6 arrays (as vmap makes them): pad, strided slice, broadcast, select, and friends', async () => {
  // tfjs's webgpu Pad, StridedSlice, Tile and Select kernels fail above rank 4 (see lib/core/lower/tfjs-kernels.ts).
  const find = (name: string) => specs.find((s) => s.name === name || s.prim === name)!;
  const cases: [string, Template][] = [
    ['pad', { args: [arg([2, 1, 3, 2, 2])], params: { low: [1, 0, 2, 0, 1], high: [0, 1, 1, 2, 0], interior: [1, 0, 1, 2, 0], value: -1.5 } }],
    ['pad', { args: [arg([2, 2, 1, 2, 1, 2])], params: { low: [1, 0, 0, 1, 0, 1], high: [0, 1, 1, 0, 2, 0], interior: [0, 1, 0, 1, 0, 0], value: 0 } }],
    ['slice', { args: [arg([3, 2, 4, 2, 3])], params: { start: [0, 1, 1, 0, 0], limit: [3, 2, 4, 2, 3], strides: [2, 1, 2, 1, 2] } }],
    ['slice', { args: [arg([3, 2, 4, 2, 3, 2])], params: { start: [1, 0, 0, 1, 0, 0], limit: [3, 2, 4, 2, 3, 2], strides: [1, 2, 3, 1, 2, 1] } }],
    ['broadcast_in_dim', { args: [arg([2, 3])], params: { shape: [2, 2, 3, 2, 2], dims: [1, 2] } }],
    ['broadcast_in_dim', { args: [arg([2, 1, 2, 1, 2, 1])], params: { shape: [2, 3, 2, 3, 2, 3], dims: [0, 1, 2, 3, 4, 5] } }],
    ['select', { args: [arg([2, 1, 3, 1, 2], 'bool'), arg([2, 2, 3, 2, 1]), arg([1, 2, 1, 2, 2])], params: {} }],
    ['select', { args: [arg([2, 1, 2, 1, 2, 1], 'bool'), arg([1, 2, 1, 2, 1, 2]), arg([2, 2, 2, 2, 2, 2])], params: {} }],
    ['transpose', { args: [arg([2, 3, 1, 2, 2])], params: { perm: [4, 2, 0, 3, 1] } }],
    ['reduce_sum', { args: [arg([2, 3, 1, 2, 2])], params: { axes: [1, 3] } }],
    ['reduce_max (distinct values)', { args: [arg([2, 3, 1, 2, 2], 'distinct')], params: { axes: [0, 4] } }],
    ['gather', { args: [arg([2, 3, 2, 2, 2]), arg([2], 'int:0:3')], params: { axis: 1 } }],
    ['concatenate', { args: [arg([2, 1, 2, 2, 2]), arg([2, 2, 2, 2, 2])], params: { axis: 1 } }],
    ['mul', { args: [arg([2, 1, 2, 1, 2]), arg([1, 2, 1, 2, 2])], params: {} }],
    ['max', { args: [arg([2, 1, 2, 1, 2, 2], 'gridA'), arg([1, 2, 1, 2, 1, 2], 'gridB')], params: {} }],
    ['dot (every transpose flag, batch dims)', { args: [arg([2, 1, 2, 3, 2]), arg([2, 1, 2, 2, 3])], params: { transposeA: false, transposeB: false } }],
  ];
  for (const [name, t] of cases) await checkAll(find(name), t, 11, 2, t.args[0].shape.length < 6);
});

Explicit('round is half-to-even and floor/sign are exact, on every backend', async () => {
  const x = f32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51]);
  assert.equal(Array.from(await (bind('round', [x]) as tf.Tensor).data()).map((v) => v + 0), [-2, -2, 0, 0, 2, 2, 0, -1]);
  assert.equal(Array.from(await (bind('floor', [x]) as tf.Tensor).data()), [-3, -2, -1, 0, 1, 2, 0, -1]);
  assert.equal(Array.from(await (bind('sign', [f32([-3, 0, 2])]) as tf.Tensor).data()).map((v) => v + 0), [-1, 0, 1]);
});

Explicit('random: Threefry-2x32 known answers (Random123) and uniform in [0, 1)', async () => {
  // Random123 kat_vectors, threefry2x32 with 20 rounds: counter, key -> output.
  const kats: [number[], number[], number[]][] = [
    [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x243f6a88, 0x85a308d3], [0x13198a2e, 0x03707344], [0xc4923a9c, 0x483df7a0]],
  ];
  for (const [ctr, key, want] of kats) {
    assert.equal(threefry(key[0], key[1], ctr[0], ctr[1]), want, 'test reference');
    // random_bits with salt s > 0 gives the two words at counter (0, s - 1) (JAX 0.5+ split / fold_in).
    const k = tf.tensor([key[0] | 0, key[1] | 0], [2], 'int32');
    const bits = bind('random_bits', [k], { shape: [2], salt: ctr[1] + 1 }) as tf.Tensor;
    if (ctr[0] === 0) assert.equal(Array.from(await bits.data()), [want[0] | 0, want[1] | 0], 'random_bits');
  }
  const u = bind('random_uniform', [tf.tensor([1, 2], [2], 'int32')], { shape: [1000], salt: 3 }) as tf.Tensor;
  const vals = Array.from(await u.data());
  assert.ok(vals.every((v) => v >= 0 && v < 1));
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

Explicit('random keys computed on the device (not uploaded from the host) work, also under vmap with a moved key axis', async () => {
  const keys = tf.add(tf.tensor(Array.from({ length: 2048 }, (_, i) => i), [2, 1024], 'int32'), tf.scalar(1, 'int32')); // [2, 1024]: key axis first
  const run = () => vmap((k: NdArray) => bind('random_uniform', [k], { shape: [2], salt: 0 }), { inAxes: 1 })(keys) as tf.Tensor;
  if (backend === 'webgpu') {
    // KNOWN LIMITATION: the random primitives compute Threefry on the host from key.dataSync(),
    // and a synchronous read of GPU memory is impossible in Node (tfjs needs OffscreenCanvas).
    // Until the bits are computed on the device, this must at least fail loudly, never return numbers.
    assert.throws(run, /PRNG key could not be read synchronously on the webgpu backend/);
    return;
  }
  const out = run();
  assert.equal(out.shape, [1024, 2]);
  const first = Array.from(await (bind('random_uniform', [tf.tensor([1, 1025], [2], 'int32')], { shape: [2], salt: 0 }) as tf.Tensor).data());
  assert.equal(Array.from(await out.data()).slice(0, 2), first);
});

Explicit.run();

// ---------------------------------------------------------------- second order through conv

const Conv2 = suite(`primitives: conv derivatives of second order (grad of grad) [${backend}]`);

/**
 * L(x, w) = sum(tanh(conv(x, w)) * R). Its gradient uses conv_bp_input and conv_bp_filter; the
 * gradient of <grad L, S> (grad of grad) uses their VJPs. The reference gradient is built from
 * the float64 host references, and its directional derivative by finite differences in float64.
 */
function gradLRef(x: H, w: H, R: H, p: ConvP): [H, H] {
  const y = convRef(x, w, p);
  const dy = mk(y.shape, 'float32', y.data.map((v, i) => (1 - Math.tanh(v) ** 2) * R.data[i]));
  return [convBpInputRef(dy, w, { ...p, inputShape: x.shape }), convBpFilterRef(x, dy, { ...p, filterShape: w.shape })];
}

Conv2('property: grad of grad through conv, conv_bp_input and conv_bp_filter against float64 finite differences', async () => {
  await fc.assert(
    fc.asyncProperty(convArb(), fc.integer({ min: 0, max: 2 ** 31 - 1 }), async ({ xs, ws, p }, seed) => {
      await tidyAsync(async () => {
        const r = rng(seed);
        const x = fillArg(arg(xs), r);
        const w = fillArg(arg(ws), r);
        const R = fillArg(arg(convOut(xs, ws, p)), r);
        const [Sx, Sw] = [fillArg(arg(xs), r), fillArg(arg(ws), r)];
        const [ux, uw] = [fillArg(arg(xs), r), fillArg(arg(ws), r)];
        const Rt = toTensor(R);
        const L = (x: NdArray, w: NdArray) => bind('reduce_sum', [bind('mul', [bind('tanh', [bind('conv', [x, w], { ...p })]), Rt])], { axes: [0, 1, 2, 3] });
        const gL = grad(L, { argnums: [0, 1] }) as (x: NdArray, w: NdArray) => NdArray[];
        // First order against the float64 reference.
        const [gx, gw] = gL(toTensor(x), toTensor(w));
        const [rx, rw] = gradLRef(x, w, R, p);
        closeH(await fromTensor(gx), rx, { rtol: 1e-4, atol: 1e-5 }, 'grad_x L');
        closeH(await fromTensor(gw), rw, { rtol: 1e-4, atol: 1e-5 }, 'grad_w L');
        // Second order: M(x, w) = <grad_x L, Sx> + <grad_w L, Sw>; compare <grad M, u> with FD of the reference.
        const St = [toTensor(Sx), toTensor(Sw)];
        const M = (x: NdArray, w: NdArray) => {
          const [a, b] = gL(x, w);
          const ax = [0, 1, 2, 3];
          return bind('add', [bind('reduce_sum', [bind('mul', [a, St[0]])], { axes: ax }), bind('reduce_sum', [bind('mul', [b, St[1]])], { axes: ax })]);
        };
        const [hx, hw] = (grad(M, { argnums: [0, 1] })(toTensor(x), toTensor(w)) as NdArray[]).map((t) => t as tf.Tensor);
        const [hxd, hwd] = [await fromTensor(hx), await fromTensor(hw)];
        const an = dot(hxd.data, ux.data) + dot(hwd.data, uw.data);
        const m = (e: number) => {
          const xe = mk(x.shape, 'float32', x.data.map((v, i) => v + e * ux.data[i]));
          const we = mk(w.shape, 'float32', w.data.map((v, i) => v + e * uw.data[i]));
          const [a, b] = gradLRef(xe, we, R, p);
          return dot(a.data, Sx.data) + dot(b.data, Sw.data);
        };
        const h = 1e-3;
        const fd = (8 * (m(h) - m(-h)) - (m(2 * h) - m(-2 * h))) / (12 * h);
        const scale = absDot(hxd.data, ux.data) + absDot(hwd.data, uw.data) + 1e-3;
        // The second-order rules accumulate over two convolutions (a few hundred float32 terms): 1e-3 of the scale.
        assert.ok(Math.abs(an - fd) <= 1e-3 * scale, `grad of grad: analytic ${an}, finite differences ${fd}, scale ${scale}`);
        // JVP of the gradient (forward over reverse) agrees with reverse over reverse.
        const [, tg] = jvp((x: NdArray, w: NdArray) => gL(x, w), [toTensor(x), toTensor(w)], [toTensor(ux), toTensor(uw)]);
        const [tx, tw] = await Promise.all((tg as NdArray[]).map(fromTensor));
        const fo = dot(tx.data, Sx.data) + dot(tw.data, Sw.data);
        assert.ok(Math.abs(fo - an) <= 1e-3 * scale, `forward over reverse ${fo} vs reverse over reverse ${an}`);
      });
    }),
    { numRuns: backend === 'webgpu' ? 2 : 15 },
  );
});

Conv2.run();
