/**
 * Fixed train/test splits of a class-major dataset (all images of class 0 in file order,
 * then class 1, ...): the first `testPerClass` images of each class are the test split,
 * the rest of that class is train. `limitPerClass` then keeps the first images of each
 * class within the chosen split.
 */

import { DataError } from './errors.js';
import type { Split } from './types.js';

/** A half-open range `[start, end)` of dataset indices. */
export type Range = readonly [number, number];

/** The index ranges (one per class) that make up `split` of a class-major dataset. */
export function splitRanges(
  dataset: string,
  classCounts: readonly number[],
  testPerClass: number,
  split: Split,
  limitPerClass?: number,
): Range[] {
  if (split !== 'train' && split !== 'test' && split !== 'all') {
    throw new DataError(dataset, `${dataset}: split must be 'train', 'test' or 'all', got ${JSON.stringify(split)}`);
  }
  if (limitPerClass !== undefined && !(Number.isInteger(limitPerClass) && limitPerClass >= 0)) {
    throw new DataError(dataset, `${dataset}: limitPerClass must be a non-negative integer, got ${limitPerClass}`);
  }
  const ranges: Range[] = [];
  let offset = 0;
  for (const count of classCounts) {
    const nTest = Math.min(testPerClass, count);
    let [start, end] = split === 'test' ? [offset, offset + nTest] : split === 'train' ? [offset + nTest, offset + count] : [offset, offset + count];
    if (limitPerClass !== undefined) end = Math.min(end, start + limitPerClass);
    ranges.push([start, end]);
    offset += count;
  }
  return ranges;
}

/**
 * The images and labels in `ranges` (in order) as compact arrays: fresh copies, except that
 * when the ranges cover all of `images` the images are returned as they are.
 */
export function takeRanges(
  images: Uint8Array,
  labels: ArrayLike<number>,
  bytesPerImage: number,
  ranges: readonly Range[],
): { images: Uint8Array; labels: Int32Array; n: number } {
  const n = ranges.reduce((acc, [s, e]) => acc + (e - s), 0);
  const contiguous = ranges.every(([s], i) => s === (i === 0 ? 0 : ranges[i - 1]![1]));
  const outImages = contiguous && n * bytesPerImage === images.length ? images : new Uint8Array(n * bytesPerImage);
  const outLabels = new Int32Array(n);
  let k = 0;
  for (const [s, e] of ranges) {
    if (outImages !== images) outImages.set(images.subarray(s * bytesPerImage, e * bytesPerImage), k * bytesPerImage);
    for (let i = s; i < e; i++) outLabels[k++] = labels[i]!;
  }
  return { images: outImages, labels: outLabels, n };
}
