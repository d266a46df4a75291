/**
 * Bilinear resizing of one uint8 HWC image, on typed arrays.
 *
 * Uses half-pixel centres (output pixel `o` is centred at `(o + 0.5) * src / dst` in input
 * coordinates, pixel `j` at `j + 0.5`), the convention of `tf.image.resize(..., 'bilinear')`
 * and PyTorch's `align_corners=False`, with the triangle filter
 * `max(0, 1 - |j + 0.5 - centre| / support)` normalised over the pixels inside the image.
 * Without antialiasing (the default) `support` is 1: plain bilinear interpolation with
 * clamped edges, `F.interpolate(..., mode='bilinear', antialias=False)`, which samples
 * rather than averages when shrinking by more than 2x. With `antialias: true`, `support` is
 * the shrink factor when shrinking (PIL's and torchvision's antialiased bilinear filter,
 * `F.interpolate(..., antialias=True)`, torchvision >= 0.17's default for tensors; PIL
 * always antialiases); growing is unchanged. Results are rounded to the nearest byte.
 * Resizing to the same size is an exact copy.
 */

import { DataError } from './errors.js';

/** Options of {@link resizeBilinear}. */
export interface ResizeOptions {
  /** Widen the filter by the shrink factor when shrinking (torchvision's `antialias=True`). Default false. */
  readonly antialias?: boolean;
}

/** For each output coordinate, its first source index and the normalised weights of the source pixels from there. */
function axisTaps(src: number, dst: number, antialias: boolean): { first: Int32Array; weights: Float64Array[] } {
  const scale = src / dst;
  const support = antialias ? Math.max(1, scale) : 1;
  const first = new Int32Array(dst);
  const weights: Float64Array[] = [];
  for (let o = 0; o < dst; o++) {
    const centre = (o + 0.5) * scale;
    const lo = Math.max(0, Math.floor(centre - support));
    const hi = Math.min(src, Math.ceil(centre + support));
    const w = new Float64Array(hi - lo);
    let total = 0;
    for (let j = lo; j < hi; j++) total += w[j - lo] = Math.max(0, 1 - Math.abs(j + 0.5 - centre) / support);
    for (let k = 0; k < w.length; k++) w[k] /= total;
    first[o] = lo;
    weights.push(w);
  }
  return { first, weights };
}

/**
 * Resizes `src` (`srcH * srcW * channels` bytes, HWC) to `dstH x dstW`, returning a new
 * `dstH * dstW * channels` byte array.
 * @example resizeBilinear(pixels, [480, 640], 3, [224, 224], { antialias: true })
 */
export function resizeBilinear(
  src: Uint8Array,
  [srcH, srcW]: readonly [number, number],
  channels: number,
  [dstH, dstW]: readonly [number, number],
  opts: ResizeOptions = {},
): Uint8Array {
  for (const [what, v] of [['source height', srcH], ['source width', srcW], ['target height', dstH], ['target width', dstW], ['channels', channels]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new DataError('resizeBilinear', `resizeBilinear: ${what} must be a positive integer, got ${v}`);
  }
  if (src.length !== srcH * srcW * channels) {
    throw new DataError('resizeBilinear', `resizeBilinear: source has ${src.length} bytes, expected ${srcH}x${srcW}x${channels} = ${srcH * srcW * channels}`);
  }
  const out = new Uint8Array(dstH * dstW * channels);
  if (srcH === dstH && srcW === dstW) {
    out.set(src);
    return out;
  }
  const antialias = opts.antialias ?? false;
  const ys = axisTaps(srcH, dstH, antialias);
  const xs = axisTaps(srcW, dstW, antialias);
  // Columns first, into a float [srcH, dstW, channels] buffer, then rows.
  const mid = new Float64Array(srcH * dstW * channels);
  for (let y = 0; y < srcH; y++) {
    for (let x = 0; x < dstW; x++) {
      const wx = xs.weights[x]!;
      const base = (y * srcW + xs.first[x]!) * channels;
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let k = 0; k < wx.length; k++) acc += wx[k]! * src[base + k * channels + c]!;
        mid[(y * dstW + x) * channels + c] = acc;
      }
    }
  }
  const rowStride = dstW * channels;
  for (let y = 0; y < dstH; y++) {
    const wy = ys.weights[y]!;
    const base = ys.first[y]! * rowStride;
    for (let i = 0; i < rowStride; i++) {
      let acc = 0;
      for (let k = 0; k < wy.length; k++) acc += wy[k]! * mid[base + k * rowStride + i]!;
      // A convex combination of bytes, so within [0, 255]; the array clamps anyway.
      out[y * rowStride + i] = Math.round(acc);
    }
  }
  return out;
}
