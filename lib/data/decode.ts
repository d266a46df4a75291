/**
 * Decoding one PNG or JPEG file into uint8 HWC pixels with 1 or 3 channels.
 *
 * The format is recognised from the file's first bytes, not its extension. PNGs are decoded
 * with `pngjs` (any bit depth and colour type, normalised to 8-bit RGBA), JPEGs with
 * `jpeg-js`. Alpha is dropped without compositing (as PIL's `convert('RGB')`, which
 * torchvision's `ImageFolder` uses); grey is the ITU-R 601-2 luma `(299 R + 587 G + 114 B) / 1000`,
 * PIL's `convert('L')`.
 */

import jpeg from 'jpeg-js';
import pngjs from 'pngjs';
import { MAX_IMAGE_PIXELS, checkJpegHeaderSize, pngHeaderSize } from './image-header.js';

/** Decoded pixels: `height * width * channels` bytes, HWC. */
export interface DecodedImage {
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  readonly data: Uint8Array;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** `'png'`, `'jpeg'`, or `undefined` when the bytes start like neither. */
export function sniffImageFormat(bytes: Uint8Array): 'png' | 'jpeg' | undefined {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/** Converts `width * height` RGBA pixels to RGB or luma. */
function fromRgba(rgba: Uint8Array, pixels: number, channels: 1 | 3): Uint8Array {
  const out = new Uint8Array(pixels * channels);
  if (channels === 3) {
    for (let p = 0, s = 0, d = 0; p < pixels; p++, s += 4, d += 3) {
      out[d] = rgba[s]!;
      out[d + 1] = rgba[s + 1]!;
      out[d + 2] = rgba[s + 2]!;
    }
  } else {
    // PIL's fixed-point L = R*299/1000 + G*587/1000 + B*114/1000, rounded.
    for (let p = 0, s = 0; p < pixels; p++, s += 4) {
      out[p] = (rgba[s]! * 19595 + rgba[s + 1]! * 38470 + rgba[s + 2]! * 7471 + 0x8000) >>> 16;
    }
  }
  return out;
}

/**
 * Decodes a PNG or JPEG file's bytes. Throws a plain `Error` whose message is the reason
 * (the caller adds the file name), also for an image over `MAX_IMAGE_PIXELS` (100 MP),
 * which is refused from its header, before decoding.
 */
export function decodeImage(bytes: Uint8Array, channels: 1 | 3): DecodedImage {
  const format = sniffImageFormat(bytes);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (format === 'png') {
    pngHeaderSize(bytes);
    let png: pngjs.PNGWithMetadata;
    try {
      png = pngjs.PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    } catch (e) {
      // pngjs reports a file cut short with this (misspelt) stream message; say what it means.
      if (e instanceof Error && /read requests wait/.test(e.message)) throw new Error(`PNG file is truncated (pngjs: ${e.message})`);
      throw e;
    }
    ({ width, height } = png);
    rgba = png.data;
  } else if (format === 'jpeg') {
    checkJpegHeaderSize(bytes);
    // A truncated file still fails in jpeg-js ("marker was not found"); its own memory and
    // resolution limits (512 MB, the same 100 MP) stay on for frames our header walk missed.
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6 });
    ({ width, height } = img);
    rgba = img.data;
  } else {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new Error(bytes.length === 0 ? 'file is empty' : `not a PNG or JPEG file (starts with bytes ${head})`);
  }
  if (!(width > 0 && height > 0)) throw new Error(`decoded to an empty ${height}x${width} image`);
  if (rgba.length !== width * height * 4) {
    throw new Error(`decoder returned ${rgba.length} bytes for a ${height}x${width} RGBA image`);
  }
  return { height, width, channels, data: fromRgba(rgba, width * height, channels) };
}
