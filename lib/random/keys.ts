/** Keys (key, split, foldIn) and the draws every distribution builds on: bits, uniform, normal, truncatedNormal, bernoulli, randint, permutation. */
import * as tf from '@tensorflow/tfjs-core';
import { type DType, type NdArray, SAMPLE_STREAM, type Shape, isTracer, keyStream, lax, scope, shapeStr } from '../core/index.js';
import * as np from '../ops/index.js';
import { checkShape, concreteCount, pairHalves, sampleShape } from './shapes.js';

/** A PRNG key: int32 [2] (or a stack of keys [..., 2]). */
export type Key = NdArray;

const SAMPLE_SALT = SAMPLE_STREAM;
/** split's keys: the blocks at counters (0, 0), (0, 1), ... (JAX 0.5's `_threefry_split_foldlike`). */
const SPLIT_SALT = keyStream(0);
const MAX_FOLD = 0xffffffff;

/** Throws unless key is a key or a stack of keys; returns the number of leading (batch) dims. */
export function checkKey(key: Key, op: string): number {
  if (!(key instanceof tf.Tensor || isTracer(key))) {
    const got = Array.isArray(key) ? `a JS list of ${(key as unknown[]).length} values` : key === null ? 'null' : typeof key;
    throw new Error(`random.${op}: a key is an int32 array of shape [2] (or [..., 2]), got ${got}; for several keys (to vmap over) use random.splitKeys(key, n), an [n, 2] array, not random.split's JS list`);
  }
  const { dtype, shape } = key;
  if (dtype !== 'int32' || shape.length < 1 || shape[shape.length - 1] !== 2)
    throw new Error(`random.${op}: a key is an int32 array of shape [2] (or [..., 2]), got ${dtype}${shapeStr(shape)}; make one with random.key(seed)`);
  return shape.length - 1;
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

/**
 * Raw random bits: int32 of shape [...keyDims, ...shape] (all 32 bits random), the bit patterns
 * of jax.random.bits (uint32, JAX 0.5+): word j is the xor of the two words of Threefry at counter (0, j).
 */
export function bits(key: Key, shape: Shape = []): NdArray {
  checkKey(key, 'bits');
  return lax.randomBits(key, checkShape(shape, 'bits'), SAMPLE_SALT);
}

/** The dims of `num` new keys: a count n, or a shape (jax.random.split's `num` tuple). */
function splitDims(n: number | Shape, op: string): number[] {
  const dims = Array.isArray(n) ? [...n] : [n as number];
  // n = 0 is allowed (no keys, [..., 0, 2]), as jax.random.split(key, 0).
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`random.${op}: n must be a non-negative integer or a list of them, got ${JSON.stringify(n)}`);
  return dims;
}

/**
 * `n` new keys from one key, as one [..., n, 2] array (handy for `vmap` over keys); `n` may be
 * a shape, giving [..., ...n, 2] (as jax.random.split(key, (2, 3))), the same keys as
 * splitKeys(key, product of n) reshaped.
 * @example const keys = random.splitKeys(key, 8); vmap((k) => random.normal(k, [3]))(keys)
 */
export function splitKeys(key: Key, n: number | Shape = 2): NdArray {
  checkKey(key, 'splitKeys');
  return lax.randomBits(key, [...splitDims(n, 'splitKeys'), 2], SPLIT_SALT);
}

/**
 * `n` new keys (default 2) from one key, as a JS array. The key itself should not be
 * used again. With a shape `n` = [n0, ...rest], the JS array of n0 arrays [...rest, 2] (what
 * unpacking jax.random.split(key, (n0, ...rest)) gives).
 * @example const [key, sub] = random.split(key);
 */
export function split(key: Key, n: number | Shape = 2): NdArray[] {
  const lead = checkKey(key, 'split');
  const dims = splitDims(n, 'split');
  if (dims.length === 0) throw new Error('random.split: n = [] gives a single key, not a list; use random.splitKeys(key, [])');
  // In a scope, so that an eager call leaves its n keys and none of the temporaries.
  return scope(() => {
    const all = splitKeys(key, dims);
    return Array.from({ length: dims[0] }, (_, i) => np.squeeze(np.sliceAxis(all, lead, i, i + 1), lead));
  });
}

/**
 * A new key from a key and an integer `data` in [0, 2^32 - 1] (a step, an epoch, a
 * device rank...; jax.random.fold_in takes any uint32): the two words of Threefry at
 * counter (0, data), as jax.random.fold_in (so, as in JAX 0.5+, foldIn(key, i) is key i of split(key, n)).
 * `data` may also be an int32 array, traced under jit or batched under vmap (as JAX's
 * `fold_in(key, step)` in a jitted step), read as uint32 bits (-1 is 2^32 - 1); its shape
 * broadcasts against the key's leading dims: key [...K, 2], data [...D] give [...broadcast(K, D), 2].
 * @example const stepKey = random.foldIn(key, step);
 */
