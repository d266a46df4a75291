/**
 * Shared plumbing of the augmentations: batch checks, per-sample random draws from a key
 * (through `lib/random`, one value per sample from a `[B]`-shaped draw), per-sample
 * selection, and the eager memory scope.
 */
import { type NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';

/** Dimensions of an NHWC batch. */
export interface BatchDims {
  readonly b: number;
  readonly h: number;
  readonly w: number;
  readonly c: number;
}

/** Checks that `images` is a float32 NHWC batch and returns its dimensions. */
export function dimsOf(images: NdArray, fn: string): BatchDims {
  const s = images.shape;
  const dtype = images.dtype;
  if (s.length !== 4) throw new Error(`${fn}: expected an NHWC batch [B, H, W, C], got shape [${s.join(', ')}]`);
  if (dtype !== 'float32') throw new Error(`${fn}: expected float32 images in [0, 1], got ${dtype}`);
  return { b: s[0], h: s[1], w: s[2], c: s[3] };
}

/** Checks a probability. */
export function checkProb(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new Error(`${what} must be a probability in [0, 1], got ${p}`);
}

/** Checks an interval [lo, hi] with lo <= hi (and optional bounds). */
export function checkRange(r: readonly [number, number], what: string, lo = -Infinity, hi = Infinity): void {
  if (!(Array.isArray(r) && r.length === 2 && r[0] <= r[1] && r[0] >= lo && r[1] <= hi)) {
    throw new Error(`${what} must be an interval [lo, hi] with ${lo} <= lo <= hi <= ${hi}, got ${JSON.stringify(r)}`);
  }
}

/** `n` independent keys from `key`. */
export function splitKey(key: NdArray, n: number): NdArray[] {
  return random.split(key, n);
}

/** Uniform floats in [lo, hi) of `shape` (the constant lo when lo = hi, a degenerate range). */
export function uniform(key: NdArray, shape: readonly number[], lo = 0, hi = 1): NdArray {
  if (hi === lo) return np.full(shape, lo);
  return random.uniform(key, [...shape], { minval: lo, maxval: hi });
}

/** A bool `[n]` mask, each entry true with probability `p` (all-true for p = 1, all-false for p = 0). */
export function coin(key: NdArray, n: number, p: number): NdArray {
  return np.less(uniform(key, [n]), p);
}

/** Reshapes a per-sample `[B]` array to `[B, 1, 1, 1]` so it broadcasts over NHWC. */
export function perSample(v: NdArray): NdArray {
  return np.reshape(v, [v.shape[0], 1, 1, 1]);
}

/**
 * With probability p per sample, `fn(images)`, else `images` (a float blend with the 0/1
 * mask, exact for finite values), with the static shortcuts: p = 0 never evaluates `fn`,
 * p = 1 needs no mask.
 */
export function applyWithProb(key: NdArray, images: NdArray, p: number, fn: (x: NdArray) => NdArray): NdArray {
  if (p <= 0) return images;
  const out = fn(images);
  if (p >= 1) return out;
  return select01(perSample(np.cast(coin(key, images.shape[0], p), 'float32')), out, images);
}

// ---- Elementwise helpers that stay on tfjs-wasm's fast paths. ----
// On wasm, tfjs's max / min / comparisons / select with a broadcast operand (np's number
// literals are [1, ..., 1] arrays) run ~60-90 ns per element, 10-60x slower than add / mul /
// abs / sign with the same broadcast (lib/core now materialises such operands first, which
// costs an extra pass). These helpers use only add, mul, abs and sign, and are exact.

/** `max(x, 0)`, exactly, as `(x + |x|) / 2`. */
export function relu(x: NdArray): NdArray {
  return np.mul(np.add(x, np.abs(x)), 0.5);
}

/** `min(max(x, 0), 1)`, exactly (for |x| < 2^24): `relu(x) - relu(x - 1)`. */
export function clamp01(x: NdArray): NdArray {
  return np.sub(relu(x), relu(np.sub(x, 1)));
}

/** `min(x, 1)`, exactly: `x - relu(x - 1)`. */
export function min1(x: NdArray): NdArray {
  return np.sub(x, relu(np.sub(x, 1)));
}

/** float32 `x >= 0 ? 1 : 0`, exactly, from `sign`: `(s + 1 + (1 - |s|)) / 2`. */
export function step(x: NdArray): NdArray {
  const s = np.sign(x);
  return np.mul(np.add(np.add(s, 1), np.sub(1, np.abs(s))), 0.5);
}

/** `m ? a : b` for a float 0/1 mask `m` broadcast against a and b: `a·m + b·(1 - m)`, exact for finite values. */
export function select01(m: NdArray, a: NdArray, b: NdArray): NdArray {
  return np.add(np.mul(a, m), np.mul(b, np.sub(1, m)));
}

/** ITU-R 601-2 luma, as torchvision's `rgb_to_grayscale`: [B, H, W, 3] -> [B, H, W, 1]. */
export function luma(images: NdArray): NdArray {
  const r = np.sliceAxis(images, 3, 0, 1);
  const g = np.sliceAxis(images, 3, 1, 2);
  const b = np.sliceAxis(images, 3, 2, 3);
  return np.add(np.add(np.mul(r, 0.2989), np.mul(g, 0.587)), np.mul(b, 0.114));
}

/** float32 [0, 1, ..., n-1] reshaped to `shape` (which holds n). */
export function iota(n: number, shape: readonly number[]): NdArray {
  return np.reshape(np.arange(0, n, 1, 'float32'), shape);
}
