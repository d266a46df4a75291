/**
 * Counter-based random numbers (Threefry-2x32, 20 rounds, as in JAX and Random123).
 * A key is an int32 array [..., 2]; leading key dims batch natively, so vmap over keys
 * is one kernel call. Bits are computed on the host from the key's two words, so the
 * same key gives the same numbers on every backend and in every process.
 */
import * as tf from '@tensorflow/tfjs-core';
import { type Aval, avalStr, sizeOf } from '../aval.js';
import * as lax from '../lax.js';
import { type PrimitiveDef, definePrimitives } from '../primitive.js';
import { bind } from '../trace.js';

/** The key's words, read on the host (Threefry runs there so every backend agrees). */
function readKey(key: tf.Tensor): Int32Array {
  try {
    return key.dataSync() as Int32Array;
  } catch (e) {
    throw new Error(
      `random: the PRNG key could not be read synchronously on the ${tf.getBackend()} backend (${(e as Error).message}); ` +
        'random numbers are computed on the host from the key: sample on cpu or wasm',
    );
  }
}

const ROT = [13, 15, 26, 6, 17, 29, 16, 24];

function rotl(x: number, r: number): number {
  return ((x << r) | (x >>> (32 - r))) >>> 0;
}

/** Threefry-2x32 of the counter (c0, c1) under key (k0, k1); writes two words into out[o], out[o+1]. */
export function threefry2x32(k0: number, k1: number, c0: number, c1: number, out: Uint32Array, o: number): void {
  const ks = [k0 >>> 0, k1 >>> 0, (0x1bd11bda ^ k0 ^ k1) >>> 0];
  let x0 = (c0 + ks[0]) >>> 0;
  let x1 = (c1 + ks[1]) >>> 0;
  for (let block = 0; block < 5; block++) {
    for (let i = 0; i < 4; i++) {
      const r = ROT[(block % 2) * 4 + i];
      x0 = (x0 + x1) >>> 0;
      x1 = rotl(x1, r) ^ x0;
    }
    x0 = (x0 + ks[(block + 1) % 3]) >>> 0;
    x1 = (x1 + ks[(block + 2) % 3] + block + 1) >>> 0;
  }
  out[o] = x0;
  out[o + 1] = x1;
}

/** `n` words per key from counters (i, salt), i = 0, 1, ... */
function bitsFor(keys: Int32Array, n: number, salt: number): Uint32Array {
  const nk = keys.length / 2;
  const half = Math.ceil(n / 2);
  const out = new Uint32Array(nk * n);
  const pair = new Uint32Array(2);
  for (let k = 0; k < nk; k++) {
    for (let i = 0; i < half; i++) {
      threefry2x32(keys[2 * k], keys[2 * k + 1], i, salt, pair, 0);
      out[k * n + 2 * i] = pair[0];
      if (2 * i + 1 < n) out[k * n + 2 * i + 1] = pair[1];
    }
  }
  return out;
}

type RandP = { shape: number[]; salt: number };

function randomAval(op: string, [k]: readonly Aval[], { shape }: RandP, dtype: 'int32' | 'float32'): Aval {
  if (k.dtype !== 'int32' || k.shape[k.shape.length - 1] !== 2) throw new Error(`${op}: a PRNG key is an int32 array of shape [2] (or [..., 2]), got ${avalStr(k)}`);
  return { shape: [...k.shape.slice(0, -1), ...shape], dtype };
}

function randomDef(op: 'random_bits' | 'random_uniform', convert: (bits: Uint32Array) => Int32Array | Float32Array): PrimitiveDef<RandP> {
  const dtype = op === 'random_bits' ? 'int32' : 'float32';
  return {
    abstractEval: (avals, p) => randomAval(op, avals, p, dtype),
    impl([key], p) {
      const out = randomAval(op, [{ shape: key.shape, dtype: 'int32' }], p, dtype).shape;
      return tf.tensor(convert(bitsFor(readKey(key), sizeOf(p.shape), p.salt)), [...out], dtype);
    },
    jvp: (_t, _p, out) => lax.zerosLike(out),
    vjp: () => [null],
    batch: ([k], [d], p) => [bind(op, [lax.moveAxis(k, d!, 0)], p), 0],
    nonDifferentiable: true,
  };
}

/** The 24-bit uniform of a word, as random_uniform makes it: (w >>> 8) * 2^-24 in [0, 1). */
const unit24 = (w: number) => (w >>> 8) * 2 ** -24;

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

