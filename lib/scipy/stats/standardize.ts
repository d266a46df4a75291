/** What the location-scale distributions share: z = (x - loc) / scale and log(scale). */
import type { NdArray } from '../../core/index.js';
import * as np from '../../ops/index.js';
import { type Operand, asFloat } from '../util.js';

/** (x - loc) / scale, broadcast. */
export function standardize(x: Operand, loc: Operand, scale: Operand): NdArray {
  return np.div(np.sub(asFloat(x), asFloat(loc)), asFloat(scale));
}

/** log(scale) (NaN for a negative scale, as SciPy's NaN outside the parameter domain). */
export function logScale(scale: Operand): NdArray {
  return np.log(asFloat(scale));
}

/** loc + q * scale: a quantile of the standard distribution moved and stretched. */
export function unstandardize(q: NdArray, loc: Operand, scale: Operand): NdArray {
  return np.add(np.mul(q, asFloat(scale)), asFloat(loc));
}

/** Whether k is a whole number (the support of the discrete distributions). */
export function isInteger(k: NdArray): NdArray {
  return np.equal(np.floor(k), k);
}

/** q as a float32 array, NaN outside [0, 1] (a quantile function's domain, as SciPy's ppf / isf). */
export function probability(q: Operand): NdArray {
  const p = asFloat(q);
  return np.where(np.logicalAnd(np.greaterEqual(p, 0), np.lessEqual(p, 1)), p, NaN);
}
