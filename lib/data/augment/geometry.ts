/**
 * Geometric augmentations: random resized crop (torchvision's `RandomResizedCrop`) and
 * horizontal flip, as per-sample interpolation matrices applied with two batched matmuls.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Interpolation, applySeparable, resampleMatrix } from './resample.js';
import { checkProb, checkRange, coin, dimsOf, select01, splitKey, step, uniform } from './util.js';

/** Options of {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Output `[height, width]` (a number for a square). */
  readonly size: number | readonly [number, number];
  /** Range of the crop's area as a fraction of the image's. Default `[0.08, 1]`. */
  readonly scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width / height, sampled log-uniformly. Default `[3/4, 4/3]`. */
  readonly ratio?: readonly [number, number];
  /** Antialias when shrinking (PIL-style widened triangle filter). Default true. */
  readonly antialias?: boolean;
  /** 'bilinear' (default) or 'bicubic', as torchvision's `interpolation`. */
  readonly interpolation?: Interpolation;
}

/** Per-sample crop boxes in pixels, float32 `[B]` each (integral values). */
export interface CropBoxes {
  readonly top: NdArray;
  readonly left: NdArray;
  readonly height: NdArray;
  readonly width: NdArray;
}

/** Attempts per sample before the centre-crop fallback, as torchvision. */
export const CROP_ATTEMPTS = 10;

/** Python's `round` of a number: to the nearest integer, ties to even (`Math.round` rounds ties up). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function sizePair(size: number | readonly [number, number], fn = 'randomResizedCrop'): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new Error(`${fn}: size must be positive integers, got ${JSON.stringify(size)}`);
  return [h, w];
}

/**
 * torchvision's `RandomResizedCrop.get_params`, vectorised over the batch. For each sample
 * all 10 attempts are drawn at once (`[B, 10]`): area fraction `~ U(scale)`, aspect ratio
 * `exp(U(log ratio))`, `w = round(sqrt(area·ratio))`, `h = round(sqrt(area/ratio))`
 * (round half to even, like Python's `round`); the first attempt that fits
 * (`0 < w <= W`, `0 < h <= H`) is taken, with its top-left corner uniform over the integer
 * positions. When none of the 10 fits, the centre crop of the whole image with the ratio
 * clamped into range, exactly as torchvision. The same maths; only the random stream
 * differs (Threefry from the key, not torch's generator).
 */
export function sampleCropBoxes(key: NdArray, dims: { b: number; h: number; w: number }, scale: readonly [number, number] = [0.08, 1], ratio: readonly [number, number] = [3 / 4, 4 / 3]): CropBoxes {
  checkRange(scale, 'randomResizedCrop: scale', 0, Infinity);
  checkRange(ratio, 'randomResizedCrop: ratio', Number.MIN_VALUE, Infinity);
  const { b, h: H, w: W } = dims;
  const [kArea, kRatio, kTop, kLeft] = splitKey(key, 4);
  const area = np.mul(uniform(kArea, [b, CROP_ATTEMPTS], scale[0], scale[1]), H * W);
  const aspect = np.exp(uniform(kRatio, [b, CROP_ATTEMPTS], Math.log(ratio[0]), Math.log(ratio[1])));
  const ws = np.round(np.sqrt(np.mul(area, aspect)));
  const hs = np.round(np.sqrt(np.div(area, aspect)));
  const fits = np.logicalAnd(np.logicalAnd(np.greater(ws, 0), np.lessEqual(ws, W)), np.logicalAnd(np.greater(hs, 0), np.lessEqual(hs, H)));
  const first = firstFit(fits);
  const found = np.sum(first, 1); // 1, or 0 when no attempt fits
  const lost = np.sub(1, found);
  // Fallback: the whole image, ratio clamped into range, centred (static: from H, W only).
  const inRatio = W / H;
  let [fh, fw] = [H, W];
  if (inRatio < ratio[0]) fh = roundHalfEven(W / ratio[0]);
  else if (inRatio > ratio[1]) fw = roundHalfEven(H * ratio[1]);
  const height = np.add(np.sum(np.mul(hs, first), 1), np.mul(lost, fh));
  const width = np.add(np.sum(np.mul(ws, first), 1), np.mul(lost, fw));
  const top = np.add(np.mul(np.floor(np.mul(uniform(kTop, [b]), np.sub(H + 1, height))), found), np.mul(lost, Math.floor((H - fh) / 2)));
  const left = np.add(np.mul(np.floor(np.mul(uniform(kLeft, [b]), np.sub(W + 1, width))), found), np.mul(lost, Math.floor((W - fw) / 2)));
  return { top, left, height, width };
}

