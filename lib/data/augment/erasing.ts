/**
 * torchvision's `RandomErasing` on whole NHWC batches, a rectangle per sample drawn with
 * `RandomErasing.get_params`'s maths, vectorised over the batch and the 10 attempts.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import * as random from '../../random/index.js';
import { CROP_ATTEMPTS, type CropBoxes, firstFit } from './geometry.js';
import { checkProb, checkRange, coin, dimsOf, iota, perSample, select01, splitKey, uniform } from './util.js';

/** Options of {@link randomErasing}. */
export interface RandomErasingOptions {
  /** Probability of erasing a sample. Default 0.5. */
  readonly p?: number;
  /** Range of the erased area as a fraction of the image's. Default `[0.02, 0.33]`. */
  readonly scale?: readonly [number, number];
  /** Range of the rectangle's aspect ratio height / width, sampled log-uniformly. Default `[0.3, 3.3]`. */
  readonly ratio?: readonly [number, number];
  /** Fill: one number, one per channel, or 'random' (standard normal noise per pixel). Default 0. */
  readonly value?: number | readonly number[] | 'random';
}

/**
 * `RandomErasing.get_params`, per sample (`[B]` each): of 10 attempts with area
 * `H·W·U(scale)` and aspect `exp(U(log ratio))`, `h = round(sqrt(area·aspect))`,
 * `w = round(sqrt(area / aspect))` (half to even), the first with `h < H` and `w < W` wins,
 * its corner uniform over the integer positions; when none fits, an empty box (no erasing;
 * torchvision returns the image itself then).
 */
export function sampleErasingBoxes(key: NdArray, dims: { b: number; h: number; w: number }, scale: readonly [number, number] = [0.02, 0.33], ratio: readonly [number, number] = [0.3, 3.3]): CropBoxes {
  checkRange(scale, 'randomErasing: scale', 0, Infinity);
  checkRange(ratio, 'randomErasing: ratio', Number.MIN_VALUE, Infinity);
  const { b, h: H, w: W } = dims;
  const [kArea, kRatio, kTop, kLeft] = splitKey(key, 4);
  const area = np.mul(uniform(kArea, [b, CROP_ATTEMPTS], scale[0], scale[1]), H * W);
  const aspect = np.exp(uniform(kRatio, [b, CROP_ATTEMPTS], Math.log(ratio[0]), Math.log(ratio[1])));
  const hs = np.round(np.sqrt(np.mul(area, aspect)));
  const ws = np.round(np.sqrt(np.div(area, aspect)));
  const first = firstFit(np.logicalAnd(np.less(hs, H), np.less(ws, W)));
  const height = np.sum(np.mul(hs, first), 1); // 0 when nothing fits
  const width = np.sum(np.mul(ws, first), 1);
  const top = np.floor(np.mul(uniform(kTop, [b]), np.sub(H + 1, height)));
  const left = np.floor(np.mul(uniform(kLeft, [b]), np.sub(W + 1, width)));
  return { top, left, height, width };
}

/** Float 0/1 mask `[B, n]` of the indices in `[start, start + len)` per sample. */
function spanMask(start: NdArray, len: NdArray, n: number): NdArray {
  const i = iota(n, [1, n]);
  const s = np.reshape(start, [-1, 1]);
  return np.cast(np.logicalAnd(np.greaterEqual(i, s), np.less(i, np.add(s, np.reshape(len, [-1, 1])))), 'float32');
}

/**
 * torchvision's `RandomErasing(p, scale, ratio, value)` on a batch of float images: with
 * probability p per sample, a rectangle ({@link sampleErasingBoxes}) is filled with
 * `value` (0 by default, per-channel values, or 'random': standard normal noise, as
 * `value='random'`). Applied after `Normalize` in torchvision's recipes, so values are
 * not clamped.
 * @example randomErasing(key, x, { p: 0.25, value: 'random' })
 */
export function randomErasing(key: NdArray, images: NdArray, opts: RandomErasingOptions = {}): NdArray {
  const d = dimsOf(images, 'randomErasing');
  const p = opts.p ?? 0.5;
  checkProb(p, 'randomErasing: p');
  const value = opts.value ?? 0;
  if (Array.isArray(value) && value.length !== d.c && value.length !== 1) throw new Error(`randomErasing: value has ${value.length} entries for ${d.c} channels`);
  if (p <= 0) return images;
  return scope(() => {
    const [kBox, kApply, kNoise] = splitKey(key, 3);
    const box = sampleErasingBoxes(kBox, d, opts.scale, opts.ratio);
    const rows = np.reshape(spanMask(box.top, box.height, d.h), [d.b, d.h, 1, 1]);
    const cols = np.reshape(spanMask(box.left, box.width, d.w), [d.b, 1, d.w, 1]);
    let mask = np.mul(rows, cols);
    if (p < 1) mask = np.mul(mask, perSample(np.cast(coin(kApply, d.b, p), 'float32')));
    const fill =
      value === 'random' ? random.normal(kNoise, [d.b, d.h, d.w, d.c]) : typeof value === 'number' ? np.full([1, 1, 1, 1], value) : np.array([...value], 'float32', [1, 1, 1, value.length]);
    return select01(mask, fill, images);
  });
}
