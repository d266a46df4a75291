/**
 * The remaining photometric transforms of torchvision (the AutoAugment family's and
 * BYOL-style pipelines' `RandomAdjustSharpness`, `RandomAutocontrast`, `RandomEqualize`,
 * `RandomPosterize`, `RandomInvert`), with torchvision 0.14's `functional_tensor` maths on
 * float NHWC batches in [0, 1]. Each has a deterministic form (given its parameter, per
 * sample where it has one) and a keyed random form that applies it with probability p per
 * sample.
 *
 * torchvision's posterize and equalize take uint8 images only; here the byte of a float
 * pixel is `round(255·x)` (the inverse of `ToTensor`'s `byte / 255`), and the result is
 * `byte / 255` again, so a pipeline on `ToTensor` images gives the PIL / uint8 result.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { applyWithProb, checkProb, clamp01, dimsOf, perSample } from './util.js';

/** Per-sample factors `[B, 1, 1, 1]` from one number or a `[B]` array. */
function factorOf(f: number | NdArray): NdArray | number {
  return typeof f === 'number' ? f : perSample(f);
}

/** The bytes `round(255·clip(x, 0, 1))` of a float batch, as int32. */
function toBytes(x: NdArray): NdArray {
  return np.cast(np.round(np.mul(np.clip(x, 0, 1), 255)), 'int32');
}

/** Bytes (int32 or float) back to floats in [0, 1]. */
function fromBytes(q: NdArray): NdArray {
  return np.div(np.cast(q, 'float32'), 255);
}

/**
 * torchvision's `_blurred_degenerate_image`: the 3 x 3 smoothing kernel
 * `[[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13` on the interior pixels; the border pixels are
 * the image's own.
 */
function degenerate(x: NdArray): NdArray {
  const [, h, w, c] = x.shape;
  const k = np.array(Array.from({ length: 9 * c }, (_, i) => (Math.floor(i / c) === 4 ? 5 / 13 : 1 / 13)), 'float32', [3, 3, 1, c]);
  const inner = np.conv2d(x, k, { groups: c });
  const middle = np.concatenate([np.sliceAxis(np.sliceAxis(x, 1, 1, h - 1), 2, 0, 1), inner, np.sliceAxis(np.sliceAxis(x, 1, 1, h - 1), 2, w - 1, w)], 2);
  return np.concatenate([np.sliceAxis(x, 1, 0, 1), middle, np.sliceAxis(x, 1, h - 1, h)], 1);
}

/**
 * torchvision's `adjust_sharpness`: blends each image with its 3 x 3-smoothed version
 * (borders kept), `clamp(f·x + (1 - f)·smooth)`; f = 0 blurs, 1 is the identity, 2 sharpens.
 * `factor` is one number or per sample `[B]`. Images of height or width <= 2 are returned as is.
 */
export function adjustSharpness(images: NdArray, factor: number | NdArray): NdArray {
  const d = dimsOf(images, 'adjustSharpness');
  if (typeof factor === 'number' && !(factor >= 0)) throw new Error(`adjustSharpness: factor must be non-negative, got ${factor}`);
  if (d.h <= 2 || d.w <= 2) return images;
  return scope(() => {
    const f = factorOf(factor);
    return clamp01(np.add(np.mul(images, f), np.mul(degenerate(images), np.sub(1, f))));
  });
}

/** torchvision's `RandomAdjustSharpness(sharpnessFactor, p)`: {@link adjustSharpness} with probability p per sample. */
export function randomAdjustSharpness(key: NdArray, images: NdArray, opts: { readonly sharpnessFactor: number; readonly p?: number }): NdArray {
  const p = opts.p ?? 0.5;
  checkProb(p, 'randomAdjustSharpness: p');
  return scope(() => applyWithProb(key, images, p, (x) => adjustSharpness(x, opts.sharpnessFactor)));
}

/**
 * torchvision's `autocontrast`: each channel of each image is stretched linearly so that its
 * minimum goes to 0 and its maximum to 1, `clamp((x - min) / (max - min))`; a constant
 * channel is left as it is.
 */
export function autocontrast(images: NdArray): NdArray {
  dimsOf(images, 'autocontrast');
  return scope(() => {
    const lo = np.min(images, [1, 2], true);
    const hi = np.max(images, [1, 2], true);
    const flat = np.cast(np.equal(hi, lo), 'float32');
    // torchvision: where max == min the scale is not finite, and minimum 0, scale 1 are used.
    const scale = np.div(1, np.add(np.sub(hi, lo), flat));
    return clamp01(np.mul(np.sub(images, np.mul(lo, np.sub(1, flat))), scale));
  });
}

