/**
 * Gaussian blur with a per-sample sigma (torchvision's `GaussianBlur` in `RandomApply`),
 * separable, as two batched matmuls with per-sample convolution matrices (reflect
 * borders folded into the matrices).
 */
import type { NdArray } from '../../core/trace.js';
import * as np from '../../ops/index.js';
import { applySeparable, convolutionMatrix } from './resample.js';
import { checkProb, checkRange, coin, dimsOf, eager, splitKey, uniform } from './util.js';

/** Options of {@link gaussianBlur}. */
export interface GaussianBlurOptions {
  /** Probability of blurring a sample. Default 0.5 (SwAV's `PILRandomGaussianBlur`). */
  readonly p?: number;
  /** Range of sigma in pixels, sampled uniformly per sample. Default `[0.1, 2.0]`. */
  readonly sigma?: readonly [number, number];
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
 * picked get the identity kernel, so the whole batch is two batched matmuls
 * (`O(B·H·W·(H + W)·C)`: cheap for small images; for 224 px a depthwise convolution would
 * cost about (H + W) / 2k times less).
 */
export function gaussianBlur(key: NdArray, images: NdArray, opts: GaussianBlurOptions = {}): NdArray {
  const d = dimsOf(images, 'gaussianBlur');
  const p = opts.p ?? 0.5;
  const sigma = opts.sigma ?? [0.1, 2.0];
  const k = opts.kernelSize ?? defaultKernelSize(d.h, d.w);
  checkProb(p, 'gaussianBlur: p');
  checkRange(sigma, 'gaussianBlur: sigma', Number.MIN_VALUE, Infinity);
  if (!(Number.isInteger(k) && k > 0 && k % 2 === 1)) throw new Error(`gaussianBlur: kernelSize must be a positive odd integer, got ${k}`);
  if (p <= 0 || k === 1) return images;
  return eager(() => {
    const [kApply, kSigma] = splitKey(key, 2);
    let taps = gaussianTaps(uniform(kSigma, [d.b], sigma[0], sigma[1]), k);
    if (p < 1) {
      const identity = np.array(Array.from({ length: k }, (_, i) => (i === (k - 1) / 2 ? 1 : 0)), 'float32', [1, k]);
      taps = np.where(np.reshape(coin(kApply, d.b, p), [d.b, 1]), taps, identity);
    }
    return applySeparable(images, convolutionMatrix(taps, d.h), convolutionMatrix(taps, d.w, true));
  });
}
