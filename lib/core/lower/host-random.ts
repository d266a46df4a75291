/**
 * The random primitives' kernels (prims/random.ts): Threefry bits computed on the host
 * from the key's two words, so the same key gives the same numbers on every backend and
 * in every process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { sizeOf } from '../aval.js';
import type { PrimParams } from '../prim-params.js';
import { bitsFor, keyStream, threefry2x32 } from '../prims/random.js';
import { activeBackend } from './active.js';

/** The key's words, read on the host (Threefry runs there so every backend agrees). */
function readKey(key: tf.Tensor): Int32Array {
  try {
    return key.dataSync() as Int32Array;
  } catch (e) {
    throw new Error(
      `random: the PRNG key could not be read synchronously on the ${activeBackend()} backend (${(e as Error).message}); ` +
        'random numbers are computed on the host from the key: sample on cpu or wasm',
    );
  }
}

/** `convert`ed words, `p.shape` of them per key. */
function fromBits(dtype: 'int32' | 'float32', convert: (bits: Uint32Array) => Int32Array | Float32Array) {
  return ([key]: tf.Tensor[], p: PrimParams['random_bits']): tf.Tensor =>
    tf.tensor(convert(bitsFor(readKey(key), sizeOf(p.shape), p.salt)), [...key.shape.slice(0, -1), ...p.shape], dtype);
}

/**
 * JAX's float32 uniform of a word: the float in [1, 2) with mantissa w >>> 9, minus 1, that is
 * (w >>> 9) 2^-23 in [0, 1) (jax.random.uniform's `_uniform`).
 */
const unit23 = (w: number) => (w >>> 9) * 2 ** -23;

/** nextafter(-1, 0) in float32: the lower bound of JAX's `_normal_real` uniform. */
const NORMAL_LO = -1 + 2 ** -24;

/**
 * JAX's normal of a word: sqrt(2) erfinv(u) with u = max(lo, fl32(unit23(w) * 2 + lo)),
 * lo = NORMAL_LO (JAX's uniform(lo, 1): hi - lo rounds to 2 in float32, so the product is exact);
 * erfinv in double precision, rounded once to float32 by the caller.
 */
function normalOfWord(w: number): number {
  const u = Math.max(NORMAL_LO, Math.fround(unit23(w) * 2 + NORMAL_LO));
  return Math.SQRT2 * erfinv64(u);
}