type NormalP = RandP & { lower?: number; upper?: number };

/**
 * Standard normal floats computed on the host in double precision and rounded to
 * float32, so they are bit-identical on every backend. Each output uses two words of
 * `bitsFor(key, 2 * size, salt)`: u1 = unit24(word i), u2 = unit24(word size + i).
 * - unbounded: Box-Muller, sqrt(-2 log(1 - u1)) cos(2 pi u2) (1 - u1 > 0: no log(0));
 * - with `lower`/`upper` (in standard deviations): the inverse CDF, sqrt2 * erfinv(v)
 *   with v uniform in the open interval (erf(lower/sqrt2), erf(upper/sqrt2)) from
 *   u1 + 2^-25, clamped to [lower, upper].
 */
const randomNormal: PrimitiveDef<NormalP> = {
  abstractEval: (avals, p) => randomAval('random_normal', avals, p, 'float32'),
  impl([key], p) {
    const outShape = randomAval('random_normal', [{ shape: key.shape, dtype: 'int32' }], p, 'float32').shape;
    const keys = readKey(key);
    const size = sizeOf(p.shape);
    const nk = keys.length / 2;
    const out = new Float32Array(nk * size);
    const bounded = p.lower !== undefined || p.upper !== undefined;
    const lower = p.lower ?? -Infinity;
    const upper = p.upper ?? Infinity;
    const lo = erfHost(lower / Math.SQRT2);
    const hi = erfHost(upper / Math.SQRT2);
    for (let k = 0; k < nk; k++) {
      const w = bitsFor(keys.subarray(2 * k, 2 * k + 2), 2 * size, p.salt);
      for (let i = 0; i < size; i++) {
        const u1 = unit24(w[i]);
        if (bounded) {
          const v = lo + (u1 + 2 ** -25) * (hi - lo);
          const x = Math.SQRT2 * erfinvHost(Math.min(Math.max(v, -1 + 2 ** -53), 1 - 2 ** -53));
          out[k * size + i] = Math.min(Math.max(x, lower), upper);
        } else {
          out[k * size + i] = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * unit24(w[size + i]));
        }
      }
    }
    return tf.tensor(out, [...outShape], 'float32');
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([k], [d], p) => [bind('random_normal', [lax.moveAxis(k, d!, 0)], p), 0],
  nonDifferentiable: true,
};

/**
 * A uniformly random permutation of 0..n-1 per key: the argsort of n words of
 * `bitsFor(key, n, salt)` on the host, ties broken by index, so it is the same on every
 * backend. Leading key dims batch natively (key [..., 2] -> int32 [..., n]).
 */
const randomPermutation: PrimitiveDef<{ n: number; salt: number }> = {
  abstractEval([k], { n }) {
    if (!Number.isInteger(n) || n < 0) throw new Error(`random_permutation: n must be a non-negative integer, got ${n}`);
    return randomAval('random_permutation', [k], { shape: [n], salt: 0 }, 'int32');
  },
  impl([key], { n, salt }) {
    const keys = readKey(key);
    const nk = keys.length / 2;
    const out = new Int32Array(nk * n);
    const idx = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < nk; k++) {
      const w = bitsFor(keys.subarray(2 * k, 2 * k + 2), n, salt);
      const order = idx.slice().sort((a, b) => w[a] - w[b] || a - b);
      out.set(order, k * n);
    }
    return tf.tensor(out, [...key.shape.slice(0, -1), n], 'int32');
  },
  jvp: (_t, _p, out) => lax.zerosLike(out),
  vjp: () => [null],
  batch: ([k], [d], p) => [bind('random_permutation', [lax.moveAxis(k, d!, 0)], p), 0],
  nonDifferentiable: true,
};

definePrimitives({
  random_normal: randomNormal,
  random_permutation: randomPermutation,
  random_bits: randomDef('random_bits', (b) => new Int32Array(b.buffer)),
  // 24 high bits -> [0, 1) exactly representable in float32.
  random_uniform: randomDef('random_uniform', (b) => {
    const out = new Float32Array(b.length); // a plain loop: Float32Array.from(b, fn) is ~10x slower in V8
    for (let i = 0; i < b.length; i++) out[i] = (b[i] >>> 8) * 2 ** -24;
    return out;
  }),
});
