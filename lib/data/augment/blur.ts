/**
 * Gaussian blur with a per-sample sigma (torchvision's `GaussianBlur` in `RandomApply`):
 * separable, reflect-padded, as two depthwise convolutions with the batch moved into the
 * channel axis, so that every sample has its own kernel.
 */
import { type NdArray, scope } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { applySeparable, convolutionMatrix } from './resample.js';
import { checkProb, checkRange, clamp01, coin, dimsOf, splitKey, uniform } from './util.js';

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions {
  /** Probability of blurring a sample. Default 0.5 (SwAV's `PILRandomGaussianBlur`). */
  readonly p?: number;
  /** Range of sigma in pixels, sampled uniformly per sample, or one fixed sigma (as torchvision). Default `[0.1, 2.0]`. */
  readonly sigma?: number | readonly [number, number];
  /** Odd kernel size. Default {@link defaultKernelSize} (about 10% of the side, as BYOL's 23 for 224). */
  readonly kernelSize?: number;
}

/** The odd kernel size nearest to 10% of the shorter side, at least 3 (23 for 224, 3 for 28 and 14). */
export function defaultKernelSize(h: number, w: number): number {
  return Math.max(3, 2 * Math.round((0.1 * Math.min(h, w) - 1) / 2) + 1);
}

/**
 * Normalised Gaussian taps `[B, k]` for per-sample `sigma: [B]`, as torchvision's
 * `_get_gaussian_kernel1d`: `exp(-x²/(2σ²))` at `x = -(k-1)/2 .. (k-1)/2`, summing to 1.
 */
export function gaussianTaps(sigma: NdArray, k: number): NdArray {
  const b = sigma.shape[0];
  const x = np.reshape(np.arange(-(k - 1) / 2, (k - 1) / 2 + 0.5, 1, 'float32'), [1, k]);
  const z = np.div(x, np.reshape(sigma, [b, 1]));
  const pdf = np.exp(np.mul(np.square(z), -0.5));
  return np.div(pdf, np.sum(pdf, 1, true));
}

/**
 * Blurs each sample with probability p, with sigma uniform in `sigma` and a `kernelSize`
 * separable Gaussian kernel, reflect-padded (torchvision's `GaussianBlur`). Samples not
 * picked get the identity kernel, so the whole batch is two depthwise convolutions over
 * `[1, H, W, B·C]` (one `[k, 1]` and one `[1, k]` filter per channel). Kernels wider than
 * the image (torchvision refuses them) fall back to per-sample convolution matrices
 * (reflection repeated) applied as batched matmuls.
 */
export function gaussianBlur(key: NdArray, images: NdArray, opts: GaussianBlurOptions = {}): NdArray {
  const d = dimsOf(images, 'gaussianBlur');
  const p = opts.p ?? 0.5;
  const s = opts.sigma ?? [0.1, 2.0];
  const sigma: readonly [number, number] = typeof s === 'number' ? [s, s] : s;
  const k = opts.kernelSize ?? defaultKernelSize(d.h, d.w);
  checkProb(p, 'gaussianBlur: p');
  checkRange(sigma, 'gaussianBlur: sigma', Number.MIN_VALUE, Infinity);
  if (!(Number.isInteger(k) && k > 0 && k % 2 === 1)) throw new Error(`gaussianBlur: kernelSize must be a positive odd integer, got ${k}`);
  if (p <= 0 || k === 1) return images;
  return scope(() => {
    const [kApply, kSigma] = splitKey(key, 2);
    let taps = gaussianTaps(uniform(kSigma, [d.b], sigma[0], sigma[1]), k);
    if (p < 1) {
      const identity = np.array(Array.from({ length: k }, (_, i) => (i === (k - 1) / 2 ? 1 : 0)), 'float32', [1, k]);
      taps = np.where(np.reshape(coin(kApply, d.b, p), [d.b, 1]), taps, identity);
    }
    const r = (k - 1) / 2;
    // A weighted mean of [0, 1] values is in [0, 1], but its float32 sum can pass 1 by an ulp
    // (which solarize's 1 - x would then take below 0): clamped back.
    if (r >= d.h || r >= d.w) return clamp01(applySeparable(images, convolutionMatrix(taps, d.h), convolutionMatrix(taps, d.w, true)));
    return clamp01(blurDepthwise(images, taps));
  });
}

/** Reflect-pads axis `axis` of x by r on both sides (torchvision's 'reflect': -1 -> 1), r < size. */
function reflectPad(x: NdArray, axis: number, r: number): NdArray {
  const n = x.shape[axis];
  const row = (i: number) => np.sliceAxis(x, axis, i, i + 1);
  const before = Array.from({ length: r }, (_, t) => row(r - t));
  const after = Array.from({ length: r }, (_, t) => row(n - 2 - t));
  return np.concatenate([...before, x, ...after], axis);
}

/** Per-sample separable convolution `taps: [B, k]` of `[B, H, W, C]`, reflect borders, as depthwise convolutions. */
function blurDepthwise(images: NdArray, taps: NdArray): NdArray {
  const [b, h, w, c] = np.shape(images);
  const k = np.shape(taps)[1];
  const r = (k - 1) / 2;
  const bc = b * c;
  // Batch into channels: [B, H, W, C] -> [1, H, W, B·C] (channel b·C + c).
  let x = c === 1 ? np.reshape(np.transpose(np.reshape(images, [b, h * w]), [1, 0]), [1, h, w, b]) : np.reshape(np.transpose(images, [1, 2, 0, 3]), [1, h, w, bc]);
  x = reflectPad(reflectPad(x, 1, r), 2, r);
  const perChannel = c === 1 ? taps : np.reshape(np.broadcastTo(np.reshape(taps, [b, 1, k]), [b, c, k]), [bc, k]);
  const filt = np.transpose(perChannel, [1, 0]); // [k, B·C]
  x = np.conv2d(x, np.reshape(filt, [k, 1, 1, bc]), { groups: bc });
  x = np.conv2d(x, np.reshape(filt, [1, k, 1, bc]), { groups: bc });
  return c === 1 ? np.reshape(np.transpose(np.reshape(x, [h * w, b]), [1, 0]), [b, h, w, 1]) : np.transpose(np.reshape(x, [h, w, b, c]), [2, 0, 1, 3]);
}