/**
 * The first true entry of each row of a bool `[B, A]` (attempts), as a float one-hot row
 * (all zeros when none is true): true and no earlier entry true, the count of earlier ones
 * being a product with a strictly upper-triangular 0/1 matrix.
 */
export function firstFit(fits: NdArray): NdArray {
  const [, a] = np.shape(fits);
  const fitsF = np.cast(fits, 'float32');
  const earlier = np.array(Array.from({ length: a * a }, (_, k) => (Math.floor(k / a) < k % a ? 1 : 0)), 'float32', [a, a]);
  return np.mul(fitsF, step(np.neg(np.matmul(fitsF, earlier))));
}

/** The row matrix `[B, outH, H]` and transposed column matrix `[B, W, outW]` of a crop (and optional flip). */
export function cropMatrices(boxes: CropBoxes, inHW: readonly [number, number], outHW: readonly [number, number], opts: { antialias?: boolean; flip?: NdArray; interpolation?: Interpolation } = {}): [NdArray, NdArray] {
  const filter = { antialias: opts.antialias, interpolation: opts.interpolation };
  const rows = resampleMatrix(boxes.top, boxes.height, inHW[0], outHW[0], filter);
  const colsT = resampleMatrix(boxes.left, boxes.width, inHW[1], outHW[1], { ...filter, flip: opts.flip, transposed: true });
  return [rows, colsT];
}

/**
 * torchvision's `RandomResizedCrop(size, scale, ratio, antialias=True)` on a whole batch:
 * a crop box per sample ({@link sampleCropBoxes}), resampled to `size` with bilinear
 * interpolation (antialiased when shrinking), as two batched matmuls with per-sample
 * interpolation matrices.
 * @example const views = randomResizedCrop(key, images, { size: 28, scale: [0.3, 1] });
 */
export function randomResizedCrop(key: NdArray, images: NdArray, opts: RandomResizedCropOptions): NdArray {
  const d = dimsOf(images, 'randomResizedCrop');
  const out = sizePair(opts.size);
  return scope(() => {
    const boxes = sampleCropBoxes(key, d, opts.scale, opts.ratio);
    const [rows, colsT] = cropMatrices(boxes, [d.h, d.w], out, { antialias: opts.antialias, interpolation: opts.interpolation });
    return applySeparable(images, rows, colsT);
  });
}

/** The per-sample flip decisions {@link horizontalFlip} makes for `key` (bool `[B]`). */
export function flipMask(key: NdArray, b: number, p = 0.5): NdArray {
  checkProb(p, 'horizontalFlip: p');
  return coin(key, b, p);
}

/**
 * Mirrors each image left-right with probability `p` (torchvision's `RandomHorizontalFlip`).
 * Implemented as one batched matmul with a per-sample 0/1 permutation matrix (reversal or
 * identity), which is exact and faster on wasm than a gather and a select.
 */
export function horizontalFlip(key: NdArray, images: NdArray, p = 0.5): NdArray {
  const d = dimsOf(images, 'horizontalFlip');
  checkProb(p, 'horizontalFlip: p');
  if (p <= 0) return images;
  return scope(() => {
    const m = np.reshape(np.cast(flipMask(key, d.b, p), 'float32'), [d.b, 1, 1]);
    const eye = np.eye(d.w);
    const rev = np.take(eye, np.arange(d.w - 1, -1, -1, 'int32'), 0);
    return applySeparable(images, null, select01(m, np.expandDims(rev, 0), np.expandDims(eye, 0)));
  });
}

