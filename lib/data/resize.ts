/**
 * Bilinear resizing of one uint8 HWC image, on typed arrays.
 *
 * Uses half-pixel centres (source coordinate `(y + 0.5) * srcH / dstH - 0.5`, clamped to
 * the image), the convention of `tf.image.resize(..., 'bilinear')` and PyTorch's
 * `align_corners=False`; results are rounded to the nearest byte. There is no antialiasing,
 * so shrinking by much more than 2x samples rather than averages (fine for thumbnails of
 * already-small photos; pre-shrink big ones). Resizing to the same size is an exact copy.
 */

import { DataError } from './errors.js';

/** Source row/column indices and the weight of the second one, for each output coordinate. */
function axisTaps(src: number, dst: number): { lo: Int32Array; hi: Int32Array; frac: Float64Array } {
  const lo = new Int32Array(dst);
  const hi = new Int32Array(dst);
  const frac = new Float64Array(dst);
  const scale = src / dst;
  for (let o = 0; o < dst; o++) {
    const s = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), src - 1);
    const i = Math.floor(s);
    lo[o] = i;
    hi[o] = Math.min(i + 1, src - 1);
    frac[o] = s - i;
  }
  return { lo, hi, frac };
}

/**
 * Resizes `src` (`srcH * srcW * channels` bytes, HWC) to `dstH x dstW`, returning a new
 * `dstH * dstW * channels` byte array.
 */
export function resizeBilinear(
  src: Uint8Array,
  [srcH, srcW]: readonly [number, number],
  channels: number,
  [dstH, dstW]: readonly [number, number],
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
  const ys = axisTaps(srcH, dstH);
  const xs = axisTaps(srcW, dstW);
  const rowStride = srcW * channels;
  let d = 0;
  for (let y = 0; y < dstH; y++) {
    const r0 = ys.lo[y]! * rowStride;
    const r1 = ys.hi[y]! * rowStride;
    const fy = ys.frac[y]!;
    for (let x = 0; x < dstW; x++) {
      const c0 = xs.lo[x]! * channels;
      const c1 = xs.hi[x]! * channels;
      const fx = xs.frac[x]!;
      for (let c = 0; c < channels; c++) {
        const top = src[r0 + c0 + c]! + (src[r0 + c1 + c]! - src[r0 + c0 + c]!) * fx;
        const bottom = src[r1 + c0 + c]! + (src[r1 + c1 + c]! - src[r1 + c0 + c]!) * fx;
        // Convex combination of bytes, so always within [0, 255]; the array clamps anyway.
        out[d++] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return out;
}
