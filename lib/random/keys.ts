/** Keys (key, split, foldIn) and the draws every distribution builds on: bits, uniform, normal, truncatedNormal, bernoulli, randint, permutation. */
import * as tf from '@tensorflow/tfjs-core';
import { type NdArray, type Shape, canReadBack, isTracer, lax, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';

/** A PRNG key: int32 [2] (or a stack of keys [..., 2]). */
export type Key = NdArray;

const SAMPLE_SALT = 0;
const SPLIT_SALT = 0xffffffff;
const MAX_FOLD = 0xffffffff - 2;

function checkKey(key: Key, op: string): number {
  const { dtype, shape } = key;
  if (dtype !== 'int32' || shape.length < 1 || shape[shape.length - 1] !== 2)
    throw new Error(`random.${op}: a key is an int32 array of shape [2] (or [..., 2]), got ${dtype}${shapeStr(shape)}; make one with random.key(seed)`);
  return shape.length - 1;
}

function checkShape(shape: Shape, op: string): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`random.${op}: shape must be a list of non-negative integers, got ${JSON.stringify(shape)}`);
  return [...shape];
}

/**
 * A key from an integer seed (any safe integer, negative included): the seed's 64-bit
 * two's complement split into [high word, low word], as `jax.random.PRNGKey` does.
 * @example random.key(42) // int32 [0, 42]
 */
export function key(seed: number): tf.Tensor {
  if (!Number.isSafeInteger(seed)) throw new Error(`random.key: the seed must be a safe integer, got ${seed}`);
  const s = BigInt.asUintN(64, BigInt(seed));
  const hi = Number(s >> 32n) | 0;
  const lo = Number(s & 0xffffffffn) | 0;
  return tf.tensor1d([hi, lo], 'int32');
}

/** Raw random bits: int32 of shape [...keyDims, ...shape] (all 32 bits random). */
export function bits(key: Key, shape: Shape): NdArray {
  checkKey(key, 'bits');
  return lax.randomBits(key, checkShape(shape, 'bits'), SAMPLE_SALT);
}

/**
 * `n` new keys from one key, as one [..., n, 2] array (handy for `vmap` over keys).
 * @example const keys = random.splitKeys(key, 8); vmap((k) => random.normal(k, [3]))(keys)
 */
export function splitKeys(key: Key, n = 2): NdArray {
  checkKey(key, 'splitKeys');
  // n = 0 is allowed (no keys, [..., 0, 2]), as jax.random.split(key, 0).
  if (!Number.isInteger(n) || n < 0) throw new Error(`random.splitKeys: n must be a non-negative integer, got ${n}`);
  return lax.randomBits(key, [n, 2], SPLIT_SALT);
}

/**
 * `n` new keys (default 2) from one key, as a JS array. The key itself should not be
 * used again.
 * @example const [key, sub] = random.split(key);
 */
export function split(key: Key, n = 2): NdArray[] {
  const lead = checkKey(key, 'split');
  // In a scope, so that an eager call leaves its n keys and none of the temporaries.
  return scope(() => {
    const all = splitKeys(key, n);
    return Array.from({ length: n }, (_, i) => np.squeeze(np.sliceAxis(all, lead, i, i + 1), lead));
  });
}

/**
 * A new key from a key and an integer `data` in [0, 2^32 - 3] (a step, an epoch, a
 * device rank...): the two words of Threefry at counter (0, data + 1).
 * @example const stepKey = random.foldIn(key, step);
 */
export function foldIn(key: Key, data: number): NdArray {
  checkKey(key, 'foldIn');
  if (!Number.isInteger(data) || data < 0 || data > MAX_FOLD) throw new Error(`random.foldIn: data must be an integer in [0, ${MAX_FOLD}], got ${data}`);
  return lax.randomBits(key, [2], data + 1);
}

/** Uniform [0, 1) floats with 24 random bits, [...keyDims, ...shape]. */
function unit(key: Key, shape: Shape, op: string): NdArray {
  checkKey(key, op);
  return lax.randomUniform(key, checkShape(shape, op), SAMPLE_SALT);
}