/** Options of {@link resize}. */
export interface ResizeOptions {
  /** Antialias when shrinking (torchvision >= 0.17's default for tensors, and PIL's). Default true. */
  readonly antialias?: boolean;
  /** 'bilinear' (default) or 'bicubic'. */
  readonly interpolation?: Interpolation;
  /** With a number `size`, the longer side is capped at it (torchvision's `max_size`). */
  readonly maxSize?: number;
}

/**
 * torchvision's `_compute_resized_output_size`: `[h, w]` as given, or, for one number, the
 * shorter side becomes `size` and the longer `floor(size·long / short)` (then both scaled
 * down if the longer passes `maxSize`).
 */
export function resizedSize(h: number, w: number, size: number | readonly [number, number], maxSize?: number): [number, number] {
  if (typeof size !== 'number') {
    if (maxSize !== undefined) throw new Error('resize: maxSize needs one number as size');
    return sizePair(size, 'resize');
  }
  sizePair(size, 'resize');
  const [short, long] = h <= w ? [h, w] : [w, h];
  let [newShort, newLong] = [size, Math.floor((size * long) / short)];
  if (maxSize !== undefined) {
    if (!(maxSize > size)) throw new Error(`resize: maxSize must be greater than size, got maxSize ${maxSize} for size ${size}`);
    if (newLong > maxSize) [newShort, newLong] = [Math.floor((maxSize * newShort) / newLong), maxSize];
  }
  return h <= w ? [newShort, newLong] : [newLong, newShort];
}

/**
 * torchvision's `Resize(size, interpolation, max_size, antialias=True)` on a batch (no key):
 * the whole image resampled to `size` (see {@link resizedSize}), as torch's
 * `F.interpolate(..., align_corners=False, antialias)`.
 * @example resize(images, 256) // shorter side 256, as the ImageNet evaluation transform
 */
export function resize(images: NdArray, size: number | readonly [number, number], opts: ResizeOptions = {}): NdArray {
  const d = dimsOf(images, 'resize');
  const [oh, ow] = resizedSize(d.h, d.w, size, opts.maxSize);
  if (oh === d.h && ow === d.w) return images;
  return scope(() => {
    const filter = { antialias: opts.antialias, interpolation: opts.interpolation };
    const whole = (n: number) => [np.zeros([1]), np.full([1], n)] as const;
    const rows = resampleMatrix(...whole(d.h), d.h, oh, filter);
    const colsT = resampleMatrix(...whole(d.w), d.w, ow, { ...filter, transposed: true });
    return applySeparable(images, np.broadcastTo(rows, [d.b, oh, d.h]), np.broadcastTo(colsT, [d.b, d.w, ow]));
  });
}

/** Python's `int(round(x))` (half to even) of a centring offset. */
function centreOffset(n: number, m: number): number {
  return roundHalfEven((n - m) / 2);
}

/**
 * torchvision's `CenterCrop(size)` on a batch (no key): the window at
 * `round((H - h) / 2), round((W - w) / 2)` (half to even, as Python); a crop larger than the
 * image first pads it with zeros, `(size - H) // 2` before and the rest after, as torchvision.
 */
export function centerCrop(images: NdArray, size: number | readonly [number, number]): NdArray {
  const d = dimsOf(images, 'centerCrop');
  const [ch, cw] = sizePair(size, 'centerCrop');
  return scope(() => {
    let x = images;
    const [ph, pw] = [Math.max(0, ch - d.h), Math.max(0, cw - d.w)];
    if (ph > 0 || pw > 0) x = np.pad(x, [[0, 0], [ph >> 1, (ph + 1) >> 1], [pw >> 1, (pw + 1) >> 1], [0, 0]]);
    const [, h, w] = np.shape(x);
    const top = centreOffset(h, ch);
    const left = centreOffset(w, cw);
    return np.sliceAxis(np.sliceAxis(x, 1, top, top + ch), 2, left, left + cw);
  });
}
