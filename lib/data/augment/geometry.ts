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
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function sizePair(size: number | readonly [number, number]): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) throw new Error(`randomResizedCrop: size must be positive integers, got ${JSON.stringify(size)}`);
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
  const fitsF = np.cast(fits, 'float32');
  // The first attempt that fits, as a one-hot row: fits and no earlier attempt fits (the
  // count of earlier fits is a product with a strictly upper-triangular 0/1 matrix).
  const earlier = np.array(Array.from({ length: CROP_ATTEMPTS * CROP_ATTEMPTS }, (_, k) => (Math.floor(k / CROP_ATTEMPTS) < k % CROP_ATTEMPTS ? 1 : 0)), 'float32', [CROP_ATTEMPTS, CROP_ATTEMPTS]);
  const first = np.mul(fitsF, step(np.neg(np.matmul(fitsF, earlier))));
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
