/** Inverting a discrete CDF given its pmf terms, shared by poisson and binomial (not exported from `random`). */
import type { NdArray } from '../core/index.js';
import * as np from '../ops/index.js';

/**
 * A draw from the pmf `terms` (k = 0, 1, ...) by inverting its CDF at the uniform u, as float32:
 * the number of the first n - 1 partial sums at or below u times the sum of all n terms (so
 * float32 rounding of the sums never sends a u near 1 past the last term).
 */
export function inverseCdf(u: NdArray, terms: readonly NdArray[]): NdArray {
  const sums: NdArray[] = [terms[0]];
  for (let j = 1; j < terms.length; j++) sums.push(np.add(sums[j - 1], terms[j]));
  const target = np.mul(u, sums[terms.length - 1]);
  return sums.slice(0, -1).reduce<NdArray>((x, cdf) => np.add(x, np.cast(np.lessEqual(cdf, target), 'float32')), np.zerosLike(target));
}