/** The largest float32 below x. */
function float32Below(x: number): number {
  const f = new Float32Array([x]);
  const i = new Int32Array(f.buffer);
  if (f[0] === 0) return -(2 ** -149);
  i[0] += f[0] > 0 ? -1 : 1;
  return f[0];
}

/** The largest float32 at most x (x itself when float32 holds it). */
function float32AtMost(x: number): number {
  return Math.fround(x) <= x ? Math.fround(x) : float32Below(x);
}

/** The smallest float32 at least x. */
const float32AtLeast = (x: number) => -float32AtMost(-x);

export interface UniformOptions {
  readonly minval?: number;
  readonly maxval?: number;
}

/**
 * Uniform floats in [minval, maxval) (default [0, 1)), with 24 random bits each.
 * @example random.uniform(key, [2, 3], { minval: -1, maxval: 1 })
 */
export function uniform(key: Key, shape: Shape, { minval = 0, maxval = 1 }: UniformOptions = {}): NdArray {
  if (!(maxval > minval)) throw new Error(`random.uniform: maxval (${maxval}) must exceed minval (${minval})`);
  if (minval === 0 && maxval === 1) return unit(key, shape, 'uniform');
  // minval + u * (maxval - minval) with u >= 0, but in float32: rounding may reach maxval, and
  // minval itself may round down below minval, so both ends are capped at float32s inside.
  return scope(() => {
    const x = np.minimum(np.add(np.mul(unit(key, shape, 'uniform'), maxval - minval), minval), float32Below(maxval));
    return Math.fround(minval) < minval ? np.maximum(x, float32AtLeast(minval)) : x;
  });
}

/**
 * Standard normal floats by Box-Muller, sqrt(-2 log(1 - u1)) cos(2 pi u2), from two
 * 24-bit uniforms per value (1 - u1 lies in (0, 1], so the log is finite; |z| <= 5.8).
 * Computed on the host in double precision, so the float32 results are bit-identical on
 * every backend.
 * @example np.add(np.mul(random.normal(key, [3]), sigma), mu)
 */
export function normal(key: Key, shape: Shape): NdArray {
  checkKey(key, 'normal');
  return lax.randomNormal(key, checkShape(shape, 'normal'), SAMPLE_SALT);
}

/**
 * The inverse error function of an array, float32 accuracy (M. Giles, "Approximating
 * the erfinv function", GPU Computing Gems, 2010: the single-precision polynomial that
 * XLA also uses). Differentiable through its operations.
 */
export function erfinv(x: NdArray): NdArray {
  return scope(() => erfinvOps(x));
}

function erfinvOps(x: NdArray): NdArray {
  const w = np.neg(np.log(np.mul(np.sub(1, x), np.add(1, x))));
  const small = np.less(w, 5);
  const poly = (t: NdArray, cs: number[]) => cs.slice(1).reduce<NdArray>((p, c) => np.add(np.mul(p, t), c), np.add(np.mul(t, 0), cs[0]));
  const w1 = np.sub(w, 2.5);
  const p1 = poly(w1, [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]);
  const w2 = np.sub(np.sqrt(np.maximum(w, 5)), 3);
  const p2 = poly(w2, [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]);
  return np.mul(np.where(small, p1, p2), x);
}

/**
 * Normal floats truncated to [lower, upper] (in standard deviations; default [-2, 2]),
 * by the inverse CDF, as JAX and PyTorch's `trunc_normal_` do: v uniform in the OPEN
 * interval (erf(lower/sqrt2), erf(upper/sqrt2)) (the 24-bit uniform is offset by half a
 * step, so erfinv never sees +-1), x = sqrt2 * erfinv(v), clamped to [lower, upper].
 * No rejection loop, so it costs the same for any bounds. Computed on the host in double
 * precision (erfinv by M. Giles' polynomial): bit-identical on every backend.
 * @example np.mul(random.truncatedNormal(key, [384, 1536]), 0.02) // timm's trunc_normal_(std=.02)
 */