/** erfinv to double precision: M. Giles' polynomial (relative error ~4e-7) refined by one Newton step on erf. */
function erfinv64(y: number): number {
  if (!(Math.abs(y) < 1)) return Math.abs(y) === 1 ? y * Infinity : NaN;
  const x = erfinvHost(y);
  if (!Number.isFinite(x) || x === 0) return x;
  return x - (erfHost(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
}

/** erfinv in double arithmetic with M. Giles' single-precision polynomial (relative error ~1e-7). */
function erfinvHost(x: number): number {
  let w = -Math.log((1 - x) * (1 + x));
  let p: number;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = p * w + c;
  } else {
    w = Math.sqrt(w) - 3;
    p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = p * w + c;
  }
  return p * x;
}

/** erf in double precision (Maclaurin series below 2.5, continued fraction for erfc above). */
export function erfHost(x: number): number {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? NaN : Math.sign(x);
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 200; n++) {
      term *= (-ax * ax) / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = ax;
  let c = ax;
  let d = 0;
  for (let n = 1; n < 300; n++) {
    d = ax + (n / 2) * d;
    d = d === 0 ? 1e-300 : 1 / d;
    c = ax + n / 2 / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
}

/** erf(bound / sqrt2) in float32 as jax.random.truncated_normal takes it: the bound and sqrt2 rounded to float32, the quotient and erf rounded once. */
const erf32OfBound = (bound: number) => Math.fround(erfHost(Math.fround(Math.fround(bound) / Math.fround(Math.SQRT2))));

/**
 * jax.random.truncated_normal of a word, given a = erf(lower / sqrt2), b = erf(upper / sqrt2)
 * (float32): u = max(a, fl32(fl32(unit23(w) fl32(b - a)) + a)) (JAX's float32 uniform(a, b)),
 * then sqrt2 erfinv(u) in double precision (+-inf where u is +-1, as XLA's erf_inv).
 */
function truncatedOfWord(w: number, a: number, b: number): number {
  const u = Math.max(a, Math.fround(Math.fround(unit23(w) * Math.fround(b - a)) + a));
  return Math.SQRT2 * erfinv64(u);
}

/**
 * Standard normal floats computed on the host in double precision and rounded to
 * float32, so they are bit-identical on every backend. One word of `bitsFor(key, size, salt)`
 * per output:
 * - unbounded: JAX's normal (normalOfWord);
 * - with `lower`/`upper` (in standard deviations): jax.random.truncated_normal's inverse CDF
 *   (truncatedOfWord), which the caller clamps strictly inside the float32 bounds.
 */
function randomNormal([key]: tf.Tensor[], p: PrimParams['random_normal']): tf.Tensor {
  const outShape = [...key.shape.slice(0, -1), ...p.shape];
  const keys = readKey(key);
  const size = sizeOf(p.shape);
  const nk = keys.length / 2;
  const out = new Float32Array(nk * size);
  const bounded = p.lower !== undefined || p.upper !== undefined;
  const lower = p.lower ?? -Infinity;
  const upper = p.upper ?? Infinity;
  const [a, b] = [lower, upper].map(erf32OfBound);
  for (let k = 0; k < nk; k++) {
    const w = bitsFor(keys.subarray(2 * k, 2 * k + 2), size, p.salt);
    for (let i = 0; i < size; i++) {
      if (bounded) {
        out[k * size + i] = truncatedOfWord(w[i], a, b);
      } else {
        out[k * size + i] = normalOfWord(w[i]);
      }
    }
  }
  return tf.tensor(out, [...outShape], 'float32');
}

/**
 * A uniformly random permutation of 0..n-1 per key, as jax.random.permutation(key, n)
 * (`_shuffle` of arange(n)): ceil(3 ln(n) / ln(2^32 - 1)) rounds (1 for 2 <= n <= 1625), each
 * `key, sub = split(key)` then a stable sort of the array by `bits(sub, [n])` as uint32.
 * On the host, so it is the same on every backend.
 */
function randomPermutation([key]: tf.Tensor[], { n, salt }: PrimParams['random_permutation']): tf.Tensor {
  const keys = readKey(key);
  const nk = keys.length / 2;
  const out = new Int32Array(nk * n);
  const rounds = Math.ceil((3 * Math.log(Math.max(1, n))) / Math.log(2 ** 32 - 1));
  for (let k = 0; k < nk; k++) {
    let order = Array.from({ length: n }, (_, i) => i);
    let cur = keys.slice(2 * k, 2 * k + 2);
    for (let r = 0; r < rounds; r++) {
      const pair = new Int32Array(bitsFor(cur, 4, keyStream(0)).buffer);
      const w = bitsFor(pair.subarray(2, 4), n, salt);
      const pos = Array.from({ length: n }, (_, i) => i).sort((a, b) => w[a] - w[b] || a - b);
      order = pos.map((i) => order[i]);
      cur = pair.slice(0, 2);
    }
    out.set(order, k * n);
  }
  return tf.tensor(out, [...key.shape.slice(0, -1), n], 'int32');
}

/** XLA's unsigned remainder: x itself for a zero divisor. */
const remU32 = (x: number, m: number) => (m === 0 ? x : x % m);

/**
 * jax.random.randint's span for int32 (`_randint`): uint32(maxval - minval); 1 where maxval <= minval
 * (minval is returned); one more where maxval is past the int32 range (2^31, clipped to
 * 2^31 - 1 first), which wraps to 0 for the whole range (the remainders then do nothing).
 */
function randintSpan(minval: number, maxval: number): number {
  const hi = Math.min(maxval, 2 ** 31 - 1);
  if (hi <= minval) return 1;
  return (hi - minval + (maxval > hi ? 1 : 0)) % 2 ** 32;
}

/** The remainder (2^32 mod span) that `_randint` multiplies by: (2^16 rem span)^2, wrapped to uint32, rem span. */
function randintMultiplier(span: number): number {
  const m = remU32(2 ** 16, span);
  return remU32(Math.imul(m, m) >>> 0, span);
}

/** The bounds of each output element: the params, or the bound operands broadcast to the output shape and read on the host. */
function randintBounds(bounds: tf.Tensor[], p: PrimParams['random_randint'], outShape: number[]): [ArrayLike<number>, ArrayLike<number>] | [number, number] {
  if (bounds.length === 0) return [p.minval!, p.maxval!];
  const [lo, hi] = bounds.map((b) => tf.tidy(() => tf.broadcastTo(b, outShape).dataSync() as Int32Array));
  return [lo, hi];
}

/**
 * jax.random.randint (int32, JAX 0.5+) per key, exactly: k1, k2 = split(key); with the uint32
 * words h = bits(k1), l = bits(k2), the span of randintSpan and m = randintMultiplier(span),
 * offset = ((h rem span) m + (l rem span)) rem span, all in wrapping uint32 arithmetic; the
 * result is minval + offset wrapped to int32. Bounds from the params or per element from two
 * int32 operands.
 */
function randomRandint([key, ...bounds]: tf.Tensor[], p: PrimParams['random_randint']): tf.Tensor {
  const outShape = [...key.shape.slice(0, -1), ...p.shape];
  const keys = readKey(key);
  const size = sizeOf(p.shape);
  const nk = keys.length / 2;
  const out = new Int32Array(nk * size);
  const [lo, hi] = randintBounds(bounds, p, outShape);
  const fixed = typeof lo === 'number' ? randintSpan(lo, hi as number) : 0;
  const fixedMult = randintMultiplier(fixed);
  for (let k = 0; k < nk; k++) {
    const pair = new Int32Array(bitsFor(keys.subarray(2 * k, 2 * k + 2), 4, keyStream(0)).buffer);
    const h = bitsFor(pair.subarray(0, 2), size, p.salt);
    const l = bitsFor(pair.subarray(2, 4), size, p.salt);
    for (let i = 0; i < size; i++) {
      const j = k * size + i;
      const minval = typeof lo === 'number' ? lo : lo[j];
      const span = typeof lo === 'number' ? fixed : randintSpan(minval, (hi as ArrayLike<number>)[j]);
      const mult = typeof lo === 'number' ? fixedMult : randintMultiplier(span);
      out[j] = (minval + remU32((Math.imul(remU32(h[i], span), mult) + remU32(l[i], span)) >>> 0, span)) | 0;
    }
  }
  return tf.tensor(out, outShape, 'int32');
}

/** For each element of `shape` (row-major), the flat index of the element of `from` (same rank, dims equal or 1) that broadcasts to it. */
function broadcastSources(from: readonly number[], shape: readonly number[]): Int32Array {
  const out = new Int32Array(sizeOf(shape));
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < out.length; i++) {
    let src = 0;
    for (let d = 0; d < shape.length; d++) src = src * from[d] + (from[d] === 1 ? 0 : idx[d]);
    out[i] = src;
    for (let d = shape.length - 1; d >= 0 && ++idx[d] === shape[d]; d--) idx[d] = 0;
  }
  return out;
}

/**
 * jax.random.fold_in per key and data word: the keys [...K, 2] and the int32 data [...D]
 * (rank-equal, broadcasting) read on the host (not broadcast on the device first: webgpu
 * cannot read its own results synchronously), each pair of words Threefry-2x32 at counter
 * (0, data as uint32) under its key (as `bitsFor(key, 2, keyStream(data))`).
 */
function randomFoldIn([key, data]: tf.Tensor[]): tf.Tensor {
  const lead = key.shape.slice(0, -1);
  const shape = lead.map((d, i) => (d === 1 ? data.shape[i] : d));
  const [keys, words] = [readKey(key), readKey(data)];
  const [ks, ds] = [broadcastSources(lead, shape), broadcastSources(data.shape, shape)];
  const out = new Uint32Array(2 * ks.length);
  for (let i = 0; i < ks.length; i++) threefry2x32(keys[2 * ks[i]], keys[2 * ks[i] + 1], 0, words[ds[i]] >>> 0, out, 2 * i);
  return tf.tensor(new Int32Array(out.buffer), [...shape, 2], 'int32');
}

export const randomKernels = {
  random_normal: randomNormal,
  random_permutation: randomPermutation,
  random_randint: randomRandint,
  random_fold_in: randomFoldIn,
  random_bits: fromBits('int32', (b) => new Int32Array(b.buffer)),
  // JAX's 23 mantissa bits -> [0, 1), exact in float32.
  random_uniform: fromBits('float32', (b) => {
    const out = new Float32Array(b.length); // a plain loop: Float32Array.from(b, fn) is ~10x slower in V8
    for (let i = 0; i < b.length; i++) out[i] = unit23(b[i]);
    return out;
  }),
};
