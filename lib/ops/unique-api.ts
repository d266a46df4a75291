/** The array API's unique_values / unique_counts / unique_inverse / unique_all (jax.numpy's: NaNs kept apart). */
import type { NdArray } from '../core/trace.js';
import { type SizeOptions, unique } from './sets.js';

/** The sorted unique values of the flattened x, each NaN apart (the array API's unique_values, jax.numpy's). */
export const uniqueValues = (x: NdArray, opts: SizeOptions = {}): NdArray => unique(x, { ...opts, equalNan: false });

/** unique_counts: the unique values and how often each occurs. */
export function uniqueCounts(x: NdArray, opts: SizeOptions = {}): { values: NdArray; counts: NdArray } {
  const [values, counts] = unique(x, { ...opts, equalNan: false, returnCounts: true });
  return { values, counts };
}

/** unique_inverse: the unique values and, for each entry of x (x's shape), its value's index among them. */
export function uniqueInverse(x: NdArray, opts: SizeOptions = {}): { values: NdArray; inverseIndices: NdArray } {
  const [values, inverseIndices] = unique(x, { ...opts, equalNan: false, returnInverse: true });
  return { values, inverseIndices };
}

/** unique_all: values, first indices (flat), inverse indices (x's shape) and counts. */
export function uniqueAll(x: NdArray, opts: SizeOptions = {}): { values: NdArray; indices: NdArray; inverseIndices: NdArray; counts: NdArray } {
  const [values, indices, inverseIndices, counts] = unique(x, { ...opts, equalNan: false, returnIndex: true, returnInverse: true, returnCounts: true });
  return { values, indices, inverseIndices, counts };
}