export function truncatedNormal(key: Key, shape: Shape, lower = -2, upper = 2): NdArray {
  if (!(upper > lower)) throw new Error(`random.truncatedNormal: upper (${upper}) must exceed lower (${lower})`);
  checkKey(key, 'truncatedNormal');
  const s = checkShape(shape, 'truncatedNormal');
  // The host clamps in double precision; rounding the result to float32 can step past a bound
  // that float32 cannot hold (upper = 0.500001 rounds up), so such a bound is clamped again at
  // the nearest float32 inside it.
  const fixLower = Math.fround(lower) < lower;
  const fixUpper = Math.fround(upper) > upper;
  if (!fixLower && !fixUpper) return lax.randomNormal(key, s, SAMPLE_SALT, { lower, upper });
  return scope(() => {
    let x = lax.randomNormal(key, s, SAMPLE_SALT, { lower, upper });
    if (fixLower) x = np.maximum(x, float32AtLeast(lower));
    if (fixUpper) x = np.minimum(x, float32AtMost(upper));
    return x;
  });
}

/**
 * Bernoulli draws: true with probability p (a number or an array broadcast against
 * `shape`; `shape` defaults to p's shape).
 * @example const keep = random.bernoulli(key, 0.9, [16, 128]);
 */
export function bernoulli(key: Key, p: number | NdArray, shape?: Shape): NdArray {
  const s = shape ?? (typeof p === 'number' ? [] : p.shape);
  return scope(() => np.less(unit(key, s, 'bernoulli'), p));
}

/**
 * Uniform int32 in [minval, maxval): floor(u * (maxval - minval)) + minval with the
 * 24-bit uniform u, so maxval - minval must be at most 2^24 (bias below range / 2^24).
 * @example random.randint(key, [8], 0, 10)
 */
export function randint(key: Key, shape: Shape, minval: number, maxval: number): NdArray {
  if (!Number.isInteger(minval) || !Number.isInteger(maxval) || maxval <= minval) throw new Error(`random.randint: need integers minval < maxval, got ${minval}, ${maxval}`);
  const range = maxval - minval;
  if (range > 2 ** 24) throw new Error(`random.randint: the range maxval - minval = ${range} exceeds 2^24`);
  return scope(() => {
    const k = np.minimum(np.floor(np.mul(unit(key, shape, 'randint'), range)), range - 1);
    return np.add(np.cast(k, 'int32'), minval);
  });
}

/**
 * A uniformly random permutation of 0..n-1 (int32 [n]; the argsort of 32-bit random
 * words, ties broken by index), or, given an array, that array shuffled along axis 0.
 * A 0-d array holding an integer counts as n (as in JAX; it must be concrete).
 * @example random.permutation(key, 5) // e.g. [3, 0, 4, 1, 2]
 */
export function permutation(key: Key, n: number | NdArray): NdArray {
  checkKey(key, 'permutation');
  if (typeof n !== 'number' && n.shape.length === 0) {
    // The result's length is the value, so it has to be read now.
    if (isTracer(n) || !canReadBack()) throw new Error('random.permutation: a 0-d array n must be concrete (its value is the result length); pass a number under jit or vmap');
    const v = (n as tf.Tensor).dataSync()[0];
    if (!Number.isInteger(v) || v < 0) throw new Error(`random.permutation: a 0-d array must hold a non-negative integer, got ${v}`);
    n = v;
  }
  if (typeof n === 'number') {
    if (!Number.isInteger(n) || n < 0) throw new Error(`random.permutation: n must be a non-negative integer, got ${n}`);
    return lax.randomPermutation(key, n, SAMPLE_SALT);
  }
  const len = n.shape[0];
  if (key.shape.length !== 1) throw new Error('random.permutation: shuffling an array needs a single key [2] (use vmap for several)');
  return scope(() => np.take(n, lax.randomPermutation(key, len, SAMPLE_SALT), 0));
}