export function foldIn(key: Key, data: number | NdArray): NdArray {
  const lead = checkKey(key, 'foldIn');
  if (typeof data !== 'number') return foldInArray(key, lead, data);
  if (!Number.isInteger(data) || data < 0 || data > MAX_FOLD) throw new Error(`random.foldIn: data must be an integer in [0, ${MAX_FOLD}], got ${data}`);
  return lax.randomBits(key, [2], keyStream(data));
}

/** foldIn with int32 array data: key dims and data padded to one rank, then the fold-in primitive. */
function foldInArray(key: Key, lead: number, data: NdArray): NdArray {
  if (!(data instanceof tf.Tensor || isTracer(data)) || data.dtype !== 'int32') {
    const got = data instanceof tf.Tensor || isTracer(data) ? `${data.dtype}${shapeStr(data.shape)}` : typeof data;
    throw new Error(`random.foldIn: data must be a number or an int32 array (uint32 bits), got ${got}`);
  }
  const keyDims = key.shape.slice(0, lead);
  const rank = np.broadcastShapesFor('random.foldIn (key dims and data)', [keyDims, data.shape]).length;
  const ones = (dims: readonly number[]) => Array<number>(rank - dims.length).fill(1);
  return scope(() => lax.randomFoldIn(np.reshape(key, [...ones(keyDims), ...key.shape]), np.reshape(data, [...ones(data.shape), ...data.shape])));
}

/** Uniform [0, 1) floats with 23 random bits (JAX's: (w >>> 9) 2^-23), [...keyDims, ...shape]. */
function unit(key: Key, shape: Shape, op: string): NdArray {
  checkKey(key, op);
  return lax.randomUniform(key, checkShape(shape, op), SAMPLE_SALT);
}