/** torchvision's `RandomAutocontrast(p)`: {@link autocontrast} with probability p per sample. */
export function randomAutocontrast(key: NdArray, images: NdArray, p = 0.5): NdArray {
  checkProb(p, 'randomAutocontrast: p');
  return scope(() => applyWithProb(key, images, p, autocontrast));
}

/** torchvision's `invert` for float images: `1 - x`. */
export function invert(images: NdArray): NdArray {
  dimsOf(images, 'invert');
  return np.sub(1, images);
}

/** torchvision's `RandomInvert(p)`: {@link invert} with probability p per sample. */
export function randomInvert(key: NdArray, images: NdArray, p = 0.5): NdArray {
  checkProb(p, 'randomInvert: p');
  return scope(() => applyWithProb(key, images, p, invert));
}

function checkBits(bits: number, fn: string): void {
  if (!(Number.isInteger(bits) && bits >= 0 && bits <= 8)) throw new Error(`${fn}: bits must be an integer in [0, 8], got ${bits}`);
}

/**
 * torchvision's `posterize(img, bits)`: keeps the `bits` high bits of each byte
 * (`byte & ~(2^(8 - bits) - 1)`), on the bytes `round(255·x)`; returns `byte / 255`.
 * `bits` is one integer in [0, 8] or per sample (int32 `[B]`).
 */
export function posterize(images: NdArray, bits: number | NdArray): NdArray {
  dimsOf(images, 'posterize');
  if (typeof bits === 'number') checkBits(bits, 'posterize');
  if (bits === 8) return images;
  return scope(() => {
    const unit = typeof bits === 'number' ? 2 ** (8 - bits) : perSample(np.leftShift(1, np.sub(8, np.cast(bits, 'int32'))));
    // byte & mask = floor(byte / unit)·unit (bytes are non-negative).
    return fromBytes(np.mul(np.floorDivide(toBytes(images), unit), unit));
  });
}

/** torchvision's `RandomPosterize(bits, p)`: {@link posterize} with probability p per sample. */
export function randomPosterize(key: NdArray, images: NdArray, opts: { readonly bits: number; readonly p?: number }): NdArray {
  const p = opts.p ?? 0.5;
  checkProb(p, 'randomPosterize: p');
  checkBits(opts.bits, 'randomPosterize');
  return scope(() => applyWithProb(key, images, p, (x) => posterize(x, opts.bits)));
}

/**
 * torchvision's `equalize`, per image and channel on the bytes `round(255·x)`: with `hist`
 * the 256-bin histogram and `step = floor((n - hist[max byte]) / 255)` (the pixels not of
 * the largest value), byte v becomes `min(255, floor((cdf(v - 1) + floor(step / 2)) / step))`,
 * `cdf(v - 1)` the count of pixels below v; a channel with `step = 0` is unchanged.
 */
export function equalize(images: NdArray): NdArray {
  const d = dimsOf(images, 'equalize');
  return scope(() => {
    const n = d.h * d.w;
    const groups = d.b * d.c;
    // [B, H, W, C] -> [B·C, H·W] bytes; one histogram per row via one bincount.
    const q = np.reshape(np.transpose(toBytes(images), [0, 3, 1, 2]), [groups, n]);
    const offset = np.reshape(np.mul(np.arange(0, groups, 1, 'int32'), 256), [groups, 1]);
    const hist = np.reshape(np.bincount(np.reshape(np.add(q, offset), [groups * n]), { length: groups * 256 }), [groups, 256]);
    const top = np.max(q, 1, true);
    const topCount = np.sum(np.mul(hist, np.cast(np.equal(np.arange(0, 256, 1, 'int32'), top), 'int32')), 1, true);
    const step = np.floorDivide(np.sub(n, topCount), 255);
    const below = np.sub(np.cumsum(hist, 1), hist); // pixels below each byte value
    const safe = np.maximum(step, 1);
    const lut = np.minimum(np.floorDivide(np.add(below, np.floorDivide(step, 2)), safe), 255);
    const mapped = np.takeAlongAxis(lut, q, 1);
    const out = np.where(np.equal(step, 0), q, mapped);
    return fromBytes(np.transpose(np.reshape(out, [d.b, d.c, d.h, d.w]), [0, 2, 3, 1]));
  });
}

/** torchvision's `RandomEqualize(p)`: {@link equalize} with probability p per sample. */
export function randomEqualize(key: NdArray, images: NdArray, p = 0.5): NdArray {
  checkProb(p, 'randomEqualize: p');
  return scope(() => applyWithProb(key, images, p, equalize));
}
