/**
 * Reading an image's claimed size from its header, so that a file claiming an enormous image
 * is refused before a decoder allocates for it (pngjs's synchronous inflate aborts the whole
 * process, uncatchably, on a PNG claiming (2^31-1)^2 pixels).
 */

/** The most pixels (`width * height`) an image file may have: 100 MP, the default of jpeg-js. */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Throws when a `height x width` image is over {@link MAX_IMAGE_PIXELS}. */
export function checkPixelLimit(format: 'PNG' | 'JPEG', height: number, width: number): void {
  if (height * width > MAX_IMAGE_PIXELS) {
    throw new Error(
      `${format} claims ${height}x${width} (height x width) = ${BigInt(height) * BigInt(width)} pixels, over the limit of ${MAX_IMAGE_PIXELS} (${MAX_IMAGE_PIXELS / 1e6} MP)`,
    );
  }
}

/** Valid bit depths per PNG colour type (PNG spec, table 11.1). */
const PNG_BIT_DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16], // greyscale
  2: [8, 16], // truecolour
  3: [1, 2, 4, 8], // indexed
  4: [8, 16], // greyscale with alpha
  6: [8, 16], // truecolour with alpha
};

const uint32 = (b: Uint8Array, at: number): number => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
const uint16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

/**
 * The size a PNG's IHDR chunk claims (the bytes start with the PNG signature), checked
 * against the PNG spec and {@link MAX_IMAGE_PIXELS}; throws naming what is wrong.
 */
export function pngHeaderSize(bytes: Uint8Array): { height: number; width: number } {
  // Signature (8 bytes), then IHDR: length (4) = 13, type (4), 13 data bytes, CRC (4).
  if (bytes.length < 33) throw new Error(`PNG file is truncated: ${bytes.length} bytes, too short for its IHDR header (33 bytes)`);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  const length = uint32(bytes, 8);
  if (type !== 'IHDR' || length !== 13) {
    throw new Error(`PNG header is invalid: the first chunk must be IHDR of 13 bytes, found ${JSON.stringify(type)} of ${length} bytes`);
  }
  const width = uint32(bytes, 16);
  const height = uint32(bytes, 20);
  const [bitDepth, colourType, compression, filter, interlace] = bytes.subarray(24, 29);
  const inRange = (v: number): boolean => v >= 1 && v <= 0x7fffffff;
  if (!inRange(width) || !inRange(height)) throw new Error(`PNG header is invalid: size ${height}x${width} (height x width) is not within 1..2^31-1`);
  if (!PNG_BIT_DEPTHS[colourType!]?.includes(bitDepth!)) {
    throw new Error(`PNG header is invalid: bit depth ${bitDepth} with colour type ${colourType}`);
  }
  if (compression !== 0 || filter !== 0 || interlace! > 1) {
    throw new Error(`PNG header is invalid: compression ${compression}, filter ${filter}, interlace ${interlace} (expected 0, 0, 0 or 1)`);
  }
  checkPixelLimit('PNG', height, width);
  return { height, width };
}

/** JPEG start-of-frame markers (0xC0..0xCF but for DHT 0xC4, JPG 0xC8 and DAC 0xCC). */
const isStartOfFrame = (marker: number): boolean => marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;

/**
 * Checks the size a JPEG's frame header claims against {@link MAX_IMAGE_PIXELS}, walking the
 * marker segments up to the first frame or scan. Malformed structure is left to the decoder.
 */
export function checkJpegHeaderSize(bytes: Uint8Array): void {
  let at = 2; // after SOI
  while (at + 4 <= bytes.length && bytes[at] === 0xff) {
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return; // start of scan / end of image: no frame before it
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (isStartOfFrame(marker)) {
      // Segment: length (2), precision (1), height (2), width (2), ...
      if (at + 9 <= bytes.length) checkPixelLimit('JPEG', uint16(bytes, at + 5), uint16(bytes, at + 7));
      return;
    }
    at += 2 + uint16(bytes, at + 2);
  }
}