/** The largest float32 strictly below x. */
function float32Below(x: number): number {
  if (Math.fround(x) < x) return Math.fround(x);
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

/** The smallest float32 strictly above x. */
const float32Above = (x: number) => -float32Below(-x);

export interface UniformOptions {
  /** Lower bound: a number, or an array that broadcasts to `shape` (default 0). */
  readonly minval?: number | NdArray;
  /** Upper bound (excluded): a number, or an array that broadcasts to `shape` (default 1). */
  readonly maxval?: number | NdArray;
}

/**
 * Uniform floats in [minval, maxval) (default [0, 1); `shape` default []), with 23 random
 * bits each, as jax.random.uniform (JAX 0.5+ bits): the same float32s for the same key
 * (except where JAX's rounding reaches maxval: here the float32 below it). The bounds may be
 * arrays broadcasting to `shape`, as in JAX; where maxval <= minval every value is minval (JAX's max(minval, ...)), so a zero-width range gives that constant.
 * JAX's positional `(key, shape, 'float32', minval, maxval)` is taken too.
 * @example random.uniform(key, [2, 3], { minval: -1, maxval: 1 })
 */
export function uniform(key: Key, shape: Shape = [], optionsOrDType: UniformOptions | DType = {}, minvalArg?: number | NdArray, maxvalArg?: number | NdArray): NdArray {
  // JAX's positional form, uniform(key, shape, dtype, minval, maxval), as a port from Python writes it.
  if (typeof optionsOrDType === 'string' && optionsOrDType !== 'float32') throw new Error(`random.uniform: dtype must be float32 (a float dtype, as jax.random.uniform), got ${optionsOrDType}`);
  const { minval = 0, maxval = 1 }: UniformOptions = typeof optionsOrDType === 'string' ? { minval: minvalArg, maxval: maxvalArg } : optionsOrDType;
  if (typeof minval !== 'number' || typeof maxval !== 'number') return uniformBetweenArrays(key, sampleShape('uniform', shape, minval, maxval), minval, maxval);
  // JAX computes max(minval, minval + u (maxval - minval)): minval where maxval <= minval, NaN for a NaN bound.
  if (!(maxval > minval)) return scope(() => np.add(np.mul(unit(key, shape, 'uniform'), 0), Number.isNaN(maxval) ? NaN : minval));
  if (minval === 0 && maxval === 1) return unit(key, shape, 'uniform');
  // JAX's float32 arithmetic: max(lo, u * (hi - lo) + lo) with lo, hi, hi - lo rounded to float32.
  // Rounding may reach maxval (JAX then returns maxval), and minval itself may round down below
  // minval, so both ends are also capped at float32s inside [minval, maxval).
  const lo = Math.fround(minval);
  const span = Math.fround(Math.fround(maxval) - lo);
  return scope(() => {
    const x = np.minimum(np.maximum(np.add(np.mul(unit(key, shape, 'uniform'), span), lo), lo), float32Below(maxval));
    return Math.fround(minval) < minval ? np.maximum(x, float32AtLeast(minval)) : x;
  });
}

/** uniform with array bounds: minval + u (maxval - minval), kept in [minval, maxval) where maxval > minval. */
function uniformBetweenArrays(key: Key, shape: Shape, minval: number | NdArray, maxval: number | NdArray): NdArray {
  return scope(() => {
    const lo = np.cast(typeof minval === 'number' ? np.full([], minval, 'float32') : minval, 'float32');
    const hi = np.cast(typeof maxval === 'number' ? np.full([], maxval, 'float32') : maxval, 'float32');
    const x = np.add(np.mul(unit(key, shape, 'uniform'), np.sub(hi, lo)), lo);
    // Where rounding reaches maxval, a float32 just below it (|maxval| 2^-23 is at least one
    // step of float32 there); minval stays the floor.
    const below = np.sub(hi, np.maximum(np.mul(np.abs(hi), 2 ** -23), 1.1754943508222875e-38));
    return np.maximum(np.where(np.greaterEqual(x, hi), below, x), lo);
  });
}

/**
 * Standard normal floats as jax.random.normal: sqrt(2) erfinv(u), u = uniform(key, shape,
 * nextafter(-1, 0), 1) (JAX's float32 uniform, bit for bit). erfinv is evaluated on the host in
 * double precision and the result rounded once to float32, so it is the same on every backend
 * and within an ulp of the exact value; XLA's float32 erfinv is a polynomial, so JAX's own
 * results may differ from these in the last bits.
 * @example np.add(np.mul(random.normal(key, [3]), sigma), mu)
 */
export function normal(key: Key, shape: Shape = []): NdArray {
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
  // erfinv(+-1) = +-inf (XLA's erf_inv too); the polynomials give NaN there. Without gradient,
  // so the unselected inf branch sends no 0 * inf back.
  return np.where(np.equal(np.abs(x), 1), np.stopGradient(np.mul(x, Infinity)), np.mul(np.where(small, p1, p2), x));
}

/**
 * Normal floats truncated to the open interval (lower, upper) (in standard deviations), by
 * jax.random.truncated_normal's inverse CDF: with the float32 bounds' a = erf(lower/sqrt2),
 * b = erf(upper/sqrt2), u = JAX's float32 uniform(key, shape, a, b) (bit for bit), then
 * sqrt2 erfinv(u) clamped to the float32s strictly inside the bounds (as JAX, whose samples lie
 * in the open interval; PyTorch's and timm's `trunc_normal_` invert the CDF the same way). No
 * rejection loop, so it costs the same for any bounds. Two call forms:
 * - tfjax's `truncatedNormal(key, shape, lower = -2, upper = 2)`, number bounds;
 * - JAX's `truncatedNormal(key, lower, upper, shape?)` (jax.random.truncated_normal): the
 *   bounds may be arrays, which broadcast to `shape` (default: their broadcast shape).
 * With number bounds the draw is computed on the host (erf and erfinv in double precision,
 * rounded once): bit-identical on every backend; with array bounds, in float32 ops (erfinv
 * by XLA's polynomial). JAX's own float32 erf and erfinv may differ from these in the last
 * bits, which the slope of erfinv near the bounds magnifies.
 * @example np.mul(random.truncatedNormal(key, [384, 1536]), 0.02) // timm's trunc_normal_(std=.02)
 * @example random.truncatedNormal(key, np.array([-1, 0]), 1, [5, 2]) // JAX's argument order
 */
export function truncatedNormal(key: Key, shape: Shape, lower?: number, upper?: number): NdArray;
export function truncatedNormal(key: Key, lower: number | NdArray, upper: number | NdArray, shape?: Shape): NdArray;
export function truncatedNormal(key: Key, a: Shape | number | NdArray, b?: number | NdArray, c?: Shape | number): NdArray {
  if (Array.isArray(a)) return truncatedBetweenNumbers(key, a, b ?? -2, (c as number | undefined) ?? 2);
  const [lower, upper] = [a as number | NdArray, b as number | NdArray];
  if (c !== undefined && !Array.isArray(c)) throw new Error(`random.truncatedNormal: in the form (key, lower, upper, shape) shape must be a list of non-negative integers, got ${JSON.stringify(c)}`);
  if (upper === undefined) throw new Error('random.truncatedNormal: give (key, shape, lower?, upper?) or (key, lower, upper, shape?)');
  const s = sampleShape('truncatedNormal', c, lower, upper);
  if (typeof lower === 'number' && typeof upper === 'number') return truncatedBetweenNumbers(key, s, lower, upper);
  return truncatedBetweenArrays(key, s, lower, upper);
}

/** truncatedNormal with number bounds: on the host, then clamped strictly inside the float32 bounds. */
function truncatedBetweenNumbers(key: Key, shape: Shape, lower: number | NdArray, upper: number | NdArray): NdArray {
  if (typeof lower !== 'number' || typeof upper !== 'number') throw new Error('random.truncatedNormal: in the form (key, shape, lower, upper) the bounds must be numbers; for array bounds use (key, lower, upper, shape)');
  checkKey(key, 'truncatedNormal');
  const s = checkShape(shape, 'truncatedNormal');
  // An empty or NaN interval: JAX's formula, which gives the float32 below upper (or NaN).
  if (!(upper > lower)) return truncatedBetweenArrays(key, s, lower, upper);
  // JAX's clip to (nextafter(lower, inf), nextafter(upper, -inf)) of the float32 bounds; an
  // infinite bound clips at the largest finite float32 (where erfinv gave inf).
  return scope(() => np.clip(lax.randomNormal(key, s, SAMPLE_SALT, { lower, upper }), float32Above(Math.fround(lower)), float32Below(Math.fround(upper))));
}

/** truncatedNormal with array bounds (broadcasting to shape), in float32 ops as jax.random.truncated_normal. */
function truncatedBetweenArrays(key: Key, shape: Shape, lower: number | NdArray, upper: number | NdArray): NdArray {
  return scope(() => {
    const lo = np.cast(typeof lower === 'number' ? np.full([], lower, 'float32') : lower, 'float32');
    const hi = np.cast(typeof upper === 'number' ? np.full([], upper, 'float32') : upper, 'float32');
    const ea = np.erf(np.div(lo, Math.SQRT2));
    const eb = np.erf(np.div(hi, Math.SQRT2));
    // JAX's uniform(key, shape, ea, eb): max(ea, u (eb - ea) + ea) in float32.
    const u = np.maximum(np.add(np.mul(unit(key, shape, 'truncatedNormal'), np.sub(eb, ea)), ea), ea);
    const x = np.mul(erfinvOps(u), Math.SQRT2);
    return np.clip(x, np.nextafter(np.stopGradient(lo), Infinity), np.nextafter(np.stopGradient(hi), -Infinity));
  });
}

/** How bernoulli draws: one uniform per sample ('low', JAX's default) or two ('high'). */
export type BernoulliMode = 'low' | 'high';

/**
 * Bernoulli draws: true with probability p (default 1/2, as jax.random.bernoulli; a number
 * or a float32 array broadcast against `shape`; `shape` defaults to p's shape). `mode` as JAX's:
 * 'low' (default) compares one uniform with p (23 bits: p below ~1e-7 is biased), 'high' uses
 * two, u2 2^-23 < p - u1 (good down to p ~1e-14).
 * @example const keep = random.bernoulli(key, 0.9, [16, 128]);
 */
export function bernoulli(key: Key, p: number | NdArray = 0.5, shape?: Shape, mode: BernoulliMode = 'low'): NdArray {
  if (mode !== 'low' && mode !== 'high') throw new Error(`random.bernoulli: mode must be 'low' or 'high', got '${String(mode)}'`);
  // JAX raises for a non-float p (its uniform would be cast to p's dtype).
  if (typeof p !== 'number' && p.dtype !== 'float32') throw new Error(`random.bernoulli: p must be a number or a float32 array, got ${p.dtype}${shapeStr(p.shape)}`);
  const s = sampleShape('bernoulli', shape, p);
  if (mode === 'low') return scope(() => np.less(unit(key, s, 'bernoulli'), p));
  return scope(() => {
    const [u1, u2] = pairHalves(unit(key, [2, ...s], 'bernoulli'), s);
    return np.less(np.mul(u2, 2 ** -23), np.sub(p, u1));
  });
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** A number bound of randint as JAX casts it to int: truncated toward zero; an error outside the int32 range (maxval may be 2^31). */
function intBound(v: number, minval: string, maxval: string): number {
  const t = Math.trunc(v);
  if (!Number.isInteger(t) || t < INT32_MIN || t > INT32_MAX + 1) throw new Error(`random.randint: bounds must be integers in the int32 range (non-integers are truncated), got ${minval}, ${maxval}`);
  return t;
}

/**
 * Uniform int32 in [minval, maxval), as jax.random.randint (int32, JAX 0.5+), bit for bit:
 * k1, k2 = split(key), two words per sample reduced modulo the span in uint32 arithmetic
 * (lower/host-random.ts `randomRandint`; JAX's modulo bias included). Where maxval <= minval
 * the result is minval (JAX's issue 222). The bounds are numbers in the int32 range (maxval up
 * to 2^31; non-integers are truncated toward zero, as JAX casts float bounds to int) or arrays
 * that broadcast to `shape` (cast to int32).
 * @example random.randint(key, [8], 0, 10)
 */
export function randint(key: Key, shape: Shape, minval: number | NdArray, maxval: number | NdArray): NdArray {
  checkKey(key, 'randint');
  const s = checkShape(sampleShape('randint', shape, minval, maxval), 'randint');
  const shown = (v: number | NdArray) => (typeof v === 'number' ? String(v) : 'an array');
  const [lo, hi] = [minval, maxval].map((v) => (typeof v === 'number' ? intBound(v, shown(minval), shown(maxval)) : v));
  if (typeof lo === 'number' && typeof hi === 'number') return lax.randomRandint(key, s, SAMPLE_SALT, Math.min(lo, INT32_MAX), hi);
  // Array bounds: int32, as JAX's astype(int); a number bound joins them as an int32 scalar (clipped as JAX clips to the dtype).
  const asArray = (v: number | NdArray) => (typeof v === 'number' ? np.full([], Math.min(v, INT32_MAX), 'int32') : np.cast(v, 'int32'));
  return scope(() => lax.randomRandint(key, s, SAMPLE_SALT, asArray(lo), asArray(hi)));
}

/**
 * A uniformly random permutation of 0..n-1 (int32 [n]; the argsort of 32-bit random
 * words, ties broken by index), or, given an array, that array shuffled along `axis`
 * (default 0; jax.random.permutation): one permutation of the slices along `axis`, or with
 * `independent` each 1-D fibre along `axis` shuffled on its own. A 0-d array holding an
 * integer counts as n (as in JAX; it must be concrete).
 * @example random.permutation(key, 5) // e.g. [3, 0, 4, 1, 2]
 * @example random.permutation(key, x, 1, true) // each row of x shuffled independently
 */
export function permutation(key: Key, x: number | NdArray, axis = 0, independent = false): NdArray {
  checkKey(key, 'permutation');
  const n = typeof x === 'number' || x.shape.length > 0 ? x : concreteCount(x, 'permutation');
  if (typeof n === 'number') {
    if (!Number.isInteger(n) || n < 0) throw new Error(`random.permutation: n must be a non-negative integer, got ${n}`);
    np.normalizeAxisIndex(axis, 1, 'random.permutation');
    return lax.randomPermutation(key, n, SAMPLE_SALT);
  }
  const a = np.normalizeAxisIndex(axis, n.shape.length, 'random.permutation');
  if (key.shape.length !== 1) throw new Error('random.permutation: shuffling an array needs a single key [2] (use vmap for several)');
  if (independent && n.shape.length > 1) return scope(() => shuffleFibres(key, n, a));
  return scope(() => np.take(n, lax.randomPermutation(key, n.shape[a], SAMPLE_SALT), a));
}

/**
 * x with each fibre along `axis` shuffled on its own, as JAX's `_shuffle(key, x, axis)`:
 * ceil(3 ln(size) / ln(2^32 - 1)) rounds (size = x's element count), each
 * `key, sub = split(key)` then a stable sort along `axis` by bits(sub, x.shape) as uint32.
 */
function shuffleFibres(key: Key, x: NdArray, axis: number): NdArray {
  const size = x.shape.reduce((p, d) => p * d, 1);
  const rounds = Math.ceil((3 * Math.log(Math.max(1, size))) / Math.log(2 ** 32 - 1));
  const along = x.shape.map((d, i) => (i === axis ? d : 1));
  let order = np.broadcastTo(np.reshape(np.arange(0, x.shape[axis], 1, 'int32'), along), x.shape);
  let k = key;
  for (let r = 0; r < rounds; r++) {
    const [next, sub] = split(k);
    // Flipping the sign bit orders int32 words as their uint32 values.
    order = np.takeAlongAxis(order, np.argsort(np.bitwiseXor(bits(sub, x.shape), INT32_MIN), axis), axis);
    k = next;
  }
  return np.takeAlongAxis(x, order, axis);
}
